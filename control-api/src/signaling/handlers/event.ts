import { decideEventStatus, EVENT_STATUS_ROLES, type RequestResult } from '@amphi/protocol';
import type { EventRow } from '../../catalog/CatalogStore.ts';
import { AppError } from '../../errors.ts';
import { TEST_PATTERN_PARTICIPANT } from '../../rtc/DemoTestPattern.ts';
import type { HandlerContext, HandlerTable } from '../context.ts';

function answer(event: EventRow): RequestResult<'event.setStatus'> {
  return {
    status: event.status,
    startedAt: event.startedAt?.toISOString() ?? null,
    endedAt: event.endedAt?.toISOString() ?? null,
  };
}

/** Whether a speaker other than the sender still sends (the demo's stand-in is nobody). */
async function otherSpeakersOnAir(ctx: HandlerContext): Promise<boolean> {
  try {
    const producers = await ctx.services.media.listProducers(ctx.self.eventId);
    return producers.some(
      (p) =>
        p.role === 'speaker' &&
        p.participantId !== ctx.self.participantId &&
        p.participantId !== TEST_PATTERN_PARTICIPANT,
    );
  } catch {
    return false;
  }
}

export const eventHandlers: Pick<HandlerTable, 'event.setStatus'> = {
  'event.setStatus': {
    roles: EVENT_STATUS_ROLES,
    async handle(ctx, data) {
      const { catalog, bus } = ctx.services;
      const { eventId, role } = ctx.self;
      // Compare-and-set: two studios asking at once decide on what the other left.
      for (let attempt = 0; attempt < 3; attempt++) {
        const event = await catalog.getEventRow(eventId);
        if (!event) throw new AppError('NOT_FOUND', 'this event no longer exists');
        const others = data.status === 'ended' && (await otherSpeakersOnAir(ctx));
        const decision = decideEventStatus(role, event.status, data.status, others);
        if (!decision.ok) throw new AppError(decision.code, decision.reason);
        if (decision.status === event.status) return answer(event);
        const moved = await catalog.moveEventStatus(eventId, decision.status, event.status);
        if (!moved) continue;
        const result = answer(moved);
        ctx.log.info({ eventId, status: result.status, by: role }, 'event status changed');
        await bus.publish({ kind: 'event.updated', eventId, ...result });
        return result;
      }
      throw new AppError('CONFLICT', 'the event changed meanwhile: try again');
    },
  },
};
