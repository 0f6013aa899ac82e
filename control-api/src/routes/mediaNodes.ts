import { MediaNodeIdParams, MediaNodeList, MediaNodeSummary, RestError } from '@amphi/protocol';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { AppError } from '../errors.ts';
import type { NodeDrainer } from '../rtc/drain/NodeDrainer.ts';

export interface MediaNodeRoutesOptions {
  /** The cluster's drain; null on a single host (media in this process: nothing to drain). */
  drainer: NodeDrainer | null;
}

const errors = { 400: RestError, 401: RestError, 404: RestError, 409: RestError };
const security = [{ operator: [] }];
const tags = ['media-nodes'];

/**
 * Operators: the media nodes of a cluster and their drain for maintenance.
 *   GET  /api/v1/media-nodes                    every node alive: region, capacity, load, state
 *   POST /api/v1/media-nodes/:nodeId/drain      no new classrooms there; its classrooms move elsewhere
 *   POST /api/v1/media-nodes/:nodeId/undrain    it takes classrooms again
 * The drain is a record in Redis that every control-api instance follows.
 */
export const mediaNodeRoutes: FastifyPluginAsync<MediaNodeRoutesOptions> = async (
  fastify,
  opts,
) => {
  fastify.addHook('onRequest', fastify.requireOperator);
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { drainer } = opts;
  const clustered = () => {
    if (!drainer) {
      throw new AppError(
        'CONFLICT',
        'this server runs its media in-process (MEDIA_PLANE=in-process): there is no media node to drain',
      );
    }
    return drainer;
  };

  app.get('/media-nodes', {
    schema: {
      tags,
      summary: 'The media nodes alive, with their load and drain state',
      security,
      response: { 200: MediaNodeList, 401: RestError },
    },
    handler: async () =>
      drainer
        ? { plane: 'remote' as const, nodes: await drainer.summaries() }
        : { plane: 'in-process' as const, nodes: [] },
  });

  app.post('/media-nodes/:nodeId/drain', {
    schema: {
      tags,
      summary: 'Drain a media node for maintenance',
      description:
        'The node gets no new classroom nor event; its classrooms move to other nodes a few at a time, each receiving from the new node before it lets go of the old one. An event whose speakers publish on it (its origin, listed in `origins`) stays there until it ends. The node is `drained` once nobody has media on it. 409 on a single host.',
      security,
      params: MediaNodeIdParams,
      response: { 200: MediaNodeSummary, ...errors },
    },
    handler: async (req) => clustered().setDraining(req.params.nodeId, true),
  });

  app.post('/media-nodes/:nodeId/undrain', {
    schema: {
      tags,
      summary: 'Stop draining a media node: it takes new classrooms again',
      security,
      params: MediaNodeIdParams,
      response: { 200: MediaNodeSummary, ...errors },
    },
    handler: async (req) => clustered().setDraining(req.params.nodeId, false),
  });
};
