// What the k6 module shims share with the runner: the metric registry, the
// options, and which VU's iteration the running code belongs to. In k6 each VU
// is its own JavaScript runtime; here every VU shares one Node process, so the
// current VU and iteration travel in an AsyncLocalStorage, and an iteration
// ends, as in k6, once its function has returned AND nothing it started (a
// socket, a timer, a request) is still pending on the event loop.
import { AsyncLocalStorage } from 'node:async_hooks';
import { Registry, type Tags } from './metrics.ts';

/** Something an iteration started that keeps it alive until it ends. */
export interface Pending {
  /** Ends it now: the iteration is interrupted (graceful stop passed). */
  interrupt(): void;
}

/** One iteration of one VU: what it has pending, and how its end is awaited. */
export class Iteration {
  readonly #pending = new Set<Pending>();
  #idle: (() => void) | null = null;
  #interrupted = false;
  #onInterrupt: () => void = () => {};
  /**
   * Settles when the iteration is interrupted: its function may be awaiting
   * something that will never come (a timer cleared, a socket cut).
   */
  readonly whenInterrupted = new Promise<void>((resolve) => {
    this.#onInterrupt = resolve;
  });

  constructor(
    readonly vu: VuState,
    readonly scenario: ScenarioState,
    readonly iterationInScenario: number,
  ) {}

  get interrupted(): boolean {
    return this.#interrupted;
  }

  /** Keeps the iteration alive until `done` is called. */
  hold(p: Pending): () => void {
    this.#pending.add(p);
    return () => {
      this.#pending.delete(p);
      if (this.#pending.size === 0) this.#idle?.();
    };
  }

  /** Resolves once nothing is pending (at once if nothing is). */
  idle(): Promise<void> {
    if (this.#pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#idle = resolve;
    });
  }

  /** Ends everything pending: closes its sockets, clears its timers. */
  interrupt(): void {
    this.#interrupted = true;
    this.#onInterrupt();
    for (const p of [...this.#pending]) p.interrupt();
    this.#pending.clear();
    this.#idle?.();
  }
}

export interface VuState {
  /** 1-based, unique in the test (k6's exec.vu.idInTest and __VU). */
  idInTest: number;
  iterationInInstance: number;
  tags: Tags;
}

export interface ScenarioState {
  name: string;
  executor: string;
  /** ms since the epoch (k6's exec.scenario.startTime). */
  startTime: number;
  /** Iterations started in this scenario, across its VUs. */
  iterationsStarted: number;
  tags: Tags;
  /** 0..1, as exec.scenario.progress. */
  progress(): number;
}

export interface Runtime {
  registry: Registry;
  env: Record<string, string>;
  /** The script's `options` once read (k6/execution exposes them). */
  options: Record<string, unknown>;
  /** setup() and teardown() run outside any VU and may block (sync HTTP, sleep). */
  phase: 'init' | 'setup' | 'vus' | 'teardown' | 'done';
  /** Tags every sample carries (options.tags). */
  systemTags: Tags;
  warned: Set<string>;
}

const KEY = Symbol.for('amphi.k6.runtime');
const ALS_KEY = Symbol.for('amphi.k6.iteration');

type Global = typeof globalThis & { [KEY]?: Runtime; [ALS_KEY]?: AsyncLocalStorage<Iteration> };
const g = globalThis as Global;

/** The one runtime of this process, shared by the shims however they are loaded. */
export function runtime(): Runtime {
  g[KEY] ??= {
    registry: new Registry(),
    env: {},
    options: {},
    phase: 'init',
    systemTags: {},
    warned: new Set(),
  };
  return g[KEY];
}

export function iterationStorage(): AsyncLocalStorage<Iteration> {
  g[ALS_KEY] ??= new AsyncLocalStorage<Iteration>();
  return g[ALS_KEY];
}

/** The iteration the calling code runs in, if any (none in init, setup, teardown). */
export function currentIteration(): Iteration | undefined {
  return iterationStorage().getStore();
}

/** Tags a sample taken now carries: the run's, the scenario's, the VU's, then the call's. */
export function sampleTags(extra?: Tags): Tags {
  const it = currentIteration();
  const rt = runtime();
  const tags: Tags = { ...rt.systemTags };
  if (it) Object.assign(tags, it.scenario.tags, { scenario: it.scenario.name }, it.vu.tags);
  else if (rt.phase === 'setup' || rt.phase === 'teardown') tags.scenario = rt.phase;
  if (extra) for (const [k, v] of Object.entries(extra)) tags[k] = String(v);
  return tags;
}

export function emit(name: string, value: number, tags?: Tags): void {
  const rt = runtime();
  rt.registry.add(name, value, sampleTags(tags));
}

export function warnOnce(key: string, message: string): void {
  const rt = runtime();
  if (rt.warned.has(key)) return;
  rt.warned.add(key);
  console.error(`level=warning msg="${message}"`);
}
