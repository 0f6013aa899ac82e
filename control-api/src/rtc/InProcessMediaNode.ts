import { EventEmitter } from 'node:events';
import {
  Broadcast,
  type MediaConfig,
  MediaError,
  type MediaErrorCode,
  type TransportOptions as MediaTransportOptions,
  type ParticipantSession,
  type ProducerDescription,
  WorkerPool,
} from '@amphi/media-server';
import {
  type AdoptedMedia,
  adoptionRefusal,
  type ConsumerOptions,
  type DtlsParameters,
  type ErrorCode,
  madeGeneration,
  type ProducerInfo,
  producerRoleOf,
  type RtpCapabilities,
  type TransportDirection,
  type TransportOptions,
} from '@amphi/protocol';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { TEST_PATTERN_NAME } from './DemoTestPattern.ts';
import type {
  ConsumeParams,
  MediaNode,
  MediaNodeEvents,
  MediaParticipant,
  ProduceParams,
} from './MediaNode.ts';

// mediasoup's own shapes, as media-server takes them. The protocol's schemas have
// parsed what clients sent; mediasoup validates codecs, encodings and fingerprints.
type MediaRtpParameters = Parameters<Broadcast['produce']>[1]['rtpParameters'];
type MediaRtpCapabilities = Parameters<Broadcast['consume']>[1]['rtpCapabilities'];
type MediaDtlsParameters = Parameters<ParticipantSession['connectWebRtcTransport']>[1];

/** How media-server's codes reach a client: a stable control-api code, the message kept. */
const ERROR_CODES: Record<MediaErrorCode, ErrorCode> = {
  TRANSPORT_NOT_FOUND: 'NOT_FOUND',
  CONSUMER_NOT_FOUND: 'NOT_FOUND',
  PRODUCER_NOT_FOUND: 'NOT_FOUND',
  NOT_ALLOWED: 'FORBIDDEN',
  NOT_JOINED: 'NOT_JOINED',
  CANNOT_CONSUME: 'MEDIA_ERROR',
  SESSION_CLOSED: 'MEDIA_ERROR',
  BROADCAST_CLOSED: 'MEDIA_ERROR',
  EGRESS_STOPPED: 'MEDIA_UNAVAILABLE',
};

export function toAppError(err: unknown): unknown {
  return err instanceof MediaError ? new AppError(ERROR_CODES[err.code], err.message) : err;
}

/** Runs a media-server call; its MediaErrors become AppErrors, anything else passes through. */
async function mapped<T>(fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toAppError(err);
  }
}

type Participant = {
  who: MediaParticipant;
  session: Promise<ParticipantSession>;
  /** What each of its transports was asked for: sending or receiving. */
  directions: Map<string, TransportDirection>;
  /** Its socket dropped: the media is closed when this fires, unless adopted first. */
  detached: ReturnType<typeof setTimeout> | null;
  /** The generation of the socket that holds it: the one that made it (`madeGeneration`), then the last adoption's. */
  generation: number;
};

/** A media session closed after its grace is remembered this long (RESUME_EXPIRED, not UNKNOWN). */
const EXPIRED_MEMORY_MS = 10 * 60_000;
/** The grace when the node's settings say none (MEDIA_SESSION_GRACE_MS). */
export const DEFAULT_SESSION_GRACE_MS = 15_000;

type EventMedia = {
  broadcast: Broadcast;
  /** Participants that joined the broadcast through signaling, by participant id. */
  participants: Map<string, Participant>;
  /** Open producers as they were announced, by id: a close is announced with the same. */
  announced: Map<string, ProducerInfo>;
};

export type InProcessMediaNodeOptions = {
  pool: WorkerPool;
  log: Logger;
  transportOptions: MediaTransportOptions;
  /** close() also closes the pool (the node created it). */
  ownsPool?: boolean;
  /** Speakers' producers forward at most one key-frame request per this long (media-server's default when unset). */
  keyFrameRequestDelayMs?: number;
  /** A detached participant's media is kept this long for its next socket (DEFAULT_SESSION_GRACE_MS). */
  sessionGraceMs?: number;
};

