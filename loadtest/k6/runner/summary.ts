// The end-of-test summary, in k6's layout: checks, then every metric with its
// aggregates (thresholded ones marked ✓ or ✗, their sub-metrics below them),
// then each threshold with the value it was judged on, and a last line.
import { formatDuration } from './duration.ts';
import { aggregate, type Metric, matches, type Registry } from './metrics.ts';
import type { ThresholdResult, ThresholdSet } from './thresholds.ts';

const TREND_STATS = ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)'] as const;

function fmt(metric: Metric, v: number): string {
  if (metric.isTime) return formatDuration(v);
  return Number.isInteger(v) ? String(v) : String(Number(v.toFixed(4)));
}

function line(metric: Metric, samples: Metric['samples'], durationMs: number): string {
  const agg = aggregate(metric.type, samples, durationMs);
  switch (metric.type) {
    case 'counter':
      return `${fmt(metric, agg.count ?? 0)}  ${(agg.rate ?? 0).toFixed(4)}/s`;
    case 'gauge':
      return `${fmt(metric, agg.value ?? 0)}  min=${fmt(metric, agg.min ?? 0)}  max=${fmt(metric, agg.max ?? 0)}`;
    case 'rate':
      return `${((agg.rate ?? 0) * 100).toFixed(2)}%  ✓ ${agg.passes}  ✗ ${agg.fails}`;
    case 'trend':
      return TREND_STATS.map((s) => {
        const v = s === 'p(90)' ? agg.p?.(0.9) : s === 'p(95)' ? agg.p?.(0.95) : agg[s];
        return `${s}=${fmt(metric, v ?? 0)}`;
      }).join('  ');
  }
}

const dots = (name: string, width: number) =>
  `${name}${'.'.repeat(Math.max(2, width - name.length))}:`;

export interface SummaryInput {
  registry: Registry;
  durationMs: number;
  sets: ThresholdSet[];
  results: ThresholdResult[];
}

export function summaryLines({ registry, durationMs, sets, results }: SummaryInput): string[] {
  const out: string[] = [];
  // Checks, by name.
  const checks = registry.get('checks');
  const byName = new Map<string, [number, number]>();
  for (const s of checks?.samples ?? []) {
    const name = s.tags.check ?? '';
    const [ok, ko] = byName.get(name) ?? [0, 0];
    byName.set(name, s.value ? [ok + 1, ko] : [ok, ko + 1]);
  }
  for (const [name, [ok, ko]] of byName) {
    out.push(`     ${ko ? '✗' : '✓'} ${name}`);
    if (ko) out.push(`      ↳  ${Math.floor((ok / (ok + ko)) * 100)}% — ✓ ${ok} / ✗ ${ko}`);
  }
  if (byName.size) out.push('');

  const failedKeys = new Set(results.filter((r) => !r.ok).map((r) => r.key));
  const thresholdKeys = new Set(results.map((r) => r.key));
  const metrics = registry
    .all()
    .filter((m) => m.samples.length > 0 || thresholdKeys.has(m.name))
    .sort((a, b) => a.name.localeCompare(b.name));
  const width = 32;
  for (const m of metrics) {
    const mark = thresholdKeys.has(m.name) ? (failedKeys.has(m.name) ? '✗ ' : '✓ ') : '  ';
    out.push(`   ${mark}${dots(m.name, width)} ${line(m, m.samples, durationMs)}`);
    for (const set of sets.filter((s) => s.name === m.name && Object.keys(s.tags).length)) {
      const sub = `{ ${Object.entries(set.tags)
        .map(([k, v]) => `${k}:${v}`)
        .join(', ')} }`;
      const subMark = failedKeys.has(set.key) ? '✗ ' : '✓ ';
      const samples = m.samples.filter((s) => matches(s, set.tags));
      out.push(`   ${subMark}${dots(`  ${sub}`, width)} ${line(m, samples, durationMs)}`);
    }
  }
  if (results.length) {
    out.push('', '   thresholds:');
    for (const r of results) {
      out.push(
        `     ${r.ok ? '✓' : '✗'} ${r.key} '${r.source}' ${r.method}=${fmt(r.metric, r.actual)}`,
      );
    }
  }
  return out;
}

/** The run as JSON: every metric's aggregates and each threshold's verdict. */
export function summaryJson({ registry, durationMs, results }: SummaryInput): unknown {
  const metrics: Record<string, unknown> = {};
  for (const m of registry.all()) {
    if (!m.samples.length && !results.some((r) => r.metric === m)) continue;
    const agg = aggregate(m.type, m.samples, durationMs);
    const values: Record<string, number> = {};
    for (const [k, v] of Object.entries(agg)) if (typeof v === 'number') values[k] = v;
    if (agg.p) {
      values['p(90)'] = agg.p(0.9);
      values['p(95)'] = agg.p(0.95);
      values['p(99)'] = agg.p(0.99);
    }
    metrics[m.name] = { type: m.type, contains: m.isTime ? 'time' : 'default', values };
  }
  return {
    durationMs,
    metrics,
    thresholds: results.map((r) => ({
      metric: r.key,
      threshold: r.source,
      ok: r.ok,
      actual: r.actual,
    })),
  };
}
