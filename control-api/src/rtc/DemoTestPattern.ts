import { type Broadcast, FfmpegTestSource, RtpIngest, RtpRelay } from '@amphi/media-server';
import type { ProducerInfo } from '@amphi/protocol';
import type { Logger } from '../logger.ts';

/** The participant id the test pattern's producers carry. */
export const TEST_PATTERN_PARTICIPANT = 'demo-test-pattern';
/** The caption classrooms see on its tile. */
export const TEST_PATTERN_NAME = 'Mire de test';
const MAX_RESTART_DELAY_MS = 60_000;

/**
 * Its producers are announced like every other: the media node that holds the
 * broadcast reports them (see `announceProducers`).
 */
export type DemoTestPatternOptions = {
  broadcast: Broadcast;
  log: Logger;
  /**
   * How long one FFmpeg run lasts before it is started again (tests of the
   * restart); by default FFmpeg loops its clips for as long as the server runs.
   */
  runSeconds?: number;
};

/**
 * A stand-in speaker for the demo event: FFmpeg replays a pre-encoded test
 * pattern (VP8 simulcast + Opus, almost no CPU) into an RTP ingest on the
 * broadcast's origin, so a classroom link shows video before anyone speaks.
 * FFmpeg dies with the server, however it ends (see FfmpegTestSource).
 * FFmpeg is started again if it ends, through the same relays, so the same
 * producers go on with one continuous stream that consumers follow; the
 * ingest (and its producers, announced again) is made again if its worker
 * died. close() stops FFmpeg and the ingest.
 */
export class DemoTestPattern {
  readonly #options: DemoTestPatternOptions;
  readonly #log: Logger;
  #ingest: RtpIngest | undefined;
  /** The ingest's relays: every FFmpeg run sends through them (see RtpRelay). */
  #relays: { video: RtpRelay; audio: RtpRelay } | undefined;
  #source: FfmpegTestSource | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  #restartDelayMs = 1000;
  #closed = false;

  static async start(options: DemoTestPatternOptions): Promise<DemoTestPattern> {
    const pattern = new DemoTestPattern(options);
    try {
      await pattern.#run();
    } catch (err) {
      await pattern.close();
      throw err;
    }
    return pattern;
  }

  private constructor(options: DemoTestPatternOptions) {
    this.#options = options;
    this.#log = options.log.child({
      component: 'test-pattern',
      eventId: options.broadcast.eventId,
    });
    options.broadcast.once('close', () => void this.close());
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The FFmpeg process sending now, if one is. */
  get ffmpegPid(): number | undefined {
    return this.#source?.pid;
  }

  /** The producers it sends now. */
  get producers(): ProducerInfo[] {
    return (this.#ingest?.producers ?? []).map((p) => ({
      producerId: p.id,
      participantId: TEST_PATTERN_PARTICIPANT,
      role: 'speaker',
      kind: p.kind,
      source: p.source,
      classroomId: null,
      name: TEST_PATTERN_NAME,
    }));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#restartTimer);
    await this.#stopSource();
    this.#dropIngest();
  }

  #dropIngest(): void {
    this.#ingest?.close();
    this.#ingest = undefined;
    this.#relays?.video.close();
    this.#relays?.audio.close();
    this.#relays = undefined;
  }

  /** Makes the ingest if it has none (or lost it with a worker), then starts FFmpeg. */
  async #run(): Promise<void> {
    const { broadcast } = this.#options;
    if (!this.#ingest) {
      const ingest = await RtpIngest.create(broadcast, {
        participantId: TEST_PATTERN_PARTICIPANT,
        listenIp: '127.0.0.1',
      });
      const relays = {
        video: await RtpRelay.open('127.0.0.1', ingest.videoPort, 'video'),
        audio: await RtpRelay.open('127.0.0.1', ingest.audioPort, 'audio'),
      };
      if (this.#closed) {
        ingest.close();
        relays.video.close();
        relays.audio.close();
        return;
      }
      this.#ingest = ingest;
      this.#relays = relays;
      const open = new Set(ingest.producers.map((p) => p.id));
      const onClose = ({ id }: { id: string }) => {
        if (!open.delete(id)) return;
        if (open.size === 0) broadcast.off('producerclose', onClose);
        if (this.#ingest !== ingest) return;
        // Closed, or its worker died: made again on the new origin unless closed.
        this.#dropIngest();
        void this.#stopSource().then(() => this.#scheduleRestart());
      };
      broadcast.on('producerclose', onClose);
    }
    const { runSeconds } = this.#options;
    const ingest = this.#ingest;
    const source = await FfmpegTestSource.start({
      ip: '127.0.0.1',
      relays: this.#relays as { video: RtpRelay; audio: RtpRelay },
      ...(runSeconds === undefined ? {} : { durationSec: runSeconds }),
    });
    if (this.#closed) {
      await source.stop();
      return;
    }
    this.#source = source;
    // Whatever ends this process, FFmpeg goes too (stop() kills it synchronously).
    const killOnExit = () => void source.stop();
    process.once('exit', killOnExit);
    const startedAt = Date.now();
    void source.exited.then((code) => {
      process.off('exit', killOnExit);
      if (this.#closed || this.#source !== source) return;
      this.#source = undefined;
      // Backing off is for an FFmpeg that keeps failing, not one that ran its course.
      if (code === 0 || Date.now() - startedAt > 30_000) this.#restartDelayMs = 1000;
      this.#log.info(
        { code, stderr: source.stderr || undefined },
        'test pattern ended: restarting',
      );
      void source.stop().then(() => this.#scheduleRestart());
    });
    this.#log.info({ pid: source.pid, producers: ingest.producers.length }, 'test pattern sending');
  }

  #scheduleRestart(): void {
    if (this.#closed || this.#restartTimer) return;
    const delay = this.#restartDelayMs;
    this.#restartDelayMs = Math.min(delay * 2, MAX_RESTART_DELAY_MS);
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      if (this.#closed) return;
      this.#run().catch((err: unknown) => {
        this.#log.warn({ err }, 'test pattern restart failed');
        this.#scheduleRestart();
      });
    }, delay);
  }

  async #stopSource(): Promise<void> {
    const source = this.#source;
    this.#source = undefined;
    await source?.stop();
  }
}
