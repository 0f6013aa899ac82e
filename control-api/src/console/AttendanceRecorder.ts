import type { ConnectedParticipant } from '@amphi/protocol';
import type { Bus } from '../bus/Bus.ts';
import type { Sql } from '../db/Database.ts';
import type { Logger } from '../logger.ts';

interface Pending {
  eventId: string;
  classroomId: string;
  firstSeen: Date;
  lastSeen: Date;
  reconnects: number;
  degraded: boolean;
  bad: boolean;
  paths: Set<string>;
}

/**
 * Keeps the after-event numbers: from this instance's own presence snapshots
 * (published on each change and every few seconds), when each classroom was
 * connected, how often it came back after being gone, whether its connection
 * was reported degraded or bad, and its media paths. Gathered in memory and
 * written every `flushMs` in one statement; `close()` writes what is left.
 */
export class AttendanceRecorder {
  readonly #sql: Sql;
  readonly #log: Logger;
  readonly #instanceId: string;
  readonly #unsubscribe: () => void;
  readonly #timer: NodeJS.Timeout;
  /** Classrooms in this instance's last snapshot, per event. */
  readonly #present = new Map<string, Set<string>>();
  /** Classrooms seen since the start, per event: coming back after a gap is a reconnect. */
  readonly #seen = new Map<string, Set<string>>();
  #pending = new Map<string, Pending>();
  #closed = false;

  constructor(opts: { sql: Sql; bus: Bus; log: Logger; flushMs?: number }) {
    this.#sql = opts.sql;
    this.#log = opts.log;
    this.#instanceId = opts.bus.instanceId;
    this.#unsubscribe = opts.bus.subscribe((msg) => {
      if (msg.kind === 'event.updated' && (msg.status === 'ended' || msg.status === 'cancelled')) {
        // Over: nothing more to compare with (what was gathered is still written).
        this.#present.delete(msg.eventId);
        this.#seen.delete(msg.eventId);
        return;
      }
      if (msg.kind !== 'presence.snapshot' || msg.instanceId !== this.#instanceId) return;
      this.#heard(msg.eventId, msg.participants);
    });
    this.#timer = setInterval(() => void this.flush(), opts.flushMs ?? 2000);
    this.#timer.unref();
  }

  #heard(eventId: string, participants: readonly ConnectedParticipant[]): void {
    const now = new Date();
    const before = this.#present.get(eventId) ?? new Set<string>();
    const seen = this.#seen.get(eventId) ?? new Set<string>();
    this.#seen.set(eventId, seen);
    const present = new Set<string>();
    for (const p of participants) {
      if (p.role !== 'classroom' || !p.classroomId) continue;
      const key = `${eventId}:${p.classroomId}`;
      let entry = this.#pending.get(key);
      if (!entry) {
        entry = {
          eventId,
          classroomId: p.classroomId,
          firstSeen: now,
          lastSeen: now,
          reconnects: 0,
          degraded: false,
          bad: false,
          paths: new Set(),
        };
        this.#pending.set(key, entry);
      }
      entry.lastSeen = now;
      if (!present.has(p.classroomId) && !before.has(p.classroomId) && seen.has(p.classroomId)) {
        entry.reconnects += 1;
      }
      if (p.quality === 'degraded') entry.degraded = true;
      if (p.quality === 'bad') entry.bad = true;
      if (p.path) entry.paths.add(p.path);
      present.add(p.classroomId);
      seen.add(p.classroomId);
    }
    this.#present.set(eventId, present);
  }

  /** Writes what was gathered since the last flush. */
  async flush(): Promise<void> {
    if (this.#pending.size === 0) return;
    const rows = [...this.#pending.values()];
    // Arrays go as text (postgres.js would serialise JS booleans and dates in an array wrongly).
    this.#pending = new Map();
    try {
      await this.#sql`
        insert into classroom_attendance as a
          (event_id, classroom_id, first_seen_at, last_seen_at, reconnects,
           degraded_seen, bad_seen, paths)
        select w.event_id, w.classroom_id, w.first_seen, w.last_seen, w.reconnects,
               w.degraded = 't', w.bad = 't', string_to_array(w.paths, ',')
        from unnest(${rows.map((r) => r.eventId)}::uuid[],
                    ${rows.map((r) => r.classroomId)}::uuid[],
                    ${rows.map((r) => r.firstSeen.toISOString())}::timestamptz[],
                    ${rows.map((r) => r.lastSeen.toISOString())}::timestamptz[],
                    ${rows.map((r) => String(r.reconnects))}::int[],
                    ${rows.map((r) => (r.degraded ? 't' : 'f'))}::text[],
                    ${rows.map((r) => (r.bad ? 't' : 'f'))}::text[],
                    ${rows.map((r) => [...r.paths].join(','))}::text[])
          as w(event_id, classroom_id, first_seen, last_seen, reconnects, degraded, bad, paths)
        -- Only classrooms and events that exist (a deleted event's last snapshot).
        where exists (select 1 from events e where e.id = w.event_id)
          and exists (select 1 from classrooms c where c.id = w.classroom_id)
        on conflict (event_id, classroom_id) do update set
          first_seen_at = least(a.first_seen_at, excluded.first_seen_at),
          last_seen_at = greatest(a.last_seen_at, excluded.last_seen_at),
          reconnects = a.reconnects + excluded.reconnects,
          degraded_seen = a.degraded_seen or excluded.degraded_seen,
          bad_seen = a.bad_seen or excluded.bad_seen,
          paths = array(select distinct unnest(a.paths || excluded.paths) order by 1)`;
    } catch (err) {
      if (!this.#closed) this.#log.warn({ err, rows: rows.length }, 'attendance not written');
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#unsubscribe();
    clearInterval(this.#timer);
    await this.flush();
    this.#closed = true;
  }
}
