import { Redis } from 'ioredis';
import type { LiveHub } from '../../live/LiveHub.ts';
import type { Logger } from '../../logger.ts';
import type { MediaNode } from '../MediaNode.ts';
import { ClusterMediaNode } from '../remote/ClusterMediaNode.ts';
import { NodeDrainer } from './NodeDrainer.ts';
import { NodeDrains } from './NodeDrains.ts';

/**
 * The drain of a cluster's media nodes, in this instance: only when the media
 * plane is the cluster's (MEDIA_PLANE=remote); null on a single host. Its own
 * Redis connection, failing fast: a tick with Redis away is skipped.
 */
export function startNodeDrainer(opts: {
  media: MediaNode;
  redisUrl: string | undefined;
  hub: LiveHub;
  log: Logger;
  /** Classrooms asked to move per tick, and the tick (default: NodeDrainer's DRAIN_PACING). */
  pacing?: { batchSize: number; intervalMs: number };
}): { drainer: NodeDrainer; close: () => Promise<void> } | null {
  const { media, redisUrl, hub } = opts;
  if (!(media instanceof ClusterMediaNode) || !redisUrl) return null;
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  redis.on('error', () => {}); // the bus logs Redis outages
  const drainer = new NodeDrainer({
    drains: new NodeDrains({ redis }),
    media,
    registry: media.registry,
    member: (eventId, participantId) => hub.member(eventId, participantId),
    log: opts.log.child({ component: 'drain' }),
    ...opts.pacing,
  });
  drainer.start();
  return {
    drainer,
    close: async () => {
      drainer.close();
      redis.disconnect();
    },
  };
}
