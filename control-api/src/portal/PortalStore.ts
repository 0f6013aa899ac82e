import { randomUUID } from 'node:crypto';
import type {
  CatalogueEvent,
  CatalogueList,
  CatalogueQuery,
  ClassroomLevel,
  SchoolSearchResult,
  TeacherEnrolmentBody,
} from '@amphi/protocol';
import type { Sql } from '../db/Database.ts';
import { AppError } from '../errors.ts';

/** The class a teacher enrolled, as the portal names it. */
export interface PortalClassroom {
  id: string;
  label: string;
  level: ClassroomLevel;
  schoolName: string;
  town: string;
}

/**
 * Letters with accents and their plain letter, for searches that find
 * « Lycée » from « lycee »: PostgreSQL's `unaccent` is an extension a
 * managed database may not offer, and French needs only these.
 */
const ACCENTED = 'àâäáãåçéèêëíìîïñóòôöõúùûüýÿ';
const PLAIN = 'aaaaaaceeeeiiiinooooouuuuyy';

/**
 * What a search compares: lower case, accents off, « œ » and « æ » spelt out
 * (« Schœlcher » is found from « schoelcher »); the same on both sides.
 */
const folded = (sql: Sql, column: ReturnType<Sql>) =>
  sql`replace(replace(translate(lower(${column}), ${ACCENTED}, ${PLAIN}), 'œ', 'oe'), 'æ', 'ae')`;

export function foldText(s: string): string {
  let out = '';
  for (const ch of s.toLowerCase()) {
    const i = ACCENTED.indexOf(ch);
    out += i >= 0 ? PLAIN[i] : ch === 'œ' ? 'oe' : ch === 'æ' ? 'ae' : ch;
  }
  return out;
}

/** `%` and `_` typed by someone searching are letters, not patterns. */
const likeEscaped = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * Which events the public catalogue shows: scheduled or live, and either
 * still to start or open to enrolment (a talk already under way that still
 * takes classes). Ended and cancelled talks never.
 */
const inCatalogue = (sql: Sql) =>
  sql`e.status in ('scheduled', 'live') and (e.enrolment_open or e.starts_at > now())`;

interface CatalogueRow {
  id: string;
  title: string;
  themeWeek: string | null;
  format: CatalogueEvent['format'];
  durationMinutes: number;
  startsAt: Date;
  status: CatalogueEvent['status'];
  levels: ClassroomLevel[];
  summary: string | null;
  description: string | null;
  enrolmentOpen: boolean;
  speakers: CatalogueEvent['speakers'];
}

const catalogueEventOut = (r: CatalogueRow): CatalogueEvent => ({
  id: r.id,
  title: r.title,
  themeWeek: r.themeWeek,
  format: r.format,
  durationMinutes: r.durationMinutes,
  startsAt: r.startsAt.toISOString(),
  status: r.status,
  levels: r.levels,
  summary: r.summary,
  description: r.description,
  enrolmentOpen: r.enrolmentOpen,
  speakers: r.speakers,
});

/**
 * The teachers' portal: the public catalogue, the school search, and a
 * class's enrolment by its teacher. Public reads show what a poster would:
 * talks and speakers, never who enrolled.
 */
export class PortalStore {
  readonly #sql: Sql;
  /** Time zones PostgreSQL was found to know (the catalogue asks for a handful). */
  readonly #knownTimeZones = new Set<string>();

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async listCatalogue(q: CatalogueQuery): Promise<CatalogueList> {
    const sql = this.#sql;
    const filters = [inCatalogue(sql)];
    if (q.themeWeek) filters.push(sql`e.theme_week = ${q.themeWeek}`);
    if (q.level) filters.push(sql`${q.level} = any(e.levels)`);
    // The day the talk starts where the school is (Paris unless told).
    const day = sql`(e.starts_at at time zone ${q.timeZone})::date`;
    if (q.from) filters.push(sql`${day} >= ${q.from}::date`);
    if (q.to) filters.push(sql`${day} <= ${q.to}::date`);
    if (q.job) {
      const pattern = `%${likeEscaped(foldText(q.job))}%`;
      filters.push(sql`exists (
        select 1 from event_speakers es join speakers s on s.id = es.speaker_id
        where es.event_id = e.id and ${folded(sql, sql`s.job`)} like ${pattern})`);
    }
    const where = filters.reduce((acc, f) => sql`${acc} and ${f}`);
    await this.#checkTimeZone(q.timeZone);
    const rows = await sql<CatalogueRow[]>`
      select e.id, e.title, e.theme_week, e.format, e.duration_minutes, e.starts_at, e.status,
             e.levels, e.summary, e.description, e.enrolment_open, ${speakersJson(sql)} as speakers
      from events e where ${where}
      order by e.starts_at, e.id limit ${q.limit} offset ${q.offset}`;
    const [count] = await sql<{ n: number }[]>`
      select count(*)::int as n from events e where ${where}`;
    const weeks = await sql<{ themeWeek: string }[]>`
      select distinct e.theme_week from events e
      where ${inCatalogue(sql)} and e.theme_week is not null order by e.theme_week`;
    return {
      items: rows.map(catalogueEventOut),
      total: count?.n ?? 0,
      themeWeeks: weeks.map((w) => w.themeWeek),
    };
  }

