import type { HlsEgress, HlsHub } from '@amphi/media-server';
import { EventIdParams } from '@amphi/protocol';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { enrolledClassroom, joinGrantOf } from '../auth/plugin.ts';
import type { CatalogStore } from '../catalog/CatalogStore.ts';
import { AppError } from '../errors.ts';

export interface HlsRoutesOptions {
  /** Absent when the media plane is not in this process: every request answers MEDIA_UNAVAILABLE. */
  hub: HlsHub | undefined;
  catalog: CatalogStore;
}

/** How long a playlist request waits for a starting egress's first part. */
const START_WAIT_MS = 15_000;
/** How long a player's first load may wait for a young egress to hold its start (hold-back). */
const FIRST_LOAD_WAIT_MS = 4_000;
/** A token admitted once is not checked again for this long (hls.js asks twice a second). */
const ADMISSION_CACHE_MS = 10_000;
/** Parts and segments never change under their URI: a CDN may keep them this long. */
const MEDIA_MAX_AGE_S = 60;

const PlaylistQuery = z.object({
  token: z.string().optional(),
  _HLS_msn: z.coerce.number().int().nonnegative().optional(),
  _HLS_part: z.coerce.number().int().nonnegative().optional(),
});

const MediaParams = z.object({
  eventId: z.string(),
  key: z.string().regex(/^[\w-]{16,64}$/),
});
const PartParams = MediaParams.extend({ name: z.string().regex(/^\d{1,12}\.\d{1,4}\.m4s$/) });
const SegmentParams = MediaParams.extend({ name: z.string().regex(/^\d{1,12}\.m4s$/) });

/**
 * The LL-HLS fallback, served from the egress's memory (media-server/src/hls):
 *   GET /hls/:eventId/playlist.m3u8?token=…[&_HLS_msn=&_HLS_part=]
 *       the class's join token; starts the broadcast's one egress if needed;
 *       with _HLS_msn/_HLS_part a blocking reload, held until that part exists.
 *       `Cache-Control: private, max-age=1`: per token, never shared.
 *   GET /hls/:eventId/:key/init.mp4, …/:key/p/:msn.:part.m4s, …/:key/s/:msn.m4s
 *       no token: `key` is 128 random bits, new for each egress, known only
 *       from a playlist a class was admitted to. The bytes under one URI never
 *       change, so a CDN may cache them (`public, immutable`) and serve every
 *       class of a school district from one fetch. A part that aged out is 404.
 */
