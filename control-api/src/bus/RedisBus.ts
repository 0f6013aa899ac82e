import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';
import type { Bus, BusHandler } from './Bus.ts';
import { BusMessage, EPHEMERAL_KINDS } from './BusMessage.ts';

export interface RedisBusOptions {
  url: string;
  /** Key and channel prefix, so several deployments (or test files) can share a Redis. */
  namespace?: string;
  instanceId?: string;
  /** Entries kept in the stream (approximate). */
  streamMaxLength?: number;
  log?: Logger;
}

/**
 * The bus across instances, over Redis:
 * - messages that must not be lost (questions, hands, stage...) go through a
 *   Redis stream; each instance reads it from where it left off, so a short
 *   Redis or network hiccup delays them but loses none;
 * - ephemeral ones (presence snapshots, re-sent every few seconds) use pub/sub.
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
  readonly #handlers = new Set<BusHandler>();
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
    const redisOptions = (role: string) =>
      ({
        maxRetriesPerRequest: null,
        lazyConnect: true,
        // Named so that an operator (or a test) can tell the connections apart in CLIENT LIST.
        connectionName: `${ns}:${this.instanceId}:${role}`,
      }) as const;
    this.#commands = new Redis(options.url, redisOptions('commands'));
    this.#subscriber = new Redis(options.url, redisOptions('subscriber'));
    this.#reader = new Redis(options.url, redisOptions('reader'));
    for (const conn of [this.#commands, this.#subscriber, this.#reader]) {
      conn.on('error', (err: Error) => {
        if (!this.#closed) this.#log?.warn({ err: err.message }, 'redis connection error');
      });
    }
  }

  static async create(options: RedisBusOptions): Promise<RedisBus> {
    const bus = new RedisBus(options);
    await bus.#start();
    return bus;
  }

  get closed(): boolean {
    return this.#closed;
  }

  async #start(): Promise<void> {
    await Promise.all([
      this.#commands.connect(),
      this.#subscriber.connect(),
      this.#reader.connect(),
    ]);
    // Start reading after the newest entry now in the stream.
    const last = (await this.#commands.xrevrange(this.#streamKey, '+', '-', 'COUNT', 1)) as [
      string,
      string[],
    ][];
    this.#lastId = last[0]?.[0] ?? '0-0';
    this.#subscriber.on('message', (_channel: string, payload: string) => this.#dispatch(payload));
    await this.#subscriber.subscribe(this.#channel);
    this.#readLoop = this.#read();
  }

  async #read(): Promise<void> {
    while (!this.#closed) {
      try {
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
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  #dispatch(payload: string): void {
    let message: BusMessage;
    try {
      message = BusMessage.parse(JSON.parse(payload));
    } catch (err) {
      this.#log?.error({ err: (err as Error).message }, 'dropping malformed bus message');
      return;
    }
    for (const handler of this.#handlers) {
      try {
        handler(message);
      } catch (err) {
        this.#log?.error({ err, kind: message.kind }, 'bus handler failed');
      }
    }
  }

  async publish(message: BusMessage): Promise<void> {
    if (this.#closed) throw new Error('bus closed');
    const payload = JSON.stringify(message);
    if (EPHEMERAL_KINDS.has(message.kind)) {
      await this.#commands.publish(this.#channel, payload);
    } else {
      await this.#commands.xadd(this.#streamKey, 'MAXLEN', '~', this.#maxLen, '*', 'm', payload);
    }
  }

  /**
   * Drops stream entries older than `ms` (their ids are Redis's clock in ms):
   * the stream carries messages between instances, it is no archive of the
   * question payloads in it (retention purge, docs/privacy.md). Returns how many went.
   */
  async trimOlderThan(ms: number): Promise<number> {
    return this.#commands.xtrim(this.#streamKey, 'MINID', Date.now() - ms);
  }

  subscribe(handler: BusHandler): () => void {
    this.#handlers.add(handler);
    return () => this.#handlers.delete(handler);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#handlers.clear();
    this.#reader.disconnect();
    await this.#readLoop?.catch(() => {});
    this.#subscriber.disconnect();
    await this.#commands.quit().catch(() => this.#commands.disconnect());
  }
}
