import type { Logger } from 'pino';
import type { Broadcast } from '../Broadcast.ts';
import { HlsEgress, type HlsEgressOptions } from './HlsEgress.ts';

export type HlsHubOptions = Omit<HlsEgressOptions, 'logger'> & {
  logger: Logger;
  /** The event's broadcast (created or already running). */
  broadcastOf: (eventId: string) => Promise<Broadcast>;
  /** An egress nobody asked a playlist of for this long stops (default 30 s). */
  idleMs?: number;
};

/**
 * One LL-HLS egress per broadcast, whatever the number of classes on it:
 * started by the first class that asks, stopped when no class has asked for a
 * playlist for `idleMs`, or with its broadcast.
 */
export class HlsHub {
  readonly #options: HlsHubOptions;
  readonly #egresses = new Map<string, Promise<HlsEgress>>();
  readonly #lastAsked = new Map<string, number>();
  readonly #idleMs: number;
  readonly #sweep: NodeJS.Timeout;

  constructor(options: HlsHubOptions) {
    this.#options = options;
    this.#idleMs = options.idleMs ?? 30_000;
    this.#sweep = setInterval(() => this.#closeIdle(), Math.min(5000, this.#idleMs / 2));
    this.#sweep.unref();
  }

  /** The event's egress, started if needed; counts as a class asking. */
  egress(eventId: string): Promise<HlsEgress> {
    this.#lastAsked.set(eventId, Date.now());
    let egress = this.#egresses.get(eventId);
    if (!egress) {
      const { broadcastOf, idleMs: _idle, ...egressOptions } = this.#options;
      egress = broadcastOf(eventId).then((b) => HlsEgress.start(b, egressOptions));
      this.#egresses.set(eventId, egress);
      egress.then(
        (e) =>
          e.once('close', () => {
            if (this.#egresses.get(eventId) === egress) this.#egresses.delete(eventId);
          }),
        () => {
          if (this.#egresses.get(eventId) === egress) this.#egresses.delete(eventId);
        },
      );
    }
    return egress;
  }

  /** The running egress whose media path is `key` (parts are asked for by it, without a token). */
  async byKey(eventId: string, key: string): Promise<HlsEgress | undefined> {
    const egress = await this.#egresses.get(eventId)?.catch(() => undefined);
    return egress && egress.key === key && !egress.closed ? egress : undefined;
  }

  /** Egresses running now (one per broadcast). */
  get running(): number {
    return this.#egresses.size;
  }

  close(): void {
    clearInterval(this.#sweep);
    for (const egress of this.#egresses.values())
      void egress.then(
        (e) => e.close(),
        () => {},
      );
    this.#egresses.clear();
  }

  #closeIdle(): void {
    const now = Date.now();
    for (const [eventId, egress] of this.#egresses) {
      if (now - (this.#lastAsked.get(eventId) ?? 0) < this.#idleMs) continue;
      this.#egresses.delete(eventId);
      this.#lastAsked.delete(eventId);
      void egress.then(
        (e) => e.close(),
        () => {},
      );
    }
  }
}
