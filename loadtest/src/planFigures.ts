import fs from 'node:fs';
import path from 'node:path';

/** A classrooms-per-core figure and where it comes from, as the plan prints it. */
export interface PerCoreFigure {
  perCore: number;
  /** 'browser-like' consumers (transport-cc answered, as a browser classroom costs) or 'plain'. */
  kind: 'browser-like' | 'plain' | 'assumed';
  source: string;
}

/**
 * Used when no bench:fanout result is on this machine: browser-like consumers
 * (transport-cc and REMB negotiated) held 400 per core on the tuned worker
 * before the browser-like work began; plain ones held 600–680. The lower one,
 * since classrooms are browsers.
 */
export const ASSUMED_PER_CORE = 400;

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null;
const positive = (v: unknown): number | null => (typeof v === 'number' && v > 0 ? v : null);

/**
 * The per-core figure a bench:fanout JSON states: its browser-like capacity when
 * it has one (`perCore.browser`, or a browser-like profile in `summary`), else
 * the tuned worker's plain capacity (`summary.tuned.classrooms`).
 */
export function perCoreFromFanout(json: unknown): Omit<PerCoreFigure, 'source'> | null {
  if (!isObject(json)) return null;
  const perCore = isObject(json.perCore) ? json.perCore : null;
  const browser = positive(perCore?.browser);
  if (browser) return { perCore: browser, kind: 'browser-like' };
  const summary = isObject(json.summary) ? json.summary : {};
  for (const key of ['tuned-browser', 'browser-tuned', 'browser']) {
    const step = summary[key];
    const n = isObject(step) ? positive(step.classrooms) : null;
    if (n) return { perCore: n, kind: 'browser-like' };
  }
  const plain = positive(perCore?.plain);
  if (plain) return { perCore: plain, kind: 'plain' };
  const tuned = summary.tuned;
  const n = isObject(tuned) ? positive(tuned.classrooms) : null;
  return n ? { perCore: n, kind: 'plain' } : null;
}

/**
 * The newest full bench:fanout result under `dir` that states a figure (file
 * names carry the ISO date, so the last in name order is the newest), or the
 * assumed one.
 */
export function latestPerCore(dir: string): PerCoreFigure {
  let files: string[] = [];
  try {
    files = fs
      .readdirSync(dir)
      .filter((f) => /^fanout-.*\.json$/.test(f))
      .sort()
      .reverse();
  } catch {
    // No results directory: nothing measured here yet.
  }
  // A --quick run stops at small steps (it checks the bench, not the machine): its
  // largest held step is no capacity. Only full runs count.
  let quickRuns = 0;
  for (const file of files) {
    let json: unknown;
    try {
      json = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    } catch {
      continue;
    }
    if (isObject(json) && json.quick === true) {
      quickRuns++;
      continue;
    }
    const figure = perCoreFromFanout(json);
    if (figure) return { ...figure, source: `bench/results/${file}` };
  }
  return {
    perCore: ASSUMED_PER_CORE,
    kind: 'assumed',
    source:
      `no full bench:fanout result here${quickRuns ? ` (${quickRuns} --quick ignored)` : ''}: ` +
      'browser-like figure measured before tuning',
  };
}
