import { EventEmitter } from 'node:events';
import type { types } from 'mediasoup';
import * as mediasoup from 'mediasoup';
import type { Logger } from 'pino';
import { workerCrypto } from './workerCrypto.ts';

export type WorkerPoolOptions = {
  /** Number of workers: one per core is the intended setup. */
  size: number;
  listenIp: string;
  announcedAddress?: string;
  /** Worker i's WebRtcServer listens on portBase + i (UDP and TCP); random ports when unset. */
  rtcPortBase?: number;
  logLevel?: types.WorkerLogLevel;
  /** Socket buffers for the WebRtcServer's sockets; the kernel default when unset. */
  socketBufferSize?: number;
  /** io_uring sending (mediasoup's default is on where the kernel supports it). */
  disableLiburing?: boolean;
  /** libwebrtc field trials for the workers' bandwidth estimation; mediasoup's own when unset. */
  libwebrtcFieldTrials?: string;
  logger: Logger;
  /** First restart delay after a worker dies; doubles on each crash in a row. */
  restartDelayMs?: number;
};

/** One slot of the pool: a worker and its WebRtcServer, replaced when the worker dies. */
export type PoolWorker = {
  readonly index: number;
  readonly worker: types.Worker;
  readonly webRtcServer: types.WebRtcServer;
  /** Classrooms placed on this worker, by every broadcast: what placement balances. */
  classrooms: number;
  /** Consumers on this worker, kept by the sessions placed on it. */
  consumers: number;
};

export type WorkerStats = {
  index: number;
  pid: number;
  classrooms: number;
  consumers: number;
  routers: number;
  /** Share of one core used since the previous stats() call (or since start). */
  cpuPct: number;
};

export type WorkerLoss = { index: number; pid: number; routerIds: string[] };

export type WorkerPoolEvents = {
  /** A worker died; the routers it held are gone. Its slot is restarted. */
  workerdied: [WorkerLoss];
  /** A dead worker's slot runs again, on a new process. */
  workerrestarted: [PoolWorker];
  close: [];
};

const MAX_RESTART_DELAY_MS = 10_000;
/** A worker that ran this long without dying resets the back-off. */
const HEALTHY_AFTER_MS = 60_000;

/**
 * One mediasoup worker per core, each with a WebRtcServer (one UDP + one TCP
 * port per worker: firewall-friendly, no port ranges). A worker that dies is
 * replaced with back-off, and the pool says which routers were lost so the
 * broadcasts that used them can rebuild.
 */
export class WorkerPool extends EventEmitter<WorkerPoolEvents> {
  readonly #options: WorkerPoolOptions;
  readonly #slots: (PoolWorker | undefined)[];
  readonly #restartDelay: number[];
  readonly #restartTimers = new Set<NodeJS.Timeout>();
  /** Last CPU sample per worker pid, for stats() deltas. */
  readonly #cpuSamples = new Map<number, { cpuMs: number; at: number }>();
  #closed = false;

