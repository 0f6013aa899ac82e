export interface BackoffOptions {
  /** Delay before the first retry, in ms (default 500). */
  initialMs?: number;
  /** Longest delay, in ms (default 15 000): a class waits at most this long between tries. */
  maxMs?: number;
  /** Growth per attempt (default 2). */
  factor?: number;
  /** Share of the delay that is random, 0..1 (default 0.5): spreads hundreds of classrooms apart. */
  jitter?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = {
  initialMs: 500,
  maxMs: 15_000,
  factor: 2,
  jitter: 0.5,
};

/**
 * Delay before retry number `attempt` (0 for the first retry): exponential,
 * capped, with "equal jitter" so that classrooms cut at the same moment do not
 * all come back at the same moment. `random` returns 0..1 (Math.random by default).
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const o = { ...DEFAULT_BACKOFF, ...options };
  const base = Math.min(o.maxMs, o.initialMs * o.factor ** Math.max(0, attempt));
  const jitter = Math.min(1, Math.max(0, o.jitter));
  return Math.round(base * (1 - jitter) + base * jitter * random());
}

/**
 * A classroom's media set up anew (its media node died: `media.reconnect`)
 * that failed — a request unanswered, or no node to place it on while the
 * cluster re-places — is tried again this soon, twice as long each time, up
 * to `maxMs`, `attempts` times: classes must decode again within seconds, not
 * wait for the next incident. The sdk's MediaClient and the load test's
 * simulated classrooms follow the same rule.
 */
export const MEDIA_SETUP_RETRY = {
  initialMs: 500,
  maxMs: 5_000,
  attempts: 10,
} as const satisfies BackoffOptions & { attempts: number };
