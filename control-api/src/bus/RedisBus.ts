import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { z } from 'zod';
import type { Logger } from '../logger.ts';
import type { Bus, BusHandler, GapHandler } from './Bus.ts';
import { BusMessage, EPHEMERAL_KINDS } from './BusMessage.ts';

export interface RedisBusOptions {
  url: string;
  /** Key and channel prefix, so several deployments (or test files) can share a Redis. */
  namespace?: string;
  instanceId?: string;
  /** Entries kept in the stream (approximate). */
  streamMaxLength?: number;
  /**
   * Durable messages held while Redis is unreachable. Past it the oldest are
   * dropped and their events resynchronised from PostgreSQL once Redis is back.
   */
  outboxLimit?: number;
  log?: Logger;
}

/**
 * Stream entry telling every instance that messages of an event may be
 * missing: the publisher dropped some, or wrote them late, after another
 * instance's newer ones. Internal to the bus; subscribers get `onGap`.
 */
const GapMessage = z.object({ kind: z.literal('bus.gap'), eventId: z.uuid() });

type Outgoing = { eventId: string; payload: string };

const FLUSH_BATCH = 500;
const RETRY_MS = 200;

/**
 * The bus across instances, over Redis:
 * - messages that must not be lost (questions, hands, stage...) go through a
 *   Redis stream; each instance reads it from where it left off;
 * - ephemeral ones (presence snapshots, re-sent every few seconds) use pub/sub
 *   and are dropped while Redis is unreachable.
 *
 * publish() never waits for Redis: durable messages go to a bounded outbox,
 * written in order whenever Redis takes writes. PostgreSQL is the source of
 * truth, so what Redis may lose (a restart without persistence, an
 * overflowing outbox, entries written late and out of order with another
 * instance's) is repaired by a gap: subscribers re-read the events concerned.
 * A gap is signalled for every event when this instance's stream reader comes
 * back after losing Redis, and for the events whose messages this instance
 * dropped or delayed, by a `bus.gap` entry written after them.
 */
export class RedisBus implements Bus {
  readonly instanceId: string;
  readonly #log: Logger | undefined;
  readonly #commands: Redis;
  readonly #subscriber: Redis;
  readonly #reader: Redis;
  readonly #streamKey: string;
  readonly #channel: string;
  readonly #maxLen: number;
  readonly #outboxLimit: number;
  readonly #handlers = new Set<BusHandler>();
  readonly #gapHandlers = new Set<GapHandler>();
  /** Durable messages not yet written, oldest first. */
  #outbox: Outgoing[] = [];
  #flushing: Promise<void> | undefined;
  /** Events whose messages were dropped or written late since the outbox last drained. */
  readonly #gapEvents = new Set<string>();
  /** Messages dropped in the current outage (logged once when it starts and once when it ends). */
  #dropped = { durable: 0, ephemeral: 0 };
  /** Set while Redis is unreachable, for one log line per outage. */
  #downSince: number | undefined;
  /** The reader lost its connection: on its return, every event is resynchronised. */
  #readerLost = false;
  /** The stream may have been reset (Redis restarted empty): re-check where to read from. */
  #checkStream = false;
  /** Counts the writing connection's closes: a batch spanning one was written late. */
  #commandsConnection = 0;
  #lastId = '$';
  #closed = false;
  #readLoop: Promise<void> | undefined;

