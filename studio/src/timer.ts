/** Session formats from the field: 45 min (one speaker) or 55 min (two or three). */
export const WRAP_UP_MINUTES = 5;

export type TimerPhase = 'idle' | 'running' | 'wrapUp' | 'overtime' | 'ended';

export interface TimerReading {
  phase: TimerPhase;
  /** Milliseconds since the session started (0 when idle); frozen at its end. */
  elapsedMs: number;
  /** Milliseconds left in the format; negative in overtime. */
  remainingMs: number;
}

/** The event's clock as the server keeps it: when it went live and ended (ISO), its format. */
export interface EventClock {
  startedAt: string | null;
  endedAt: string | null;
  durationMinutes: number;
}

/**
 * Where a session stands: from the time the server says it went live to now
 * on the server's clock (this one's `now` plus `offsetMs`), stopped at the
 * time it ended. Every studio reads the same times, so they show one timer.
 */
export function readTimer(event: EventClock, now: number, offsetMs = 0): TimerReading {
  const totalMs = event.durationMinutes * 60_000;
  const startedAt = event.startedAt === null ? Number.NaN : Date.parse(event.startedAt);
  if (!Number.isFinite(startedAt)) return { phase: 'idle', elapsedMs: 0, remainingMs: totalMs };
  const endedAt = event.endedAt === null ? Number.NaN : Date.parse(event.endedAt);
  const until = Number.isFinite(endedAt) ? endedAt : now + offsetMs;
  const elapsedMs = Math.max(0, until - startedAt);
  const remainingMs = totalMs - elapsedMs;
  const phase: TimerPhase = Number.isFinite(endedAt)
    ? 'ended'
    : remainingMs < 0
      ? 'overtime'
      : remainingMs <= WRAP_UP_MINUTES * 60_000
        ? 'wrapUp'
        : 'running';
  return { phase, elapsedMs, remainingMs };
}

/** One reading of the server's clock: how far it is ahead of this one, and how sure. */
export interface ClockSample {
  offsetMs: number;
  /** The round trip; the offset is right within half of it. */
  rttMs: number;
}

/**
 * The server read its clock (`serverNow`) somewhere between `sentAt` and
 * `receivedAt` on this one: assume halfway, as NTP does.
 */
export function clockSample(sentAt: number, serverNow: number, receivedAt: number): ClockSample {
  const rttMs = Math.max(0, receivedAt - sentAt);
  return { offsetMs: Math.round(serverNow - (sentAt + rttMs / 2)), rttMs };
}

/** Of recent samples, the one with the shortest round trip: the least uncertain. */
export function bestSample(samples: readonly ClockSample[]): ClockSample | null {
  let best: ClockSample | null = null;
  for (const s of samples) if (!best || s.rttMs < best.rttMs) best = s;
  return best;
}

/** `mm:ss`, or `h:mm:ss` past an hour; a leading minus sign for negative durations. */
export function formatClock(ms: number): string {
  const negative = ms < 0;
  const totalSeconds = Math.floor(Math.abs(ms) / 1000);
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  const body = h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${pad(m)}:${pad(s)}`;
  return negative ? `-${body}` : body;
}
