import { MediaNodeRegistration } from '@amphi/protocol';
import type { Redis } from 'ioredis';

/** A node that has not heart-beat for this long is dead: its registration expires. */
export const MEDIA_NODE_TTL_MS = 3_000;
export const MEDIA_NODE_HEARTBEAT_MS = 1_000;

// Sets the event's node only if it is still the one the caller saw (none, or a dead one).
const REPLACE_IF = `
local current = redis.call('get', KEYS[1])
if (current == false and ARGV[1] == '') or current == ARGV[1] then
  redis.call('set', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return ARGV[2]
end
return current`;

/**
 * Which media nodes are alive, with their capacity and load, and which node
 * holds each event's broadcast: in Redis, shared by every control-api
 * instance, so that all of them send an event's participants to one node.
 */
export class MediaNodeRegistry {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(opts: { redis: Redis; namespace?: string | undefined }) {
    this.#redis = opts.redis;
    this.#prefix = `${opts.namespace ?? 'amphi'}:media`;
  }

  /** A node's heartbeat: its registration, alive for MEDIA_NODE_TTL_MS more. */
  async announce(node: MediaNodeRegistration): Promise<void> {
    await this.#redis.set(
      `${this.#prefix}:node:${node.nodeId}`,
      JSON.stringify(node),
      'PX',
      MEDIA_NODE_TTL_MS,
    );
  }

  async withdraw(nodeId: string): Promise<void> {
    await this.#redis.del(`${this.#prefix}:node:${nodeId}`);
  }

  /** The nodes alive now (registrations that parse; anything else is ignored). */
  async nodes(): Promise<MediaNodeRegistration[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await this.#redis.scan(
        cursor,
        'MATCH',
        `${this.#prefix}:node:*`,
        'COUNT',
        200,
      );
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    if (keys.length === 0) return [];
    const values = await this.#redis.mget(keys);
    const nodes: MediaNodeRegistration[] = [];
    for (const v of values) {
      if (v === null) continue;
      const parsed = MediaNodeRegistration.safeParse(JSON.parse(v));
      if (parsed.success) nodes.push(parsed.data);
    }
    return nodes;
  }

  /** The node that holds the event's broadcast, if one was chosen. */
  async nodeOf(eventId: string): Promise<string | null> {
    return this.#redis.get(`${this.#prefix}:event:${eventId}`);
  }

  /**
   * Puts the event on `nodeId` unless another instance placed it first (or
   * re-placed it after `replacing` died): returns the node it is on now.
   */
  async place(eventId: string, nodeId: string, replacing: string | null): Promise<string> {
    const result = await this.#redis.eval(
      REPLACE_IF,
      1,
      `${this.#prefix}:event:${eventId}`,
      replacing ?? '',
      nodeId,
      String(24 * 3600 * 1000),
    );
    return String(result);
  }

  async forget(eventId: string): Promise<void> {
    await this.#redis.del(`${this.#prefix}:event:${eventId}`);
  }
}