  private constructor(options: RedisBusOptions) {
    this.instanceId = options.instanceId ?? randomUUID();
    this.#log = options.log?.child({ component: 'bus' });
    const ns = options.namespace ?? 'amphi';
    this.#streamKey = `${ns}:bus:stream`;
    this.#channel = `${ns}:bus:ephemeral`;
    this.#maxLen = options.streamMaxLength ?? 100_000;
    this.#outboxLimit = options.outboxLimit ?? 10_000;
    const redisOptions = (role: string) =>
      ({
        maxRetriesPerRequest: null,
        lazyConnect: true,
        // Named so that an operator (or a test) can tell the connections apart in CLIENT LIST.
        connectionName: `${ns}:${this.instanceId}:${role}`,
      }) as const;
    // No offline queue on the writing connection: the outbox is the queue, bounded.
    this.#commands = new Redis(options.url, {
      ...redisOptions('commands'),
      enableOfflineQueue: false,
    });
    this.#subscriber = new Redis(options.url, redisOptions('subscriber'));
    this.#reader = new Redis(options.url, redisOptions('reader'));
    for (const conn of [this.#commands, this.#subscriber, this.#reader]) {
      // ioredis reconnects by itself; errors repeat at every retry, the outage is logged once.
      conn.on('error', (err: Error) => this.#unreachable(err.message));
      conn.on('close', () => this.#unreachable('connection closed'));
    }
    this.#commands.on('close', () => {
      this.#commandsConnection++;
    });
    this.#commands.on('ready', () => this.#kick());
    for (const conn of [this.#commands, this.#subscriber, this.#reader]) {
      conn.on('ready', () => this.#reachable());
    }
    this.#reader.on('close', () => {
      if (!this.#closed) this.#readerLost = true;
    });
    this.#reader.on('ready', () => {
      if (!this.#readerLost || this.#closed) return;
      this.#readerLost = false;
      this.#checkStream = true;
      // Whatever the stream held for this reader when Redis went away may be gone.
      this.#gap(null);
    });
  }

  static async create(options: RedisBusOptions): Promise<RedisBus> {
    const bus = new RedisBus(options);
    await bus.#start();
    return bus;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Durable messages waiting for Redis. */
  get pending(): number {
    return this.#outbox.length;
  }

  async #start(): Promise<void> {
    await Promise.all([
      this.#commands.connect(),
      this.#subscriber.connect(),
      this.#reader.connect(),
    ]);
    // Start reading after the newest entry now in the stream.
    this.#lastId = (await this.#newestId()) ?? '0-0';
    this.#subscriber.on('message', (_channel: string, payload: string) => this.#dispatch(payload));
    await this.#subscriber.subscribe(this.#channel);
    this.#readLoop = this.#read();
  }

  async #newestId(conn: Redis = this.#commands): Promise<string | undefined> {
    const last = (await conn.xrevrange(this.#streamKey, '+', '-', 'COUNT', 1)) as [
      string,
      string[],
    ][];
    return last[0]?.[0];
  }

  async #read(): Promise<void> {
    while (!this.#closed) {
      try {
        if (this.#checkStream) {
          this.#checkStream = false;
          // A Redis restarted without persistence numbers its entries afresh, maybe
          // below where this reader stood (another host's clock): read it from its start.
          const newest = await this.#newestId(this.#reader);
          if (newest === undefined || compareIds(newest, this.#lastId) < 0) this.#lastId = '0-0';
        }
        const res = (await this.#reader.xread(
          'COUNT',
          1000,
          'BLOCK',
          5000,
          'STREAMS',
          this.#streamKey,
          this.#lastId,
        )) as [string, [string, string[]][]][] | null;
        if (!res) continue;
        for (const [, entries] of res) {
          for (const [id, fields] of entries) {
            this.#lastId = id;
            const payload = fields[1];
            if (payload !== undefined) this.#dispatch(payload);
          }
        }
      } catch (err) {
        if (this.#closed) return;
        this.#log?.warn({ err: (err as Error).message }, 'bus stream read failed; retrying');
        await sleep(RETRY_MS);
      }
    }
  }

  #dispatch(payload: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(payload);
    } catch (err) {
      this.#log?.error({ err: (err as Error).message }, 'dropping malformed bus message');
      return;
    }
    const gap = GapMessage.safeParse(raw);
    if (gap.success) {
      this.#gap(gap.data.eventId);
      return;
    }
    const parsed = BusMessage.safeParse(raw);
    if (!parsed.success) {
      this.#log?.error({ err: parsed.error.message }, 'dropping malformed bus message');
      return;
    }
    const message = parsed.data;
    for (const handler of this.#handlers) {
      try {
        handler(message);
      } catch (err) {
        this.#log?.error({ err, kind: message.kind }, 'bus handler failed');
      }
    }
  }

  #gap(eventId: string | null): void {
    this.#log?.info({ eventId }, 'bus gap: resynchronising from the database');
    for (const handler of this.#gapHandlers) {
      try {
        handler(eventId);
      } catch (err) {
        this.#log?.error({ err, eventId }, 'bus gap handler failed');
      }
    }
  }

  async publish(message: BusMessage): Promise<void> {
    if (this.#closed) throw new Error('bus closed');
    const payload = JSON.stringify(message);
    const ready = this.#commands.status === 'ready';
    if (EPHEMERAL_KINDS.has(message.kind)) {
      // Re-sent every few seconds: not worth holding while Redis is away.
      if (!ready) {
        this.#dropped.ephemeral++;
        return;
      }
      this.#commands.publish(this.#channel, payload).catch(() => {
        this.#dropped.ephemeral++;
      });
      return;
    }
    // Queued while Redis is away: written late, perhaps after another instance's newer news.
    if (!ready) this.#gapEvents.add(message.eventId);
    this.#outbox.push({ eventId: message.eventId, payload });
    if (this.#outbox.length > this.#outboxLimit) {
      const dropped = this.#outbox.shift() as Outgoing;
      this.#gapEvents.add(dropped.eventId);
      if (this.#dropped.durable++ === 0) {
        this.#log?.error(
          { outboxLimit: this.#outboxLimit },
          'bus outbox full while Redis is unreachable: dropping the oldest messages (their events resynchronise when it is back)',
        );
      }
    }
    this.#kick();
  }

  /**
   * Removes the stream's entries older than `ms` (they carry question texts:
   * retention), and returns how many went. Rejects while Redis is unreachable.
   */
  async trimOlderThan(ms: number): Promise<number> {
    const minId = `${Math.max(0, Date.now() - ms)}-0`;
    return (await this.#commands.xtrim(this.#streamKey, 'MINID', minId)) as number;
  }

  async ping(): Promise<void> {
    for (const conn of [this.#commands, this.#subscriber, this.#reader]) {
      if (conn.status !== 'ready') throw new Error(`redis connection ${conn.status}`);
    }
    await this.#commands.ping();
  }

  subscribe(handler: BusHandler): () => void {
    this.#handlers.add(handler);
    return () => this.#handlers.delete(handler);
  }

  onGap(handler: GapHandler): () => void {
    this.#gapHandlers.add(handler);
    return () => this.#gapHandlers.delete(handler);
  }

  /** Starts writing the outbox unless it is being written already. */
  #kick(): void {
    if (this.#flushing || this.#closed || this.#outbox.length === 0) return;
    // Redis away: its 'ready' kicks again.
    if (this.#commands.status !== 'ready') return;
    this.#flushing = this.#flush().finally(() => {
      this.#flushing = undefined;
      this.#kick();
    });
  }

  /** Writes the outbox in order while Redis takes writes; stops when it is away. */
  async #flush(): Promise<void> {
    while (this.#outbox.length > 0 && !this.#closed && this.#commands.status === 'ready') {
      const batch = this.#outbox.splice(0, FLUSH_BATCH);
      const connection = this.#commandsConnection;
      // Sent one by one, not as a pipeline: a command cut off by a lost connection
      // is re-sent by ioredis when it reconnects, in order.
      const results = await Promise.allSettled(
        batch.map((m) =>
          this.#commands.xadd(this.#streamKey, 'MAXLEN', '~', this.#maxLen, '*', 'm', m.payload),
        ),
      );
      // Cut off midway: re-sent on reconnection, so written late.
      if (connection !== this.#commandsConnection)
        for (const m of batch) this.#gapEvents.add(m.eventId);
      const failed = batch.filter((_, i) => results[i]?.status === 'rejected');
      if (failed.length > 0) {
        // Back at the head, for the next try; their events resynchronise afterwards.
        for (const m of failed) this.#gapEvents.add(m.eventId);
        this.#outbox = [...failed, ...this.#outbox];
        if (this.#commands.status === 'ready') await sleep(RETRY_MS);
        continue;
      }
      if (this.#outbox.length === 0 && this.#gapEvents.size > 0) {
        // Written after everything this instance held back: when every instance
        // has read it, the database is newer than anything they were told.
        for (const eventId of this.#gapEvents) {
          this.#outbox.push({ eventId, payload: JSON.stringify({ kind: 'bus.gap', eventId }) });
        }
        this.#gapEvents.clear();
      }
    }
  }

  #unreachable(reason: string): void {
    if (this.#closed || this.#downSince !== undefined) return;
    this.#downSince = Date.now();
    this.#log?.warn(
      { err: reason },
      'redis unreachable: questions and stage changes are kept in PostgreSQL and sent when it is back',
    );
  }

  #reachable(): void {
    if (this.#downSince === undefined) return;
    const conns = [this.#commands, this.#subscriber, this.#reader];
    if (!conns.every((c) => c.status === 'ready')) return;
    const dropped = this.#dropped;
    this.#log?.warn(
      {
        downMs: Date.now() - this.#downSince,
        queued: this.#outbox.length,
        droppedDurable: dropped.durable,
        droppedEphemeral: dropped.ephemeral,
      },
      'redis reachable again',
    );
    this.#downSince = undefined;
    this.#dropped = { durable: 0, ephemeral: 0 };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    // What is queued gets a moment to go out, if Redis is there to take it.
    if (this.#flushing) await Promise.race([this.#flushing, sleep(1000)]);
    this.#closed = true;
    if (this.#outbox.length > 0) {
      this.#log?.warn({ dropped: this.#outbox.length }, 'bus closed with messages unsent');
    }
    this.#outbox = [];
    this.#handlers.clear();
    this.#gapHandlers.clear();
    this.#reader.disconnect();
    await this.#readLoop?.catch(() => {});
    this.#subscriber.disconnect();
    await this.#commands.quit().catch(() => this.#commands.disconnect());
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Orders two stream entry ids ("ms-seq"). */
function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am === bm ? as - bs : am - bm;
}
