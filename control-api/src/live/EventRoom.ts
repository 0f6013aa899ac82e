import { EventEmitter } from 'node:events';
import {
  CloseCode,
  type ConnectedParticipant,
  type ConnectionQuality,
  canSeePresence,
  type EventData,
  type EventName,
  type LiveChange,
  type MediaPath,
  type Presence,
  type Role,
  type ServerEvent,
  viewOfChange,
} from '@amphi/protocol';
import type { Bus } from '../bus/Bus.ts';
import type { BusMessage } from '../bus/BusMessage.ts';
import type { Logger } from '../logger.ts';

/** A connected participant, as a room sees it. */
export interface RoomMember {
  readonly participantId: string;
  readonly role: Role;
  readonly name: string;
  readonly classroomId: string | null;
  readonly region: string | null;
  /** The id of the join token it came in with (a revoked link closes its sockets). */
  readonly tokenId: string;
  push<E extends EventName>(event: E, data: EventData<E>): void;
  /** Closes the socket (removed by a moderator, event closed...). */
  close(code: number, reason: string): void;
  /** The classroom left the stage: stop sending its camera. */
  stageEnded(): void;
  /** Its media went with a dead media worker: the client must set it up again. */
  mediaLost(): void;
}

export type EventRoomEvents = { empty: []; close: [] };

/** A remote instance's snapshot older than this is dropped (its heartbeat is 5 s). */
export const REMOTE_PRESENCE_TTL_MS = 15_000;

/**
 * One event's live participants on this instance. Receives every bus message
 * for the event and delivers it to the members allowed to see it. Keeps the
 * presence of the other instances from their snapshots.
 */
export class EventRoom extends EventEmitter<EventRoomEvents> {
  readonly eventId: string;
  readonly #bus: Bus;
  readonly #log: Logger;
  readonly #members = new Map<string, RoomMember>();
  readonly #quality = new Map<string, ConnectionQuality>();
  readonly #path = new Map<string, MediaPath>();
  readonly #remote = new Map<string, { participants: ConnectedParticipant[]; at: number }>();
  #snapshotTimer: NodeJS.Timeout | undefined;
  #presencePushTimer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Lets monitoring watch members come and go without interfering. */
  readonly observer = new EventEmitter<{
    memberadded: [RoomMember];
    memberremoved: [RoomMember];
  }>();

  constructor(eventId: string, deps: { bus: Bus; log: Logger }) {
    super();
    this.eventId = eventId;
    this.#bus = deps.bus;
    this.#log = deps.log.child({ eventId });
  }

  get closed(): boolean {
    return this.#closed;
  }

  get size(): number {
    return this.#members.size;
  }

  members(): IterableIterator<RoomMember> {
    return this.#members.values();
  }

  member(participantId: string): RoomMember | undefined {
    return this.#members.get(participantId);
  }

