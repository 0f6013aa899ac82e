import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  PipeAnswer,
  PipeOffer,
  type PipeProducer,
  PipeUpdate,
  type ProducerSource,
} from '@amphi/protocol';
import type { types } from 'mediasoup';
import type { Logger } from 'pino';
import type { Broadcast, ProducerDescription } from '../Broadcast.ts';
import { PipeLink, type PipeOptions } from './PipeLink.ts';

/** What a broadcast lends its pipes: its origin router and a way to publish there. */
export type PipeHost = {
  eventId: string;
  router: types.Router;
  broadcast: Broadcast;
  publish(producer: types.Producer, participantId: string, source: ProducerSource): void;
  logger: Logger;
};

export type BroadcastPipeOptions = PipeOptions & {
  /**
   * Delivers the updates meant for the other node, in order: the control
   * plane carries them, and the other node passes each to its pipe's apply().
   * On the offering side they start once connect() is done.
   */
  send: (update: PipeUpdate) => void;
};

/**
 * 'origin': the offering side, nearer the speakers; it sends speakers' media
 * down and receives the stage classroom's camera from below. 'edge': the
 * accepting side; classrooms are served here, and a classroom on stage here
 * goes up.
 */
export type PipeSide = 'origin' | 'edge';

export type BroadcastPipeEvents = {
  /** The link has carried nothing for a while (heartbeat included): the other node or the path is gone. */
  dead: [{ silentMs: number }];
  alive: [];
  /** `remote`: the other node closed its end (or the link was lost with the router here when false). */
  close: [{ reason: string; remote: boolean }];
};

export type BroadcastPipeStats = {
  pipeId: string;
  side: PipeSide;
  connected: boolean;
  dead: boolean;
  /** Producers this node sends through the pipe, and those it receives from it. */
  sent: number;
  received: number;
  localPort: number;
  remote: { ip: string; port: number } | undefined;
  srtp: boolean;
  bytesSent: number;
  rtpBytesReceived: number;
};

/**
 * A broadcast spanning two media nodes: the producers that cross one pipe
 * link, kept in step on both sides. The offering side (origin, or an edge
 * feeding further edges) sends every speaker's producer, those that appear
 * later too (a speaker who starts sharing a screen), and tells when one closes
 * or pauses; the accepting side produces each with the same id on its own
 * broadcast's origin router and publishes it there, so classrooms on that node
 * consume exactly as from a local speaker, and that broadcast can offer pipes
 * further (a tree). A classroom on stage on the accepting side goes up the
 * same way. Closing one side closes the link (its transport, every pipe
 * producer and consumer on it, so consumers get producerclose) and tells the
 * other side, which closes its end.
 */
export class BroadcastPipe extends EventEmitter<BroadcastPipeEvents> {
  readonly pipeId: string;
  readonly side: PipeSide;
  readonly link: PipeLink;
  readonly #host: PipeHost;
  readonly #send: (update: PipeUpdate) => void;
  readonly #logger: Logger;
  /** Producer id -> its pipe consumer here (sent), once made. */
  readonly #sent = new Map<string, Promise<types.Consumer | undefined>>();
  /** Producer id -> the pipe producer made here (received). */
  readonly #received = new Map<string, Promise<types.Producer | undefined>>();
  /** Updates held until the link is connected (offering side only). */
  #held: PipeUpdate[] | undefined;
  /** Updates from the other node are applied one at a time, in order. */
  #applying: Promise<void> = Promise.resolve();
  #closed = false;
  readonly #onNewProducer = (p: ProducerDescription) => {
    if (this.#sends(p)) void this.#sendProducer(p, false);
  };

  /**
   * Opens a pipe on the host's origin router and describes it for the other
   * node, with every producer the host has to send now.
   */
  static async offer(
    host: PipeHost,
    options: BroadcastPipeOptions,
  ): Promise<{ pipe: BroadcastPipe; offer: PipeOffer }> {
    const link = await PipeLink.open(host.router, options);
    const pipe = new BroadcastPipe(host, link, randomUUID(), 'origin', options);
    try {
      const producers = await pipe.#sendInitial();
      const offer = PipeOffer.parse({
        pipeId: pipe.pipeId,
        eventId: host.eventId,
        endpoint: link.endpoint,
        heartbeat: await link.heartbeat(),
        producers,
      });
      return { pipe, offer };
    } catch (error) {
      pipe.close('offer failed', true);
      throw error;
    }
  }

