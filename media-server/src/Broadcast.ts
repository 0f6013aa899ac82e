import { EventEmitter } from 'node:events';
import {
  mayConsume,
  mayProduce,
  type PipeAnswer,
  type PipeOffer,
  producerRoleOf,
} from '@amphi/protocol';
import type { types } from 'mediasoup';
import type { Logger } from 'pino';
import { EdgeRouter } from './EdgeRouter.ts';
import { MediaError } from './MediaError.ts';
import { KEY_FRAME_REQUEST_DELAY_MS, mediaCodecs } from './mediaCodecs.ts';
import {
  type ParticipantRole,
  ParticipantSession,
  type TransportOptions,
} from './ParticipantSession.ts';
import { BroadcastPipe, type BroadcastPipeOptions, type PipeHost } from './pipe/BroadcastPipe.ts';
import type { PoolWorker, WorkerPool } from './WorkerPool.ts';

/** What a producer carries: a speaker's camera or screen, or the classroom on stage. */
export type ProducerSource = 'camera' | 'screen' | 'stage';

export type ProducerDescription = {
  id: string;
  kind: types.MediaKind;
  participantId: string;
  source: ProducerSource;
};

export type BroadcastEvents = {
  newproducer: [ProducerDescription];
  producerclose: [{ id: string }];
  /** A participant's media went with a dead worker: it must join again. */
  participantlost: [{ participantId: string; role: ParticipantRole }];
  /** The loudest speaker changed (multi-speaker sessions). */
  activespeaker: [{ participantId: string; producerId: string }];
  close: [];
};

export type BroadcastOptions = {
  eventId: string;
  pool: WorkerPool;
  logger: Logger;
  transportOptions: TransportOptions;
  /**
   * How long a lost origin may take to come back (a worker to restart, with
   * the pool's back-off) before the broadcast gives up and closes.
   */
  originRebuildTimeoutMs?: number;
  /** Speakers' producers forward at most one key-frame request per this long (KEY_FRAME_REQUEST_DELAY_MS). */
  keyFrameRequestDelayMs?: number;
};

type Origin = {
  router: types.Router;
  poolWorker: PoolWorker;
  activeSpeaker: types.ActiveSpeakerObserver;
};

/**
 * One live event's media. The origin router holds what speakers send; every
 * worker that serves classrooms gets an edge router fed from the origin by
 * pipeToRouter. A classroom on stage produces on its edge and that producer is
 * piped to the origin, where speakers and moderators consume it. Classrooms
 * never receive another classroom's video.
 *
 * close() closes the origin and every edge, and through them every transport,
 * producer and consumer the broadcast made.
 */
export class Broadcast extends EventEmitter<BroadcastEvents> {
  readonly eventId: string;
  readonly #pool: WorkerPool;
  readonly #logger: Logger;
  readonly #transportOptions: TransportOptions;
  #origin: Origin;
  /** Worker index -> this broadcast's edge router on that worker. */
  readonly #edges = new Map<number, Promise<EdgeRouter>>();
  readonly #sessions = new Map<string, ParticipantSession>();
  /** Producers consumable on the origin (speakers', ingest, piped stage producers). */
  readonly #producers = new Map<
    string,
    { description: ProducerDescription; producer: types.Producer }
  >();
  readonly #onWorkerRestarted = (poolWorker: PoolWorker) => this.#rebuildEdge(poolWorker);
  readonly #originRebuildTimeoutMs: number;
  readonly #keyFrameRequestDelayMs: number;
  /** The pipe from another node's broadcast, when this one is its edge. */
  #upstream: BroadcastPipe | undefined;
  /** Set while a lost origin is being rebuilt: joins wait for it. */
  #rebuilding: Promise<void> | undefined;
  #closed = false;

  static async create(options: BroadcastOptions): Promise<Broadcast> {
    const origin = await Broadcast.#createOrigin(options.pool.leastLoaded());
    return new Broadcast(options, origin);
  }

