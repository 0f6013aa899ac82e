/**
 * Token buckets by key: `ratePerSecond` tokens refill continuously up to
 * `burst`. Keys idle long enough to be full again are forgotten.
 */
export class RateLimiter {
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

  static perMinute(perMinute: number, burst: number, now?: () => number): RateLimiter {
    return new RateLimiter(perMinute / 60, burst, now);
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

  /** Seconds until `key` has a token again (0 when it has one). */
  retryAfter(key: string): number {
    const b = this.#buckets.get(key);
    if (!b) return 0;
    const tokens = Math.min(this.#burst, b.tokens + ((this.#now() - b.at) / 1000) * this.#rate);
    return tokens >= 1 ? 0 : Math.ceil((1 - tokens) / this.#rate);
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
