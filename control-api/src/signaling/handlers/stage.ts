import { AppError } from '../../errors.ts';
import { type HandlerTable, ownClassroom } from '../context.ts';

export const stageHandlers: Pick<
  HandlerTable,
  'hand.raise' | 'hand.lower' | 'stage.invite' | 'stage.respond' | 'stage.leave'
> = {
  'hand.raise': {
    roles: ['classroom'],
    async handle(ctx) {
      // The fallback's picture is seconds late and it sends nothing: no stage from there.
      if (ctx.room.pathOf(ctx.self.participantId) === 'hls') {
        throw new AppError('INVALID_STATE', 'a class on the HLS fallback cannot go on stage');
      }
      const hand = await ctx.services.stage.raiseHand(ctx.self.eventId, ownClassroom(ctx).id);
      return { hand };
    },
  },
  'hand.lower': {
    roles: ['classroom', 'moderator'],
    async handle(ctx, data) {
      let classroomId: string;
      if (ctx.self.role === 'moderator') {
        if (!data.classroomId) {
          throw new AppError(
            'INVALID_MESSAGE',
            "data.classroomId: which classroom's hand to lower",
          );
        }
        classroomId = data.classroomId;
      } else {
        classroomId = ownClassroom(ctx).id;
        if (data.classroomId && data.classroomId !== classroomId) {
          throw new AppError('FORBIDDEN', 'a classroom can only lower its own hand');
        }
      }
      await ctx.services.stage.lowerHand(ctx.self.eventId, classroomId);
      return {};
    },
  },
  'stage.invite': {
    roles: ['moderator'],
    async handle(ctx, data) {
      return { stage: await ctx.services.stage.invite(ctx.self.eventId, data.classroomId) };
    },
  },
  'stage.respond': {
    roles: ['classroom'],
    async handle(ctx, data) {
      const stage = await ctx.services.stage.respond(
        ctx.self.eventId,
        ownClassroom(ctx).id,
        data.accept,
      );
      return { stage };
    },
  },
  'stage.leave': {
    roles: ['moderator', 'classroom'],
    async handle(ctx) {
      if (ctx.self.role === 'moderator') await ctx.services.stage.clear(ctx.self.eventId);
      else await ctx.services.stage.clear(ctx.self.eventId, ownClassroom(ctx).id);
      return {};
    },
  },
};
