import type { RaisedHand, RemovedClassroom, Stage } from '@amphi/protocol';
import type { Bus } from '../bus/Bus.ts';
import type { BusMessage } from '../bus/BusMessage.ts';
import { classroomDisplayName } from '../catalog/CatalogStore.ts';
import type { Sql } from '../db/Database.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { KeyedLock } from './KeyedLock.ts';

interface StageRow {
  classroomId: string;
  status: 'invited' | 'live';
  since: Date;
  label: string;
  schoolName: string;
  town: string;
}

interface HandRow {
  classroomId: string;
  raisedAt: Date;
  label: string;
  schoolName: string;
  town: string;
}

const toStage = (r: StageRow): Stage => ({
  classroomId: r.classroomId,
  classroomName: classroomDisplayName(r),
  status: r.status,
  since: r.since.toISOString(),
});

const toHand = (r: HandRow): RaisedHand => ({
  classroomId: r.classroomId,
  classroomName: classroomDisplayName(r),
  raisedAt: r.raisedAt.toISOString(),
});

export interface StageServiceDeps {
  sql: Sql;
  bus: Bus;
  log: Logger;
  /** Whether a classroom still has a socket to the event (on any instance). */
  isConnected?: (eventId: string, classroomId: string) => boolean;
  /** How long a disconnected classroom keeps its place on stage (0: it leaves at once). */
  disconnectGraceMs?: number;
}

/**
 * Raised hands, the stage (one classroom at most: invited, then live once it
 * consents) and removed classrooms. State lives in PostgreSQL; changes are
 * announced on the bus. A classroom whose last socket closes leaves the stage
 * unless it is back within the grace period.
 */
export class StageService {
  readonly #sql: Sql;
  readonly #bus: Bus;
  readonly #log: Logger;
  readonly #isConnected: (eventId: string, classroomId: string) => boolean;
  readonly #graceMs: number;
  /** Disconnected classrooms waiting out the grace period, by `eventId:classroomId`. */
  readonly #departures = new Map<string, NodeJS.Timeout>();
  /** What a classroom does with its stage turn, one thing at a time (see `exclusive`). */
  readonly #turns = new KeyedLock();
  #closed = false;

  constructor(deps: StageServiceDeps) {
    this.#sql = deps.sql;
    this.#bus = deps.bus;
    this.#log = deps.log.child({ component: 'stage' });
    this.#isConnected = deps.isConnected ?? (() => false);
    this.#graceMs = deps.disconnectGraceMs ?? 5_000;
  }

  get closed(): boolean {
    return this.#closed;
  }

  // --- hands

