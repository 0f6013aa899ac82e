import type { RetentionSettings } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { PrivacyStore, PurgeResult } from './PrivacyStore.ts';

export interface RetentionJobOptions {
  store: PrivacyStore;
  settings: RetentionSettings;
  /**
   * Trims the bus stream's entries older than this many milliseconds and
   * returns how many went (RedisBus); absent with the in-process bus, which
   * keeps nothing.
   */
  trimStream?: ((olderThanMs: number) => Promise<number>) | undefined;
  log: Logger;
}

export interface RetentionRun {
  /** null: another instance held the purge lock and did the purge. */
  purged: PurgeResult | null;
  streamEntries: number;
}

/**
 * Erases personal data past its retention period: at start, then every
 * RETENTION_PURGE_INTERVAL_MINUTES. Every instance runs it; the database purge
 * is done by one at a time (advisory lock), the stream trim is idempotent.
 */
export class RetentionJob {
  readonly #opts: RetentionJobOptions;
  readonly #log: Logger;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<RetentionRun> | undefined;
  #purging: Promise<unknown> | undefined;
  #closed = false;

  constructor(opts: RetentionJobOptions) {
    this.#opts = opts;
    this.#log = opts.log.child({ component: 'retention' });
  }

  start(): void {
    if (this.#closed || this.#timer) return;
    const run = () => {
      this.runOnce().catch((err: unknown) => {
        if (!this.#closed) this.#log.warn({ err }, 'retention purge failed; next run retries');
      });
    };
    this.#timer = setInterval(run, this.#opts.settings.RETENTION_PURGE_INTERVAL_MINUTES * 60_000);
    this.#timer.unref();
    run();
  }

  /** One purge; a call while one is running gets that run. */
  runOnce(): Promise<RetentionRun> {
    this.#running ??= this.#run().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #run(): Promise<RetentionRun> {
    const { store, settings } = this.#opts;
    const purging = store.purgeExpired(settings.RETENTION_DAYS);
    this.#purging = purging;
    const purged = await purging;
    const streamEntries = await this.#trimStream();
    const fields = { ...purged, streamEntries, retentionDays: settings.RETENTION_DAYS };
    if (purged?.events || streamEntries) {
      this.#log.info(fields, 'personal data past retention erased');
    } else {
      this.#log.debug({ ...fields, skipped: purged === null }, 'retention purge: nothing due');
    }
    return { purged, streamEntries };
  }

  /** The stream's trim fails on its own (Redis away): the database purge is done and logged anyway. */
  async #trimStream(): Promise<number> {
    const { trimStream, settings } = this.#opts;
    if (!trimStream) return 0;
    try {
      return await trimStream(settings.BUS_STREAM_RETENTION_MINUTES * 60_000);
    } catch (err) {
      if (!this.#closed) this.#log.warn({ err }, 'bus stream trim failed; next run retries');
      return 0;
    }
  }

  /**
   * Stops the schedule and waits for a database purge in progress (not for a
   * stream trim, which may wait on a Redis that is away; closing the bus ends it).
   */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#purging?.catch(() => {});
  }
}
