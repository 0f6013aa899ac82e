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

const PLACEMENT_TTL_MS = 24 * 3600 * 1000;

// An edge's parent: set if none, or if the one recorded is among those replaced (dead).
const SET_PARENT = `
local current = redis.call('hget', KEYS[1], ARGV[1])
local replace = current == false or current == ARGV[2]
for i = 4, #ARGV do if current == ARGV[i] then replace = true end end
if replace then
  redis.call('hset', KEYS[1], ARGV[1], ARGV[2])
  redis.call('pexpire', KEYS[1], ARGV[3])
  return ARGV[2]
end
return current`;

/**
 * Which media nodes are alive, with their capacity and load, which node holds
 * each event's origin (where speakers publish), which node serves each
 * classroom and which nodes are edges of each event: in Redis, shared by
 * every control-api instance, so that all of them send a participant to the
 * same node.
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
    const keys = await this.#scan(`${this.#prefix}:node:*`);
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
    return this.#replaceIf(`${this.#prefix}:event:${eventId}`, nodeId, replacing);
  }

  /** The node that serves the classroom's media in the event, if one was chosen. */
  async classroomNodeOf(eventId: string, classroomId: string): Promise<string | null> {
    return this.#redis.get(this.#classroomKey(eventId, classroomId));
  }

  /** As `place`, for one classroom of the event (compare-and-set on what the caller saw). */
  async placeClassroom(
    eventId: string,
    classroomId: string,
    nodeId: string,
    replacing: string | null,
  ): Promise<string> {
    return this.#replaceIf(this.#classroomKey(eventId, classroomId), nodeId, replacing);
  }

  /** Every classroom placed on the node, any event: what a drain moves. */
  async classroomsOn(nodeId: string): Promise<{ eventId: string; classroomId: string }[]> {
    const keys = await this.#scan(`${this.#prefix}:classroom:*`);
    if (keys.length === 0) return [];
    const values = await this.#redis.mget(keys);
    const found: { eventId: string; classroomId: string }[] = [];
    keys.forEach((key, i) => {
      if (values[i] !== nodeId) return;
      const [eventId, classroomId] = key.slice(`${this.#prefix}:classroom:`.length).split('/');
      if (eventId && classroomId) found.push({ eventId, classroomId });
    });
    return found;
  }

  /** The events whose origin is on the node. */
  async originsOn(nodeId: string): Promise<string[]> {
    const keys = await this.#scan(`${this.#prefix}:event:*`);
    if (keys.length === 0) return [];
    const values = await this.#redis.mget(keys);
    return keys
      .filter((_k, i) => values[i] === nodeId)
      .map((k) => k.slice(`${this.#prefix}:event:`.length));
  }

  /**
   * The node is an edge of the event, fed by a pipe from `parentId` (the
   * origin, or an edge of a tree), unless it is recorded already with another
   * parent that is not in `replacing`: returns its parent now.
   */
  async addEdge(
    eventId: string,
    nodeId: string,
    parentId: string,
    replacing: readonly string[] = [],
  ): Promise<string> {
    const key = `${this.#prefix}:edges:${eventId}`;
    const result = await this.#redis.eval(
      SET_PARENT,
      1,
      key,
      nodeId,
      parentId,
      String(PLACEMENT_TTL_MS),
      ...replacing,
    );
    return String(result);
  }

  /** The event's edges (the origin apart), each with the node feeding it. */
  async treeOf(eventId: string): Promise<Map<string, string>> {
    const tree = await this.#redis.hgetall(`${this.#prefix}:edges:${eventId}`);
    return new Map(Object.entries(tree));
  }

  /** Nodes that served classrooms of the event from a pipe (the origin apart). */
  async edgesOf(eventId: string): Promise<string[]> {
    return this.#redis.hkeys(`${this.#prefix}:edges:${eventId}`);
  }

  async forget(eventId: string): Promise<void> {
    const classrooms = await this.#scan(`${this.#prefix}:classroom:${eventId}/*`);
    await this.#redis.del(
      `${this.#prefix}:event:${eventId}`,
      `${this.#prefix}:edges:${eventId}`,
      ...classrooms,
    );
  }

  #classroomKey(eventId: string, classroomId: string): string {
    return `${this.#prefix}:classroom:${eventId}/${classroomId}`;
  }

  async #replaceIf(key: string, nodeId: string, replacing: string | null): Promise<string> {
    const result = await this.#redis.eval(
      REPLACE_IF,
      1,
      key,
      replacing ?? '',
      nodeId,
      String(PLACEMENT_TTL_MS),
    );
    return String(result);
  }

  async #scan(pattern: string): Promise<string[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await this.#redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    return keys;
  }
}
