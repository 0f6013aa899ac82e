import { Redis } from 'ioredis';
import { MediaNodeRegistry } from '../../src/rtc/remote/MediaNodeRegistry.ts';
import { ControlApiProcess } from './ControlApiProcess.ts';
import { createTestDatabase, JOIN_SECRET, OPERATOR_TOKEN } from './harness.ts';
import { MediaNodeProcess } from './MediaNodeProcess.ts';
import { RedisProcess } from './RedisProcess.ts';

/**
 * The cluster as deployed, over a Redis of the test's own: two media nodes
 * (`npm run media-node`, node-a and node-b) and two control-api processes
 * (api1, api2) sharing one database, the media plane remote.
 */
export interface ProcessCluster {
  redis: RedisProcess;
  databaseUrl: string;
  nodes: MediaNodeProcess[];
  apis: [ControlApiProcess, ControlApiProcess];
  /** The media nodes' registry, read from the test's own connection. */
  registry: MediaNodeRegistry;
  close(): Promise<void>;
}

export async function startProcessCluster(opts: {
  /** The media nodes' shared secret. */
  secret: string;
  /** More of the control-api instances' environment. */
  apiEnv?: Record<string, string>;
}): Promise<ProcessCluster> {
  const redis = await RedisProcess.start();
  const nodes: MediaNodeProcess[] = [];
  for (const id of ['node-a', 'node-b']) {
    nodes.push(
      await MediaNodeProcess.start({
        MEDIA_NODE_SECRET: opts.secret,
        REDIS_URL: redis.url,
        MEDIA_NODE_ID: id,
      }),
    );
  }
  const databaseUrl = await createTestDatabase();
  const env = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redis.url,
    JOIN_TOKEN_SECRET: JOIN_SECRET,
    OPERATOR_TOKEN,
    SEED_DEMO: 'false',
    MEDIA_PLANE: 'remote',
    MEDIA_NODE_SECRET: opts.secret,
    ...opts.apiEnv,
  };
  const apis: [ControlApiProcess, ControlApiProcess] = [
    await ControlApiProcess.start({ ...env, INSTANCE_ID: 'api1' }),
    await ControlApiProcess.start({ ...env, INSTANCE_ID: 'api2' }),
  ];
  await Promise.all(apis.map((a) => a.healthyWithin(60_000)));
  const registryRedis = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  registryRedis.on('error', () => {});
  const registry = new MediaNodeRegistry({ redis: registryRedis });
  return {
    redis,
    databaseUrl,
    nodes,
    apis,
    registry,
    async close() {
      for (const a of apis) await a.stop().catch(() => {});
      for (const a of apis) a.killGroup();
      for (const n of nodes) await n.stop();
      registryRedis.disconnect();
      await redis.kill();
    },
  };
}
