import {
  type BackoffOptions,
  backoffDelay,
  CloseCode,
  type ErrorBody,
  type ErrorCode,
  type EventData,
  type EventName,
  Events,
  type JoinResult,
  PROTOCOL_VERSION,
  type RequestData,
  type RequestResult,
  Requests,
  type RequestType,
  RestError,
} from '@amphi/protocol';
import { Emitter } from './Emitter.ts';
import { SignalingError } from './errors.ts';

export type SignalingStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface StatusInfo {
  status: SignalingStatus;
  /** Retries since the connection was last open (0 while it is open). */
  attempt: number;
  /** When the next try starts (ms since epoch), while reconnecting. */
  nextRetryAt: number | null;
  /** Why it is closed for good (removed, token refused...), or why the last try failed. */
  error: SignalingError | null;
}

export type SignalingClientEvents = {
  status: [info: StatusInfo];
  /** After every successful `join`: the first one, and again after each reconnection. */
  joined: [join: JoinResult, reconnected: boolean];
  /** Any server event, already validated. */
  event: [event: EventName, data: unknown];
};

export interface SignalingClientOptions {
  /** Origin of the control-api, e.g. `location.origin` or `http://localhost:8080`. */
  baseUrl: string;
  eventId: string;
  token: string;
  backoff?: BackoffOptions;
  /** A request with no answer after this long fails with TIMEOUT (default 15 000 ms). */
  requestTimeoutMs?: number;
  /**
   * Ping period while nothing else arrives (default 1 000 ms; 0 turns the
   * heartbeat off). A cut line sends no close: only silence tells it.
   */
  heartbeatMs?: number;
  /**
   * Silence after which the link counts as lost, a ping being unanswered
   * (default 2 500 ms): a class is told within 2–3 s that its line is cut.
   */
  heartbeatTimeoutMs?: number;
  /**
   * A socket that has not opened after this long is given up and the next try
   * counted (default 5 000 ms): on a cut line the opening hangs, it never fails.
   */
  connectTimeoutMs?: number;
  /** Another WebSocket implementation (Node < 22, tests). */
  WebSocket?: typeof WebSocket;
  /** Another fetch (used only to learn why a socket was refused). */
  fetch?: typeof fetch;
}

/** Close codes after which reconnecting cannot help, and the error each one means. */
const FINAL_CLOSE_CODES: ReadonlyMap<number, ErrorCode> = new Map<number, ErrorCode>([
  [CloseCode.REMOVED, 'FORBIDDEN'],
  [CloseCode.TOKEN_REVOKED, 'TOKEN_REVOKED'],
  [CloseCode.PROTOCOL_VERSION_UNSUPPORTED, 'PROTOCOL_VERSION_UNSUPPORTED'],
]);
/** Refusals (before the upgrade) that a retry will not change. */
const FINAL_REFUSALS: ReadonlySet<string> = new Set([
  'UNAUTHORIZED',
  'TOKEN_INVALID',
  'TOKEN_EXPIRED',
  'TOKEN_REVOKED',
  'WRONG_EVENT',
  'FORBIDDEN',
  'NOT_FOUND',
  'NOT_ENROLLED',
  'EVENT_CLOSED',
  'PROTOCOL_VERSION_UNSUPPORTED',
]);

interface Pending {
  type: RequestType;
  resolve: (value: unknown) => void;
  reject: (err: SignalingError) => void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * The signaling socket of one participant: typed requests and server events
 * (schemas from `@amphi/protocol`), automatic reconnection with exponential
 * back-off and jitter, and a `join` after every (re)connection so that the app
 * can restore its state from the `joined` event.
 */
export class SignalingClient extends Emitter<SignalingClientEvents> {
  readonly options: SignalingClientOptions;
  #socket: WebSocket | null = null;
  #status: StatusInfo = { status: 'connecting', attempt: 0, nextRetryAt: null, error: null };
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();
  readonly #openWaiters = new Set<() => void>();
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #heartbeat: ReturnType<typeof setInterval> | null = null;
  #silence: ReturnType<typeof setTimeout> | null = null;
  #connectTimer: ReturnType<typeof setTimeout> | null = null;
  /** When the open socket last received anything, and when the unanswered ping left. */
  #lastHeard = 0;
  #pingSentAt: number | null = null;
  #everJoined = false;
  #closedByUser = false;
  #lastJoin: JoinResult | null = null;
  /** From the last join: the next socket presents it to take this participant's media over. */
  #resumeToken: string | null = null;
  #firstJoin: { resolve: (j: JoinResult) => void; reject: (e: SignalingError) => void } | null =
    null;
  /**
   * Events that came after a join's answer, held until the code awaiting the
   * answer has run (a timer's turn). Several messages read at once are handed
   * over in one go (ws in Node does): an event right behind the answer would
   * otherwise reach the listeners before they have the state it applies to
   * (the live view, a media client started from the answer), and be lost.
   */
  #afterJoin: { event: EventName; data: unknown }[] | null = null;

