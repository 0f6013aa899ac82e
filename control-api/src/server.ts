import { WorkerMonitor } from '@amphi/media-server';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { buildApp } from './app.ts';
import { JoinTokens } from './auth/JoinTokens.ts';
import { Revocations } from './auth/Revocations.ts';
import type { Bus } from './bus/Bus.ts';
import { LocalBus } from './bus/LocalBus.ts';
import { RedisBus } from './bus/RedisBus.ts';
import { CatalogStore } from './catalog/CatalogStore.ts';
import { defaultLimits, defaultRetention, type Limits, type RetentionSettings } from './config.ts';
import { connectDatabase, migrate, type Sql } from './db/Database.ts';
import { LiveHub } from './live/LiveHub.ts';
import { RateLimiter } from './live/RateLimiter.ts';
import { StageService } from './live/StageService.ts';
import type { Logger } from './logger.ts';
import { ControlMetrics } from './metrics/ControlMetrics.ts';
import { QuestionFigures } from './metrics/QuestionFigures.ts';
import { getFreePort } from './ports.ts';
import { PrivacyStore } from './privacy/PrivacyStore.ts';
import { RetentionJob } from './privacy/RetentionJob.ts';
import { QuestionQueue } from './questions/QuestionQueue.ts';
import { QuestionStore } from './questions/QuestionStore.ts';
import { NetworkCheckStore } from './reach/NetworkCheckStore.ts';
import { announceActiveSpeaker } from './rtc/announceActiveSpeaker.ts';
import { announceProducers } from './rtc/announceProducers.ts';
import { startNodeDrainer } from './rtc/drain/startNodeDrainer.ts';
import { InProcessMediaNode } from './rtc/InProcessMediaNode.ts';
import type { MediaLoss, MediaNode, MediaParticipant } from './rtc/MediaNode.ts';
import type { TurnSettings } from './rtc/turnCredentials.ts';
import { UnavailableMediaNode } from './rtc/UnavailableMediaNode.ts';
import type { Services } from './signaling/context.ts';
import { LocalResumeGenerations, RedisResumeGenerations } from './signaling/ResumeGenerations.ts';
import { ResumeTokens } from './signaling/ResumeTokens.ts';

export interface ControlPlaneOptions {
  databaseUrl: string;
  /** Redis URL for the bus; in-process bus when absent. */
  redisUrl?: string | undefined;
  /** How fast a drained media node's classrooms are moved off it (MEDIA_DRAIN_BATCH, MEDIA_DRAIN_INTERVAL_MS). */
  drainPacing?: { batchSize: number; intervalMs: number };
  /** Redis key/channel prefix (several deployments or test files on one Redis). */
  redisNamespace?: string;
  joinTokenSecret: string;
  /** Secrets of before a rotation: links they signed still verify (config `JOIN_TOKEN_PREVIOUS_SECRETS`). */
  joinTokenPreviousSecrets?: readonly string[] | undefined;
  operatorToken: string;
  /** Operator credentials still accepted while they are rotated out (config `OPERATOR_PREVIOUS_TOKENS`). */
  operatorPreviousTokens?: readonly string[] | undefined;
  /** The scrape credential of GET /metrics (config `METRICS_TOKEN`); /metrics is not served without one. */
  metricsToken?: string | undefined;
  /** Scrape credentials still accepted while they are rotated out (config `METRICS_PREVIOUS_TOKENS`). */
  metricsPreviousTokens?: readonly string[] | undefined;
  publicUrl?: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  media?: MediaNode;
  limits?: Partial<Limits>;
  /** Retention of personal data (defaults: config's); the purge runs at start and periodically. */
  retention?: Partial<RetentionSettings>;
  instanceId?: string;
  databasePoolSize?: number;
  /** Reverse proxies trusted to give the client's address (config `TRUST_PROXY`). */
  trustProxy?: string | undefined;
  /** Where `viewer/dist` and `studio/dist` are (default: this repository). */
  appsRoot?: string;
  /** The TURN relay offered with each join (docs/turn.md); none when absent. */
  turn?: TurnSettings | null;
  /**
   * This instance's wall clock, ms since the epoch (default `Date.now`): tests
   * skew one instance's to show that nothing between hosts hangs on it.
   */
  clock?: () => number;
  log: Logger;
}

