import type { SignalingClient } from '@amphi/sdk';
import type { Sql } from 'postgres';
import { ClassroomPeer } from '../../../loadtest/src/ClassroomPeer.ts';
import { monoMs } from '../../../loadtest/src/clock.ts';
import { readVp8 } from '../../../loadtest/src/media/rtp.ts';
import { loadVp8Clip } from '../../../loadtest/src/media/vp8Clip.ts';
import { SyntheticSpeaker } from '../../../loadtest/src/SyntheticSpeaker.ts';
import { key } from './harness.ts';

// Who watches a talk on the hosts rig (hostsRig.ts), and what they measure:
// the loadtest's synthetic speaker (the VP8 test pattern over real WebRTC)
// and its simulated classrooms (real WebRTC receivers, every packet read),
// asking questions whose acknowledgements are counted here, on the client side.

/**
 * The loadtest's synthetic speaker, run in this process. Like the studio, it
 * publishes again when its socket comes back or when the server says
 * `media.reconnect` (its media node died).
 */
export async function startRigSpeaker(opts: {
  baseUrl: string;
  eventId: string;
  token: string;
}): Promise<SyntheticSpeaker> {
  const speaker = new SyntheticSpeaker({ ...opts, clip: await loadVp8Clip() });
  await speaker.start();
  return speaker;
}

/** A wait between two decodable frames longer than this is a stall the incident caused. */
export const STALL_MS = 1_000;

/** One classroom's media across an incident, on the simulator's clock. */
export interface Recovery {
  /**
   * Its media was set up again after the incident (the server told it, or its
   * socket came back), or its picture stalled over STALL_MS.
   */
  affected: boolean;
  /**
   * Incident → first complete frame of a stream set up afterwards that began
   * with a key frame (what a decoder needs), or the frame that ended the stall;
   * null: never.
   */
  recoveredMs: number | null;
  /** The longest wait between two decodable frames from the incident to the end of the watch. */
  longestGapMs: number;
}

/**
 * A simulated classroom (loadtest's ClassroomPeer: the sdk's LiveSession and a
 * libdatachannel receiver) with what the rig measures: when it decodes again
 * after an incident, its longest gap, and its questions, each retried with the
 * same key until acknowledged, as the viewer's outbox does.
 */
