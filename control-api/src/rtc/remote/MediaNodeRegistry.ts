import { randomUUID } from 'node:crypto';
import { MediaNodeRegistration } from '@amphi/protocol';
import type { Redis } from 'ioredis';
import { REDIS_NOW_LUA } from '../../redisStamp.ts';

/** A node that has not heart-beat for this long is dead: its registration expires. */
export const MEDIA_NODE_TTL_MS = 3_000;
export const MEDIA_NODE_HEARTBEAT_MS = 1_000;
/**
 * A reservation ends with the heartbeat that first counts what it reserved
 * (`reservationOf`); one whose participant never reached the node (a failed
 * join, a pipe) lapses after this long.
 */
const RESERVATION_MS = 3_000;
/** Edges of one event a node feeds when its registration does not say (MEDIA_NODE_MAX_PIPES). */
const DEFAULT_MAX_PIPES = 16;

const PLACEMENT_TTL_MS = 24 * 3600 * 1000;

/**
 * What a placement reserves on a node, named as the node names what it counts:
 * a classroom (`eventId/classroomId`), else the event's origin (`eventId`, its
 * speakers and moderators). A node's heartbeat ends the reservations of the
 * participants it counts from then on (`announce`), in the same step as it
 * writes the load that counts them: a participant is counted once, by its
 * reservation until its node counts it, never by both (a join storm was
 * refused near capacity, every joined class counted twice for 3 s).
 */
export function reservationOf(who: { eventId: string; classroomId: string | null }): string {
  return who.classroomId ? `${who.eventId}/${who.classroomId}` : who.eventId;
}

// The scripts below run in Redis, one at a time for every control-api
// instance: a choice and what it takes (a node's room, a parent's pipe) are
// one step, so that two instances placing at once never both take the last.

// Sets the event's node only if it is still the one the caller saw (none, or a dead one).
const REPLACE_IF = `
local current = redis.call('get', KEYS[1])
if (current == false and ARGV[1] == '') or current == ARGV[1] then
  redis.call('set', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return ARGV[2]
end
return current`;

// Shared by the scripts. Milliseconds on Redis's clock: reservations expire
// by one clock, whichever instance made them.
const COMMON = `${REDIS_NOW_LUA}

-- The live nodes, from KEYS[k]: node i's registration, then its reservations;
-- ARGV[a + i - 1] (when a is given): its role in a placement ('0' live only,
-- '1' may be chosen, '2' chosen first). A node's load is reckoned here, once:
-- its participants (heartbeat), the pipes it feeds (each sends an event's
-- media once more, as much as a classroom) and the reservations its
-- heartbeat does not count yet (it ends them as it counts them).
local function liveNodes(k, a, defaultMaxPipes, t)
  local nodes, order, i = {}, {}, 1
  while KEYS[k + 2 * i - 2] do
    local raw = redis.call('get', KEYS[k + 2 * i - 2])
    local reservations = KEYS[k + 2 * i - 1]
    if raw then
      local reg = cjson.decode(raw)
      redis.call('zremrangebyscore', reservations, '-inf', t)
      local node = {
        id = reg.nodeId,
        role = a and ARGV[a + i - 1] or '0',
        reservations = reservations,
        capacity = reg.capacity,
        draining = reg.draining == true,
        maxPipes = tonumber(reg.maxPipes) or defaultMaxPipes,
        load = reg.load + (tonumber(reg.pipes) or 0) + redis.call('zcard', reservations),
      }
      nodes[node.id] = node
      table.insert(order, node)
    end
    i = i + 1
  end
  return nodes, order
end

local function hasRoom(node)
  return not node.draining and node.load < node.capacity
end

local function reserve(node, ms, id, t)
  redis.call('zadd', node.reservations, t + tonumber(ms), id)
  redis.call('pexpire', node.reservations, ms)
  node.load = node.load + 1
end

-- The node feeding an edge of an event (edgesKey: edge -> parent): the one
-- recorded if it still reaches the origin through live nodes, else the node
-- nearest the origin that feeds fewer than its max pipes of the event, one
-- with room first (the origin when none has a pipe to spare), recorded and
-- reserved (a new pipe) at once.
local function parentFor(edgesKey, edge, origin, nodes, ttl, reservationMs, reservationId, t)
  local flat = redis.call('hgetall', edgesKey)
  local parentOf, children = {}, {}
  for i = 1, #flat, 2 do
    local e, p = flat[i], flat[i + 1]
    parentOf[e] = p
    if nodes[e] and e ~= edge then
      children[p] = children[p] or {}
      table.insert(children[p], e)
    end
  end
  for _, list in pairs(children) do table.sort(list) end
  -- Nearest the origin first; the edge, and what hangs from it, apart.
  local reach, seen, queue, head = {}, {}, { origin }, 1
  while head <= #queue do
    local n = queue[head]
    head = head + 1
    if n ~= edge and not seen[n] and (n == origin or nodes[n]) then
      seen[n] = true
      table.insert(reach, n)
      for _, c in ipairs(children[n] or {}) do table.insert(queue, c) end
    end
  end
  local current = parentOf[edge]
  if current and seen[current] then return current end
  local parent, spare
  for _, n in ipairs(reach) do
    local node = nodes[n]
    if node and #(children[n] or {}) < node.maxPipes then
      if hasRoom(node) then
        parent = n
        break
      end
      spare = spare or n
    end
  end
  parent = parent or spare or origin
  redis.call('hset', edgesKey, edge, parent)
  redis.call('pexpire', edgesKey, ttl)
  if nodes[parent] then reserve(nodes[parent], reservationMs, reservationId, t) end
  return parent
end
`;

