import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from '../logger.ts';

/** Resolves when a part this instance depends on answers, with facts to report about it (its kind) or nothing. */
export type HealthCheck = () => Promise<Record<string, unknown> | undefined>;

export interface HealthOptions {
  /** Each part by name, e.g. `database`, `bus`. */
  checks: Record<string, HealthCheck>;
  /** A part slower than this is reported down (a check must not hang a load balancer's probe). */
  timeoutMs?: number;
  log: Logger;
}

type PartStatus = { ok: true; ms: number } | { ok: false; error: 'timeout' | 'unreachable' };

/**
 * GET /healthz: can this instance serve? Every part is checked at each call:
 * 200 `{ ok: true, checks }` when all answer, 503 `{ ok: false, down: [...],
 * checks }` naming those that do not, so that a load balancer stops sending
 * people to an instance whose database or bus is gone. The response says only
 * up or down (it is public); the cause goes to the log, once per change.
 */
export const healthRoutes: FastifyPluginAsync<HealthOptions> = async (app, opts) => {
  const timeoutMs = opts.timeoutMs ?? 2_000;
  const wasOk = new Map<string, boolean>();

  const check = async (name: string, run: HealthCheck): Promise<Record<string, unknown>> => {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new HealthTimeout()), timeoutMs);
    });
    let status: PartStatus & Record<string, unknown>;
    let cause: unknown;
    try {
      const facts = await Promise.race([run(), timeout]);
      status = {
        ...facts,
        ok: true,
        ms: Math.round(performance.now() - started),
      };
    } catch (err) {
      cause = err;
      status = { ok: false, error: err instanceof HealthTimeout ? 'timeout' : 'unreachable' };
    } finally {
      clearTimeout(timer);
    }
    if (wasOk.get(name) !== status.ok) {
      if (status.ok) opts.log.info({ part: name }, 'health: back up');
      else opts.log.warn({ part: name, err: cause, error: status.error }, 'health: down');
      wasOk.set(name, status.ok);
    }
    return status;
  };

  app.get('/healthz', { schema: { hide: true } }, async (_req, reply) => {
    const names = Object.keys(opts.checks);
    const results = await Promise.all(
      names.map((name) => check(name, opts.checks[name] as HealthCheck)),
    );
    const checks = Object.fromEntries(names.map((name, i) => [name, results[i]]));
    const down = names.filter((_, i) => results[i]?.ok !== true);
    reply.header('cache-control', 'no-store');
    if (down.length > 0) return reply.code(503).send({ ok: false, down, checks });
    return { ok: true, checks };
  });
};

class HealthTimeout extends Error {}
