import { HlsHub } from '@amphi/media-server';
import { PROTOCOL_VERSION, signalingJsonSchema } from '@amphi/protocol';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyError, type FastifyInstance, LogController } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import type { Redis } from 'ioredis';
import { accountsPlugin } from './accounts/plugin.ts';
import type { JoinTokens } from './auth/JoinTokens.ts';
import { authPlugin } from './auth/plugin.ts';
import type { Revocations } from './auth/Revocations.ts';
import { OperatorConsole } from './console/OperatorConsole.ts';
import type { Sql } from './db/Database.ts';
import { AppError } from './errors.ts';
import { registerHardening } from './hardening.ts';
import { type Logger, urlWithoutQuery } from './logger.ts';
import type { ControlMetrics } from './metrics/ControlMetrics.ts';
import type { BoardSources } from './metrics/readBoard.ts';
import { boardRoutes, metricsRoute } from './metrics/routes.ts';
import { PortalStore } from './portal/PortalStore.ts';
import type { PrivacyStore } from './privacy/PrivacyStore.ts';
import { NetworkCheckSessions } from './reach/NetworkCheckSessions.ts';
import type { NetworkCheckStore } from './reach/NetworkCheckStore.ts';
import { relayOpenings, webOpenings } from './reach/networkEndpoints.ts';
import { appsPlugin } from './routes/apps.ts';
import { consoleAccountRoutes } from './routes/consoleAccounts.ts';
import { consoleCatalogRoutes } from './routes/consoleCatalog.ts';
import { type HealthCheck, healthRoutes } from './routes/health.ts';
import { hlsRoutes } from './routes/hls.ts';
import { mediaNodeRoutes } from './routes/mediaNodes.ts';
import { networkCheckRoutes } from './routes/networkChecks.ts';
import { operatorRoutes } from './routes/operator.ts';
import { portalRoutes } from './routes/portal.ts';
import { privacyRoutes } from './routes/privacy.ts';
import { reachRoutes } from './routes/reach.ts';
import { registrationRoutes } from './routes/registration.ts';
import { DemoTestPattern } from './rtc/DemoTestPattern.ts';
import type { NodeDrainer } from './rtc/drain/NodeDrainer.ts';
import { InProcessMediaNode } from './rtc/InProcessMediaNode.ts';
import type { Services } from './signaling/context.ts';
import { signalingPlugin } from './signaling/plugin.ts';

export interface AppDeps {
  services: Services;
  /** The database, for the operator console's accounts, sessions, audit log and imports. */
  sql: Sql;
  tokens: JoinTokens;
  /** Join links operators revoked. */
  revocations: Revocations;
  /** Erasure of personal data on request (operators). */
  privacy: PrivacyStore;
  /** The classrooms' latest network checks. */
  networkChecks: NetworkCheckStore;
  /** The drain of a cluster's media nodes (GET/POST /api/v1/media-nodes); null on a single host. */
  drainer?: NodeDrainer | null;
  /**
   * GET /metrics (served only with a scrape credential) and the operators' live
   * board: the same figures, from the same sources.
   */
  observability?: {
    metrics: ControlMetrics;
    /** The scrape credential, then previous ones; none: /metrics is not served. */
    metricsTokens: readonly string[];
    board: BoardSources;
  };
  /** The operator credential, then previous ones still accepted during a rotation. */
  operatorTokens: readonly string[];
  publicUrl: string;
  log: Logger;
  /** Where `viewer/dist` and `studio/dist` are (default: this repository). */
  appsRoot?: string;
  /** What /healthz checks, by name (database, bus). */
  health: Record<string, HealthCheck>;
  /** Reverse proxies trusted to give the client's address (config `TRUST_PROXY`). */
  trustProxy?: string | undefined;
  /** Redis holding the REST rate limit's counters, shared by instances (in memory when absent). */
  rateLimitRedis?: Redis | undefined;
  redisNamespace?: string | undefined;
}