/**
 * The media plane in this process: one mediasoup WorkerPool, one Broadcast per
 * event, created on first use. Signaling's participant ids are the broadcast's
 * participant ids; a participant joins the broadcast with its first transport.
 * close() closes every broadcast, then the pool if the node owns it.
 */
export class InProcessMediaNode extends EventEmitter<MediaNodeEvents> implements MediaNode {
  readonly pool: WorkerPool;
  readonly #log: Logger;
  readonly #transportOptions: MediaTransportOptions;
  readonly #ownsPool: boolean;
  readonly #keyFrameRequestDelayMs: number | undefined;
  readonly #events = new Map<string, Promise<EventMedia>>();
  readonly #sessionGraceMs: number;
  /** Sessions closed after their grace (`eventId/participantId`), and when. */
  readonly #expired = new Map<string, number>();
  #closed = false;

  /** A node over a new pool, from media-server's settings (`mediaConfigFromEnv()`). */
  static async create(config: MediaConfig, log: Logger): Promise<InProcessMediaNode> {
    const pool = await WorkerPool.create({
      size: config.MEDIA_WORKERS,
      listenIp: config.MEDIA_LISTEN_IP,
      ...(config.MEDIA_ANNOUNCED_ADDRESS
        ? { announcedAddress: config.MEDIA_ANNOUNCED_ADDRESS }
        : {}),
      ...(config.MEDIA_RTC_PORT_BASE === undefined
        ? {}
        : { rtcPortBase: config.MEDIA_RTC_PORT_BASE }),
      logLevel: config.MEDIA_LOG_LEVEL,
      logger: log,
    });
    return new InProcessMediaNode({
      pool,
      log,
      transportOptions: {
        listenIp: config.MEDIA_LISTEN_IP,
        ...(config.MEDIA_ANNOUNCED_ADDRESS
          ? { announcedAddress: config.MEDIA_ANNOUNCED_ADDRESS }
          : {}),
      },
      ownsPool: true,
      keyFrameRequestDelayMs: config.MEDIA_KEY_FRAME_REQUEST_DELAY_MS,
      sessionGraceMs: config.MEDIA_SESSION_GRACE_MS,
    });
  }

  constructor(options: InProcessMediaNodeOptions) {
    super();
    this.pool = options.pool;
    this.#log = options.log;
    this.#transportOptions = options.transportOptions;
    this.#ownsPool = options.ownsPool ?? false;
    this.#keyFrameRequestDelayMs = options.keyFrameRequestDelayMs;
    this.#sessionGraceMs = options.sessionGraceMs ?? DEFAULT_SESSION_GRACE_MS;
  }

