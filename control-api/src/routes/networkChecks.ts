import { randomBytes } from 'node:crypto';
import {
  EventIdParams,
  EventNetworkChecks,
  NetworkCheckConnectBody,
  NetworkCheckConsumeBody,
  NetworkCheckConsumer,
  NetworkCheckConsumerParams,
  NetworkCheckIdParams,
  NetworkCheckOverview,
  NetworkCheckReport,
  NetworkCheckResult,
  NetworkCheckSession,
  NetworkCheckTransportParams,
  networkVerdict,
  RestError,
  TransportOptions,
} from '@amphi/protocol';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { enrolledClassroom, joinGrantOf } from '../auth/plugin.ts';
import type { CatalogStore } from '../catalog/CatalogStore.ts';
import { AppError } from '../errors.ts';
import type { NetworkCheckSessions } from '../reach/NetworkCheckSessions.ts';
import type { NetworkCheckStore } from '../reach/NetworkCheckStore.ts';

export interface NetworkCheckRoutesOptions {
  catalog: CatalogStore;
  store: NetworkCheckStore;
  sessions: NetworkCheckSessions;
}

/** What the LL-HLS probe sends: about a second of the fallback's low layer. */
export const HLS_PROBE_BYTES = 128 * 1024;
export const HLS_PROBE_PATH = '/hls/network-check/probe';

const errors = { 400: RestError, 401: RestError, 403: RestError, 404: RestError, 409: RestError };

/**
 * The network check (viewer /viewer/check/): a teacher tries each way in from
 * the class's link, days before the talk, without joining it.
 *   POST   /api/v1/network-check/sessions                       a check: the test broadcast, the relay's credentials
 *   POST   /api/v1/network-check/sessions/:checkId/transports    a receive transport (one per way in)
 *   POST   …/transports/:transportId/connect, …/consumers, …/consumers/:consumerId/resume
 *   DELETE /api/v1/network-check/sessions/:checkId                the check is over
 *   POST   /api/v1/network-check/results                         what the browser measured -> the verdict, stored
 *   GET    /api/v1/network-check                                 whose link, and the classroom's latest check
 *   GET    /hls/network-check/probe?token=…                      the web path the LL-HLS fallback takes
 * each with the classroom join token (Bearer; the probe in the query, as hls.js
 * sends it); and for operators:
 *   GET    /api/v1/events/:eventId/network-checks                each enrolled class's latest verdict, and counts
 * A check is no participant of any event: no presence, not counted, no socket.
 */
