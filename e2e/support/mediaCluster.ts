import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { createLogger, type Logger } from '../../control-api/src/logger.ts';
import { ClusterMediaNode } from '../../control-api/src/rtc/remote/ClusterMediaNode.ts';
import { MediaNodeRegistry } from '../../control-api/src/rtc/remote/MediaNodeRegistry.ts';
import { MediaNodeProcess } from '../../control-api/test/support/MediaNodeProcess.ts';

/**
 * Media nodes as on several hosts (`npm run media-node` processes sharing the
 * e2e Redis) and the control-api's view of them (MEDIA_PLANE=remote): what a
 * LiveSession takes as its media plane.
 */
export class MediaCluster {
  private constructor(
    readonly nodes: Map<string, MediaNodeProcess>,
    readonly redis: Redis,
    readonly registry: MediaNodeRegistry,
    readonly media: ClusterMediaNode,
    readonly log: Logger,
  ) {}

  static async start(secret: string, nodeIds: string[]): Promise<MediaCluster> {
    const env = { MEDIA_NODE_SECRET: secret, REDIS_URL: inject('redisUrl') };
    const nodes = new Map<string, MediaNodeProcess>();
    for (const id of nodeIds)
      nodes.set(id, await MediaNodeProcess.start({ ...env, MEDIA_NODE_ID: id }));
    const redis = new Redis(inject('redisUrl'));
    const registry = new MediaNodeRegistry({ redis });
    const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
    return new MediaCluster(
      nodes,
      redis,
      registry,
      new ClusterMediaNode({ registry, secret, log }),
      log,
    );
  }

  /** Stops the nodes still running and lets Redis go (the session closes the media plane). */
  async close(): Promise<void> {
    for (const n of this.nodes.values()) await n.stop();
    this.redis.disconnect();
  }
}
