import type { Redis } from 'ioredis';
import { NEXT_STAMP_LUA } from '../redisStamp.ts';

/**
 * The order of a participant's resumed sockets, whichever instance took each:
 * every resume draws the participant's next generation, greater than every
 * one drawn before it. Which of two sockets is the newer is read from their
 * generations, never from two hosts' clocks (30 s apart, an instance kept an
 * older socket and closed the newer one's predecessor too late, or never).
 * A participant's first socket is generation 0.
 */
export interface ResumeGenerations {
  next(eventId: string, participantId: string): Promise<number>;
}

/** One instance (no Redis): its own counter orders every resume it takes. */
export class LocalResumeGenerations implements ResumeGenerations {
  #last = 0;

  async next(): Promise<number> {
    this.#last += 1;
    return this.#last;
  }
}

/** A day: longer than any event; a participant's next resume after it starts again from Redis's time. */
const GENERATION_TTL_MS = 24 * 3600 * 1000;

// The participant's last generation plus one, floored by Redis's clock
// (next_stamp): a Redis restart that lost the count never draws less.
const NEXT_GENERATION = `${NEXT_STAMP_LUA}
local g = next_stamp(redis.call('get', KEYS[1]))
redis.call('set', KEYS[1], string.format('%d', g), 'PX', ARGV[1])
return g`;

interface GenerationScript {
  amphiNextGeneration(key: string, ttlMs: string): Promise<number>;
}

/** Several instances: the generations are drawn in Redis, shared by all of them. */
export class RedisResumeGenerations implements ResumeGenerations {
  readonly #redis: GenerationScript;
  readonly #prefix: string;

  constructor(opts: { redis: Redis; namespace?: string | undefined }) {
    opts.redis.defineCommand('amphiNextGeneration', { numberOfKeys: 1, lua: NEXT_GENERATION });
    this.#redis = opts.redis as unknown as GenerationScript;
    this.#prefix = `${opts.namespace ?? 'amphi'}:resume`;
  }

  async next(eventId: string, participantId: string): Promise<number> {
    return Number(
      await this.#redis.amphiNextGeneration(
        `${this.#prefix}:${eventId}/${participantId}`,
        String(GENERATION_TTL_MS),
      ),
    );
  }
}
