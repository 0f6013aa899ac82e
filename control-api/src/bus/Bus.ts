import type { BusMessage } from './BusMessage.ts';

export type BusHandler = (message: BusMessage) => void;

/**
 * Events between control-api instances. In-process when alone (LocalBus),
 * Redis when several instances share an event (RedisBus). Delivery is
 * asynchronous; a publisher receives its own messages too.
 */
export interface Bus {
  /** This instance's id, unique among the instances sharing the bus. */
  readonly instanceId: string;
  readonly closed: boolean;
  publish(message: BusMessage): Promise<void>;
  /** Returns a function that unsubscribes. */
  subscribe(handler: BusHandler): () => void;
  /** Stops delivery and releases connections. Idempotent. */
  close(): Promise<void>;
}