  constructor(options: SignalingClientOptions) {
    super();
    this.options = options;
  }

  get status(): SignalingStatus {
    return this.#status.status;
  }

  get statusInfo(): StatusInfo {
    return this.#status;
  }

  /** The last `join` result (state as of the last (re)connection). */
  get lastJoin(): JoinResult | null {
    return this.#lastJoin;
  }

  get url(): string {
    const { baseUrl, eventId, token } = this.options;
    const base = baseUrl.replace(/\/$/, '').replace(/^http/, 'ws');
    const resume = this.#resumeToken ? `&resume=${encodeURIComponent(this.#resumeToken)}` : '';
    return `${base}/v1/events/${encodeURIComponent(eventId)}/ws?v=${PROTOCOL_VERSION}&token=${encodeURIComponent(token)}${resume}`;
  }

  /**
   * Opens the socket and joins. Resolves with the first `join` result; keeps
   * retrying with back-off while the network is down; rejects only when the
   * server refuses for good (bad token, removed, event closed).
   */
  connect(): Promise<JoinResult> {
    this.#closedByUser = false;
    const p = new Promise<JoinResult>((resolve, reject) => {
      this.#firstJoin = { resolve, reject };
    });
    this.#open();
    return p;
  }

  /** Subscribes to one server event, typed; returns the unsubscribe function. */
  onEvent<E extends EventName>(event: E, listener: (data: EventData<E>) => void): () => void {
    return this.on('event', (name, data) => {
      if (name === event) listener(data as EventData<E>);
    });
  }