// A placement (KEYS[1]) set only if still what the caller saw (ARGV[1]: ''
// for none) to the least-loaded node with room of those it may choose, its
// preferred ones (its region) first, reserved at once. A classroom's node
// that is not the origin (KEYS[2]) is an edge: the node that will feed it
// is chosen in the same step (KEYS[3], the event's tree), so that its pipe
// counts before the next placement (once the origin is live: a dead one's
// tree is chosen anew from the next origin). KEYS[4...]: the live nodes (see
// liveNodes). ARGV: replacing, placement ttl, reservation ms and what it
// reserves (reservationOf), default max pipes, '1' for a classroom, then each
// node's role. Returns the node
// placed now, or false when none has room.
const CHOOSE_NODE = `${COMMON}
local current = redis.call('get', KEYS[1])
if current ~= false and current ~= ARGV[1] then return current end
local t = now()
local nodes, order = liveNodes(4, 7, tonumber(ARGV[5]), t)
local best = {}
for _, node in ipairs(order) do
  if node.role ~= '0' and hasRoom(node) then
    local share = node.load / math.max(1, node.capacity)
    local group = node.role == '2' and 1 or 2
    if best[group] == nil or share < best[group].share then
      best[group] = { node = node, share = share }
    end
  end
end
local chosen = best[1] or best[2]
if chosen == nil then return false end
local node = chosen.node
reserve(node, ARGV[3], ARGV[4], t)
redis.call('set', KEYS[1], node.id, 'PX', ARGV[2])
local origin = redis.call('get', KEYS[2])
if ARGV[6] == '1' and origin and origin ~= node.id and nodes[origin] then
  parentFor(KEYS[3], node.id, origin, nodes, ARGV[2], ARGV[3], ARGV[4] .. '/pipe', t)
end
return node.id`;

// The node feeding an edge (parentFor). KEYS[1]: the event's tree; KEYS[2...]:
// the live nodes. ARGV: the edge, the origin, the tree's ttl, reservation ms
// and id, default max pipes.
const CHOOSE_PARENT = `${COMMON}
local t = now()
local nodes = liveNodes(2, nil, tonumber(ARGV[6]), t)
return parentFor(KEYS[1], ARGV[1], ARGV[2], nodes, ARGV[3], ARGV[4], ARGV[5], t)`;

/** The scripts, as ioredis's defineCommand adds them (the first argument: how many keys). */
interface RegistryScripts {
  amphiReplaceIf(key: string, ...args: string[]): Promise<string | null>;
  amphiChooseNode(keys: number, ...args: string[]): Promise<string | null>;
  amphiChooseParent(keys: number, ...args: string[]): Promise<string>;
}

/** The nodes a choice is made among, in the caller's view. */
export interface NodeChoice {
  /** Alive (not failed here): a tree may feed through any of them. */
  live: readonly string[];
  /** Of those, the ones a placement may choose (none drained here, none avoided). */
  open: readonly string[];
  /** Of `open`, the ones tried first (the classroom's region). */
  preferred?: readonly string[];
}

/**
 * Which media nodes are alive, with their capacity and load, which node holds
 * each event's origin (where speakers publish), which node serves each
 * classroom and which nodes are edges of each event: in Redis, shared by
 * every control-api instance, so that all of them send a participant to the
 * same node. Placements and a tree's parents are chosen in Redis too, each
 * choice with its reservation (what the node's heartbeat does not count
 * yet) in one step, so that instances placing at once count each other's.
 */
export class MediaNodeRegistry {
  readonly #redis: Redis;
  readonly #scripts: RegistryScripts;
  readonly #prefix: string;

  constructor(opts: { redis: Redis; namespace?: string | undefined }) {
    this.#redis = opts.redis;
    this.#prefix = `${opts.namespace ?? 'amphi'}:media`;
    // Sent by digest (EVALSHA), the text once per connection.
    opts.redis.defineCommand('amphiReplaceIf', { numberOfKeys: 1, lua: REPLACE_IF });
    opts.redis.defineCommand('amphiChooseNode', { lua: CHOOSE_NODE });
    opts.redis.defineCommand('amphiChooseParent', { lua: CHOOSE_PARENT });
    this.#scripts = opts.redis as unknown as RegistryScripts;
  }

