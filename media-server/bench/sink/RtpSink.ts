// Owns an rtp-sink process (see rtp-sink.c): a single-threaded C program that
// counts RTP/RTCP datagrams per (source port, SSRC) on a range of UDP ports of
// 127.0.0.1. Used by the fan-out benchmark as the receiving end of the
// consumers' PlainTransports; it only reads the clear RTP header, so SRTP needs
// no decryption. A classroom it is told to answer() gets what a browser sends
// back (transport-wide feedback, receiver reports; see browser-peer.c), over
// SRTCP with libsrtp.
import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ensureDebianPackages } from '../../../scripts/debian-packages.mjs';

const execFileAsync = promisify(execFile);

/** One RTP stream, keyed by (srcPort, ssrc). Counters are since the last reset. */
export interface SinkStream {
  /** UDP source port of the sender (e.g. the mediasoup PlainTransport's local port). */
  srcPort: number;
  /** Sink port the stream was last received on. */
  dstPort: number;
  ssrc: number;
  /** Payload type of the last packet. */
  pt: number;
  /** Datagrams received, duplicates included (RFC 3550 semantics). */
  received: number;
  /** highestSeq - firstSeq + 1 (extended sequence numbers, summed over source restarts). */
  expected: number;
  /** expected - received; negative when duplicates outnumber losses. */
  lost: number;
  /** Number of times a packet arrived with seq > highest + 1. */
  gaps: number;
  /** Duplicates, late (reordered) packets and unexplained sequence jumps. */
  outOfOrder: number;
  /** Datagram bytes (whole UDP payload, SRTP tag included). */
  bytes: number;
  /** First sequence number (since the last source restart). */
  firstSeq: number;
  /** Highest extended sequence number (cycles * 65536 + seq). */
  highestSeq: number;
}

/** What the sink sent back as browsers, counters since the last reset. */
export interface SinkAnswering {
  /** Classrooms answered (not reset). */
  peers: number;
  /** Transport-wide feedback packets (RTPFB FMT 15) sent. */
  feedback: number;
  /** Packet statuses they carried. */
  feedbackStatuses: number;
  /** Of which reported not received. */
  feedbackLost: number;
  receiverReports: number;
  /** SFU sender reports decrypted (for LSR/DLSR). */
  senderReports: number;
  srtcpErrors: number;
  sendErrors: number;
  /** Summed lateness of feedback against each classroom's schedule, microseconds. */
  feedbackLateUs: number;
}

/** A classroom to answer as a browser would: its SFU transport and its streams. */
export interface BrowserPeer {
  /** Sink port the transport sends to (the peer's RTCP leaves from it). */
  dstPort: number;
  /** Port the transport sends from. */
  srcPort: number;
  /** Header extension id of transport-wide-cc-01 in the consumers' RTP parameters. */
  twccExtId: number;
  suite: string;
  /** Master key + salt the peer protects its RTCP with (the transport's remote SRTP key). */
  txKeyBase64: string;
  /** Master key + salt the transport protects with (to read its sender reports). */
  rxKeyBase64: string;
  media: { ssrc: number; clockRate: number }[];
}

export interface SinkStats {
  streams: SinkStream[];
  answering: SinkAnswering;
  /** RTCP datagrams (rtcp-mux), not tracked per stream. */
  rtcp: number;
  /** All datagrams read: RTP + RTCP + invalid + untracked. */
  totalPackets: number;
  /** Datagrams shorter than 12 bytes or not RTP version 2. */
  invalid: number;
  /** RTP datagrams of new streams dropped because the stream table was full. */
  untracked: number;
  /** Datagrams the kernel dropped because a sink socket's receive buffer was full. */
  kernelDrops: number;
  /** Sink process CPU time (getrusage), cumulative since start. */
  cpuUserUs: number;
  cpuSysUs: number;
  /** Monotonic wall time since the sink started. */
  wallUs: number;
}

export interface RtpSinkOptions {
  firstPort: number;
  sockets: number;
  /** Pin the sink to this CPU core (taskset -c). */
  cpu?: number;
  /** Cache directory for the compiled binary; default: <os tmpdir>/amphi-rtp-sink. */
  binDir?: string;
  /** Upper bound of the adaptive read-coalescing nap, microseconds (0 disables); default 50000. */
  maxCoalesceUs?: number;
  /** How long to wait for "ready"; default 10000 ms. */
  readyTimeoutMs?: number;
}