  /** One talk as the catalogue shows it, whatever its date (a class reads it after the talk); not a cancelled one. */
  async getCatalogueEvent(id: string): Promise<CatalogueEvent | null> {
    const sql = this.#sql;
    const [row] = await sql<CatalogueRow[]>`
      select e.id, e.title, e.theme_week, e.format, e.duration_minutes, e.starts_at, e.status,
             e.levels, e.summary, e.description, e.enrolment_open, ${speakersJson(sql)} as speakers
      from events e where e.id = ${id} and e.status <> 'cancelled'`;
    return row ? catalogueEventOut(row) : null;
  }

  /** Schools whose name or town holds the words typed (any case, any accents), names starting with them first. */
  async searchSchools(text: string, limit: number): Promise<SchoolSearchResult> {
    const sql = this.#sql;
    const words = foldText(text).split(/\s+/).filter(Boolean);
    const haystack = sql`${folded(sql, sql`s.name`)} || ' ' || ${folded(sql, sql`s.town`)}`;
    const each = words.map((w) => sql`${haystack} like ${`%${likeEscaped(w)}%`}`);
    const where = each.reduce((acc, f) => sql`${acc} and ${f}`);
    const first = `${likeEscaped(foldText(text.trim()))}%`;
    const items = await sql<SchoolSearchResult['items']>`
      select s.id, s.name, s.town, s.academie from schools s where ${where}
      order by (${folded(sql, sql`s.name`)} like ${first}) desc, s.name, s.town, s.id
      limit ${limit}`;
    return { items: [...items] };
  }

  /**
   * A teacher enrols a class: the class is found in its school by its label
   * (any case), or made, and enrolled with the teacher's contact e-mail.
   * EVENT_CLOSED when the talk takes no enrolment; CONFLICT when the class is
   * already enrolled (its link went to whoever enrolled it: a second one would
   * let anyone who types the label read the class's questions).
   */
  async enrolClass(eventId: string, body: TeacherEnrolmentBody): Promise<PortalClassroom> {
    return this.#sql.begin(async (txn) => {
      const tx = txn as unknown as Sql;
      const [event] = await tx<{ status: string; enrolmentOpen: boolean }[]>`
        select status, enrolment_open from events where id = ${eventId} for share`;
      if (!event) throw new AppError('NOT_FOUND', `no event ${eventId}`);
      if (!event.enrolmentOpen || (event.status !== 'scheduled' && event.status !== 'live')) {
        throw new AppError('EVENT_CLOSED', 'enrolment for this talk is closed');
      }
      const [school] = await tx<{ name: string; town: string }[]>`
        select name, town from schools where id = ${body.schoolId}`;
      if (!school) {
        throw new AppError('NOT_FOUND', `no school ${body.schoolId}`, [
          { path: 'body.schoolId', message: 'unknown school: choose one from the search' },
        ]);
      }
      // Two teachers naming the same new class at once make one classroom.
      await tx`select pg_advisory_xact_lock(hashtext(${`${body.schoolId}/${body.classLabel.toLowerCase()}`}))`;
      const [found] = await tx<{ id: string; label: string; level: ClassroomLevel }[]>`
        select id, label, level from classrooms
        where school_id = ${body.schoolId} and lower(label) = lower(${body.classLabel})
        order by created_at, id limit 1`;
      const classroom = found ?? {
        id: randomUUID(),
        label: body.classLabel,
        level: body.level,
      };
      if (!found) {
        await tx`insert into classrooms (id, school_id, label, level)
                 values (${classroom.id}, ${body.schoolId}, ${classroom.label}, ${classroom.level})`;
      }
      const inserted = await tx`
        insert into classroom_enrolments (event_id, classroom_id, enrolled_by, contact_email)
        values (${eventId}, ${classroom.id}, 'teacher', ${body.contactEmail})
        on conflict do nothing returning classroom_id`;
      if (inserted.length === 0) {
        throw new AppError('CONFLICT', 'this class is already enrolled in this talk', [
          { path: 'body.classLabel', message: 'already enrolled' },
        ]);
      }
      return { ...classroom, schoolName: school.name, town: school.town };
    });
  }

  async getClassroom(classroomId: string): Promise<PortalClassroom | null> {
    const [row] = await this.#sql<PortalClassroom[]>`
      select c.id, c.label, c.level, s.name as school_name, s.town
      from classrooms c join schools s on s.id = c.school_id where c.id = ${classroomId}`;
    return row ?? null;
  }

  /** VALIDATION_FAILED for a time zone PostgreSQL does not know (rather than a 500 from the query). */
  async #checkTimeZone(timeZone: string): Promise<void> {
    if (this.#knownTimeZones.has(timeZone)) return;
    const [known] = await this.#sql<{ ok: boolean }[]>`
      select exists (select 1 from pg_timezone_names where name = ${timeZone}) as ok`;
    if (!known?.ok) {
      throw new AppError('VALIDATION_FAILED', `unknown time zone ${timeZone}`, [
        { path: 'querystring.timeZone', message: 'unknown time zone' },
      ]);
    }
    this.#knownTimeZones.add(timeZone);
  }
}

/** The talk's speakers in order, as the catalogue shows them. */
function speakersJson(sql: Sql) {
  return sql`coalesce((
    select json_agg(json_build_object('id', s.id, 'name', s.name, 'job', s.job,
                                      'organisation', s.organisation, 'bio', s.bio,
                                      'studyPath', s.study_path) order by es.position)
    from event_speakers es join speakers s on s.id = es.speaker_id
    where es.event_id = e.id), '[]')`;
}
