import {
  Classroom,
  CreateClassroomBody,
  CreateEventBody,
  CreateSchoolBody,
  CreateSpeakerBody,
  EnrolClassroomsBody,
  EnrolmentList,
  EnrolStudentBody,
  Event,
  EventIdParams,
  IdParams,
  IssueJoinLinkBody,
  JoinLink,
  JoinLinkParams,
  JoinLinkRevocation,
  listOf,
  Pagination,
  RestError,
  School,
  SetEnrolmentBody,
  Speaker,
  StudentEnrolment,
  UpdateEventBody,
  UpdateEventStatusBody,
  UpdateSpeakerBody,
} from '@amphi/protocol';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { JoinTokens } from '../auth/JoinTokens.ts';
import type { Revocations } from '../auth/Revocations.ts';
import type { Bus } from '../bus/Bus.ts';
import type { CatalogStore } from '../catalog/CatalogStore.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';

export interface OperatorRoutesOptions {
  catalog: CatalogStore;
  tokens: JoinTokens;
  revocations: Revocations;
  bus: Bus;
  publicUrl: string;
  log: Logger;
}

const errors = { 400: RestError, 401: RestError, 404: RestError, 409: RestError };
const security = [{ operator: [] }];

/** Operators: the catalogue (events, speakers, schools, classrooms), enrolments and join links. */
export const operatorRoutes: FastifyPluginAsync<OperatorRoutesOptions> = async (fastify, opts) => {
  const { catalog, bus, log } = opts;
  fastify.addHook('onRequest', fastify.requireOperator);
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  // --- speakers
  app.post('/speakers', {
    schema: {
      tags: ['catalogue'],
      security,
      body: CreateSpeakerBody,
      response: { 201: Speaker, ...errors },
    },
    handler: async (req, reply) => reply.code(201).send(await catalog.createSpeaker(req.body)),
  });
  app.get('/speakers', {
    schema: {
      tags: ['catalogue'],
      security,
      querystring: Pagination,
      response: { 200: listOf(Speaker) },
    },
    handler: async (req) => catalog.listSpeakers(req.query),
  });
  app.patch('/speakers/:id', {
    schema: {
      tags: ['catalogue'],
      summary: 'Edit a speaker (job, organisation, bio, study path...)',
      security,
      params: IdParams,
      body: UpdateSpeakerBody,
      response: { 200: Speaker, ...errors },
    },
    handler: async (req) => catalog.updateSpeaker(req.params.id, req.body),
  });

  // --- events
  app.post('/events', {
    schema: {
      tags: ['events'],
      security,
      body: CreateEventBody,
      response: { 201: Event, ...errors },
    },
    handler: async (req, reply) => {
      const event = await catalog.createEvent(req.body);
      log.info({ eventId: event.id, format: event.format }, 'event created');
      return reply.code(201).send(event);
    },
  });
  app.get('/events', {
    schema: {
      tags: ['events'],
      security,
      querystring: Pagination,
      response: { 200: listOf(Event) },
    },
    handler: async (req) => catalog.listEvents(req.query),
  });
  app.get('/events/:eventId', {
    schema: {
      tags: ['events'],
      security,
      params: EventIdParams,
      response: { 200: Event, ...errors },
    },
    handler: async (req) => {
      const event = await catalog.getEvent(req.params.eventId);
      if (!event) throw new AppError('NOT_FOUND', `no event ${req.params.eventId}`);
      return event;
    },
  });
  app.patch('/events/:eventId', {
    schema: {
      tags: ['events'],
      summary:
        'Edit an event: title, theme week, levels, summary, description, enrolment; its time, format and speakers while scheduled',
      security,
      params: EventIdParams,
      body: UpdateEventBody,
      response: { 200: Event, ...errors },
    },
    handler: async (req) => {
      const event = await catalog.updateEvent(req.params.eventId, req.body);
      log.info({ eventId: event.id, fields: Object.keys(req.body) }, 'event edited');
      return event;
    },
  });
  app.post('/events/:eventId/enrolment', {
    schema: {
      tags: ['events'],
      summary: "Open or close teachers' enrolment from the portal",
      security,
      params: EventIdParams,
      body: SetEnrolmentBody,
      response: { 200: Event, ...errors },
    },
    handler: async (req) => {
      const event = await catalog.setEnrolmentOpen(req.params.eventId, req.body.open);
      log.info({ eventId: event.id, open: event.enrolmentOpen }, 'event enrolment set');
      return event;
    },
  });
  app.post('/events/:eventId/status', {
    schema: {
      tags: ['events'],
      security,
      params: EventIdParams,
      body: UpdateEventStatusBody,
      response: { 200: Event, ...errors },
    },
    handler: async (req) => {
      const event = await catalog.setEventStatus(req.params.eventId, req.body.status);
      log.info({ eventId: event.id, status: event.status }, 'event status changed');
      const { startedAt, endedAt } = event;
      await bus.publish({
        kind: 'event.updated',
        eventId: event.id,
        status: event.status,
        startedAt,
        endedAt,
      });
      return event;
    },
  });

  // --- schools and classrooms
  app.post('/schools', {
    schema: {
      tags: ['catalogue'],
      security,
      body: CreateSchoolBody,
      response: { 201: School, ...errors },
    },
    handler: async (req, reply) => reply.code(201).send(await catalog.createSchool(req.body)),
  });
  app.get('/schools', {
    schema: {
      tags: ['catalogue'],
      security,
      querystring: Pagination,
      response: { 200: listOf(School) },
    },
    handler: async (req) => catalog.listSchools(req.query),
  });
  app.post('/classrooms', {
    schema: {
      tags: ['catalogue'],
      security,
      body: CreateClassroomBody,
      response: { 201: Classroom, ...errors },
    },
    handler: async (req, reply) => reply.code(201).send(await catalog.createClassroom(req.body)),
  });
  app.get('/classrooms', {
    schema: {
      tags: ['catalogue'],
      security,
      querystring: Pagination.extend({ schoolId: z.uuid().optional() }),
      response: { 200: listOf(Classroom) },
    },
    handler: async (req) => catalog.listClassrooms(req.query, req.query.schoolId),
  });

  // --- enrolments
  app.post('/events/:eventId/enrolments/classrooms', {
    schema: {
      tags: ['enrolments'],
      security,
      params: EventIdParams,
      body: EnrolClassroomsBody,
      response: { 200: z.object({ enrolled: z.number().int() }), ...errors },
    },
    handler: async (req) => ({
      enrolled: await catalog.enrolClassrooms(req.params.eventId, req.body.classroomIds),
    }),
  });
  app.post('/events/:eventId/enrolments/students', {
    schema: {
      tags: ['enrolments'],
      security,
      params: EventIdParams,
      body: EnrolStudentBody,
      response: { 201: StudentEnrolment, ...errors },
    },
    handler: async (req, reply) =>
      reply.code(201).send(await catalog.enrolStudent(req.params.eventId, req.body)),
  });
  app.get('/events/:eventId/enrolments', {
    schema: {
      tags: ['enrolments'],
      security,
      params: EventIdParams,
      response: { 200: EnrolmentList, ...errors },
    },
    handler: async (req) => catalog.listEnrolments(req.params.eventId),
  });

  // --- join links
  app.post('/events/:eventId/join-links', {
    schema: {
      tags: ['join links'],
      security,
      params: EventIdParams,
      body: IssueJoinLinkBody,
      response: { 201: JoinLink, ...errors },
    },
    handler: async (req, reply) => {
      const link = await issueJoinLink(opts, req.params.eventId, req.body);
      log.info(
        {
          eventId: link.eventId,
          role: link.role,
          classroomId: link.classroomId,
          tokenId: link.tokenId,
        },
        'join link issued',
      );
      return reply.code(201).send(link);
    },
  });
  app.post('/events/:eventId/join-links/:tokenId/revoke', {
    schema: {
      tags: ['join links'],
      summary: 'Revoke a join link: it admits nobody any more, and its open sockets are closed',
      security,
      params: JoinLinkParams,
      response: { 200: JoinLinkRevocation, ...errors },
    },
    handler: async (req) => {
      const { eventId, tokenId } = req.params;
      const revocation = await opts.revocations.revoke(eventId, tokenId);
      log.info({ eventId, tokenId }, 'join link revoked');
      return revocation;
    },
  });
};

