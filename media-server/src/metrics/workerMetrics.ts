import { Counter, Gauge, type Registry } from 'prom-client';
import type { WorkerMonitor, WorkerSample } from './WorkerMonitor.ts';

/**
 * The media plane's Prometheus metrics, per mediasoup worker (label `worker`:
 * its slot in the pool, kept across restarts). Every figure is read from the
 * monitor's sample at scrape time (collect callbacks): nothing is counted twice
 * beside the live state. Returns a function that removes them from the registry.
 */
export function registerWorkerMetrics(registry: Registry, monitor: WorkerMonitor): () => void {
  const names: string[] = [];
  const gauge = (
    name: string,
    help: string,
    value: (s: WorkerSample) => number | null,
    labelNames: string[] = ['worker'],
  ) => {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        this.reset();
        for (const s of await monitor.sample()) {
          const v = value(s);
          if (v !== null) this.set({ worker: String(s.index) }, v);
        }
      },
    });
    names.push(name);
  };

  gauge(
    'amphi_media_worker_consumers',
    'Consumers on the worker (classrooms receiving media).',
    (s) => s.consumers,
  );
  gauge('amphi_media_worker_classrooms', 'Classrooms placed on the worker.', (s) => s.classrooms);
  gauge(
    'amphi_media_worker_routers',
    'Routers on the worker (origin and edges).',
    (s) => s.routers,
  );
  gauge('amphi_media_worker_transports', 'Transports open on the worker.', (s) => s.transports);

  const directional = (
    name: string,
    help: string,
    read: (s: WorkerSample) => { in: number | null; out: number | null },
  ) => {
    new Gauge({
      name,
      help,
      labelNames: ['worker', 'direction'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const s of await monitor.sample()) {
          const v = read(s);
          const worker = String(s.index);
          if (v.in !== null) this.set({ worker, direction: 'in' }, v.in);
          if (v.out !== null) this.set({ worker, direction: 'out' }, v.out);
        }
      },
    });
    names.push(name);
  };
  // Prometheus counts in base units: bytes (dashboards show bits per second, x 8).
  directional(
    'amphi_media_worker_throughput_bytes_per_second',
    "What the worker's transports receive (in) and send (out) now, in bytes per second (mediasoup's bitrates / 8).",
    (s) => ({ in: s.bitrateInBps / 8, out: s.bitrateOutBps / 8 }),
  );
  directional(
    'amphi_media_worker_packet_loss_ratio',
    "Packet loss the worker's transports measure (transport-wide feedback), 0 to 1, weighed by traffic; absent with no media.",
    (s) => ({ in: s.lossIn, out: s.lossOut }),
  );

  new Counter({
    name: 'amphi_media_worker_cpu_seconds_total',
    help: 'CPU time (user and system) the worker process used since it started; restarts from 0 with a new process.',
    labelNames: ['worker'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of await monitor.sample()) this.inc({ worker: String(s.index) }, s.cpuSeconds);
    },
  });
  new Counter({
    name: 'amphi_media_worker_restarts_total',
    help: 'Times the worker of this slot died and was started again.',
    labelNames: ['worker'],
    registers: [registry],
    collect() {
      this.reset();
      for (const slot of monitor.pool.workers) {
        this.inc({ worker: String(slot.index) }, monitor.restarts(slot.index));
      }
    },
  });
  new Gauge({
    name: 'amphi_media_workers_running',
    help: 'mediasoup workers running (a slot being restarted is not).',
    registers: [registry],
    collect() {
      this.set(monitor.pool.workers.length);
    },
  });
  names.push(
    'amphi_media_worker_cpu_seconds_total',
    'amphi_media_worker_restarts_total',
    'amphi_media_workers_running',
  );
  return () => {
    for (const name of names) registry.removeSingleMetric(name);
  };
}
