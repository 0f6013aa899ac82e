// k6/timers under the Node runner: a pending timer keeps its iteration alive,
// as on k6's event loop, and ends with it when the iteration is interrupted.
import { currentIteration } from '../runtime.ts';

type Handle = number;
const timers = new Map<Handle, () => void>();
let nextId = 1;

function start(fn: (...args: unknown[]) => void, ms: number, repeat: boolean, args: unknown[]) {
  const id = nextId++;
  const it = currentIteration();
  let release = () => {};
  const clear = () => {
    if (repeat) clearInterval(timer);
    else clearTimeout(timer);
    timers.delete(id);
    release();
  };
  const run = () => {
    if (!repeat) clear();
    fn(...args);
  };
  const timer = repeat ? setInterval(run, ms) : setTimeout(run, ms);
  if (it) release = it.hold({ interrupt: clear });
  timers.set(id, clear);
  return id;
}

function k6SetTimeout(fn: (...args: unknown[]) => void, ms = 0, ...args: unknown[]): Handle {
  return start(fn, ms, false, args);
}
function k6SetInterval(fn: (...args: unknown[]) => void, ms = 0, ...args: unknown[]): Handle {
  return start(fn, ms, true, args);
}
function k6Clear(id: Handle): void {
  timers.get(id)?.();
}

export {
  k6Clear as clearInterval,
  k6Clear as clearTimeout,
  k6SetInterval as setInterval,
  k6SetTimeout as setTimeout,
};