export class RigClassroom {
  readonly peer: ClassroomPeer;
  /** Idempotency key → question id, for every acknowledged question. */
  readonly acked = new Map<string, string>();
  /** Its socket's last status changes (monoMs, status, retry, why), for a classroom left stuck. */
  readonly statusLog: { at: number; status: string; attempt: number; error: string | null }[] = [];
  #watch: {
    since: number;
    setups: number;
    keySeen: boolean;
    framesAtKey: number;
    recoveredAt: number | null;
    lastFrameAt: number;
    longestGap: number;
    /** When the longest wait ended (the frame after it). */
    longestGapEnd: number | null;
  } | null = null;

  constructor(opts: {
    index: number;
    baseUrl: string;
    eventId: string;
    token: string;
    onStep?: (step: string) => void;
  }) {
    this.peer = new ClassroomPeer({ ...opts, capture: () => null, serverSharesClock: false });
    // Every video packet, after the meter: a new stream decodes from its first key frame on.
    const meter = this.peer.meter;
    const onPacket = meter.onPacket.bind(meter);
    meter.onPacket = (buf, h, at = monoMs()) => {
      const framesBefore = meter.figures.frames;
      onPacket(buf, h, at);
      const w = this.#watch;
      if (!w) return;
      const setUpAgain = this.peer.figures.mediaSetups > w.setups;
      if (setUpAgain && !w.keySeen && readVp8(buf, h).keyFrame) {
        w.keySeen = true;
        w.framesAtKey = framesBefore;
      }
      if (meter.figures.frames === framesBefore) return;
      // A complete frame: decodable unless it belongs to a new stream not yet given a key frame.
      if (setUpAgain && !w.keySeen) return;
      if (at - w.lastFrameAt > w.longestGap) {
        w.longestGap = at - w.lastFrameAt;
        w.longestGapEnd = at;
      }
      w.lastFrameAt = at;
      if (setUpAgain && w.recoveredAt === null && meter.figures.frames > w.framesAtKey) {
        w.recoveredAt = at;
      }
    };
  }

  get signaling() {
    return this.peer.session.signaling;
  }

  async join(): Promise<void> {
    await this.peer.join();
    this.signaling.on('status', (info) => {
      this.statusLog.push({
        at: Math.round(monoMs()),
        status: info.status,
        attempt: info.attempt,
        error: info.error ? `${info.error.code}: ${info.error.message}` : null,
      });
      if (this.statusLog.length > 8) this.statusLog.shift();
    });
  }

  /** The incident watched from (monoMs), if any. */
  get watchedSince(): number | null {
    return this.#watch?.since ?? null;
  }

  /** Starts watching from an incident at `since` (monoMs). */
  watchFrom(since: number): void {
    this.#watch = {
      since,
      setups: this.peer.figures.mediaSetups,
      keySeen: false,
      framesAtKey: 0,
      recoveredAt: null,
      lastFrameAt: since,
      longestGap: 0,
      longestGapEnd: null,
    };
  }

  /** What the watch saw, up to `now` (a gap still open counts up to now). */
  recovery(now = monoMs()): Recovery {
    const w = this.#watch;
    if (!w) throw new Error('not watching');
    const longestGapMs = Math.max(w.longestGap, now - w.lastFrameAt);
    if (this.peer.figures.mediaSetups > w.setups) {
      return {
        affected: true,
        recoveredMs: w.recoveredAt === null ? null : w.recoveredAt - w.since,
        longestGapMs,
      };
    }
    const stalled = longestGapMs > STALL_MS;
    const ended = w.longestGap === longestGapMs && w.longestGapEnd !== null;
    return {
      affected: stalled,
      recoveredMs: stalled && ended ? (w.longestGapEnd as number) - w.since : null,
      longestGapMs,
    };
  }

  /** Decoding frames now (the last one within `withinMs`). */
  decoding(withinMs = 1000): boolean {
    const last = this.peer.meter.figures.lastFrameMs;
    return last !== null && monoMs() - last < withinMs;
  }

  /** A question every `everyMs` (± half) while `running()`, each retried with its key until acknowledged. */
  async ask(running: () => boolean, everyMs: number): Promise<void> {
    let n = 0;
    while (running()) {
      const idempotencyKey = key();
      n += 1;
      for (;;) {
        try {
          const { question } = await this.signaling.request('question.submit', {
            idempotencyKey,
            text: `Question ${n} : quelles études pour ce métier ?`,
            category: 'training_path',
          });
          this.acked.set(idempotencyKey, question.id);
          break;
        } catch {
          // Not acknowledged: sent again with the same key once the socket is back.
          if (!running()) break;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
      await new Promise((r) => setTimeout(r, everyMs * (0.5 + Math.random())));
    }
  }

  close(): void {
    this.peer.close();
  }
}

/** Waits until every watched classroom that was affected decodes again, or `timeoutMs`. */
export async function recoveries(
  classrooms: RigClassroom[],
  since: number,
  opts: { settleMs: number; timeoutMs: number },
): Promise<Recovery[]> {
  // Give the incident time to be noticed (a dead node is told within seconds), then wait.
  while (monoMs() - since < opts.settleMs) await new Promise((r) => setTimeout(r, 50));
  while (monoMs() - since < opts.timeoutMs) {
    const all = classrooms.map((c) => c.recovery());
    if (all.every((r) => !r.affected || r.recoveredMs !== null)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return classrooms.map((c) => c.recovery());
}

/** Of the acknowledged questions, those in PostgreSQL under the id the client was given. */
export async function storedOf(sql: Sql, acked: Map<string, string>): Promise<number> {
  const rows = await sql<{ id: string; idempotency_key: string }[]>`
    select id, idempotency_key from questions`;
  const stored = new Map(rows.map((r) => [r.idempotency_key, r.id]));
  return [...acked].filter(([k, id]) => stored.get(k) === id).length;
}

export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
}

/**
 * Which sockets an incident cut (they left 'open') and when each joined again
 * (through HAProxy, on another instance), on the simulator's clock.
 */
export class SocketReturns {
  readonly cut = new Set<number>();
  /** Socket index → when it joined again. */
  readonly back = new Map<number, number>();
  readonly #unwatch: (() => void)[];

  constructor(readonly sockets: SignalingClient[]) {
    this.#unwatch = sockets.flatMap((s, i) => [
      s.on('status', (info) => {
        if (info.status !== 'open') this.cut.add(i);
      }),
      s.on('joined', (_join, reconnected) => {
        if (reconnected && this.cut.has(i) && !this.back.has(i)) this.back.set(i, monoMs());
      }),
    ]);
  }

  /** Until some socket was cut and every cut one is back, or `deadline` (monoMs); then stops watching. */
  async settle(deadline: number): Promise<void> {
    while (
      monoMs() < deadline &&
      (this.cut.size === 0 || [...this.cut].some((i) => !this.back.has(i)))
    )
      await new Promise((r) => setTimeout(r, 50));
    for (const u of this.#unwatch) u();
  }
}