/**
 * The HTTP face of the control plane. Every concern is a plugin registered
 * here, in one visible place:
 *   /api/v1/...          operator REST (Bearer automation credential, or a console session cookie + CSRF header)
 *   /api/v1/console/...  the operator console: sign-in, accounts, audit log, CSV import, links, summary
 *   /api/v1/.../personal-data, /api/v1/.../enrolments/students/:id  erasure on request (operator)
 *   /api/v1/events/:id/reach  connected classrooms by media path: UDP, TCP, TURN relay (operator)
 *   /api/v1/events/:id/board  the live board: classrooms by region, path, quality; queue; stage; workers (operator)
 *   /api/v1/media-nodes  a cluster's media nodes: load, state; drain one for maintenance, undrain it (operator)
 *   /api/v1/catalogue, /api/v1/schools/search, /api/v1/portal/class  the teachers' portal: public catalogue, enrolment (rate-limited), the class's page (its link)
 *   /api/v1/registration a classroom's questions: asked before the event, read back after it (Bearer classroom join token)
 *   /v1/events/:id/ws    WebSocket signaling (join token)
 *   /api/openapi.json    OpenAPI document generated from the zod schemas
 *   /api/signaling.json  the WebSocket protocol as JSON Schema
 *   /hls/:eventId/...    the LL-HLS fallback: playlist (join token), parts from memory (routes/hls.ts)
 *   /api/v1/network-check/..., /hls/network-check/probe  a classroom's network check before the event (classroom join token);
 *                        /api/v1/events/:id/network-checks its results (operator) (routes/networkChecks.ts)
 *   /healthz             database and bus: 200, or 503 naming what is down
 *   /metrics             Prometheus exposition (Bearer METRICS_TOKEN; docs/metrics.md)
 *   /viewer/, /studio/   the built browser apps
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log,
    bodyLimit: 256 * 1024,
    // Join tokens travel in query strings: never log a URL with its query.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: trustProxySetting(deps.trustProxy),
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // Security headers everywhere, the REST API's rate limit: before any route.
  await registerHardening(app as unknown as FastifyInstance, {
    apiRatePerMinute: deps.services.limits.API_RATE_PER_MINUTE,
    redis: deps.rateLimitRedis,
    redisNamespace: deps.redisNamespace,
  });

  app.addHook('onResponse', async (req, reply) => {
    req.log.info(
      {
        method: req.method,
        url: urlWithoutQuery(req.url),
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    );
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof AppError) {
      return reply.code(err.httpStatus).send({ error: err.toBody() });
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const details = err.validation.slice(0, 20).map((v) => ({
        path: [err.validationContext, ...String(v.instancePath).split('/').filter(Boolean)].join(
          '.',
        ),
        message: v.message ?? 'invalid',
      }));
      const first = details[0];
      return reply.code(400).send({
        error: {
          code: 'VALIDATION_FAILED',
          message: first ? `${first.path}: ${first.message}` : 'invalid request',
          details,
        },
      });
    }
    if (err.statusCode === 413) {
      return reply
        .code(413)
        .send({ error: { code: 'MESSAGE_TOO_LARGE', message: 'body too large' } });
    }
    if (
      err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
      err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
    ) {
      return reply.code(400).send({ error: { code: 'INVALID_JSON', message: err.message } });
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return reply
        .code(err.statusCode)
        .send({ error: { code: 'VALIDATION_FAILED', message: err.message } });
    }
    req.log.error({ err, url: urlWithoutQuery(req.url) }, 'unhandled error');
    return reply.code(500).send({ error: { code: 'INTERNAL', message: 'internal error' } });
  });

  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({
      error: { code: 'NOT_FOUND', message: `no route ${req.method} ${urlWithoutQuery(req.url)}` },
    });
  });

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Amphi control API',
        description:
          'Events, enrolments, join links and question registration. Signaling runs over WebSocket at /v1/events/{eventId}/ws.',
        version: `${PROTOCOL_VERSION}.0.0`,
      },
      components: {
        securitySchemes: {
          operator: { type: 'http', scheme: 'bearer', description: 'operator credential' },
          joinToken: { type: 'http', scheme: 'bearer', description: 'classroom join token' },
        },
      },
    },
    transform: jsonSchemaTransform,
  });

  // The operator console's people: accounts, cookie sessions, and the audit of every operator write.
  const operatorConsole = new OperatorConsole({
    sql: deps.sql,
    bus: deps.services.bus,
    tokens: deps.tokens,
    revocations: deps.revocations,
    publicUrl: deps.publicUrl,
    log: deps.log,
    redis: deps.rateLimitRedis,
    redisNamespace: deps.redisNamespace,
  });
  app.addHook('onClose', async () => operatorConsole.close());
  await app.register(accountsPlugin, { audit: operatorConsole.audit, log: deps.log });
  // Who may call what: `requireOperator` and `requireJoinToken(...)`, the hooks every route names.
  await app.register(authPlugin, {
    access: operatorConsole.access,
    tokens: deps.tokens,
    revocations: deps.revocations,
    operatorTokens: deps.operatorTokens,
    catalog: deps.services.catalog,
  });
  if (deps.observability) {
    const { metrics, metricsTokens, board } = deps.observability;
    await app.register(boardRoutes, { prefix: '/api/v1', ...board });
    if (metricsTokens.length > 0) {
      await app.register(metricsRoute, { metrics, tokens: metricsTokens });
    }
  }
  await app.register(reachRoutes, {
    prefix: '/api/v1',
    catalog: deps.services.catalog,
    hub: deps.services.hub,
  });
  await app.register(mediaNodeRoutes, { prefix: '/api/v1', drainer: deps.drainer ?? null });
  await app.register(operatorRoutes, {
    prefix: '/api/v1',
    catalog: deps.services.catalog,
    tokens: deps.tokens,
    revocations: deps.revocations,
    bus: deps.services.bus,
    publicUrl: deps.publicUrl,
    log: deps.log,
  });
  await app.register(consoleAccountRoutes, {
    prefix: '/api/v1',
    ...operatorConsole,
    log: deps.log,
  });
  await app.register(consoleCatalogRoutes, {
    prefix: '/api/v1',
    sql: deps.sql,
    links: operatorConsole.links,
    summaries: operatorConsole.summaries,
    audit: operatorConsole.audit,
    log: deps.log,
  });
  await app.register(privacyRoutes, {
    prefix: '/api/v1',
    privacy: deps.privacy,
    log: deps.log,
  });
  await app.register(portalRoutes, {
    prefix: '/api/v1',
    portal: new PortalStore(deps.sql),
    catalog: deps.services.catalog,
    questions: deps.services.questions,
    tokens: deps.tokens,
    publicUrl: deps.publicUrl,
    log: deps.log,
  });
  await app.register(registrationRoutes, {
    prefix: '/api/v1',
    catalog: deps.services.catalog,
    questions: deps.services.questions,
  });
  // One LL-HLS egress per broadcast, where the broadcasts are: in this process.
  const media = deps.services.media;
  const hlsHub =
    media instanceof InProcessMediaNode
      ? new HlsHub({
          broadcastOf: (eventId) => media.broadcast(eventId),
          listenIp: media.transportOptions.listenIp,
          logger: deps.log.child({ component: 'hls' }),
        })
      : undefined;
  app.addHook('onClose', async () => hlsHub?.close());
  await app.register(hlsRoutes, { hub: hlsHub, catalog: deps.services.catalog });
  // Network checks consume a test pattern of their own, where the media is: in this process.
  const checkSessions = new NetworkCheckSessions({
    media,
    turn: deps.services.turn,
    startPattern:
      media instanceof InProcessMediaNode
        ? async (id) =>
            DemoTestPattern.start({
              broadcast: await media.broadcast(id),
              log: deps.log.child({ component: 'network-check' }),
            })
        : undefined,
    endpoints: {
      relay: relayOpenings(deps.services.turn?.urls ?? []),
      web: webOpenings(deps.publicUrl),
    },
    log: deps.log,
  });
  app.addHook('onClose', async () => checkSessions.close());
  await app.register(networkCheckRoutes, {
    catalog: deps.services.catalog,
    store: deps.networkChecks,
    sessions: checkSessions,
  });
  await app.register(signalingPlugin, {
    services: deps.services,
    revocations: deps.revocations,
    log: deps.log,
  });

  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  const signaling = signalingJsonSchema();
  app.get('/api/signaling.json', { schema: { hide: true } }, async () => signaling);
  await app.register(appsPlugin, deps.appsRoot ? { root: deps.appsRoot } : {});
  await app.register(healthRoutes, { checks: deps.health, log: deps.log });
  return app as unknown as FastifyInstance;
}

/** Config's TRUST_PROXY as Fastify takes it: `true`, a hop count, or addresses. */
function trustProxySetting(
  value: string | undefined,
): boolean | string | ((address: string, hop: number) => boolean) {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  const hops = /^\d+$/.test(value) ? Number(value) : undefined;
  return hops === undefined ? value : (_address, hop) => hop < hops;
}
