import { randomUUID } from 'node:crypto';
import type { Bus, BusHandler, GapHandler } from './Bus.ts';
import type { BusMessage } from './BusMessage.ts';

/** The bus of a single instance: delivery is a microtask away. */
export class LocalBus implements Bus {
  readonly instanceId: string;
  readonly #handlers = new Set<BusHandler>();
  #closed = false;

  constructor(instanceId: string = randomUUID()) {
    this.instanceId = instanceId;
  }

  get closed(): boolean {
    return this.#closed;
  }

  async publish(message: BusMessage): Promise<void> {
    if (this.#closed) throw new Error('bus closed');
    queueMicrotask(() => {
      for (const handler of this.#handlers) handler(message);
    });
  }

  subscribe(handler: BusHandler): () => void {
    this.#handlers.add(handler);
    return () => this.#handlers.delete(handler);
  }

  /** In one process nothing is lost: never called. */
  onGap(_handler: GapHandler): () => void {
    return () => {};
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#handlers.clear();
  }
}
