import { randomUUID } from 'node:crypto';
import type {
  ConsumerOptions,
  DtlsParameters,
  FirewallOpening,
  IceServer,
  NetworkEndpoints,
  RtpCapabilities,
  TransportOptions,
} from '@amphi/protocol';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { MediaNode, MediaParticipant } from '../rtc/MediaNode.ts';
import { iceServersFor, type TurnSettings } from '../rtc/turnCredentials.ts';

/**
 * The broadcast network checks consume from: its own, never an event's, so a
 * check is not in any event's presence, counts or media (a fixed id: every
 * check on this node shares its one test pattern).
 */
export const NETWORK_CHECK_BROADCAST_ID = '00000000-0000-4000-8000-00000000c4ec';

/** Checks of one classroom open at once. */
export const MAX_CHECKS_PER_CLASSROOM = 3;

/** A test pattern sending on the check broadcast (the demo's: DemoTestPattern). */
export interface CheckPattern {
  readonly producers: readonly { producerId: string; kind: 'audio' | 'video' }[];
  close(): Promise<void>;
}

export interface NetworkCheckSessionsOptions {
  media: MediaNode;
  turn: TurnSettings | null;
  /** Starts the test pattern on the check broadcast; absent where media is not in this process. */
  startPattern?: ((broadcastId: string) => Promise<CheckPattern>) | undefined;
  /** The web server and the relay, as a school's IT must name them (from the configuration). */
  endpoints: Omit<NetworkEndpoints, 'direct'>;
  log: Logger;
  /** A check's media and relay credentials last this long (a check takes about 15 s). */
  sessionTtlMs?: number;
  /** The test pattern stops this long after the last check ended. */
  patternIdleMs?: number;
  /** Checks open at once, on this instance (each holds up to five transports). */
  maxSessions?: number;
}

interface Session {
  checkId: string;
  classroomId: string;
  who: MediaParticipant;
  expiresAt: number;
  timer: NodeJS.Timeout;
  transports: Set<string>;
  consumers: Set<string>;
  /** The media server's own ports, from its candidates: what a school opens for a direct connection. */
  direct: FirewallOpening[];
}

export interface OpenedCheck {
  checkId: string;
  routerRtpCapabilities: RtpCapabilities;
  iceServers: IceServer[];
  producers: { audio: string | null; video: string | null };
  endpoints: NetworkEndpoints;
  expiresAt: string;
}

/**
 * The network checks under way on this instance: each is a participant of the
 * check broadcast (not of any event) that opens one receive transport per way
 * in and consumes the test pattern through it. A check ends when the browser
 * says so or when its time is up; the test pattern runs while checks do.
 * close() ends every check and the pattern.
 */
