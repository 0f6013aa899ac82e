import { EventEmitter } from 'node:events';
import type { types } from 'mediasoup';
import { mediaCodecs } from './mediaCodecs.ts';
import type { PoolWorker } from './WorkerPool.ts';

export type EdgeRouterEvents = {
  close: [];
};

/**
 * A router on one worker that classrooms consume from. The origin's producers
 * are piped into it (pipeToRouter keeps their ids), so the fan-out grows with
 * the audience across workers instead of loading the origin's worker.
 */
export class EdgeRouter extends EventEmitter<EdgeRouterEvents> {
  readonly router: types.Router;
  readonly poolWorker: PoolWorker;
  readonly #origin: types.Router;
  /** Origin producer id -> the pipe in progress or done, so each is piped once. */
  readonly #piped = new Map<string, Promise<void>>();
  #closed = false;

  static async create(poolWorker: PoolWorker, origin: types.Router): Promise<EdgeRouter> {
    const router = await poolWorker.worker.createRouter({
      mediaCodecs,
      appData: { role: 'edge' },
    });
    return new EdgeRouter(poolWorker, origin, router);
  }

  private constructor(poolWorker: PoolWorker, origin: types.Router, router: types.Router) {
    super();
    this.poolWorker = poolWorker;
    this.#origin = origin;
    this.router = router;
    router.observer.once('close', () => this.close());
  }

  get closed(): boolean {
    return this.#closed;
  }

  get workerIndex(): number {
    return this.poolWorker.index;
  }

  /** Makes an origin producer consumable here. */
  pipeFromOrigin(producerId: string): Promise<void> {
    let piping = this.#piped.get(producerId);
    if (!piping) {
      piping = this.#origin
        .pipeToRouter({ producerId, router: this.router })
        .then(({ pipeProducer }) => {
          pipeProducer?.observer.once('close', () => this.#piped.delete(producerId));
        });
      // A failed pipe may be retried by the next caller.
      piping.catch(() => this.#piped.delete(producerId));
      this.#piped.set(producerId, piping);
    }
    return piping;
  }

  /** Closing the router closes its transports, pipe producers and consumers. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.router.close();
    this.#piped.clear();
    this.emit('close');
  }
}
