import { randomUUID } from 'node:crypto';
import {
  type Classroom,
  type ClassroomEnrolment,
  type ClassroomLevel,
  type CreateClassroomBody,
  type CreateEventBody,
  type CreateSchoolBody,
  type CreateSpeakerBody,
  type EnrolStudentBody,
  EVENT_FORMATS,
  type Event,
  type EventFormat,
  type EventStatus,
  type Pagination,
  type School,
  type Speaker,
  type StudentEnrolment,
  type UpdateEventBody,
  type UpdateSpeakerBody,
} from '@amphi/protocol';
import type { Sql } from '../db/Database.ts';
import { AppError, pgErrorCode } from '../errors.ts';

/** What live signaling needs to know about a classroom: how to name it, where it is. */
export interface ClassroomInfo {
  id: string;
  label: string;
  level: ClassroomLevel;
  schoolName: string;
  town: string;
  region: string;
  /** "4e B, Collège Jean Moulin (Pointe-à-Pitre)" */
  displayName: string;
}

export interface EventRow {
  id: string;
  title: string;
  themeWeek: string | null;
  format: EventFormat;
  durationMinutes: number;
  startsAt: Date;
  status: EventStatus;
  startedAt: Date | null;
  endedAt: Date | null;
  levels: ClassroomLevel[];
  summary: string | null;
  description: string | null;
  enrolmentOpen: boolean;
  createdAt: Date;
}

const iso = (d: Date) => d.toISOString();

/** The single row an INSERT ... RETURNING gave back. */
function one<T>(rows: readonly T[]): T {
  const row = rows[0];
  if (row === undefined) throw new AppError('INTERNAL', 'the database returned no row');
  return row;
}

function speakerOut(r: {
  id: string;
  name: string;
  job: string;
  organisation: string;
  bio: string | null;
  studyPath: string | null;
  createdAt: Date;
}): Speaker {
  return {
    id: r.id,
    name: r.name,
    job: r.job,
    organisation: r.organisation,
    bio: r.bio,
    studyPath: r.studyPath,
    createdAt: iso(r.createdAt),
  };
}

function schoolOut(r: School & { createdAt: Date | string }): School {
  return { ...r, createdAt: iso(new Date(r.createdAt)) };
}

export function classroomDisplayName(c: { label: string; schoolName: string; town: string }) {
  return `${c.label}, ${c.schoolName} (${c.town})`;
}

/** The columns an edit names (`undefined`: left as is; `null`: emptied), for `sql(changes)`. */
function definedColumns<T extends Record<string, unknown>>(fields: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(fields).filter(([, v]) => v !== undefined),
  ) as Partial<T>;
}

/** NOT_FOUND naming the speakers that do not exist. */
async function requireSpeakers(sql: Sql, speakerIds: readonly string[]): Promise<void> {
  const found = await sql<{ id: string }[]>`
    select id from speakers where id = any(${speakerIds as string[]}::uuid[])`;
  const missing = speakerIds.filter((s) => !found.some((f) => f.id === s));
  if (missing.length > 0) {
    throw new AppError('NOT_FOUND', `unknown speaker ${missing[0]}`, [
      { path: 'body.speakerIds', message: `unknown speakers: ${missing.join(', ')}` },
    ]);
  }
}

/** Events, speakers, schools, classrooms and enrolments: the operators' catalogue. */
export class CatalogStore {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  // --- speakers

