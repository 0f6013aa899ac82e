/**
 * Token buckets by key, in this process: `ratePerSecond` tokens refill
 * continuously up to `burst`; keys idle long enough to be full again are
 * forgotten. For one socket's message flood, which must be judged
 * synchronously, in arrival order (quotas shared by instances are
 * `RateLimiter`'s, in Redis).
 */
export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  #lastSweep = 0;

  constructor(ratePerSecond: number, burst: number, now: () => number = Date.now) {
    this.#rate = ratePerSecond;
    this.#burst = burst;
    this.#now = now;
  }

  /** Takes one token for `key`; false when the bucket is empty. */
  take(key: string, cost = 1): boolean {
    const now = this.#now();
    this.#sweep(now);
    const b = this.#buckets.get(key);
    const tokens = b
      ? Math.min(this.#burst, b.tokens + ((now - b.at) / 1000) * this.#rate)
      : this.#burst;
    if (tokens < cost) {
      this.#buckets.set(key, { tokens, at: now });
      return false;
    }
    this.#buckets.set(key, { tokens: tokens - cost, at: now });
    return true;
  }

  #sweep(now: number): void {
    if (now - this.#lastSweep < 60_000) return;
    this.#lastSweep = now;
    const fullAfterMs = (this.#burst / this.#rate) * 1000;
    for (const [key, b] of this.#buckets) {
      if (now - b.at > fullAfterMs) this.#buckets.delete(key);
    }
  }
}
