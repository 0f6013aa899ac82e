import os from 'node:os';
import { z } from 'zod';

const optionalPort = z.coerce.number().int().min(1).max(65535).optional();

/**
 * Media-plane settings, read once from the environment. The defaults run on one
 * machine with nothing else set up: one worker per core, loopback only.
 */
export const mediaConfigSchema = z.object({
  /** mediasoup workers to run; one per core by default. */
  MEDIA_WORKERS: z.coerce.number().int().min(1).default(os.availableParallelism()),
  /** Address the WebRtcServers and plain transports listen on. */
  MEDIA_LISTEN_IP: z.string().default('127.0.0.1'),
  /** Public address given to browsers (needed when listening on 0.0.0.0 behind NAT). */
  MEDIA_ANNOUNCED_ADDRESS: z.string().optional(),
  /** Worker i's WebRtcServer uses this port + i for UDP and for TCP; random when unset. */
  MEDIA_RTC_PORT_BASE: optionalPort,
  MEDIA_LOG_LEVEL: z.enum(['debug', 'warn', 'error', 'none']).default('warn'),
});

export type MediaConfig = z.infer<typeof mediaConfigSchema>;

export function mediaConfigFromEnv(env: NodeJS.ProcessEnv = process.env): MediaConfig {
  return mediaConfigSchema.parse(env);
}
