import {
  CatalogueEvent,
  CatalogueList,
  CatalogueQuery,
  ClassSheet,
  EventIdParams,
  type JoinLink,
  RestError,
  SchoolSearchQuery,
  SchoolSearchResult,
  TeacherEnrolment,
  TeacherEnrolmentBody,
} from '@amphi/protocol';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { JoinTokens } from '../auth/JoinTokens.ts';
import { joinGrantOf } from '../auth/plugin.ts';
import type { CatalogStore } from '../catalog/CatalogStore.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { PortalStore } from '../portal/PortalStore.ts';
import type { QuestionQueue } from '../questions/QuestionQueue.ts';
import { issueJoinLink } from './operator.ts';
import { READ_AFTER_EXPIRY_SECONDS } from './registration.ts';

export interface PortalRoutesOptions {
  portal: PortalStore;
  catalog: CatalogStore;
  questions: QuestionQueue;
  tokens: JoinTokens;
  publicUrl: string;
  log: Logger;
  /** Classes one address may enrol per hour (a school's staff room shares one address). */
  enrolmentsPerHour?: number;
}

/**
 * The one place that says where a class's network check page is: the check
 * page (viewer/check/) takes the class's own link, and `issueJoinLink` names
 * it on every classroom link (`checkUrl`). Null where the server has none.
 */
export function networkCheckUrlOf(link: JoinLink): string | null {
  return link.checkUrl ?? null;
}

/**
 * The teachers' portal, public (no operator account): the catalogue of
 * upcoming talks, the school search, a class's enrolment (rate-limited per
 * address), and, with the class's link, its talk and questions.
 */
export const portalRoutes: FastifyPluginAsync<PortalRoutesOptions> = async (fastify, opts) => {
  const { portal, catalog, log } = opts;
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  app.get('/catalogue', {
    schema: {
      tags: ['portal'],
      summary:
        'Upcoming talks (scheduled, or open to enrolment), filtered by theme week, level, day and job',
      querystring: CatalogueQuery,
      response: { 200: CatalogueList, 400: RestError },
    },
    handler: async (req) => portal.listCatalogue(req.query),
  });

  app.get('/catalogue/:eventId', {
    schema: {
      tags: ['portal'],
      summary: 'One talk as the catalogue shows it',
      params: EventIdParams,
      response: { 200: CatalogueEvent, 400: RestError, 404: RestError },
    },
    handler: async (req) => {
      const event = await portal.getCatalogueEvent(req.params.eventId);
      if (!event) throw new AppError('NOT_FOUND', `no talk ${req.params.eventId}`);
      return event;
    },
  });

  app.get('/schools/search', {
    schema: {
      tags: ['portal'],
      summary: 'Schools by name or town (any case and accents), for choosing one to enrol a class',
      querystring: SchoolSearchQuery,
      response: { 200: SchoolSearchResult, 400: RestError },
    },
    handler: async (req) => portal.searchSchools(req.query.q, req.query.limit),
  });

  app.post('/catalogue/:eventId/enrolments', {
    schema: {
      tags: ['portal'],
      summary:
        "A teacher enrols a class: the class's join link, its network check page, the talk for the dossier",
      params: EventIdParams,
      body: TeacherEnrolmentBody,
      response: {
        201: TeacherEnrolment,
        400: RestError,
        404: RestError,
        409: RestError,
        429: RestError,
      },
    },
    config: {
      rateLimit: { max: opts.enrolmentsPerHour ?? 30, timeWindow: 3600_000 },
    },
    handler: async (req, reply) => {
      const { eventId } = req.params;
      const classroom = await portal.enrolClass(eventId, req.body);
      const link = await issueJoinLink(opts, eventId, {
        role: 'classroom',
        classroomId: classroom.id,
      });
      const event = await portal.getCatalogueEvent(eventId);
      if (!event) throw new AppError('INTERNAL', 'the talk vanished');
      // The e-mail stays out of the log: ids are enough to trace an enrolment.
      log.info(
        { eventId, classroomId: classroom.id, tokenId: link.tokenId },
        'class enrolled by its teacher',
      );
      return reply.code(201).send({
        event,
        classroom,
        joinUrl: link.url,
        token: link.token,
        expiresAt: link.expiresAt,
        networkCheckUrl: networkCheckUrlOf(link),
      });
    },
  });

  const classLink = fastify.requireJoinToken({
    roles: ['classroom'],
    readAfterExpirySeconds: READ_AFTER_EXPIRY_SECONDS,
  });
  app.get('/portal/class', {
    schema: {
      tags: ['portal'],
      summary:
        "With the class's link: its talk, the class, and its own questions with their status (before and after the talk)",
      security: [{ joinToken: [] }],
      response: { 200: ClassSheet, 401: RestError, 403: RestError, 404: RestError, 409: RestError },
    },
    onRequest: classLink,
    handler: async (req, reply) => {
      const grant = joinGrantOf(req);
      if (!grant.classroomId)
        throw new AppError('TOKEN_INVALID', 'classroom token without classroom');
      const [event, classroom, enrolled] = await Promise.all([
        portal.getCatalogueEvent(grant.eventId),
        portal.getClassroom(grant.classroomId),
        catalog.isClassroomEnrolled(grant.eventId, grant.classroomId),
      ]);
      if (!classroom || !enrolled) {
        throw new AppError('NOT_ENROLLED', 'this classroom is not enrolled in the event');
      }
      if (!event) throw new AppError('NOT_FOUND', 'this talk was cancelled');
      const questions = await opts.questions.ofClassroom(grant.eventId, grant.classroomId);
      // Pupils' text behind a credential: no cache keeps a copy.
      return reply.header('cache-control', 'no-store').send({ event, classroom, questions });
    },
  });
};
