import {
  type ClassroomNetworkCheck,
  type EventNetworkChecks,
  MediaPath,
  type NetworkCheckReport,
  type NetworkCheckResult,
  NetworkProbe,
  type NetworkVerdict,
  NetworkVerdictLevel,
} from '@amphi/protocol';
import type { Sql } from '../db/Database.ts';

type Row = {
  classroomId: string;
  eventId: string | null;
  checkedAt: Date;
  report: NetworkCheckReport;
  verdict: NetworkVerdict;
};

/**
 * The latest network check of each classroom (migration 007). A check older
 * than the retention period (`RETENTION_DAYS`, docs/privacy.md) is stale (the
 * school's network has changed since, or may have): it is neither shown nor
 * kept; each save deletes those.
 */
export class NetworkCheckStore {
  readonly #sql: Sql;
  readonly #retentionDays: number;

  constructor(sql: Sql, retentionDays: number) {
    this.#sql = sql;
    this.#retentionDays = retentionDays;
  }

  /** Keeps this check as the classroom's latest (replacing the one before). */
  async save(
    classroomId: string,
    eventId: string,
    report: NetworkCheckReport,
    verdict: NetworkVerdict,
  ): Promise<NetworkCheckResult> {
    const sql = this.#sql;
    const [row] = await sql<Row[]>`
      insert into network_checks
        (classroom_id, event_id, checked_at, level, path, downlink_kbps, report, verdict)
      values (${classroomId}, ${eventId}, now(), ${verdict.level}, ${verdict.path},
              ${report.downlinkKbps}, ${sql.json(report)}, ${sql.json(verdict)})
      on conflict (classroom_id) do update set
        event_id = excluded.event_id, checked_at = excluded.checked_at,
        level = excluded.level, path = excluded.path, downlink_kbps = excluded.downlink_kbps,
        report = excluded.report, verdict = excluded.verdict
      returning classroom_id, event_id, checked_at, report, verdict`;
    await this.purgeStale();
    return toResult(row as Row, eventId);
  }

  /** The classroom's latest check still within the retention period. */
  async latest(classroomId: string): Promise<NetworkCheckResult | null> {
    const [row] = await this.#sql<Row[]>`
      select classroom_id, event_id, checked_at, report, verdict from network_checks
      where classroom_id = ${classroomId}
        and checked_at > now() - ${this.#retentionDays} * interval '1 day'`;
    return row?.eventId ? toResult(row, row.eventId) : null;
  }

  /** Deletes the checks past the retention period; returns how many went. */
  async purgeStale(): Promise<number> {
    const gone = await this.#sql`
      delete from network_checks
      where checked_at < now() - ${this.#retentionDays} * interval '1 day'`;
    return gone.count;
  }

  /**
   * Every enrolled classroom of the event with its latest check (whichever
   * event's link it was run from), and the counts operators plan with.
   */
  async ofEvent(eventId: string): Promise<EventNetworkChecks> {
    const rows = await this.#sql<
      {
        classroomId: string;
        label: string;
        schoolName: string;
        town: string;
        checkedAt: Date | null;
        level: NetworkVerdictLevel | null;
        path: MediaPath | null;
        downlinkKbps: number | null;
        report: NetworkCheckReport | null;
        verdict: NetworkVerdict | null;
      }[]
    >`
      select c.id as classroom_id, c.label, s.name as school_name, s.town,
             n.checked_at, n.level, n.path, n.downlink_kbps, n.report, n.verdict
      from classroom_enrolments e
      join classrooms c on c.id = e.classroom_id
      join schools s on s.id = c.school_id
      left join network_checks n on n.classroom_id = c.id
        and n.checked_at > now() - ${this.#retentionDays} * interval '1 day'
      where e.event_id = ${eventId}
      order by s.name, c.label, c.id`;
    const byLevel = Object.fromEntries(
      [...NetworkVerdictLevel.options, 'unchecked'].map((k) => [k, 0]),
    ) as EventNetworkChecks['byLevel'];
    const byPath = Object.fromEntries(
      [...MediaPath.options, 'none'].map((k) => [k, 0]),
    ) as EventNetworkChecks['byPath'];
    const probesOk = Object.fromEntries(
      NetworkProbe.options.map((k) => [k, 0]),
    ) as EventNetworkChecks['probesOk'];
    let slowDownlink = 0;
    const classrooms: ClassroomNetworkCheck[] = rows.map((r) => {
      byLevel[r.level ?? 'unchecked'] += 1;
      const notes = r.verdict?.notes ?? [];
      if (notes.includes('slow-downlink')) slowDownlink += 1;
      if (r.level) byPath[r.path ?? 'none'] += 1;
      for (const p of NetworkProbe.options) if (r.report?.probes[p].ok) probesOk[p] += 1;
      const browser = r.report?.browser;
      return {
        classroomId: r.classroomId,
        name: r.label,
        school: `${r.schoolName} (${r.town})`,
        checkedAt: r.checkedAt?.toISOString() ?? null,
        level: r.level,
        path: r.level ? r.path : null,
        notes,
        downlinkKbps: r.downlinkKbps === null ? null : Math.round(r.downlinkKbps),
        browser: browser ? `${browser.name} ${browser.version}`.trim() : null,
      };
    });
    return { eventId, classrooms, byLevel, byPath, probesOk, slowDownlink };
  }
}

function toResult(row: Row, eventId: string): NetworkCheckResult {
  return {
    classroomId: row.classroomId,
    eventId,
    checkedAt: row.checkedAt.toISOString(),
    report: row.report,
    verdict: row.verdict,
  };
}
