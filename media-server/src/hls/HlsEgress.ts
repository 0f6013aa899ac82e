import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import type { types } from 'mediasoup';
import type { Logger } from 'pino';
import type { Broadcast } from '../Broadcast.ts';
import { PARENT_DEATH_SIGNAL } from '../ingest/FfmpegTestSource.ts';
import { MediaError } from '../MediaError.ts';
import { Fmp4Fragmenter } from './Fmp4Fragmenter.ts';
import { LlHlsWindow } from './LlHlsWindow.ts';
import { RtpSourceClock } from './RtpSourceClock.ts';
import { UdpRelay } from './UdpRelay.ts';

export type HlsEgressOptions = {
  /** Where FFmpeg listens for the broadcast's RTP (the media listen address). */
  listenIp: string;
  logger: Logger;
  /** Key-frame interval: one segment each (default 1 s). */
  segmentSeconds?: number;
  /** Fragment duration: one part each (default 0.5 s). */
  partSeconds?: number;
  /** Complete segments kept in memory (default 6). */
  keepSegments?: number;
  /**
   * The UDP ports FFmpeg listens on, video then audio (each with the one
   * above it); asked again if FFmpeg finds one taken. Default: free ones.
   */
  ffmpegPorts?: () => Promise<[number, number]>;
  /** Aborted: the egress stops, even while it starts (start() rejects EGRESS_STOPPED). */
  signal?: AbortSignal;
};

export type HlsEgressEvents = { close: [] };

/**
 * FFmpeg binds each stream's port and the one above it (RTCP, rtcp-mux or
 * not), on every address: `n` such pairs free now, held together while they
 * are looked for so that no two overlap. Another program may still take one
 * before FFmpeg binds it (FFmpeg then exits, and is started again on others).
 */
async function freeRtpPorts(n: number): Promise<number[]> {
  const held: dgram.Socket[] = [];
  const bind = (port: number) =>
    new Promise<dgram.Socket | undefined>((resolve) => {
      const s = dgram.createSocket('udp4');
      s.once('error', () => {
        s.close();
        resolve(undefined);
      });
      s.bind(port, '0.0.0.0', () => resolve(s));
    });
  const ports: number[] = [];
  try {
    for (let tries = 0; ports.length < n && tries < 50; tries++) {
      const rtp = await bind(0);
      if (!rtp) continue;
      held.push(rtp);
      const port = rtp.address().port;
      if (port >= 65_535) continue;
      const rtcp = await bind(port + 1);
      if (!rtcp) continue;
      held.push(rtcp);
      ports.push(port);
    }
  } finally {
    for (const s of held) s.close();
  }
  if (ports.length < n) throw new MediaError('EGRESS_STOPPED', 'no free UDP ports for FFmpeg');
  return ports;
}

/** How many times FFmpeg is started when another program took its ports first. */
const FFMPEG_STARTS = 3;

function sdpFor(ip: string, video: RtpTarget, audio: RtpTarget | undefined): string {
  const media = (kind: string, t: RtpTarget) => [
    `m=${kind} ${t.port} RTP/AVP ${t.payloadType}`,
    `a=rtpmap:${t.payloadType} ${t.rtpmap}`,
    'a=rtcp-mux',
    'a=recvonly',
  ];
  return [
    'v=0',
    `o=- 0 0 IN IP4 ${ip}`,
    's=amphi-hls',
    `c=IN IP4 ${ip}`,
    't=0 0',
    ...media('video', video),
    ...(audio ? media('audio', audio) : []),
    '',
  ].join('\r\n');
}

/** Every video codec's RTP clock (RFC 7741 for VP8, RFC 6184 for H.264). */
const VIDEO_CLOCK_RATE = 90_000;

type RtpTarget = { port: number; payloadType: number; rtpmap: string };