  /**
   * Sends a request; resolves with its validated result, rejects with a
   * SignalingError carrying the server's code. While reconnecting, waits for
   * the socket to be back (within the request timeout).
   */
  async request<T extends RequestType>(type: T, data: RequestData<T>): Promise<RequestResult<T>> {
    const timeoutMs = this.options.requestTimeoutMs ?? 15_000;
    if (this.#status.status === 'closed') {
      throw new SignalingError('CLOSED', 'the connection is closed');
    }
    if (this.#status.status !== 'open') await this.#waitForOpen(timeoutMs);
    return this.#send(type, data, timeoutMs);
  }

  /** Closes the socket for good (no reconnection). */
  close(): void {
    this.#closedByUser = true;
    this.#resumeToken = null;
    this.#clearTimers();
    const socket = this.#socket;
    this.#socket = null;
    if (socket && socket.readyState <= 1) socket.close(1000, 'client closing');
    this.#failPending(new SignalingError('CLOSED', 'the connection is closed'));
    this.#setStatus({ status: 'closed', attempt: 0, nextRetryAt: null, error: null });
    for (const w of [...this.#openWaiters]) w();
  }

  /**
   * Drops the socket as a network cut would (the client then reconnects by
   * itself). For tests and for a "retry now" button.
   */
  dropConnection(): void {
    const socket = this.#socket;
    if (socket) {
      this.#detach(socket);
      socket.close(4000, 'dropped by the client');
      this.#onLost(new SignalingError('DISCONNECTED', 'the connection was dropped'));
    } else if (this.#status.status === 'reconnecting') {
      this.#retryNow();
    }
  }

  /** Skips the current back-off wait. */
  retryNow(): void {
    if (this.#status.status === 'reconnecting') this.#retryNow();
  }

  #retryNow(): void {
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#open();
  }

  #setStatus(info: StatusInfo): void {
    this.#status = info;
    this.emit('status', info);
  }

  #open(): void {
    const Ws = this.options.WebSocket ?? globalThis.WebSocket;
    const attempt = this.#status.attempt;
    if (!this.#everJoined) {
      this.#setStatus({ status: 'connecting', attempt, nextRetryAt: null, error: null });
    } else if (this.#status.status !== 'reconnecting') {
      this.#setStatus({ status: 'reconnecting', attempt, nextRetryAt: null, error: null });
    }
    let socket: WebSocket;
    try {
      socket = new Ws(this.url);
    } catch (err) {
      this.#onLost(new SignalingError('DISCONNECTED', (err as Error).message));
      return;
    }
    this.#socket = socket;
    let opened = false;
    this.#connectTimer = setTimeout(() => {
      if (this.#socket !== socket || opened) return;
      // The network, not a refusal: the next try is counted and shown.
      this.#detach(socket);
      socket.onerror = () => {};
      socket.close();
      this.#onLost(new SignalingError('TIMEOUT', 'the server could not be reached'));
    }, this.options.connectTimeoutMs ?? 5_000);
    socket.onopen = () => {
      opened = true;
      this.#clearConnectTimer();
    };
    socket.onmessage = (ev: MessageEvent) => {
      if (this.#socket === socket) this.#heard(socket);
      this.#onMessage(String(ev.data));
    };
    socket.onerror = () => {};
    socket.onclose = (ev: CloseEvent) => {
      if (this.#socket !== socket) return;
      this.#detach(socket);
      const code = FINAL_CLOSE_CODES.get(ev.code);
      if (code) {
        this.#closeForGood(
          new SignalingError(code, ev.reason || 'the server closed the connection'),
        );
        return;
      }
      const lost = new SignalingError(
        'DISCONNECTED',
        ev.reason || `the connection was lost (code ${ev.code})`,
      );
      if (opened) this.#onLost(lost);
      else void this.#onRefused(lost);
    };
  }

  #detach(socket: WebSocket): void {
    socket.onopen = null;
    socket.onmessage = null;
    socket.onclose = null;
    socket.onerror = null;
    if (this.#socket === socket) this.#socket = null;
    this.#stopHeartbeat();
    this.#clearConnectTimer();
  }

  #clearConnectTimer(): void {
    if (this.#connectTimer) clearTimeout(this.#connectTimer);
    this.#connectTimer = null;
  }

  /** The socket never opened: ask over HTTP why (a refused token says so; the network does not). */
  async #onRefused(lost: SignalingError): Promise<void> {
    const fetchFn = this.options.fetch ?? globalThis.fetch;
    try {
      // Bounded: on a cut line this request hangs as the socket did.
      const res = await fetchFn(this.url.replace(/^ws/, 'http'), {
        signal: AbortSignal.timeout(this.options.connectTimeoutMs ?? 5_000),
      });
      if (res.status >= 400 && res.status !== 426) {
        const body = RestError.safeParse(await res.json());
        if (body.success && FINAL_REFUSALS.has(body.data.error.code)) {
          this.#closeForGood(errorFrom(body.data.error));
          return;
        }
      }
    } catch {
      // The network is down: keep retrying.
    }
    if (!this.#closedByUser) this.#onLost(lost);
  }

  #closeForGood(error: SignalingError): void {
    this.#clearTimers();
    this.#failPending(error);
    this.#setStatus({ status: 'closed', attempt: 0, nextRetryAt: null, error });
    this.#firstJoin?.reject(error);
    this.#firstJoin = null;
    for (const w of [...this.#openWaiters]) w();
  }

  #onLost(error: SignalingError): void {
    this.#failPending(error);
    if (this.#closedByUser) return;
    const attempt = this.#status.status === 'open' ? 0 : this.#status.attempt;
    const delay = backoffDelay(attempt, this.options.backoff);
    this.#setStatus({
      status: this.#everJoined ? 'reconnecting' : 'connecting',
      attempt: attempt + 1,
      nextRetryAt: Date.now() + delay,
      error,
    });
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.#open();
    }, delay);
  }

  #onMessage(raw: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(raw);
    } catch {
      return;
    }
    if (typeof msg !== 'object' || msg === null) return;
    if ('event' in msg) {
      const { event, data } = msg as { event: string; data: unknown };
      if (!Object.hasOwn(Events, event)) return;
      const parsed = Events[event as EventName].safeParse(data);
      if (!parsed.success) return;
      if (event === 'welcome') {
        void this.#join();
        return;
      }
      if (this.#afterJoin) this.#afterJoin.push({ event: event as EventName, data: parsed.data });
      else this.emit('event', event as EventName, parsed.data);
      return;
    }
    const { id, ok } = msg as { id: unknown; ok: unknown };
    if (typeof id !== 'number') return;
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    if (ok === true) {
      const parsed = Requests[pending.type].result.safeParse((msg as { result: unknown }).result);
      if (parsed.success) {
        pending.resolve(parsed.data);
        if (pending.type === 'join') this.#holdAfterJoin();
      } else pending.reject(new SignalingError('INVALID_MESSAGE', parsed.error.message));
    } else {
      const body = (msg as { error?: ErrorBody }).error;
      pending.reject(
        body ? errorFrom(body) : new SignalingError('INTERNAL', 'request failed without a reason'),
      );
    }
  }

  /** The events after a join's answer wait for a timer's turn (see #afterJoin). */
  #holdAfterJoin(): void {
    if (this.#afterJoin) return;
    this.#afterJoin = [];
    setTimeout(() => {
      const held = this.#afterJoin ?? [];
      this.#afterJoin = null;
      for (const { event, data } of held) this.emit('event', event, data);
    }, 0);
  }

  async #join(): Promise<void> {
    try {
      const join = await this.#send('join', {}, this.options.requestTimeoutMs ?? 15_000);
      const reconnected = this.#everJoined;
      this.#everJoined = true;
      this.#lastJoin = join;
      this.#resumeToken = join.resume?.token ?? null;
      this.#setStatus({ status: 'open', attempt: 0, nextRetryAt: null, error: null });
      if (this.#socket) this.#startHeartbeat(this.#socket);
      for (const w of [...this.#openWaiters]) w();
      this.emit('joined', join, reconnected);
      this.#firstJoin?.resolve(join);
      this.#firstJoin = null;
    } catch (err) {
      const error =
        err instanceof SignalingError ? err : new SignalingError('INTERNAL', String(err));
      if (error.code === 'EVENT_CLOSED' || error.code === 'FORBIDDEN') {
        this.#socket?.close(1000, 'join refused');
        this.#closeForGood(error);
      } else {
        this.#socket?.close(4000, 'join failed');
      }
    }
  }

  /**
   * Pings while nothing else arrives; the link is lost once nothing has been
   * heard for `heartbeatTimeoutMs` with a ping out for a while (a throttled
   * background tab may send its ping late: its silence is not the network's).
   */
  #startHeartbeat(socket: WebSocket): void {
    const period = this.options.heartbeatMs ?? 1_000;
    if (period <= 0) return;
    this.#stopHeartbeat();
    this.#heartbeat = setInterval(() => {
      if (this.#socket !== socket || this.#pingSentAt !== null) return;
      if (Date.now() - this.#lastHeard < period * 0.9) return;
      this.#ping();
    }, period);
    this.#heard(socket);
  }

  #ping(): void {
    const sentAt = Date.now();
    this.#pingSentAt = sentAt;
    // Answered or not, #checkSilence judges the silence; this only frees the next ping.
    const done = () => {
      if (this.#pingSentAt === sentAt) this.#pingSentAt = null;
    };
    this.#send('ping', {}, this.#heartbeatTimeout()).then(done, done);
  }

  #heartbeatTimeout(): number {
    return this.options.heartbeatTimeoutMs ?? 2_500;
  }

  /** Something arrived on the open socket: the silence count starts again. */
  #heard(socket: WebSocket): void {
    this.#lastHeard = Date.now();
    if (this.#heartbeat === null) return;
    if (this.#silence) clearTimeout(this.#silence);
    this.#silence = setTimeout(() => this.#checkSilence(socket), this.#heartbeatTimeout());
  }

  #checkSilence(socket: WebSocket): void {
    this.#silence = null;
    if (this.#socket !== socket) return;
    const now = Date.now();
    const timeout = this.#heartbeatTimeout();
    const period = this.options.heartbeatMs ?? 1_000;
    const pingAge = this.#pingSentAt === null ? 0 : now - this.#pingSentAt;
    if (now - this.#lastHeard >= timeout && pingAge >= Math.min(period, timeout) / 2) {
      // Nothing heard, a ping unanswered: the line is gone even if the socket has not noticed.
      this.#detach(socket);
      socket.close(4000, 'heartbeat timed out');
      this.#onLost(new SignalingError('DISCONNECTED', 'the server stopped answering'));
      return;
    }
    if (this.#pingSentAt === null) this.#ping();
    this.#silence = setTimeout(
      () => this.#checkSilence(socket),
      Math.max(50, Math.min(period, timeout) / 2),
    );
  }

  #stopHeartbeat(): void {
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
    if (this.#silence) clearTimeout(this.#silence);
    this.#silence = null;
    this.#pingSentAt = null;
  }

  #send<T extends RequestType>(
    type: T,
    data: RequestData<T>,
    timeoutMs: number,
  ): Promise<RequestResult<T>> {
    const socket = this.#socket;
    if (socket?.readyState !== 1) {
      return Promise.reject(new SignalingError('DISCONNECTED', 'not connected'));
    }
    const id = this.#nextId++;
    return new Promise<RequestResult<T>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new SignalingError('TIMEOUT', `no answer to '${type}' after ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, {
        type,
        resolve: resolve as (v: unknown) => void,
        reject,
        timer,
      });
      socket.send(JSON.stringify({ id, type, data }));
    });
  }

  #waitForOpen(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.#openWaiters.delete(done);
        if (this.#status.status === 'open') resolve();
        else reject(this.#status.error ?? new SignalingError('CLOSED', 'the connection is closed'));
      };
      const timer = setTimeout(() => {
        this.#openWaiters.delete(done);
        reject(new SignalingError('DISCONNECTED', 'not connected: try again in a moment'));
      }, timeoutMs);
      this.#openWaiters.add(done);
    });
  }

  #failPending(error: SignalingError): void {
    for (const [id, p] of this.#pending) {
      clearTimeout(p.timer);
      this.#pending.delete(id);
      p.reject(error);
    }
  }

  #clearTimers(): void {
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#stopHeartbeat();
    this.#clearConnectTimer();
  }
}

function errorFrom(body: ErrorBody): SignalingError {
  return new SignalingError(body.code, body.message, body.details);
}
