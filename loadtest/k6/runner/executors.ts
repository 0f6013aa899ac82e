// k6's scenario executors, on one Node event loop: shared-iterations,
// per-vu-iterations, constant-vus, ramping-vus, constant-arrival-rate and
// ramping-arrival-rate, with startTime, gracefulStop and gracefulRampDown as k6
// reads them. A VU runs one iteration at a time; an iteration ends when its
// function has settled and nothing it started is pending (runtime.ts).
import { parseDuration } from './duration.ts';
import type { Tags } from './metrics.ts';
import { emit, Iteration, iterationStorage, type ScenarioState, type VuState } from './runtime.ts';
import { AbortTest } from './shims/execution.ts';

export type ExecFn = (data: unknown) => unknown;

export interface ScenarioOptions {
  executor: string;
  exec?: string;
  startTime?: string;
  gracefulStop?: string;
  env?: Record<string, string>;
  tags?: Tags;
  vus?: number;
  iterations?: number;
  duration?: string;
  maxDuration?: string;
  startVUs?: number;
  stages?: { duration: string; target: number }[];
  gracefulRampDown?: string;
  rate?: number;
  startRate?: number;
  timeUnit?: string;
  preAllocatedVUs?: number;
  maxVUs?: number;
}

/** What every scenario of a run shares: VU ids, the setup data, the abort signal. */
export interface RunContext {
  nextVuId(): number;
  /**
   * The setup() result, through JSON as in k6, and frozen: k6 gives each VU its
   * own copy; here VUs share one (a copy each costs the whole data per VU, which
   * at a thousand classrooms' tokens held the start for seconds), and a VU that
   * writes to it gets a TypeError instead of changing the others' copy.
   */
  data: unknown;
  /** Set when the test is being aborted (exec.test.abort, a threshold's abortOnFail). */
  aborted: { reason: string | null };
  onAbort(reason: string): void;
  /** VUs allocated, across scenarios (vus_max). */
  allocated: number;
  active: number;
}

interface Vu extends VuState {
  data: unknown;
  current: Iteration | null;
  /** Told to start no new iteration. */
  stopping: boolean;
  loop: Promise<void> | null;
}

const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));
const wait = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

/** One scenario's run: its VUs, its iterations, its stop. */
export class ScenarioRun {
  readonly state: ScenarioState;
  readonly #opts: ScenarioOptions;
  readonly #fn: ExecFn;
  readonly #ctx: RunContext;
  readonly #vus: Vu[] = [];
  readonly #plannedMs: number;
  #started = 0;
  #ended = false;