  /**
   * Accepts another node's offer on the host's origin router: connects to it,
   * produces and publishes what it sends, and answers with this end.
   */
  static async accept(
    host: PipeHost,
    offerInput: PipeOffer,
    options: BroadcastPipeOptions,
  ): Promise<{ pipe: BroadcastPipe; answer: PipeAnswer }> {
    const offer = PipeOffer.parse(offerInput);
    const link = await PipeLink.open(host.router, options);
    const pipe = new BroadcastPipe(host, link, offer.pipeId, 'edge', options);
    try {
      await link.connect(offer.endpoint, offer.heartbeat);
      await Promise.all(offer.producers.map((p) => pipe.#receive(p)));
      const answer = PipeAnswer.parse({
        pipeId: pipe.pipeId,
        endpoint: link.endpoint,
        heartbeat: await link.heartbeat(),
      });
      // A classroom already on stage here goes up as an update.
      for (const p of host.broadcast.producers)
        if (pipe.#sends(p)) void pipe.#sendProducer(p, false);
      return { pipe, answer };
    } catch (error) {
      pipe.close('accept failed', true);
      throw error;
    }
  }

  private constructor(
    host: PipeHost,
    link: PipeLink,
    pipeId: string,
    side: PipeSide,
    options: BroadcastPipeOptions,
  ) {
    super();
    this.#host = host;
    this.link = link;
    this.pipeId = pipeId;
    this.side = side;
    this.#send = options.send;
    this.#logger = host.logger.child({ pipeId, side });
    // The offering side holds its updates until the other node has its end (connect).
    this.#held = side === 'origin' ? [] : undefined;
    host.broadcast.on('newproducer', this.#onNewProducer);
    link.on('dead', (e) => {
      this.#logger.warn(e, 'pipe link silent: reported dead');
      this.emit('dead', e);
    });
    link.on('alive', () => {
      this.#logger.info('pipe link alive again');
      this.emit('alive');
    });
    // The router here went (broadcast closed, origin worker died): the other side is told.
    link.once('close', ({ reason }) => this.close(reason));
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Whether this producer came through this pipe (made here with the other
   * node's id): the node where it was made announces it, not this one.
   */
  receives(producerId: string): boolean {
    return this.#received.has(producerId);
  }

  /** Offering side: connects to the answer's end; held updates go out after. */
  async connect(answerInput: PipeAnswer): Promise<void> {
    const answer = PipeAnswer.parse(answerInput);
    if (answer.pipeId !== this.pipeId) throw new Error(`answer for pipe ${answer.pipeId}`);
    await this.link.connect(answer.endpoint, answer.heartbeat);
    const held = this.#held ?? [];
    this.#held = undefined;
    for (const update of held) this.#deliver(update);
  }

  /** Applies an update from the other node (in the order it sent them). */
  apply(updateInput: PipeUpdate): Promise<void> {
    const update = PipeUpdate.parse(updateInput);
    if (update.pipeId !== this.pipeId) {
      return Promise.reject(new Error(`update for pipe ${update.pipeId}`));
    }
    const applying = this.#applying.then(() => this.#apply(update));
    this.#applying = applying.catch((error) =>
      this.#logger.warn({ err: error, type: update.type }, 'pipe update failed'),
    );
    return applying;
  }

  async stats(): Promise<BroadcastPipeStats> {
    const [s] = await this.link.transport.getStats().catch(() => []);
    const t = this.link.transport;
    return {
      pipeId: this.pipeId,
      side: this.side,
      connected: this.link.connected,
      dead: this.link.dead,
      sent: this.#sent.size,
      received: this.#received.size,
      localPort: t.tuple.localPort,
      remote:
        this.link.connected && t.tuple.remoteIp
          ? { ip: t.tuple.remoteIp, port: t.tuple.remotePort ?? 0 }
          : undefined,
      srtp: t.srtpParameters !== undefined,
      bytesSent: s?.bytesSent ?? 0,
      rtpBytesReceived: s?.rtpBytesReceived ?? 0,
    };
  }

  /**
   * Closes this end: every pipe producer made here closes (their consumers get
   * producerclose), and so does every pipe consumer; the other node is told
   * unless it closed first.
   */
  close(reason = 'closed', remote = false): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#host.broadcast.off('newproducer', this.#onNewProducer);
    if (!remote) {
      // Straight out, even before connect: the other node may have acted on the offer.
      try {
        this.#send({ type: 'close', pipeId: this.pipeId, reason });
      } catch (error) {
        this.#logger.warn({ err: error }, 'pipe close not delivered');
      }
    }
    this.link.close(reason);
    this.#sent.clear();
    this.#received.clear();
    this.#logger.info({ reason, remote }, 'pipe closed');
    this.emit('close', { reason, remote });
  }

  /** Speakers' media goes down; the stage classroom's camera goes up. */
  #sends(p: ProducerDescription): boolean {
    return this.side === 'origin' ? p.source !== 'stage' : p.source === 'stage';
  }

  async #sendInitial(): Promise<PipeProducer[]> {
    const initial = this.#host.broadcast.producers.filter((p) => this.#sends(p));
    const sent = await Promise.all(initial.map((p) => this.#sendProducer(p, true)));
    return sent.filter((p): p is PipeProducer => p !== undefined);
  }

  /**
   * Makes a pipe consumer for a producer and, unless it goes in the offer,
   * tells the other node; its close, pause and resume follow as updates.
   */
  async #sendProducer(p: ProducerDescription, initial: boolean): Promise<PipeProducer | undefined> {
    if (this.#closed || this.#sent.has(p.id)) return undefined;
    let resolve!: (c: types.Consumer | undefined) => void;
    this.#sent.set(p.id, new Promise((r) => (resolve = r)));
    let sent: Awaited<ReturnType<PipeLink['send']>>;
    try {
      sent = await this.link.send(p.id, { participantId: p.participantId, source: p.source });
    } catch (error) {
      // Closed in the meantime: nothing to tell.
      this.#logger.debug({ err: error, producerId: p.id }, 'producer not piped');
      this.#sent.delete(p.id);
      resolve(undefined);
      return undefined;
    }
    const { consumer, producer } = sent;
    resolve(consumer);
    const tell = (type: 'producerclose' | 'producerpause' | 'producerresume') => {
      if (!this.#closed) this.#deliver({ type, pipeId: this.pipeId, producerId: p.id });
    };
    consumer.observer.once('close', () => {
      if (this.#sent.delete(p.id)) tell('producerclose');
    });
    consumer.on('producerpause', () => tell('producerpause'));
    consumer.on('producerresume', () => tell('producerresume'));
    if (!initial) this.#deliver({ type: 'producer', pipeId: this.pipeId, producer });
    return producer;
  }

  #deliver(update: PipeUpdate): void {
    if (this.#closed) return;
    if (this.#held) {
      this.#held.push(update);
      return;
    }
    try {
      this.#send(update);
    } catch (error) {
      this.#logger.warn({ err: error, type: update.type }, 'pipe update not delivered');
    }
  }

  async #apply(update: PipeUpdate): Promise<void> {
    if (this.#closed) return;
    switch (update.type) {
      case 'producer':
        await this.#receive(update.producer);
        return;
      case 'producerclose':
        (await this.#received.get(update.producerId))?.close();
        return;
      case 'producerpause':
        await (await this.#received.get(update.producerId))?.pause();
        return;
      case 'producerresume':
        await (await this.#received.get(update.producerId))?.resume();
        return;
      case 'close':
        this.close(update.reason, true);
        return;
    }
  }

  /** Produces what the other node sends and publishes it on this node's broadcast. */
  #receive(p: PipeProducer): Promise<types.Producer | undefined> {
    const existing = this.#received.get(p.id);
    if (existing) return existing;
    const receiving = this.link.receive(p).then(
      (producer) => {
        if (this.#closed) {
          producer.close();
          return undefined;
        }
        producer.observer.once('close', () => this.#received.delete(p.id));
        this.#host.publish(producer, p.participantId, p.source);
        return producer;
      },
      (error: unknown) => {
        this.#received.delete(p.id);
        throw error;
      },
    );
    this.#received.set(p.id, receiving);
    return receiving;
  }
}
