export {
  Broadcast,
  type BroadcastEvents,
  type BroadcastOptions,
  type BroadcastStats,
  type ProducerDescription,
  type ProducerSource,
} from './Broadcast.ts';
export {
  type MediaConfig,
  mediaConfigFromEnv,
  mediaConfigSchema,
  pipeOptionsFromConfig,
} from './config.ts';
export { EdgeRouter } from './EdgeRouter.ts';
export { type Fmp4Fragment, Fmp4Fragmenter } from './hls/Fmp4Fragmenter.ts';
export { HlsEgress, type HlsEgressOptions } from './hls/HlsEgress.ts';
export { HlsHub, type HlsHubOptions } from './hls/HlsHub.ts';
export { type LlHlsPart, LlHlsWindow } from './hls/LlHlsWindow.ts';
export {
  DEFAULT_LAYERS,
  FfmpegTestSource,
  type FfmpegTestSourceOptions,
  ffmpegAvailable,
  prepareClip,
  type SimulcastLayer,
} from './ingest/FfmpegTestSource.ts';
export { INGEST_RTP, RtpIngest } from './ingest/RtpIngest.ts';
export { RtpRelay } from './ingest/RtpRelay.ts';
export { MediaError, type MediaErrorCode } from './MediaError.ts';
export { KEY_FRAME_REQUEST_DELAY_MS, mediaCodecs } from './mediaCodecs.ts';
export {
  WorkerMonitor,
  type WorkerMonitorOptions,
  type WorkerSample,
} from './metrics/WorkerMonitor.ts';
export { registerWorkerMetrics } from './metrics/workerMetrics.ts';
export {
  type ConsumerInfo,
  type ParticipantRole,
  ParticipantSession,
  type PlainTransportInfo,
  type TransportOptions,
  type WebRtcTransportInfo,
} from './ParticipantSession.ts';
export { joinPlainReceiver } from './PlainReceiver.ts';
export {
  BroadcastPipe,
  type BroadcastPipeEvents,
  type BroadcastPipeOptions,
  type BroadcastPipeStats,
  type PipeSide,
} from './pipe/BroadcastPipe.ts';
export { PipeLink, type PipeLinkEvents, type PipeOptions } from './pipe/PipeLink.ts';
export {
  type PoolWorker,
  type WorkerLoss,
  WorkerPool,
  type WorkerPoolEvents,
  type WorkerPoolOptions,
  type WorkerStats,
} from './WorkerPool.ts';
export { type WorkerCrypto, workerCrypto } from './workerCrypto.ts';
