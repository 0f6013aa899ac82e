import type { JoinLinkRevocation } from '@amphi/protocol';
import type { Bus } from '../bus/Bus.ts';
import type { Sql } from '../db/Database.ts';
import { AppError, pgErrorCode } from '../errors.ts';
import type { Logger } from '../logger.ts';

/** How long "not revoked" is believed without asking PostgreSQL again (the bus usually says sooner). */
const NOT_REVOKED_TTL_MS = 5_000;
/** Token ids remembered either way; past it the oldest are forgotten (and asked again). */
const MAX_CACHED = 50_000;

interface RevocationRow {
  tokenId: string;
  eventId: string;
  revokedAt: Date;
}

/**
 * Join links an operator revoked (table `join_link_revocations`). A revocation
 * is published on the bus: every instance then refuses the token at once and
 * closes the sockets opened with it (`EventRoom`, like a moderator's removal).
 * Admission asks `isRevoked` on every join: answers are cached, a revocation
 * for good, "not revoked" for a few seconds, so that an instance that missed
 * the message (a bus outage) still refuses the link within that time.
 */
export class Revocations {
  readonly #sql: Sql;
  readonly #bus: Bus;
  readonly #log: Logger;
  readonly #now: () => number;
  /** Token id → revoked, or the time "not revoked" was read. */
  readonly #cache = new Map<string, true | number>();
  readonly #unsubscribe: () => void;
  readonly #unsubscribeGap: () => void;

  constructor(deps: { sql: Sql; bus: Bus; log: Logger; now?: () => number }) {
    this.#sql = deps.sql;
    this.#bus = deps.bus;
    this.#log = deps.log;
    this.#now = deps.now ?? Date.now;
    this.#unsubscribe = this.#bus.subscribe((msg) => {
      if (msg.kind === 'link.revoked') this.#remember(msg.tokenId, true);
    });
    // Messages may have been lost: what is not known to be revoked is asked again.
    this.#unsubscribeGap = this.#bus.onGap(() => {
      for (const [tokenId, value] of this.#cache) if (value !== true) this.#cache.delete(tokenId);
    });
  }

  /**
   * Revokes a link of the event by its token id; idempotent (a second call
   * answers the first revocation). NOT_FOUND if the event does not exist.
   */
  async revoke(eventId: string, tokenId: string): Promise<JoinLinkRevocation> {
    // Two revocations of one link at once: the second inserts nothing and, in its
    // snapshot, sees no row yet; asked again, it reads the first one's.
    let row = await this.#insertOrRead(eventId, tokenId);
    row ??= await this.#insertOrRead(eventId, tokenId);
    if (!row) throw new Error('revocation neither inserted nor found');
    if (row.eventId !== eventId) {
      throw new AppError('NOT_FOUND', 'this join link was revoked in another event');
    }
    this.#remember(tokenId, true);
    // Every instance (this one too) closes the link's sockets when the bus delivers this.
    await this.#bus
      .publish({ kind: 'link.revoked', eventId, tokenId })
      .catch((err: unknown) =>
        this.#log.warn({ err, eventId, tokenId }, 'revocation publish failed'),
      );
    return { tokenId: row.tokenId, eventId: row.eventId, revokedAt: row.revokedAt.toISOString() };
  }

  async #insertOrRead(eventId: string, tokenId: string): Promise<RevocationRow | undefined> {
    try {
      const [row] = await this.#sql<RevocationRow[]>`
        with inserted as (
          insert into join_link_revocations (token_id, event_id)
          values (${tokenId}, ${eventId})
          on conflict (token_id) do nothing
          returning token_id, event_id, revoked_at
        )
        select * from inserted
        union all
        select token_id, event_id, revoked_at from join_link_revocations where token_id = ${tokenId}
        limit 1`;
      return row;
    } catch (err) {
      if (pgErrorCode(err) === '23503') throw new AppError('NOT_FOUND', `no event ${eventId}`);
      throw err;
    }
  }

  /** Whether an operator revoked this token id. */
  async isRevoked(tokenId: string): Promise<boolean> {
    const cached = this.#cache.get(tokenId);
    if (cached === true) return true;
    if (cached !== undefined && this.#now() - cached < NOT_REVOKED_TTL_MS) return false;
    const [row] = await this.#sql`
      select 1 as revoked from join_link_revocations where token_id = ${tokenId}`;
    this.#remember(tokenId, row ? true : this.#now());
    return row !== undefined;
  }

  close(): void {
    this.#unsubscribe();
    this.#unsubscribeGap();
    this.#cache.clear();
  }

  #remember(tokenId: string, value: true | number): void {
    this.#cache.delete(tokenId);
    this.#cache.set(tokenId, value);
    if (this.#cache.size > MAX_CACHED) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
  }
}
