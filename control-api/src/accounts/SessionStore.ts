import { createHash, randomBytes } from 'node:crypto';
import type { OperatorAccount, OperatorRole } from '@amphi/protocol';
import type { Sql } from '../db/Database.ts';

/** A signed-in browser's session, as the server keeps it. */
export interface OperatorSession {
  accountId: string;
  email: string;
  displayName: string;
  role: OperatorRole;
  csrfToken: string;
  expiresAt: Date;
}

/** How long a console session lasts: a working day. */
export const SESSION_TTL_MS = 12 * 3600_000;

const digest = (sessionId: string) => createHash('sha256').update(sessionId).digest();

/**
 * Console sessions in PostgreSQL, so that every instance knows them and
 * signing out ends them everywhere. The browser holds a random id (256 bits);
 * the table holds its SHA-256 only.
 */
export class SessionStore {
  readonly #sql: Sql;
  readonly #ttlMs: number;

  constructor(sql: Sql, ttlMs = SESSION_TTL_MS) {
    this.#sql = sql;
    this.#ttlMs = ttlMs;
  }

  async create(
    account: OperatorAccount,
  ): Promise<{ sessionId: string; csrfToken: string; expiresAt: Date }> {
    const sessionId = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(24).toString('base64url');
    const expiresAt = new Date(Date.now() + this.#ttlMs);
    await this.#sql`
      insert into operator_sessions (id_hash, account_id, csrf_token, expires_at)
      values (${digest(sessionId)}, ${account.id}, ${csrfToken}, ${expiresAt})`;
    return { sessionId, csrfToken, expiresAt };
  }

  /** The live session of this id, if its account is still enabled; else null. */
  async find(sessionId: string): Promise<OperatorSession | null> {
    if (sessionId.length > 128) return null;
    const [row] = await this.#sql<OperatorSession[]>`
      select a.id as account_id, a.email, a.display_name, a.role, s.csrf_token, s.expires_at
      from operator_sessions s join operator_accounts a on a.id = s.account_id
      where s.id_hash = ${digest(sessionId)} and s.expires_at > now() and a.disabled_at is null`;
    return row ?? null;
  }

  async delete(sessionId: string): Promise<void> {
    await this.#sql`delete from operator_sessions where id_hash = ${digest(sessionId)}`;
  }

  /** Drops sessions past their expiry (they admit nobody already; this keeps the table small). */
  async purgeExpired(): Promise<number> {
    const rows = await this.#sql`delete from operator_sessions where expires_at <= now()`;
    return rows.count;
  }
}
