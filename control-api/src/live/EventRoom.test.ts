import type {
  EventData,
  EventName,
  Question,
  QuestionStatus,
  Role,
  ServerEvent,
} from '@amphi/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { questionMaker } from '../../../protocol/test/support/questionMaker.ts';
import { LocalBus } from '../bus/LocalBus.ts';
import { createLogger } from '../logger.ts';
import { EventRoom, type RoomMember } from './EventRoom.ts';

// The room's fan-out policy with members whose socket is simulated: what each
// is sent, in which order, and what a slow one gets. The same over real
// sockets: test/live-fanout.test.ts.

const EVENT = '33333333-3333-4333-8333-333333333333';
const FLUSH_MS = 20;
const SLOW = 64 * 1024;

class FakeMember implements RoomMember {
  readonly participantId: string;
  readonly name: string;
  readonly region = 'Bretagne';
  readonly tokenId = 'token';
  bufferedAmount = 0;
  /** What was sent, in order; `frames` the very buffers (to see one serialization shared). */
  readonly sent: ServerEvent[] = [];
  readonly frames: Buffer[] = [];

  constructor(
    readonly role: Role,
    readonly classroomId: string | null,
    id: string,
  ) {
    this.participantId = id;
    this.name = id;
  }
  push<E extends EventName>(event: E, data: EventData<E>): void {
    this.sent.push({ event, data } as ServerEvent);
  }
  sendFrame(frame: Buffer): void {
    this.frames.push(frame);
    this.sent.push(JSON.parse(frame.toString()) as ServerEvent);
  }
  close(): void {}
  stageEnded(): void {}
  mediaLost(): void {}
  of<E extends EventName>(event: E): EventData<E>[] {
    return this.sent.filter((s) => s.event === event).map((s) => s.data as EventData<E>);
  }
}

const make = questionMaker({ eventId: EVENT, classroomName: '4e A' });
const question = (status: QuestionStatus, classroomId: string, upvotes = 0): Question =>
  make({ status, classroomId, upvotes });

const classroomId = (i: number) => `11111111-1111-4111-8111-${String(i).padStart(12, '0')}`;
const settle = (ms = FLUSH_MS * 3) => new Promise((r) => setTimeout(r, ms));

let room: EventRoom;
afterEach(() => room?.close());

function setUp(classrooms: number) {
  room = new EventRoom(EVENT, {
    bus: new LocalBus(),
    log: createLogger('silent'),
    flushMs: FLUSH_MS,
    slowSocketBytes: SLOW,
  });
  const moderator = new FakeMember('moderator', null, 'moderator');
  const members = Array.from(
    { length: classrooms },
    (_, i) => new FakeMember('classroom', classroomId(i), `c${i}`),
  );
  room.add(moderator);
  for (const m of members) room.add(m);
  return { moderator, members };
}

const upvoted = (q: Question, upvotes: number) =>
  ({ kind: 'question.upvoted', eventId: EVENT, question: { ...q, upvotes } }) as const;