function targetOf(port: number, rtp: types.RtpParameters): RtpTarget {
  const codec = rtp.codecs[0];
  if (!codec) throw new MediaError('CANNOT_CONSUME', 'consumer without a codec');
  const name = codec.mimeType.split('/')[1];
  return {
    port,
    payloadType: codec.payloadType,
    rtpmap: `${name}/${codec.clockRate}${codec.channels ? `/${codec.channels}` : ''}`,
  };
}

/**
 * One broadcast's LL-HLS egress: a classroom-like participant of the
 * broadcast whose plain transports send the speaker's lowest simulcast layer
 * and audio to one FFmpeg, which transcodes to H.264 + AAC and writes
 * fragmented MP4 to its stdout. The fragments become LL-HLS parts in memory
 * (`window`): nothing touches a disk, FFmpeg reads its SDP from stdin.
 *
 * Closes (FFmpeg killed, participant gone, bytes dropped) on close(), when the
 * broadcast closes, when a producer it carries closes, or when FFmpeg exits.
 * Closed while it starts, start() rejects with why (BROADCAST_CLOSED,
 * PRODUCER_NOT_FOUND, EGRESS_STOPPED), never with what the close broke
 * underneath (the egress's own media session, closed with it).
 */
export class HlsEgress extends EventEmitter<HlsEgressEvents> {
  /** Unguessable path segment of the media URIs: parts are served without a token. */
  readonly key = randomBytes(16).toString('base64url');
  readonly window: LlHlsWindow;
  readonly #broadcast: Broadcast;
  readonly #participantId: string;
  readonly #logger: Logger;
  readonly #fragmenter: Fmp4Fragmenter;
  #ffmpeg: ChildProcess | undefined;
  #init: Buffer | undefined;
  readonly #ready: Promise<boolean>;
  #markReady: (ok: boolean) => void = () => {};
  #stderr = '';
  #closed = false;
  /** Why it closed while starting: what start() rejects with. */
  #stoppedBy: MediaError | undefined;
  /** FFmpeg has bound its ports: from then on its exit closes the egress. */
  #ffmpegUp = false;
  readonly #onBroadcastClose = () => this.#stop(this.#broadcastOver());
  #onProducerClose: (p: { id: string }) => void = () => {};
  #keyFrameTimer: NodeJS.Timeout | undefined;
  readonly #sourceClock = new RtpSourceClock(VIDEO_CLOCK_RATE);
  readonly #relays: UdpRelay[] = [];
  #fragments = 0;
  /** When each step of the start happened (ms after start()): where a class's first picture waits. */
  readonly #startedAt = Date.now();
  readonly #startup: Record<string, number> = {};

  static async start(broadcast: Broadcast, options: HlsEgressOptions): Promise<HlsEgress> {
    const egress = new HlsEgress(broadcast, options);
    const { signal } = options;
    const onAbort = () =>
      egress.#stop(new MediaError('EGRESS_STOPPED', 'the HLS egress was stopped while it started'));
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await egress.#start(options);
      egress.#throwIfStopped();
    } catch (error) {
      // Closed underneath (the broadcast ended, the egress was stopped): the
      // step that broke (its media session closed with it) is not the cause.
      const cause = egress.#stoppedBy ?? error;
      egress.close();
      // What a step still under way made after the close (a session, a relay).
      egress.#release();
      throw cause;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    return egress;
  }