export const networkCheckRoutes: FastifyPluginAsync<NetworkCheckRoutesOptions> = async (
  fastify,
  opts,
) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { sessions, store, catalog } = opts;
  const classroomLink = fastify.requireJoinToken({ roles: ['classroom'] });
  const probeLink = fastify.requireJoinToken({ roles: ['classroom'], fromQuery: true });
  const security = [{ joinToken: [] }];
  const tags = ['network-check'];

  /** The link's classroom, enrolled in the link's event. */
  const classroomOf = async (req: FastifyRequest) => {
    const grant = joinGrantOf(req);
    const { classroom } = await enrolledClassroom(catalog, grant);
    return { grant, classroom };
  };

  app.post('/api/v1/network-check/sessions', {
    schema: {
      tags,
      description:
        "Starts a network check for the link's classroom: the test broadcast's capabilities and producers, the relay with credentials that expire with the check, and what a school's firewall must let out.",
      security,
      response: { 201: NetworkCheckSession, ...errors, 429: RestError, 503: RestError },
    },
    onRequest: classroomLink,
    handler: async (req, reply) => {
      const { grant, classroom } = await classroomOf(req);
      const opened = await sessions.open(
        { id: classroom.id, name: classroom.displayName },
        grant.exp * 1000,
      );
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .send({ ...opened, hlsProbeUrl: HLS_PROBE_PATH });
    },
  });

  app.post('/api/v1/network-check/sessions/:checkId/transports', {
    schema: {
      tags,
      description: 'A receive transport of the check (the browser opens one per way in).',
      security,
      params: NetworkCheckIdParams,
      response: { 201: TransportOptions, ...errors, 429: RestError },
    },
    onRequest: classroomLink,
    handler: async (req, reply) => {
      const { classroom } = await classroomOf(req);
      return reply.code(201).send(await sessions.createTransport(req.params.checkId, classroom.id));
    },
  });

  app.post('/api/v1/network-check/sessions/:checkId/transports/:transportId/connect', {
    schema: {
      tags,
      security,
      params: NetworkCheckTransportParams,
      body: NetworkCheckConnectBody,
      response: { 204: z.null(), ...errors },
    },
    onRequest: classroomLink,
    handler: async (req, reply) => {
      const { classroom } = await classroomOf(req);
      const { checkId, transportId } = req.params;
      await sessions.connect(checkId, classroom.id, transportId, req.body.dtlsParameters);
      return reply.code(204).send(null);
    },
  });

  app.post('/api/v1/network-check/sessions/:checkId/consumers', {
    schema: {
      tags,
      description: "Consumes the check's test pattern (created paused) on one of its transports.",
      security,
      params: NetworkCheckIdParams,
      body: NetworkCheckConsumeBody,
      response: { 201: NetworkCheckConsumer, ...errors },
    },
    onRequest: classroomLink,
    handler: async (req, reply) => {
      const { classroom } = await classroomOf(req);
      return reply
        .code(201)
        .send(await sessions.consume(req.params.checkId, classroom.id, req.body));
    },
  });

  app.post('/api/v1/network-check/sessions/:checkId/consumers/:consumerId/resume', {
    schema: {
      tags,
      security,
      params: NetworkCheckConsumerParams,
      response: { 204: z.null(), ...errors },
    },
    onRequest: classroomLink,
    handler: async (req, reply) => {
      const { classroom } = await classroomOf(req);
      await sessions.resume(req.params.checkId, classroom.id, req.params.consumerId);
      return reply.code(204).send(null);
    },
  });

  app.delete('/api/v1/network-check/sessions/:checkId', {
    schema: {
      tags,
      security,
      params: NetworkCheckIdParams,
      response: { 204: z.null(), ...errors },
    },
    onRequest: classroomLink,
    handler: async (req, reply) => {
      const { classroom } = await classroomOf(req);
      await sessions.end(req.params.checkId, classroom.id);
      return reply.code(204).send(null);
    },
  });

  app.post('/api/v1/network-check/results', {
    schema: {
      tags,
      description:
        "Stores what the browser measured as the classroom's latest check, with its verdict (protocol's networkVerdict).",
      security,
      body: NetworkCheckReport,
      response: { 201: NetworkCheckResult, ...errors },
    },
    onRequest: classroomLink,
    handler: async (req, reply) => {
      const { grant, classroom } = await classroomOf(req);
      const report = req.body;
      // The media ports come from the check's own transports, not from the browser.
      const verdict = networkVerdict(report, sessions.endpointsOf(report.checkId));
      const result = await store.save(classroom.id, grant.eventId, report, verdict);
      if (report.checkId) await sessions.end(report.checkId, classroom.id);
      req.log.info(
        {
          eventId: grant.eventId,
          classroomId: classroom.id,
          level: verdict.level,
          path: verdict.path,
        },
        'network check stored',
      );
      return reply.code(201).send(result);
    },
  });

  app.get('/api/v1/network-check', {
    schema: {
      tags,
      description:
        "Whose link this is (the classroom, the event) and the classroom's latest network check (within the retention period).",
      security,
      response: { 200: NetworkCheckOverview, ...errors },
    },
    onRequest: classroomLink,
    handler: async (req, reply) => {
      const { grant, classroom } = await classroomOf(req);
      const [event, latest] = await Promise.all([
        catalog.getEventRow(grant.eventId),
        store.latest(classroom.id),
      ]);
      if (!event) throw new AppError('NOT_FOUND', `no event ${grant.eventId}`);
      return reply.header('cache-control', 'no-store').send({
        classroomId: classroom.id,
        classroomName: classroom.displayName,
        eventTitle: event.title,
        eventStartsAt: event.startsAt.toISOString(),
        latest,
      });
    },
  });

  const probe = randomBytes(HLS_PROBE_BYTES);
  app.get(HLS_PROBE_PATH, {
    schema: { hide: true, querystring: z.object({ token: z.string().optional() }) },
    onRequest: probeLink,
    handler: async (req, reply) => {
      await classroomOf(req);
      // Measured, so never from a cache between the school and the server.
      return reply
        .header('content-type', 'application/octet-stream')
        .header('cache-control', 'no-store')
        .send(probe);
    },
  });

  app.get('/api/v1/events/:eventId/network-checks', {
    schema: {
      tags: ['events'],
      description:
        "Each enrolled classroom's latest network check, and how many will come in directly, through the relay, on the LL-HLS fallback, not at all, or have not checked.",
      security: [{ operator: [] }],
      params: EventIdParams,
      response: { 200: EventNetworkChecks, 401: RestError, 404: RestError },
    },
    onRequest: fastify.requireOperator,
    handler: async (req) => {
      const { eventId } = req.params;
      if (!(await catalog.getEventRow(eventId))) {
        throw new AppError('NOT_FOUND', `no event ${eventId}`);
      }
      return store.ofEvent(eventId);
    },
  });
};