  static async create(options: WorkerPoolOptions): Promise<WorkerPool> {
    options.logger.info(workerCrypto(), 'mediasoup worker binary');
    const pool = new WorkerPool(options);
    try {
      await Promise.all(pool.#slots.map((_, index) => pool.#start(index)));
    } catch (error) {
      pool.close();
      throw error;
    }
    return pool;
  }

  private constructor(options: WorkerPoolOptions) {
    super();
    this.#options = options;
    this.#slots = new Array(options.size).fill(undefined);
    this.#restartDelay = new Array(options.size).fill(options.restartDelayMs ?? 500);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Workers currently running. A slot being restarted is absent, and so is a
   * dying worker: mediasoup marks it closed before it closes its routers, so
   * whoever reacts to a router's close never picks the worker that took it.
   */
  get workers(): PoolWorker[] {
    return this.#slots.filter((w): w is PoolWorker => w !== undefined && !w.worker.closed);
  }

  /** The running worker with the fewest classrooms placed on it. */
  leastLoaded(): PoolWorker {
    const best = this.#leastLoaded();
    if (!best) throw new Error('no mediasoup worker is running');
    return best;
  }

  /**
   * The least-loaded running worker, not one of `exclude` (found failing); when
   * none runs (every slot restarting), the first to come back, within `timeoutMs`.
   */
  available(timeoutMs: number, exclude: ReadonlySet<PoolWorker> = new Set()): Promise<PoolWorker> {
    if (this.#closed) return Promise.reject(new Error('worker pool closed'));
    const now = this.#leastLoaded(exclude);
    if (now) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.off('workerrestarted', onRestarted);
        this.off('close', onClose);
      };
      const onRestarted = () => {
        const w = this.#leastLoaded(exclude);
        if (!w) return;
        done();
        resolve(w);
      };
      const onClose = () => {
        done();
        reject(new Error('worker pool closed'));
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no mediasoup worker running after ${timeoutMs} ms`));
      }, timeoutMs);
      this.on('workerrestarted', onRestarted);
      this.once('close', onClose);
    });
  }

  #leastLoaded(exclude?: ReadonlySet<PoolWorker>): PoolWorker | undefined {
    let best: PoolWorker | undefined;
    for (const w of this.workers) {
      if (exclude?.has(w)) continue;
      if (!best || w.classrooms < best.classrooms) best = w;
    }
    return best;
  }

  worker(index: number): PoolWorker | undefined {
    return this.#slots[index];
  }

  /** Load per worker: what placement balances, what the metrics export. */
  async stats(): Promise<WorkerStats[]> {
    return Promise.all(
      this.workers.map(async (w) => {
        const [usage, dump] = await Promise.all([w.worker.getResourceUsage(), w.worker.dump()]);
        const cpuMs = usage.ru_utime + usage.ru_stime;
        const now = performance.now();
        const last = this.#cpuSamples.get(w.worker.pid) ?? { cpuMs: 0, at: now - 1 };
        this.#cpuSamples.set(w.worker.pid, { cpuMs, at: now });
        return {
          index: w.index,
          pid: w.worker.pid,
          classrooms: w.classrooms,
          consumers: w.consumers,
          routers: dump.routerIds.length,
          cpuPct: (100 * (cpuMs - last.cpuMs)) / Math.max(1, now - last.at),
        };
      }),
    );
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#restartTimers) clearTimeout(t);
    for (const w of this.workers) w.worker.close();
    this.#slots.fill(undefined);
    this.emit('close');
  }

  async #start(index: number): Promise<PoolWorker> {
    const o = this.#options;
    const worker = await mediasoup.createWorker({
      logLevel: o.logLevel ?? 'warn',
      disableLiburing: o.disableLiburing ?? false,
      ...(o.libwebrtcFieldTrials ? { libwebrtcFieldTrials: o.libwebrtcFieldTrials } : {}),
      appData: { index },
    });
    const port = o.rtcPortBase === undefined ? undefined : o.rtcPortBase + index;
    const buffers =
      o.socketBufferSize === undefined
        ? {}
        : { sendBufferSize: o.socketBufferSize, recvBufferSize: o.socketBufferSize };
    let webRtcServer: types.WebRtcServer;
    try {
      webRtcServer = await worker.createWebRtcServer({
        listenInfos: (['udp', 'tcp'] as const).map((protocol) => ({
          protocol,
          ip: o.listenIp,
          ...(o.announcedAddress ? { announcedAddress: o.announcedAddress } : {}),
          ...(port === undefined ? {} : { port }),
          ...buffers,
        })),
      });
    } catch (error) {
      worker.close();
      throw error;
    }
    const slot: PoolWorker = { index, worker, webRtcServer, classrooms: 0, consumers: 0 };
    this.#slots[index] = slot;
    const startedAt = Date.now();
    const routerIds = new Set<string>();
    worker.observer.on('newrouter', (router) => {
      routerIds.add(router.id);
      // A dying worker closes its routers before it emits 'died': keep those.
      router.observer.once('close', () => worker.closed || routerIds.delete(router.id));
    });
    worker.once('died', (error) => {
      if (this.#closed) return;
      this.#slots[index] = undefined;
      o.logger.error({ workerIndex: index, pid: worker.pid, err: error }, 'mediasoup worker died');
      if (Date.now() - startedAt > HEALTHY_AFTER_MS) {
        this.#restartDelay[index] = o.restartDelayMs ?? 500;
      }
      this.emit('workerdied', { index, pid: worker.pid, routerIds: [...routerIds] });
      this.#scheduleRestart(index);
    });
    o.logger.info({ workerIndex: index, pid: worker.pid, port }, 'mediasoup worker started');
    return slot;
  }

  #scheduleRestart(index: number): void {
    const delay = this.#restartDelay[index] ?? 500;
    this.#restartDelay[index] = Math.min(delay * 2, MAX_RESTART_DELAY_MS);
    const timer = setTimeout(async () => {
      this.#restartTimers.delete(timer);
      if (this.#closed) return;
      try {
        const slot = await this.#start(index);
        if (this.#closed) {
          slot.worker.close();
          return;
        }
        this.emit('workerrestarted', slot);
      } catch (error) {
        this.#options.logger.error({ workerIndex: index, err: error }, 'worker restart failed');
        this.#scheduleRestart(index);
      }
    }, delay);
    this.#restartTimers.add(timer);
  }
}