  /** How long a detached participant's media is kept. */
  get sessionGraceMs(): number {
    return this.#sessionGraceMs;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Where transports listen and the address browsers are given. */
  get transportOptions(): Readonly<MediaTransportOptions> {
    return this.#transportOptions;
  }

  /**
   * The event's broadcast, created on first use. For what runs beside
   * signaling on this node: the demo's test pattern, tests.
   */
  async broadcast(eventId: string): Promise<Broadcast> {
    return (await this.#event(eventId)).broadcast;
  }

  async getRouterRtpCapabilities(eventId: string): Promise<RtpCapabilities> {
    const { broadcast } = await this.#event(eventId);
    return broadcast.rtpCapabilities as RtpCapabilities;
  }

  async createWebRtcTransport(
    who: MediaParticipant,
    direction: TransportDirection,
  ): Promise<TransportOptions> {
    const session = await this.#join(who);
    const t = await mapped(() => session.createWebRtcTransport());
    const participant = (await this.#existing(who.eventId))?.participants.get(who.participantId);
    participant?.directions.set(t.id, direction);
    return {
      transportId: t.id,
      direction,
      iceParameters: t.iceParameters,
      iceCandidates: t.iceCandidates,
      dtlsParameters: t.dtlsParameters as DtlsParameters,
    };
  }

  async connectTransport(
    who: MediaParticipant,
    transportId: string,
    dtlsParameters: DtlsParameters,
  ): Promise<void> {
    const session = await this.#session(who);
    await mapped(() =>
      session.connectWebRtcTransport(transportId, dtlsParameters as MediaDtlsParameters),
    );
  }

  async produce(who: MediaParticipant, params: ProduceParams): Promise<{ producerId: string }> {
    const { broadcast } = await this.#joined(who, { transportId: params.transportId, for: 'send' });
    const producer = await mapped(() =>
      broadcast.produce(who.participantId, {
        transportId: params.transportId,
        kind: params.kind,
        rtpParameters: params.rtpParameters as MediaRtpParameters,
        source: params.appData.source,
      }),
    );
    this.#log.debug(
      { eventId: who.eventId, participantId: who.participantId, producerId: producer.id },
      'media producer opened',
    );
    return { producerId: producer.id };
  }

  async consume(who: MediaParticipant, params: ConsumeParams): Promise<ConsumerOptions> {
    const { broadcast } = await this.#joined(who, { transportId: params.transportId, for: 'recv' });
    const consumer = await mapped(() =>
      broadcast.consume(who.participantId, {
        transportId: params.transportId,
        producerId: params.producerId,
        rtpCapabilities: params.rtpCapabilities as MediaRtpCapabilities,
      }),
    );
    return {
      consumerId: consumer.id,
      producerId: consumer.producerId,
      kind: consumer.kind,
      rtpParameters: consumer.rtpParameters as ConsumerOptions['rtpParameters'],
      paused: true,
    };
  }

  async resumeConsumer(who: MediaParticipant, consumerId: string): Promise<void> {
    const session = await this.#session(who);
    await mapped(() => session.resumeConsumer(consumerId));
  }

  async setPreferredLayers(
    who: MediaParticipant,
    consumerId: string,
    layers: { spatialLayer: number; temporalLayer?: number },
  ): Promise<void> {
    const session = await this.#session(who);
    await mapped(() => session.setConsumerPreferredLayers(consumerId, layers));
  }

  async setAudioOnly(who: MediaParticipant, audioOnly: boolean): Promise<void> {
    const session = await this.#session(who);
    await mapped(() => session.setAudioOnly(audioOnly));
  }

  async closeProducer(who: MediaParticipant, producerId: string): Promise<void> {
    const session = await this.#session(who);
    // Already gone (its transport closed, its worker died) is fine: the aim is reached.
    session.closeProducer(producerId);
  }

  async closeTransport(who: MediaParticipant, transportId: string): Promise<void> {
    const session = await this.#session(who);
    await mapped(() => session.closeTransport(transportId));
    const media = await this.#existing(who.eventId);
    media?.participants.get(who.participantId)?.directions.delete(transportId);
  }

  async closeParticipant(who: MediaParticipant): Promise<void> {
    const media = await this.#existing(who.eventId);
    const participant = media?.participants.get(who.participantId);
    if (!media || !participant) return;
    media.participants.delete(who.participantId);
    if (participant.detached) clearTimeout(participant.detached);
    // A join still under way finishes first, so that nothing it makes is left behind.
    await participant.session.catch(() => {});
    media.broadcast.leave(who.participantId);
  }

  async detachParticipant(who: MediaParticipant): Promise<void> {
    const media = await this.#existing(who.eventId);
    const participant = media?.participants.get(who.participantId);
    if (!media || !participant) return;
    const session = await participant.session.catch(() => undefined);
    if (!session || media.participants.get(who.participantId) !== participant) return;
    if (participant.detached) clearTimeout(participant.detached);
    if (participant.who.role === 'classroom') {
      // A class's camera and microphone are never sent with no socket behind them.
      for (const p of media.broadcast.producers) {
        if (p.participantId === who.participantId && p.source === 'stage')
          session.closeProducer(p.id);
      }
    }
    const log = { eventId: who.eventId, participantId: who.participantId };
    this.#log.info({ ...log, graceMs: this.#sessionGraceMs }, 'participant media detached');
    participant.detached = setTimeout(() => {
      if (media.participants.get(who.participantId) !== participant) return;
      this.#log.info(log, 'detached media not resumed within its grace: closed');
      this.#rememberExpired(who);
      this.closeParticipant(participant.who).catch((err: unknown) =>
        this.#log.warn({ ...log, err }, 'closing detached media failed'),
      );
    }, this.#sessionGraceMs);
    participant.detached.unref();
  }

  async adoptParticipant(who: MediaParticipant, generation: number | null): Promise<AdoptedMedia> {
    const media = await this.#existing(who.eventId);
    const participant = media?.participants.get(who.participantId);
    const session = participant && (await participant.session.catch(() => undefined));
    if (!media || !participant || !session || session.closed) {
      const key = `${who.eventId}/${who.participantId}`;
      if (this.#expired.has(key)) {
        throw new AppError(
          'RESUME_EXPIRED',
          'this media session was closed after its grace period',
        );
      }
      throw new AppError('RESUME_UNKNOWN', 'no media session is held for this participant');
    }
    if (participant.who.role !== who.role || participant.who.classroomId !== who.classroomId) {
      throw new AppError('RESUME_INVALID', 'this media session belongs to another participant');
    }
    // After the awaits: the check and the taking are one step for this participant.
    const refusal = adoptionRefusal(participant.generation, generation);
    if (refusal) throw new AppError(refusal.code, refusal.message);
    if (generation !== null) participant.generation = generation;
    if (participant.detached) clearTimeout(participant.detached);
    participant.detached = null;
    participant.who = who;
    this.#log.info(
      { eventId: who.eventId, participantId: who.participantId, generation },
      'participant media adopted by a resumed socket',
    );
    return {
      transports: [...participant.directions].map(([transportId, direction]) => ({
        transportId,
        direction,
      })),
      producerIds: media.broadcast.producers
        .filter((p) => p.participantId === who.participantId)
        .map((p) => p.id),
      consumerIds: session.consumers.map((c) => c.id),
    };
  }

  #rememberExpired(who: MediaParticipant): void {
    const now = Date.now();
    for (const [key, at] of this.#expired) {
      if (now - at < EXPIRED_MEMORY_MS) break;
      this.#expired.delete(key);
    }
    this.#expired.set(`${who.eventId}/${who.participantId}`, now);
  }

  async listProducers(eventId: string): Promise<ProducerInfo[]> {
    const media = await this.#existing(eventId);
    if (!media || media.broadcast.closed) return [];
    return media.broadcast.producers.map(
      (p) => media.announced.get(p.id) ?? this.#producerInfo(media, p),
    );
  }

  async closeEvent(eventId: string): Promise<void> {
    const pending = this.#events.get(eventId);
    if (!pending) return;
    this.#events.delete(eventId);
    const media = await pending.catch(() => undefined);
    for (const p of media?.participants.values() ?? []) if (p.detached) clearTimeout(p.detached);
    media?.participants.clear();
    media?.broadcast.close();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const eventId of [...this.#events.keys()]) await this.closeEvent(eventId);
    if (this.#ownsPool) this.pool.close();
  }

  #event(eventId: string): Promise<EventMedia> {
    if (this.#closed) {
      return Promise.reject(new AppError('MEDIA_UNAVAILABLE', 'the media node is shutting down'));
    }
    let pending = this.#events.get(eventId);
    if (!pending) {
      const created = this.#createEvent(eventId);
      this.#events.set(eventId, created);
      created.then(
        ({ broadcast }) =>
          broadcast.once('close', () => {
            if (this.#events.get(eventId) === created) this.#events.delete(eventId);
          }),
        () => {
          if (this.#events.get(eventId) === created) this.#events.delete(eventId);
        },
      );
      pending = created;
    }
    return pending;
  }

  async #createEvent(eventId: string): Promise<EventMedia> {
    const broadcast = await Broadcast.create({
      eventId,
      pool: this.pool,
      logger: this.#log,
      transportOptions: this.#transportOptions,
      ...(this.#keyFrameRequestDelayMs === undefined
        ? {}
        : { keyFrameRequestDelayMs: this.#keyFrameRequestDelayMs }),
    });
    const media: EventMedia = { broadcast, participants: new Map(), announced: new Map() };
    broadcast.on('newproducer', (description) => {
      const producer = this.#producerInfo(media, description);
      media.announced.set(producer.producerId, producer);
      this.emit('produceradded', { eventId, producer });
    });
    broadcast.on('producerclose', ({ id }) => {
      const producer = media.announced.get(id);
      if (!producer) return;
      media.announced.delete(id);
      this.emit('producerclosed', { eventId, producer });
    });
    broadcast.on('activespeaker', ({ participantId }) => {
      this.emit('activespeaker', { eventId, participantId });
    });
    broadcast.on('participantlost', ({ participantId }) => {
      const participant = media.participants.get(participantId);
      if (!participant) return; // not one of signaling's (an ingest)
      media.participants.delete(participantId);
      if (participant.detached) clearTimeout(participant.detached);
      this.#log.warn({ eventId, participantId }, 'participant lost its media with a worker');
      this.emit('participantlost', participant.who);
    });
    this.#log.info({ eventId, originRouterId: broadcast.originRouterId }, 'broadcast created');
    return media;
  }

  /** The event's media if it exists already: never creates a broadcast. */
  async #existing(eventId: string): Promise<EventMedia | undefined> {
    return this.#events.get(eventId)?.catch(() => undefined);
  }

  /** The participant's session, joining the broadcast on its first transport. */
  async #join(who: MediaParticipant): Promise<ParticipantSession> {
    const media = await this.#event(who.eventId);
    const current = media.participants.get(who.participantId);
    if (current) {
      const session = await current.session.catch(() => undefined);
      if (session && !session.closed && media.participants.get(who.participantId) === current) {
        return session;
      }
      if (media.participants.get(who.participantId) === current) {
        media.participants.delete(who.participantId);
      }
      return this.#join(who);
    }
    const participant: Participant = {
      who,
      session: mapped(() => media.broadcast.join(who.participantId, who.role)),
      directions: new Map(),
      detached: null,
      generation: madeGeneration(who.generation),
    };
    media.participants.set(who.participantId, participant);
    this.emit('participantjoined', who);
    participant.session.catch(() => {
      if (media.participants.get(who.participantId) === participant) {
        media.participants.delete(who.participantId);
      }
    });
    return participant.session;
  }

  /**
   * The event's media for a participant that has joined it (one of its
   * transports exists); with a transport, one asked for this direction.
   */
  async #joined(
    who: MediaParticipant,
    use?: { transportId: string; for: TransportDirection },
  ): Promise<EventMedia> {
    const media = await this.#existing(who.eventId);
    const participant = media?.participants.get(who.participantId);
    if (!media || !participant) throw notJoined();
    await participant.session;
    const direction = use && participant.directions.get(use.transportId);
    if (use && direction && direction !== use.for) {
      throw new AppError(
        'WRONG_TRANSPORT_DIRECTION',
        `transport ${use.transportId} was created to ${direction === 'recv' ? 'receive' : 'send'}: ${use.for === 'send' ? 'produce on a send' : 'consume on a receive'} transport`,
      );
    }
    return media;
  }

  async #session(who: MediaParticipant): Promise<ParticipantSession> {
    const media = await this.#joined(who);
    const session = media.broadcast.session(who.participantId);
    if (!session) throw notJoined();
    return session;
  }

  #producerInfo(media: EventMedia, p: ProducerDescription): ProducerInfo {
    const owner = media.participants.get(p.participantId)?.who;
    return {
      producerId: p.id,
      participantId: p.participantId,
      // An ingest (no signaling participant: the demo's test pattern) stands in for a speaker.
      role: owner?.role ?? producerRoleOf(p.source),
      kind: p.kind,
      source: p.source,
      classroomId: owner?.classroomId ?? null,
      name: owner?.name ?? TEST_PATTERN_NAME,
    };
  }
}

function notJoined(): AppError {
  return new AppError('NOT_JOINED', 'no media yet: create a transport first');
}
