import type { Redis } from 'ioredis';
import { z } from 'zod';
import { NEXT_STAMP_LUA } from '../../redisStamp.ts';

/** An operator's word on a node: draining or not, and when it was said. */
export const DrainRecord = z.object({
  draining: z.boolean(),
  /**
   * Stamped by Redis when the word is said (ms on Redis's clock, after the
   * record's last stamp): the newest word wins, whichever instance took it.
   */
  at: z.number().int(),
});
export type DrainRecord = z.infer<typeof DrainRecord>;

/** Kept this long after the last word (a node gone for good leaves nothing behind). */
const RECORD_TTL_MS = 7 * 24 * 3600 * 1000;

// An operator's word, stamped in Redis after the record in force (next_stamp): the
// instance's own clock is never read. With its Date.now(), an undrain through an
// instance 30 s behind the one that took the drain was refused for 30 s.
const SAY = `${NEXT_STAMP_LUA}
local last = nil
local current = redis.call('get', KEYS[1])
if current then
  local ok, parsed = pcall(cjson.decode, current)
  if ok and type(parsed) == 'table' then last = tonumber(parsed.at) end
end
local record = string.format('{"draining":%s,"at":%d}', ARGV[1], next_stamp(last))
redis.call('set', KEYS[1], record, 'PX', ARGV[2])
return record`;

// A write-back (reassert): the record unless the one there is newer: an undrain read late is not undone by a
// stale drain written back, and the other way round.
const SET_IF_NEWER = `
local current = redis.call('get', KEYS[1])
if current then
  local ok, parsed = pcall(cjson.decode, current)
  if ok and type(parsed) == 'table' and tonumber(parsed.at) and tonumber(parsed.at) >= tonumber(ARGV[2]) then
    return current
  end
end
redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[3])
return ARGV[1]`;

/**
 * Which media nodes an operator is draining, in Redis, seen by every
 * control-api instance. Redis may restart empty: every instance remembers the
 * records it has read and writes them back (`reassert`), the newest word
 * winning, so that neither a drain nor an undrain is lost with it.
 */
export class NodeDrains {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #known = new Map<string, DrainRecord>();

  constructor(opts: { redis: Redis; namespace?: string | undefined }) {
    this.#redis = opts.redis;
    this.#prefix = `${opts.namespace ?? 'amphi'}:media:drain:`;
  }

  /** Records the operator's word, stamped by Redis after the record there: it is in force. */
  async set(nodeId: string, draining: boolean): Promise<DrainRecord> {
    const said = await this.#redis.eval(
      SAY,
      1,
      this.#prefix + nodeId,
      draining ? 'true' : 'false',
      String(RECORD_TTL_MS),
    );
    const record = parse(String(said));
    if (!record) throw new Error(`drain record for ${nodeId} unreadable: ${String(said)}`);
    this.#remember(nodeId, record);
    return record;
  }

  /** Every node's record, as Redis has them, merged with what this instance remembers. */
  async read(): Promise<Map<string, DrainRecord>> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await this.#redis.scan(
        cursor,
        'MATCH',
        `${this.#prefix}*`,
        'COUNT',
        200,
      );
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    const values = keys.length ? await this.#redis.mget(keys) : [];
    keys.forEach((key, i) => {
      const record = parse(values[i] ?? null);
      if (record) this.#remember(key.slice(this.#prefix.length), record);
    });
    return new Map(this.#known);
  }

  /**
   * Reads the records, and writes back those Redis lost (a restart) or holds
   * older (set-if-newer: cheap, a few nodes). Resolves with every record in force.
   */
  async reassert(): Promise<Map<string, DrainRecord>> {
    await this.read();
    for (const [nodeId, record] of [...this.#known]) await this.#write(nodeId, record);
    return new Map(this.#known);
  }

  /** The last record this instance read or wrote for the node. */
  known(nodeId: string): DrainRecord | undefined {
    return this.#known.get(nodeId);
  }

  async #write(nodeId: string, record: DrainRecord): Promise<DrainRecord> {
    const result = await this.#redis.eval(
      SET_IF_NEWER,
      1,
      this.#prefix + nodeId,
      JSON.stringify(record),
      String(record.at),
      String(RECORD_TTL_MS),
    );
    const inForce = parse(String(result)) ?? record;
    this.#remember(nodeId, inForce);
    return inForce;
  }

  #remember(nodeId: string, record: DrainRecord): void {
    const mine = this.#known.get(nodeId);
    if (!mine || mine.at <= record.at) this.#known.set(nodeId, record);
  }
}

function parse(raw: string | null): DrainRecord | null {
  if (raw === null) return null;
  try {
    const parsed = DrainRecord.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
