import type { Logger } from 'pino';
import type { Broadcast } from '../Broadcast.ts';
import { MediaError } from '../MediaError.ts';
import { HlsEgress, type HlsEgressOptions } from './HlsEgress.ts';

export type HlsHubOptions = Omit<HlsEgressOptions, 'logger'> & {
  logger: Logger;
  /** The event's broadcast (created or already running). */
  broadcastOf: (eventId: string) => Promise<Broadcast>;
  /** An egress nobody asked a playlist of for this long stops (default 30 s). */
  idleMs?: number;
};

type Entry = {
  egress: Promise<HlsEgress>;
  /** Stops the egress, even while it starts. */
  stop: AbortController;
  /** Still starting: a class waits on it, so it is not idle. */
  starting: boolean;
};

/**
 * One LL-HLS egress per broadcast, whatever the number of classes on it:
 * started by the first class that asks, stopped when no class has asked for a
 * playlist for `idleMs` (counted from its start for the classes that waited
 * on it), or with its broadcast. close() stops every egress, those still
 * starting too (their askers get EGRESS_STOPPED).
 */
export class HlsHub {
  readonly #options: HlsHubOptions;
  readonly #egresses = new Map<string, Entry>();
  readonly #lastAsked = new Map<string, number>();
  readonly #idleMs: number;
  readonly #sweep: NodeJS.Timeout;
  #closed = false;

  constructor(options: HlsHubOptions) {
    this.#options = options;
    this.#idleMs = options.idleMs ?? 30_000;
    this.#sweep = setInterval(() => this.#closeIdle(), Math.min(5000, this.#idleMs / 2));
    this.#sweep.unref();
  }

  /** The event's egress, started if needed; counts as a class asking. */
  egress(eventId: string): Promise<HlsEgress> {
    if (this.#closed) {
      return Promise.reject(new MediaError('EGRESS_STOPPED', 'the HLS hub is closed'));
    }
    this.#lastAsked.set(eventId, Date.now());
    const known = this.#egresses.get(eventId);
    if (known) return known.egress;
    const { broadcastOf, idleMs: _idle, ...egressOptions } = this.#options;
    const stop = new AbortController();
    const egress = broadcastOf(eventId).then((b) =>
      HlsEgress.start(b, { ...egressOptions, signal: stop.signal }),
    );
    const entry: Entry = { egress, stop, starting: true };
    this.#egresses.set(eventId, entry);
    const forget = () => {
      if (this.#egresses.get(eventId) === entry) this.#egresses.delete(eventId);
    };
    egress.then((e) => {
      entry.starting = false;
      // The classes that waited got their answer now: idle from here.
      this.#lastAsked.set(eventId, Date.now());
      if (e.closed) forget();
      else e.once('close', forget);
    }, forget);
    return egress;
  }

  /** The running egress whose media path is `key` (parts are asked for by it, without a token). */
  async byKey(eventId: string, key: string): Promise<HlsEgress | undefined> {
    const egress = await this.#egresses.get(eventId)?.egress.catch(() => undefined);
    return egress && egress.key === key && !egress.closed ? egress : undefined;
  }

  /** Egresses running now (one per broadcast). */
  get running(): number {
    return this.#egresses.size;
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#sweep);
    for (const entry of this.#egresses.values()) HlsHub.#stop(entry);
    this.#egresses.clear();
  }

  static #stop(entry: Entry): void {
    entry.stop.abort();
    void entry.egress.then(
      (e) => e.close(),
      () => {},
    );
  }

  #closeIdle(): void {
    const now = Date.now();
    for (const [eventId, entry] of this.#egresses) {
      if (entry.starting) continue;
      if (now - (this.#lastAsked.get(eventId) ?? 0) < this.#idleMs) continue;
      this.#egresses.delete(eventId);
      this.#lastAsked.delete(eventId);
      HlsHub.#stop(entry);
    }
  }
}