  async raiseHand(eventId: string, classroomId: string): Promise<RaisedHand> {
    await this.#sql`insert into raised_hands (event_id, classroom_id)
                    values (${eventId}, ${classroomId}) on conflict do nothing`;
    const hand = (await this.hands(eventId, classroomId))[0];
    if (!hand) throw new AppError('INTERNAL', 'hand vanished');
    await this.#publish({ kind: 'hand.updated', eventId, classroomId, hand });
    return hand;
  }

  async lowerHand(eventId: string, classroomId: string): Promise<void> {
    const rows = await this.#sql`delete from raised_hands
      where event_id = ${eventId} and classroom_id = ${classroomId} returning classroom_id`;
    if (rows.length > 0) {
      await this.#publish({ kind: 'hand.updated', eventId, classroomId, hand: null });
    }
  }

  /** Raised hands, oldest first; only the given classroom's when one is given. */
  async hands(eventId: string, classroomId?: string | null): Promise<RaisedHand[]> {
    const only = classroomId ? this.#sql`and h.classroom_id = ${classroomId}` : this.#sql``;
    const rows = await this.#sql<HandRow[]>`
      select h.classroom_id, h.raised_at, c.label, s.name as school_name, s.town
      from raised_hands h join classrooms c on c.id = h.classroom_id
      join schools s on s.id = c.school_id
      where h.event_id = ${eventId} ${only} order by h.raised_at`;
    return rows.map(toHand);
  }

  // --- stage

  async stage(eventId: string): Promise<Stage | null> {
    const [row] = await this.#sql<StageRow[]>`
      select st.classroom_id, st.status, st.since, c.label, s.name as school_name, s.town
      from stage st join classrooms c on c.id = st.classroom_id join schools s on s.id = c.school_id
      where st.event_id = ${eventId}`;
    return row ? toStage(row) : null;
  }

  /** Invites a classroom; replaces a pending invitation, not a classroom already live. */
  async invite(eventId: string, classroomId: string): Promise<Stage> {
    const enrolled = await this.#sql`select 1 from classroom_enrolments
      where event_id = ${eventId} and classroom_id = ${classroomId}`;
    if (enrolled.length === 0) {
      throw new AppError('NOT_ENROLLED', 'this classroom is not enrolled in the event');
    }
    const previous = await this.stage(eventId);
    if (previous?.status === 'live' && previous.classroomId !== classroomId) {
      throw new AppError(
        'INVALID_STATE',
        `${previous.classroomName} is on stage: take it off before inviting another classroom`,
      );
    }
    if (previous?.status === 'live') return previous;
    await this.#sql`
      insert into stage (event_id, classroom_id, status) values (${eventId}, ${classroomId}, 'invited')
      on conflict (event_id) do update set classroom_id = excluded.classroom_id,
        status = 'invited', since = now()`;
    await this.#sql`delete from raised_hands
      where event_id = ${eventId} and classroom_id = ${classroomId}`;
    const stage = await this.stage(eventId);
    if (!stage) throw new AppError('INTERNAL', 'stage vanished');
    this.#log.info({ eventId, classroomId }, 'classroom invited on stage');
    await this.#publish({ kind: 'hand.updated', eventId, classroomId, hand: null });
    await this.#publish({
      kind: 'stage.updated',
      eventId,
      stage,
      previousClassroomId:
        previous && previous.classroomId !== classroomId ? previous.classroomId : null,
    });
    return stage;
  }

  /** The invited classroom consents (goes live) or declines (the stage empties). */
  async respond(eventId: string, classroomId: string, accept: boolean): Promise<Stage | null> {
    const rows = accept
      ? await this.#sql`update stage set status = 'live', since = now()
          where event_id = ${eventId} and classroom_id = ${classroomId} and status = 'invited'
          returning classroom_id`
      : await this.#sql`delete from stage
          where event_id = ${eventId} and classroom_id = ${classroomId} and status = 'invited'
          returning classroom_id`;
    if (rows.length === 0) {
      throw new AppError('INVALID_STATE', 'this classroom has no pending invitation to the stage');
    }
    const stage = accept ? await this.stage(eventId) : null;
    this.#log.info({ eventId, classroomId, accept }, 'stage invitation answered');
    await this.#publish({
      kind: 'stage.updated',
      eventId,
      stage,
      previousClassroomId: accept ? null : classroomId,
    });
    return stage;
  }

  /** Empties the stage; with a classroom id, only if that classroom is the one on it. */
  async clear(eventId: string, onlyClassroomId?: string): Promise<void> {
    const only = onlyClassroomId ? this.#sql`and classroom_id = ${onlyClassroomId}` : this.#sql``;
    const rows = await this.#sql<{ classroomId: string }[]>`
      delete from stage where event_id = ${eventId} ${only} returning classroom_id`;
    const removed = rows[0];
    if (!removed) {
      if (onlyClassroomId) throw new AppError('NOT_ON_STAGE', 'this classroom is not on stage');
      return;
    }
    await this.#emptied(eventId, removed.classroomId, 'stage cleared');
  }

  /**
   * A classroom's socket to the event closed. Once the grace period is over, if
   * none of its sockets is back, it leaves the stage (invited or live).
   */
  classroomDisconnected(eventId: string, classroomId: string): void {
    if (this.#closed) return;
    const key = `${eventId}:${classroomId}`;
    clearTimeout(this.#departures.get(key));
    const timer = setTimeout(() => {
      this.#departures.delete(key);
      if (this.#closed || this.#isConnected(eventId, classroomId)) return;
      this.leaveDisconnected(eventId, classroomId).catch((err: unknown) =>
        this.#log.error(
          { err, eventId, classroomId },
          'taking a disconnected classroom off stage failed',
        ),
      );
    }, this.#graceMs);
    timer.unref();
    this.#departures.set(key, timer);
  }

  /**
   * Takes a classroom that is gone off the stage, with an audit entry saying so;
   * false when it was not on stage.
   */
  async leaveDisconnected(eventId: string, classroomId: string): Promise<boolean> {
    const rows = await this.#sql<{ classroomId: string }[]>`
      with removed as (
        delete from stage where event_id = ${eventId} and classroom_id = ${classroomId}
        returning event_id, classroom_id, status)
      insert into moderation_actions (event_id, classroom_id, actor_role, actor_name, action, details)
      select event_id, classroom_id, 'system', 'control-api', 'stage_leave',
             jsonb_build_object('reason', 'disconnected', 'status', status)
      from removed returning classroom_id`;
    if (rows.length === 0) return false;
    await this.#emptied(eventId, classroomId, 'disconnected classroom taken off stage');
    return true;
  }

  /**
   * Runs a task alone for this classroom on this instance: its stage producers
   * are opened one at a time, so that the count of open ones and the check of
   * the stage that follows each one are not raced by another.
   */
  exclusive<T>(eventId: string, classroomId: string, task: () => Promise<T>): Promise<T> {
    return this.#turns.run(`${eventId}:${classroomId}`, task);
  }

  /** Whether this classroom is live on stage now (read from the database, not a cache). */
  async isLiveOnStage(eventId: string, classroomId: string): Promise<boolean> {
    const rows = await this.#sql`select 1 from stage where event_id = ${eventId}
      and classroom_id = ${classroomId} and status = 'live'`;
    return rows.length > 0;
  }

  // --- removal

  async removeClassroom(eventId: string, classroomId: string, by: string): Promise<void> {
    await this.#sql`insert into classroom_removals (event_id, classroom_id)
                    values (${eventId}, ${classroomId}) on conflict do nothing`;
    await this
      .#sql`insert into moderation_actions (event_id, classroom_id, actor_role, actor_name, action)
                    values (${eventId}, ${classroomId}, 'moderator', ${by}, 'remove_classroom')`;
    await this.lowerHand(eventId, classroomId);
    await this.clear(eventId, classroomId).catch(() => {});
    this.#log.info({ eventId, classroomId }, 'classroom removed from event');
    await this.#publish({ kind: 'participant.remove', eventId, classroomId });
  }

  /**
   * Takes a removal back: the classroom's link opens the event again (the
   * upgrade reads `classroom_removals`). Written to the moderation log; false
   * when the classroom was not removed.
   */
  async reinstateClassroom(eventId: string, classroomId: string, by: string): Promise<boolean> {
    const rows = await this.#sql`delete from classroom_removals
      where event_id = ${eventId} and classroom_id = ${classroomId} returning classroom_id`;
    if (rows.length === 0) return false;
    await this
      .#sql`insert into moderation_actions (event_id, classroom_id, actor_role, actor_name, action)
                    values (${eventId}, ${classroomId}, 'moderator', ${by}, 'reinstate_classroom')`;
    this.#log.info({ eventId, classroomId }, 'classroom reinstated in event');
    return true;
  }

  /** The classrooms removed from the event, most recent first. */
  async removedClassrooms(eventId: string): Promise<RemovedClassroom[]> {
    const rows = await this.#sql<(Omit<HandRow, 'raisedAt'> & { removedAt: Date })[]>`
      select r.classroom_id, r.removed_at, c.label, s.name as school_name, s.town
      from classroom_removals r join classrooms c on c.id = r.classroom_id
      join schools s on s.id = c.school_id
      where r.event_id = ${eventId} order by r.removed_at desc, r.classroom_id`;
    return rows.map((r) => ({
      classroomId: r.classroomId,
      name: classroomDisplayName(r),
      removedAt: r.removedAt.toISOString(),
    }));
  }

  /** Stops waiting on disconnected classrooms; the stage stays as it is. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#departures.values()) clearTimeout(timer);
    this.#departures.clear();
  }

  /** The stage is empty now: every instance's room hears it, the classroom stops sending. */
  async #emptied(eventId: string, classroomId: string, what: string): Promise<void> {
    this.#log.info({ eventId, classroomId }, what);
    await this.#publish({
      kind: 'stage.updated',
      eventId,
      stage: null,
      previousClassroomId: classroomId,
    });
  }

  async #publish(message: BusMessage): Promise<void> {
    try {
      await this.#bus.publish(message);
    } catch (err) {
      this.#log.error({ err, kind: message.kind, eventId: message.eventId }, 'bus publish failed');
    }
  }
}
