import type { EventSummary, SchoolSummary } from '@amphi/protocol';
import type { Sql } from '../db/Database.ts';
import { AppError } from '../errors.ts';

/**
 * After the event: attendance, questions asked and answered, and network
 * problems per school. Numbers only: no pupil, no question text, no class
 * name (schools are institutions, named).
 */
export class EventSummaryStore {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async summary(eventId: string): Promise<EventSummary> {
    const sql = this.#sql;
    const [event] = await sql<
      { id: string; title: string; status: string; startedAt: Date | null; endedAt: Date | null }[]
    >`select id, title, status, started_at, ended_at from events where id = ${eventId}`;
    if (!event) throw new AppError('NOT_FOUND', `no event ${eventId}`);
    const schools = await sql<(Omit<SchoolSummary, never> & { schoolId: string })[]>`
      with enrolled as (
        select c.id as classroom_id, c.school_id from classroom_enrolments e
        join classrooms c on c.id = e.classroom_id where e.event_id = ${eventId}
      ), attended as (
        select a.* from classroom_attendance a where a.event_id = ${eventId}
      ), asked as (
        select q.classroom_id, count(*)::int as asked,
               count(*) filter (where q.status = 'answered')::int as answered
        from questions q where q.event_id = ${eventId} group by q.classroom_id
      ), per_class as (
        select c.id as classroom_id, c.school_id,
               (en.classroom_id is not null) as enrolled,
               (at.classroom_id is not null) as attended,
               coalesce(at.reconnects, 0) as reconnects,
               coalesce(at.degraded_seen or at.bad_seen, false) as poor,
               coalesce(at.paths && array['turn-udp', 'turn-tcp', 'turn-tls', 'hls'], false)
                 as relay_or_fallback,
               coalesce(ak.asked, 0) as asked, coalesce(ak.answered, 0) as answered
        from classrooms c
        left join enrolled en on en.classroom_id = c.id
        left join attended at on at.classroom_id = c.id
        left join asked ak on ak.classroom_id = c.id
        where en.classroom_id is not null or at.classroom_id is not null
           or ak.classroom_id is not null
      )
      select s.id as school_id, s.name as school_name, s.town, s.region,
             count(*) filter (where p.enrolled)::int as enrolled_classrooms,
             count(*) filter (where p.attended)::int as attended_classrooms,
             sum(p.asked)::int as questions_asked,
             sum(p.answered)::int as questions_answered,
             sum(p.reconnects)::int as reconnects,
             count(*) filter (where p.poor)::int as classrooms_with_poor_connection,
             count(*) filter (where p.relay_or_fallback)::int as classrooms_on_relay_or_fallback
      from per_class p join schools s on s.id = p.school_id
      group by s.id order by s.region, s.name`;
    const [counts] = await sql<
      {
        enrolledClassrooms: number;
        enrolledStudents: number;
        attendedClassrooms: number;
        asked: number;
        askedBeforeEvent: number;
        approved: number;
        answered: number;
        rejected: number;
        merged: number;
        pending: number;
      }[]
    >`
      select
        (select count(*)::int from classroom_enrolments where event_id = ${eventId})
          as enrolled_classrooms,
        (select count(*)::int from student_enrolments where event_id = ${eventId})
          as enrolled_students,
        (select count(*)::int from classroom_attendance where event_id = ${eventId})
          as attended_classrooms,
        count(q.id)::int as asked,
        count(q.id) filter (where q.asked_before_event)::int as asked_before_event,
        count(q.id) filter (where q.status in ('approved', 'answering', 'answered'))::int
          as approved,
        count(q.id) filter (where q.status = 'answered')::int as answered,
        count(q.id) filter (where q.status = 'rejected')::int as rejected,
        count(q.id) filter (where q.status = 'merged')::int as merged,
        count(q.id) filter (where q.status = 'pending')::int as pending
      from questions q where q.event_id = ${eventId}`;
    const pathRows = await sql<{ path: string; n: number }[]>`
      select p as path, count(*)::int as n
      from classroom_attendance a, unnest(a.paths) p
      where a.event_id = ${eventId} group by p`;
    if (!counts) throw new AppError('INTERNAL', 'the database returned no row');
    return {
      eventId: event.id,
      title: event.title,
      status: event.status,
      startedAt: event.startedAt?.toISOString() ?? null,
      endedAt: event.endedAt?.toISOString() ?? null,
      enrolledClassrooms: counts.enrolledClassrooms,
      enrolledStudents: counts.enrolledStudents,
      attendedClassrooms: counts.attendedClassrooms,
      questions: {
        asked: counts.asked,
        askedBeforeEvent: counts.askedBeforeEvent,
        approved: counts.approved,
        answered: counts.answered,
        rejected: counts.rejected,
        merged: counts.merged,
        pending: counts.pending,
      },
      paths: Object.fromEntries(pathRows.map((r) => [r.path, r.n])),
      schools,
    };
  }
}
