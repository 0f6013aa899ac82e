// Synchronous HTTP for k6's blocking calls (http.get, http.post, http.batch):
// a worker thread runs fetch while this thread waits on a shared flag. Blocking
// the process is what k6's setup() and teardown() expect and cost nothing there;
// inside VU code it would stall every VU, so scripts use http.asyncRequest
// there (the runner warns once otherwise).
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';

export interface WireRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | null;
  timeoutMs: number;
}

export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** ms from sending to the whole body read. */
  durationMs: number;
  /** ms from sending to the response's headers. */
  waitingMs: number;
  error: string;
}

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
${perform.toString()}
parentPort.on('message', async ({ requests, port, flag }) => {
  const results = await Promise.all(requests.map(perform));
  port.postMessage(results);
  const f = new Int32Array(flag);
  Atomics.store(f, 0, 1);
  Atomics.notify(f, 0);
});
`;

/** One request with fetch, timed; never throws (a failure is status 0 and an error). */
export async function perform(req: WireRequest): Promise<WireResponse> {
  const started = performance.now();
  let waitingMs = 0;
  try {
    const res = await fetch(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      signal: AbortSignal.timeout(req.timeoutMs),
      redirect: 'follow',
    });
    waitingMs = performance.now() - started;
    const body = await res.text();
    const headers: Record<string, string> = {};
    res.headers.forEach((value, key) => {
      headers[key.replace(/(^|-)([a-z])/g, (_m, dash, c) => dash + c.toUpperCase())] = value;
    });
    return {
      status: res.status,
      headers,
      body,
      durationMs: performance.now() - started,
      waitingMs,
      error: '',
    };
  } catch (err) {
    const cause = err && typeof err === 'object' && 'cause' in err ? err.cause : null;
    const message = String((cause as Error | null)?.message ?? (err as Error)?.message ?? err);
    return {
      status: 0,
      headers: {},
      body: '',
      durationMs: performance.now() - started,
      waitingMs,
      error: message,
    };
  }
}

let worker: Worker | null = null;

/** Runs the requests at once (in parallel, as http.batch) and waits for all of them. */
export function performSync(requests: WireRequest[]): WireResponse[] {
  worker ??= new Worker(WORKER_SOURCE, { eval: true });
  worker.unref();
  const flag = new SharedArrayBuffer(4);
  const { port1, port2 } = new MessageChannel();
  worker.postMessage({ requests, port: port2, flag }, [port2]);
  Atomics.wait(new Int32Array(flag), 0, 0);
  const reply = receiveMessageOnPort(port1);
  port1.close();
  if (!reply) throw new Error('the HTTP worker gave no answer');
  return reply.message as WireResponse[];
}

export async function closeSyncHttp(): Promise<void> {
  await worker?.terminate();
  worker = null;
}
