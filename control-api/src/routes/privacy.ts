import {
  ClassroomPersonalDataParams,
  ErasureReport,
  EventIdParams,
  RestError,
  StudentEnrolmentParams,
} from '@amphi/protocol';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from '../logger.ts';
import type { PrivacyStore } from '../privacy/PrivacyStore.ts';

export interface PrivacyRoutesOptions {
  privacy: PrivacyStore;
  log: Logger;
}

const errors = { 400: RestError, 401: RestError, 404: RestError, 409: RestError };
const security = [{ operator: [] }];

/**
 * Operators erase personal data on request (a school's data-protection
 * officer asks for one pupil, one class, or a whole event); docs/privacy.md.
 */
export const privacyRoutes: FastifyPluginAsync<PrivacyRoutesOptions> = async (fastify, opts) => {
  const { privacy, log } = opts;
  fastify.addHook('onRequest', fastify.requireOperator);
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const erased = (what: string, r: ErasureReport, ids: Record<string, string>) => {
    const { erasedAt: _, ...counts } = r;
    log.info({ ...ids, ...counts }, `personal data erased on request (${what})`);
    return r;
  };

  app.delete('/events/:eventId/personal-data', {
    schema: {
      tags: ['privacy'],
      summary:
        "Erase an event's personal data: question texts, pupils' names, moderation log names",
      security,
      params: EventIdParams,
      response: { 200: ErasureReport, ...errors },
    },
    handler: async (req) => erased('event', await privacy.eraseEvent(req.params.eventId), {}),
  });

  app.delete('/events/:eventId/classrooms/:classroomId/personal-data', {
    schema: {
      tags: ['privacy'],
      summary: "Erase one class's questions and its pupils' names in an event",
      security,
      params: ClassroomPersonalDataParams,
      response: { 200: ErasureReport, ...errors },
    },
    handler: async (req) => {
      const { eventId, classroomId } = req.params;
      return erased('classroom', await privacy.eraseClassroom(eventId, classroomId), {
        classroomId,
      });
    },
  });

  app.delete('/events/:eventId/enrolments/students/:enrolmentId', {
    schema: {
      tags: ['privacy'],
      summary: "Erase one pupil's enrolment (its name)",
      security,
      params: StudentEnrolmentParams,
      response: { 200: ErasureReport, ...errors },
    },
    handler: async (req) => {
      const { eventId, enrolmentId } = req.params;
      return erased('pupil', await privacy.eraseStudent(eventId, enrolmentId), { enrolmentId });
    },
  });
};
