import { MODERATING_ROLES, roleRefusal } from '@amphi/protocol';
import { AppError } from '../../errors.ts';
import type { HandlerContext, HandlerTable } from '../context.ts';
import { ALL_ROLES, ownClassroom } from '../context.ts';

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
    // Who may take which action is protocol's transition table; the store checks
    // the question's state against it, a role never allowed is refused here.
    roles: MODERATING_ROLES,
    async handle(ctx, data) {
      const refusal = roleRefusal(ctx.self.role, data.action);
      if (refusal) throw new AppError(refusal.code, refusal.message);
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
