import type { BusMessage } from './BusMessage.ts';

export type BusHandler = (message: BusMessage) => void;

/**
 * Messages of an event may have been lost (`eventId`), or of any event (null):
 * the bus was cut off from its peers, or its outbound queue overflowed. What a
 * subscriber shows must be read again from PostgreSQL, the source of truth.
 */
export type GapHandler = (eventId: string | null) => void;

/**
 * Events between control-api instances. In-process when alone (LocalBus),
 * Redis when several instances share an event (RedisBus). Delivery is
 * asynchronous; a publisher receives its own messages too.
 */
export interface Bus {
  /** This instance's id, unique among the instances sharing the bus. */
  readonly instanceId: string;
  readonly closed: boolean;
  /**
   * Queues the message for every instance and returns at once: a caller never
   * waits on the bus (an acknowledgement follows the PostgreSQL write, not
   * Redis). Messages from one instance are delivered in the order published.
   * Rejects only once the bus is closed.
   */
  publish(message: BusMessage): Promise<void>;
  /** Returns a function that unsubscribes. */
  subscribe(handler: BusHandler): () => void;
  /** Told when messages may have been lost; returns a function that unsubscribes. */
  onGap(handler: GapHandler): () => void;
  /** Resolves when the bus's server (Redis) answers on every connection; for /healthz. None in-process. */
  ping?(): Promise<void>;
  /** Stops delivery and releases connections. Idempotent. */
  close(): Promise<void>;
}
