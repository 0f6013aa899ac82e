import { createHash, timingSafeEqual } from 'node:crypto';
import { EventBoard, EventIdParams, RestError } from '@amphi/protocol';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { AppError } from '../errors.ts';
import type { ControlMetrics } from './ControlMetrics.ts';
import { type BoardSources, readBoard } from './readBoard.ts';

export interface MetricsRouteOptions {
  metrics: ControlMetrics;
  /** The scrape credential (config METRICS_TOKEN), then previous ones during a rotation. */
  tokens: readonly string[];
}

const BEARER = /^Bearer (.+)$/;

/**
 * GET /metrics: the Prometheus exposition, for a scraper holding the metrics
 * credential (`Authorization: Bearer <METRICS_TOKEN>`), a read-only secret
 * apart from the operator's: a Prometheus server holds it, and it opens
 * nothing else. Without it: 401 UNAUTHORIZED. The figures name no classroom,
 * school, event or person (ControlMetrics), so a credential that leaks tells
 * counts, not who.
 */
export const metricsRoute: FastifyPluginAsync<MetricsRouteOptions> = async (app, opts) => {
  if (opts.tokens.length === 0) throw new Error('a metrics credential is required');
  const digest = (s: string) => createHash('sha256').update(s).digest();
  const accepted = opts.tokens.map(digest);
  app.get('/metrics', { schema: { hide: true } }, async (req, reply) => {
    const given = BEARER.exec(req.headers.authorization ?? '')?.[1];
    if (!given) throw new AppError('UNAUTHORIZED', 'metrics credential required (Bearer token)');
    // Compared with every accepted credential, in constant time: no early exit.
    const d = digest(given);
    let ok = false;
    for (const expected of accepted) ok = timingSafeEqual(expected, d) || ok;
    if (!ok) throw new AppError('UNAUTHORIZED', 'metrics credential is not valid');
    const { contentType, body } = await opts.metrics.scrape();
    return reply.header('content-type', contentType).header('cache-control', 'no-store').send(body);
  });
};

/**
 * GET /api/v1/events/:eventId/board (operators): the event's live board, the
 * figures of /metrics for one event (readBoard). The console polls it.
 */
export const boardRoutes: FastifyPluginAsync<BoardSources> = async (fastify, sources) => {
  fastify.addHook('onRequest', fastify.requireOperator);
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  app.get('/events/:eventId/board', {
    schema: {
      tags: ['events'],
      description:
        'The live board: classrooms connected by region, media path and quality; the question queue and questions per minute; the stage; the media workers and their load.',
      security: [{ operator: [] }],
      params: EventIdParams,
      response: { 200: EventBoard, 401: RestError, 404: RestError },
    },
    handler: async (req, reply) => {
      reply.header('cache-control', 'no-store');
      return readBoard(sources, req.params.eventId);
    },
  });
};
