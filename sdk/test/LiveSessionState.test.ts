import {
  applyPresenceChange,
  applyUpvotes,
  type LiveChange,
  type LiveState,
  queueOf,
  type Self,
  type ServerEvent,
  type Viewer,
  viewOfChange,
  viewOfState,
} from '@amphi/protocol';
import { describe, expect, it } from 'vitest';
import { questionMaker } from '../../protocol/test/support/questionMaker.ts';
import {
  applyRanks,
  handsInOrder,
  type LiveView,
  ownHandRaised,
  reduceLive,
  upsertQuestion,
  viewFromJoin,
} from '../src/index.ts';

const EVENT = '00000000-0000-4000-8000-000000000000';
const CLASS_A = '00000000-0000-4000-8000-0000000000aa';
const CLASS_B = '00000000-0000-4000-8000-0000000000bb';

const q = questionMaker({ eventId: EVENT, classroomId: CLASS_A });

function self(role: Self['role'], classroomId: string | null = null): Self {
  return {
    participantId: `p-${role}`,
    role,
    name: role,
    eventId: EVENT,
    classroomId,
    speakerId: null,
  };
}

function emptyState(): LiveState {
  return {
    event: {
      id: EVENT,
      title: 'Métiers du son',
      status: 'scheduled',
      startsAt: '2026-01-01T10:00:00.000Z',
      durationMinutes: 45,
      startedAt: null,
      endedAt: null,
      speakers: [],
    },
    questions: [],
    stage: null,
    hands: [],
    presence: {
      counts: { speaker: 0, moderator: 1, classroom: 0 },
      classroomsByRegion: {},
      participants: [],
    },
    producers: [],
  };
}

function view(who: Self, state: LiveState = emptyState()): LiveView {
  return viewFromJoin({ self: who, state, routerRtpCapabilities: null, iceServers: [] });
}

describe('upsert', () => {
  it('inserts, replaces, and never lets an older update win', () => {
    const a = q({ text: 'new', updatedAt: '2026-01-01T11:00:00.000Z' });
    const stale = { ...a, text: 'old', updatedAt: '2026-01-01T10:59:00.000Z' };
    const newer = { ...a, text: 'newer', updatedAt: '2026-01-01T11:00:01.000Z' };
    expect(upsertQuestion([], a)).toEqual([a]);
    expect(upsertQuestion([a], stale)[0]?.text).toBe('new');
    expect(upsertQuestion([a], newer)[0]?.text).toBe('newer');
  });

  it('keeps the newer question when an answer arrives after the push (the viewer lost it before)', () => {
    const moderator = view(self('moderator'));
    const approved = q({ status: 'approved', updatedAt: '2026-01-01T11:00:02.000Z' });
    const pending = {
      ...approved,
      status: 'pending' as const,
      updatedAt: '2026-01-01T11:00:00.000Z',
    };
    let s = reduceLive(moderator, { event: 'question.updated', data: approved });
    s = reduceLive(s, { event: 'question.updated', data: pending });
    expect(s.questions.map((x) => x.status)).toEqual(['approved']);
  });
});

describe('the speaker talking now', () => {
  it('starts with no one, follows each push, and keeps the same view for a repeat', () => {
    const classroom = view(self('classroom', CLASS_A));
    expect(classroom.activeSpeaker).toBeNull();
    const ines = reduceLive(classroom, {
      event: 'speaker.active',
      data: { participantId: 'p-ines' },
    });
    expect(ines.activeSpeaker).toBe('p-ines');
    // A repeat changes nothing: no new snapshot, no re-render.
    expect(reduceLive(ines, { event: 'speaker.active', data: { participantId: 'p-ines' } })).toBe(
      ines,
    );
    const karim = reduceLive(ines, { event: 'speaker.active', data: { participantId: 'p-karim' } });
    expect(karim.activeSpeaker).toBe('p-karim');
  });
});

describe('queue order and ranks', () => {
  it('applies the moderator ranks and sorts by the protocol queue order', () => {
    const old = q({ upvotes: 0 });
    const voted = q({ upvotes: 5 });
    const ranked = q();
    const pinned = q({ pinned: true });
    const answering = q({ status: 'answering' });
    let s = view(self('speaker'), { ...emptyState(), questions: [old, voted, ranked, pinned] });
    s = reduceLive(s, { event: 'question.updated', data: answering });
    s = reduceLive(s, {
      event: 'questions.reordered',
      data: { ranks: [{ questionId: ranked.id, rank: 1 }] },
    });
    expect(queueOf(s.questions).map((x) => x.id)).toEqual(
      [answering, pinned, ranked, voted, old].map((x) => x.id),
    );
    expect(applyRanks([old], [{ questionId: 'other', rank: 3 }])).toEqual([old]);
  });
});

