import type { Redis } from 'ioredis';
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';
import { AppError } from '../errors.ts';

export interface SignInLimits {
  /** Refused sign-ins per address (e-mail) in `windowSeconds` before it is held back. */
  perEmail: number;
  /** Refused sign-ins per client address (IP) in `windowSeconds`: one school, many tries. */
  perClient: number;
  windowSeconds: number;
}

export const DEFAULT_SIGN_IN_LIMITS: SignInLimits = {
  perEmail: 5,
  perClient: 20,
  windowSeconds: 15 * 60,
};

/**
 * Slows password guessing down: only refused sign-ins count, per e-mail
 * address and per client address, over a sliding quarter of an hour; a
 * successful sign-in clears its address's count. Counters in Redis when
 * instances share one (a guesser cannot spread tries across instances).
 */
export class SignInLimiter {
  readonly #byEmail: RateLimiterAbstract;
  readonly #byClient: RateLimiterAbstract;

  constructor(
    opts: { limits?: SignInLimits; redis?: Redis | undefined; namespace?: string | undefined } = {},
  ) {
    const limits = opts.limits ?? DEFAULT_SIGN_IN_LIMITS;
    const make = (name: string, points: number): RateLimiterAbstract =>
      opts.redis
        ? new RateLimiterRedis({
            storeClient: opts.redis,
            keyPrefix: `${opts.namespace ?? 'amphi'}:signin:${name}`,
            points,
            duration: limits.windowSeconds,
          })
        : new RateLimiterMemory({ keyPrefix: name, points, duration: limits.windowSeconds });
    this.#byEmail = make('email', limits.perEmail);
    this.#byClient = make('client', limits.perClient);
  }

  /** Throws RATE_LIMITED while either count is spent. */
  async check(email: string, client: string): Promise<void> {
    const [e, c] = await Promise.all([
      this.#byEmail.get(email.toLowerCase()),
      this.#byClient.get(client),
    ]);
    const spent = [
      [e, this.#byEmail.points],
      [c, this.#byClient.points],
    ] as const;
    for (const [res, points] of spent) {
      if (res && res.consumedPoints >= points) {
        const seconds = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
        throw new AppError('RATE_LIMITED', `too many refused sign-ins: retry in ${seconds} s`);
      }
    }
  }

  async failed(email: string, client: string): Promise<void> {
    await Promise.all([
      this.#byEmail.penalty(email.toLowerCase(), 1),
      this.#byClient.penalty(client, 1),
    ]).catch((err: unknown) => {
      if (!(err instanceof RateLimiterRes)) throw err;
    });
  }

  async succeeded(email: string): Promise<void> {
    await this.#byEmail.delete(email.toLowerCase());
  }
}