  /**
   * A node's heartbeat: its registration, alive for MEDIA_NODE_TTL_MS more,
   * and the end of the reservations of what its load now counts (`counted`:
   * `reservationOf` each participant that came since its last heartbeat), in
   * one step: placement never sees them counted twice, nor not at all.
   */
  async announce(node: MediaNodeRegistration, counted: readonly string[] = []): Promise<void> {
    const step = this.#redis
      .multi()
      .set(`${this.#prefix}:node:${node.nodeId}`, JSON.stringify(node), 'PX', MEDIA_NODE_TTL_MS);
    if (counted.length > 0) step.zrem(this.#reservedKey(node.nodeId), ...counted);
    const results = await step.exec();
    const failed = results?.find(([err]) => err !== null)?.[0];
    if (failed) throw failed;
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
   * Puts the event's origin on the least-loaded candidate with room, unless
   * another instance placed it first (or re-placed it after `replacing`
   * died): returns the node it is on now, null when no candidate has room.
   */
  async chooseOrigin(
    eventId: string,
    nodes: NodeChoice,
    replacing: string | null,
  ): Promise<string | null> {
    return this.#choose(eventId, `${this.#prefix}:event:${eventId}`, nodes, replacing, null);
  }

  /**
   * As `chooseOrigin`, for one classroom of the event (its region's nodes
   * first); on a node other than the origin, the node that will feed it is
   * chosen in the same step (`chooseParent`), its pipe counted at once.
   */
  async chooseClassroomNode(
    eventId: string,
    classroomId: string,
    nodes: NodeChoice,
    replacing: string | null,
  ): Promise<string | null> {
    return this.#choose(eventId, this.#classroomKey(eventId, classroomId), nodes, replacing, {
      eventId,
      classroomId,
    });
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
   * The node feeding `edgeId`, an edge of the event: the one recorded if it
   * still reaches the origin through `live` nodes, else the nearest to the
   * origin with a pipe of the event to spare (its max pipes), one with room
   * first, recorded at once: every instance feeds the edge from the same
   * node, and none feeds more than its share.
   */
  async chooseParent(
    eventId: string,
    edgeId: string,
    originId: string,
    live: readonly string[],
  ): Promise<string> {
    const keys = [`${this.#prefix}:edges:${eventId}`, ...this.#nodeKeys(live)];
    return this.#scripts.amphiChooseParent(
      keys.length,
      ...keys,
      edgeId,
      originId,
      String(PLACEMENT_TTL_MS),
      String(RESERVATION_MS),
      randomUUID(),
      String(DEFAULT_MAX_PIPES),
    );
  }

  /**
   * Writes an edge's parent back where Redis lost it (a restart), unless one
   * is recorded: every instance that fed it writes the same, the first stays.
   */
  async keepEdge(eventId: string, edgeId: string, parentId: string): Promise<void> {
    const key = `${this.#prefix}:edges:${eventId}`;
    await this.#redis.multi().hsetnx(key, edgeId, parentId).pexpire(key, PLACEMENT_TTL_MS).exec();
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

  #reservedKey(nodeId: string): string {
    return `${this.#prefix}:reserved:${nodeId}`;
  }

  async #choose(
    eventId: string,
    key: string,
    nodes: NodeChoice,
    replacing: string | null,
    classroom: { eventId: string; classroomId: string } | null,
  ): Promise<string | null> {
    // In a stable order: between equal shares, the first wins on every instance.
    const live = [...new Set([...nodes.live, ...nodes.open])].sort();
    const open = new Set(nodes.open);
    const preferred = new Set(nodes.preferred ?? []);
    const keys = [
      key,
      `${this.#prefix}:event:${eventId}`,
      `${this.#prefix}:edges:${eventId}`,
      ...this.#nodeKeys(live),
    ];
    return this.#scripts.amphiChooseNode(
      keys.length,
      ...keys,
      replacing ?? '',
      String(PLACEMENT_TTL_MS),
      String(RESERVATION_MS),
      reservationOf(classroom ?? { eventId, classroomId: null }),
      String(DEFAULT_MAX_PIPES),
      classroom ? '1' : '0',
      ...live.map((id) => (!open.has(id) ? '0' : preferred.has(id) ? '2' : '1')),
    );
  }

  /** Each node's registration, then its reservations (as the scripts read them). */
  #nodeKeys(nodeIds: readonly string[]): string[] {
    return nodeIds.flatMap((id) => [`${this.#prefix}:node:${id}`, this.#reservedKey(id)]);
  }

  async #replaceIf(key: string, nodeId: string, replacing: string | null): Promise<string> {
    const result = await this.#scripts.amphiReplaceIf(
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
