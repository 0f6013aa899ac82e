/** What a `SilenceWatch` reads, how often, and whom it tells. */
export interface SilenceWatchOptions {
  read: () => Promise<number | null>;
  silenceMs: number;
  intervalMs: number;
  onSilent: () => void;
  now?: () => number;
}

/**
 * Watches a counter that moves while media arrives (a receive transport's
 * RTP packets) and says once when it has stood still for `silenceMs`: a path
 * cut mid-talk (a school's firewall closing on UDP) is known this way within
 * a couple of seconds, where the browser's ICE took 6 s to call it
 * disconnected in the school rig (and longer still to call it failed). Said once per silence: it is
 * said again only after the counter has moved again.
 *
 * `read` gives the counter, or null while there is nothing to watch (no
 * transport carrying media, the signaling socket down): the silence is
 * counted from when there is something to watch again.
 */
export class SilenceWatch {
  readonly #options: SilenceWatchOptions;
  readonly #now: () => number;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #last: number | null = null;
  /** Since when nothing has moved (or since when there is something to watch). */
  #quietFrom = 0;
  #said = false;
  #closed = false;

  constructor(options: SilenceWatchOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#schedule();
  }

  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => void this.#tick(), this.#options.intervalMs);
  }

  async #tick(): Promise<void> {
    let value: number | null = null;
    try {
      value = await this.#options.read();
    } catch {
      // A transport closing under us: as if there were nothing to watch.
    }
    if (this.#closed) return;
    const now = this.#now();
    if (value === null) {
      this.#last = null;
    } else if (this.#last === null) {
      this.#last = value;
      this.#quietFrom = now;
      this.#said = false;
    } else if (value !== this.#last) {
      // Moved (a new transport's counter starts again from zero: that moves too).
      this.#last = value;
      this.#quietFrom = now;
      this.#said = false;
    } else if (!this.#said && now - this.#quietFrom >= this.#options.silenceMs) {
      this.#said = true;
      this.#options.onSilent();
    }
    this.#schedule();
  }
}
