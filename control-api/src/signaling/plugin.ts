import { randomUUID } from 'node:crypto';
import { CloseCode, MAX_MESSAGE_BYTES, SUPPORTED_PROTOCOL_VERSIONS } from '@amphi/protocol';
import websocket from '@fastify/websocket';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { enrolledClassroom, joinGrantOf } from '../auth/plugin.ts';
import type { Revocations } from '../auth/Revocations.ts';
import { AppError, validationError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Identity, Services } from './context.ts';
import { ParticipantSession } from './ParticipantSession.ts';
import { LocalResumeGenerations } from './ResumeGenerations.ts';
import { ResumeTokens } from './ResumeTokens.ts';
import { SignalingSessions } from './SignalingSessions.ts';
import { watchSilence } from './SocketHeartbeat.ts';

export interface SignalingPluginOptions {
  services: Services;
  revocations: Revocations;
  log: Logger;
}

const WsParams = z.strictObject({ eventId: z.uuid() });
const WsQuery = z.object({
  token: z.string().min(1).max(4096).optional(),
  v: z.coerce.number().int().optional(),
  /** A resume token (protocol/resume.ts); one that does not verify is answered at join, not here. */
  resume: z.string().max(300).optional(),
});

/**
 * A malformed upgrade query is the caller's mistake: a 4xx with the code the
 * apps act on (a bad token or version is final for them), never a 500.
 */
function readWsQuery(query: unknown): z.infer<typeof WsQuery> {
  const parsed = WsQuery.safeParse(query);
  if (parsed.success) return parsed.data;
  const field = parsed.error.issues[0]?.path[0];
  if (field === 'token') throw new AppError('TOKEN_INVALID', 'the join token is malformed');
  if (field === 'v') {
    throw new AppError(
      'PROTOCOL_VERSION_UNSUPPORTED',
      `protocol version is not a number (supported: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')})`,
    );
  }
  throw validationError('query', parsed.error, 'VALIDATION_FAILED');
}

/**
 * WebSocket signaling: `GET /v1/events/:eventId/ws?v=1&token=<join token>`.
 * The token is checked before the upgrade (401/403/409/429 with an error
 * body); after it, one ParticipantSession per socket.
 */
