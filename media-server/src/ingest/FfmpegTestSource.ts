import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { INGEST_RTP } from './RtpIngest.ts';

const execFileAsync = promisify(execFile);

export type SimulcastLayer = { width: number; height: number; kbps: number };

/** Three simulcast layers, low to high, like a speaker's browser sends. */
export const DEFAULT_LAYERS: SimulcastLayer[] = [
  { width: 320, height: 180, kbps: 150 },
  { width: 640, height: 360, kbps: 400 },
  { width: 1280, height: 720, kbps: 1000 },
];

export type FfmpegTestSourceOptions = {
  ip: string;
  videoPort: number;
  audioPort: number;
  /** How long to send, in seconds; FFmpeg is also killed a little after that. */
  durationSec: number;
  layers?: SimulcastLayer[];
  /** Pin FFmpeg to this CPU (benchmarks keep the source off the measured core). */
  cpu?: number;
};

/**
 * Forwards every datagram it receives to one address, from one socket. An
 * ingest transport learns a single source address from its first packet, but
 * FFmpeg sends each simulcast layer from its own socket, and RTCP from yet
 * another: the relay makes them one source.
 */
class UdpRelay {
  readonly #in = dgram.createSocket('udp4');
  readonly #out = dgram.createSocket('udp4');
  /** RTP packets forwarded, per SSRC: what the source really sent. */
  readonly rtpPackets = new Map<number, number>();
  /** Key-frame requests (PLI, FIR) the server sent back: what a speaker's encoder would get. */
  keyFrameRequests = 0;

  static async open(ip: string, to: number): Promise<UdpRelay> {
    const relay = new UdpRelay();
    await Promise.all(
      [relay.#in, relay.#out].map((s) => new Promise<void>((r) => s.bind(0, ip, r))),
    );
    relay.#in.on('message', (msg) => {
      relay.#out.send(msg, to, ip);
      // RTCP packet types are 192-223 in the second byte; RTP carries its SSRC at offset 8.
      const type = msg[1] ?? 0;
      if (msg.length >= 12 && (type < 192 || type > 223)) {
        const ssrc = msg.readUInt32BE(8);
        relay.rtpPackets.set(ssrc, (relay.rtpPackets.get(ssrc) ?? 0) + 1);
      }
    });
    relay.#out.on('message', (msg) => {
      relay.keyFrameRequests += countKeyFrameRequests(msg);
    });
    return relay;
  }

  get port(): number {
    return this.#in.address().port;
  }

  close(): void {
    this.#in.close();
    this.#out.close();
  }
}

/**
 * FFmpeg sending VP8 simulcast + Opus RTP, as a speaker would: libvpx output,
 * so payload descriptors look real (mediasoup drops VP8 without them). The
 * clips are encoded once and replayed with -c copy, so the source costs almost
 * no CPU and keeps real time on a busy machine.
 */
export class FfmpegTestSource {
  readonly #ffmpeg: ChildProcess;
  readonly #relays: UdpRelay[];
  readonly exited: Promise<number | null>;
  #stderr = '';

  static async start(options: FfmpegTestSourceOptions): Promise<FfmpegTestSource> {
    const layers = options.layers ?? DEFAULT_LAYERS;
    const video = await UdpRelay.open(options.ip, options.videoPort);
    const audio = await UdpRelay.open(options.ip, options.audioPort);
    const inputs = await clipInputs(layers);
    const rtp = (port: number) => `rtp://${options.ip}:${port}?rtcpport=${port}&pkt_size=1200`;
    const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', ...inputs.args];
    layers.forEach((_, i) => {
      args.push(...inputs.videoOutput(i));
      args.push('-ssrc', String(INGEST_RTP.videoSsrcs[i]));
      args.push('-payload_type', String(INGEST_RTP.videoPayloadType));
      args.push('-t', String(options.durationSec), '-f', 'rtp', rtp(video.port));
    });
    args.push(...inputs.audioOutput);
    args.push('-ssrc', String(INGEST_RTP.audioSsrc));
    args.push('-payload_type', String(INGEST_RTP.audioPayloadType));
    args.push('-t', String(options.durationSec), '-f', 'rtp', rtp(audio.port));

    // taskset execs FFmpeg, so the child's pid stays FFmpeg's and kill() reaches it.
    const command = ['ffmpeg', ...args];
    if (options.cpu !== undefined) command.unshift('taskset', '-c', String(options.cpu));
    const [cmd, ...rest] = command;
    const ffmpeg = spawn(cmd as string, rest, { stdio: ['ignore', 'ignore', 'pipe'] });
    // Bounded even if the caller forgets stop(): a stray FFmpeg would load the machine.
    setTimeout(() => ffmpeg.kill('SIGKILL'), (options.durationSec + 15) * 1000).unref();
    return new FfmpegTestSource(ffmpeg, [video, audio]);
  }

