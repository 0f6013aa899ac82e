import { QuestionList, RestError, SubmitQuestion, SubmitQuestionResult } from '@amphi/protocol';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { JoinTokens } from '../auth/JoinTokens.ts';
import type { CatalogStore, ClassroomInfo } from '../catalog/CatalogStore.ts';
import { AppError } from '../errors.ts';
import type { QuestionQueue } from '../questions/QuestionQueue.ts';

export interface RegistrationRoutesOptions {
  catalog: CatalogStore;
  questions: QuestionQueue;
  tokens: JoinTokens;
}

/**
 * How long after its link expired a class may still read its own questions.
 * A classroom link expires two hours after the event's scheduled end, but the
 * class works on the talk in the following weeks: about a school term.
 */
export const READ_AFTER_EXPIRY_SECONDS = 90 * 24 * 3600;

/** The classroom a Bearer classroom join token speaks for, in the token's event. */
export interface ClassroomCaller {
  eventId: string;
  classroom: ClassroomInfo;
  /** A moderator removed the classroom from the event (participant.remove). */
  removed: boolean;
}

/**
 * Checks the Bearer classroom join token and the classroom's enrolment.
 * `read` also accepts a link that expired less than READ_AFTER_EXPIRY_SECONDS
 * ago, but only for an event that is over: the link's expiry is set from the
 * event's end so that nobody joins late, not to take the class's own text away
 * from it. A live or scheduled event wants a fresh link.
 */
async function classroomCaller(
  req: FastifyRequest,
  opts: RegistrationRoutesOptions,
  use: 'submit' | 'read',
): Promise<ClassroomCaller> {
  const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  if (!token) throw new AppError('UNAUTHORIZED', 'a classroom join token is required');
  const grant = opts.tokens.verify(
    token,
    use === 'read' ? { expiredUpToSeconds: READ_AFTER_EXPIRY_SECONDS } : {},
  );
  if (grant.role !== 'classroom' || !grant.classroomId) {
    throw new AppError('FORBIDDEN', 'only a classroom link can do this');
  }
  if (opts.tokens.expired(grant)) {
    const event = await opts.catalog.getEventRow(grant.eventId);
    if (event?.status !== 'ended' && event?.status !== 'cancelled') {
      throw new AppError('TOKEN_EXPIRED', 'join link has expired: ask the organiser for a new one');
    }
  }
  const [info, enrolled, removed] = await Promise.all([
    opts.catalog.getClassroomInfo(grant.classroomId),
    opts.catalog.isClassroomEnrolled(grant.eventId, grant.classroomId),
    opts.catalog.isClassroomRemoved(grant.eventId, grant.classroomId),
  ]);
  if (!info || !enrolled) throw new AppError('NOT_ENROLLED', 'this classroom is not enrolled');
  return { eventId: grant.eventId, classroom: info, removed };
}

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
      const caller = await classroomCaller(req, opts, 'submit');
      if (caller.removed)
        throw new AppError('FORBIDDEN', 'a moderator removed this classroom from the event');
      const result = await opts.questions.submit(caller.eventId, caller.classroom, req.body);
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
    handler: async (req, reply) => {
      // A removed classroom still reads: these are its own questions, which it
      // saw while connected; the removal keeps it out of the live event only.
      const caller = await classroomCaller(req, opts, 'read');
      const questions = await opts.questions.ofClassroom(caller.eventId, caller.classroom.id);
      // Pupils' text behind a credential: no cache keeps a copy.
      return reply.header('cache-control', 'no-store').send({ questions });
    },
  });
};