export const hlsRoutes: FastifyPluginAsync<HlsRoutesOptions> = async (fastify, opts) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  /** Event id -> token -> admitted until (ms). Dropped with the event's egress. */
  const admitted = new Map<string, Map<string, number>>();
  const watched = new WeakSet<HlsEgress>();

  const hub = (): HlsHub => {
    if (!opts.hub) throw new AppError('MEDIA_UNAVAILABLE', 'no HLS on this server');
    return opts.hub;
  };

  app.get('/hls/:eventId/playlist.m3u8', {
    schema: { hide: true, params: EventIdParams, querystring: PlaylistQuery },
    onRequest: async (req) => {
      const { eventId } = req.params as { eventId: string };
      const token = (req.query as { token?: string }).token ?? '';
      if ((admitted.get(eventId)?.get(token) ?? 0) > Date.now()) return;
      await fastify.requireJoinToken({ fromQuery: true })(req);
      const grant = joinGrantOf(req);
      if (grant.role === 'classroom') {
        const { removed } = await enrolledClassroom(opts.catalog, grant);
        if (removed) throw new AppError('FORBIDDEN', 'this classroom was removed from the event');
      }
      const event = await opts.catalog.getEventRow(grant.eventId);
      if (event?.status !== 'live') throw new AppError('INVALID_STATE', 'the event is not live');
      const tokens = admitted.get(eventId) ?? new Map<string, number>();
      admitted.set(eventId, tokens);
      tokens.set(token, Date.now() + ADMISSION_CACHE_MS);
      if (tokens.size > 10_000) {
        for (const [t, until] of tokens) if (until < Date.now()) tokens.delete(t);
      }
    },
    handler: async (req, reply) => {
      const { eventId } = req.params;
      const { _HLS_msn: msn, _HLS_part: part } = req.query;
      const egress = await hub()
        .egress(eventId)
        .catch((err: unknown) => {
          req.log.warn({ err, eventId }, 'hls egress did not start');
          throw new AppError('MEDIA_UNAVAILABLE', 'the broadcast cannot be sent over HLS now');
        });
      if (!watched.has(egress)) {
        watched.add(egress);
        // The event ended (or the egress stopped): every class is checked anew.
        egress.once('close', () => admitted.delete(eventId));
      }
      if (!(await egress.ready(START_WAIT_MS))) return unavailable(reply);
      const window = egress.window;
      if (msn === undefined) {
        // A player's first load: answered once it can start the hold-back behind
        // the edge. A young egress's playlist of one part made hls.js wait 1–2 s
        // more (reloads) before its first picture; the parts come 0.5 s apart.
        await window.waitForHeld(window.partHoldBack, FIRST_LOAD_WAIT_MS);
        if (egress.closed) return unavailable(reply);
      } else {
        const last = window.last;
        // Without _HLS_part: until segment msn is whole, i.e. the next one begins.
        const [wantMsn, wantPart] = part === undefined ? [msn + 1, 0] : [msn, part];
        if (last && wantMsn > last.msn + 2) {
          throw new AppError('VALIDATION_FAILED', '_HLS_msn is too far ahead of the live edge');
        }
        const ok = await window.waitFor(wantMsn, wantPart, window.targetDuration * 3000);
        if (!ok) return unavailable(reply);
      }
      return reply
        .header('content-type', 'application/vnd.apple.mpegurl')
        .header('cache-control', 'private, max-age=1')
        .send(window.playlist(`${egress.key}/`));
    },
  });

  const media = async (eventId: string, key: string): Promise<HlsEgress> => {
    const egress = await hub().byKey(eventId, key);
    if (!egress) throw new AppError('NOT_FOUND', 'no such HLS stream');
    return egress;
  };
  const sendMedia = (reply: FastifyReply, bytes: Buffer | undefined) => {
    if (!bytes) throw new AppError('NOT_FOUND', 'no such part (aged out, or not yet made)');
    return reply
      .header('content-type', 'video/mp4')
      .header('cache-control', `public, max-age=${MEDIA_MAX_AGE_S}, immutable`)
      .send(bytes);
  };

  app.get('/hls/:eventId/:key/init.mp4', {
    schema: { hide: true, params: MediaParams },
    handler: async (req, reply) => {
      const egress = await media(req.params.eventId, req.params.key);
      return sendMedia(reply, egress.init);
    },
  });
  app.get('/hls/:eventId/:key/p/:name', {
    schema: { hide: true, params: PartParams },
    handler: async (req, reply) => {
      const egress = await media(req.params.eventId, req.params.key);
      const [msn, index] = req.params.name.split('.').map(Number) as [number, number];
      return sendMedia(reply, egress.window.part(msn, index)?.bytes);
    },
  });
  app.get('/hls/:eventId/:key/s/:name', {
    schema: { hide: true, params: SegmentParams },
    handler: async (req, reply) => {
      const egress = await media(req.params.eventId, req.params.key);
      return sendMedia(reply, egress.window.segment(Number.parseInt(req.params.name, 10)));
    },
  });
};

/** The egress is starting or the part is late: try again shortly (RFC 8216bis asks 503). */
function unavailable(reply: FastifyReply) {
  return reply
    .code(503)
    .header('retry-after', '1')
    .header('cache-control', 'no-store')
    .send({ error: { code: 'MEDIA_UNAVAILABLE', message: 'not ready yet: retry' } });
}
