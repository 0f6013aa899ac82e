import type { AuditEntry } from '@amphi/protocol';
import type { Sql } from '../db/Database.ts';

export interface AuditRecord {
  actorAccountId: string | null;
  actorLabel: string;
  action: string;
  method?: string | null;
  route?: string | null;
  statusCode?: number | null;
  eventId?: string | null;
  details?: Record<string, unknown>;
}

interface AuditRow {
  id: string;
  actorAccountId: string | null;
  actorLabel: string;
  action: string;
  method: string | null;
  route: string | null;
  statusCode: number | null;
  eventId: string | null;
  details: Record<string, unknown>;
  createdAt: Date;
}

/** Who did what, from the console or the API: one row per write, sign-in and sign-out. */
export class AuditLog {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async record(r: AuditRecord): Promise<void> {
    await this.#sql`
      insert into operator_audit
        (actor_account_id, actor_label, action, method, route, status_code, event_id, details)
      values (${r.actorAccountId}, ${r.actorLabel}, ${r.action}, ${r.method ?? null},
              ${r.route ?? null}, ${r.statusCode ?? null}, ${r.eventId ?? null},
              ${this.#sql.json((r.details ?? {}) as never)})`;
  }

  async list(q: { limit: number; offset: number; eventId?: string | undefined }): Promise<{
    items: AuditEntry[];
    total: number;
  }> {
    const where = q.eventId ? this.#sql`event_id = ${q.eventId}` : this.#sql`true`;
    const rows = await this.#sql<AuditRow[]>`
      select * from operator_audit where ${where}
      order by id desc limit ${q.limit} offset ${q.offset}`;
    const [count] = await this.#sql<{ n: number }[]>`
      select count(*)::int as n from operator_audit where ${where}`;
    return {
      items: rows.map((r) => ({
        id: Number(r.id),
        actor: r.actorLabel,
        actorAccountId: r.actorAccountId,
        action: r.action,
        method: r.method,
        route: r.route,
        statusCode: r.statusCode,
        eventId: r.eventId,
        details: r.details,
        createdAt: r.createdAt.toISOString(),
      })),
      total: count?.n ?? 0,
    };
  }
}