  add(member: RoomMember): void {
    if (this.#closed) throw new Error('room closed');
    this.#members.set(member.participantId, member);
    this.observer.emit('memberadded', member);
    this.#presenceChanged();
  }

  remove(member: RoomMember): void {
    if (!this.#members.delete(member.participantId)) return;
    this.#quality.delete(member.participantId);
    this.#path.delete(member.participantId);
    this.observer.emit('memberremoved', member);
    this.#presenceChanged();
    if (this.#members.size === 0) this.emit('empty');
  }

  /** A member's own reading of its connection (and media path); moderators hear of changes only. */
  setQuality(participantId: string, quality: ConnectionQuality, path?: MediaPath): void {
    if (!this.#members.has(participantId)) return;
    const pathChanged = path !== undefined && this.#path.get(participantId) !== path;
    if (this.#quality.get(participantId) === quality && !pathChanged) return;
    this.#quality.set(participantId, quality);
    if (path !== undefined) this.#path.set(participantId, path);
    this.#presenceChanged();
  }

  /** Who is connected to the event across every instance. */
  presence(): Presence {
    const now = Date.now();
    const participants: ConnectedParticipant[] = [...this.#localParticipants()];
    for (const [instanceId, snap] of this.#remote) {
      if (now - snap.at > REMOTE_PRESENCE_TTL_MS) {
        this.#remote.delete(instanceId);
        continue;
      }
      participants.push(...snap.participants);
    }
    const counts = { speaker: 0, moderator: 0, classroom: 0 };
    const classroomsByRegion: Record<string, number> = {};
    const seenClassrooms = new Set<string>();
    for (const p of participants) {
      counts[p.role] += 1;
      if (p.role === 'classroom' && p.classroomId && !seenClassrooms.has(p.classroomId)) {
        seenClassrooms.add(p.classroomId);
        const region = p.region ?? 'inconnue';
        classroomsByRegion[region] = (classroomsByRegion[region] ?? 0) + 1;
      }
    }
    return { counts, classroomsByRegion, participants };
  }

  /** Whether a socket of this classroom is connected, here or (as presence shows) elsewhere. */
  hasClassroom(classroomId: string): boolean {
    return this.presence().participants.some((p) => p.classroomId === classroomId);
  }

  /** Publishes this instance's participants (called on change and as a heartbeat). */
  publishSnapshot(): void {
    if (this.#closed) return;
    this.#bus
      .publish({
        kind: 'presence.snapshot',
        eventId: this.eventId,
        instanceId: this.#bus.instanceId,
        participants: [...this.#localParticipants()],
      })
      .catch((err: unknown) => this.#log.warn({ err }, 'presence publish failed'));
  }

  deliver(msg: BusMessage): void {
    if (this.#closed) return;
    switch (msg.kind) {
      case 'presence.snapshot':
        if (msg.instanceId === this.#bus.instanceId) return;
        this.#remote.set(msg.instanceId, { participants: msg.participants, at: Date.now() });
        this.#schedulePresencePush();
        return;
      case 'participant.remove':
        for (const m of [...this.#members.values()]) {
          if (m.classroomId === msg.classroomId) m.close(4003, 'removed by a moderator');
        }
        return;
      case 'link.revoked':
        for (const m of [...this.#members.values()]) {
          if (m.tokenId === msg.tokenId)
            m.close(CloseCode.TOKEN_REVOKED, 'this join link was revoked');
        }
        return;
      case 'stage.updated':
        this.#fanOut(msg);
        for (const m of this.#members.values()) {
          if (m.classroomId !== null && m.classroomId === msg.previousClassroomId) m.stageEnded();
        }
        return;
      default:
        this.#fanOut(msg);
    }
  }

  /** Each member gets the change as its role may see it (protocol's live view), or nothing. */
  #fanOut(change: LiveChange): void {
    for (const m of this.#members.values()) {
      const push = viewOfChange(m, change);
      if (push) pushTo(m, push);
    }
  }

  /** Closes every member's socket and stops timers. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#snapshotTimer);
    clearTimeout(this.#presencePushTimer);
    for (const m of [...this.#members.values()]) m.close(1001, 'server shutting down');
    this.#members.clear();
    this.emit('close');
  }

  *#localParticipants(): Iterable<ConnectedParticipant> {
    for (const m of this.#members.values()) {
      yield {
        participantId: m.participantId,
        role: m.role,
        name: m.name,
        classroomId: m.classroomId,
        region: m.region,
        quality: this.#quality.get(m.participantId) ?? null,
        path: this.#path.get(m.participantId) ?? null,
      };
    }
  }

  #presenceChanged(): void {
    if (!this.#snapshotTimer) {
      this.#snapshotTimer = setTimeout(() => {
        this.#snapshotTimer = undefined;
        this.publishSnapshot();
      }, 200);
    }
    this.#schedulePresencePush();
  }

  #schedulePresencePush(): void {
    if (this.#presencePushTimer || this.#closed) return;
    this.#presencePushTimer = setTimeout(() => {
      this.#presencePushTimer = undefined;
      if (this.#closed) return;
      if (![...this.#members.values()].some((m) => canSeePresence(m))) return;
      this.#fanOut({ kind: 'presence.updated', presence: this.presence() });
    }, 300);
  }
}

function pushTo(member: RoomMember, push: ServerEvent): void {
  (member.push as (event: EventName, data: unknown) => void)(push.event, push.data);
}
