// The Node runner for k6 scripts: `npm run loadtest:k6 -- [-e KEY=VALUE]...
// [--summary-export FILE] <script.js>`. It loads the script with `k6` and
// `k6/...` resolved to small shims (shims/), runs setup(), the scenarios with
// their executors, teardown(), prints k6's summary and judges the thresholds
// as k6 does: exit code 99 when one is crossed, 108 when the script aborted.
// The scripts stay k6 scripts: `k6 run` runs the very same files.
import fs from 'node:fs';
import { register } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { formatDuration } from './duration.ts';
import {
  type ExecFn,
  plannedDuration,
  type RunContext,
  type ScenarioOptions,
  ScenarioRun,
} from './executors.ts';
import { currentIteration, emit, runtime } from './runtime.ts';
import { summaryJson, summaryLines } from './summary.ts';
import { closeSyncHttp } from './syncHttp.ts';
import {
  evaluate,
  parseThresholds,
  THRESHOLDS_FAILED_EXIT,
  type ThresholdConfig,
} from './thresholds.ts';

/** k6's exit code when the script called exec.test.abort(). */
const SCRIPT_ABORTED_EXIT = 108;

interface K6Options {
  scenarios?: Record<string, ScenarioOptions>;
  thresholds?: Record<string, ThresholdConfig | ThresholdConfig[]>;
  vus?: number;
  duration?: string;
  iterations?: number;
  stages?: { duration: string; target: number }[];
  tags?: Record<string, string>;
}

/** `options` without scenarios, read as k6 reads its shortcuts. */
export function scenariosOf(options: K6Options): Record<string, ScenarioOptions> {
  if (options.scenarios && Object.keys(options.scenarios).length) return options.scenarios;
  if (options.stages)
    return {
      default: { executor: 'ramping-vus', startVUs: options.vus ?? 1, stages: options.stages },
    };
  if (options.duration)
    return {
      default: { executor: 'constant-vus', vus: options.vus ?? 1, duration: options.duration },
    };
  return {
    default: {
      executor: 'shared-iterations',
      vus: options.vus ?? 1,
      iterations: options.iterations ?? options.vus ?? 1,
    },
  };
}

export interface RunResult {
  exitCode: number;
  lines: string[];
  json: unknown;
}

