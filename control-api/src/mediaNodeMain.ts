import { mediaConfigFromEnv, pipeOptionsFromConfig } from '@amphi/media-server';
import { Redis } from 'ioredis';
import { createLogger } from './logger.ts';
import { InProcessMediaNode } from './rtc/InProcessMediaNode.ts';
import { MEDIA_NODE_HEARTBEAT_MS, MediaNodeRegistry } from './rtc/remote/MediaNodeRegistry.ts';
import { MediaNodeServer } from './rtc/remote/MediaNodeServer.ts';
import { defaultNodeId, loadMediaNodeConfig } from './rtc/remote/mediaNodeConfig.ts';
import { NodePipes } from './rtc/remote/NodePipes.ts';

/**
 * `npm run media-node`: one per host. This host's mediasoup workers (set by
 * media-server's MEDIA_* variables), a control channel for the control-api
 * instances, and a registration in Redis refreshed every second: a node that
 * stops heart-beating is dead within 3 s. Its broadcasts are the origin of
 * an event or an edge fed from another node's origin by a pipe (MEDIA_PIPE_*:
 * the UDP ports to open between media hosts).
 */
const config = loadMediaNodeConfig();
const mediaConfig = mediaConfigFromEnv();
const rootLog = createLogger(config.LOG_LEVEL);
const media = await InProcessMediaNode.create(mediaConfig, rootLog.child({ component: 'media' }));
const pipes = new NodePipes({
  broadcastOf: (eventId) => media.broadcast(eventId),
  pipeOptions: pipeOptionsFromConfig(mediaConfig),
  secret: config.MEDIA_NODE_SECRET,
  log: rootLog.child({ component: 'pipes' }),
});
const server = await MediaNodeServer.start({
  media,
  pipes,
  sessionGraceMs: media.sessionGraceMs,
  secret: config.MEDIA_NODE_SECRET,
  host: config.MEDIA_NODE_HOST,
  port: config.MEDIA_NODE_PORT,
  log: rootLog.child({ component: 'media-node' }),
});
const nodeId = defaultNodeId(config, server.port);
const url = config.MEDIA_NODE_URL ?? `ws://${config.MEDIA_NODE_HOST}:${server.port}`;
const log = rootLog.child({ component: 'media-node', nodeId });
const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1 });
redis.on('error', (err) => log.warn({ err: err.message }, 'registry unreachable'));
const registry = new MediaNodeRegistry({ redis, namespace: config.REDIS_NAMESPACE });
const capacity = config.MEDIA_NODE_CAPACITY ?? mediaConfig.MEDIA_WORKERS * 500;

// One heartbeat at a time: an older one written after a newer one would
// un-count participants whose reservations the newer one ended.
let beating: Promise<void> | undefined;
const heartbeat = async () => {
  if (beating) return beating;
  const { load, arrived } = server.beat();
  beating = registry
    .announce(
      {
        nodeId,
        url,
        region: config.MEDIA_NODE_REGION ?? null,
        capacity,
        ...(config.MEDIA_NODE_MAX_PIPES ? { maxPipes: config.MEDIA_NODE_MAX_PIPES } : {}),
        load,
        pipes: pipes.feeding,
        draining: false,
        at: Date.now(),
      },
      arrived,
    )
    .catch((err: unknown) => {
      server.unsaid(arrived);
      log.warn({ err }, 'heartbeat failed');
    })
    .finally(() => {
      beating = undefined;
    });
  return beating;
};
await heartbeat();
const beats = setInterval(heartbeat, MEDIA_NODE_HEARTBEAT_MS);

process.stdout.write(
  `Amphi media node ${nodeId} on ${url}: ${media.pool.workers.length} mediasoup worker(s), media on ${mediaConfig.MEDIA_ANNOUNCED_ADDRESS ?? mediaConfig.MEDIA_LISTEN_IP}, capacity ${capacity} classrooms\n`,
);

let stopping = false;
async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'stopping');
  clearInterval(beats);
  await registry.withdraw(nodeId).catch(() => {});
  await server.close();
  pipes.close();
  await media.close();
  redis.disconnect();
  process.exit(0);
}
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
