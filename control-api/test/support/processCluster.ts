import { Redis } from 'ioredis';
import { MediaNodeRegistry } from '../../src/rtc/remote/MediaNodeRegistry.ts';
import { ControlApiProcess } from './ControlApiProcess.ts';
import { createTestDatabase, JOIN_SECRET, OPERATOR_TOKEN } from './harness.ts';
import { MediaNodeProcess } from './MediaNodeProcess.ts';
import { RedisProcess } from './RedisProcess.ts';

/** The control-api instances of a cluster: api1, or api1 and api2. */
type Instances<N extends 1 | 2> = N extends 1
  ? [ControlApiProcess]
  : [ControlApiProcess, ControlApiProcess];

/**
 * The cluster as deployed, over a Redis of the test's own: media nodes
 * (`npm run media-node`, node-a and node-b unless said) and control-api
 * processes (api1, api2 unless one) sharing one database, the media plane
 * remote. It resolves once every media node is registered. With
 * TEST_NODE_OUTPUT set, every process logs at info and close() prints the
 * ends of their outputs first.
 */
export interface ProcessCluster<N extends 1 | 2 = 2> {
  redis: RedisProcess;
  databaseUrl: string;
  /** The media node processes by id (one started again replaces its entry). */
  nodes: Map<string, MediaNodeProcess>;
  apis: Instances<N>;
  /** The test's own connection to the cluster's Redis (the registry's). */
  registryRedis: Redis;
  /** The media nodes' registry, read from the test's own connection. */
  registry: MediaNodeRegistry;
  /** Starts media node `id` (again, after a crash: a host's restart under the same id). */
  startNode(id: string): Promise<MediaNodeProcess>;
  /** Resolves once the registry lists every one of `ids` (every node's, unless said). */
  registered(ids?: string[]): Promise<void>;
  close(): Promise<void>;
}

const verbose = (): Record<string, string> =>
  process.env.TEST_NODE_OUTPUT ? { LOG_LEVEL: 'info' } : {};

export async function startProcessCluster<N extends 1 | 2 = 2>(opts: {
  /** The media nodes' shared secret. */
  secret: string;
  /** More of the control-api instances' environment. */
  apiEnv?: Record<string, string>;
  /** The media nodes' ids. */
  nodeIds?: string[];
  /** How many control-api instances (api1, api2). */
  instances?: N;
  /** One instance's own environment over apiEnv, by its id (api1, api2). */
  instanceEnv?: Record<string, Record<string, string>>;
}): Promise<ProcessCluster<N>> {
  const redis = await RedisProcess.start();
  const nodeIds = opts.nodeIds ?? ['node-a', 'node-b'];
  const nodes = new Map<string, MediaNodeProcess>();
  const startNode = async (id: string) => {
    const node = await MediaNodeProcess.start({
      MEDIA_NODE_SECRET: opts.secret,
      REDIS_URL: redis.url,
      MEDIA_NODE_ID: id,
      ...verbose(),
    });
    nodes.set(id, node);
    return node;
  };
  for (const id of nodeIds) await startNode(id);
  const databaseUrl = await createTestDatabase();
  const env = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redis.url,
    JOIN_TOKEN_SECRET: JOIN_SECRET,
    OPERATOR_TOKEN,
    SEED_DEMO: 'false',
    MEDIA_PLANE: 'remote',
    MEDIA_NODE_SECRET: opts.secret,
    ...verbose(),
    ...opts.apiEnv,
  };
  const apis: ControlApiProcess[] = [];
  for (const id of ['api1', 'api2'].slice(0, opts.instances ?? 2)) {
    apis.push(
      await ControlApiProcess.start({ ...env, INSTANCE_ID: id, ...opts.instanceEnv?.[id] }),
    );
  }
  await Promise.all(apis.map((a) => a.healthyWithin(60_000)));
  const registryRedis = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  registryRedis.on('error', () => {});
  const registry = new MediaNodeRegistry({ redis: registryRedis });
  const registered = async (ids = nodeIds) => {
    for (const deadline = Date.now() + 15_000; ; ) {
      const seen = (await registry.nodes()).map((n) => n.nodeId);
      if (ids.every((id) => seen.includes(id))) return;
      if (Date.now() > deadline) throw new Error(`the media nodes ${ids} did not register`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  await registered();
  return {
    redis,
    databaseUrl,
    nodes,
    apis: apis as Instances<N>,
    registryRedis,
    registry,
    startNode,
    registered,
    async close() {
      if (process.env.TEST_NODE_OUTPUT) {
        for (const [id, n] of nodes) console.info(`--- ${id}\n${n.out.slice(-20_000)}`);
        for (const a of apis) console.info(`--- ${a.url}\n${a.out.slice(-20_000)}`);
      }
      for (const a of apis) await a.stop().catch(() => {});
      for (const a of apis) a.killGroup();
      for (const n of nodes.values()) await n.stop();
      registryRedis.disconnect();
      await redis.kill();
    },
  };
}
