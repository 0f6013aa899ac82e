import { inboundKind } from '@amphi/sdk';

/**
 * The class's own watch over its line, which steps the picture down a
 * simulcast layer as soon as the line chokes, before the server's bandwidth
 * estimate does, and keeps it there a while.
 *
 * Why: the media server picks each class's layer from its send-side estimate
 * (GoogCC), which falls about once a second while a thin school line's queue
 * overflows: the class saw its picture stand still 0.8-1.6 s at a step down
 * on a 500 kbit/s line, and again each time the estimate climbed back above
 * the line and the server tried the top layer once more. The class sees its
 * line drop packets at once (its receive transport's counters): a burst of
 * losses, a fifth of the packets or more, is a full line, where a lossy but
 * uncongested line (a few percent, which NACK and RTX repair) is not. Sooner
 * still, before any loss, a line the picture overflows delivers each frame's
 * packets one behind the other at its own rate (see BUSY). A rising arrival
 * delay (each frame's last packet later after its capture) would say it too,
 * but a busy speaker's encoder looks the same from here: measured on this
 * project's loaded test machine, it stepped classes down on open lines.
 *
 * It steps to the lowest layer at once: on a 500 kbit/s line whose queue
 * holds 200 ms, the middle layer's key frame (sent as one burst) was cut
 * again and again, and the picture stood still 1.7 and 3.1 s before the
 * middle layer showed; the lowest layer's key frame fits. Then it stays there
 * a while (a steady, softer picture rather than a freeze every few seconds),
 * and lets the server try one layer up at a time; a line that chokes again
 * soon after a try waits twice as long before the next.
 */

/** The receive transport's video counters, summed over its pictures. */
export interface LineReading {
  at: number;
  received: number;
  lost: number;
  /** The widest picture received now (0: none). */
  width: number;
  /** Frames received, and of them those in several packets with the seconds from each one's first packet to its last. */
  frames?: number;
  assembled?: number;
  assemblySeconds?: number;
}

/**
 * A reading of the receive transport's `getStats()` entries at `at`: its
 * pictures' streams only (inboundKind), not the bandwidth probes beside them,
 * whose losses on a thin line are no picture choking.
 */
export function readLine(entries: Iterable<Record<string, unknown>>, at: number): LineReading {
  const reading = {
    at,
    received: 0,
    lost: 0,
    width: 0,
    frames: 0,
    assembled: 0,
    assemblySeconds: 0,
  } satisfies LineReading;
  for (const r of entries) {
    if (inboundKind(r) !== 'video') continue;
    reading.received += Number(r.packetsReceived ?? 0);
    reading.lost += Number(r.packetsLost ?? 0);
    reading.width = Math.max(reading.width, Number(r.frameWidth ?? 0));
    reading.frames += Number(r.framesReceived ?? 0);
    reading.assembled += Number(r.framesAssembledFromMultiplePackets ?? 0);
    reading.assemblySeconds += Number(r.totalAssemblyTime ?? 0);
  }
  return reading;
}

export interface LayerGuardOptions {
  /** Simulcast layers the speakers send (0 the lowest). */
  layers: number;
  /** How long a step down is kept before one layer up is tried again. */
  holdMs?: number;
  /** The longest it is kept (each choke soon after a try doubles the hold). */
  maxHoldMs?: number;
}

/** A full line: this many packets lost within WINDOW_MS, and this share of them... */
const LOSS_PACKETS = 8;
const LOSS_SHARE = 0.2;
const WINDOW_MS = 600;
/**
 * ...or its packets coming one behind the other all the time: each frame's
 * time from its first packet to its last, times the frames a second. A line
 * wider than the picture hands each frame on in a burst (0 to 0.1, measured
 * each second, on a busy machine too); a line the picture overflows spreads
 * each frame at the line's rate before its queue overflows and drops packets
 * (0.4-0.6, then 2.5-5.4, over the first two seconds at 500 kbit/s).
 */
const BUSY = 1;
const BUSY_MIN_FRAMES = 2;
/**
 * Read over a shorter time than losses: a frame counts once complete, and the
 * few frames between the line's filling and its first drops are what tells.
 */
