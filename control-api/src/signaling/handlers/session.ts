import {
  type LiveState,
  type Presence,
  type ProducerInfo,
  presenceFor,
  viewOfState,
} from '@amphi/protocol';
import { AppError } from '../../errors.ts';
import { iceServersFor } from '../../rtc/turnCredentials.ts';
import { awaitMedia } from '../awaitMedia.ts';
import type { HandlerContext, HandlerTable } from '../context.ts';
import { ALL_ROLES } from '../context.ts';
import { resumeMedia } from '../resumeMedia.ts';

async function producers(ctx: HandlerContext): Promise<ProducerInfo[]> {
  try {
    return await ctx.services.media.listProducers(ctx.self.eventId);
  } catch {
    return [];
  }
}

/**
 * The join snapshot: the event's live state through protocol's per-role view,
 * the same rules as every pushed event. Questions and a classroom's hand are
 * read already narrowed to what the role sees.
 */
async function liveState(ctx: HandlerContext): Promise<LiveState> {
  const { self, services } = ctx;
  const event = await services.catalog.getEvent(self.eventId);
  if (!event) throw new AppError('NOT_FOUND', 'this event no longer exists');
  const [questions, stage, hands, open] = await Promise.all([
    services.questions.list(self.eventId, self),
    services.stage.stage(self.eventId),
    services.stage.hands(self.eventId, self.role === 'classroom' ? self.classroomId : null),
    producers(ctx),
  ]);
  return viewOfState(self, {
    event: {
      id: event.id,
      title: event.title,
      status: event.status,
      startsAt: event.startsAt,
      durationMinutes: event.durationMinutes,
      startedAt: event.startedAt,
      endedAt: event.endedAt,
      speakers: event.speakers.map(({ name, job, organisation }) => ({ name, job, organisation })),
    },
    questions,
    stage,
    hands,
    presence: presenceFor(self, ctx.room.presence()),
    producers: open,
  });
}

export const sessionHandlers: Pick<
  HandlerTable,
  | 'join'
  | 'ping'
  | 'presence.get'
  | 'presence.quality'
  | 'participant.remove'
  | 'participant.reinstate'
  | 'participant.removed'
> = {
  join: {
    roles: ALL_ROLES,
    async handle(ctx) {
      // Before the state is read: the producers it lists are then this participant's own.
      const resumed = await resumeMedia(ctx);
      const state = await liveState(ctx);
      let routerRtpCapabilities = null;
      try {
        routerRtpCapabilities = await ctx.services.media.getRouterRtpCapabilities(ctx.self.eventId);
      } catch (err) {
        ctx.log.debug({ err }, 'media unavailable at join');
        awaitMedia(ctx);
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
        iceServers: iceServersFor(ctx.services.turn, self.participantId, self.tokenExpiresAt),
        resume: { token: self.resumeToken, media: resumed },
      };
    },
  },
  ping: {
    roles: ALL_ROLES,
    async handle(ctx) {
      return { now: (ctx.services.clock ?? Date.now)() };
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
      ctx.room.setQuality(ctx.self.participantId, data.quality, data.path);
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
  'participant.reinstate': {
    roles: ['moderator'],
    async handle(ctx, data) {
      const { eventId, name } = ctx.self;
      const reinstated = await ctx.services.stage.reinstateClassroom(
        eventId,
        data.classroomId,
        name,
      );
      if (!reinstated) throw new AppError('NOT_FOUND', 'this classroom is not removed');
      return {};
    },
  },
  'participant.removed': {
    roles: ['moderator'],
    async handle(ctx) {
      return { classrooms: await ctx.services.stage.removedClassrooms(ctx.self.eventId) };
    },
  },
};