  private constructor(broadcast: Broadcast, options: HlsEgressOptions) {
    super();
    this.#broadcast = broadcast;
    this.#participantId = `hls-egress-${this.key.slice(0, 8)}`;
    this.#logger = options.logger.child({ eventId: broadcast.eventId, component: 'hls' });
    this.window = new LlHlsWindow({
      segmentSeconds: options.segmentSeconds ?? 1,
      partSeconds: options.partSeconds ?? 0.5,
      keepSegments: options.keepSegments ?? 6,
      // Numbered from the clock (segments last about a second): an egress started
      // again (the speaker came back) goes on past the last one's numbers, and
      // players keep reloading rather than wait for a sequence they have seen.
      firstMsn: Math.floor(Date.now() / 1000),
    });
    this.#ready = new Promise((resolve) => {
      this.#markReady = resolve;
    });
    this.#fragmenter = new Fmp4Fragmenter({
      onInit: (init) => {
        this.#init = init;
        this.#mark('init');
      },
      onFragment: (fragment) => {
        this.window.sourceClock(this.#sourceClock.anchor);
        this.window.add(fragment);
        if (this.#fragments === 0) {
          this.#mark('firstPart');
          this.#logger.info({ startupMs: this.#startup }, 'hls egress: first part');
        }
        if (++this.#fragments === 10) {
          this.#logger.info(
            { ffmpegDelayMs: this.window.pipelineDelayMs },
            'hls egress: dated by the source clock',
          );
        }
        this.#markReady(true);
      },
    });
  }

  /** Closes, remembering why (for a start() still under way). */
  #stop(reason: MediaError): void {
    if (this.#closed) return;
    this.#stoppedBy = reason;
    this.close();
  }

  #broadcastOver(): MediaError {
    return new MediaError('BROADCAST_CLOSED', `broadcast ${this.#broadcast.eventId} is over`);
  }

  /** After each step of the start: closed meanwhile, the start ends with why. */
  #throwIfStopped(): void {
    if (this.#closed) {
      throw (
        this.#stoppedBy ??
        new MediaError('EGRESS_STOPPED', 'the HLS egress stopped while it started')
      );
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Ms from start() to each step so far: joined, spawned, listening, init, firstPart. */
  get startupMs(): Readonly<Record<string, number>> {
    return this.#startup;
  }

  #mark(step: string): void {
    this.#startup[step] ??= Date.now() - this.#startedAt;
  }

  /** ftyp + moov: the playlist's EXT-X-MAP. */
  get init(): Buffer | undefined {
    return this.#init;
  }

  /** FFmpeg's process id while it runs. */
  get pid(): number | undefined {
    return this.#ffmpeg?.pid;
  }

  /** Resolves true once the first part exists, false if the egress closed first or timed out. */
  ready(timeoutMs: number): Promise<boolean> {
    return Promise.race([
      this.#ready,
      new Promise<boolean>((r) => setTimeout(() => r(false), timeoutMs).unref()),
    ]);
  }

  async #start(options: HlsEgressOptions): Promise<void> {
    this.#throwIfStopped();
    const broadcast = this.#broadcast;
    const ip = options.listenIp;
    const segmentSeconds = options.segmentSeconds ?? 1;
    const partSeconds = options.partSeconds ?? 0.5;
    const producers = broadcast.producers.filter((p) => p.source === 'camera');
    const videoProducer = producers.find((p) => p.kind === 'video');
    const audioProducer = producers.find((p) => p.kind === 'audio');
    if (!videoProducer) throw new MediaError('PRODUCER_NOT_FOUND', 'no speaker video to send');
    broadcast.once('close', this.#onBroadcastClose);
    const carried = new Set([videoProducer.id, audioProducer?.id]);
    this.#onProducerClose = ({ id }) => {
      if (carried.has(id))
        this.#stop(new MediaError('PRODUCER_NOT_FOUND', `producer ${id} closed`));
    };
    broadcast.on('producerclose', this.#onProducerClose);

    const session = await broadcast.join(this.#participantId, 'classroom');
    this.#throwIfStopped();
    this.#mark('joined');
    // Closed by the broadcast's end (its sessions go first), or its worker's death.
    session.once('close', () =>
      this.#stop(
        this.#broadcast.closed
          ? this.#broadcastOver()
          : new MediaError('EGRESS_STOPPED', 'the HLS egress lost its media session'),
      ),
    );
    // The lowest simulcast layer: the fallback is for classes that get little.
    await session.setPreferredLayers(0);
    this.#throwIfStopped();
    const relay = async (inspect?: (msg: Buffer, at: number) => boolean) => {
      const r = await UdpRelay.start(ip, inspect);
      this.#relays.push(r);
      this.#throwIfStopped();
      return r;
    };
    const consumeTo = async (r: UdpRelay, producerId: string) => {
      const transport = await session.createPlainTransport({ ip, port: r.port });
      this.#throwIfStopped();
      const consumer = await broadcast.consume(this.#participantId, {
        transportId: transport.id,
        producerId,
        rtpCapabilities: broadcast.rtpCapabilities,
      });
      this.#throwIfStopped();
      return consumer;
    };
    // The media server sends to relays (FFmpeg can move, they stay); video's
    // reads the source's clock on the way (the playlist's dates).
    const videoRelay = await relay((msg, at) => this.#sourceClock.read(msg, at));
    const audioRelay = audioProducer ? await relay() : undefined;
    const video = await consumeTo(videoRelay, videoProducer.id);
    const audio =
      audioProducer && audioRelay ? await consumeTo(audioRelay, audioProducer.id) : undefined;

    const fps = 30;
    const args = [
      '-hide_banner',
      '-loglevel',
      'error',
      '-fflags',
      'nobuffer',
      // FFmpeg probes its input for up to 1 s, then writes what it held at once:
      // the first playlist then holds the part hold-back a player starts from.
      // Without the probe the first part comes 0.8 s sooner (median of 8), but
      // alone: hls.js waited 2 s more for enough parts to start (e2e, cold start).
      '-analyzeduration',
      '1000000',
      '-protocol_whitelist',
      'pipe,udp,rtp',
      '-f',
      'sdp',
      '-i',
      'pipe:0',
      // The input's timestamps (each stream's RTP clock from its first packet):
      // the playlist is dated by the source's clock (RtpSourceClock).
      '-copyts',
      '-map',
      '0:v:0',
      ...(audio ? ['-map', '0:a:0'] : []),
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-tune',
      'zerolatency',
      '-pix_fmt',
      'yuv420p',
      '-fps_mode',
      'cfr',
      '-r',
      String(fps),
      // A key frame starts every segment, and only there: parts cut between.
      '-g',
      String(Math.round(fps * segmentSeconds)),
      '-keyint_min',
      String(Math.round(fps * segmentSeconds)),
      '-sc_threshold',
      '0',
      '-force_key_frames',
      `expr:gte(t,n_forced*${segmentSeconds})`,
      '-b:v',
      '400k',
      '-maxrate',
      '500k',
      '-bufsize',
      '500k',
      ...(audio ? ['-c:a', 'aac', '-b:a', '64k', '-ar', '48000', '-ac', '2'] : []),
      '-f',
      'mp4',
      '-movflags',
      'frag_keyframe+empty_moov+default_base_moof',
      '-frag_duration',
      String(Math.round(partSeconds * 1_000_000)),
      'pipe:1',
    ];
    // FFmpeg binds its ports once it has read the SDP; media sent before is lost,
    // and the first thing it needs is a key frame: resuming the consumers asks
    // the speaker for one (again below until the first part comes out).
    const pickPorts =
      options.ffmpegPorts ?? (async () => (await freeRtpPorts(2)) as [number, number]);
    for (let attempt = 1; ; attempt++) {
      const [videoPort, audioPort] = await pickPorts();
      this.#throwIfStopped();
      videoRelay.forwardTo(videoPort);
      audioRelay?.forwardTo(audioPort);
      const sdp = sdpFor(
        ip,
        targetOf(videoPort, video.rtpParameters),
        audio ? targetOf(audioPort, audio.rtpParameters) : undefined,
      );
      const ffmpeg = this.#spawnFfmpeg(args, sdp);
      const up = await waitForUdpPorts(ffmpeg, [videoPort, ...(audio ? [audioPort] : [])], 5000);
      this.#throwIfStopped();
      if (up) break;
      // Exited before it listened: a port taken by another program since it was
      // found free (a busy host binds ports all the time) is worth other ports.
      const taken = /bind failed/i.test(this.#stderr);
      this.#logger.warn(
        { attempt, videoPort, audioPort, stderr: this.#stderr },
        taken ? 'hls egress: FFmpeg found a port taken; other ports' : 'hls egress: FFmpeg exited',
      );
      if (!taken || attempt >= FFMPEG_STARTS) {
        throw new MediaError('EGRESS_STOPPED', `FFmpeg exited while it started: ${this.#stderr}`);
      }
    }
    this.#ffmpegUp = true;
    this.#mark('listening');
    await session.resumeConsumer(video.id);
    if (audio) await session.resumeConsumer(audio.id);
    this.#throwIfStopped();
    this.#keyFrameTimer = setInterval(() => {
      if (this.window.last || this.#closed) {
        clearInterval(this.#keyFrameTimer);
        return;
      }
      // Pausing and resuming video is how a plain consumer asks for a key frame.
      void session
        .setAudioOnly(true)
        .then(() => session.setAudioOnly(false))
        .catch(() => {});
    }, 1500);
    this.#logger.info(
      {
        pid: this.#ffmpeg?.pid,
        videoProducerId: videoProducer.id,
        audioProducerId: audioProducer?.id,
      },
      'hls egress started',
    );
  }

  /** FFmpeg reading `sdp`, its fMP4 going to the window; its exit closes the egress once it listened. */
  #spawnFfmpeg(args: string[], sdp: string): ChildProcess {
    const command = ['ffmpeg', ...args];
    if (PARENT_DEATH_SIGNAL) command.unshift(...PARENT_DEATH_SIGNAL);
    const [cmd, ...rest] = command;
    const ffmpeg = spawn(cmd as string, rest, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#ffmpeg = ffmpeg;
    this.#stderr = '';
    this.#mark('spawned');
    ffmpeg.stdout?.on('data', (chunk: Buffer) => {
      try {
        this.#fragmenter.push(chunk);
      } catch (error) {
        this.#logger.error({ err: error }, 'hls egress: unreadable fMP4 from FFmpeg');
        this.close();
      }
    });
    ffmpeg.stderr?.on('data', (d) => {
      this.#stderr = (this.#stderr + d).slice(-2000);
    });
    ffmpeg.once('exit', (code, signal) => {
      // Before it listened, the start sees the exit and may start another.
      if (!this.#ffmpegUp || this.#ffmpeg !== ffmpeg) return;
      if (!this.#closed) {
        this.#logger.warn({ code, signal, stderr: this.#stderr }, 'hls egress: FFmpeg exited');
      }
      this.close();
    });
    ffmpeg.stdin?.on('error', () => {});
    ffmpeg.stdin?.end(sdp);
    return ffmpeg;
  }

  /** FFmpeg killed, relays closed, the media session left: again after a start that outlived close(). */
  #release(): void {
    for (const relay of this.#relays) relay.close();
    const ffmpeg = this.#ffmpeg;
    if (ffmpeg && ffmpeg.exitCode === null && ffmpeg.signalCode === null) ffmpeg.kill('SIGKILL');
    this.#broadcast.leave(this.#participantId);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#keyFrameTimer);
    this.#broadcast.off('close', this.#onBroadcastClose);
    this.#broadcast.off('producerclose', this.#onProducerClose);
    this.#release();
    this.window.close();
    this.#init = undefined;
    this.#markReady(false);
    this.#logger.info('hls egress stopped');
    this.emit('close');
  }
}

/**
 * Waits until FFmpeg listens on these local UDP ports (it has read its SDP):
 * true, or after `timeoutMs` true anyway (key frames are asked for again);
 * false if it exited first.
 */
async function waitForUdpPorts(
  ffmpeg: ChildProcess,
  ports: number[],
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const hex = ports.map((p) => `:${p.toString(16).toUpperCase().padStart(4, '0')} `);
  const exited = () => ffmpeg.exitCode !== null || ffmpeg.signalCode !== null;
  while (Date.now() < deadline) {
    if (exited()) return false;
    const table = await readFile('/proc/net/udp', 'utf8').catch(() => undefined);
    if (table === undefined) return !exited(); // not Linux: resume now
    if (hex.every((h) => table.includes(h))) return !exited();
    await new Promise((r) => setTimeout(r, 50));
  }
  return !exited();
}
