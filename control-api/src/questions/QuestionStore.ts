import { randomUUID } from 'node:crypto';
import {
  canSeeQuestion,
  type ModerateQuestion,
  mayMergeInto,
  mayUpvote,
  QUEUE_ORDER,
  QUEUE_STATUSES,
  type Question,
  type QuestionCategory,
  type QuestionStatus,
  type QueueKey,
  questionTransition,
  type Refusal,
  type SubmitQuestion,
  UPVOTABLE_STATUSES,
} from '@amphi/protocol';
import type postgres from 'postgres';
import { classroomDisplayName } from '../catalog/CatalogStore.ts';
import type { Sql } from '../db/Database.ts';
import { AppError, pgErrorCode } from '../errors.ts';

interface QuestionRow {
  id: string;
  eventId: string;
  classroomId: string;
  text: string;
  category: QuestionCategory;
  status: QuestionStatus;
  mergedIntoId: string | null;
  pinned: boolean;
  rank: number | null;
  upvotes: number;
  askedBeforeEvent: boolean;
  createdAt: Date;
  updatedAt: Date;
}

type NamedRow = QuestionRow & { classroomName: string };
type JoinedRow = QuestionRow & { label: string; schoolName: string; town: string };

export interface Actor {
  role: 'moderator' | 'speaker' | 'classroom';
  name: string;
  classroomId: string | null;
}

interface UpvoteBatch {
  eventId: string;
  questionId: string;
  waiting: {
    classroomId: string;
    resolve: (question: Question | null) => void;
    reject: (err: unknown) => void;
  }[];
}

/** A question as it was before and after a change. */
export interface QuestionChange {
  question: Question;
  previousStatus: QuestionStatus;
}

const COLUMNS =
  'q.id, q.event_id, q.classroom_id, q.text, q.category, q.status, q.merged_into_id, q.pinned, q.rank, q.upvotes, q.asked_before_event, q.created_at, q.updated_at';
/** The queue order of `rules/queueOrder.ts`, as SQL. */
const QUEUE_COLUMNS: Record<QueueKey, string> = {
  answering: "(q.status = 'answering')",
  pinned: 'q.pinned',
  rank: 'q.rank',
  upvotes: 'q.upvotes',
  createdAt: 'q.created_at',
  id: 'q.id',
};
const ORDER_BY = QUEUE_ORDER.map(
  ({ key, direction }) => `${QUEUE_COLUMNS[key]} ${direction} nulls last`,
).join(', ');

const refused = (r: Refusal) => new AppError(r.code, r.message);

/** A question's upvote count, from its backers (after a merge or an unmerge moved some). */
async function recountUpvotes(tx: Sql, questionId: string): Promise<void> {
  await tx`update questions set updated_at = now(),
           upvotes = (select count(*) from question_upvotes where question_id = ${questionId})
           where id = ${questionId}`;
}

