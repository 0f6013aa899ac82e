import type { Logger } from 'pino';
import { Broadcast } from '../../src/Broadcast.ts';
import { FfmpegTestSource, type SimulcastLayer } from '../../src/ingest/FfmpegTestSource.ts';
import { RtpIngest } from '../../src/ingest/RtpIngest.ts';
import type { WorkerPool } from '../../src/WorkerPool.ts';

export interface TestPatternBroadcast {
  readonly broadcast: Broadcast;
  readonly ingest: RtpIngest;
  readonly source: FfmpegTestSource;
  /** Stops FFmpeg, then closes the broadcast (the pool stays the caller's). */
  close(): Promise<void>;
}

/**
 * A broadcast on `pool` whose speaker is FFmpeg's test pattern sent over RTP
 * through an ingest (participant `speaker-ffmpeg`), as the demo speaker: real
 * simulcast video and Opus for the tests' classrooms to consume.
 */
export async function startTestPatternBroadcast(opts: {
  eventId: string;
  pool: WorkerPool;
  logger: Logger;
  ip: string;
  /** How long FFmpeg sends, in seconds. */
  durationSec: number;
  layers: SimulcastLayer[];
  /** Layers the ingest's video producer declares (default: the ingest's own, 3). */
  simulcastLayers?: number;
  participantId?: string;
}): Promise<TestPatternBroadcast> {
  const broadcast = await Broadcast.create({
    eventId: opts.eventId,
    pool: opts.pool,
    logger: opts.logger,
    transportOptions: { listenIp: opts.ip },
  });
  const ingest = await RtpIngest.create(broadcast, {
    participantId: opts.participantId ?? 'speaker-ffmpeg',
    listenIp: opts.ip,
    ...(opts.simulcastLayers ? { simulcastLayers: opts.simulcastLayers } : {}),
  });
  const source = await FfmpegTestSource.start({
    ip: opts.ip,
    videoPort: ingest.videoPort,
    audioPort: ingest.audioPort,
    durationSec: opts.durationSec,
    layers: opts.layers,
  });
  return {
    broadcast,
    ingest,
    source,
    close: async () => {
      await source.stop();
      broadcast.close();
    },
  };
}
