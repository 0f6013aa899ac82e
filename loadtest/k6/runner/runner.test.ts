import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.ts';
import { integrateRate, rateAt, vusAt } from './executors.ts';
import { aggregate, parseMetricKey, percentile, Registry } from './metrics.ts';
import { evaluate, parseThreshold, parseThresholds } from './thresholds.ts';

describe('k6 durations', () => {
  it('reads what scenario options write', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1.5s')).toBe(1_500);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration(undefined, 123)).toBe(123);
    expect(() => parseDuration('soon')).toThrow(/not a k6 duration/);
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(12.345)).toBe('12.35ms');
  });
});

describe('trend aggregates, as k6 computes them', () => {
  it('interpolates percentiles between sorted values at pct x (n - 1)', () => {
    const sorted = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
    // i = 0.95 x 9 = 8.55: 90 + 0.55 x (100 - 90)
    expect(percentile(sorted, 0.95)).toBeCloseTo(95.5, 9);
    expect(percentile(sorted, 0.5)).toBeCloseTo(55, 9);
    expect(percentile([42], 0.99)).toBe(42);
    expect(percentile([], 0.95)).toBe(0);
  });

  it('gives the median, min, max and average of unsorted samples', () => {
    const samples = [30, 10, 40, 20].map((value) => ({ value, tags: {}, time: 0 }));
    const agg = aggregate('trend', samples, 1000);
    expect(agg).toMatchObject({ count: 4, avg: 25, min: 10, max: 40, med: 25 });
    expect(aggregate('rate', samples, 1000)).toMatchObject({ rate: 1, passes: 4, fails: 0 });
    expect(aggregate('counter', samples, 2000)).toMatchObject({ count: 100, rate: 50 });
  });
});

describe('thresholds', () => {
  it('parses k6 expressions', () => {
    expect(parseThreshold('p(95)<500')).toMatchObject({
      method: 'p(95)',
      pct: 0.95,
      operator: '<',
      value: 500,
    });
    const p999 = parseThreshold('p(99.9) <= 1.5');
    expect(p999).toMatchObject({ method: 'p(99.9)', operator: '<=', value: 1.5 });
    expect(p999.pct).toBeCloseTo(0.999, 12);
    expect(parseThreshold('rate>0.99')).toMatchObject({
      method: 'rate',
      operator: '>',
      value: 0.99,
    });
    expect(
      parseThreshold({ threshold: 'count>0', abortOnFail: true, delayAbortEval: '10s' }),
    ).toMatchObject({
      abortOnFail: true,
      delayAbortEvalMs: 10_000,
    });
    expect(() => parseThreshold('p95<500')).toThrow();
    expect(() => parseThreshold('p(95)')).toThrow(/not of the form/);
  });

  it('reads sub-metric keys', () => {
    expect(parseMetricKey('http_req_duration{scenario:enrolment, name:POST /classrooms}')).toEqual({
      name: 'http_req_duration',
      tags: { scenario: 'enrolment', name: 'POST /classrooms' },
    });
  });

  it('refuses an aggregation the metric has not, or an unknown metric', () => {
    const registry = new Registry();
    registry.define('join_latency', 'trend', true);
    expect(() => parseThresholds({ join_latency: 'rate>0.5' }, registry)).toThrow(
      /trend metric has avg/,
    );
    expect(() => parseThresholds({ nothing: 'count>0' }, registry)).toThrow(/no metric "nothing"/);
  });

  it('judges each threshold on its own sub-metric', () => {
    const registry = new Registry();
    for (const [v, scenario] of [
      [100, 'enrolment'],
      [900, 'setup'],
      [200, 'enrolment'],
    ] as const) {
      registry.add('http_req_duration', v, { scenario });
    }
    const sets = parseThresholds(
      {
        'http_req_duration{scenario:enrolment}': ['p(95)<300', 'max<150'],
        http_req_duration: 'p(95)<300',
      },
      registry,
    );
    const results = evaluate(sets, registry, 1000);
    expect(results.map((r) => [r.key, r.source, r.ok, Math.round(r.actual * 1e6) / 1e6])).toEqual([
      ['http_req_duration{scenario:enrolment}', 'p(95)<300', true, 195],
      ['http_req_duration{scenario:enrolment}', 'max<150', false, 200],
      ['http_req_duration', 'p(95)<300', false, 830],
    ]);
  });
});

