import { randomUUID } from 'node:crypto';
import { BACKSTAGE_ROLES } from '@amphi/protocol';
import type { HandlerTable } from '../context.ts';

/**
 * The backstage line: a moderator or a speaker writes, every moderator and
 * speaker of the event reads it (through the bus, on every instance). Nothing
 * is stored: the message exists only in the open studios and consoles.
 */
export const backstageHandlers: Pick<HandlerTable, 'backstage.send'> = {
  'backstage.send': {
    roles: BACKSTAGE_ROLES,
    async handle(ctx, data) {
      const { role, name, eventId } = ctx.self;
      const message = {
        id: randomUUID(),
        fromRole: role === 'moderator' ? ('moderator' as const) : ('speaker' as const),
        fromName: name,
        text: data.text,
        sentAt: new Date().toISOString(),
      };
      await ctx.services.bus.publish({ kind: 'backstage.message', eventId, message });
      return { message };
    },
  },
};
