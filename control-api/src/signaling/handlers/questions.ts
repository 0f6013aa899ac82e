import type { ModerateQuestion } from '@amphi/protocol';
import { AppError } from '../../errors.ts';
import type { HandlerContext, HandlerTable } from '../context.ts';
import { ALL_ROLES, ownClassroom } from '../context.ts';

const SPEAKER_ACTIONS: ReadonlySet<ModerateQuestion['action']> = new Set(['answering', 'answered']);

const actor = (ctx: HandlerContext) => ({
  role: ctx.self.role,
  name: ctx.self.name,
  classroomId: ctx.self.classroomId,
});

export const questionHandlers: Pick<
  HandlerTable,
  'question.submit' | 'question.list' | 'question.upvote' | 'question.moderate' | 'question.reorder'
> = {
  'question.submit': {
    roles: ['classroom'],
    handle(ctx, data) {
      return ctx.services.questions.submit(ctx.self.eventId, ownClassroom(ctx), data);
    },
  },
  'question.list': {
    roles: ALL_ROLES,
    async handle(ctx) {
      return { questions: await ctx.services.questions.list(ctx.self.eventId, ctx.self) };
    },
  },
  'question.upvote': {
    roles: ['classroom'],
    async handle(ctx, data) {
      const question = await ctx.services.questions.upvote(
        ctx.self.eventId,
        ownClassroom(ctx).id,
        data.questionId,
      );
      return { question };
    },
  },
  'question.moderate': {
    // The speaker takes the approved questions in turn: it may say which one it
    // is answering and when it is done, nothing else.
    roles: ['moderator', 'speaker'],
    async handle(ctx, data) {
      if (ctx.self.role === 'speaker' && !SPEAKER_ACTIONS.has(data.action)) {
        throw new AppError('FORBIDDEN', 'a speaker can only mark the question it is answering');
      }
      return {
        question: await ctx.services.questions.moderate(ctx.self.eventId, actor(ctx), data),
      };
    },
  },
  'question.reorder': {
    roles: ['moderator'],
    async handle(ctx, data) {
      const questions = await ctx.services.questions.reorder(
        ctx.self.eventId,
        actor(ctx),
        data.orderedQuestionIds,
      );
      return { questions };
    },
  },
};