export function toQuestion(row: NamedRow): Question {
  return {
    id: row.id,
    eventId: row.eventId,
    classroomId: row.classroomId,
    classroomName: row.classroomName,
    text: row.text,
    category: row.category,
    status: row.status,
    mergedIntoId: row.mergedIntoId,
    pinned: row.pinned,
    rank: row.rank,
    upvotes: row.upvotes,
    askedBeforeEvent: row.askedBeforeEvent,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** The question queue's rows: every write is committed before it returns. */
export class QuestionStore {
  readonly #sql: Sql;
  /** Upvotes waiting for their question's next write, by `eventId:questionId`. */
  readonly #upvoteBatches = new Map<string, UpvoteBatch>();

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  /**
   * Inserts a question unless this classroom already submitted one with the
   * same idempotency key for the event, in which case that one is returned.
   * One statement in the common case; refuses events that are over.
   */
  async submit(
    eventId: string,
    classroom: { id: string; displayName: string },
    input: SubmitQuestion,
  ): Promise<{ question: Question; duplicate: boolean }> {
    const rows = await this.#sql<QuestionRow[]>`
      insert into questions (id, event_id, classroom_id, idempotency_key, text, original_text,
                             category, asked_before_event)
      select ${randomUUID()}, e.id, ${classroom.id}, ${input.idempotencyKey}, ${input.text},
             ${input.text}, ${input.category}, e.status = 'scheduled'
      from events e where e.id = ${eventId} and e.status in ('scheduled', 'live')
      on conflict (event_id, classroom_id, idempotency_key) do nothing
      returning id, event_id, classroom_id, text, category, status, merged_into_id, pinned, rank,
                upvotes, asked_before_event, created_at, updated_at`;
    const inserted = rows[0];
    if (inserted) {
      return {
        question: toQuestion({ ...inserted, classroomName: classroom.displayName }),
        duplicate: false,
      };
    }
    const existing = await this.findByIdempotencyKey(eventId, classroom, input.idempotencyKey);
    if (existing) return { question: existing, duplicate: true };
    throw new AppError('EVENT_CLOSED', 'this event is over: questions are closed');
  }

  async findByIdempotencyKey(
    eventId: string,
    classroom: { id: string; displayName: string },
    idempotencyKey: string,
  ): Promise<Question | null> {
    const [row] = await this.#sql<QuestionRow[]>`
      select ${this.#sql.unsafe(COLUMNS)} from questions q
      where q.event_id = ${eventId} and q.classroom_id = ${classroom.id}
        and q.idempotency_key = ${idempotencyKey}`;
    return row ? toQuestion({ ...row, classroomName: classroom.displayName }) : null;
  }

  async get(eventId: string, questionId: string, sql: Sql = this.#sql): Promise<Question | null> {
    const [row] = await sql<JoinedRow[]>`
      select ${sql.unsafe(COLUMNS)}, c.label, s.name as school_name, s.town
      from questions q join classrooms c on c.id = q.classroom_id join schools s on s.id = c.school_id
      where q.id = ${questionId} and q.event_id = ${eventId}`;
    return row ? toQuestion(named(row)) : null;
  }

  /** Questions of the event, in queue order. */
  async list(
    eventId: string,
    filter: { statuses?: readonly QuestionStatus[]; orClassroomId?: string | null } = {},
  ): Promise<Question[]> {
    const sql = this.#sql;
    let where = sql`true`;
    if (filter.statuses) {
      where = filter.orClassroomId
        ? sql`(q.status = any(${filter.statuses as string[]}) or q.classroom_id = ${filter.orClassroomId})`
        : sql`q.status = any(${filter.statuses as string[]})`;
    }
    const rows = await sql<JoinedRow[]>`
      select ${sql.unsafe(COLUMNS)}, c.label, s.name as school_name, s.town
      from questions q join classrooms c on c.id = q.classroom_id join schools s on s.id = c.school_id
      where q.event_id = ${eventId} and ${where}
      order by ${sql.unsafe(ORDER_BY)}
      limit 5000`;
    return rows.map((r) => toQuestion(named(r)));
  }

  /**
   * Every question one classroom asked in the event, whatever its status
   * (merged ones too), in the order it asked them.
   */
  async listOfClassroom(eventId: string, classroomId: string): Promise<Question[]> {
    const sql = this.#sql;
    const rows = await sql<JoinedRow[]>`
      select ${sql.unsafe(COLUMNS)}, c.label, s.name as school_name, s.town
      from questions q join classrooms c on c.id = q.classroom_id join schools s on s.id = c.school_id
      where q.event_id = ${eventId} and q.classroom_id = ${classroomId}
      order by q.created_at, q.id
      limit 5000`;
    return rows.map((r) => toQuestion(named(r)));
  }

  /**
   * One upvote per classroom, never on its own question, only on the public queue.
   * Acknowledged once committed, with the count after it.
   */
  async upvote(eventId: string, questionId: string, classroomId: string): Promise<Question> {
    const counted = await this.#countUpvote(eventId, questionId, classroomId);
    if (counted) return counted;
    const question = await this.get(eventId, questionId);
    if (!question || !canSeeQuestion({ role: 'classroom', classroomId }, question)) {
      throw new AppError('NOT_FOUND', 'no such question in the queue');
    }
    const refusal = mayUpvote(classroomId, question);
    if (refusal) throw refused(refusal);
    throw new AppError('ALREADY_UPVOTED', 'this classroom already upvoted the question');
  }

  /**
   * The question after this classroom's upvote, or null when it was not counted.
   * Upvotes of one question are written together: every upvote on a question
   * waits for its row, so a storm of them (hundreds of classrooms at once)
   * would commit one by one; instead those that arrive while a write is under
   * way go in the next one, one statement and one commit for all of them.
   */
  #countUpvote(eventId: string, questionId: string, classroomId: string): Promise<Question | null> {
    const key = `${eventId}:${questionId}`;
    let batch = this.#upvoteBatches.get(key);
    if (!batch) {
      batch = { eventId, questionId, waiting: [] };
      this.#upvoteBatches.set(key, batch);
      void this.#writeUpvotes(key, batch);
    }
    const { waiting } = batch;
    return new Promise((resolve, reject) => waiting.push({ classroomId, resolve, reject }));
  }

  async #writeUpvotes(key: string, batch: UpvoteBatch): Promise<void> {
    const sql = this.#sql;
    const { eventId, questionId } = batch;
    // Let the upvotes that arrive in the same turn join the first write.
    await new Promise((r) => setImmediate(r));
    while (batch.waiting.length > 0) {
      const voters = batch.waiting.splice(0, 1000);
      try {
        const [row] = await sql<(JoinedRow & { counted: string[] })[]>`
          with ins as (
            insert into question_upvotes (question_id, classroom_id)
            select q.id, c.id from questions q
              cross join unnest(${voters.map((v) => v.classroomId)}::uuid[]) as c(id)
            where q.id = ${questionId} and q.event_id = ${eventId}
              and q.classroom_id <> c.id and q.status = any(${UPVOTABLE_STATUSES as string[]})
            on conflict do nothing
            returning classroom_id),
          q as (
            update questions set upvotes = upvotes + (select count(*) from ins), updated_at = now()
            where id = ${questionId} and exists (select 1 from ins)
            returning id, event_id, classroom_id, text, category, status, merged_into_id, pinned,
                      rank, upvotes, asked_before_event, created_at, updated_at)
          select ${sql.unsafe(COLUMNS)}, c.label, s.name as school_name, s.town,
                 (select array_agg(classroom_id) from ins) as counted
          from q join classrooms c on c.id = q.classroom_id join schools s on s.id = c.school_id`;
        const counted = new Set(row?.counted ?? []);
        const question = row ? toQuestion(named(row)) : null;
        // A classroom twice in one write (two requests at once) is counted once.
        for (const v of voters)
          v.resolve(question && counted.delete(v.classroomId) ? question : null);
      } catch (err) {
        for (const v of voters) v.reject(err);
      }
    }
    this.#upvoteBatches.delete(key);
  }

  /**
   * Applies a moderator action in one transaction with its audit-log row.
   * Returns every question whose visible state changed (a merge changes two).
   */
  async moderate(
    eventId: string,
    actor: Actor,
    input: ModerateQuestion,
  ): Promise<QuestionChange[]> {
    try {
      return await this.#sql.begin(async (txn) => {
        const tx = txn as unknown as Sql;
        const [current] = await tx<QuestionRow[]>`
          select ${tx.unsafe(COLUMNS)} from questions q
          where q.id = ${input.questionId} and q.event_id = ${eventId} for update`;
        if (!current)
          throw new AppError('NOT_FOUND', `no question ${input.questionId} in this event`);
        const changed: { id: string; previousStatus: QuestionStatus }[] = [
          { id: current.id, previousStatus: current.status },
        ];
        // Who may take which action from which state: the table in protocol's rules.
        const transition = questionTransition(current.status, input.action, actor.role);
        if (!transition.ok) throw refused(transition);
        const { next } = transition;
        const details: Record<string, unknown> = {};
        switch (input.action) {
          case 'approve':
            await tx`
              update questions set status = ${next}, updated_at = now(),
                rank = (select coalesce(max(rank), 0) + 1 from questions where event_id = ${eventId})
              where id = ${current.id}`;
            break;
          case 'reject':
            await tx`update questions set status = ${next}, pinned = false, rank = null,
                     updated_at = now() where id = ${current.id}`;
            break;
          case 'merge': {
            const [target] = await tx<QuestionRow[]>`
              select ${tx.unsafe(COLUMNS)} from questions q
              where q.id = ${input.intoQuestionId} and q.event_id = ${eventId} for update`;
            if (!target)
              throw new AppError('NOT_FOUND', `no question ${input.intoQuestionId} in this event`);
            const refusal = mayMergeInto(current, target);
            if (refusal) throw refused(refusal);
            await tx`update questions set status = ${next}, merged_into_id = ${target.id},
                     pinned = false, rank = null, updated_at = now() where id = ${current.id}`;
            // The asking classroom and its upvoters now back the target question.
            const carried = await tx<{ classroomId: string }[]>`
              insert into question_upvotes (question_id, classroom_id)
              select ${target.id}, c from (
                select ${current.classroomId}::uuid as c
                union select classroom_id from question_upvotes where question_id = ${current.id}
              ) backers where c <> ${target.classroomId}
              on conflict do nothing returning classroom_id`;
            await recountUpvotes(tx, target.id);
            changed.push({ id: target.id, previousStatus: target.status });
            details.intoQuestionId = target.id;
            // What an unmerge takes back: only the backers the merge added.
            details.carriedBackers = carried.map((b) => b.classroomId);
            break;
          }
          case 'reopen':
            await tx`update questions set status = ${next}, pinned = false, rank = null,
                     updated_at = now() where id = ${current.id}`;
            break;
          case 'unmerge': {
            const [merge] = await tx<
              { details: { intoQuestionId?: string; carriedBackers?: string[] } }[]
            >`
              select details from moderation_actions
              where question_id = ${current.id} and action = 'merge'
              order by id desc limit 1`;
            await tx`update questions set status = ${next}, merged_into_id = null,
                     updated_at = now() where id = ${current.id}`;
            const targetId = current.mergedIntoId ?? merge?.details.intoQuestionId ?? null;
            const carried = merge?.details.carriedBackers ?? [];
            if (targetId) {
              const [target] = await tx<{ status: QuestionStatus }[]>`
                select status from questions where id = ${targetId} for update`;
              if (target) {
                await tx`delete from question_upvotes
                         where question_id = ${targetId} and classroom_id = any(${carried}::uuid[])`;
                await recountUpvotes(tx, targetId);
                changed.push({ id: targetId, previousStatus: target.status });
              }
              details.fromQuestionId = targetId;
            }
            break;
          }
          case 'edit':
            await tx`update questions set text = ${input.text},
                     category = ${input.category ?? current.category}, updated_at = now()
                     where id = ${current.id}`;
            details.category = input.category ?? current.category;
            break;
          case 'pin':
            await tx`update questions set pinned = ${input.pinned}, updated_at = now()
                     where id = ${current.id}`;
            details.pinned = input.pinned;
            break;
          case 'answering': {
            const previous = await tx<{ id: string }[]>`
              update questions set status = 'answered', pinned = false, updated_at = now()
              where event_id = ${eventId} and status = 'answering' returning id`;
            for (const p of previous) changed.push({ id: p.id, previousStatus: 'answering' });
            await tx`update questions set status = ${next}, updated_at = now()
                     where id = ${current.id}`;
            break;
          }
          case 'answered':
            await tx`update questions set status = ${next}, pinned = false, updated_at = now()
                     where id = ${current.id}`;
            break;
        }
        await tx`
          insert into moderation_actions (event_id, question_id, classroom_id, actor_role,
                                          actor_name, action, details)
          values (${eventId}, ${current.id}, ${current.classroomId}, ${actor.role}, ${actor.name},
                  ${input.action}, ${tx.json(details as postgres.JSONValue)})`;
        const out: QuestionChange[] = [];
        for (const c of changed) {
          const q = await this.get(eventId, c.id, tx);
          if (q) out.push({ question: q, previousStatus: c.previousStatus });
        }
        return out;
      });
    } catch (err) {
      if (pgErrorCode(err) === '23505') {
        throw new AppError('CONFLICT', 'another moderator changed this question at the same time');
      }
      throw err;
    }
  }

  /** Sets the order of approved questions; those not listed keep their order after them. */
  async reorder(
    eventId: string,
    actor: Actor,
    orderedIds: string[],
  ): Promise<{ questionId: string; rank: number }[]> {
    if (new Set(orderedIds).size !== orderedIds.length) {
      throw new AppError('INVALID_MESSAGE', 'a question appears twice in the order');
    }
    return this.#sql.begin(async (txn) => {
      const tx = txn as unknown as Sql;
      const queued = QUEUE_STATUSES as string[];
      const found = await tx<{ id: string }[]>`
        select id from questions where event_id = ${eventId} and id = any(${orderedIds}::uuid[])
          and status = any(${queued}) for update`;
      if (found.length !== orderedIds.length) {
        throw new AppError('INVALID_STATE', 'only approved questions of this event can be ordered');
      }
      const n = orderedIds.length;
      await tx`update questions set rank = rank + ${n}, updated_at = now()
               where event_id = ${eventId} and status = any(${queued})
                 and not (id = any(${orderedIds}::uuid[]))`;
      await tx`update questions q set rank = o.ord, updated_at = now()
               from unnest(${orderedIds}::uuid[]) with ordinality as o(id, ord)
               where q.id = o.id`;
      await tx`insert into moderation_actions (event_id, actor_role, actor_name, action, details)
               values (${eventId}, ${actor.role}, ${actor.name}, 'reorder',
                       ${tx.json({ orderedQuestionIds: orderedIds })})`;
      const ranks = await tx<{ id: string; rank: number }[]>`
        select id, rank from questions where event_id = ${eventId}
          and status = any(${queued}) order by rank`;
      return ranks.map((r) => ({ questionId: r.id, rank: r.rank }));
    });
  }
}

function named(row: JoinedRow): NamedRow {
  const { label, schoolName, town, ...rest } = row;
  return { ...rest, classroomName: classroomDisplayName({ label, schoolName, town }) };
}