describe('per-role view', () => {
  it("drops a question a classroom may no longer see, keeps the class's own whatever its status", () => {
    const other = q({ classroomId: CLASS_B, status: 'approved' });
    const mine = q({ classroomId: CLASS_A, status: 'pending' });
    let s = view(self('classroom', CLASS_A), { ...emptyState(), questions: [other, mine] });
    expect(s.questions).toHaveLength(2);
    const later = '2026-01-01T12:00:00.000Z';
    s = reduceLive(s, {
      event: 'question.updated',
      data: { ...other, status: 'rejected', updatedAt: later },
    });
    s = reduceLive(s, {
      event: 'question.updated',
      data: { ...mine, status: 'rejected', updatedAt: later },
    });
    expect(s.questions.map((x) => [x.id, x.status])).toEqual([[mine.id, 'rejected']]);
  });

  it('shows a classroom its own hand and turn only, and no presence; a speaker no hands', () => {
    const hand = (classroomId: string) => ({
      classroomId,
      classroomName: classroomId,
      raisedAt: '2026-01-01T10:01:00.000Z',
    });
    const stage = {
      classroomId: CLASS_B,
      classroomName: 'B',
      status: 'invited' as const,
      since: '2026-01-01T10:02:00.000Z',
    };
    const presence = {
      counts: { speaker: 1, moderator: 1, classroom: 2 },
      classroomsByRegion: {},
      participants: [],
    };
    const pushes: ServerEvent[] = [
      { event: 'hand.updated', data: { classroomId: CLASS_A, raised: true, hand: hand(CLASS_A) } },
      { event: 'hand.updated', data: { classroomId: CLASS_B, raised: true, hand: hand(CLASS_B) } },
      { event: 'stage.updated', data: { stage } },
      { event: 'presence.updated', data: presence },
    ];
    const run = (who: Self) => pushes.reduce(reduceLive, view(who));
    const a = run(self('classroom', CLASS_A));
    expect([a.hands.map((h) => h.classroomId), a.stage, a.presence]).toEqual([
      [CLASS_A],
      null,
      null,
    ]);
    expect(ownHandRaised(a)).toBe(true);
    expect(run(self('classroom', CLASS_B)).stage).toEqual(stage);
    const speaker = run(self('speaker'));
    expect([speaker.hands, speaker.stage, speaker.presence?.participants]).toEqual([[], stage, []]);
    const moderator = run(self('moderator'));
    expect(handsInOrder(moderator.hands)).toHaveLength(2);
    expect(moderator.presence).toEqual(presence);
  });

  it('applies hands, removals and status as the studio did; ignores an unknown status', () => {
    const cid = CLASS_A;
    const hand = { classroomId: cid, classroomName: 'x', raisedAt: '2026-01-01T10:01:00.000Z' };
    let s = view(self('moderator'));
    s = reduceLive(s, { event: 'hand.updated', data: { classroomId: cid, raised: true, hand } });
    expect(handsInOrder(s.hands)).toHaveLength(1);
    s = reduceLive(s, {
      event: 'hand.updated',
      data: { classroomId: cid, raised: false, hand: null },
    });
    expect(s.hands).toHaveLength(0);
    const created = q({ status: 'pending' });
    s = reduceLive(s, { event: 'question.created', data: created });
    s = reduceLive(s, { event: 'question.removed', data: { questionId: created.id } });
    expect(s.questions).toHaveLength(0);
    const startedAt = '2026-01-01T10:00:30.000Z';
    s = reduceLive(s, {
      event: 'event.updated',
      data: { eventId: EVENT, status: 'live', startedAt, endedAt: null },
    });
    expect([s.event.status, s.event.startedAt]).toEqual(['live', startedAt]);
    s = reduceLive(s, {
      event: 'event.updated',
      data: { eventId: EVENT, status: 'paused', startedAt: null, endedAt: null },
    });
    expect([s.event.status, s.event.startedAt]).toEqual(['live', startedAt]);
  });
});

