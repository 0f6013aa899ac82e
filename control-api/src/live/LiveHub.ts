import type { ConnectedParticipant } from '@amphi/protocol';
import type { Bus } from '../bus/Bus.ts';
import type { BusMessage } from '../bus/BusMessage.ts';
import type { Logger } from '../logger.ts';
import { EventRoom, REMOTE_PRESENCE_TTL_MS, type RoomMember } from './EventRoom.ts';

/** An event's state read from PostgreSQL, as the bus messages that would state it. */
export type Restate = (eventId: string) => Promise<BusMessage[]>;

/**
 * Every event room of this instance. Subscribes to the bus once and routes
 * each message to its room; re-publishes presence as a heartbeat.
 *
 * After a bus gap (messages may have been lost: Redis went away), each room
 * concerned is re-delivered its state from PostgreSQL (`restate`: the question
 * queue), through the same per-role filter as live messages. Messages arriving
 * meanwhile wait and follow it, so nothing older overwrites what was re-read.
 */
export class LiveHub {
  readonly #bus: Bus;
  readonly #log: Logger;
  readonly #rooms = new Map<string, EventRoom>();
  readonly #unsubscribe: () => void;
  readonly #unsubscribeGap: () => void;
  readonly #heartbeat: NodeJS.Timeout;
  readonly #restate: Restate | undefined;
  /** Events being re-read after a gap: their messages wait here meanwhile. */
  readonly #held = new Map<string, BusMessage[]>();
  /** Events with another gap during their re-read: read once more after it. */
  readonly #again = new Set<string>();
  /** Every event's participants on the other instances, from their snapshots. */
  readonly #snapshots = new Map<
    string,
    Map<string, { participants: ConnectedParticipant[]; at: number }>
  >();
  #closed = false;

  constructor(deps: { bus: Bus; log: Logger; heartbeatMs?: number; restate?: Restate }) {
    this.#bus = deps.bus;
    this.#log = deps.log.child({ component: 'live' });
    this.#restate = deps.restate;
    this.#unsubscribe = this.#bus.subscribe((msg) => {
      if (msg.kind === 'presence.snapshot') this.#heard(msg);
      const held = this.#held.get(msg.eventId);
      if (held) held.push(msg);
      else this.#rooms.get(msg.eventId)?.deliver(msg);
    });
    this.#unsubscribeGap = this.#bus.onGap((eventId) => {
      const ids = eventId === null ? [...this.#rooms.keys()] : [eventId];
      for (const id of ids) if (this.#rooms.has(id)) void this.#resync(id);
    });
    this.#heartbeat = setInterval(() => {
      for (const room of this.#rooms.values()) room.publishSnapshot();
    }, deps.heartbeatMs ?? 5000);
    this.#heartbeat.unref();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The event's room, created on first use and closed when its last member leaves. */
  room(eventId: string): EventRoom {
    if (this.#closed) throw new Error('live hub closed');
    let room = this.#rooms.get(eventId);
    if (!room) {
      const created = new EventRoom(eventId, { bus: this.#bus, log: this.#log });
      created.on('empty', () => {
        created.publishSnapshot();
        created.close();
      });
      created.on('close', () => {
        if (this.#rooms.get(eventId) === created) this.#rooms.delete(eventId);
      });
      this.#rooms.set(eventId, created);
      room = created;
    }
    return room;
  }

  /** A participant connected to this instance, if it is. */
  member(eventId: string, participantId: string): RoomMember | undefined {
    return this.#rooms.get(eventId)?.member(participantId);
  }

  /**
   * Whether a classroom has a socket to the event on any instance, as far as this
   * one knows (its own sockets; the others' from their presence snapshots).
   */
  isClassroomConnected(eventId: string, classroomId: string): boolean {
    return this.#rooms.get(eventId)?.hasClassroom(classroomId) ?? false;
  }

  /**
   * Who is connected to an event across every instance: the room's presence,
   * or, when none of its participants is connected here, the other instances'
   * last snapshots (operators may ask any instance).
   */
  presence(eventId: string): ConnectedParticipant[] {
    const room = this.#rooms.get(eventId);
    if (room) return room.presence().participants;
    const now = Date.now();
    const out: ConnectedParticipant[] = [];
    for (const [instanceId, snap] of this.#snapshots.get(eventId) ?? []) {
      if (now - snap.at > REMOTE_PRESENCE_TTL_MS) this.#snapshots.get(eventId)?.delete(instanceId);
      else out.push(...snap.participants);
    }
    return out;
  }

  #heard(msg: Extract<BusMessage, { kind: 'presence.snapshot' }>): void {
    if (msg.instanceId === this.#bus.instanceId) return;
    let byInstance = this.#snapshots.get(msg.eventId);
    if (!byInstance) {
      byInstance = new Map();
      this.#snapshots.set(msg.eventId, byInstance);
    }
    if (msg.participants.length === 0) byInstance.delete(msg.instanceId);
    else byInstance.set(msg.instanceId, { participants: msg.participants, at: Date.now() });
    if (byInstance.size === 0) this.#snapshots.delete(msg.eventId);
  }

  get roomCount(): number {
    return this.#rooms.size;
  }

  /** This instance's rooms, for monitoring (metrics read them; reading never creates one). */
  rooms(): IterableIterator<EventRoom> {
    return this.#rooms.values();
  }

  /** The event's room on this instance, if it has one (never creates it). */
  existingRoom(eventId: string): EventRoom | undefined {
    return this.#rooms.get(eventId);
  }

  async #resync(eventId: string): Promise<void> {
    if (!this.#restate) return;
    if (this.#held.has(eventId)) {
      this.#again.add(eventId);
      return;
    }
    const held: BusMessage[] = [];
    this.#held.set(eventId, held);
    try {
      do {
        this.#again.delete(eventId);
        const state = await this.#restate(eventId).catch((err: unknown) => {
          this.#log.error({ err, eventId }, 'resynchronising after a bus gap failed');
          return [];
        });
        const room = this.#rooms.get(eventId);
        for (const msg of state) room?.deliver(msg);
        this.#log.info({ eventId, messages: state.length }, 'room resynchronised after a bus gap');
      } while (this.#again.has(eventId) && !this.#closed);
    } finally {
      this.#held.delete(eventId);
      const room = this.#rooms.get(eventId);
      for (const msg of held) room?.deliver(msg);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    this.#unsubscribe();
    this.#unsubscribeGap();
    for (const room of [...this.#rooms.values()]) room.close();
    this.#rooms.clear();
  }
}