  async createSpeaker(body: CreateSpeakerBody): Promise<Speaker> {
    const rows = await this.#sql<Parameters<typeof speakerOut>[0][]>`
      insert into speakers (id, name, job, organisation, bio, study_path)
      values (${randomUUID()}, ${body.name}, ${body.job}, ${body.organisation}, ${body.bio ?? null},
              ${body.studyPath ?? null})
      returning *`;
    return speakerOut(one(rows));
  }

  /** Changes the fields given (`null` empties bio or study path). */
  async updateSpeaker(id: string, body: UpdateSpeakerBody): Promise<Speaker> {
    const changes = definedColumns({
      name: body.name,
      job: body.job,
      organisation: body.organisation,
      bio: body.bio,
      studyPath: body.studyPath,
    });
    const rows = await this.#sql<Parameters<typeof speakerOut>[0][]>`
      update speakers set ${this.#sql(changes)} where id = ${id} returning *`;
    const row = rows[0];
    if (!row) throw new AppError('NOT_FOUND', `no speaker ${id}`);
    return speakerOut(row);
  }

  async listSpeakers(p: Pagination): Promise<{ items: Speaker[]; total: number }> {
    const rows = await this.#sql<Parameters<typeof speakerOut>[0][]>`
      select * from speakers order by created_at, id limit ${p.limit} offset ${p.offset}`;
    const [{ count }] = (await this
      .#sql`select count(*)::int as count from speakers`) as unknown as [{ count: number }];
    return { items: rows.map(speakerOut), total: count };
  }

  // --- events

  async createEvent(body: CreateEventBody): Promise<Event> {
    const id = randomUUID();
    const { durationMinutes } = EVENT_FORMATS[body.format];
    return this.#sql.begin(async (tx) => {
      await requireSpeakers(tx as unknown as Sql, body.speakerIds);
      await tx`
        insert into events (id, title, theme_week, format, duration_minutes, starts_at,
                            levels, summary, description, enrolment_open)
        values (${id}, ${body.title}, ${body.themeWeek ?? null}, ${body.format},
                ${durationMinutes}, ${body.startsAt}, ${body.levels ?? []}::text[],
                ${body.summary ?? null}, ${body.description ?? null},
                ${body.enrolmentOpen ?? false})`;
      for (const [position, speakerId] of body.speakerIds.entries()) {
        await tx`insert into event_speakers (event_id, speaker_id, position)
                 values (${id}, ${speakerId}, ${position})`;
      }
      const event = await this.#getEvent(tx as unknown as Sql, id);
      if (!event) throw new AppError('INTERNAL', 'event vanished');
      return event;
    });
  }

  /**
   * Edits an event: the fields given change. Its format and speakers must
   * still agree (the new ones, else the event's own); its time, format and
   * speakers change only while it is scheduled, and enrolment opens only then.
   */
  async updateEvent(id: string, body: UpdateEventBody): Promise<Event> {
    return this.#sql.begin(async (txn) => {
      const tx = txn as unknown as Sql;
      const [current] = await tx<(EventRow & { speakerIds: string[] })[]>`
        select e.*, coalesce(array(select speaker_id from event_speakers
                                   where event_id = e.id order by position), '{}') as speaker_ids
        from events e where e.id = ${id} for update`;
      if (!current) throw new AppError('NOT_FOUND', `no event ${id}`);
      const reshapes =
        body.format !== undefined || body.speakerIds !== undefined || body.startsAt !== undefined;
      if (reshapes && current.status !== 'scheduled') {
        throw new AppError(
          'INVALID_STATE',
          `the event is ${current.status}: its time, format and speakers no longer change`,
        );
      }
      if (body.enrolmentOpen && current.status !== 'scheduled' && current.status !== 'live') {
        throw new AppError(
          'INVALID_STATE',
          `the event is ${current.status}: enrolment stays closed`,
        );
      }
      const format = body.format ?? current.format;
      const speakerIds = body.speakerIds ?? current.speakerIds;
      const { minSpeakers, maxSpeakers, durationMinutes } = EVENT_FORMATS[format];
      if (speakerIds.length < minSpeakers || speakerIds.length > maxSpeakers) {
        const takes =
          minSpeakers === maxSpeakers
            ? `format ${format} takes exactly ${minSpeakers} speaker`
            : `format ${format} takes ${minSpeakers} to ${maxSpeakers} speakers`;
        throw new AppError('VALIDATION_FAILED', takes, [
          {
            path: body.speakerIds ? 'body.speakerIds' : 'body.format',
            message: `${takes}; the event would have ${speakerIds.length}`,
          },
        ]);
      }
      if (body.speakerIds) await requireSpeakers(tx, body.speakerIds);
      const changes = definedColumns({
        title: body.title,
        themeWeek: body.themeWeek,
        format: body.format,
        durationMinutes: body.format ? durationMinutes : undefined,
        startsAt: body.startsAt,
        summary: body.summary,
        description: body.description,
        enrolmentOpen: body.enrolmentOpen,
      });
      if (Object.keys(changes).length > 0) {
        await tx`update events set ${tx(changes)} where id = ${id}`;
      }
      if (body.levels) await tx`update events set levels = ${body.levels}::text[] where id = ${id}`;
      if (body.speakerIds) {
        await tx`delete from event_speakers where event_id = ${id}`;
        for (const [position, speakerId] of body.speakerIds.entries()) {
          await tx`insert into event_speakers (event_id, speaker_id, position)
                   values (${id}, ${speakerId}, ${position})`;
        }
      }
      const event = await this.#getEvent(tx, id);
      if (!event) throw new AppError('INTERNAL', 'event vanished');
      return event;
    });
  }

  /** Opens or closes teachers' enrolment from the portal (opens only a scheduled or live event). */
  async setEnrolmentOpen(id: string, open: boolean): Promise<Event> {
    return this.updateEvent(id, { enrolmentOpen: open });
  }

  async getEvent(id: string): Promise<Event | null> {
    return this.#getEvent(this.#sql, id);
  }

  async getEventRow(id: string): Promise<EventRow | null> {
    const [row] = await this.#sql<EventRow[]>`select * from events where id = ${id}`;
    return row ?? null;
  }

  async #getEvent(sql: Sql, id: string): Promise<Event | null> {
    const events = await this.#eventsWhere(sql, sql`e.id = ${id}`, 1, 0);
    return events[0] ?? null;
  }

  async #eventsWhere(
    sql: Sql,
    where: ReturnType<Sql>,
    limit: number,
    offset: number,
  ): Promise<Event[]> {
    const rows = await sql<(EventRow & { speakers: Event['speakers'] })[]>`
      select e.*,
        coalesce((
          select json_agg(json_build_object('id', s.id, 'name', s.name, 'job', s.job,
                                            'organisation', s.organisation,
                                            'studyPath', s.study_path) order by es.position)
          from event_speakers es join speakers s on s.id = es.speaker_id
          where es.event_id = e.id), '[]') as speakers
      from events e where ${where}
      order by e.starts_at, e.id limit ${limit} offset ${offset}`;
    return rows.map((r) => ({
      id: r.id,
      title: r.title,
      themeWeek: r.themeWeek,
      format: r.format,
      durationMinutes: r.durationMinutes,
      startsAt: iso(r.startsAt),
      status: r.status,
      startedAt: r.startedAt && iso(r.startedAt),
      endedAt: r.endedAt && iso(r.endedAt),
      speakers: r.speakers,
      levels: r.levels,
      summary: r.summary,
      description: r.description,
      enrolmentOpen: r.enrolmentOpen,
      createdAt: iso(r.createdAt),
    }));
  }

  async listEvents(p: Pagination): Promise<{ items: Event[]; total: number }> {
    const items = await this.#eventsWhere(this.#sql, this.#sql`true`, p.limit, p.offset);
    const [row] = await this.#sql<{ count: number }[]>`select count(*)::int as count from events`;
    return { items, total: row?.count ?? 0 };
  }

  async setEventStatus(id: string, status: EventStatus): Promise<Event> {
    const row = await this.moveEventStatus(id, status);
    if (!row) throw new AppError('NOT_FOUND', `no event ${id}`);
    const event = await this.getEvent(id);
    if (!event) throw new AppError('NOT_FOUND', `no event ${id}`);
    return event;
  }

  /**
   * Sets an event's status with the times every timer reads: the first
   * go-live is kept (a studio going live again does not restart the clock),
   * back to scheduled clears it (a rehearsal reset); an end sets the end time,
   * going back from an end clears it. With `from`, only an event in that
   * status changes (compare-and-set): null when it is not (or no such event).
   */
  async moveEventStatus(
    id: string,
    status: EventStatus,
    from?: EventStatus,
  ): Promise<EventRow | null> {
    const over = status === 'ended' || status === 'cancelled';
    const [row] = await this.#sql<EventRow[]>`
      update events set
        status = ${status},
        started_at = case when ${status} = 'scheduled' then null
                          when ${status} = 'live' then coalesce(started_at, now())
                          else started_at end,
        ended_at = ${over ? this.#sql`coalesce(ended_at, now())` : null},
        -- A talk over takes no more classes.
        enrolment_open = ${over ? false : this.#sql`enrolment_open`}
      where id = ${id} ${from ? this.#sql`and status = ${from}` : this.#sql``}
      returning *`;
    return row ?? null;
  }

  async eventHasSpeaker(eventId: string, speakerId: string): Promise<Speaker | null> {
    const [row] = await this.#sql<Parameters<typeof speakerOut>[0][]>`
      select s.* from event_speakers es join speakers s on s.id = es.speaker_id
      where es.event_id = ${eventId} and es.speaker_id = ${speakerId}`;
    return row ? speakerOut(row) : null;
  }

  // --- schools and classrooms

  async createSchool(body: CreateSchoolBody): Promise<School> {
    const rows = await this.#sql<(School & { createdAt: Date })[]>`
      insert into schools (id, name, town, academie, region, overseas)
      values (${randomUUID()}, ${body.name}, ${body.town}, ${body.academie}, ${body.region},
              ${body.overseas ?? false})
      returning id, name, town, academie, region, overseas, created_at`;
    return schoolOut(one(rows));
  }

  async listSchools(p: Pagination): Promise<{ items: School[]; total: number }> {
    const rows = await this.#sql<(School & { createdAt: Date })[]>`
      select id, name, town, academie, region, overseas, created_at
      from schools order by name, id limit ${p.limit} offset ${p.offset}`;
    const [row] = await this.#sql<{ count: number }[]>`select count(*)::int as count from schools`;
    return { items: rows.map(schoolOut), total: row?.count ?? 0 };
  }

  async createClassroom(body: CreateClassroomBody): Promise<Classroom> {
    try {
      const rows = await this.#sql<(Classroom & { createdAt: Date })[]>`
        insert into classrooms (id, school_id, label, level)
        values (${randomUUID()}, ${body.schoolId}, ${body.label}, ${body.level})
        returning id, school_id, label, level, created_at`;
      const row = one(rows);
      return { ...row, createdAt: iso(row.createdAt) };
    } catch (err) {
      if (pgErrorCode(err) === '23503') {
        throw new AppError('NOT_FOUND', `no school ${body.schoolId}`, [
          { path: 'body.schoolId', message: 'unknown school' },
        ]);
      }
      throw err;
    }
  }

  async listClassrooms(
    p: Pagination,
    schoolId?: string,
  ): Promise<{ items: Classroom[]; total: number }> {
    const where = schoolId ? this.#sql`school_id = ${schoolId}` : this.#sql`true`;
    const rows = await this.#sql<(Classroom & { createdAt: Date })[]>`
      select id, school_id, label, level, created_at from classrooms where ${where}
      order by created_at, id limit ${p.limit} offset ${p.offset}`;
    const [row] = await this.#sql<{ count: number }[]>`
      select count(*)::int as count from classrooms where ${where}`;
    return {
      items: rows.map((r) => ({ ...r, createdAt: iso(r.createdAt) })),
      total: row?.count ?? 0,
    };
  }

  async getClassroomInfo(classroomId: string): Promise<ClassroomInfo | null> {
    const [row] = await this.#sql<Omit<ClassroomInfo, 'displayName'>[]>`
      select c.id, c.label, c.level, s.name as school_name, s.town, s.region
      from classrooms c join schools s on s.id = c.school_id where c.id = ${classroomId}`;
    return row ? { ...row, displayName: classroomDisplayName(row) } : null;
  }

  // --- enrolments

  async enrolClassrooms(eventId: string, classroomIds: string[]): Promise<number> {
    await this.#requireEvent(eventId);
    const unique = [...new Set(classroomIds)];
    const found = await this.#sql<{ id: string }[]>`
      select id from classrooms where id = any(${unique}::uuid[])`;
    const missing = unique.filter((c) => !found.some((f) => f.id === c));
    if (missing.length > 0) {
      throw new AppError('NOT_FOUND', `unknown classroom ${missing[0]}`, [
        { path: 'body.classroomIds', message: `unknown classrooms: ${missing.join(', ')}` },
      ]);
    }
    const rows = await this.#sql`
      insert into classroom_enrolments (event_id, classroom_id)
      select ${eventId}, unnest(${unique}::uuid[])
      on conflict do nothing returning classroom_id`;
    return rows.length;
  }

  async enrolStudent(eventId: string, body: EnrolStudentBody): Promise<StudentEnrolment> {
    await this.#requireEvent(eventId);
    try {
      const rows = await this.#sql<(StudentEnrolment & { enrolledAt: Date })[]>`
        insert into student_enrolments (id, event_id, display_name, level, school_id, classroom_id)
        values (${randomUUID()}, ${eventId}, ${body.displayName}, ${body.level},
                ${body.schoolId ?? null}, ${body.classroomId ?? null})
        returning id, event_id, display_name, level, school_id, classroom_id, enrolled_at`;
      const row = one(rows);
      return { ...row, enrolledAt: iso(row.enrolledAt) };
    } catch (err) {
      if (pgErrorCode(err) === '23503') {
        throw new AppError('NOT_FOUND', 'unknown school or classroom');
      }
      throw err;
    }
  }

  async listEnrolments(
    eventId: string,
  ): Promise<{ classrooms: ClassroomEnrolment[]; students: StudentEnrolment[] }> {
    await this.#requireEvent(eventId);
    const classrooms = await this.#sql<(ClassroomEnrolment & { enrolledAt: Date })[]>`
      select ce.event_id, c.id as classroom_id, c.label, c.level, s.id as school_id,
             s.name as school_name, s.town, s.region, ce.enrolled_at, ce.enrolled_by,
             ce.contact_email
      from classroom_enrolments ce
      join classrooms c on c.id = ce.classroom_id
      join schools s on s.id = c.school_id
      where ce.event_id = ${eventId} order by s.name, c.label`;
    const students = await this.#sql<(StudentEnrolment & { enrolledAt: Date })[]>`
      select id, event_id, display_name, level, school_id, classroom_id, enrolled_at
      from student_enrolments where event_id = ${eventId} order by enrolled_at, id`;
    return {
      classrooms: classrooms.map((r) => ({ ...r, enrolledAt: iso(r.enrolledAt) })),
      students: students.map((r) => ({ ...r, enrolledAt: iso(r.enrolledAt) })),
    };
  }

  async isClassroomEnrolled(eventId: string, classroomId: string): Promise<boolean> {
    const rows = await this.#sql`
      select 1 from classroom_enrolments
      where event_id = ${eventId} and classroom_id = ${classroomId}`;
    return rows.length > 0;
  }

  async isClassroomRemoved(eventId: string, classroomId: string): Promise<boolean> {
    const rows = await this.#sql`
      select 1 from classroom_removals
      where event_id = ${eventId} and classroom_id = ${classroomId}`;
    return rows.length > 0;
  }

  async #requireEvent(eventId: string): Promise<void> {
    const rows = await this.#sql`select 1 from events where id = ${eventId}`;
    if (rows.length === 0) throw new AppError('NOT_FOUND', `no event ${eventId}`);
  }
}
