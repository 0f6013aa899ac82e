import { performance } from 'node:perf_hooks';

export interface ChannelLivenessOptions {
  /** How often the peer is pinged. */
  pingMs: number;
  /** No frame from the peer for this long (of this process's own running time): it is lost. */
  silenceMs: number;
  ping: () => void;
  /** The peer is lost; `silentMs` is the wall-clock time since its last frame. */
  silent: (silentMs: number) => void;
  /** A silence of over two thirds of `silenceMs` that ended (a near miss), for the logs. */
  quiet?: (silentMs: number) => void;
  /** This process's timer fired over a third of `silenceMs` late: that time was not counted. */
  stalled?: (lateMs: number) => void;
}

/**
 * Whether a peer at the other end of a channel is still there, from its
 * silence alone: a host cut off the network sends no close, no reset.
 *
 * A busy event loop here must not kill a healthy peer: while this process
 * runs nothing (a long synchronous task, a starved CPU), the peer's pongs
 * wait unread in the socket and no ping leaves. So the time this process's
 * timer fired late is not counted as silence, and the verdict is given after
 * the loop has read what arrived meanwhile (setImmediate, after the poll
 * phase), not in the timer callback that runs first after a stall.
 */
export class ChannelLiveness {
  readonly #opts: ChannelLivenessOptions;
  #timer: ReturnType<typeof setInterval> | null = null;
  #heardAt = 0;
  #tickAt = 0;
  /** Time since the last frame during which this process could not hear (its timer late). */
  #deafMs = 0;
  #longestSilenceMs = 0;
  #longestStallMs = 0;
  #stopped = false;

  constructor(opts: ChannelLivenessOptions) {
    this.#opts = opts;
  }

  /** Starts pinging (the channel is open). */
  start(): void {
    if (this.#timer || this.#stopped) return;
    const now = performance.now();
    this.#heardAt = now;
    this.#tickAt = now;
    this.#timer = setInterval(() => this.#tick(), this.#opts.pingMs);
    this.#timer.unref();
  }

  /** A frame came from the peer (any: a pong, an answer, an event). */
  heard(): void {
    const now = performance.now();
    if (this.#timer) {
      const silent = now - this.#heardAt - this.#deafMs;
      this.#longestSilenceMs = Math.max(this.#longestSilenceMs, silent);
      if (silent > (this.#opts.silenceMs * 2) / 3) this.#opts.quiet?.(Math.round(silent));
    }
    this.#heardAt = now;
    this.#deafMs = 0;
  }

  /** The longest silence of the peer so far, this process's own stalls left out (ms). */
  get longestSilenceMs(): number {
    return this.#longestSilenceMs;
  }

  /** The longest this process's loop kept the ping timer waiting past its time (ms). */
  get longestStallMs(): number {
    return this.#longestStallMs;
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  #tick(): void {
    const now = performance.now();
    const late = Math.max(0, now - this.#tickAt - this.#opts.pingMs);
    this.#tickAt = now;
    this.#longestStallMs = Math.max(this.#longestStallMs, late);
    this.#deafMs += late;
    if (late > this.#opts.silenceMs / 3) this.#opts.stalled?.(Math.round(late));
    this.#opts.ping();
    setImmediate(() => {
      if (this.#stopped) return;
      const at = performance.now();
      if (at - this.#heardAt - this.#deafMs < this.#opts.silenceMs) return;
      this.stop();
      this.#opts.silent(Math.round(at - this.#heardAt));
    });
  }
}
