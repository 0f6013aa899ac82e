import { mediaConfigFromEnv } from '@amphi/media-server';
import { Redis } from 'ioredis';
import type { Config } from '../config.ts';
import { connectDatabase } from '../db/Database.ts';
import type { Logger } from '../logger.ts';
import { InProcessMediaNode } from './InProcessMediaNode.ts';
import type { MediaNode } from './MediaNode.ts';
import { ClusterMediaNode } from './remote/ClusterMediaNode.ts';
import { classroomRegions } from './remote/classroomRegions.ts';
import { MediaNodeRegistry } from './remote/MediaNodeRegistry.ts';
import { UnavailableMediaNode } from './UnavailableMediaNode.ts';

/**
 * The seam where main.ts gets its media plane: mediasoup workers in this
 * process, set by media-server's variables (MEDIA_WORKERS, MEDIA_LISTEN_IP,
 * MEDIA_ANNOUNCED_ADDRESS, MEDIA_RTC_PORT_BASE, MEDIA_LOG_LEVEL). If the workers
 * cannot start, the rest of the event still runs and media requests answer
 * MEDIA_UNAVAILABLE. With MEDIA_PLANE=remote, media nodes on other hosts
 * instead (`npm run media-node`), found in Redis; `databaseUrl` gives the
 * classrooms' regions (their schools' académies) for placement.
 */
export async function createMediaNode(
  config: Config,
  log: Logger,
  env: NodeJS.ProcessEnv = process.env,
  databaseUrl?: string,
): Promise<MediaNode> {
  const mediaLog = log.child({ component: 'media' });
  if (config.MEDIA_PLANE === 'remote') return clusterMediaNode(config, mediaLog, databaseUrl);
  const mediaConfig = mediaConfigFromEnv(env);
  try {
    const node = await InProcessMediaNode.create(mediaConfig, mediaLog);
    mediaLog.info(
      {
        workers: mediaConfig.MEDIA_WORKERS,
        listenIp: mediaConfig.MEDIA_LISTEN_IP,
        announcedAddress: mediaConfig.MEDIA_ANNOUNCED_ADDRESS,
        rtcPortBase: mediaConfig.MEDIA_RTC_PORT_BASE,
      },
      'in-process media node ready',
    );
    return node;
  } catch (err) {
    mediaLog.error(
      { err },
      'mediasoup workers did not start: media requests will answer MEDIA_UNAVAILABLE',
    );
    return new UnavailableMediaNode();
  }
}

/** The media nodes of a cluster, through the registry in Redis. */
async function clusterMediaNode(
  config: Config,
  log: Logger,
  databaseUrl: string | undefined,
): Promise<MediaNode> {
  if (!config.REDIS_URL || !config.MEDIA_NODE_SECRET) {
    throw new Error(
      'Invalid configuration:\n  MEDIA_PLANE=remote: set REDIS_URL and MEDIA_NODE_SECRET too',
    );
  }
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1 });
  redis.on('error', () => {}); // the bus logs Redis outages
  const sql = databaseUrl ? connectDatabase(databaseUrl, { max: 2 }) : undefined;
  const node = new ClusterMediaNode({
    registry: new MediaNodeRegistry({ redis }),
    secret: config.MEDIA_NODE_SECRET,
    log,
    ...(sql ? { regionsOf: classroomRegions(sql) } : {}),
    release: async () => {
      redis.disconnect();
      await sql?.end({ timeout: 5 });
    },
  });
  log.info('media plane: the media nodes registered in Redis');
  return node;
}
