/** Session formats from the field: 45 min (one speaker) or 55 min (two or three). */
export const WRAP_UP_MINUTES = 5;

export type TimerPhase = 'idle' | 'running' | 'wrapUp' | 'overtime';

export interface TimerReading {
  phase: TimerPhase;
  /** Milliseconds since the session started (0 when idle). */
  elapsedMs: number;
  /** Milliseconds left in the format; negative in overtime. */
  remainingMs: number;
}

/** Where a session stands, from its start time (null: not started) and its format. */
export function readTimer(
  startedAt: number | null,
  durationMinutes: number,
  now: number,
): TimerReading {
  const totalMs = durationMinutes * 60_000;
  if (startedAt === null) return { phase: 'idle', elapsedMs: 0, remainingMs: totalMs };
  const elapsedMs = Math.max(0, now - startedAt);
  const remainingMs = totalMs - elapsedMs;
  const phase: TimerPhase =
    remainingMs < 0 ? 'overtime' : remainingMs <= WRAP_UP_MINUTES * 60_000 ? 'wrapUp' : 'running';
  return { phase, elapsedMs, remainingMs };
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