export async function runScript(
  scriptPath: string,
  env: Record<string, string>,
): Promise<RunResult> {
  const rt = runtime();
  rt.env = env;
  const envFor = new Map<string, Record<string, string>>();
  Object.defineProperty(globalThis, '__ENV', {
    configurable: true,
    get: () => {
      const it = currentIteration();
      return it ? (envFor.get(it.scenario.name) ?? rt.env) : rt.env;
    },
  });
  Object.defineProperty(globalThis, '__VU', {
    configurable: true,
    get: () => currentIteration()?.vu.idInTest ?? 0,
  });
  Object.defineProperty(globalThis, '__ITER', {
    configurable: true,
    get: () => currentIteration()?.vu.iterationInInstance ?? 0,
  });

  register('./hooks.mjs', import.meta.url);
  const mod = (await import(pathToFileURL(path.resolve(scriptPath)).href)) as Record<
    string,
    unknown
  >;
  const options = (mod.options ?? {}) as K6Options;
  rt.options = options as Record<string, unknown>;
  rt.systemTags = options.tags ?? {};
  const scenarios = scenariosOf(options);
  const sets = parseThresholds(options.thresholds, rt.registry);
  for (const [name, s] of Object.entries(scenarios)) {
    if (s.env) envFor.set(name, { ...env, ...s.env });
    const fn = mod[s.exec ?? 'default'];
    if (typeof fn !== 'function')
      throw new Error(
        `scenario "${name}": the script exports no function "${s.exec ?? 'default'}"`,
      );
  }

  const banner = describeScenarios(scriptPath, scenarios);
  for (const l of banner) console.log(l);

  rt.phase = 'setup';
  const data = typeof mod.setup === 'function' ? await (mod.setup as () => unknown)() : undefined;

  rt.phase = 'vus';
  let vuIds = 0;
  let abortReason: string | null = null;
  const runs: ScenarioRun[] = [];
  const ctx: RunContext = {
    nextVuId: () => ++vuIds,
    data: deepFreeze(JSON.parse(JSON.stringify(data ?? null))),
    aborted: { reason: null },
    onAbort: (reason) => {
      if (ctx.aborted.reason) return;
      ctx.aborted.reason = reason;
      abortReason = reason;
      for (const r of runs) r.interruptAll();
    },
    allocated: 0,
    active: 0,
  };
  for (const [name, s] of Object.entries(scenarios)) {
    runs.push(new ScenarioRun(name, s, mod[s.exec ?? 'default'] as ExecFn, ctx));
  }
  const started = performance.now();
  let thresholdAbort = false;
  let ticks = 0;
  const tick = setInterval(() => {
    emit('vus', ctx.active);
    emit('vus_max', ctx.allocated);
    // abortOnFail thresholds are judged while the test runs, as k6 does every 2 s.
    const elapsed = performance.now() - started;
    // k6's progress line, every 10 s (a log, not a bar: CI reads it).
    if (++ticks % 10 === 0) {
      const done = rt.registry.get('iterations')?.samples.length ?? 0;
      console.log(
        `running (${formatDuration(elapsed)}), ${ctx.active}/${ctx.allocated} VUs, ${done} complete iterations`,
      );
    }
    const live = sets
      .map((set) => ({
        ...set,
        thresholds: set.thresholds.filter((t) => t.abortOnFail && elapsed >= t.delayAbortEvalMs),
      }))
      .filter((set) => set.thresholds.length);
    if (live.length && evaluate(live, rt.registry, elapsed).some((r) => !r.ok)) {
      thresholdAbort = true;
      ctx.onAbort('a threshold with abortOnFail was crossed');
    }
  }, 1000);
  await Promise.all(runs.map((r) => r.run()));
  clearInterval(tick);
  const durationMs = performance.now() - started;

  rt.phase = 'teardown';
  if (typeof mod.teardown === 'function')
    await (mod.teardown as (d: unknown) => unknown)(JSON.parse(JSON.stringify(data ?? null)));
  rt.phase = 'done';
  await closeSyncHttp();

  const results = evaluate(sets, rt.registry, durationMs);
  const input = { registry: rt.registry, durationMs, sets, results };
  const lines = summaryLines(input);
  const failed = [...new Set(results.filter((r) => !r.ok).map((r) => r.key))];
  const passed = results.filter((r) => r.ok).length;
  lines.push('');
  lines.push(
    `running (${formatDuration(durationMs)}), ${ctx.allocated} VUs, ${rt.registry.get('iterations')?.samples.length ?? 0} complete iterations`,
  );
  if (failed.length) {
    lines.push(
      `level=error msg="thresholds on metrics '${failed.join("', '")}' have been crossed"`,
    );
  }
  if (abortReason && !thresholdAbort) lines.push(`level=error msg="test aborted: ${abortReason}"`);
  lines.push(
    `k6-node script=${path.basename(scriptPath)} thresholds_passed=${passed}/${results.length} ` +
      `exit=${failed.length ? THRESHOLDS_FAILED_EXIT : abortReason ? SCRIPT_ABORTED_EXIT : 0}`,
  );
  const exitCode = failed.length ? THRESHOLDS_FAILED_EXIT : abortReason ? SCRIPT_ABORTED_EXIT : 0;
  return { exitCode, lines, json: summaryJson(input) };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function describeScenarios(script: string, scenarios: Record<string, ScenarioOptions>): string[] {
  const entries = Object.entries(scenarios);
  const lines = [
    '',
    '  execution: local (k6 Node runner)',
    `     script: ${script}`,
    `  scenarios: ${entries.length} scenario${entries.length === 1 ? '' : 's'}:`,
  ];
  for (const [name, s] of entries) {
    lines.push(
      `           * ${name}: ${s.executor}, ${formatDuration(plannedDuration(s))}` +
        `${s.startTime ? ` from ${s.startTime}` : ''} (exec: ${s.exec ?? 'default'}, gracefulStop: ${s.gracefulStop ?? '30s'})`,
    );
  }
  lines.push('');
  return lines;
}

const USAGE = `usage: npm run loadtest:k6 -- [-e KEY=VALUE]... [--summary-export FILE] <script.js>

Runs a k6 script on Node, as \`k6 run\` would: its scenarios, checks and thresholds.
  -e, --env KEY=VALUE      a variable the script reads from __ENV (repeatable);
                           the environment's variables are there too
  --summary-export FILE    also write the end-of-test summary as JSON
  -h, --help               this text
Exit code: 0 when every threshold holds, 99 when one is crossed, 108 when the
script aborted the test. The variables of loadtest/k6/classrooms.js are listed
in loadtest/k6/README.md.`;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    options: {
      env: { type: 'string', short: 'e', multiple: true },
      'summary-export': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const args = positionals[0] === 'run' ? positionals.slice(1) : positionals;
  const script = args[0];
  if (!script || args.length > 1) {
    console.error(USAGE);
    process.exit(2);
  }
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  for (const pair of values.env ?? []) {
    const at = pair.indexOf('=');
    if (at < 1) throw new Error(`-e ${pair}: expected KEY=VALUE`);
    env[pair.slice(0, at)] = pair.slice(at + 1);
  }
  // An unawaited promise that rejects in VU code ends nothing but its own work, as in k6.
  process.on('unhandledRejection', (err) => {
    console.error(
      `level=error msg="Uncaught (in promise) ${String((err as Error)?.stack ?? err).replace(/"/g, "'")}"`,
    );
  });
  const result = await runScript(script, env);
  for (const l of result.lines) console.log(l);
  if (values['summary-export']) {
    fs.writeFileSync(values['summary-export'], `${JSON.stringify(result.json, null, 2)}\n`);
  }
  process.exit(result.exitCode);
}

await main().catch((err: unknown) => {
  console.error(`level=error msg="${String((err as Error)?.stack ?? err)}"`);
  process.exit(107);
});