  static async #createOrigin(poolWorker: PoolWorker): Promise<Origin> {
    const router = await poolWorker.worker.createRouter({
      mediaCodecs,
      appData: { role: 'origin' },
    });
    const activeSpeaker = await router.createActiveSpeakerObserver({ interval: 300 });
    return { router, poolWorker, activeSpeaker };
  }

  private constructor(options: BroadcastOptions, origin: Origin) {
    super();
    this.eventId = options.eventId;
    this.#pool = options.pool;
    this.#logger = options.logger.child({ eventId: options.eventId });
    this.#transportOptions = options.transportOptions;
    this.#originRebuildTimeoutMs = options.originRebuildTimeoutMs ?? 20_000;
    this.#keyFrameRequestDelayMs = options.keyFrameRequestDelayMs ?? KEY_FRAME_REQUEST_DELAY_MS;
    this.#origin = origin;
    this.#watchOrigin();
    this.#pool.on('workerrestarted', this.#onWorkerRestarted);
  }

  get closed(): boolean {
    return this.#closed;
  }

  get rtpCapabilities(): types.RtpCapabilities {
    return this.#origin.router.rtpCapabilities;
  }

  /** Every producer consumable on the origin now (speakers', ingest, piped stage producers). */
  get producers(): ProducerDescription[] {
    return [...this.#producers.values()].map((p) => p.description);
  }

  /** Producers this participant may consume: classrooms never get another classroom's media. */
  producersFor(participantId: string): ProducerDescription[] {
    const session = this.#session(participantId);
    return [...this.#producers.values()]
      .map((p) => p.description)
      .filter((p) => p.participantId !== participantId && this.#mayConsume(session.role, p));
  }

  session(participantId: string): ParticipantSession | undefined {
    return this.#sessions.get(participantId);
  }

  /**
   * The router serving classrooms on each worker: an edge router, or on the
   * origin's own worker the origin itself (a pipe within one worker would
   * clash: piped producers keep their ids, unique per worker).
   */
  async edges(): Promise<{ workerIndex: number; routerId: string }[]> {
    const edges = await Promise.all(this.#edges.values());
    const origin = { workerIndex: this.#origin.poolWorker.index, routerId: this.#origin.router.id };
    const originServes = [...this.#sessions.values()].some(
      (s) => s.role === 'classroom' && s.router === this.#origin.router,
    );
    return [
      ...(originServes ? [origin] : []),
      ...edges.map((e) => ({ workerIndex: e.workerIndex, routerId: e.router.id })),
    ];
  }

  get originRouterId(): string {
    return this.#origin.router.id;
  }

  /**
   * Starts a participant's media session: speakers and moderators on the
   * origin, a classroom on an edge of the least-loaded worker. Joining again
   * replaces the previous session (a reconnecting client).
   */
  async join(participantId: string, role: ParticipantRole): Promise<ParticipantSession> {
    // A client told to reconnect may be back before the origin is.
    if (this.#rebuilding) await this.#rebuilding;
    this.#assertOpen();
    this.#sessions.get(participantId)?.close();
    let router: types.Router;
    let poolWorker: PoolWorker;
    if (role === 'classroom') {
      poolWorker = this.#pool.leastLoaded();
      // Counted now, before any await: a wave of joins must see each other's
      // placement, or they would all pick the same worker.
      poolWorker.classrooms++;
      try {
        router =
          poolWorker === this.#origin.poolWorker
            ? this.#origin.router
            : (await this.#edgeOn(poolWorker)).router;
      } catch (error) {
        poolWorker.classrooms--;
        throw error;
      }
    } else {
      router = this.#origin.router;
      poolWorker = this.#origin.poolWorker;
    }
    const session = new ParticipantSession({
      participantId,
      role,
      router,
      poolWorker,
      transportOptions: this.#transportOptions,
    });
    this.#sessions.set(participantId, session);
    session.once('close', () => {
      if (role === 'classroom') poolWorker.classrooms--;
      if (this.#sessions.get(participantId) !== session) return;
      this.#sessions.delete(participantId);
      // Closed by its router, not by leave(): the worker under it died.
      if (router.closed && !this.#closed) this.emit('participantlost', { participantId, role });
    });
    this.#logger.debug(
      { participantId, role, workerIndex: poolWorker.index },
      'participant joined media',
    );
    return session;
  }

  leave(participantId: string): void {
    const session = this.#sessions.get(participantId);
    if (!session) return;
    this.#sessions.delete(participantId);
    session.close();
  }

  /**
   * A speaker publishes (camera, screen) on the origin; a classroom on stage
   * publishes on its edge and the producer is piped to the origin. Whether a
   * classroom is on stage is the control plane's decision, checked before.
   */
  async produce(
    participantId: string,
    args: {
      transportId: string;
      kind: types.MediaKind;
      rtpParameters: types.RtpParameters;
      source: ProducerSource;
    },
  ): Promise<ProducerDescription> {
    const session = this.#session(participantId);
    if (!mayProduce(session.role, args.source)) {
      throw new MediaError('NOT_ALLOWED', `a ${session.role} cannot produce ${args.source}`);
    }
    const producer = await session.produce({
      transportId: args.transportId,
      kind: args.kind,
      rtpParameters: args.rtpParameters,
      keyFrameRequestDelay: this.#keyFrameRequestDelayMs,
      appData: { source: args.source },
    });
    if (session.router === this.#origin.router) {
      return this.#publish(producer, participantId, args.source);
    }
    const { pipeProducer } = await session.router.pipeToRouter({
      producerId: producer.id,
      router: this.#origin.router,
    });
    if (!pipeProducer) throw new MediaError('PRODUCER_NOT_FOUND', 'stage producer closed');
    return this.#publish(pipeProducer, participantId, args.source);
  }

  /** Consumes a producer on the participant's own router (piping it to the edge first). */
  async consume(
    participantId: string,
    args: { transportId: string; producerId: string; rtpCapabilities: types.RtpCapabilities },
  ) {
    const session = this.#session(participantId);
    const producer = this.#producers.get(args.producerId)?.description;
    if (!producer) throw new MediaError('PRODUCER_NOT_FOUND', `no producer ${args.producerId}`);
    if (!this.#mayConsume(session.role, producer)) {
      throw new MediaError('NOT_ALLOWED', `a ${session.role} cannot receive ${producer.source}`);
    }
    if (session.router !== this.#origin.router) {
      const edge = await this.#edges.get(session.poolWorker.index);
      await edge?.pipeFromOrigin(args.producerId);
    }
    return session.consume(args);
  }

  /**
   * Publishes producers made outside a participant session on the origin's
   * router (an RTP ingest standing in for a speaker).
   */
  async publishOnOrigin(
    create: (router: types.Router) => Promise<types.Producer[]>,
    participantId: string,
  ): Promise<ProducerDescription[]> {
    if (this.#rebuilding) await this.#rebuilding;
    this.#assertOpen();
    const producers = await create(this.#origin.router);
    return producers.map((p) => this.#publish(p, participantId, 'camera'));
  }

  /**
   * Offers this broadcast's media to another media node (an edge), which
   * accepts the offer with its own broadcast's acceptPipe (pipe/BroadcastPipe.ts).
   */
  async offerPipe(
    options: BroadcastPipeOptions,
  ): Promise<{ pipe: BroadcastPipe; offer: PipeOffer }> {
    if (this.#rebuilding) await this.#rebuilding;
    this.#assertOpen();
    return BroadcastPipe.offer(this.#pipeHost(), options);
  }

  /**
   * Makes this broadcast an edge of another node's: what the offer sends is
   * produced on this origin router and published here, as a speaker's would be.
   * A new offer replaces the pipe accepted before (a re-pipe after a lost link).
   */
  async acceptPipe(
    offer: PipeOffer,
    options: BroadcastPipeOptions,
  ): Promise<{ pipe: BroadcastPipe; answer: PipeAnswer }> {
    if (this.#rebuilding) await this.#rebuilding;
    this.#assertOpen();
    // Fed by one pipe at a time: a re-pipe replaces the lost link (same producer ids).
    this.#upstream?.close('replaced');
    const accepted = await BroadcastPipe.accept(this.#pipeHost(), offer, options);
    this.#upstream = accepted.pipe;
    return accepted;
  }

  async stats(): Promise<BroadcastStats> {
    const producers = await Promise.all(
      [...this.#producers.values()].map(async ({ description, producer }) => {
        const streams = await producer.getStats().catch(() => []);
        return {
          ...description,
          bitrate: streams.reduce((sum, s) => sum + s.bitrate, 0),
          packetsLost: streams.reduce((sum, s) => sum + s.packetsLost, 0),
          // Simulcast layers arriving with a usable score: a speaker's uplink at a glance.
          activeLayers: streams.filter((s) => s.score > 0).length,
        };
      }),
    );
    const sessions = [...this.#sessions.values()];
    return {
      eventId: this.eventId,
      originWorker: this.#origin.poolWorker.index,
      edges: (await this.edges()).map((e) => ({
        ...e,
        classrooms: sessions.filter((s) => s.router.id === e.routerId).length,
        consumers: sessions
          .filter((s) => s.router.id === e.routerId)
          .reduce((sum, s) => sum + s.consumerCount, 0),
      })),
      participants: sessions.length,
      producers,
    };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pool.off('workerrestarted', this.#onWorkerRestarted);
    for (const session of this.#sessions.values()) session.close();
    this.#sessions.clear();
    for (const edge of this.#edges.values())
      void edge.then(
        (e) => e.close(),
        () => {},
      );
    this.#edges.clear();
    this.#origin.router.close();
    this.#producers.clear();
    this.emit('close');
  }

  /** Makes an origin-side producer (a stage one is the pipe producer, same id) consumable. */
  #publish(
    producer: types.Producer,
    participantId: string,
    source: ProducerSource,
  ): ProducerDescription {
    const description: ProducerDescription = {
      id: producer.id,
      kind: producer.kind,
      participantId,
      source,
    };
    this.#producers.set(producer.id, { description, producer });
    producer.observer.once('close', () => {
      if (this.#producers.delete(producer.id)) this.emit('producerclose', { id: producer.id });
    });
    if (producer.kind === 'audio' && source !== 'stage') {
      void this.#origin.activeSpeaker.addProducer({ producerId: producer.id }).catch(() => {});
    }
    this.emit('newproducer', description);
    return description;
  }

  /** What a pipe to another node attaches to: the origin router of now (a rebuilt origin needs new pipes). */
  #pipeHost(): PipeHost {
    return {
      eventId: this.eventId,
      router: this.#origin.router,
      broadcast: this,
      publish: (producer, participantId, source) => {
        this.#publish(producer, participantId, source);
      },
      logger: this.#logger,
    };
  }

  /** protocol's rule: a classroom's camera goes only to speakers and moderators. */
  #mayConsume(role: ParticipantRole, producer: ProducerDescription): boolean {
    return mayConsume(role, producerRoleOf(producer.source));
  }

  #edgeOn(poolWorker: PoolWorker): Promise<EdgeRouter> {
    let edge = this.#edges.get(poolWorker.index);
    if (!edge) {
      edge = EdgeRouter.create(poolWorker, this.#origin.router);
      this.#edges.set(poolWorker.index, edge);
      edge.then(
        (e) => {
          if (this.#closed) e.close();
          e.once('close', () => {
            if (this.#edges.get(poolWorker.index) === edge) this.#edges.delete(poolWorker.index);
          });
        },
        () => this.#edges.delete(poolWorker.index),
      );
    }
    return edge;
  }

  /** The edge a dead worker took is rebuilt on its replacement, ready for classrooms to rejoin. */
  async #rebuildEdge(poolWorker: PoolWorker): Promise<void> {
    if (this.#closed || this.#edges.has(poolWorker.index)) return;
    // The origin is rebuilding (maybe on this very worker): edges come on demand after.
    if (this.#rebuilding || poolWorker === this.#origin.poolWorker) return;
    try {
      const edge = await this.#edgeOn(poolWorker);
      await Promise.all(
        [...this.#producers.values()]
          .filter((p) => p.description.source !== 'stage')
          .map((p) => edge.pipeFromOrigin(p.description.id)),
      );
      this.#logger.info({ workerIndex: poolWorker.index }, 'edge router rebuilt');
    } catch (error) {
      this.#logger.error({ workerIndex: poolWorker.index, err: error }, 'edge rebuild failed');
    }
  }

  /**
   * If the origin's worker dies, a new origin is made on a worker that lives
   * and every participant is told to set its media up again (speakers publish
   * anew, classrooms consume anew). The broadcast closes only if no worker
   * comes back in time, and then it tells every participant first.
   */
  #watchOrigin(): void {
    const origin = this.#origin;
    // The observer is the origin's: a rebuilt origin has a new one, watched here too.
    origin.activeSpeaker.on('dominantspeaker', ({ producer }) => {
      if (this.#closed || this.#origin !== origin) return;
      const known = this.#producers.get(producer.id);
      if (!known) return;
      this.emit('activespeaker', {
        participantId: known.description.participantId,
        producerId: producer.id,
      });
    });
    origin.router.observer.once('close', () => {
      if (this.#closed || this.#origin !== origin) return;
      this.#logger.error({ workerIndex: origin.poolWorker.index }, 'origin router lost');
      this.#rebuilding = this.#rebuildOrigin().finally(() => {
        this.#rebuilding = undefined;
      });
    });
  }

  async #rebuildOrigin(): Promise<void> {
    // Edges fed by the lost origin have nothing left to forward: closing them
    // tells their classrooms now (participantlost), not once the origin is back.
    for (const edge of this.#edges.values())
      void edge.then(
        (e) => e.close(),
        () => {},
      );
    this.#edges.clear();
    const started = Date.now();
    const deadline = started + this.#originRebuildTimeoutMs;
    // Workers that failed to take the origin (dying without knowing it yet).
    const failed = new Set<PoolWorker>();
    for (let attempt = 1; ; attempt++) {
      let poolWorker: PoolWorker | undefined;
      try {
        poolWorker = await this.#pool.available(Math.max(0, deadline - Date.now()), failed);
        if (this.#closed) return;
        const origin = await Broadcast.#createOrigin(poolWorker);
        if (this.#closed || origin.router.closed) {
          origin.router.close();
          if (this.#closed) return;
          throw new Error('the new origin router closed at once');
        }
        this.#origin = origin;
        this.#watchOrigin();
        this.#logger.info(
          { workerIndex: origin.poolWorker.index, attempt, ms: Date.now() - started },
          'origin router rebuilt',
        );
        return;
      } catch (error) {
        if (this.#closed) return;
        if (poolWorker) failed.add(poolWorker);
        if (Date.now() < deadline && !this.#pool.closed) {
          this.#logger.warn(
            { workerIndex: poolWorker?.index, attempt, err: error },
            'origin rebuild attempt failed; trying another worker',
          );
          continue;
        }
        this.#logger.error(
          { err: error, attempts: attempt },
          'origin rebuild failed; every participant is told, then the broadcast closes',
        );
        for (const [participantId, session] of [...this.#sessions]) {
          this.emit('participantlost', { participantId, role: session.role });
        }
        this.close();
        return;
      }
    }
  }

  #session(participantId: string): ParticipantSession {
    this.#assertOpen();
    const session = this.#sessions.get(participantId);
    if (!session) throw new MediaError('NOT_JOINED', `${participantId} has not joined the media`);
    return session;
  }

  #assertOpen(): void {
    if (this.#closed) throw new MediaError('BROADCAST_CLOSED', `broadcast ${this.eventId} is over`);
  }
}

export type BroadcastStats = {
  eventId: string;
  originWorker: number;
  edges: { workerIndex: number; routerId: string; classrooms: number; consumers: number }[];
  participants: number;
  producers: (ProducerDescription & {
    bitrate: number;
    packetsLost: number;
    activeLayers: number;
  })[];
};
