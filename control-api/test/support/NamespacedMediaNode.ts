import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import {
  ClusterMediaNode,
  type ClusterMediaNodeOptions,
} from '../../src/rtc/remote/ClusterMediaNode.ts';
import { MediaNodeRegistry } from '../../src/rtc/remote/MediaNodeRegistry.ts';
import { MediaNodeProcess } from './MediaNodeProcess.ts';

/**
 * One media node process (`npm run media-node`) on the run's shared Redis,
 * under a namespace of the test's own, and the media planes of in-process
 * control-api instances reaching it (`plane()`, each over a Redis connection
 * of its own; pass `namespace` to their bus). close() stops the node and ends
 * every connection.
 */
export class NamespacedMediaNode {
  readonly namespace: string;
  readonly process: MediaNodeProcess;
  readonly #secret: string;
  readonly #connections: Redis[] = [];

  private constructor(namespace: string, secret: string, node: MediaNodeProcess) {
    this.namespace = namespace;
    this.#secret = secret;
    this.process = node;
  }

  /** `graceMs`: how long the node keeps a dropped socket's media for a resume. */
  static async start(opts: {
    prefix: string;
    secret: string;
    nodeId: string;
    graceMs: number;
  }): Promise<NamespacedMediaNode> {
    const namespace = `${opts.prefix}-${randomUUID()}`;
    const node = await MediaNodeProcess.start({
      MEDIA_NODE_SECRET: opts.secret,
      REDIS_URL: inject('redisUrl'),
      REDIS_NAMESPACE: namespace,
      MEDIA_NODE_ID: opts.nodeId,
      MEDIA_SESSION_GRACE_MS: String(opts.graceMs),
    });
    return new NamespacedMediaNode(namespace, opts.secret, node);
  }

  /** The namespace's media node registry, over a connection of its own. */
  registry(): MediaNodeRegistry {
    const redis = new Redis(inject('redisUrl'));
    this.#connections.push(redis);
    return new MediaNodeRegistry({ redis, namespace: this.namespace });
  }

  /** An instance's media plane reaching the node; `make` builds a subclass of it. */
  plane(
    make: (opts: ClusterMediaNodeOptions) => ClusterMediaNode = (o) => new ClusterMediaNode(o),
  ): ClusterMediaNode {
    return make({
      registry: this.registry(),
      secret: this.#secret,
      log: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
    });
  }

  async close(): Promise<void> {
    await this.process.stop();
    for (const r of this.#connections.splice(0)) r.disconnect();
  }
}
