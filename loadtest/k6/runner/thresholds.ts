// k6 thresholds: `options.thresholds` maps a metric (or sub-metric
// `name{tag:value}`) to expressions such as 'p(95)<500', 'rate>0.99',
// 'count>0', 'avg<=200', or objects { threshold, abortOnFail, delayAbortEval }.
// Parsed and judged as k6 does: the aggregation must suit the metric's type, and
// a run whose threshold fails ends with k6's exit code, 99.
import { parseDuration } from './duration.ts';
import {
  type Aggregates,
  aggregate,
  type Metric,
  type MetricType,
  matches,
  parseMetricKey,
  type Registry,
  type Tags,
} from './metrics.ts';

/** k6's exit code when thresholds are crossed. */
export const THRESHOLDS_FAILED_EXIT = 99;

export type ThresholdConfig =
  | string
  | { threshold: string; abortOnFail?: boolean; delayAbortEval?: string };

export type Operator = '<' | '<=' | '>' | '>=' | '==' | '===' | '!=';

export interface Threshold {
  /** As written in the options. */
  source: string;
  /** 'avg', 'min', 'max', 'med', 'count', 'rate', 'value', or 'p(N)'. */
  method: string;
  /** For p(N): N / 100. */
  pct?: number;
  operator: Operator;
  value: number;
  abortOnFail: boolean;
  delayAbortEvalMs: number;
}

export interface ThresholdSet {
  key: string;
  name: string;
  tags: Tags;
  thresholds: Threshold[];
}

const METHODS: Record<MetricType, readonly string[]> = {
  counter: ['count', 'rate'],
  gauge: ['value'],
  rate: ['rate'],
  trend: ['avg', 'min', 'max', 'med', 'p'],
};

export function parseThreshold(config: ThresholdConfig): Threshold {
  const source = typeof config === 'string' ? config : config.threshold;
  const m =
    /^\s*([a-z]+)(?:\(\s*(\d+(?:\.\d+)?)\s*\))?\s*(<=|>=|===|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$/.exec(
      source,
    );
  if (!m) throw new Error(`threshold "${source}" is not of the form aggregation operator value`);
  const method = m[1] as string;
  const pct = m[2];
  const operator = m[3] as Operator;
  const value = m[4] as string;
  if (method === 'p') {
    if (pct === undefined) throw new Error(`threshold "${source}": p needs a percentile, p(95)`);
    const n = Number(pct);
    if (n < 0 || n > 100) throw new Error(`threshold "${source}": a percentile is within 0..100`);
  } else if (pct !== undefined) {
    throw new Error(`threshold "${source}": only p() takes an argument`);
  }
  return {
    source,
    method: method === 'p' ? `p(${pct})` : method,
    ...(method === 'p' ? { pct: Number(pct) / 100 } : {}),
    operator,
    value: Number(value),
    abortOnFail: typeof config === 'string' ? false : (config.abortOnFail ?? false),
    delayAbortEvalMs: typeof config === 'string' ? 0 : parseDuration(config.delayAbortEval, 0),
  };
}

/**
 * The options' thresholds, checked against the registry's metrics: an unknown
 * metric or an aggregation its type has not is an error before the run, as in k6.
 */
export function parseThresholds(
  options: Record<string, ThresholdConfig | ThresholdConfig[]> | undefined,
  registry: Registry,
): ThresholdSet[] {
  return Object.entries(options ?? {}).map(([key, configs]) => {
    const { name, tags } = parseMetricKey(key);
    const metric = registry.get(name);
    if (!metric) throw new Error(`threshold on "${key}": no metric "${name}" is defined`);
    const list = Array.isArray(configs) ? configs : [configs];
    const thresholds = list.map(parseThreshold);
    for (const t of thresholds) {
      const base = t.method.startsWith('p(') ? 'p' : t.method;
      if (!METHODS[metric.type].includes(base)) {
        throw new Error(
          `threshold "${t.source}" on "${key}": a ${metric.type} metric has ${METHODS[metric.type].join(', ')}`,
        );
      }
    }
    return { key, name, tags, thresholds };
  });
}

export function measured(t: Threshold, agg: Aggregates): number {
  if (t.pct !== undefined) return agg.p ? agg.p(t.pct) : 0;
  return (agg as Record<string, number | undefined>)[t.method] ?? 0;
}

export function compare(left: number, op: Operator, right: number): boolean {
  switch (op) {
    case '<':
      return left < right;
    case '<=':
      return left <= right;
    case '>':
      return left > right;
    case '>=':
      return left >= right;
    case '==':
    case '===':
      return left === right;
    case '!=':
      return left !== right;
  }
}

export interface ThresholdResult {
  key: string;
  source: string;
  method: string;
  actual: number;
  ok: boolean;
  metric: Metric;
}

/** Each threshold judged on the samples of its (sub-)metric so far. */
export function evaluate(
  sets: ThresholdSet[],
  registry: Registry,
  durationMs: number,
): ThresholdResult[] {
  return sets.flatMap((set) => {
    const metric = registry.get(set.name) as Metric;
    const samples = metric.samples.filter((s) => matches(s, set.tags));
    const agg = aggregate(metric.type, samples, durationMs);
    return set.thresholds.map((t) => {
      const actual = measured(t, agg);
      return {
        key: set.key,
        source: t.source,
        method: t.method,
        actual,
        ok: compare(actual, t.operator, t.value),
        metric,
      };
    });
  });
}
