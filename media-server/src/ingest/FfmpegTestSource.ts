import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { INGEST_RTP } from './RtpIngest.ts';
import { RtpRelay } from './RtpRelay.ts';

const execFileAsync = promisify(execFile);

export type SimulcastLayer = { width: number; height: number; kbps: number };

/** Three simulcast layers, low to high, like a speaker's browser sends. */
export const DEFAULT_LAYERS: SimulcastLayer[] = [
  { width: 320, height: 180, kbps: 150 },
  { width: 640, height: 360, kbps: 400 },
  { width: 1280, height: 720, kbps: 1000 },
];

/**
 * FFmpeg dies with this process, however this process ends (a server killed
 * with SIGKILL runs no exit hook): util-linux's setpriv asks the kernel to
 * send it SIGKILL when its parent dies, then execs it. Without setpriv, only
 * stop() and its owner's exit hook end it.
 */
export const PARENT_DEATH_SIGNAL: string[] | null = (() => {
  try {
    execFileSync('setpriv', ['--version'], { stdio: 'ignore', timeout: 5000 });
    return ['setpriv', '--pdeathsig', 'KILL', '--'];
  } catch {
    return null;
  }
})();

export type FfmpegTestSourceOptions = {
  ip: string;
  /** How long to send, in seconds; unset: until stop() (the clips loop). */
  durationSec?: number;
  layers?: SimulcastLayer[];
  /** Pin FFmpeg to this CPU (benchmarks keep the source off the measured core). */
  cpu?: number;
} & (
  | {
      /** The ingest's ports: relays are opened for this run, closed by stop(). */
      videoPort: number;
      audioPort: number;
    }
  | {
      /**
       * Relays to an ingest that outlive this run: a source started again on
       * them continues the same streams (see RtpRelay).
       */
      relays: { video: RtpRelay; audio: RtpRelay };
    }
);

/**
 * FFmpeg sending VP8 simulcast + Opus RTP, as a speaker would: libvpx output,
 * so payload descriptors look real (mediasoup drops VP8 without them). The
 * clips are encoded once and replayed with -c copy, so the source costs almost
 * no CPU and keeps real time on a busy machine.
 */
export class FfmpegTestSource {
  readonly #ffmpeg: ChildProcess;
  readonly #relays: RtpRelay[];
  readonly #ownsRelays: boolean;
  readonly exited: Promise<number | null>;
  #stderr = '';

  static async start(options: FfmpegTestSourceOptions): Promise<FfmpegTestSource> {
    const layers = options.layers ?? DEFAULT_LAYERS;
    const own = !('relays' in options);
    const { video, audio } =
      'relays' in options
        ? options.relays
        : {
            video: await RtpRelay.open(options.ip, options.videoPort, 'video'),
            audio: await RtpRelay.open(options.ip, options.audioPort, 'audio'),
          };
    video.beginRun();
    audio.beginRun();
    const duration = options.durationSec === undefined ? [] : ['-t', String(options.durationSec)];
    const inputs = await clipInputs(layers);
    const rtp = (port: number) => `rtp://${options.ip}:${port}?rtcpport=${port}&pkt_size=1200`;
    const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', ...inputs.args];
    layers.forEach((_, i) => {
      args.push(...inputs.videoOutput(i));
      args.push('-ssrc', String(INGEST_RTP.videoSsrcs[i]));
      args.push('-payload_type', String(INGEST_RTP.videoPayloadType));
      args.push(...duration, '-f', 'rtp', rtp(video.port));
    });
    args.push(...inputs.audioOutput);
    args.push('-ssrc', String(INGEST_RTP.audioSsrc));
    args.push('-payload_type', String(INGEST_RTP.audioPayloadType));
    args.push(...duration, '-f', 'rtp', rtp(audio.port));

    // taskset and setpriv exec, so the child's pid stays FFmpeg's and kill() reaches it.
    const command = ['ffmpeg', ...args];
    if (PARENT_DEATH_SIGNAL) command.unshift(...PARENT_DEATH_SIGNAL);
    if (options.cpu !== undefined) command.unshift('taskset', '-c', String(options.cpu));
    const [cmd, ...rest] = command;
    const ffmpeg = spawn(cmd as string, rest, { stdio: ['ignore', 'ignore', 'pipe'] });
    if (options.durationSec !== undefined) {
      // Bounded even if the caller forgets stop(): a stray FFmpeg would load the machine.
      setTimeout(() => ffmpeg.kill('SIGKILL'), (options.durationSec + 15) * 1000).unref();
    }
    return new FfmpegTestSource(ffmpeg, [video, audio], own);
  }

  private constructor(ffmpeg: ChildProcess, relays: RtpRelay[], ownsRelays: boolean) {
    this.#ffmpeg = ffmpeg;
    this.#relays = relays;
    this.#ownsRelays = ownsRelays;
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
    if (this.#ownsRelays) for (const relay of this.#relays) relay.close();
  }
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
