import { readdir, readFile } from 'node:fs/promises';
import { monoMs } from './clock.ts';

/** One reading of the server's processes, taken once a second. */
export interface ServerSample {
  /** Seconds since the run started. */
  t: number;
  /** mediasoup workers together: CPU in % of one core since the last reading, resident memory. */
  mediaCpuPct: number;
  mediaRssMb: number;
  /** The control-api's Node process. */
  apiCpuPct: number;
  apiRssMb: number;
  /** This simulator (its libdatachannel threads included), % of one core. */
  simulatorCpuPct: number;
  /** The whole machine: busy share of all its cores (steal included), %; what else ran beside the test. */
  machineBusyPct: number;
}

const TICKS_PER_SECOND = 100;

interface ProcReading {
  ticks: number;
  rssKb: number;
  name: string;
  ppid: number;
}

/** Busy and total jiffies of all cores (/proc/stat's first line). */
async function machineJiffies(): Promise<{ busy: number; total: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busy: total - idle, total };
}

async function readProc(pid: number): Promise<ProcReading | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The name is in parentheses and may hold spaces: fields count from after it.
    const close = stat.lastIndexOf(')');
    const name = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    const ppid = Number(fields[1]);
    const ticks = Number(fields[11]) + Number(fields[12]);
    const rssPages = Number(fields[21]);
    return { ticks, rssKb: rssPages * 4, name, ppid };
  } catch {
    return null; // gone
  }
}

/** The process and all its descendants, by pid. */
async function tree(root: number): Promise<Map<number, ProcReading>> {
  const all = new Map<number, ProcReading>();
  for (const entry of await readdir('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const r = await readProc(pid);
    if (r) all.set(pid, r);
  }
  const out = new Map<number, ProcReading>();
  const keep = (pid: number) => {
    const r = all.get(pid);
    if (!r || out.has(pid)) return;
    out.set(pid, r);
    for (const [child, c] of all) if (c.ppid === pid) keep(child);
  };
  keep(root);
  return out;
}

/**
 * Samples the server's processes through /proc once a second: the
 * control-api's Node process and its mediasoup workers (CPU and memory over
 * time), and this simulator's own CPU beside them. Local servers only: a remote
 * one is watched through its own metrics.
 */
export class ServerSampler {
  readonly samples: ServerSample[] = [];
  readonly #pid: number;
  readonly #t0: number;
  #last: {
    at: number;
    ticks: Map<number, number>;
    sim: NodeJS.CpuUsage;
    machine: { busy: number; total: number };
  } | null = null;
  #timer: NodeJS.Timeout | null = null;
  #busy = false;

  constructor(serverPid: number, t0: number) {
    this.#pid = serverPid;
    this.#t0 = t0;
  }

  start(): void {
    void this.#sample();
    this.#timer = setInterval(() => void this.#sample(), 1000);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  async #sample(): Promise<void> {
    // On a starved machine a reading can outlast the second: never two at once.
    if (this.#busy) return;
    this.#busy = true;
    try {
      await this.#read();
    } finally {
      this.#busy = false;
    }
  }

  async #read(): Promise<void> {
    // Walking /proc can take seconds on a starved machine: the tree found, its few
    // processes are read again at once and the time taken then (CPU over the wrong
    // interval read 357–578 % of a core on this 2-core machine).
    const procs = new Map<number, ProcReading>();
    for (const pid of (await tree(this.#pid)).keys()) {
      const r = await readProc(pid);
      if (r) procs.set(pid, r);
    }
    const at = monoMs();
    const sim = process.cpuUsage();
    const machine = await machineJiffies();
    const ticks = new Map<number, number>();
    for (const [pid, r] of procs) ticks.set(pid, r.ticks);
    const last = this.#last;
    this.#last = { at, ticks, sim, machine };
    if (!last) return;
    const seconds = (at - last.at) / 1000;
    const pct = (pid: number) =>
      (((ticks.get(pid) ?? 0) - (last.ticks.get(pid) ?? ticks.get(pid) ?? 0)) /
        TICKS_PER_SECOND /
        seconds) *
      100;
    let mediaCpuPct = 0;
    let mediaRssKb = 0;
    for (const [pid, r] of procs) {
      if (!r.name.startsWith('mediasoup-work')) continue;
      mediaCpuPct += pct(pid);
      mediaRssKb += r.rssKb;
    }
    const api = procs.get(this.#pid);
    const simUs = sim.user + sim.system - (last.sim.user + last.sim.system);
    this.samples.push({
      t: Math.round((at - this.#t0) / 100) / 10,
      mediaCpuPct,
      mediaRssMb: mediaRssKb / 1024,
      apiCpuPct: pct(this.#pid),
      apiRssMb: (api?.rssKb ?? 0) / 1024,
      simulatorCpuPct: (simUs / 1e6 / seconds) * 100,
      machineBusyPct:
        ((machine.busy - last.machine.busy) / Math.max(1, machine.total - last.machine.total)) *
        100,
    });
  }
}
