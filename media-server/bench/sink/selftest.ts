// Throughput self-check for rtp-sink, run by hand:
//
//   node --import tsx media-server/bench/sink/selftest.ts [--rate 300000] [--seconds 5]
//     [--senders 4] [--sources 8] [--ssrcs 2] [--sink-sockets 8] [--first-port 20000]
//     [--sink-cpu 1] [--sender-cpus 0]
//
// Starts the sink (pinned to --sink-cpu), forks --senders Node processes (pinned
// to --sender-cpus, a taskset list) that each open --sources UDP sockets and send
// RTP for --ssrcs SSRCs per socket at a combined --rate packets/s, then checks
// that the sink counted every packet sent, per stream, with no loss, and prints
// the sink's CPU use per second. Exits 1 when a count does not match.
// Defaults: sink on cpu 1, senders on cpus 2..n-1 (or 0 on a 2-core machine).
// On a small, busy machine, run the script itself under `taskset -c <sink cpu>`
// so that this parent process is not starved by the senders.
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { RtpSink, type SinkStats } from './RtpSink.ts';

interface SenderConfig {
  index: number;
  rate: number;
  seconds: number;
  sources: number;
  ssrcs: number;
  sinkPorts: number[];
}

interface SenderReport {
  streams: { srcPort: number; ssrc: number; sent: number }[];
  sent: number;
  errors: number;
  elapsedMs: number;
}

const PACKET_BYTES = 12 + 160;

async function runSender(cfg: SenderConfig): Promise<void> {
  const sockets: dgram.Socket[] = [];
  for (let i = 0; i < cfg.sources; i++) {
    const s = dgram.createSocket({ type: 'udp4', sendBufferSize: 4 * 1024 * 1024 });
    s.bind(0, '127.0.0.1');
    await once(s, 'listening');
    const port = cfg.sinkPorts[(cfg.index * cfg.sources + i) % cfg.sinkPorts.length] as number;
    s.connect(port, '127.0.0.1');
    await once(s, 'connect');
    sockets.push(s);
  }
  let errors = 0;
  const onError = (err: Error | null) => {
    if (err) errors++;
  };
  for (const s of sockets) s.on('error', () => errors++);
  const streams = sockets.flatMap((socket, i) =>
    Array.from({ length: cfg.ssrcs }, (_, j) => ({
      socket,
      ssrc: (((cfg.index + 1) << 24) | (i << 8) | j) >>> 0,
      seq: (i * 7919 + j * 104729) & 0xffff, // start anywhere: exercises wrap-around
      sent: 0,
    })),
  );
  const template = Buffer.alloc(PACKET_BYTES, 0x5a);
  template[0] = 0x80;
  template[1] = 111;

  const start = performance.now();
  const endAt = start + cfg.seconds * 1000;
  let sent = 0;
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      const due = Math.min(now, endAt) - start;
      const target = Math.floor((cfg.rate * due) / 1000);
      let burst = Math.min(target - sent, 4096);
      while (burst-- > 0) {
        const st = streams[next] as (typeof streams)[number];
        next = next + 1 === streams.length ? 0 : next + 1;
        const b = Buffer.allocUnsafe(PACKET_BYTES);
        template.copy(b);
        b.writeUInt16BE(st.seq, 2);
        b.writeUInt32BE(st.ssrc, 8);
        st.seq = (st.seq + 1) & 0xffff;
        st.sent++;
        sent++;
        if ((sent & 1023) === 0) st.socket.send(b, onError);
        else st.socket.send(b);
      }
      if (now >= endAt && sent >= target) resolve();
      else setImmediate(tick);
    };
    tick();
  });
  const elapsedMs = performance.now() - start;
  // Wait until libuv has flushed every queued send.
  await Promise.all(
    sockets.map(
      (s) =>
        new Promise<void>((resolve) => {
          const poll = () => (s.getSendQueueCount() === 0 ? resolve() : setTimeout(poll, 5));
          poll();
        }),
    ),
  );
  const report: SenderReport = {
    streams: streams.map((st) => ({
      srcPort: st.socket.address().port,
      ssrc: st.ssrc,
      sent: st.sent,
    })),
    sent,
    errors,
    elapsedMs,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
  for (const s of sockets) s.close();
}

