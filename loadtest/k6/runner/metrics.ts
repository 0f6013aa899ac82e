// k6's metric model: four types, samples carrying tags, aggregates computed the
// way k6 computes them (the trend percentile interpolates between the sorted
// values at pct x (count - 1), as k6's TrendSink.P does), so a threshold judged
// here is judged as k6 would judge it.

export type MetricType = 'counter' | 'gauge' | 'rate' | 'trend';
export type Tags = Record<string, string>;

export interface Sample {
  value: number;
  tags: Tags;
  /** ms since the test started. */
  time: number;
}

export class Metric {
  readonly samples: Sample[] = [];
  constructor(
    readonly name: string,
    readonly type: MetricType,
    /** Trends and gauges of times print as durations; their values are ms. */
    readonly isTime = false,
  ) {}
}

/** Values a metric's samples aggregate to, by the names thresholds use. */
export interface Aggregates {
  count?: number;
  rate?: number;
  value?: number;
  avg?: number;
  min?: number;
  max?: number;
  med?: number;
  passes?: number;
  fails?: number;
  /** p(N) for any N, computed on demand. */
  p?: (pct: number) => number;
}

/** k6's TrendSink.P: linear interpolation between the sorted values at pct x (n - 1). */
export function percentile(sorted: readonly number[], pct: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  if (n === 1) return sorted[0] as number;
  const i = pct * (n - 1);
  const lo = sorted[Math.floor(i)] as number;
  const hi = sorted[Math.ceil(i)] as number;
  return lo + (hi - lo) * (i - Math.floor(i));
}

/** Aggregates of the samples (already filtered to a sub-metric's tags), over `durationMs`. */
export function aggregate(
  type: MetricType,
  samples: readonly Sample[],
  durationMs: number,
): Aggregates {
  const values = samples.map((s) => s.value);
  const seconds = Math.max(durationMs, 1) / 1000;
  switch (type) {
    case 'counter': {
      const count = values.reduce((a, b) => a + b, 0);
      return { count, rate: count / seconds };
    }
    case 'gauge': {
      const last = values.at(-1) ?? 0;
      return {
        value: last,
        min: values.length ? Math.min(...values) : 0,
        max: values.length ? Math.max(...values) : 0,
      };
    }
    case 'rate': {
      const passes = values.filter((v) => v !== 0).length;
      return {
        rate: values.length ? passes / values.length : 0,
        passes,
        fails: values.length - passes,
      };
    }
    case 'trend': {
      const sorted = [...values].sort((a, b) => a - b);
      const n = sorted.length;
      const sum = sorted.reduce((a, b) => a + b, 0);
      const med =
        n === 0
          ? 0
          : n % 2 === 0
            ? ((sorted[n / 2 - 1] as number) + (sorted[n / 2] as number)) / 2
            : (sorted[(n - 1) / 2] as number);
      return {
        count: n,
        avg: n ? sum / n : 0,
        min: sorted[0] ?? 0,
        max: sorted[n - 1] ?? 0,
        med,
        p: (pct: number) => percentile(sorted, pct),
      };
    }
  }
}

/** `name{tag:value,other:value}` as k6 writes a sub-metric. */
export function parseMetricKey(key: string): { name: string; tags: Tags } {
  const m = /^([^{}\s]+)(?:\{([^}]*)\})?$/.exec(key.trim());
  if (!m) throw new Error(`"${key}" is not a metric name (name or name{tag:value})`);
  const tags: Tags = {};
  for (const pair of (m[2] ?? '').split(',').filter((p) => p.trim())) {
    const at = pair.indexOf(':');
    if (at < 1) throw new Error(`"${key}": a sub-metric's tags are tag:value pairs`);
    tags[pair.slice(0, at).trim()] = pair
      .slice(at + 1)
      .trim()
      .replace(/^["']|["']$/g, '');
  }
  return { name: m[1] as string, tags };
}

export const matches = (sample: Sample, tags: Tags) =>
  Object.entries(tags).every(([k, v]) => sample.tags[k] === v);

/** Every metric of one run, the built-in ones first. */
export class Registry {
  readonly #metrics = new Map<string, Metric>();
  readonly #start = performance.now();

  constructor() {
    for (const [name, type, isTime] of BUILT_IN) this.define(name, type, isTime);
  }

  define(name: string, type: MetricType, isTime = false): Metric {
    if (!/^[\p{L}\p{N}._!?/&#()<> -]{1,128}$/u.test(name)) {
      throw new Error(`invalid metric name "${name}"`);
    }
    const existing = this.#metrics.get(name);
    if (existing) {
      if (existing.type !== type) {
        throw new Error(`metric "${name}" already exists as a ${existing.type}`);
      }
      return existing;
    }
    const metric = new Metric(name, type, isTime);
    this.#metrics.set(name, metric);
    return metric;
  }

  get(name: string): Metric | undefined {
    return this.#metrics.get(name);
  }

  add(name: string, value: number, tags: Tags): void {
    const metric = this.#metrics.get(name);
    if (!metric) throw new Error(`no metric "${name}"`);
    metric.samples.push({ value, tags, time: this.elapsed() });
  }

  elapsed(): number {
    return performance.now() - this.#start;
  }

  all(): Metric[] {
    return [...this.#metrics.values()];
  }
}

const BUILT_IN: [string, MetricType, boolean][] = [
  ['checks', 'rate', false],
  ['data_received', 'counter', false],
  ['data_sent', 'counter', false],
  ['dropped_iterations', 'counter', false],
  ['http_req_duration', 'trend', true],
  ['http_req_failed', 'rate', false],
  ['http_reqs', 'counter', false],
  ['iteration_duration', 'trend', true],
  ['iterations', 'counter', false],
  ['vus', 'gauge', false],
  ['vus_max', 'gauge', false],
  ['ws_connecting', 'trend', true],
  ['ws_msgs_received', 'counter', false],
  ['ws_msgs_sent', 'counter', false],
  ['ws_session_duration', 'trend', true],
  ['ws_sessions', 'counter', false],
];