// The contract between server and client, both written with protocol's rules:
// a participant's join snapshot, kept current by the pushes it is sent, stays
// equal to the snapshot it would get by joining again.
describe('pushes keep a view equal to a fresh join', () => {
  const mineA = q({ classroomId: CLASS_A, status: 'pending' });
  const ofB = q({ classroomId: CLASS_B, status: 'pending' });
  const ofB2 = q({ classroomId: CLASS_B, status: 'pending' });
  const at = (s: number) => `2026-01-01T11:00:${String(s).padStart(2, '0')}.000Z`;
  const producer = (role: 'speaker' | 'classroom', id: string) => ({
    producerId: id,
    participantId: `p-${id}`,
    role,
    name: id,
    kind: 'video' as const,
    source: role === 'speaker' ? ('camera' as const) : ('stage' as const),
    classroomId: role === 'classroom' ? CLASS_B : null,
  });
  const stageB = {
    classroomId: CLASS_B,
    classroomName: 'B',
    status: 'live' as const,
    since: at(9),
  };
  const changes: LiveChange[] = [
    { kind: 'question.created', question: mineA },
    { kind: 'question.created', question: ofB },
    {
      kind: 'question.updated',
      question: { ...ofB, status: 'approved', updatedAt: at(1) },
      previousStatus: 'pending',
    },
    {
      kind: 'question.updated',
      question: { ...mineA, status: 'rejected', updatedAt: at(2) },
      previousStatus: 'pending',
    },
    { kind: 'questions.reordered', ranks: [{ questionId: ofB.id, rank: 1 }] },
    // Approved, then taken back: those who saw it in the queue are told it is gone.
    { kind: 'question.created', question: ofB2 },
    {
      kind: 'question.updated',
      question: { ...ofB2, status: 'approved', updatedAt: at(5) },
      previousStatus: 'pending',
    },
    {
      kind: 'question.updated',
      question: { ...ofB2, status: 'rejected', updatedAt: at(6) },
      previousStatus: 'approved',
    },
    {
      kind: 'hand.updated',
      classroomId: CLASS_B,
      hand: { classroomId: CLASS_B, classroomName: 'B', raisedAt: at(3) },
    },
    { kind: 'hand.updated', classroomId: CLASS_B, hand: null },
    { kind: 'stage.updated', stage: stageB, previousClassroomId: null },
    { kind: 'media.producerAdded', producer: producer('speaker', 's1') },
    { kind: 'media.producerAdded', producer: producer('classroom', 'c1') },
    { kind: 'media.producerClosed', producerId: 'c1', role: 'classroom' },
    { kind: 'stage.updated', stage: null, previousClassroomId: CLASS_B },
    {
      kind: 'question.updated',
      question: { ...ofB, status: 'answered', rank: 1, updatedAt: at(4) },
      previousStatus: 'approved',
    },
    { kind: 'questions.upvoted', questions: [{ ...ofB, status: 'answered', upvotes: 3 }] },
    // A count that arrives late never takes one back.
    { kind: 'questions.upvoted', questions: [{ ...ofB, status: 'answered', upvotes: 2 }] },
    {
      kind: 'presence.changed',
      change: {
        counts: { speaker: 0, moderator: 1, classroom: 1 },
        classroomsByRegion: { Guadeloupe: 1 },
        participants: [
          {
            participantId: 'p-b',
            role: 'classroom',
            name: 'B',
            classroomId: CLASS_B,
            region: 'Guadeloupe',
            quality: 'good',
            path: 'udp',
          },
        ],
        left: [],
      },
    },
    {
      kind: 'event.updated',
      eventId: EVENT,
      status: 'live',
      startedAt: at(7),
      endedAt: null,
    },
  ];

  /** The whole state, as the server keeps it. */
  function serverApply(state: LiveState, c: LiveChange): LiveState {
    switch (c.kind) {
      case 'question.created':
      case 'question.updated':
        return { ...state, questions: upsertQuestion(state.questions, c.question) };
      case 'questions.reordered':
        return { ...state, questions: applyRanks(state.questions, c.ranks) };
      case 'hand.updated':
        return {
          ...state,
          hands: [
            ...state.hands.filter((h) => h.classroomId !== c.classroomId),
            ...(c.hand ? [c.hand] : []),
          ],
        };
      case 'stage.updated':
        return { ...state, stage: c.stage };
      case 'questions.upvoted':
        return {
          ...state,
          questions: applyUpvotes(
            state.questions,
            c.questions.map((x) => ({ questionId: x.id, upvotes: x.upvotes })),
          ),
        };
      case 'presence.updated':
        return { ...state, presence: c.presence };
      case 'presence.changed':
        return { ...state, presence: applyPresenceChange(state.presence, c.change) };
      case 'event.updated':
        return {
          ...state,
          event: { ...state.event, status: c.status, startedAt: c.startedAt, endedAt: c.endedAt },
        };
      case 'media.producerAdded':
        return { ...state, producers: [...state.producers, c.producer] };
      case 'media.producerClosed':
        return {
          ...state,
          producers: state.producers.filter((p) => p.producerId !== c.producerId),
        };
      case 'speaker.active':
        // Not kept by the server: a snapshot starts with no one talking.
        return state;
      case 'backstage.message':
        // Not kept: a backstage line lives in the open studios only.
        return state;
    }
  }

  const viewers: [string, Self][] = [
    ['moderator', self('moderator')],
    ['speaker', self('speaker')],
    ['classroom A', self('classroom', CLASS_A)],
    ['classroom B', self('classroom', CLASS_B)],
  ];
  it.each(viewers)('for a %s, after every change', (_name, who) => {
    const viewer: Viewer = { role: who.role, classroomId: who.classroomId };
    let server = emptyState();
    let client = view(who, server);
    for (const change of changes) {
      server = serverApply(server, change);
      const push = viewOfChange(viewer, change);
      if (push) client = reduceLive(client, push);
      const fresh = viewOfState(viewer, server);
      const sortById = (s: LiveState) => ({
        ...s,
        questions: [...s.questions].sort((x, y) => x.id.localeCompare(y.id)),
      });
      const { self: _self, activeSpeaker: _active, ...clientState } = client;
      expect(sortById(clientState), change.kind).toEqual(sortById(fresh));
    }
  });
});