export const signalingPlugin: FastifyPluginAsync<SignalingPluginOptions> = async (app, opts) => {
  const { services } = opts;
  // The token: signature, expiry, revocation and this event, as for every route (auth/plugin.ts).
  const admitJoinToken = app.requireJoinToken({ fromQuery: true });
  const { limits } = services;
  const { perAddress, perParticipant } = services.joinLimits;
  const identities = new WeakMap<FastifyRequest, Identity>();
  /** When each upgrade request arrived: a join's latency counts from there (metrics). */
  const arrivals = new WeakMap<FastifyRequest, number>();
  const sessions = new SignalingSessions({
    bus: services.bus,
    log: opts.log,
    generations: services.resumeGenerations ?? new LocalResumeGenerations(),
  });
  const resumeTokens = services.resumeTokens ?? new ResumeTokens();

  await app.register(websocket, {
    // Above the protocol's limit so that an oversize message gets an error, not a dropped socket.
    options: { maxPayload: MAX_MESSAGE_BYTES * 16 },
  });

  async function authenticate(
    req: FastifyRequest,
    eventId: string,
    query: z.infer<typeof WsQuery>,
  ) {
    const version = query.v ?? 1;
    if (!SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
      throw new AppError(
        'PROTOCOL_VERSION_UNSUPPORTED',
        `protocol version ${version} is not supported (supported: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')})`,
      );
    }
    await admitJoinToken(req);
    const grant = joinGrantOf(req);
    if (!(await perParticipant.take(`${grant.eventId}:${grant.classroomId ?? grant.jti}`))) {
      throw new AppError('RATE_LIMITED', 'too many joins with this link: wait a moment');
    }
    const event = await services.catalog.getEventRow(eventId);
    if (!event) throw new AppError('NOT_FOUND', 'this event does not exist');
    if (event.status === 'ended' || event.status === 'cancelled') {
      throw new AppError('EVENT_CLOSED', `this event is ${event.status}`);
    }
    // A verified resume token keeps the participant id: its media on the node is under it.
    const resumed =
      query.resume === undefined
        ? null
        : resumeTokens.verify(query.resume, { eventId, tokenId: grant.jti });
    const participantId = resumed ?? randomUUID();
    const identity: Identity = {
      participantId,
      role: grant.role,
      eventId,
      classroomId: grant.classroomId,
      speakerId: grant.speakerId,
      name: grant.name,
      region: null,
      classroom: null,
      tokenId: grant.jti,
      tokenExpiresAt: grant.exp,
      resumeToken: resumeTokens.issue({ eventId, tokenId: grant.jti, participantId }),
      resume: query.resume === undefined ? null : { status: resumed ? 'verified' : 'invalid' },
    };
    if (grant.role === 'classroom') {
      const { classroom: info, removed } = await enrolledClassroom(services.catalog, grant);
      if (removed)
        throw new AppError('FORBIDDEN', 'a moderator removed this classroom from the event');
      identity.classroom = info;
      identity.name = info.displayName;
      identity.region = info.region;
    } else if (grant.role === 'speaker') {
      const speaker = grant.speakerId
        ? await services.catalog.eventHasSpeaker(eventId, grant.speakerId)
        : null;
      if (!speaker) throw new AppError('FORBIDDEN', 'this speaker is no longer part of the event');
      identity.name = speaker.name;
    }
    return identity;
  }

  app.withTypeProvider<ZodTypeProvider>().route({
    method: 'GET',
    url: '/v1/events/:eventId/ws',
    schema: { params: WsParams, querystring: WsQuery, hide: true },
    // The per-address limit comes first: a flood of bad upgrades costs a counter, not a parse.
    onRequest: async (req) => {
      arrivals.set(req, performance.now());
      if (!(await perAddress.take(req.ip))) {
        throw new AppError('RATE_LIMITED', 'too many connections from this address');
      }
    },
    // A refused upgrade, counted by the code its client gets (metrics).
    onError: async (_req, _reply, err) => {
      const status = (err as { statusCode?: number }).statusCode ?? 500;
      services.metrics?.refused(
        err instanceof AppError ? err.code : status < 500 ? 'VALIDATION_FAILED' : 'INTERNAL',
      );
    },
    preValidation: async (req) => {
      const params = WsParams.safeParse(req.params);
      if (!params.success) throw new AppError('NOT_FOUND', 'no such event');
      const identity = await authenticate(req, params.data.eventId, readWsQuery(req.query));
      identities.set(req, identity);
    },
    handler: async (_req, reply) => {
      reply.code(426).send({
        error: { code: 'INVALID_MESSAGE', message: 'this endpoint speaks WebSocket only' },
      });
    },
    wsHandler: (socket, req) => {
      const self = identities.get(req);
      if (!self) {
        socket.close(CloseCode.POLICY_VIOLATION, 'not authenticated');
        return;
      }
      const session = new ParticipantSession({
        socket,
        self,
        services,
        room: services.hub.room(self.eventId),
        log: opts.log,
        acceptedAt: arrivals.get(req),
      });
      // Resumed: its older socket, here or on another instance, steps aside (4012),
      // leaving the media and the place in presence to this one.
      sessions.add(session);
      // A cut line is silent: ended after the timeout, it leaves presence like a closed one.
      const stopWatching = watchSilence(socket, limits.SOCKET_SILENCE_TIMEOUT_MS, (silentMs) => {
        opts.log.info(
          { eventId: self.eventId, participantId: self.participantId, silentMs },
          'socket silent: ending it',
        );
        socket.terminate();
      });
      session.on('close', () => {
        stopWatching();
        sessions.delete(session);
      });
      session.start();
      // Revoked while it was being admitted, before its room could close it: the bus
      // has marked it revoked by now (a cached answer, no query).
      opts.revocations.isRevoked(self.tokenId).then(
        (revoked) => {
          if (revoked) session.close(CloseCode.TOKEN_REVOKED, 'this join link was revoked');
        },
        () => {},
      );
    },
  });

  app.addHook('onClose', async () => {
    sessions.close();
    for (const s of [...sessions.values()]) s.close(CloseCode.GOING_AWAY, 'server shutting down');
  });
};
