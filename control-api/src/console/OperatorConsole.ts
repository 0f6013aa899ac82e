import type { Redis } from 'ioredis';
import { AccountStore } from '../accounts/AccountStore.ts';
import { AuditLog } from '../accounts/AuditLog.ts';
import { OperatorAccess } from '../accounts/OperatorAccess.ts';
import { SessionStore } from '../accounts/SessionStore.ts';
import { SignInLimiter } from '../accounts/SignInLimiter.ts';
import type { JoinTokens } from '../auth/JoinTokens.ts';
import type { Revocations } from '../auth/Revocations.ts';
import type { Bus } from '../bus/Bus.ts';
import type { Sql } from '../db/Database.ts';
import type { Logger } from '../logger.ts';
import { AttendanceRecorder } from './AttendanceRecorder.ts';
import { ConsoleLinks } from './ConsoleLinks.ts';
import { EventSummaryStore } from './EventSummaryStore.ts';

export interface OperatorConsoleDeps {
  sql: Sql;
  bus: Bus;
  tokens: JoinTokens;
  revocations: Revocations;
  publicUrl: string;
  log: Logger;
  /** Where sign-in counters live when instances share a Redis. */
  redis?: Redis | undefined;
  redisNamespace?: string | undefined;
}

/**
 * What the operator console needs on the server, made and closed together:
 * accounts, sessions, the audit log, sign-in limits, links, the summary and
 * the attendance it reads (recorded from presence while events run).
 */
export class OperatorConsole {
  readonly accounts: AccountStore;
  readonly sessions: SessionStore;
  readonly access: OperatorAccess;
  readonly audit: AuditLog;
  readonly limiter: SignInLimiter;
  readonly links: ConsoleLinks;
  readonly summaries: EventSummaryStore;
  readonly attendance: AttendanceRecorder;
  readonly #purge: NodeJS.Timeout;
  #closed = false;

  constructor(d: OperatorConsoleDeps) {
    this.accounts = new AccountStore(d.sql);
    this.sessions = new SessionStore(d.sql);
    this.access = new OperatorAccess({ sessions: this.sessions, publicUrl: d.publicUrl });
    this.audit = new AuditLog(d.sql);
    this.limiter = new SignInLimiter({ redis: d.redis, namespace: d.redisNamespace });
    this.links = new ConsoleLinks({
      sql: d.sql,
      tokens: d.tokens,
      revocations: d.revocations,
      publicUrl: d.publicUrl,
    });
    this.summaries = new EventSummaryStore(d.sql);
    this.attendance = new AttendanceRecorder({ sql: d.sql, bus: d.bus, log: d.log });
    // Expired sessions admit nobody already; this keeps their table small.
    this.#purge = setInterval(() => {
      this.sessions
        .purgeExpired()
        .catch((err: unknown) => d.log.warn({ err }, 'session purge failed'));
    }, 3600_000);
    this.#purge.unref();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#purge);
    await this.attendance.close();
  }
}