  private constructor(ffmpeg: ChildProcess, relays: UdpRelay[]) {
    this.#ffmpeg = ffmpeg;
    this.#relays = relays;
    ffmpeg.stderr?.on('data', (d) => {
      this.#stderr = (this.#stderr + d).slice(-2000);
    });
    this.exited = new Promise((resolve) => ffmpeg.once('exit', (code) => resolve(code)));
  }

  /** RTP packets sent so far with this SSRC (a simulcast layer, or the audio). */
  packetsSent(ssrc: number): number {
    let n = 0;
    for (const relay of this.#relays) n += relay.rtpPackets.get(ssrc) ?? 0;
    return n;
  }

  /** Key-frame requests received so far from the server. */
  get keyFrameRequests(): number {
    return this.#relays.reduce((n, r) => n + r.keyFrameRequests, 0);
  }

  get pid(): number | undefined {
    return this.#ffmpeg.pid;
  }

  /** FFmpeg's last error lines, for test failure messages. */
  get stderr(): string {
    return this.#stderr;
  }

  async stop(): Promise<void> {
    if (this.#ffmpeg.exitCode === null && this.#ffmpeg.signalCode === null) {
      this.#ffmpeg.kill('SIGKILL');
    }
    await this.exited;
    for (const relay of this.#relays) relay.close();
  }
}

/** PLI (PSFB, FMT 1) and FIR (PSFB, FMT 4) packets in an RTCP compound packet. */
function countKeyFrameRequests(rtcp: Buffer): number {
  let count = 0;
  for (let offset = 0; offset + 4 <= rtcp.length; ) {
    const first = rtcp[offset] as number;
    const type = rtcp[offset + 1] as number;
    if (type === 206 && ((first & 0x1f) === 1 || (first & 0x1f) === 4)) count++;
    offset += (rtcp.readUInt16BE(offset + 2) + 1) * 4;
  }
  return count;
}

type Inputs = {
  args: string[];
  videoOutput: (layer: number) => string[];
  audioOutput: string[];
};

async function clipInputs(layers: SimulcastLayer[]): Promise<Inputs> {
  const clip = await prepareClip(layers);
  const loop = (file: string) => ['-re', '-stream_loop', '-1', '-i', file];
  return {
    args: [...clip.video.flatMap(loop), ...loop(clip.audio)],
    videoOutput: (i) => ['-map', `${i}:v`, '-c', 'copy'],
    audioOutput: ['-map', `${layers.length}:a`, '-c', 'copy'],
  };
}

function vp8Encoder(kbps: number): string[] {
  const rate = `${kbps}k`;
  return [
    '-c:v',
    'libvpx',
    '-deadline',
    'good',
    '-cpu-used',
    '4',
    '-b:v',
    rate,
    '-minrate',
    rate,
    '-maxrate',
    rate,
    '-bufsize',
    rate,
    // A key frame every second: late joiners see video within a second.
    '-g',
    '30',
    '-keyint_min',
    '30',
    '-auto-alt-ref',
    '0',
  ];
}

/** Whether `ffmpeg -version` runs. */
export async function ffmpegAvailable(): Promise<boolean> {
  try {
    await execFileAsync('ffmpeg', ['-version'], { timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * Encodes, once, 10 s clips of a noisy test pattern (so the encoder spends its
 * whole bitrate) per layer, and 64 kb/s Opus; cached by their settings.
 */
export async function prepareClip(
  layers: SimulcastLayer[],
): Promise<{ video: string[]; audio: string }> {
  const key = createHash('sha1').update(JSON.stringify(layers)).update('v2').digest('hex');
  const dir = path.join(os.tmpdir(), 'amphi-clips', key.slice(0, 12));
  const video = layers.map((l) => path.join(dir, `video-${l.width}x${l.height}.webm`));
  const audio = path.join(dir, 'audio.webm');
  if ([...video, audio].every((f) => fs.existsSync(f))) return { video, audio };

  fs.mkdirSync(dir, { recursive: true });
  const top = layers[layers.length - 1] as SimulcastLayer;
  const seconds = 10;
  const args = [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${top.width}x${top.height}:rate=30:duration=${seconds},noise=alls=12:allf=t`,
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=440:sample_rate=48000:duration=${seconds}`,
  ];
  layers.forEach((l, i) => {
    const tmp = `${video[i]}.tmp.webm`;
    args.push('-map', '0:v', '-vf', `scale=${l.width}:${l.height}`);
    args.push(...vp8Encoder(l.kbps), '-an', tmp);
  });
  args.push('-map', '1:a', '-c:a', 'libopus', '-b:a', '64k', '-ac', '2', `${audio}.tmp.webm`);
  await execFileAsync('ffmpeg', args, { maxBuffer: 1 << 20 });
  for (const f of [...video, audio]) fs.renameSync(`${f}.tmp.webm`, f);
  return { video, audio };
}