  constructor(name: string, opts: ScenarioOptions, fn: ExecFn, ctx: RunContext) {
    this.#opts = opts;
    this.#fn = fn;
    this.#ctx = ctx;
    this.#plannedMs = plannedDuration(opts);
    this.state = {
      name,
      executor: opts.executor,
      startTime: 0,
      iterationsStarted: 0,
      tags: opts.tags ?? {},
      progress: () =>
        this.#ended
          ? 1
          : Math.min(1, (performance.now() - this.#started) / Math.max(1, this.#plannedMs)),
    };
  }

  /** How long the scenario is planned to last (without its graceful stop), for the summary. */
  get plannedMs(): number {
    return this.#plannedMs;
  }

  async run(): Promise<void> {
    await wait(parseDuration(this.#opts.startTime, 0));
    if (this.#ctx.aborted.reason) return;
    // VUs exist before the scenario starts, as k6 initializes them first.
    for (let i = 0; i < initialVus(this.#opts); i++) this.#newVu();
    this.#started = performance.now();
    this.state.startTime = Date.now();
    const o = this.#opts;
    switch (o.executor) {
      case 'shared-iterations':
        await this.#iterationsBased(o.iterations ?? 1, true);
        break;
      case 'per-vu-iterations':
        await this.#iterationsBased(o.iterations ?? 1, false);
        break;
      case 'constant-vus':
      case 'ramping-vus': {
        const { start, stages } = timeline(o);
        await this.#rampingVus(start, stages);
        break;
      }
      case 'constant-arrival-rate':
      case 'ramping-arrival-rate': {
        const { start, stages } = timeline(o);
        await this.#arrivalRate(start, stages);
        break;
      }
      default:
        throw new Error(
          `scenario "${this.state.name}": executor "${o.executor}" is not supported by the Node runner`,
        );
    }
    this.#ended = true;
  }

  /** Interrupts every iteration still running (the test is being aborted). */
  interruptAll(): void {
    for (const vu of this.#vus) {
      vu.stopping = true;
      vu.current?.interrupt();
    }
  }

  get activeVus(): number {
    return this.#vus.filter((v) => v.current).length;
  }

  #newVu(): Vu {
    const vu: Vu = {
      idInTest: this.#ctx.nextVuId(),
      iterationInInstance: 0,
      tags: {},
      data: this.#ctx.data,
      current: null,
      stopping: false,
      loop: null,
    };
    this.#vus.push(vu);
    this.#ctx.allocated++;
    return vu;
  }

  /** One iteration on `vu`; resolves when it has ended (completed, failed or interrupted). */
  async #iteration(vu: Vu): Promise<void> {
    const it = new Iteration(vu, this.state, this.state.iterationsStarted++);
    vu.current = it;
    this.#ctx.active++;
    const started = performance.now();
    const finished = iterationStorage().run(it, async () => {
      try {
        await this.#fn(vu.data);
      } catch (err) {
        if (err instanceof AbortTest) {
          this.#ctx.onAbort(err.message);
          return;
        }
        if (!it.interrupted) {
          console.error(
            `level=error msg="${String((err as Error)?.stack ?? err).replace(/"/g, "'")}" scenario=${this.state.name} vu=${vu.idInTest}`,
          );
        }
      }
    });
    await Promise.race([finished, it.whenInterrupted]);
    await it.idle();
    vu.current = null;
    this.#ctx.active--;
    vu.iterationInInstance++;
    if (!it.interrupted) {
      iterationStorage().run(it, () => {
        emit('iterations', 1);
        emit('iteration_duration', performance.now() - started);
      });
    }
    await yieldToLoop();
  }

  /** VUs loop until told to stop; then what runs gets `gracefulStop`, and is interrupted after it. */
  async #stopAll(): Promise<void> {
    for (const vu of this.#vus) vu.stopping = true;
    const grace = parseDuration(this.#opts.gracefulStop, 30_000);
    const loops = Promise.all(this.#vus.map((v) => v.loop));
    const timer = setTimeout(() => this.interruptAll(), grace);
    await loops;
    clearTimeout(timer);
  }

  async #iterationsBased(iterations: number, shared: boolean): Promise<void> {
    const maxMs = parseDuration(this.#opts.maxDuration, 600_000);
    let left = iterations;
    const take = () => {
      if (left <= 0) return false;
      left--;
      return true;
    };
    for (const vu of this.#vus) {
      let own = iterations;
      vu.loop = (async () => {
        while (!vu.stopping && !this.#ctx.aborted.reason && (shared ? take() : own-- > 0)) {
          await this.#iteration(vu);
        }
      })();
    }
    const all = Promise.all(this.#vus.map((v) => v.loop));
    const timedOut = await Promise.race([all.then(() => false), wait(maxMs).then(() => true)]);
    if (timedOut) await this.#stopAll();
  }

  async #rampingVus(startVUs: number, stages: Stage[]): Promise<void> {
    const totalMs = stages.reduce((a, s) => a + s.durationMs, 0);
    const rampDownMs = parseDuration(this.#opts.gracefulRampDown, 30_000);
    const startVu = (vu: Vu) => {
      vu.stopping = false;
      if (vu.loop) return;
      vu.loop = (async () => {
        while (!vu.stopping && !this.#ctx.aborted.reason) await this.#iteration(vu);
        vu.loop = null;
      })();
    };
    const stopVu = (vu: Vu) => {
      if (vu.stopping || !vu.loop) return;
      vu.stopping = true;
      const it = vu.current;
      if (it) setTimeout(() => vu.current === it && it.interrupt(), rampDownMs);
    };
    const t0 = performance.now();
    for (;;) {
      const t = performance.now() - t0;
      if (t >= totalMs || this.#ctx.aborted.reason) break;
      const target = vusAt(startVUs, stages, t);
      for (const [i, vu] of this.#vus.entries()) {
        if (i < target) startVu(vu);
        else stopVu(vu);
      }
      await wait(Math.min(20, totalMs - t));
    }
    await this.#stopAll();
  }

  async #arrivalRate(startRate: number, stages: Stage[]): Promise<void> {
    const unitMs = parseDuration(this.#opts.timeUnit, 1000);
    const pre = this.#opts.preAllocatedVUs ?? required(this.#opts, 'preAllocatedVUs');
    const max = Math.max(pre, this.#opts.maxVUs ?? pre);
    const totalMs = stages.reduce((a, s) => a + s.durationMs, 0);
    const running = new Set<Promise<void>>();
    const t0 = performance.now();
    // Iterations due so far: the integral of the rate; the first one starts at once.
    let due = rateAt(startRate, stages, 0) > 0 ? 1 : 0;
    let last = 0;
    let warned = false;
    for (;;) {
      const t = performance.now() - t0;
      if (this.#ctx.aborted.reason) break;
      // An iteration due exactly at the end is not started: k6 starts rate x duration of them.
      const until = Math.min(t, totalMs - 1e-6);
      due += integrateRate(startRate, stages, last, until) / unitMs;
      last = until;
      while (due >= 1) {
        due -= 1;
        let vu = this.#vus.find((v) => !v.current && !v.loop);
        if (!vu && this.#vus.length < max) vu = this.#newVu();
        if (!vu) {
          if (!warned) {
            console.error(
              `level=warning msg="Insufficient VUs, reached ${max} active VUs and cannot initialize more" executor=${this.#opts.executor} scenario=${this.state.name}`,
            );
            warned = true;
          }
          emit('dropped_iterations', 1, { scenario: this.state.name });
          continue;
        }
        const v = vu;
        const p: Promise<void> = this.#iteration(v).then(() => {
          v.loop = null;
          running.delete(p);
        });
        v.loop = p;
        running.add(p);
      }
      if (t >= totalMs) break;
      await wait(Math.min(5, totalMs - t));
    }
    await this.#stopAll();
  }
}

function required(o: ScenarioOptions, key: keyof ScenarioOptions): number {
  const v = o[key];
  if (typeof v !== 'number') throw new Error(`executor ${o.executor} needs ${key}`);
  return v;
}

/** One stage of a ramping executor: from the previous stage's target to `target`, linearly. */
export interface Stage {
  durationMs: number;
  target: number;
}

/**
 * What a VU- or arrival-rate-based executor follows: VUs or iterations per
 * time unit from `start`, through linear stages. A constant executor is one
 * stage that starts and stays at its level (vus, rate) for its duration.
 */
export function timeline(o: ScenarioOptions): { start: number; stages: Stage[] } {
  const stages = () =>
    (o.stages ?? []).map((s) => ({ durationMs: parseDuration(s.duration), target: s.target }));
  const constant = (level: number) => ({
    start: level,
    stages: [{ durationMs: parseDuration(o.duration), target: level }],
  });
  switch (o.executor) {
    case 'constant-vus':
      return constant(o.vus ?? 1);
    case 'ramping-vus':
      return { start: o.startVUs ?? 1, stages: stages() };
    case 'constant-arrival-rate':
      return constant(required(o, 'rate'));
    case 'ramping-arrival-rate':
      return { start: o.startRate ?? 0, stages: stages() };
    default:
      throw new Error(`executor ${o.executor} has no stages`);
  }
}

/** The level at `t` ms of a timeline: the stage's start, plus its change so far (`step` rounds it). */
function levelAt(start: number, stages: Stage[], t: number, step: (x: number) => number): number {
  let from = start;
  let at = 0;
  for (const s of stages) {
    if (t < at + s.durationMs) {
      if (s.durationMs === 0) return s.target;
      return from + step(((s.target - from) * (t - at)) / s.durationMs);
    }
    at += s.durationMs;
    from = s.target;
  }
  return from;
}

/** VUs ramping-vus keeps at `t` ms: linear in each stage, truncated toward the stage's start, as k6 steps. */
export function vusAt(start: number, stages: Stage[], t: number): number {
  return levelAt(start, stages, t, Math.trunc);
}

/** Iterations per time unit at `t` ms (ramping-arrival-rate's linear stages). */
export function rateAt(start: number, stages: Stage[], t: number): number {
  return levelAt(start, stages, t, (x) => x);
}

/** ∫ rate dt from a to b (ms), exact for piecewise-linear stages (trapezoids). */
export function integrateRate(start: number, stages: Stage[], a: number, b: number): number {
  if (b <= a) return 0;
  let total = 0;
  let from = start;
  let at = 0;
  for (const s of stages) {
    const lo = Math.max(a, at);
    const hi = Math.min(b, at + s.durationMs);
    if (hi > lo) {
      const r = (t: number) => from + ((s.target - from) * (t - at)) / s.durationMs;
      total += ((r(lo) + r(hi)) / 2) * (hi - lo);
    }
    at += s.durationMs;
    from = s.target;
  }
  return total;
}

/** VUs a scenario starts with (arrival-rate executors may add up to maxVUs). */
export function initialVus(o: ScenarioOptions): number {
  switch (o.executor) {
    case 'ramping-vus':
      return Math.max(o.startVUs ?? 1, ...(o.stages ?? []).map((s) => s.target));
    case 'constant-arrival-rate':
    case 'ramping-arrival-rate':
      return o.preAllocatedVUs ?? 0;
    default:
      return o.vus ?? 1;
  }
}

/** The scenario's planned length, without its graceful stop (maxDuration for iteration-based ones). */
export function plannedDuration(o: ScenarioOptions): number {
  switch (o.executor) {
    case 'constant-vus':
    case 'ramping-vus':
    case 'constant-arrival-rate':
    case 'ramping-arrival-rate':
      return timeline(o).stages.reduce((a, s) => a + s.durationMs, 0);
    default:
      return parseDuration(o.maxDuration, 600_000);
  }
}
