import { QuestionStatus } from '@amphi/protocol';
import type { Sql } from '../db/Database.ts';

export type StatusCounts = Record<QuestionStatus, number>;

/** Minutes the live board's questions-per-minute covers. */
export const BOARD_MINUTES = 10;

/**
 * The question queue's figures, read from PostgreSQL where the queue lives
 * (every instance reads the same): the `amphi_questions` gauge and the live
 * board both come from here. Counts only, never a question's text.
 */
export class QuestionFigures {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  /** The questions of the events that are live now, by status. */
  async byStatusOfLiveEvents(): Promise<StatusCounts> {
    const rows = await this.#sql<{ status: QuestionStatus; n: number }[]>`
      select q.status, count(*)::int as n
      from questions q join events e on e.id = q.event_id
      where e.status = 'live'
      group by q.status`;
    return countsOf(rows);
  }

  /** An event's queue by status (zeros included). */
  async byStatus(eventId: string): Promise<StatusCounts> {
    const rows = await this.#sql<{ status: QuestionStatus; n: number }[]>`
      select status, count(*)::int as n from questions where event_id = ${eventId} group by status`;
    return countsOf(rows);
  }

  /**
   * Questions submitted per minute over the last `minutes` minutes (the
   * current one included, still running), oldest first, and over the last
   * sixty seconds.
   */
  async perMinute(
    eventId: string,
    minutes = BOARD_MINUTES,
  ): Promise<{ lastMinute: number; perMinute: { minute: string; count: number }[] }> {
    const [rows, last] = await Promise.all([
      this.#sql<{ minute: Date; n: number }[]>`
        select m as minute, count(q.id)::int as n
        from generate_series(
          date_trunc('minute', now()) - ${minutes - 1} * interval '1 minute',
          date_trunc('minute', now()),
          interval '1 minute'
        ) as m
        left join questions q
          on q.event_id = ${eventId} and q.created_at >= m and q.created_at < m + interval '1 minute'
        group by m
        order by m`,
      this.#sql<{ n: number }[]>`
        select count(*)::int as n from questions
        where event_id = ${eventId} and created_at > now() - interval '1 minute'`,
    ]);
    return {
      lastMinute: last[0]?.n ?? 0,
      perMinute: rows.map((r) => ({ minute: r.minute.toISOString(), count: r.n })),
    };
  }
}

function countsOf(rows: readonly { status: QuestionStatus; n: number }[]): StatusCounts {
  const counts = Object.fromEntries(QuestionStatus.options.map((s) => [s, 0])) as StatusCounts;
  for (const r of rows) counts[r.status] = r.n;
  return counts;
}
