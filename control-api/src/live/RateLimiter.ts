import type { Redis } from 'ioredis';
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';

export interface RateLimiterOptions {
  /** What is limited (a Redis key prefix): `questions`, `joins`, `connections`. */
  name: string;
  ratePerSecond: number;
  burst: number;
  /** Counters shared by every instance on this Redis; in this process when absent. */
  redis?: Redis | undefined;
  namespace?: string | undefined;
}

/**
 * A quota per key: `burst` actions per window of `burst / rate` seconds, the
 * same long-run rate as a token bucket refilling at `rate`. Behind a load
 * balancer the counters live in Redis, so that N control-api instances give a
 * classroom its quota once, not N times. While Redis is away each instance
 * counts in its own memory (rate-limiter-flexible's insurance limiter): a
 * Redis outage loosens the limits, it does not refuse everyone.
 */
export class RateLimiter {
  readonly #limiter: RateLimiterAbstract;

  constructor(opts: RateLimiterOptions) {
    const window = {
      points: opts.burst,
      duration: Math.max(1, Math.round(opts.burst / opts.ratePerSecond)),
    };
    const memory = new RateLimiterMemory(window);
    this.#limiter = opts.redis
      ? new RateLimiterRedis({
          ...window,
          storeClient: opts.redis,
          keyPrefix: `${opts.namespace ?? 'amphi'}:limit:${opts.name}`,
          insuranceLimiter: memory,
        })
      : memory;
  }

  /** Takes one action for `key`; false when its quota is spent. */
  async take(key: string): Promise<boolean> {
    try {
      await this.#limiter.consume(key);
      return true;
    } catch (refusal) {
      if (refusal instanceof RateLimiterRes) return false;
      throw refusal;
    }
  }
}