const SOURCES = ['rtp-sink.c', 'browser-peer.c', 'browser-peer.h'].map((f) =>
  fileURLToPath(new URL(`./${f}`, import.meta.url)),
);
const STDERR_KEEP = 8192;

/** Compiles rtp-sink.c into <binDir>/<sha1 of the sources>/rtp-sink unless already there. */
export async function buildRtpSink(binDir = join(tmpdir(), 'amphi-rtp-sink')): Promise<string> {
  const hash = createHash('sha1');
  for (const f of SOURCES) hash.update(await readFile(f));
  const digest = hash.digest('hex');
  const dir = join(binDir, digest);
  const bin = join(dir, 'rtp-sink');
  try {
    await access(bin);
    return bin;
  } catch {
    // not built yet
  }
  await mkdir(dir, { recursive: true });
  const tmp = `${bin}.${process.pid}.${Date.now()}.tmp`;
  try {
    // libsrtp protects what the sink sends back as a browser; its speed hardly matters (RTCP only).
    ensureDebianPackages(['libsrtp2-dev']);
    const cFiles = SOURCES.filter((f) => f.endsWith('.c'));
    await execFileAsync('gcc', ['-O2', '-Wall', '-Wextra', '-o', tmp, ...cFiles, '-lsrtp2']);
    await rename(tmp, bin); // atomic: concurrent builders never see a partial binary
  } catch (err) {
    await rm(tmp, { force: true });
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`compiling rtp-sink.c failed: ${(err as Error).message}\n${stderr}`);
  }
  return bin;
}

type Waiter = { resolve: (line: string) => void; reject: (err: Error) => void };

export class RtpSink {
  readonly ports: number[];
  private readonly proc: ChildProcessWithoutNullStreams;
  private stderrTail = '';
  private stdoutChunks: string[] = [];
  private waiter: Waiter | undefined;
  private queue: Promise<void> = Promise.resolve();
  private exited = false;
  private exitInfo = '';
  private readonly exitPromise: Promise<void>;
  private closing: Promise<void> | undefined;

