import type { LiveState, Presence, ProducerInfo } from '@amphi/protocol';
import { AppError } from '../../errors.ts';
import { mayConsume } from '../../live/EventRoom.ts';
import type { HandlerContext, HandlerTable } from '../context.ts';
import { ALL_ROLES } from '../context.ts';

async function producersFor(ctx: HandlerContext): Promise<ProducerInfo[]> {
  try {
    const all = await ctx.services.media.listProducers(ctx.self.eventId);
    return all.filter((p) => mayConsume(ctx.self.role, p.role));
  } catch {
    return [];
  }
}

async function liveState(ctx: HandlerContext): Promise<LiveState> {
  const { self, services } = ctx;
  const event = await services.catalog.getEventRow(self.eventId);
  if (!event) throw new AppError('NOT_FOUND', 'this event no longer exists');
  const [questions, stage, hands, producers] = await Promise.all([
    services.questions.list(self.eventId, self),
    services.stage.stage(self.eventId),
    self.role === 'speaker'
      ? Promise.resolve([])
      : services.stage.hands(self.eventId, self.role === 'classroom' ? self.classroomId : null),
    producersFor(ctx),
  ]);
  const visibleStage =
    self.role !== 'classroom' || stage?.classroomId === self.classroomId ? stage : null;
  return {
    event: {
      id: event.id,
      title: event.title,
      status: event.status,
      startsAt: event.startsAt.toISOString(),
      durationMinutes: event.durationMinutes,
    },
    questions,
    stage: visibleStage,
    hands,
    presence: self.role === 'moderator' ? ctx.room.presence() : null,
    producers,
  };
}

export const sessionHandlers: Pick<
  HandlerTable,
  'join' | 'ping' | 'presence.get' | 'presence.quality' | 'participant.remove'
> = {
  join: {
    roles: ALL_ROLES,
    async handle(ctx) {
      const state = await liveState(ctx);
      let routerRtpCapabilities = null;
      try {
        routerRtpCapabilities = await ctx.services.media.getRouterRtpCapabilities(ctx.self.eventId);
      } catch (err) {
        ctx.log.debug({ err }, 'media unavailable at join');
      }
      const { self } = ctx;
      return {
        self: {
          participantId: self.participantId,
          role: self.role,
          name: self.name,
          eventId: self.eventId,
          classroomId: self.classroomId,
          speakerId: self.speakerId,
        },
        state,
        routerRtpCapabilities,
      };
    },
  },
  ping: {
    roles: ALL_ROLES,
    async handle() {
      return { now: Date.now() };
    },
  },
  'presence.get': {
    roles: ['moderator'],
    async handle(ctx): Promise<Presence> {
      return ctx.room.presence();
    },
  },
  'presence.quality': {
    roles: ALL_ROLES,
    async handle(ctx, data) {
      ctx.room.setQuality(ctx.self.participantId, data.quality);
      return {};
    },
  },
  'participant.remove': {
    roles: ['moderator'],
    async handle(ctx, data) {
      if (!(await ctx.services.catalog.isClassroomEnrolled(ctx.self.eventId, data.classroomId))) {
        throw new AppError('NOT_FOUND', 'no such classroom in this event');
      }
      await ctx.services.stage.removeClassroom(ctx.self.eventId, data.classroomId, ctx.self.name);
      return {};
    },
  },
};
