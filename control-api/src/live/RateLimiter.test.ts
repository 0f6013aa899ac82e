import { describe, expect, it } from 'vitest';
import { RateLimiter } from './RateLimiter.ts';

describe('RateLimiter', () => {
  it('allows a burst per key, then refuses until the window has passed', async () => {
    const limiter = new RateLimiter({ name: 'test', ratePerSecond: 3, burst: 3 }); // 3 per second
    const takes = async (key: string, n: number) => {
      const out: boolean[] = [];
      for (let i = 0; i < n; i++) out.push(await limiter.take(key));
      return out;
    };
    expect(await takes('a', 4)).toEqual([true, true, true, false]);
    expect(await takes('b', 1)).toEqual([true]);
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await takes('a', 4)).toEqual([true, true, true, false]);
  });
});