  private constructor(proc: ChildProcessWithoutNullStreams, ports: number[]) {
    this.proc = proc;
    this.ports = ports;
    proc.stdout.setEncoding('utf8');
    proc.stderr.setEncoding('utf8');
    proc.stdout.on('data', (chunk: string) => this.onStdout(chunk));
    proc.stderr.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_KEEP);
    });
    proc.stdin.on('error', () => {
      // EPIPE when the sink already exited; reported through the exit path.
    });
    this.exitPromise = new Promise((resolve) => {
      proc.on('error', (err) => {
        this.onExit(`failed to run: ${err.message}`);
        resolve();
      });
      proc.on('close', (code, signal) => {
        this.onExit(signal ? `killed by ${signal}` : `exited with code ${code}`);
        resolve();
      });
    });
  }

  /** Builds (if needed) and starts the sink; resolves once every socket is bound. */
  static async start(opts: RtpSinkOptions): Promise<RtpSink> {
    const { firstPort, sockets } = opts;
    if (!Number.isInteger(firstPort) || !Number.isInteger(sockets) || sockets < 1) {
      throw new Error(`invalid sink port range: firstPort=${firstPort} sockets=${sockets}`);
    }
    const bin = await buildRtpSink(opts.binDir);
    const args = [String(firstPort), String(sockets)];
    if (opts.maxCoalesceUs !== undefined) args.push(String(opts.maxCoalesceUs));
    const proc =
      opts.cpu === undefined
        ? spawn(bin, args, { stdio: 'pipe' })
        : spawn('taskset', ['-c', String(opts.cpu), bin, ...args], { stdio: 'pipe' });
    const ports = Array.from({ length: sockets }, (_, i) => firstPort + i);
    const sink = new RtpSink(proc, ports);
    const timeoutMs = opts.readyTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      const line = await Promise.race([
        sink.nextLine(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`rtp-sink not ready after ${timeoutMs} ms`)),
            timeoutMs,
          );
        }),
      ]);
      if (line !== 'ready')
        throw new Error(`rtp-sink: unexpected first line ${JSON.stringify(line)}`);
    } catch (err) {
      await sink.kill();
      const stderr = sink.stderrTail.trim();
      throw new Error(`${(err as Error).message}${stderr ? `\nstderr: ${stderr}` : ''}`);
    } finally {
      clearTimeout(timer);
    }
    return sink;
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  /** Drains every socket, then returns the counters since the last reset. */
  async stats(): Promise<SinkStats> {
    const line = await this.command('stats');
    return JSON.parse(line) as SinkStats;
  }

  /** Forgets all streams and zeroes the packet counters (CPU and wall time are not reset). */
  async reset(): Promise<void> {
    const line = await this.command('reset');
    if (line !== 'ok') throw new Error(`rtp-sink: unexpected reply to reset: ${line}`);
  }

  /**
   * From now on, answers this classroom as a browser does: transport-wide
   * feedback and receiver reports, over SRTCP, at the configured cadence.
   */
  async answer(peer: BrowserPeer): Promise<void> {
    const hex = (b64: string) => Buffer.from(b64, 'base64').toString('hex');
    const media = peer.media.map((m) => `${m.ssrc}:${m.clockRate}`).join(',');
    const line = await this.command(
      `add ${peer.dstPort} ${peer.srcPort} ${peer.twccExtId} ${peer.suite} ${hex(peer.txKeyBase64)} ${hex(peer.rxKeyBase64)} ${media}`,
    );
    if (line !== 'ok') throw new Error(`rtp-sink: unexpected reply to add: ${line}`);
  }

  /** How often each answered classroom sends transport-wide feedback and receiver reports. */
  async setFeedbackIntervals(twccMs: number, rrMs: number): Promise<void> {
    const line = await this.command(`feedback ${Math.round(twccMs)} ${Math.round(rrMs)}`);
    if (line !== 'ok') throw new Error(`rtp-sink: unexpected reply to feedback: ${line}`);
  }

  /** Lets queued commands finish, asks the sink to quit, kills it after timeoutMs. Idempotent. */
  close(timeoutMs = 2000): Promise<void> {
    this.closing ??= (async () => {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      try {
        if ((await Promise.race([this.queue, deadline])) !== 'timeout' && !this.exited) {
          this.proc.stdin.end('quit\n');
          if ((await Promise.race([this.exitPromise, deadline])) !== 'timeout') return;
        }
        await this.kill();
      } finally {
        clearTimeout(timer);
      }
    })();
    return this.closing;
  }

  private async kill(): Promise<void> {
    if (!this.exited) this.proc.kill('SIGKILL');
    await this.exitPromise;
  }

  /** Serialized: one command outstanding at a time, replies matched in order. */
  private command(cmd: string): Promise<string> {
    const run = async (): Promise<string> => {
      if (this.exited) throw this.exitError();
      const reply = this.nextLine();
      this.proc.stdin.write(`${cmd}\n`);
      const line = await reply;
      if (line.startsWith('error')) throw new Error(`rtp-sink: ${cmd}: ${line}`);
      return line;
    };
    if (this.closing) return Promise.reject(new Error(`rtp-sink: ${cmd} after close()`));
    const result = this.queue.then(run, run);
    this.queue = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  private nextLine(): Promise<string> {
    if (this.exited) return Promise.reject(this.exitError());
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  private onStdout(chunk: string): void {
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl !== -1; nl = chunk.indexOf('\n', start)) {
      this.stdoutChunks.push(chunk.slice(start, nl));
      const line = this.stdoutChunks.join('');
      this.stdoutChunks = [];
      start = nl + 1;
      const waiter = this.waiter;
      this.waiter = undefined;
      waiter?.resolve(line);
    }
    if (start < chunk.length) this.stdoutChunks.push(chunk.slice(start));
  }

  private onExit(info: string): void {
    if (this.exited) return;
    this.exited = true;
    this.exitInfo = info;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(this.exitError());
  }

  private exitError(): Error {
    const stderr = this.stderrTail.trim();
    return new Error(`rtp-sink ${this.exitInfo}${stderr ? `\nstderr: ${stderr}` : ''}`);
  }
}
