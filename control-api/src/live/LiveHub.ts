import type { Bus } from '../bus/Bus.ts';
import type { Logger } from '../logger.ts';
import { EventRoom, type RoomMember } from './EventRoom.ts';

/**
 * Every event room of this instance. Subscribes to the bus once and routes
 * each message to its room; re-publishes presence as a heartbeat.
 */
export class LiveHub {
  readonly #bus: Bus;
  readonly #log: Logger;
  readonly #rooms = new Map<string, EventRoom>();
  readonly #unsubscribe: () => void;
  readonly #heartbeat: NodeJS.Timeout;
  #closed = false;

  constructor(deps: { bus: Bus; log: Logger; heartbeatMs?: number }) {
    this.#bus = deps.bus;
    this.#log = deps.log.child({ component: 'live' });
    this.#unsubscribe = this.#bus.subscribe((msg) => this.#rooms.get(msg.eventId)?.deliver(msg));
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

  get roomCount(): number {
    return this.#rooms.size;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    this.#unsubscribe();
    for (const room of [...this.#rooms.values()]) room.close();
    this.#rooms.clear();
  }
}