export class NetworkCheckSessions {
  readonly #opts: NetworkCheckSessionsOptions;
  readonly #sessions = new Map<string, Session>();
  #pattern: Promise<CheckPattern | null> | null = null;
  #patternTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(opts: NetworkCheckSessionsOptions) {
    this.#opts = opts;
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** A new check for a classroom; its relay credentials expire with it (and never after the link). */
  async open(classroom: { id: string; name: string }, linkExpiresAt: number): Promise<OpenedCheck> {
    if (this.#closed) throw new AppError('MEDIA_UNAVAILABLE', 'the server is shutting down');
    if (this.#sessions.size >= (this.#opts.maxSessions ?? 200)) {
      throw new AppError('RATE_LIMITED', 'too many network checks at once: try again in a minute');
    }
    // A class runs one check at a time; a few for reloads and a second computer.
    let ofClassroom = 0;
    for (const s of this.#sessions.values()) if (s.classroomId === classroom.id) ofClassroom += 1;
    if (ofClassroom >= MAX_CHECKS_PER_CLASSROOM) {
      throw new AppError(
        'RATE_LIMITED',
        'this class is already checking: wait for the check to end',
      );
    }
    const checkId = randomUUID();
    const ttl = this.#opts.sessionTtlMs ?? 120_000;
    const expiresAt = Math.min(Date.now() + ttl, linkExpiresAt);
    const who: MediaParticipant = {
      eventId: NETWORK_CHECK_BROADCAST_ID,
      participantId: `check-${checkId}`,
      role: 'classroom',
      classroomId: classroom.id,
      name: classroom.name,
    };
    // The pattern first: it keeps the check broadcast from being released meanwhile.
    const pattern = await this.#ensurePattern();
    const routerRtpCapabilities = await this.#opts.media.getRouterRtpCapabilities(
      NETWORK_CHECK_BROADCAST_ID,
    );
    const session: Session = {
      checkId,
      classroomId: classroom.id,
      who,
      expiresAt,
      timer: setTimeout(() => void this.end(checkId), Math.max(0, expiresAt - Date.now())),
      transports: new Set(),
      consumers: new Set(),
      direct: [],
    };
    session.timer.unref();
    this.#sessions.set(checkId, session);
    const producer = (kind: 'audio' | 'video') =>
      pattern?.producers.find((p) => p.kind === kind)?.producerId ?? null;
    return {
      checkId,
      routerRtpCapabilities,
      iceServers: iceServersFor(this.#opts.turn, who.participantId, expiresAt / 1000),
      producers: { audio: producer('audio'), video: producer('video') },
      endpoints: this.endpointsOf(checkId),
      expiresAt: new Date(expiresAt).toISOString(),
    };
  }

  /** What a school must open, as far as this check has learnt (the media ports once a transport exists). */
  endpointsOf(checkId: string | null): NetworkEndpoints {
    const session = checkId ? this.#sessions.get(checkId) : undefined;
    return { ...this.#opts.endpoints, direct: session?.direct ?? [] };
  }

  async createTransport(checkId: string, classroomId: string): Promise<TransportOptions> {
    const s = this.#session(checkId, classroomId);
    if (s.transports.size >= 8) throw new AppError('RATE_LIMITED', 'too many transports');
    const t = await this.#opts.media.createWebRtcTransport(s.who, 'recv');
    s.transports.add(t.transportId);
    for (const c of t.iceCandidates) {
      const { protocol, address: host, port } = c;
      if (!host || !port) continue;
      if (s.direct.some((o) => o.protocol === protocol && o.host === host && o.port === port))
        continue;
      s.direct.push({ protocol, host, port, purpose: 'direct' });
    }
    return t;
  }

  async connect(
    checkId: string,
    classroomId: string,
    transportId: string,
    dtlsParameters: DtlsParameters,
  ): Promise<void> {
    const s = this.#session(checkId, classroomId);
    if (!s.transports.has(transportId)) throw new AppError('NOT_FOUND', 'no such transport');
    await this.#opts.media.connectTransport(s.who, transportId, dtlsParameters);
  }

  /** Only the test pattern may be consumed here. */
  async consume(
    checkId: string,
    classroomId: string,
    params: { transportId: string; producerId: string; rtpCapabilities: RtpCapabilities },
  ): Promise<ConsumerOptions> {
    const s = this.#session(checkId, classroomId);
    if (!s.transports.has(params.transportId)) {
      throw new AppError('NOT_FOUND', 'no such transport');
    }
    const pattern = await this.#pattern;
    if (!pattern?.producers.some((p) => p.producerId === params.producerId)) {
      throw new AppError('NOT_FOUND', 'not a producer of the network check');
    }
    const consumer = await this.#opts.media.consume(s.who, params);
    s.consumers.add(consumer.consumerId);
    return consumer;
  }

  async resume(checkId: string, classroomId: string, consumerId: string): Promise<void> {
    const s = this.#session(checkId, classroomId);
    if (!s.consumers.has(consumerId)) throw new AppError('NOT_FOUND', 'no such consumer');
    await this.#opts.media.resumeConsumer(s.who, consumerId);
  }

  /** Ends a check: its transports and consumers close. Idempotent. */
  async end(checkId: string, classroomId?: string): Promise<void> {
    const s = this.#sessions.get(checkId);
    if (!s || (classroomId && s.classroomId !== classroomId)) return;
    this.#sessions.delete(checkId);
    clearTimeout(s.timer);
    await this.#opts.media
      .closeParticipant(s.who)
      .catch((err: unknown) => this.#opts.log.warn({ err, checkId }, 'closing a check failed'));
    if (this.#sessions.size === 0) this.#armPatternStop();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const checkId of [...this.#sessions.keys()]) await this.end(checkId);
    clearTimeout(this.#patternTimer);
    await this.#stopPattern();
  }

  #session(checkId: string, classroomId: string): Session {
    const s = this.#sessions.get(checkId);
    // Another classroom's check is as good as none: its id does not leak.
    if (!s || s.classroomId !== classroomId || s.expiresAt < Date.now()) {
      throw new AppError('NOT_FOUND', 'no such network check (over, or another classroom’s)');
    }
    return s;
  }

  /** The test pattern, started with the first check; null where it cannot run (no FFmpeg). */
  #ensurePattern(): Promise<CheckPattern | null> {
    clearTimeout(this.#patternTimer);
    this.#patternTimer = undefined;
    const start = this.#opts.startPattern;
    if (!this.#pattern && start) {
      this.#pattern = start(NETWORK_CHECK_BROADCAST_ID).catch((err: unknown) => {
        this.#opts.log.warn({ err }, 'network check: the test pattern did not start');
        this.#pattern = null;
        return null;
      });
    }
    return this.#pattern ?? Promise.resolve(null);
  }

  #armPatternStop(): void {
    clearTimeout(this.#patternTimer);
    this.#patternTimer = setTimeout(() => {
      this.#patternTimer = undefined;
      if (this.#sessions.size === 0) void this.#stopPattern();
    }, this.#opts.patternIdleMs ?? 60_000);
    this.#patternTimer.unref();
  }

  async #stopPattern(): Promise<void> {
    const pattern = this.#pattern;
    this.#pattern = null;
    await (await pattern)?.close();
    // The check broadcast's routers go too; the next check makes them again.
    if (pattern) {
      await this.#opts.media
        .closeEvent(NETWORK_CHECK_BROADCAST_ID)
        .catch((err: unknown) =>
          this.#opts.log.warn({ err }, 'closing the check broadcast failed'),
        );
    }
  }
}
