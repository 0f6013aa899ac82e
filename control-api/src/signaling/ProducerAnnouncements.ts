import type { ServerEvent } from '@amphi/protocol';

type ProducerPush = Extract<
  ServerEvent,
  { event: 'media.producerAdded' } | { event: 'media.producerClosed' }
>;

/** Whether a push is a producer's opening or closing (what this class orders). */
export function isProducerPush(push: ServerEvent): push is ProducerPush {
  return push.event === 'media.producerAdded' || push.event === 'media.producerClosed';
}

/**
 * The event's producers as one socket is told of them: each exactly once,
 * in its join state or by an announcement, never both, never neither.
 *
 * The room announces to a socket from its connection on, while its join reads
 * the producers at some moment of its answer; the answer's state replaces
 * whatever the client had. An announcement sent while a join is answered
 * reaches the client before the state it would apply to: dropped (the sdk has
 * no view yet) or overwritten by it, a producer opened after the read is never
 * told. One of a producer the state lists, coming after the answer (the bus
 * slower than the join), tells it twice. So announcements wait while a join
 * is answered, and the opening of a producer the socket was already told of is
 * dropped. Closings always go (a client forgets a producer it did not know).
 * Before its first join a socket is told as it comes (a client may not join).
 */
export class ProducerAnnouncements {
  /** Pushes held while a join is answered; null otherwise. */
  #held: { push: ProducerPush; frame: Buffer }[] | null = null;
  /** The producers this socket was told of (its last join state, then announcements). */
  readonly #told = new Set<string>();
  readonly #send: (frame: Buffer) => void;

  constructor(send: (frame: Buffer) => void) {
    this.#send = send;
  }

  /** A join is being answered: announcements wait for its answer. */
  joining(): void {
    this.#held ??= [];
  }

  /** The join was answered with these producers: they are told; what waited goes, in order. */
  joined(listed: readonly { producerId: string }[]): void {
    this.#told.clear();
    for (const p of listed) this.#told.add(p.producerId);
    this.#release();
  }

  /** The join failed: what waited goes as it is (the client's state is what it was). */
  failed(): void {
    this.#release();
  }

  /** An announcement for this socket: sent now, held, or dropped (already told). */
  offer(push: ProducerPush, frame: Buffer): void {
    if (this.#held) this.#held.push({ push, frame });
    else this.#deliver(push, frame);
  }

  #release(): void {
    const held = this.#held ?? [];
    this.#held = null;
    for (const { push, frame } of held) this.#deliver(push, frame);
  }

  #deliver(push: ProducerPush, frame: Buffer): void {
    const { producerId } = push.data;
    if (push.event === 'media.producerAdded') {
      if (this.#told.has(producerId)) return;
      this.#told.add(producerId);
    } else {
      this.#told.delete(producerId);
    }
    this.#send(frame);
  }
}