function spawnSender(cfg: SenderConfig, cpus: string | undefined): Promise<SenderReport> {
  const argv = [
    ...process.execArgv,
    fileURLToPath(import.meta.url),
    '--sender',
    JSON.stringify(cfg),
  ];
  const child = cpus
    ? spawn('taskset', ['-c', cpus, process.execPath, ...argv], {
        stdio: ['ignore', 'pipe', 'inherit'],
      })
    : spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (c: string) => {
    out += c;
  });
  return new Promise((resolve, reject) => {
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`sender ${cfg.index} exited with ${code}`));
      else resolve(JSON.parse(out) as SenderReport);
    });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sender: { type: 'string' },
      rate: { type: 'string', default: '300000' },
      seconds: { type: 'string', default: '5' },
      senders: { type: 'string', default: '4' },
      sources: { type: 'string', default: '8' },
      ssrcs: { type: 'string', default: '2' },
      'sink-sockets': { type: 'string', default: '8' },
      'first-port': { type: 'string', default: '20000' },
      'sink-cpu': { type: 'string' },
      'sender-cpus': { type: 'string' },
    },
  });
  if (values.sender) return runSender(JSON.parse(values.sender) as SenderConfig);

  const cores = availableParallelism();
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  const senders = Number(values.senders);
  const sinkCpu = values['sink-cpu'] !== undefined ? Number(values['sink-cpu']) : 1 % cores;
  const senderCpus =
    values['sender-cpus'] ??
    (cores > 2 ? `2-${cores - 1}` : cores === 2 ? String(1 - sinkCpu) : undefined);

  const sink = await RtpSink.start({
    firstPort: Number(values['first-port']),
    sockets: Number(values['sink-sockets']),
    cpu: sinkCpu,
  });
  try {
    const streams = senders * Number(values.sources) * Number(values.ssrcs);
    console.log(
      `sink pid ${sink.pid} on cpu ${sinkCpu}, ${sink.ports.length} sockets; ` +
        `${senders} senders on cpus ${senderCpus ?? 'any'}, ${streams} streams, ` +
        `target ${rate} pkt/s for ${seconds} s`,
    );
    await sink.reset();
    const reports = Promise.all(
      Array.from({ length: senders }, (_, index) =>
        spawnSender(
          {
            index,
            rate: rate / senders,
            seconds,
            sources: Number(values.sources),
            ssrcs: Number(values.ssrcs),
            sinkPorts: sink.ports,
          },
          senderCpus,
        ),
      ),
    );
    let done = false;
    void reports.finally(() => {
      done = true;
    });
    const cpuUs = (st: SinkStats) => st.cpuUserUs + st.cpuSysUs;
    const first: SinkStats = await sink.stats();
    let prev = first;
    const intervals: { pps: number; cpu: number }[] = [];
    while (!done) {
      await new Promise((r) => setTimeout(r, 1000));
      const asked = performance.now();
      const cur = await sink.stats();
      const replyMs = performance.now() - asked;
      const wall = cur.wallUs - prev.wallUs;
      const pps = ((cur.totalPackets - prev.totalPackets) * 1e6) / wall;
      const cpu = (100 * (cpuUs(cur) - cpuUs(prev))) / wall;
      const usr = (100 * (cur.cpuUserUs - prev.cpuUserUs)) / wall;
      if (pps > 0) intervals.push({ pps, cpu });
      console.log(
        `  t=${(cur.wallUs / 1e6).toFixed(2)} s  rx ${Math.round(pps).toString().padStart(7)} pkt/s  ` +
          `sink cpu ${cpu.toFixed(1)} % (user ${usr.toFixed(1)} %)  stats reply ${replyMs.toFixed(1)} ms`,
      );
      prev = cur;
    }
    const sent = await reports;
    const totalSent = sent.reduce((n, r) => n + r.sent, 0);
    // The sink may still have datagrams queued (it is starved when the machine is
    // busy): poll until it has counted everything or makes no more progress.
    let final = await sink.stats();
    for (let idle = 0; final.totalPackets < totalSent && idle < 5; ) {
      await new Promise((r) => setTimeout(r, 200));
      const next = await sink.stats();
      idle = next.totalPackets === final.totalPackets ? idle + 1 : 0;
      final = next;
    }
    const usPerPacket = (cpuUs(final) - cpuUs(first)) / (final.totalPackets - first.totalPackets);

    const sendErrors = sent.reduce((n, r) => n + r.errors, 0);
    const byKey = new Map(final.streams.map((s) => [`${s.srcPort}/${s.ssrc}`, s]));
    let mismatched = 0;
    for (const r of sent) {
      for (const st of r.streams) {
        const got = byKey.get(`${st.srcPort}/${st.ssrc}`);
        if (!got || got.received !== st.sent || got.lost !== 0 || got.gaps !== 0) mismatched++;
      }
    }
    const steady = intervals.filter((i) => i.pps > 0.8 * rate);
    const avg = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
    const senderPps = sent.reduce((n, r) => n + (r.sent * 1000) / r.elapsedMs, 0);
    console.log(
      `sent ${totalSent} (${Math.round(senderPps)} pkt/s achieved by senders, ${sendErrors} send errors); ` +
        `sink counted ${final.totalPackets}, streams ${final.streams.length}, ` +
        `mismatched streams ${mismatched}, kernel drops ${final.kernelDrops}`,
    );
    console.log(
      `steady state (${steady.length} s at >80 % of target): ` +
        `${Math.round(avg(steady.map((i) => i.pps)))} pkt/s, sink cpu ${avg(steady.map((i) => i.cpu)).toFixed(1)} % ` +
        `(max ${Math.max(0, ...steady.map((i) => i.cpu)).toFixed(1)} %)`,
    );
    const ok =
      final.totalPackets === totalSent &&
      mismatched === 0 &&
      final.kernelDrops === 0 &&
      sendErrors === 0;
    console.log(
      `sink cpu per packet ${usPerPacket.toFixed(3)} us over the whole run ` +
        `(=> ${((usPerPacket * 550_000) / 1e4).toFixed(0)} % of a core at 550k pkt/s)`,
    );
    console.log(ok ? 'OK' : 'FAIL');
    if (!ok) process.exitCode = 1;
  } finally {
    await sink.close();
  }
}

await main();
