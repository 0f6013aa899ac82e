// k6/websockets (and k6/experimental/websockets) under the Node runner: the
// browser-like WebSocket k6 offers, over `ws`, with k6's ws_* metrics. An open
// socket keeps its iteration alive until it closes; handlers run in their VU's
// context; an exception in a handler ends the iteration, as in k6.
import WS from 'ws';
import type { Tags } from '../metrics.ts';
import { currentIteration, emit, type Iteration, iterationStorage } from '../runtime.ts';

type Handler = (event: Record<string, unknown>) => void;
type EventName = 'open' | 'message' | 'close' | 'error' | 'ping' | 'pong';

interface Params {
  headers?: Record<string, string>;
  tags?: Tags;
}

export const ReadyState = { Connecting: 0, Open: 1, Closing: 2, Closed: 3 } as const;

export class WebSocket {
  readonly url: string;
  binaryType: 'blob' | 'arraybuffer' | '' = '';
  onopen: Handler | null = null;
  onmessage: Handler | null = null;
  onclose: Handler | null = null;
  onerror: Handler | null = null;
  onping: Handler | null = null;
  onpong: Handler | null = null;
  readonly #socket: WS;
  readonly #listeners = new Map<EventName, Handler[]>();
  readonly #iteration: Iteration | undefined;
  readonly #tags: Tags;
  readonly #started = performance.now();
  #opened = 0;
  #release: () => void = () => {};

  constructor(url: string, protocols?: string | string[] | null, params: Params = {}) {
    this.url = url;
    this.#iteration = currentIteration();
    this.#tags = { url, ...params.tags };
    this.#socket = new WS(url, protocols ?? [], {
      headers: params.headers ?? {},
      perMessageDeflate: false,
    });
    if (this.#iteration) {
      this.#release = this.#iteration.hold({ interrupt: () => this.#socket.terminate() });
    }
    const s = this.#socket;
    s.on('open', () => {
      this.#opened = performance.now();
      this.#emit('ws_connecting', this.#opened - this.#started, { status: '101' });
      this.#emit('ws_sessions', 1, { status: '101' });
      this.#dispatch('open', { type: 'open' });
    });
    s.on('message', (data, isBinary) => {
      this.#emit('ws_msgs_received', 1);
      const payload = isBinary ? new Uint8Array(data as Buffer).buffer : data.toString();
      this.#dispatch('message', { type: 'message', data: payload, timestamp: Date.now() });
    });
    s.on('ping', () => this.#dispatch('ping', { type: 'ping' }));
    s.on('pong', () => this.#dispatch('pong', { type: 'pong' }));
    s.on('unexpected-response', (_req, res) => {
      this.#emit('ws_connecting', performance.now() - this.#started, {
        status: String(res.statusCode),
      });
      // As k6: a refused handshake is a session too, tagged with its status.
      this.#emit('ws_sessions', 1, { status: String(res.statusCode) });
      this.#dispatch('error', {
        type: 'error',
        error: `websocket: bad handshake (HTTP ${res.statusCode})`,
      });
      s.terminate();
    });
    s.on('error', (err) => this.#dispatch('error', { type: 'error', error: err.message }));
    s.on('close', (code, reason) => {
      if (this.#opened) {
        this.#emit('ws_session_duration', performance.now() - this.#opened);
        this.#dispatch('close', { type: 'close', code, reason: reason.toString() });
      }
      this.#release();
    });
  }

  get readyState(): number {
    return this.#socket.readyState;
  }

  get bufferedAmount(): number {
    return this.#socket.bufferedAmount;
  }

  get protocol(): string {
    return this.#socket.protocol;
  }

  send(data: string | ArrayBuffer): void {
    if (this.#socket.readyState !== WS.OPEN)
      throw new Error('InvalidStateError: the socket is not open');
    this.#socket.send(typeof data === 'string' ? data : Buffer.from(data));
    this.#emit('ws_msgs_sent', 1);
  }

  ping(): void {
    if (this.#socket.readyState === WS.OPEN) this.#socket.ping();
  }

  close(code?: number, reason?: string): void {
    if (this.#socket.readyState === WS.CONNECTING) this.#socket.terminate();
    else this.#socket.close(code ?? 1000, reason);
  }

  addEventListener(event: EventName, handler: Handler): void {
    const list = this.#listeners.get(event) ?? [];
    list.push(handler);
    this.#listeners.set(event, list);
  }

  #emit(name: string, value: number, tags?: Tags): void {
    const run = () => emit(name, value, { ...this.#tags, ...tags });
    if (this.#iteration) iterationStorage().run(this.#iteration, run);
    else run();
  }

  #dispatch(event: EventName, payload: Record<string, unknown>): void {
    const property = (this as unknown as Record<string, Handler | null>)[`on${event}`];
    const handlers = [...(property ? [property] : []), ...(this.#listeners.get(event) ?? [])];
    const run = () => {
      for (const h of handlers) {
        try {
          h.call(this, payload);
        } catch (err) {
          console.error(
            `level=error msg="Uncaught (in ${event} handler) ${(err as Error)?.stack ?? err}"`,
          );
          this.#iteration?.interrupt();
          this.#socket.terminate();
          return;
        }
      }
    };
    if (this.#iteration) iterationStorage().run(this.#iteration, run);
    else run();
  }
}

export default { WebSocket, ReadyState };
