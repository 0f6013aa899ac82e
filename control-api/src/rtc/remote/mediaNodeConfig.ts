import { hostname } from 'node:os';
import { z } from 'zod';

/** A media node's settings (`npm run media-node`), from environment variables, parsed once. */
export const MediaNodeConfigSchema = z.object({
  /** The cluster's shared secret (the control-api's MEDIA_NODE_SECRET). */
  MEDIA_NODE_SECRET: z.string().min(32),
  /** Where the control channel listens: the hosts' private network, never the public one. */
  MEDIA_NODE_HOST: z.string().default('127.0.0.1'),
  MEDIA_NODE_PORT: z.coerce.number().int().min(0).max(65535).default(7880),
  /** How control-api instances reach it (default ws://MEDIA_NODE_HOST:MEDIA_NODE_PORT). */
  MEDIA_NODE_URL: z.url().optional(),
  /** Its name in the registry (default: the host name and port). */
  MEDIA_NODE_ID: z.string().min(1).max(64).optional(),
  /** An operator's region tag (an overseas académie): classrooms prefer their region's node. */
  MEDIA_NODE_REGION: z.string().min(1).max(64).optional(),
  /** Classrooms it may carry, each pipe it feeds counting as one (default: 500 per worker). */
  MEDIA_NODE_CAPACITY: z.coerce.number().int().min(1).optional(),
  /**
   * Edges of one event it feeds at most (each a pipe, the event's whole media
   * once more on its uplink): more are fed by its edges, a tree. Default 16.
   */
  MEDIA_NODE_MAX_PIPES: z.coerce.number().int().min(1).max(1000).optional(),
  /** The registry. */
  REDIS_URL: z.string().min(1),
  /** Its keys' prefix: several clusters (or test runs) on one Redis. */
  REDIS_NAMESPACE: z.string().min(1).max(64).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
export type MediaNodeConfig = z.infer<typeof MediaNodeConfigSchema>;

export function loadMediaNodeConfig(env: NodeJS.ProcessEnv = process.env): MediaNodeConfig {
  const parsed = MediaNodeConfigSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid media node configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

export function defaultNodeId(config: MediaNodeConfig, port: number): string {
  return config.MEDIA_NODE_ID ?? `${hostname()}:${port}`;
}
