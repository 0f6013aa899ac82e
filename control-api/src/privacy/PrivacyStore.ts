import type { ErasureReport } from '@amphi/protocol';
import type { Sql } from '../db/Database.ts';
import { AppError } from '../errors.ts';

/**
 * Serialises the retention purge across instances (a transaction-level advisory
 * lock: released with the transaction, even if the instance dies). Arbitrary
 * constant, next to the migrations' 727_140_001.
 */
export const PURGE_LOCK_KEY = 727_140_009;

/** Events erased per purge transaction, so that a long backlog does not hold one huge transaction. */
const PURGE_BATCH = 100;

export type ErasureCounts = Pick<
  ErasureReport,
  'questions' | 'studentEnrolments' | 'moderationActions' | 'teacherContacts'
>;

export interface PurgeResult extends ErasureCounts {
  /** Events whose personal data this run erased. */
  events: number;
  /** Rows of the operators' audit log (e-mail and sign-in addresses) past the retention, deleted. */
  auditEntries: number;
}

/** Which rows one erasure touches. */
type Scope =
  | { kind: 'events'; eventIds: string[] }
  | { kind: 'classroom'; eventId: string; classroomId: string }
  | { kind: 'student'; eventId: string; enrolmentId: string };

/**
 * Erasure of personal data, in place: question texts and their pre-edit
 * originals, pupils' names, and names and details in the moderation log are
 * emptied and stamped `erased_at`; the rows stay, so an event's questions and
 * enrolments can still be counted. Each statement skips rows with nothing left
 * to erase, so erasures may overlap and repeat without counting anything twice.
 */