/** Issues a join link after checking the grant makes sense for the event. */
export async function issueJoinLink(
  opts: Pick<OperatorRoutesOptions, 'catalog' | 'tokens' | 'publicUrl'>,
  eventId: string,
  body: IssueJoinLinkBody,
): Promise<JoinLink> {
  const { catalog, tokens, publicUrl } = opts;
  const event = await catalog.getEventRow(eventId);
  if (!event) throw new AppError('NOT_FOUND', `no event ${eventId}`);
  let name: string;
  let classroomId: string | null = null;
  let speakerId: string | null = null;
  switch (body.role) {
    case 'speaker': {
      const speaker = await catalog.eventHasSpeaker(eventId, body.speakerId);
      if (!speaker) throw new AppError('NOT_FOUND', 'this speaker is not part of the event');
      name = speaker.name;
      speakerId = speaker.id;
      break;
    }
    case 'moderator':
      name = body.name;
      break;
    case 'classroom': {
      const info = await catalog.getClassroomInfo(body.classroomId);
      if (!info) throw new AppError('NOT_FOUND', `no classroom ${body.classroomId}`);
      if (!(await catalog.isClassroomEnrolled(eventId, body.classroomId))) {
        throw new AppError('NOT_ENROLLED', 'enrol the classroom in the event first');
      }
      name = info.displayName;
      classroomId = info.id;
      break;
    }
  }
  // Valid until two hours after the end of the event, and at least one hour.
  const eventEnd = event.startsAt.getTime() + event.durationMinutes * 60_000;
  const ttlSeconds =
    body.ttlSeconds ?? Math.max(3600, Math.ceil((eventEnd + 2 * 3600_000 - Date.now()) / 1000));
  const { token, claims } = await tokens.issue(
    { role: body.role, eventId, classroomId, speakerId, name },
    ttlSeconds,
  );
  const base = publicUrl.replace(/\/$/, '');
  const app = body.role === 'classroom' ? 'viewer' : 'studio';
  const wsBase = base.replace(/^http/, 'ws');
  return {
    role: body.role,
    eventId,
    classroomId,
    speakerId,
    tokenId: claims.jti,
    token,
    url: `${base}/${app}/?event=${eventId}&token=${encodeURIComponent(token)}`,
    ...(body.role === 'classroom'
      ? { checkUrl: `${base}/viewer/check/?event=${eventId}&token=${encodeURIComponent(token)}` }
      : {}),
    wsUrl: `${wsBase}/v1/events/${eventId}/ws?v=1&token=${encodeURIComponent(token)}`,
    expiresAt: new Date(claims.exp * 1000).toISOString(),
  };
}