const BUSY_WINDOW_MS = 400;
/** After a change, the server switches on the next key frame and the queue drains: wait. */
const SETTLE_MS = 2000;
/** A choke this soon after a try up means the line cannot carry that layer yet. */
const RETRY_FAILED_MS = 10_000;

export type GuardReason = 'loss' | 'busy' | 'try-up';

export class LayerGuard {
  readonly #layers: number;
  readonly #baseHoldMs: number;
  readonly #maxHoldMs: number;
  readonly #readings: LineReading[] = [];
  /** The widest picture seen: the top layer's width (as far as this class knows). */
  #maxWidth = 0;
  /** The highest layer asked for (null: as the server's estimate allows). */
  #cap: number | null = null;
  #quietUntil = 0;
  #releaseAt = 0;
  #holdMs: number;
  #triedUpAt = Number.NEGATIVE_INFINITY;
  /** Why the last change was made (for logs and tests). */
  lastReason: GuardReason | null = null;

  constructor(opts: LayerGuardOptions) {
    this.#layers = opts.layers;
    this.#baseHoldMs = opts.holdMs ?? 40_000;
    this.#maxHoldMs = opts.maxHoldMs ?? 320_000;
    this.#holdMs = this.#baseHoldMs;
  }

  get cap(): number | null {
    return this.#cap;
  }

  /**
   * One reading of the line; the cap to ask the server for now: a layer (the
   * highest it may send), null (follow the estimate alone), or undefined
   * (nothing to change).
   */
  read(r: LineReading): number | null | undefined {
    this.#maxWidth = Math.max(this.#maxWidth, r.width);
    this.#readings.push(r);
    while ((this.#readings[0]?.at ?? r.at) < r.at - WINDOW_MS) this.#readings.shift();
    if (r.at < this.#quietUntil) return undefined;
    const first = this.#readings[0] as LineReading;
    const lost = r.lost - first.lost;
    const expected = lost + (r.received - first.received);
    const lossy = lost >= LOSS_PACKETS && lost / expected >= LOSS_SHARE;
    const recent = this.#readings.find((x) => x.at >= r.at - BUSY_WINDOW_MS) ?? first;
    const busy = this.#busy(recent, r) >= BUSY;
    if (lossy || busy) {
      // Straight to the lowest layer: its key frame (a few kilobytes) gets through
      // a full line's short queue, where the middle layer's (tens of kilobytes,
      // sent as one burst) was cut again and again while the picture stood still.
      if (this.#layerOf(r.width) === 0 || this.#cap === 0) return undefined;
      // A choke soon after a try up: that layer does not fit yet, wait longer.
      this.#holdMs =
        r.at - this.#triedUpAt < RETRY_FAILED_MS
          ? Math.min(this.#holdMs * 2, this.#maxHoldMs)
          : this.#baseHoldMs;
      this.lastReason = lossy ? 'loss' : 'busy';
      return this.#set(0, r.at);
    }
    if (this.#cap !== null && r.at >= this.#releaseAt) {
      this.#triedUpAt = r.at;
      this.lastReason = 'try-up';
      return this.#set(this.#cap + 1 >= this.#layers - 1 ? null : this.#cap + 1, r.at);
    }
    return undefined;
  }

  #set(cap: number | null, now: number): number | null {
    this.#cap = cap;
    this.#quietUntil = now + SETTLE_MS;
    this.#releaseAt = now + this.#holdMs;
    this.#readings.length = 0;
    return cap;
  }

  /** How busy the line was delivering the picture between two readings (see BUSY). */
  #busy(a: LineReading, b: LineReading): number {
    const assembled = (b.assembled ?? 0) - (a.assembled ?? 0);
    const frames = (b.frames ?? 0) - (a.frames ?? 0);
    if (assembled < BUSY_MIN_FRAMES || b.at <= a.at) return 0;
    const perFrame = ((b.assemblySeconds ?? 0) - (a.assemblySeconds ?? 0)) / assembled;
    return (perFrame * frames * 1000) / (b.at - a.at);
  }

  /** The layer of a picture this wide, against the widest seen (each layer half the next). */
  #layerOf(width: number): number {
    if (width <= 0 || this.#maxWidth <= 0) return this.#layers - 1;
    const below = Math.round(Math.log2(this.#maxWidth / width));
    return Math.max(0, Math.min(this.#layers - 1, this.#layers - 1 - below));
  }
}
