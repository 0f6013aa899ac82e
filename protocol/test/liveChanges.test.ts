import { describe, expect, it } from 'vitest';
import {
  applyPresenceChange,
  applyUpvotes,
  type ConnectedParticipant,
  type Presence,
  type Question,
  type QuestionStatus,
  type Viewer,
  viewOfChange,
} from '../src/index.ts';
import { questionMaker } from './support/questionMaker.ts';

// The gathered pushes (upvote counts, presence changes): who is told what, and
// how a client applies them to its join snapshot.

const C1 = '11111111-1111-4111-8111-111111111111';
const C2 = '22222222-2222-4222-8222-222222222222';
const EVENT = '33333333-3333-4333-8333-333333333333';

const make = questionMaker({ eventId: EVENT, classroomName: '4e A' });
const question = (status: QuestionStatus, classroomId: string, upvotes = 0): Question =>
  make({ status, classroomId, upvotes });

const moderator: Viewer = { role: 'moderator', classroomId: null };
const speaker: Viewer = { role: 'speaker', classroomId: null };
const c1: Viewer = { role: 'classroom', classroomId: C1 };
const c2: Viewer = { role: 'classroom', classroomId: C2 };

describe('upvote counts pushed alone', () => {
  it('tells each viewer the counts of the questions it may see, and nothing when it sees none', () => {
    const approved = question('approved', C1, 7);
    const rejected = question('rejected', C1, 3);
    const change = { kind: 'questions.upvoted', questions: [approved, rejected] } as const;
    const counts = (v: Viewer) => {
      const push = viewOfChange(v, change);
      return push?.event === 'questions.upvoted' ? push.data.upvotes : null;
    };
    expect(counts(moderator)).toEqual([
      { questionId: approved.id, upvotes: 7 },
      { questionId: rejected.id, upvotes: 3 },
    ]);
    expect(counts(speaker)).toEqual([{ questionId: approved.id, upvotes: 7 }]);
    // Its author still sees its rejected question; another classroom does not.
    expect(counts(c1)).toHaveLength(2);
    expect(counts(c2)).toEqual([{ questionId: approved.id, upvotes: 7 }]);
    expect(viewOfChange(c2, { kind: 'questions.upvoted', questions: [rejected] })).toBeNull();
  });

  it("raises counts, never lowers one (the answer to a class's own upvote may have counted more), ignores unknown questions", () => {
    const a = question('approved', C1, 10);
    const b = question('approved', C2, 4);
    const unknown = question('approved', C2, 99);
    const next = applyUpvotes(
      [a, b],
      [
        { questionId: a.id, upvotes: 12 },
        { questionId: b.id, upvotes: 2 },
        { questionId: unknown.id, upvotes: 99 },
      ],
    );
    expect(next.map((q) => [q.id, q.upvotes])).toEqual([
      [a.id, 12],
      [b.id, 4],
    ]);
    // Questions whose count is unchanged stay the same objects (React keeps their rows).
    const same = applyUpvotes([a, b], [{ questionId: a.id, upvotes: 10 }]);
    expect(same[0]).toBe(a);
    expect(same[1]).toBe(b);
  });
});

describe('presence changes', () => {
  const participant = (id: string, extra: Partial<ConnectedParticipant> = {}) =>
    ({
      participantId: id,
      role: 'classroom',
      name: `4e ${id}`,
      classroomId: C1,
      region: 'Bretagne',
      quality: null,
      path: null,
      ...extra,
    }) satisfies ConnectedParticipant;

  it('go to moderators whole, to speakers as counts, to classrooms not at all', () => {
    const change = {
      counts: { speaker: 1, moderator: 1, classroom: 1 },
      classroomsByRegion: { Bretagne: 1 },
      participants: [participant('a')],
      left: ['x'],
    };
    const pushed = [moderator, speaker, c1].map(
      (v) => viewOfChange(v, { kind: 'presence.changed', change }) ?? null,
    );
    expect(pushed).toEqual([
      { event: 'presence.changed', data: change },
      { event: 'presence.changed', data: { ...change, participants: [], left: [] } },
      null,
    ]);
  });

  it('applied to the join snapshot give the presence as it is now', () => {
    const joined: Presence = {
      counts: { speaker: 0, moderator: 0, classroom: 3 },
      classroomsByRegion: { Bretagne: 3 },
      participants: [participant('a'), participant('b'), participant('c')],
    };
    const now = applyPresenceChange(joined, {
      counts: { speaker: 0, moderator: 0, classroom: 3 },
      classroomsByRegion: { Bretagne: 3 },
      // b reported a bad connection, d came, c left.
      participants: [participant('b', { quality: 'bad' }), participant('d')],
      left: ['c', 'never-seen'],
    });
    expect(now?.counts.classroom).toBe(3);
    expect(
      now?.participants
        .map((p) => [p.participantId, p.quality])
        .sort((x, y) => (x[0] ?? '').localeCompare(y[0] ?? '')),
    ).toEqual([
      ['a', null],
      ['b', 'bad'],
      ['d', null],
    ]);
    // Without a snapshot there is nothing to apply a change to.
    expect(
      applyPresenceChange(null, { ...joined, participants: [], left: [] } as never),
    ).toBeNull();
  });
});