export class PrivacyStore {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  /**
   * Erases the personal data of every event whose scheduled end (starts_at +
   * duration) is more than `retentionDays` ago. Returns null when another
   * instance is purging at this moment (it does the work).
   */
  async purgeExpired(retentionDays: number): Promise<PurgeResult | null> {
    const total: PurgeResult = {
      events: 0,
      questions: 0,
      studentEnrolments: 0,
      moderationActions: 0,
      teacherContacts: 0,
      auditEntries: 0,
    };
    for (let first = true; ; first = false) {
      const batch = await this.#sql.begin(async (txn) => {
        const tx = txn as unknown as Sql;
        const [lock] = await tx<{ locked: boolean }[]>`
          select pg_try_advisory_xact_lock(${PURGE_LOCK_KEY}) as locked`;
        if (!lock?.locked) return null;
        // An event erased earlier (on request) is taken up again once past its
        // deadline: questions may have been asked after that erasure.
        const due = await tx<{ id: string }[]>`
          select e.id from events e
          where e.starts_at + e.duration_minutes * interval '1 minute'
                  + ${retentionDays} * interval '1 day' < now()
            and coalesce(e.personal_data_erased_at, '-infinity')
                < e.starts_at + e.duration_minutes * interval '1 minute'
                  + ${retentionDays} * interval '1 day'
          order by e.starts_at, e.id
          limit ${PURGE_BATCH}`;
        const eventIds = due.map((r) => r.id);
        if (eventIds.length === 0) return { events: 0, ...NOTHING };
        const counts = await erase(tx, { kind: 'events', eventIds });
        await tx`update events set personal_data_erased_at = now() where id = any(${eventIds}::uuid[])`;
        return { events: eventIds.length, ...counts };
      });
      if (!batch) {
        if (first) return null;
        break;
      }
      total.events += batch.events;
      total.questions += batch.questions;
      total.studentEnrolments += batch.studentEnrolments;
      total.moderationActions += batch.moderationActions;
      total.teacherContacts += batch.teacherContacts;
      if (batch.events < PURGE_BATCH) break;
    }
    // The operators' audit log names them (e-mail) and where they signed in from.
    const audit = await this.#sql`delete from operator_audit
      where created_at < now() - ${retentionDays} * interval '1 day'`;
    total.auditEntries = audit.count;
    return total;
  }

  /** Every piece of personal data of one event (refused while it is live). */
  async eraseEvent(eventId: string): Promise<ErasureReport> {
    return this.#sql.begin(async (txn) => {
      const tx = txn as unknown as Sql;
      await requireErasable(tx, eventId);
      const counts = await erase(tx, { kind: 'events', eventIds: [eventId] });
      await tx`update events set personal_data_erased_at = now() where id = ${eventId}`;
      return report(eventId, counts);
    });
  }

  /**
   * One class's questions in an event and the names of the pupils registered
   * with that class (refused while the event is live: the queue is on screens).
   */
  async eraseClassroom(eventId: string, classroomId: string): Promise<ErasureReport> {
    return this.#sql.begin(async (txn) => {
      const tx = txn as unknown as Sql;
      await requireErasable(tx, eventId);
      const [found] = await tx<{ known: boolean; tookPart: boolean }[]>`
        select exists (select 1 from classrooms where id = ${classroomId}) as known,
               exists (select 1 from classroom_enrolments
                       where event_id = ${eventId} and classroom_id = ${classroomId})
            or exists (select 1 from questions
                       where event_id = ${eventId} and classroom_id = ${classroomId})
            or exists (select 1 from student_enrolments
                       where event_id = ${eventId} and classroom_id = ${classroomId}) as took_part`;
      if (!found?.known) throw new AppError('NOT_FOUND', `no classroom ${classroomId}`);
      if (!found.tookPart) {
        throw new AppError('NOT_FOUND', `classroom ${classroomId} has no data in event ${eventId}`);
      }
      return report(eventId, await erase(tx, { kind: 'classroom', eventId, classroomId }));
    });
  }

  /** One pupil's enrolment in an event: its name. */
  async eraseStudent(eventId: string, enrolmentId: string): Promise<ErasureReport> {
    return this.#sql.begin(async (txn) => {
      const tx = txn as unknown as Sql;
      await requireEvent(tx, eventId);
      const [found] = await tx`select 1 from student_enrolments
                               where id = ${enrolmentId} and event_id = ${eventId}`;
      if (!found) {
        throw new AppError('NOT_FOUND', `no pupil enrolment ${enrolmentId} in event ${eventId}`);
      }
      return report(eventId, await erase(tx, { kind: 'student', eventId, enrolmentId }));
    });
  }
}

const NOTHING: ErasureCounts = {
  questions: 0,
  studentEnrolments: 0,
  moderationActions: 0,
  teacherContacts: 0,
};

function report(eventId: string, counts: ErasureCounts): ErasureReport {
  return { eventId, ...counts, erasedAt: new Date().toISOString() };
}

async function requireEvent(tx: Sql, eventId: string): Promise<{ status: string }> {
  const [event] = await tx<{ status: string }[]>`select status from events where id = ${eventId}`;
  if (!event) throw new AppError('NOT_FOUND', `no event ${eventId}`);
  return event;
}

async function requireErasable(tx: Sql, eventId: string): Promise<void> {
  const event = await requireEvent(tx, eventId);
  if (event.status === 'live') {
    throw new AppError(
      'INVALID_STATE',
      'the event is live: its questions are on screen; erase them once it has ended',
    );
  }
}

/**
 * The erasure statements, for one scope. Rows with nothing left to erase are
 * left alone and not counted; the test is on the content, not on `erased_at`,
 * so a text written after an erasure (a moderator's edit) is erased again.
 */
async function erase(tx: Sql, scope: Scope): Promise<ErasureCounts> {
  const counts = { ...NOTHING };
  if (scope.kind === 'student') {
    counts.studentEnrolments = (
      await tx`update student_enrolments set display_name = '', erased_at = now()
               where id = ${scope.enrolmentId} and event_id = ${scope.eventId} and display_name <> ''`
    ).count;
    return counts;
  }
  const where =
    scope.kind === 'events'
      ? tx`event_id = any(${scope.eventIds}::uuid[])`
      : tx`event_id = ${scope.eventId} and classroom_id = ${scope.classroomId}`;
  counts.questions = (
    await tx`update questions set text = '', original_text = '', erased_at = now()
             where ${where} and (text <> '' or original_text <> '')`
  ).count;
  counts.studentEnrolments = (
    await tx`update student_enrolments set display_name = '', erased_at = now()
             where ${where} and display_name <> ''`
  ).count;
  // The e-mail a teacher gave when enrolling the class from the portal.
  counts.teacherContacts = (
    await tx`update classroom_enrolments set contact_email = '', erased_at = now()
             where ${where} and contact_email <> ''`
  ).count;
  // The log names the moderators and speakers who acted, not the class: a class's
  // erasure leaves it, an event's empties it.
  if (scope.kind === 'events') {
    counts.moderationActions = (
      await tx`update moderation_actions set actor_name = '', details = '{}', erased_at = now()
               where ${where} and (actor_name <> '' or details <> '{}')`
    ).count;
  }
  return counts;
}
