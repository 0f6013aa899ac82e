import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF } from '../src/backoff.ts';

describe('reconnection back-off', () => {
  it('doubles from 500 ms up to 15 s, jitter at its lowest', () => {
    const low = Array.from({ length: 8 }, (_, i) => backoffDelay(i, {}, () => 0));
    expect(low).toEqual([250, 500, 1000, 2000, 4000, 7500, 7500, 7500]);
  });

  it('stays within [base/2, base] and reaches the cap at its highest', () => {
    const high = Array.from({ length: 8 }, (_, i) => backoffDelay(i, {}, () => 1));
    expect(high).toEqual([500, 1000, 2000, 4000, 8000, 15000, 15000, 15000]);
    for (let i = 0; i < 200; i++) {
      const attempt = i % 10;
      const base = Math.min(DEFAULT_BACKOFF.maxMs, DEFAULT_BACKOFF.initialMs * 2 ** attempt);
      const d = backoffDelay(attempt);
      expect(d).toBeGreaterThanOrEqual(base / 2);
      expect(d).toBeLessThanOrEqual(base);
    }
  });

  it('spreads classrooms cut at the same moment', () => {
    const delays = new Set(Array.from({ length: 100 }, () => backoffDelay(3)));
    expect(delays.size).toBeGreaterThan(50);
  });

  it('takes its own schedule, without jitter', () => {
    const o = { initialMs: 100, maxMs: 1000, factor: 3, jitter: 0 };
    expect([0, 1, 2, 3].map((a) => backoffDelay(a, o))).toEqual([100, 300, 900, 1000]);
  });
});
