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
  type PresenceChange,
  type Question,
  type Role,
  type ServerEvent,
  viewOfChange,
} from '@amphi/protocol';
import type { Bus } from '../bus/Bus.ts';
import type { BusMessage } from '../bus/BusMessage.ts';
import type { Logger } from '../logger.ts';
import type { MediaLoss } from '../rtc/MediaNode.ts';

/** A connected participant, as a room sees it. */
export interface RoomMember {
  readonly participantId: string;
  readonly role: Role;
  readonly name: string;
  readonly classroomId: string | null;
  readonly region: string | null;
  /** The id of the join token it came in with (a revoked link closes its sockets). */
  readonly tokenId: string;
  /** Bytes its socket holds that the network has not taken yet. */
  readonly bufferedAmount: number;
  push<E extends EventName>(event: E, data: EventData<E>): void;
  /**
   * Sends a pushed event already serialized (the same bytes for every member
   * that sees it so); `push` is what the bytes say, for a member that orders
   * some pushes against its answers (a socket's producer announcements).
   */
  sendFrame(frame: Buffer, push: ServerEvent): void;
  /** Closes the socket (removed by a moderator, event closed...). */
  close(code: number, reason: string): void;
  /** The classroom left the stage: stop sending its camera. */
  stageEnded(): void;
  /** Its media went with a dead media worker, or its node went silent (MediaLoss). */
  mediaLost(loss?: MediaLoss): void;
}

export type EventRoomEvents = { empty: []; close: [] };

/** A remote instance's snapshot older than this is dropped (its heartbeat is 5 s). */
export const REMOTE_PRESENCE_TTL_MS = 15_000;
/** Upvote counts and presence changes are gathered this long, then pushed at once. */
export const LIVE_FLUSH_MS = 250;
/**
 * A socket holding more than this is too slow for the gathered pushes: it misses
 * them, and gets the current state once it holds less than half of it.
 */
export const SLOW_SOCKET_BYTES = 512 * 1024;
/**
 * Pushes stop after this long and let answers and reads go first (one push to
 * a thousand sockets is a thousand writes: tens of milliseconds).
 */
const FAN_OUT_SLICE_MS = 5;

export interface EventRoomOptions {
  bus: Bus;
  log: Logger;
  flushMs?: number;
  slowSocketBytes?: number;
}

/** Bus messages that are pushed to members as they come (in order, after the answer). */
type Pushed = Exclude<
  BusMessage,
  {
    kind:
      | 'presence.snapshot'
      | 'participant.remove'
      | 'participant.resumed'
      | 'link.revoked'
      | 'question.upvoted';
  }
>;

/** One change on its way to the members, a slice at a time. */
interface FanOut {
  change: LiveChange;
  /** A gathered change: skips the members too slow to take it. */
  gathered: boolean;
  /** Who gets it: the members when it starts, unless given. */
  members?: RoomMember[];
  next: number;
  /** Each distinct view of the change, serialized once. */
  frames: { push: ServerEvent; frame: Buffer }[];
  /** Run once every member has been sent it. */
  done?: () => void;
}

interface RemoteSnapshot {
  participants: Map<string, ConnectedParticipant>;
  classrooms: Set<string>;
  at: number;
}

/**
 * One event's live participants on this instance. Receives every bus message
 * for the event and delivers it to the members allowed to see it (protocol's
 * per-role view), each distinct view serialized once. Keeps the presence of
 * the other instances from their snapshots.
 *
 * Nothing here runs inside the request that caused a change: pushes go out on
 * a later turn of the event loop, after the answer. Frequent changes (upvote
 * counts, presence) are gathered for LIVE_FLUSH_MS and pushed as one message
 * per member; a member whose socket is too slow misses them and gets the
 * current state when it has caught up, instead of a growing buffer.
 */
export class EventRoom extends EventEmitter<EventRoomEvents> {
  readonly eventId: string;
  readonly #bus: Bus;
  readonly #log: Logger;
  readonly #flushMs: number;
  readonly #slowBytes: number;
  readonly #members = new Map<string, RoomMember>();
  /** Classrooms connected here, with their socket count. */
  readonly #classrooms = new Map<string, number>();
  readonly #quality = new Map<string, ConnectionQuality>();
  readonly #path = new Map<string, MediaPath>();
  /** Each member as presence shows it, made once (every join reads the whole presence). */
  readonly #participants = new Map<string, ConnectedParticipant>();
  readonly #remote = new Map<string, RemoteSnapshot>();
  /** Changes on their way to the members, in order (bus order, then each flush). */
  readonly #fanOuts: FanOut[] = [];
  /** Each upvoted question as last known (its highest count): the counts a late member is given. */
  readonly #upvoted = new Map<string, Question>();
  /** Questions whose count changed since the last flush. */
  readonly #countsChanged = new Set<string>();
  /** Participants who came, changed or left since the last flush. */
  readonly #presenceChanged = new Set<string>();
  /** Members that missed gathered pushes (too slow) and are owed the current state. */
  readonly #behind = new Set<RoomMember>();
  #snapshotTimer: NodeJS.Timeout | undefined;
  #flushTimer: NodeJS.Timeout | undefined;
  #drain: NodeJS.Immediate | undefined;
  #closed = false;
  /** Lets monitoring watch members come and go without interfering. */
  readonly observer = new EventEmitter<{
    memberadded: [RoomMember];
    memberremoved: [RoomMember];
  }>();

