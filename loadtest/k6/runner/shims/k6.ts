// The 'k6' module under the Node runner: check, sleep, group, fail.
import type { Tags } from '../metrics.ts';
import { currentIteration, emit, runtime } from '../runtime.ts';

type Checks<T> = Record<string, (value: T) => unknown>;

/** Each named predicate adds a `checks` sample tagged with its name; true when all held. */
export function check<T>(value: T, sets: Checks<T>, tags?: Tags): boolean {
  let all = true;
  for (const [name, predicate] of Object.entries(sets)) {
    let ok = false;
    try {
      ok = Boolean(predicate(value));
    } catch {
      ok = false;
    }
    emit('checks', ok ? 1 : 0, { ...tags, check: name });
    all &&= ok;
  }
  return all;
}

/**
 * Blocks for `seconds`: fine in setup() and teardown(); VU code shares this
 * process with every other VU, so there it is an error (await a k6/timers
 * setTimeout instead, which k6 runs the same way).
 */
export function sleep(seconds: number): void {
  if (currentIteration() && runtime().phase === 'vus') {
    throw new Error(
      'sleep() in VU code would stall every VU under the Node runner: await a k6/timers delay',
    );
  }
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, seconds * 1000);
}

export function group<T>(_name: string, fn: () => T): T {
  return fn();
}

export function fail(message = ''): never {
  throw new Error(message);
}

export function randomSeed(_seed: number): void {}

export default { check, fail, group, randomSeed, sleep };
