import type { IncomingMessage } from 'node:http';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { AppError } from './errors.ts';

export interface HardeningOptions {
  /** REST requests (/api/...) per client address per minute. */
  apiRatePerMinute: number;
  /** Counters shared by every instance on this Redis; in this process when absent. */
  redis?: Redis | undefined;
  redisNamespace?: string | undefined;
}

/**
 * Security headers on every response (apps, API) and the REST API's
 * per-address rate limit. Registered on the root app before any route, so
 * that both apply everywhere.
 */
export async function registerHardening(
  app: FastifyInstance,
  opts: HardeningOptions,
): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: true,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        // React sets styles through the DOM (CSSOM), which CSP does not restrict.
        styleSrc: ["'self'"],
        // The apps' favicon is an inline data: URL.
        imgSrc: ["'self'", 'data:'],
        // Signaling is a WebSocket to this host ('self' covers ws: only in newer browsers).
        connectSrc: ["'self'", sameHostWebSockets],
        fontSrc: ["'self'"],
        // The LL-HLS fallback: hls.js feeds the video element a MediaSource (blob:) from a worker.
        mediaSrc: ["'self'", 'blob:'],
        workerSrc: ["'self'", 'blob:'],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        // Served over plain HTTP on this machine by default: nothing to upgrade.
        upgradeInsecureRequests: null,
      },
    },
    frameguard: { action: 'deny' },
    // Join tokens are in the apps' URLs: no page ever sends its URL elsewhere.
    referrerPolicy: { policy: 'no-referrer' },
  });

  await app.register(rateLimit, {
    max: opts.apiRatePerMinute,
    timeWindow: 60_000,
    // The REST API only: signaling has its own limits, the apps are static files.
    // By the route matched, not the URL as sent: `/%61pi/...` reaches the same route.
    allowList: (req) => !req.routeOptions.url?.startsWith('/api/'),
    ...(opts.redis
      ? {
          redis: opts.redis,
          nameSpace: `${opts.redisNamespace ?? 'amphi'}:ratelimit:`,
          // Redis away: serve rather than refuse everyone (the bus reports the outage).
          skipOnError: true,
        }
      : {}),
    errorResponseBuilder: (_req, context) =>
      new AppError(
        'RATE_LIMITED',
        `too many requests from this address: retry in ${context.after}`,
      ),
  });
}

/** `ws://host wss://host` for the Host the page was asked from (left out if it looks odd). */
function sameHostWebSockets(req: IncomingMessage): string {
  const host = req.headers.host ?? '';
  return /^[\w.-]+(:\d+)?$|^\[[\da-f:.]+\](:\d+)?$/i.test(host) ? `ws://${host} wss://${host}` : '';
}
