import { QuestionList, RestError, SubmitQuestion, SubmitQuestionResult } from '@amphi/protocol';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { enrolledClassroom, joinGrantOf } from '../auth/plugin.ts';
import type { CatalogStore } from '../catalog/CatalogStore.ts';
import { AppError } from '../errors.ts';
import type { QuestionQueue } from '../questions/QuestionQueue.ts';

export interface RegistrationRoutesOptions {
  catalog: CatalogStore;
  questions: QuestionQueue;
}

/**
 * How long after its link expired a class may still read its own questions
 * (once the event is over). A classroom link expires two hours after the
 * event's scheduled end, but the class works on the talk in the following
 * weeks: about a school term.
 */
export const READ_AFTER_EXPIRY_SECONDS = 90 * 24 * 3600;

/**
 * The registration link: a classroom prepares its questions before the event,
 * and reads them again afterwards, with its classroom join token as a Bearer
 * credential, without a socket.
 */
export const registrationRoutes: FastifyPluginAsync<RegistrationRoutesOptions> = async (
  fastify,
  opts,
) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const classroomLink = fastify.requireJoinToken({ roles: ['classroom'] });
  const classroomLinkForReading = fastify.requireJoinToken({
    roles: ['classroom'],
    readAfterExpirySeconds: READ_AFTER_EXPIRY_SECONDS,
  });
  app.post('/registration/questions', {
    schema: {
      tags: ['registration'],
      description: 'Submit a question with a classroom join token (before or during the event).',
      security: [{ joinToken: [] }],
      body: SubmitQuestion,
      response: {
        201: SubmitQuestionResult,
        200: SubmitQuestionResult,
        400: RestError,
        401: RestError,
        403: RestError,
        409: RestError,
        429: RestError,
      },
    },
    onRequest: classroomLink,
    handler: async (req, reply) => {
      const grant = joinGrantOf(req);
      const { classroom, removed } = await enrolledClassroom(opts.catalog, grant);
      if (removed)
        throw new AppError('FORBIDDEN', 'a moderator removed this classroom from the event');
      const result = await opts.questions.submit(grant.eventId, classroom, req.body);
      return reply.code(result.duplicate ? 200 : 201).send(result);
    },
  });

  app.get('/registration/questions', {
    schema: {
      tags: ['registration'],
      description:
        "The classroom's own questions in the link's event, whatever their status and the event's, in the order asked (for the follow-up work after the talk).",
      security: [{ joinToken: [] }],
      response: {
        200: QuestionList,
        401: RestError,
        403: RestError,
        409: RestError,
      },
    },
    onRequest: classroomLinkForReading,
    handler: async (req, reply) => {
      // A removed classroom still reads: these are its own questions, which it
      // saw while connected; the removal keeps it out of the live event only.
      const grant = joinGrantOf(req);
      const { classroom } = await enrolledClassroom(opts.catalog, grant);
      const questions = await opts.questions.ofClassroom(grant.eventId, classroom.id);
      // Pupils' text behind a credential: no cache keeps a copy.
      return reply.header('cache-control', 'no-store').send({ questions });
    },
  });
};
