import type { types } from 'mediasoup';
import type { PoolWorker, WorkerPool } from '../WorkerPool.ts';

export type WorkerMonitorOptions = {
  /**
   * A sample younger than this is reused: a scrape reads a dozen figures and
   * the live board polls too, and each sample asks every transport for its
   * stats (one round trip to the worker each).
   */
  maxAgeMs?: number;
};

/** What the monitor knows of one running worker. */
type Watched = {
  slot: PoolWorker;
  routers: Set<types.Router>;
  transports: Set<types.Transport>;
  /** CPU time (ms) at the previous sample, for the share of a core since then. */
  lastCpu: { ms: number; at: number };
  stop: () => void;
};

/** One worker's figures at a sample (the live board's WorkerLoad is this, less cpuSeconds and transports). */
export type WorkerSample = {
  /** Its slot in the pool (kept across restarts). */
  index: number;
  pid: number;
  classrooms: number;
  consumers: number;
  routers: number;
  transports: number;
  /** Share of one core since the previous sample. */
  cpuPercent: number;
  /** CPU time since its process started (what `amphi_media_worker_cpu_seconds_total` counts). */
  cpuSeconds: number;
  /** What its transports receive and send, bits per second. */
  bitrateInBps: number;
  bitrateOutBps: number;
  /** Packet loss its transports measure, 0–1, weighed by traffic; null with no figure. */
  lossIn: number | null;
  lossOut: number | null;
  restarts: number;
};

/**
 * Watches a WorkerPool's workers the way mediasoup means monitoring to: through
 * the `observer` emitters (routers and transports as they open and close), never
 * touching what the broadcasts own. `sample()` reads each worker's figures at
 * once: CPU (getResourceUsage), bitrate in and out and packet loss (the
 * transports' stats), consumers and classrooms (what placement balances), and
 * restarts (the pool's `workerrestarted`). The Prometheus gauges and the
 * operators' live board both read these samples.
 *
 * Attach it before the pool's first router: routers opened earlier are not seen.
 */
export class WorkerMonitor {
  readonly pool: WorkerPool;
  readonly #maxAgeMs: number;
  readonly #watched = new Map<types.Worker, Watched>();
  /** Restarts per slot index, from the pool's events. */
  readonly #restarts = new Map<number, number>();
  #last: { at: number; samples: Promise<WorkerSample[]> } | undefined;
  readonly #onRestarted: (slot: PoolWorker) => void;
  #closed = false;

  constructor(pool: WorkerPool, options: WorkerMonitorOptions = {}) {
    this.pool = pool;
    this.#maxAgeMs = options.maxAgeMs ?? 1_000;
    for (const slot of pool.workers) this.#watch(slot);
    this.#onRestarted = (slot) => {
      this.#restarts.set(slot.index, (this.#restarts.get(slot.index) ?? 0) + 1);
      this.#watch(slot);
    };
    pool.on('workerrestarted', this.#onRestarted);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Times the worker of each slot was started again after dying. */
  restarts(index: number): number {
    return this.#restarts.get(index) ?? 0;
  }

  /** Every running worker's figures, read now or at most `maxAgeMs` ago. */
  sample(): Promise<WorkerSample[]> {
    const now = performance.now();
    if (this.#last && now - this.#last.at < this.#maxAgeMs) return this.#last.samples;
    const samples = this.#sampleNow();
    this.#last = { at: now, samples };
    return samples;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.pool.off('workerrestarted', this.#onRestarted);
    for (const w of this.#watched.values()) w.stop();
    this.#watched.clear();
  }

  async #sampleNow(): Promise<WorkerSample[]> {
    const running = this.pool.workers
      .map((slot) => this.#watched.get(slot.worker))
      .filter((w): w is Watched => w !== undefined);
    const samples = await Promise.all(running.map((w) => this.#sampleOne(w)));
    return samples.filter((s): s is WorkerSample => s !== null);
  }

  async #sampleOne(w: Watched): Promise<WorkerSample | null> {
    const { worker } = w.slot;
    let usage: types.WorkerResourceUsage;
    try {
      usage = await worker.getResourceUsage();
    } catch {
      return null; // died meanwhile: its slot is restarting
    }
    const stats = await Promise.all(
      [...w.transports].map((t) =>
        t.closed ? [] : t.getStats().catch((): types.BaseTransportStats[] => []),
      ),
    );
    let bitrateIn = 0;
    let bitrateOut = 0;
    const lossIn = new WeightedMean();
    const lossOut = new WeightedMean();
    for (const s of stats.flat()) {
      bitrateIn += s.recvBitrate;
      bitrateOut += s.sendBitrate;
      lossIn.add(s.rtpPacketLossReceived, s.rtpRecvBitrate);
      lossOut.add(s.rtpPacketLossSent, s.rtpSendBitrate);
    }
    const cpuMs = usage.ru_utime + usage.ru_stime;
    const now = performance.now();
    const elapsed = Math.max(1, now - w.lastCpu.at);
    const cpuPercent = Math.max(0, (100 * (cpuMs - w.lastCpu.ms)) / elapsed);
    w.lastCpu = { ms: cpuMs, at: now };
    return {
      index: w.slot.index,
      pid: worker.pid,
      classrooms: Math.max(0, w.slot.classrooms),
      consumers: Math.max(0, w.slot.consumers),
      routers: w.routers.size,
      transports: w.transports.size,
      cpuPercent,
      cpuSeconds: cpuMs / 1000,
      bitrateInBps: bitrateIn,
      bitrateOutBps: bitrateOut,
      lossIn: lossIn.value(),
      lossOut: lossOut.value(),
      restarts: this.restarts(w.slot.index),
    };
  }

  #watch(slot: PoolWorker): void {
    const { worker } = slot;
    if (this.#closed || this.#watched.has(worker) || worker.closed) return;
    const routers = new Set<types.Router>();
    const transports = new Set<types.Transport>();
    const onTransport = (transport: types.Transport) => {
      transports.add(transport);
      transport.observer.once('close', () => transports.delete(transport));
    };
    const onRouter = (router: types.Router) => {
      routers.add(router);
      router.observer.on('newtransport', onTransport);
      router.observer.once('close', () => {
        routers.delete(router);
        router.observer.off('newtransport', onTransport);
      });
    };
    const onClose = () => {
      worker.observer.off('newrouter', onRouter);
      this.#watched.delete(worker);
    };
    worker.observer.on('newrouter', onRouter);
    worker.observer.once('close', onClose);
    this.#watched.set(worker, {
      slot,
      routers,
      transports,
      // The first sample's share of a core is over the time since it was watched.
      lastCpu: { ms: 0, at: performance.now() - 1 },
      stop: () => {
        worker.observer.off('newrouter', onRouter);
        worker.observer.off('close', onClose);
        for (const r of routers) r.observer.off('newtransport', onTransport);
      },
    });
  }
}

/**
 * Loss weighed by the traffic it was measured on: an idle transport's last
 * figure should not count as much as the speaker's stream.
 */
class WeightedMean {
  #sum = 0;
  #weight = 0;
  #plain = 0;
  #n = 0;

  add(value: number | undefined, weight: number): void {
    if (value === undefined || !Number.isFinite(value)) return;
    const v = Math.min(1, Math.max(0, value));
    this.#sum += v * weight;
    this.#weight += weight;
    this.#plain += v;
    this.#n += 1;
  }

  /** The weighted mean; the plain mean when nothing flowed; null with no figure at all. */
  value(): number | null {
    if (this.#n === 0) return null;
    return this.#weight > 0 ? this.#sum / this.#weight : this.#plain / this.#n;
  }
}