/** A running control-api instance and what it owns; `close()` releases all of it. */
export interface ControlPlane {
  readonly app: FastifyInstance;
  readonly url: string;
  readonly sql: Sql;
  readonly bus: Bus;
  readonly services: Services;
  readonly tokens: JoinTokens;
  close(): Promise<void>;
}

/**
 * Connects to PostgreSQL (and migrates), opens the bus, builds the app and
 * listens. Used by main.ts, the tests and the benchmark alike.
 */
export async function startControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const { log } = opts;
  const limits = defaultLimits(opts.limits);
  const sql = connectDatabase(opts.databaseUrl, { max: opts.databasePoolSize ?? 10 });
  const closers: (() => Promise<void>)[] = [() => sql.end({ timeout: 5 })];
  const closeAll = async () => {
    for (const c of closers.reverse())
      await c().catch((err: unknown) => log.warn({ err }, 'close failed'));
  };
  try {
    await migrate(sql, log);
    const bus: Bus = opts.redisUrl
      ? await RedisBus.create({
          url: opts.redisUrl,
          log,
          ...(opts.redisNamespace ? { namespace: opts.redisNamespace } : {}),
          ...(opts.instanceId ? { instanceId: opts.instanceId } : {}),
        })
      : new LocalBus(opts.instanceId);
    closers.push(() => bus.close());
    // The rate limits' counters (REST, questions, joins, connections) and the resumes'
    // generations (signaling/ResumeGenerations.ts), shared by instances.
    // Its own connection, failing fast (no offline queue): while Redis is away requests are
    // served, not held.
    let rateLimitRedis: Redis | undefined;
    if (opts.redisUrl) {
      const counters = new Redis(opts.redisUrl, {
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        connectionName: `${opts.redisNamespace ?? 'amphi'}:${bus.instanceId}:ratelimit`,
      });
      counters.on('error', () => {}); // the bus logs Redis outages
      await counters.connect();
      closers.push(async () => {
        counters.disconnect();
      });
      rateLimitRedis = counters;
    }
    const limiter = (name: string, ratePerSecond: number, burst: number) =>
      new RateLimiter({
        name,
        ratePerSecond,
        burst,
        redis: rateLimitRedis,
        namespace: opts.redisNamespace,
      });
    const media = opts.media ?? new UnavailableMediaNode();
    closers.push(() => media.close());
    const questions = new QuestionQueue({
      store: new QuestionStore(sql),
      bus,
      limiter: limiter('questions', limits.QUESTION_RATE_PER_MINUTE / 60, limits.QUESTION_BURST),
      log,
    });
    // After a bus gap (Redis was away), rooms re-read the question queue from PostgreSQL.
    const hub = new LiveHub({ bus, log, restate: (eventId) => questions.restate(eventId) });
    closers.push(async () => hub.close());
    const catalog = new CatalogStore(sql);
    // GET /metrics and the operators' live board read the same sources: the hub's rooms,
    // the queue in PostgreSQL, and the media workers of this process (watched from now,
    // before their first router).
    const workers = media instanceof InProcessMediaNode ? new WorkerMonitor(media.pool) : undefined;
    closers.push(async () => workers?.close());
    const figures = new QuestionFigures(sql);
    const metrics = new ControlMetrics({
      hub,
      bus,
      figures,
      questions: questions.observer,
      media: workers,
      log,
    });
    closers.push(async () => metrics.close());
    const stage = new StageService({
      sql,
      bus,
      log,
      isConnected: (eventId, classroomId) => hub.isClassroomConnected(eventId, classroomId),
      disconnectGraceMs: limits.STAGE_DISCONNECT_GRACE_MS,
    });
    // Closed before the hub: sockets closed by a shutdown take nobody off stage.
    closers.push(async () => stage.close());
    const services: Services = {
      catalog,
      questions,
      stage,
      media,
      hub,
      bus,
      limits,
      turn: opts.turn ?? null,
      metrics,
      resumeTokens: new ResumeTokens(opts.joinTokenSecret),
      clock: opts.clock ?? Date.now,
      resumeGenerations: rateLimitRedis
        ? new RedisResumeGenerations({ redis: rateLimitRedis, namespace: opts.redisNamespace })
        : new LocalResumeGenerations(),
      joinLimits: {
        perParticipant: limiter('joins', limits.JOIN_RATE_PER_MINUTE / 60, limits.JOIN_BURST),
        perAddress: limiter(
          'connections',
          limits.CONNECT_RATE_PER_IP_PER_SECOND,
          limits.CONNECT_BURST_PER_IP,
        ),
      },
    };
    // A worker died under a participant (or its node went silent): its client sets its media up again.
    const onMediaLost = (who: MediaParticipant, loss?: MediaLoss) =>
      hub.member(who.eventId, who.participantId)?.mediaLost(loss);
    media.on('participantlost', onMediaLost);
    closers.push(async () => {
      media.off('participantlost', onMediaLost);
    });
    // The drain of media nodes for maintenance (a cluster only): GET/POST /api/v1/media-nodes.
    const drain = startNodeDrainer({
      media,
      redisUrl: opts.redisUrl,
      hub,
      log,
      ...(opts.drainPacing ? { pacing: opts.drainPacing } : {}),
    });
    if (drain) closers.push(drain.close);
    // Producers are announced from one place: what the media node reports, on the bus.
    const unannounce = announceProducers(media, bus, log);
    closers.push(async () => unannounce());
    const unannounceSpeaker = announceActiveSpeaker(media, bus, log);
    closers.push(async () => unannounceSpeaker());
    // An event that is over keeps no media (every instance hears it on the bus).
    const unsubscribeEnded = bus.subscribe((msg) => {
      if (msg.kind !== 'event.updated' || (msg.status !== 'ended' && msg.status !== 'cancelled'))
        return;
      media
        .closeEvent(msg.eventId)
        .catch((err: unknown) => log.warn({ err, eventId: msg.eventId }, 'closing media failed'));
    });
    closers.push(async () => unsubscribeEnded());
    const privacy = new PrivacyStore(sql);
    const retention = new RetentionJob({
      store: privacy,
      settings: defaultRetention(opts.retention),
      trimStream: bus instanceof RedisBus ? (ms) => bus.trimOlderThan(ms) : undefined,
      log,
    });
    retention.start();
    closers.push(() => retention.close());
    const tokens = new JoinTokens({
      current: opts.joinTokenSecret,
      previous: opts.joinTokenPreviousSecrets ?? [],
    });
    const revocations = new Revocations({ sql, bus, log });
    closers.push(async () => revocations.close());
    const host = opts.host ?? '127.0.0.1';
    const port = opts.port || (await getFreePort());
    const app = await buildApp({
      services,
      sql,
      tokens,
      revocations,
      privacy,
      networkChecks: new NetworkCheckStore(sql, defaultRetention(opts.retention).RETENTION_DAYS),
      drainer: drain?.drainer ?? null,
      operatorTokens: [opts.operatorToken, ...(opts.operatorPreviousTokens ?? [])],
      observability: {
        metrics,
        metricsTokens: opts.metricsToken
          ? [opts.metricsToken, ...(opts.metricsPreviousTokens ?? [])]
          : [],
        board: { catalog, hub, stage, figures, media: workers, instanceId: bus.instanceId },
      },
      publicUrl: opts.publicUrl ?? `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}`,
      log,
      health: {
        database: async () => {
          await sql`select 1`;
          return undefined;
        },
        bus: async () => {
          await bus.ping?.();
          return { kind: opts.redisUrl ? 'redis' : 'local' };
        },
      },
      trustProxy: opts.trustProxy,
      rateLimitRedis,
      redisNamespace: opts.redisNamespace,
      ...(opts.appsRoot ? { appsRoot: opts.appsRoot } : {}),
    });
    closers.push(() => app.close());
    await app.listen({ host, port });
    const address = app.server.address();
    const boundPort = typeof address === 'object' && address ? address.port : port;
    const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${boundPort}`;
    log.info(
      { url, instanceId: bus.instanceId, bus: opts.redisUrl ? 'redis' : 'local' },
      'control-api listening',
    );
    let closed = false;
    return {
      app,
      url,
      sql,
      bus,
      services,
      tokens,
      async close() {
        if (closed) return;
        closed = true;
        await closeAll();
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
