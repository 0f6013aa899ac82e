import os from 'node:os';
import { z } from 'zod';
import { KEY_FRAME_REQUEST_DELAY_MS } from './mediaCodecs.ts';
import type { PipeOptions } from './pipe/PipeLink.ts';

const optionalPort = z.coerce.number().int().min(1).max(65535).optional();

/**
 * Media-plane settings, read once from the environment. The defaults run on one
 * machine with nothing else set up: one worker per core, loopback only.
 */
export const mediaConfigSchema = z
  .object({
    /** mediasoup workers to run; one per core by default. */
    MEDIA_WORKERS: z.coerce.number().int().min(1).default(os.availableParallelism()),
    /** Address the WebRtcServers and plain transports listen on. */
    MEDIA_LISTEN_IP: z.string().default('127.0.0.1'),
    /** Public address given to browsers (needed when listening on 0.0.0.0 behind NAT). */
    MEDIA_ANNOUNCED_ADDRESS: z.string().optional(),
    /** Worker i's WebRtcServer uses this port + i for UDP and for TCP; random when unset. */
    MEDIA_RTC_PORT_BASE: optionalPort,
    MEDIA_LOG_LEVEL: z.enum(['debug', 'warn', 'error', 'none']).default('warn'),
    /** Key-frame requests a speaker's producer forwards: at most one per this long (see mediaCodecs.ts). */
    MEDIA_KEY_FRAME_REQUEST_DELAY_MS: z.coerce
      .number()
      .int()
      .min(0)
      .max(10_000)
      .default(KEY_FRAME_REQUEST_DELAY_MS),
    /** Address the pipes to other media nodes listen on; MEDIA_LISTEN_IP when unset. */
    MEDIA_PIPE_LISTEN_IP: z.string().optional(),
    /** Address other media nodes send pipe traffic to (NAT, or listening on 0.0.0.0). */
    MEDIA_PIPE_ANNOUNCED_ADDRESS: z.string().optional(),
    /** UDP ports the pipes take one each from (open them between media hosts); random when unset. */
    MEDIA_PIPE_PORT_MIN: optionalPort,
    MEDIA_PIPE_PORT_MAX: optionalPort,
    /** A pipe that has received nothing this long (heartbeat included) is reported dead. */
    MEDIA_PIPE_DEAD_AFTER_MS: z.coerce.number().int().min(500).max(60_000).default(3000),
    /**
     * A participant whose signaling socket dropped without leaving (its
     * control-api instance died, its line blinked) keeps its media this long,
     * flowing, for its next socket to take over (resume); then it is closed.
     */
    MEDIA_SESSION_GRACE_MS: z.coerce.number().int().min(0).max(120_000).default(15_000),
  })
  .refine(
    (c) =>
      (c.MEDIA_PIPE_PORT_MIN === undefined) === (c.MEDIA_PIPE_PORT_MAX === undefined) &&
      (c.MEDIA_PIPE_PORT_MIN ?? 0) <= (c.MEDIA_PIPE_PORT_MAX ?? 0),
    { message: 'MEDIA_PIPE_PORT_MIN and MEDIA_PIPE_PORT_MAX go together, min <= max' },
  );

export type MediaConfig = z.infer<typeof mediaConfigSchema>;

export function mediaConfigFromEnv(env: NodeJS.ProcessEnv = process.env): MediaConfig {
  return mediaConfigSchema.parse(env);
}

/** Where this node's pipes listen: what offerPipe / acceptPipe take, less `send`. */
export function pipeOptionsFromConfig(config: MediaConfig): PipeOptions {
  const announcedAddress = config.MEDIA_PIPE_ANNOUNCED_ADDRESS ?? config.MEDIA_ANNOUNCED_ADDRESS;
  return {
    listenIp: config.MEDIA_PIPE_LISTEN_IP ?? config.MEDIA_LISTEN_IP,
    ...(announcedAddress ? { announcedAddress } : {}),
    ...(config.MEDIA_PIPE_PORT_MIN !== undefined && config.MEDIA_PIPE_PORT_MAX !== undefined
      ? { portRange: { min: config.MEDIA_PIPE_PORT_MIN, max: config.MEDIA_PIPE_PORT_MAX } }
      : {}),
    deadAfterMs: config.MEDIA_PIPE_DEAD_AFTER_MS,
  };
}