describe('executors', () => {
  it('ramping-vus steps the VU count as k6 does', () => {
    const stages = [
      { durationMs: 10_000, target: 10 },
      { durationMs: 5_000, target: 10 },
      { durationMs: 5_000, target: 0 },
    ];
    expect(vusAt(0, stages, 0)).toBe(0);
    expect(vusAt(0, stages, 999)).toBe(0);
    expect(vusAt(0, stages, 1_000)).toBe(1);
    expect(vusAt(0, stages, 9_999)).toBe(9);
    expect(vusAt(0, stages, 12_000)).toBe(10);
    // Going down: one VU less at each fifth of the stage, the first as soon as it starts.
    expect(vusAt(0, stages, 15_001)).toBe(10);
    expect(vusAt(0, stages, 16_000)).toBe(8);
    expect(vusAt(0, stages, 20_000)).toBe(0);
  });

  it('arrival rates integrate to rate x duration iterations', () => {
    const constant = [{ durationMs: 60_000, target: 5 }];
    expect(integrateRate(5, constant, 0, 60_000) / 1000).toBeCloseTo(300, 9);
    const ramp = [{ durationMs: 10_000, target: 10 }];
    expect(rateAt(0, ramp, 5_000)).toBe(5);
    // 0 -> 10 per second over 10 s: 50 iterations
    expect(integrateRate(0, ramp, 0, 10_000) / 1000).toBeCloseTo(50, 9);
  });
});

describe('the k6 scripts stay k6 scripts', () => {
  it('import only k6 modules and each other, and use no Node API', () => {
    const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
    const files = [
      ...fs.readdirSync(dir).filter((f) => f.endsWith('.js')),
      ...fs.readdirSync(path.join(dir, 'lib')).map((f) => `lib/${f}`),
      ...fs.readdirSync(path.join(dir, 'runner/fixtures')).map((f) => `runner/fixtures/${f}`),
    ];
    expect(files).toContain('classrooms.js');
    for (const file of files) {
      const source = fs.readFileSync(path.join(dir, file), 'utf8');
      const imports = [...source.matchAll(/^import .* from '([^']+)';$/gm)].map(
        (m) => m[1] as string,
      );
      for (const spec of imports) {
        expect(spec, `${file} imports ${spec}`).toMatch(/^(k6(\/[a-z/]+)?|\.\.?\/[\w/.-]+\.js)$/);
      }
      expect(source, `${file} uses a Node API`).not.toMatch(
        /\b(process\.|require\(|Buffer\.|node:)/,
      );
    }
  });
});

describe('the Node runner, end to end', () => {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'loadtest/k6/runner/main.ts', ...args], {
      cwd: root,
      encoding: 'utf8',
    });

  it('says how it is called with --help, and exits 2 with no script', () => {
    const help = run('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('usage: npm run loadtest:k6 --');
    expect(help.stdout).toContain('--summary-export FILE');
    const none = run();
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('usage: npm run loadtest:k6 --');
  }, 30_000);

  it('runs each executor for exactly its iterations, each waiting for its timers', () => {
    const r = run('loadtest/k6/runner/fixtures/executors.js');
    expect(r.stdout).toContain("✓ iterations{scenario:arrivals} 'count==20' count=20");
    expect(r.stdout).toContain("✓ iterations{scenario:shared} 'count==7' count=7");
    expect(r.stdout).toContain("✓ timers_fired{scenario:pervu} 'count==6' count=6");
    // constant-vus: iterations back to back until the end, each waiting for its timer.
    expect(r.stdout).toMatch(/✓ timer_at\{scenario:constant\} 'max>=450' max=/);
    expect(r.stdout).toMatch(/✓ iteration_duration\{scenario:constant\} 'min>=45' min=/);
    expect(r.stdout.trim().split('\n').at(-1)).toBe(
      'k6-node script=executors.js thresholds_passed=10/10 exit=0',
    );
    expect(r.status).toBe(0);
  }, 30_000);

  it('stops a 30 s test at once when an abortOnFail threshold is crossed', () => {
    const started = Date.now();
    const r = run('loadtest/k6/runner/fixtures/abort.js');
    expect(r.status).toBe(99);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(r.stdout).toContain("thresholds on metrics 'errors' have been crossed");
  }, 30_000);
});