  constructor(eventId: string, deps: EventRoomOptions) {
    super();
    this.eventId = eventId;
    this.#bus = deps.bus;
    this.#log = deps.log.child({ eventId });
    this.#flushMs = deps.flushMs ?? LIVE_FLUSH_MS;
    this.#slowBytes = deps.slowSocketBytes ?? SLOW_SOCKET_BYTES;
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
    // A resumed socket takes its participant's place: the same classroom, counted once.
    const replaced = this.#members.has(member.participantId);
    this.#members.set(member.participantId, member);
    if (member.classroomId && !replaced) {
      this.#classrooms.set(member.classroomId, (this.#classrooms.get(member.classroomId) ?? 0) + 1);
    }
    this.observer.emit('memberadded', member);
    this.#participantChanged(member.participantId);
  }

  remove(member: RoomMember): void {
    // An older socket of a participant whose newer one has taken its place
    // leaves only itself: the participant stays in the room.
    if (this.#members.get(member.participantId) !== member) {
      this.#behind.delete(member);
      return;
    }
    this.#members.delete(member.participantId);
    if (member.classroomId) {
      const n = (this.#classrooms.get(member.classroomId) ?? 1) - 1;
      if (n > 0) this.#classrooms.set(member.classroomId, n);
      else this.#classrooms.delete(member.classroomId);
    }
    this.#quality.delete(member.participantId);
    this.#path.delete(member.participantId);
    this.#participants.delete(member.participantId);
    this.#behind.delete(member);
    this.observer.emit('memberremoved', member);
    this.#participantChanged(member.participantId);
    if (this.#members.size === 0) this.emit('empty');
  }

  /** A member's own reading of its connection (and media path); moderators hear of changes only. */
  setQuality(participantId: string, quality: ConnectionQuality, path?: MediaPath): void {
    if (!this.#members.has(participantId)) return;
    const pathChanged = path !== undefined && this.#path.get(participantId) !== path;
    if (this.#quality.get(participantId) === quality && !pathChanged) return;
    this.#quality.set(participantId, quality);
    if (path !== undefined) this.#path.set(participantId, path);
    this.#participants.delete(participantId);
    this.#participantChanged(participantId);
  }

  /** The media path a member of this instance last reported (`hls`: the fallback, no stage). */
  pathOf(participantId: string): MediaPath | undefined {
    return this.#path.get(participantId);
  }

  /** The connection quality a member of this instance last reported. */
  qualityOf(participantId: string): ConnectionQuality | undefined {
    return this.#quality.get(participantId);
  }

  /** Who is connected to the event across every instance. */
  presence(): Presence {
    this.#expireRemote();
    const participants = [...this.#everyone()];
    return { ...tally(participants), participants };
  }

  /** Whether a socket of this classroom is connected, here or (as presence shows) elsewhere. */
  hasClassroom(classroomId: string): boolean {
    if (this.#classrooms.has(classroomId)) return true;
    this.#expireRemote();
    for (const snap of this.#remote.values()) if (snap.classrooms.has(classroomId)) return true;
    return false;
  }

  /** Publishes this instance's participants (called on change and as a heartbeat). */
  publishSnapshot(): void {
    if (this.#closed) return;
    // The heartbeat is also when instances gone silent drop out of presence.
    this.#expireRemote();
    this.#bus
      .publish({
        kind: 'presence.snapshot',
        eventId: this.eventId,
        instanceId: this.#bus.instanceId,
        participants: [...this.#members.values()].map((m) => this.#participantOf(m)),
      })
      .catch((err: unknown) => this.#log.warn({ err }, 'presence publish failed'));
  }

  deliver(msg: BusMessage): void {
    if (this.#closed) return;
    switch (msg.kind) {
      case 'presence.snapshot':
        if (msg.instanceId !== this.#bus.instanceId) this.#remoteSnapshot(msg);
        return;
      case 'participant.remove':
        for (const m of [...this.#members.values()]) {
          if (m.classroomId === msg.classroomId) m.close(4003, 'removed by a moderator');
        }
        return;
      case 'participant.resumed':
        // The signaling's sessions hand the older socket over (SignalingSessions).
        return;
      case 'link.revoked':
        for (const m of [...this.#members.values()]) {
          if (m.tokenId === msg.tokenId)
            m.close(CloseCode.TOKEN_REVOKED, 'this join link was revoked');
        }
        return;
      case 'question.upvoted':
        this.#counted(msg.question);
        return;
      case 'question.created':
      case 'question.updated':
        // In bus order with the counts: those gathered before it are superseded.
        this.#restated(msg.question);
        this.#enqueue(msg);
        return;
      default:
        this.#enqueue(msg);
    }
  }

  /** Closes every member's socket and stops timers. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#snapshotTimer);
    clearTimeout(this.#flushTimer);
    if (this.#drain) clearImmediate(this.#drain);
    for (const m of [...this.#members.values()]) m.close(1001, 'server shutting down');
    this.#members.clear();
    this.#behind.clear();
    this.emit('close');
  }

  /** Pushed on a later turn of the event loop: after the answer to the request that caused it. */
  #enqueue(msg: Pushed): void {
    const fanOut: FanOut = { change: msg, gathered: false, next: 0, frames: [] };
    if (msg.kind === 'stage.updated') {
      // The classroom whose turn ended stops sending its camera.
      fanOut.done = () => {
        for (const m of this.#members.values()) {
          if (m.classroomId !== null && m.classroomId === msg.previousClassroomId) m.stageEnded();
        }
      };
    }
    this.#push(fanOut);
  }

  #push(fanOut: FanOut): void {
    this.#fanOuts.push(fanOut);
    this.#drain ??= setImmediate(() => this.#drainFanOuts());
  }

  /** Sends the queued changes in order, a slice of time at a time. */
  #drainFanOuts(): void {
    this.#drain = undefined;
    const until = performance.now() + FAN_OUT_SLICE_MS;
    let sent = 0;
    while (!this.#closed) {
      const fanOut = this.#fanOuts[0];
      if (!fanOut) return;
      fanOut.members ??= [...this.#members.values()];
      while (fanOut.next < fanOut.members.length) {
        this.#sendTo(fanOut.members[fanOut.next++] as RoomMember, fanOut);
        if (++sent % 32 === 0 && performance.now() > until) {
          this.#drain = setImmediate(() => this.#drainFanOuts());
          return;
        }
      }
      this.#fanOuts.shift();
      fanOut.done?.();
    }
  }

  /**
   * Sends a member the change as its role may see it (protocol's live view), or
   * nothing. Members with the same view share one serialization. A gathered
   * change skips a member whose socket is too slow: it is owed the current state.
   */
  #sendTo(m: RoomMember, fanOut: FanOut): void {
    if (fanOut.gathered && this.#behind.has(m)) return;
    const push = viewOfChange(m, fanOut.change);
    if (!push) return;
    if (fanOut.gathered && m.bufferedAmount > this.#slowBytes) {
      this.#behind.add(m);
      return;
    }
    let view = fanOut.frames.find(
      (f) => f.push.event === push.event && sameValue(f.push.data, push.data),
    );
    if (!view) {
      view = { push, frame: Buffer.from(JSON.stringify(push)) };
      fanOut.frames.push(view);
    }
    m.sendFrame(view.frame, view.push);
  }

  // --- gathered changes: upvote counts and presence

  /**
   * An upvote's count. Between two changes of the question itself counts only
   * grow: a lower one was read before a higher one already here.
   */
  #counted(question: Question): void {
    const known = this.#upvoted.get(question.id);
    if (known && known.upvotes >= question.upvotes) return;
    this.#upvoted.set(question.id, question);
    this.#countsChanged.add(question.id);
    this.#scheduleFlush();
  }

  /**
   * A question pushed whole (its count included, which a merge or an unmerge
   * may have lowered): counts gathered before it are superseded, and counting
   * starts again from it.
   */
  #restated(question: Question): void {
    if (!this.#upvoted.has(question.id)) return;
    this.#upvoted.set(question.id, question);
    this.#countsChanged.delete(question.id);
  }

  #participantChanged(participantId: string): void {
    this.#snapshotTimer ??= setTimeout(() => {
      this.#snapshotTimer = undefined;
      this.publishSnapshot();
    }, 200);
    this.#presenceChanged.add(participantId);
    this.#scheduleFlush();
  }

  #remoteSnapshot(msg: Extract<BusMessage, { kind: 'presence.snapshot' }>): void {
    const before = this.#remote.get(msg.instanceId)?.participants;
    const now = new Map(msg.participants.map((p) => [p.participantId, p]));
    for (const [id, p] of now) {
      const old = before?.get(id);
      if (!old || !sameValue(old, p)) this.#presenceChanged.add(id);
    }
    for (const id of before?.keys() ?? []) if (!now.has(id)) this.#presenceChanged.add(id);
    const classrooms = new Set<string>();
    for (const p of msg.participants) if (p.classroomId) classrooms.add(p.classroomId);
    this.#remote.set(msg.instanceId, { participants: now, classrooms, at: Date.now() });
    if (this.#presenceChanged.size > 0) this.#scheduleFlush();
  }

  #expireRemote(): void {
    const now = Date.now();
    for (const [instanceId, snap] of this.#remote) {
      if (now - snap.at <= REMOTE_PRESENCE_TTL_MS) continue;
      this.#remote.delete(instanceId);
      for (const id of snap.participants.keys()) this.#presenceChanged.add(id);
      this.#scheduleFlush();
    }
  }

  #scheduleFlush(): void {
    if (this.#closed) return;
    this.#flushTimer ??= setTimeout(() => this.#flush(), this.#flushMs);
  }

  /**
   * One push per member for everything gathered (after the changes queued
   * before it), and the current state for the members that caught up.
   */
  #flush(): void {
    this.#flushTimer = undefined;
    if (this.#closed) return;
    this.#expireRemote();
    const caughtUp = [...this.#behind].filter((m) => m.bufferedAmount <= this.#slowBytes / 2);
    if (caughtUp.length > 0) {
      for (const m of caughtUp) this.#behind.delete(m);
      const state: LiveChange[] = [
        { kind: 'presence.updated', presence: this.presence() },
        { kind: 'questions.upvoted', questions: [...this.#upvoted.values()] },
      ];
      for (const change of state) {
        this.#push({ change, gathered: false, members: caughtUp, next: 0, frames: [] });
      }
    }
    if (this.#countsChanged.size > 0) {
      const questions = [...this.#countsChanged].map((id) => this.#upvoted.get(id) as Question);
      this.#countsChanged.clear();
      this.#push({
        change: { kind: 'questions.upvoted', questions },
        gathered: true,
        next: 0,
        frames: [],
      });
    }
    if (this.#presenceChanged.size > 0) {
      const change = [...this.#members.values()].some((m) => canSeePresence(m))
        ? this.#presenceChange()
        : null;
      this.#presenceChanged.clear();
      if (change) {
        this.#push({
          change: { kind: 'presence.changed', change },
          gathered: true,
          next: 0,
          frames: [],
        });
      }
    }
    // Members still behind are looked at again on the next flush.
    if (this.#behind.size > 0) this.#scheduleFlush();
  }

  #presenceChange(): PresenceChange {
    const participants: ConnectedParticipant[] = [];
    const left: string[] = [];
    for (const id of this.#presenceChanged) {
      const p = this.#participant(id);
      if (p) participants.push(p);
      else left.push(id);
    }
    return { ...tally(this.#everyone()), participants, left };
  }

  #participant(participantId: string): ConnectedParticipant | undefined {
    const m = this.#members.get(participantId);
    if (m) return this.#participantOf(m);
    for (const snap of this.#remote.values()) {
      const p = snap.participants.get(participantId);
      if (p) return p;
    }
    return undefined;
  }

  /** Local members, then the other instances' participants. */
  *#everyone(): Generator<ConnectedParticipant> {
    for (const m of this.#members.values()) yield this.#participantOf(m);
    for (const snap of this.#remote.values()) yield* snap.participants.values();
  }

  #participantOf(m: RoomMember): ConnectedParticipant {
    let p = this.#participants.get(m.participantId);
    if (!p) {
      p = {
        participantId: m.participantId,
        role: m.role,
        name: m.name,
        classroomId: m.classroomId,
        region: m.region,
        quality: this.#quality.get(m.participantId) ?? null,
        path: this.#path.get(m.participantId) ?? null,
      };
      this.#participants.set(m.participantId, p);
    }
    return p;
  }
}

/** Counts per role and connected classrooms per region. */
function tally(participants: Iterable<ConnectedParticipant>): Omit<Presence, 'participants'> {
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
  return { counts, classroomsByRegion };
}

/**
 * Whether two JSON values are equal: the views of one change are built from
 * the same objects, so this mostly compares references, and it costs less than
 * the serialization it saves.
 */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => sameValue(x, b[i]));
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) =>
    sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}
