import { RestError, SubmitQuestion, SubmitQuestionResult } from '@amphi/protocol';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { JoinTokens } from '../auth/JoinTokens.ts';
import type { CatalogStore } from '../catalog/CatalogStore.ts';
import { AppError } from '../errors.ts';
import type { QuestionQueue } from '../questions/QuestionQueue.ts';

export interface RegistrationRoutesOptions {
  catalog: CatalogStore;
  questions: QuestionQueue;
  tokens: JoinTokens;
}

/**
 * The registration link: a classroom prepares its questions before the event,
 * with its classroom join token as a Bearer credential, without a socket.
 */
export const registrationRoutes: FastifyPluginAsync<RegistrationRoutesOptions> = async (
  fastify,
  opts,
) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
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
    handler: async (req, reply) => {
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (!token) throw new AppError('UNAUTHORIZED', 'a classroom join token is required');
      const grant = opts.tokens.verify(token);
      if (grant.role !== 'classroom' || !grant.classroomId) {
        throw new AppError('FORBIDDEN', 'only a classroom submits questions');
      }
      const [info, enrolled, removed] = await Promise.all([
        opts.catalog.getClassroomInfo(grant.classroomId),
        opts.catalog.isClassroomEnrolled(grant.eventId, grant.classroomId),
        opts.catalog.isClassroomRemoved(grant.eventId, grant.classroomId),
      ]);
      if (!info || !enrolled) throw new AppError('NOT_ENROLLED', 'this classroom is not enrolled');
      if (removed)
        throw new AppError('FORBIDDEN', 'a moderator removed this classroom from the event');
      const result = await opts.questions.submit(grant.eventId, info, req.body);
      return reply.code(result.duplicate ? 200 : 201).send(result);
    },
  });
};
