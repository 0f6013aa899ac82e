// k6/http under the Node runner. http.asyncRequest runs on the event loop, as
// in k6; the blocking calls (get, post, request, batch...) block this process
// through a worker thread: right for setup() and teardown(), which is where
// the scripts use them (VU code awaits asyncRequest).

import { parseDuration } from '../duration.ts';
import type { Tags } from '../metrics.ts';
import { currentIteration, emit, runtime, warnOnce } from '../runtime.ts';
import { perform, performSync, type WireRequest, type WireResponse } from '../syncHttp.ts';

type Body = string | Record<string, unknown> | null | undefined;

interface Params {
  headers?: Record<string, string>;
  tags?: Tags;
  timeout?: string | number;
  responseCallback?: ExpectedStatuses | null;
}

interface ExpectedStatuses {
  statuses: (number | { min: number; max: number })[];
}

let defaultCallback: ExpectedStatuses | null = { statuses: [{ min: 200, max: 399 }] };

export function expectedStatuses(...statuses: (number | { min: number; max: number })[]) {
  return { statuses };
}

export function setResponseCallback(callback: ExpectedStatuses | null): void {
  defaultCallback = callback;
}

class Response {
  readonly status: number;
  readonly body: string;
  readonly headers: Record<string, string>;
  readonly error: string;
  readonly error_code: number;
  readonly url: string;
  readonly timings: { duration: number; waiting: number };
  readonly request: { method: string; url: string; body: string | null };
  constructor(req: WireRequest, res: WireResponse) {
    this.status = res.status;
    this.body = res.body;
    this.headers = res.headers;
    this.error = res.error;
    this.error_code = res.error ? 1000 : res.status >= 400 ? 1000 + res.status : 0;
    this.url = req.url;
    this.timings = { duration: res.durationMs, waiting: res.waitingMs };
    this.request = { method: req.method, url: req.url, body: req.body };
  }
  json(selector?: string): unknown {
    const value: unknown = JSON.parse(this.body);
    if (!selector) return value;
    return selector
      .split('.')
      .reduce<unknown>(
        (v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined),
        value,
      );
  }
}

function wire(method: string, url: string, body: Body, params: Params = {}): WireRequest {
  const headers: Record<string, string> = {
    'User-Agent': 'k6-node-runner (amphi)',
    ...params.headers,
  };
  let text: string | null = null;
  if (typeof body === 'string') text = body;
  else if (body && typeof body === 'object') {
    text = new URLSearchParams(body as Record<string, string>).toString();
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
    }
  }
  return {
    method: method.toUpperCase(),
    url: String(url),
    headers,
    body: text,
    timeoutMs: parseDuration(params.timeout, 60_000),
  };
}

function expected(status: number, callback: ExpectedStatuses | null): boolean {
  if (!callback) return true;
  return callback.statuses.some((s) =>
    typeof s === 'number' ? s === status : status >= s.min && status <= s.max,
  );
}

function record(req: WireRequest, res: WireResponse, params: Params = {}): Response {
  const callback =
    params.responseCallback === undefined ? defaultCallback : params.responseCallback;
  const ok = expected(res.status, callback);
  const tags: Tags = {
    method: req.method,
    url: req.url,
    name: params.tags?.name ?? req.url,
    status: String(res.status),
    expected_response: String(ok),
    ...params.tags,
  };
  emit('http_reqs', 1, tags);
  emit('http_req_duration', res.durationMs, tags);
  emit('http_req_failed', ok ? 0 : 1, tags);
  emit('data_sent', Buffer.byteLength(req.body ?? ''), tags);
  emit('data_received', Buffer.byteLength(res.body), tags);
  return new Response(req, res);
}

function blocking(): void {
  if (currentIteration() && runtime().phase === 'vus') {
    warnOnce(
      'sync-http',
      'a blocking k6/http call inside VU code stalls every VU under the Node runner: use await http.asyncRequest()',
    );
  }
}

export function request(method: string, url: string, body?: Body, params?: Params): Response {
  blocking();
  const req = wire(method, url, body, params);
  const [res] = performSync([req]);
  return record(req, res as WireResponse, params);
}

export async function asyncRequest(
  method: string,
  url: string,
  body?: Body,
  params?: Params,
): Promise<Response> {
  const req = wire(method, url, body, params);
  const it = currentIteration();
  const release = it?.hold({ interrupt: () => {} });
  try {
    return record(req, await perform(req), params);
  } finally {
    release?.();
  }
}

type BatchItem =
  | string
  | [string, string, Body?, Params?]
  | { method: string; url: string; body?: Body; params?: Params };

export function batch(
  items: BatchItem[] | Record<string, BatchItem>,
): Response[] | Record<string, Response> {
  blocking();
  const entries = Array.isArray(items)
    ? items.map((v, i) => [String(i), v] as const)
    : Object.entries(items);
  const reqs = entries.map(([, item]) => {
    if (typeof item === 'string') return { req: wire('GET', item, null), params: undefined };
    if (Array.isArray(item))
      return { req: wire(item[0], item[1], item[2], item[3]), params: item[3] };
    return { req: wire(item.method, item.url, item.body, item.params), params: item.params };
  });
  const responses = performSync(reqs.map((r) => r.req));
  const out = reqs.map((r, i) => record(r.req, responses[i] as WireResponse, r.params));
  if (Array.isArray(items)) return out;
  return Object.fromEntries(entries.map(([k], i) => [k, out[i] as Response]));
}

export const get = (url: string, params?: Params) => request('GET', url, null, params);
export const head = (url: string, params?: Params) => request('HEAD', url, null, params);
export const options = (url: string, body?: Body, params?: Params) =>
  request('OPTIONS', url, body, params);
export const post = (url: string, body?: Body, params?: Params) =>
  request('POST', url, body, params);
export const put = (url: string, body?: Body, params?: Params) => request('PUT', url, body, params);
export const patch = (url: string, body?: Body, params?: Params) =>
  request('PATCH', url, body, params);
export const del = (url: string, body?: Body, params?: Params) =>
  request('DELETE', url, body, params);

export default {
  asyncRequest,
  batch,
  del,
  expectedStatuses,
  get,
  head,
  options,
  patch,
  post,
  put,
  request,
  setResponseCallback,
};
