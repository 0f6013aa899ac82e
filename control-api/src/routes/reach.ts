import {
  type ConnectedParticipant,
  EventIdParams,
  EventReach,
  MediaPath,
  RestError,
} from '@amphi/protocol';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { CatalogStore } from '../catalog/CatalogStore.ts';
import { AppError } from '../errors.ts';
import type { LiveHub } from '../live/LiveHub.ts';

export interface ReachRoutesOptions {
  catalog: CatalogStore;
  hub: LiveHub;
}

/** Counts an event's connected classrooms by the media path each reported. */
export function reachOf(
  eventId: string,
  participants: readonly ConnectedParticipant[],
): EventReach {
  const byPath = Object.fromEntries(MediaPath.options.map((p) => [p, 0])) as EventReach['byPath'];
  let classrooms = 0;
  let unknown = 0;
  for (const p of participants) {
    if (p.role !== 'classroom') continue;
    classrooms += 1;
    if (p.path) byPath[p.path] += 1;
    else unknown += 1;
  }
  return { eventId, classrooms, byPath, unknown };
}

/**
 * Operators: how the classrooms of an event reach the media (directly over
 * UDP or TCP, or through the TURN relay), live, across every instance.
 */
export const reachRoutes: FastifyPluginAsync<ReachRoutesOptions> = async (fastify, opts) => {
  fastify.addHook('onRequest', fastify.requireOperator);
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  app.get('/events/:eventId/reach', {
    schema: {
      tags: ['events'],
      description:
        "Connected classrooms by media path (UDP, TCP, TURN relay), from each client's report.",
      security: [{ operator: [] }],
      params: EventIdParams,
      response: { 200: EventReach, 401: RestError, 404: RestError },
    },
    handler: async (req) => {
      const { eventId } = req.params;
      if (!(await opts.catalog.getEventRow(eventId))) {
        throw new AppError('NOT_FOUND', `no event ${eventId}`);
      }
      return reachOf(eventId, opts.hub.presence(eventId));
    },
  });
};