describe('EventRoom fan-out', () => {
  it('gathers a storm of upvotes into one push per member, serialized once for all of them', async () => {
    const { moderator, members } = setUp(50);
    await settle();
    const q = question('approved', classroomId(0));
    for (let i = 1; i <= 49; i++) room.deliver(upvoted(q, i));
    // Nothing is sent while the upvotes come in: they are only counted.
    expect(members.every((m) => m.of('questions.upvoted').length === 0)).toBe(true);
    await settle();
    for (const m of [moderator, ...members]) {
      expect(m.of('questions.upvoted')).toEqual([{ upvotes: [{ questionId: q.id, upvotes: 49 }] }]);
    }
    // Every member has the same view of the count: one serialization, the same bytes for all.
    const frames = new Set(members.map((m) => m.frames.at(-1)));
    expect(frames.size).toBe(1);
  });

  it('pushes changes after the current turn, in bus order with the gathered counts', async () => {
    const { members } = setUp(3);
    await settle();
    const q = question('approved', classroomId(0), 5);
    room.deliver({
      kind: 'question.updated',
      eventId: EVENT,
      question: q,
      previousStatus: 'pending',
    });
    // Not inside the request that caused it: its answer goes out first.
    expect(members[1]?.of('question.updated')).toEqual([]);
    room.deliver(upvoted(q, 6));
    await settle();
    const seen = members[1]?.sent
      .filter((s) => s.event === 'question.updated' || s.event === 'questions.upvoted')
      .map((s) => s.event);
    expect(seen).toEqual(['question.updated', 'questions.upvoted']);
  });

  it('lets a question pushed whole supersede the counts gathered before it (an unmerge lowers them)', async () => {
    const { members } = setUp(2);
    await settle();
    const q = question('approved', classroomId(0));
    room.deliver(upvoted(q, 10));
    room.deliver({
      kind: 'question.updated',
      eventId: EVENT,
      question: { ...q, upvotes: 4 },
      previousStatus: 'approved',
    });
    // A count read before the unmerge, published after it: counted from 4 again.
    room.deliver(upvoted(q, 5));
    await settle();
    const viewer = members[1] as FakeMember;
    expect(viewer.of('question.updated').map((x) => x.upvotes)).toEqual([4]);
    expect(viewer.of('questions.upvoted')).toEqual([
      { upvotes: [{ questionId: q.id, upvotes: 5 }] },
    ]);
  });

  it('skips a member whose socket is too slow and gives it the current state once it has caught up', async () => {
    const { moderator, members } = setUp(5);
    await settle();
    const q = question('approved', classroomId(0));
    moderator.bufferedAmount = SLOW + 1;
    const slow = members[3] as FakeMember;
    slow.bufferedAmount = SLOW + 1;
    const sentBefore = slow.sent.length;
    moderator.sent.length = 0;
    for (let round = 1; round <= 5; round++) {
      room.deliver(upvoted(q, round * 10));
      room.setQuality(`c${round - 1}`, 'bad');
      await settle();
    }
    // Nothing gathered went to the slow ones while their buffers were full.
    expect(slow.sent.length).toBe(sentBefore);
    expect(moderator.of('presence.changed')).toHaveLength(0);
    expect((members[4] as FakeMember).of('questions.upvoted')).toHaveLength(5);
    // Drained: the current counts, and for the moderator the whole presence, once.
    slow.bufferedAmount = 0;
    moderator.bufferedAmount = 0;
    await settle();
    expect(slow.of('questions.upvoted')).toEqual([
      { upvotes: [{ questionId: q.id, upvotes: 50 }] },
    ]);
    const [presence] = moderator.of('presence.updated');
    expect(presence?.counts.classroom).toBe(5);
    expect(presence?.participants.filter((p) => p.quality === 'bad')).toHaveLength(5);
    // Then the gathered pushes again, as for everyone.
    room.deliver(upvoted(q, 51));
    await settle();
    expect(slow.of('questions.upvoted').at(-1)).toEqual({
      upvotes: [{ questionId: q.id, upvotes: 51 }],
    });
  });

  it('tells moderators what changed in presence, not the whole of it', async () => {
    const { moderator } = setUp(200);
    await settle();
    const pushed = moderator.of('presence.changed');
    expect(pushed.at(-1)?.counts.classroom).toBe(200);
    moderator.sent.length = 0;
    const late = new FakeMember('classroom', classroomId(999), 'late');
    room.add(late);
    room.setQuality('c7', 'degraded');
    await settle();
    const [change, ...more] = moderator.of('presence.changed');
    expect(more).toEqual([]);
    expect(change?.counts.classroom).toBe(201);
    expect(change?.participants.map((p) => p.participantId).sort()).toEqual(['c7', 'late']);
    room.remove(late);
    await settle();
    expect(moderator.of('presence.changed').at(-1)?.left).toEqual(['late']);
    // Classrooms are told nothing of presence.
    expect(late.of('presence.changed')).toEqual([]);
  });
});

describe('EventRoom presence across a resume', () => {
  it('keeps a classroom whose newer socket joined before its older one left (a resume), until the newer one leaves', () => {
    setUp(0);
    const older = new FakeMember('classroom', classroomId(1), 'c1');
    const newer = new FakeMember('classroom', classroomId(1), 'c1');
    const listed = () =>
      room.presence().participants.filter((p) => p.participantId === 'c1').length;
    room.add(older);
    room.add(newer);
    // The older socket is handed over, or its close is noticed, after the newer one joined.
    room.remove(older);
    expect(listed()).toBe(1);
    expect(room.hasClassroom(classroomId(1))).toBe(true);
    room.remove(newer);
    expect(listed()).toBe(0);
    expect(room.hasClassroom(classroomId(1))).toBe(false);
  });
});
