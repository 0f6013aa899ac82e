import { describe, expect, it } from 'vitest';
import {
  actionsAllowed,
  canSeeQuestion,
  compareQueue,
  type LiveChange,
  type LiveState,
  MODERATING_ROLES,
  mayConsume,
  mayMergeInto,
  mayProduce,
  mayTakeAction,
  mayUpvote,
  type ProducerInfo,
  producerRoleOf,
  type Question,
  QuestionStatus,
  questionScope,
  questionTransition,
  queueOf,
  Role,
  SENDING_ROLES,
  type ServerEvent,
  stageProduce,
  statusesAllowing,
  type Viewer,
  viewOfChange,
  viewOfState,
} from '../src/index.ts';
import { questionMaker } from './support/questionMaker.ts';

const STATUSES = QuestionStatus.options;
const ROLES = Role.options;

// --- Question transitions ----------------------------------------------------

// The expected table, written as the spec, one line per state: for each action,
// the next state, '=' (status unchanged), or '-' (refused in that state).
// reopen and unmerge are the console's undo: back to triage.
//            approve     reject      merge     edit pin  answering    answered    reopen     unmerge
// biome-ignore format: the spec reads as a table
const MODERATOR = {
  pending:   ['approved', 'rejected', 'merged', '=', '-', '-',         '-',        '-',       '-'],
  approved:  ['-',        'rejected', 'merged', '=', '=', 'answering', 'answered', 'pending', '-'],
  rejected:  ['approved', '-',        'merged', '=', '-', '-',         '-',        'pending', '-'],
  merged:    ['-',        '-',        '-',      '-', '-', '-',         '-',        '-',       'pending'],
  answering: ['-',        '-',        '-',      '=', '=', '-',         'answered', '-',       '-'],
  answered:  ['-',        '-',        '-',      '-', '-', 'answering', '-',        '-',       '-'],
} as const satisfies Record<QuestionStatus, readonly string[]>;
const COLUMNS = [
  'approve',
  'reject',
  'merge',
  'edit',
  'pin',
  'answering',
  'answered',
  'reopen',
  'unmerge',
] as const;
/** The speaker takes questions itself: answering and answered, nothing else. */
const SPEAKER_ACTIONS: readonly string[] = ['answering', 'answered'];

function expected(
  status: QuestionStatus,
  column: number,
  role: Role,
): { ok: true; next: QuestionStatus } | { ok: false; code: string } {
  const action = COLUMNS[column] as string;
  if (role === 'classroom' || (role === 'speaker' && !SPEAKER_ACTIONS.includes(action))) {
    return { ok: false, code: 'FORBIDDEN' };
  }
  const cell = MODERATOR[status][column] as string;
  if (cell === '-') return { ok: false, code: 'INVALID_STATE' };
  return { ok: true, next: cell === '=' ? status : (cell as QuestionStatus) };
}

describe('question transitions', () => {
  const cases = STATUSES.flatMap((status) =>
    COLUMNS.flatMap((action, column) =>
      ROLES.map((role) => ({ status, action, role, want: expected(status, column, role) })),
    ),
  );

  it('covers every state × action × role', () => {
    expect(cases).toHaveLength(6 * 9 * 3);
  });

  it.each(cases)('$role $action on a $status question', ({ status, action, role, want }) => {
    const got = questionTransition(status, action, role);
    expect(got.ok ? { ok: true, next: got.next } : { ok: false, code: got.code }).toEqual(want);
    if (!got.ok) expect(got.message.length).toBeGreaterThan(0);
  });

  it('derives the console actions, the SQL states and the roles from the same table', () => {
    // The console offered "pin" on a pending question, which the server refused.
    expect(actionsAllowed('pending', 'moderator')).toEqual(['approve', 'edit', 'merge', 'reject']);
    expect(actionsAllowed('pending', 'moderator')).not.toContain('pin');
    expect(actionsAllowed('approved', 'moderator')).toEqual([
      'answering',
      'answered',
      'pin',
      'edit',
      'merge',
      'reject',
      'reopen',
    ]);
    // Every triage decision has its way back (the console's undo), for moderators only.
    expect(actionsAllowed('rejected', 'moderator')).toEqual(['approve', 'edit', 'merge', 'reopen']);
    expect(actionsAllowed('merged', 'moderator')).toEqual(['unmerge']);
    expect(actionsAllowed('answered', 'moderator')).toEqual(['answering']);
    expect(actionsAllowed('answering', 'moderator')).toEqual(['answered', 'pin', 'edit']);
    expect(actionsAllowed('approved', 'speaker')).toEqual(['answering', 'answered']);
    for (const status of STATUSES) expect(actionsAllowed(status, 'classroom')).toEqual([]);
    for (const [column, action] of COLUMNS.entries()) {
      expect([...statusesAllowing(action)].sort()).toEqual(
        STATUSES.filter((s) => MODERATOR[s][column] !== '-').sort(),
      );
      expect(mayTakeAction('speaker', action)).toBe(SPEAKER_ACTIONS.includes(action));
    }
    expect(MODERATING_ROLES).toEqual(['moderator', 'speaker']);
  });

  it('merges only into a live question other than itself', () => {
    for (const status of STATUSES) {
      const refusal = mayMergeInto({ id: 'a' }, { id: 'b', status });
      expect(refusal?.code ?? 'ok').toBe(
        status === 'merged' || status === 'rejected' ? 'INVALID_STATE' : 'ok',
      );
    }
    expect(mayMergeInto({ id: 'a' }, { id: 'a', status: 'approved' })?.code).toBe('INVALID_STATE');
  });

  it('upvotes only the public queue, never its own question', () => {
    for (const status of STATUSES) {
      const other = mayUpvote('c1', { classroomId: 'c2', status });
      expect(other?.code ?? 'ok').toBe(
        ['approved', 'answering', 'answered'].includes(status) ? 'ok' : 'INVALID_STATE',
      );
      expect(mayUpvote('c1', { classroomId: 'c1', status })?.code).toBe('FORBIDDEN');
    }
  });
});

// --- Media ---------------------------------------------------------------------

describe('who may produce and consume', () => {
  it.each([
    ['speaker', 'camera', true],
    ['speaker', 'screen', true],
    ['speaker', 'stage', false],
    ['classroom', 'camera', false],
    ['classroom', 'screen', false],
    ['classroom', 'stage', true],
    ['moderator', 'camera', false],
    ['moderator', 'screen', false],
    ['moderator', 'stage', false],
  ] as const)('a %s producing %s: %s', (role, source, allowed) => {
    expect(mayProduce(role, source)).toBe(allowed);
  });

  it('lets only speakers and classrooms open a send transport', () => {
    expect([...SENDING_ROLES].sort()).toEqual(['classroom', 'speaker']);
  });

  // Privacy: a classroom's video (minors, on stage) reaches only speakers and moderators.
  it.each([
    ['speaker', 'speaker', true],
    ['moderator', 'speaker', true],
    ['classroom', 'speaker', true],
    ['speaker', 'classroom', true],
    ['moderator', 'classroom', true],
    ['classroom', 'classroom', false],
    ['speaker', 'moderator', true],
    ['moderator', 'moderator', true],
    ['classroom', 'moderator', false],
  ] as const)('a %s receiving a %s: %s', (consumer, producer, allowed) => {
    expect(mayConsume(consumer, producer)).toBe(allowed);
  });

  it('knows whose media a source carries', () => {
    expect(producerRoleOf('stage')).toBe('classroom');
    expect(producerRoleOf('camera')).toBe('speaker');
    expect(producerRoleOf('screen')).toBe('speaker');
    for (const source of ['camera', 'screen', 'stage'] as const) {
      expect(mayProduce(producerRoleOf(source), source)).toBe(true);
    }
  });

  it('caps a stage turn to one audio and one video producer, and only while live', () => {
    const mic = { producerId: 'a1', participantId: 'me', kind: 'audio' as const };
    const cam = { producerId: 'v1', participantId: 'me', kind: 'video' as const };
    const ask = (
      kind: 'audio' | 'video',
      open: (typeof mic | typeof cam)[],
      liveOnStage = true,
    ) => {
      const r = stageProduce({ liveOnStage, kind, participantId: 'me', open });
      return r.ok ? r.replace : r.code;
    };
    expect(ask('video', [], false)).toBe('NOT_ON_STAGE');
    expect(ask('video', [mic])).toEqual([]);
    expect(ask('audio', [mic])).toBe('TOO_MANY_PRODUCERS');
    expect(ask('audio', [mic, cam])).toBe('TOO_MANY_PRODUCERS');
    expect(ask('video', [mic, cam])).toBe('TOO_MANY_PRODUCERS');
    // The class's other socket (it reconnected): its camera is replaced, not doubled.
    const old = { producerId: 'v0', participantId: 'before', kind: 'video' as const };
    expect(ask('video', [old, mic])).toEqual(['v0']);
    expect(ask('audio', [old])).toEqual([]);
  });
});

// --- Live view -----------------------------------------------------------------

const C1 = '11111111-1111-4111-8111-111111111111';
const C2 = '22222222-2222-4222-8222-222222222222';
const EVENT = '33333333-3333-4333-8333-333333333333';

let n = 0;
const make = questionMaker({ eventId: EVENT });
function question(status: QuestionStatus, classroomId: string, extra: Partial<Question> = {}) {
  return make({
    status,
    classroomId,
    classroomName: classroomId === C1 ? '4e A' : '4e B',
    ...extra,
  });
}

function producer(role: 'speaker' | 'classroom', classroomId: string | null): ProducerInfo {
  n += 1;
  return {
    producerId: `p${n}`,
    participantId: `x${n}`,
    role,
    kind: 'video',
    source: role === 'classroom' ? 'stage' : 'camera',
    classroomId,
    name: role,
  };
}

const stageOf = (classroomId: string, status: 'invited' | 'live' = 'live') => ({
  classroomId,
  classroomName: classroomId === C1 ? '4e A' : '4e B',
  status,
  since: '2026-01-01T09:00:00.000Z',
});
const hand = (classroomId: string) => ({
  classroomId,
  classroomName: '4e',
  raisedAt: '2026-01-01T09:00:00.000Z',
});

const VIEWERS: (Viewer & { label: string })[] = [
  { label: 'moderator', role: 'moderator', classroomId: null },
  { label: 'speaker', role: 'speaker', classroomId: null },
  { label: 'classroom C1', role: 'classroom', classroomId: C1 },
  { label: 'classroom C2', role: 'classroom', classroomId: C2 },
];

function fullState(): LiveState {
  return {
    event: {
      id: EVENT,
      title: 't',
      status: 'live',
      startsAt: '2026-01-01T09:00:00.000Z',
      durationMinutes: 45,
      startedAt: '2026-01-01T09:01:00.000Z',
      endedAt: null,
      speakers: [],
    },
    questions: STATUSES.flatMap((s) => [question(s, C1), question(s, C2)]),
    stage: stageOf(C1),
    hands: [hand(C1), hand(C2)],
    presence: {
      counts: { speaker: 1, moderator: 1, classroom: 2 },
      classroomsByRegion: {},
      participants: [],
    },
    producers: [producer('speaker', null), producer('classroom', C1)],
  };
}

/** A client's state after a pushed event, as the apps apply them. */
function apply(state: LiveState, push: ServerEvent | null): LiveState {
  if (!push) return state;
  const upsert = (q: Question) => [...state.questions.filter((x) => x.id !== q.id), q];
  switch (push.event) {
    case 'question.created':
    case 'question.updated':
      return { ...state, questions: upsert(push.data) };
    case 'question.removed':
      return { ...state, questions: state.questions.filter((x) => x.id !== push.data.questionId) };
    case 'hand.updated': {
      const rest = state.hands.filter((h) => h.classroomId !== push.data.classroomId);
      return { ...state, hands: push.data.hand ? [...rest, push.data.hand] : rest };
    }
    case 'stage.updated':
      return { ...state, stage: push.data.stage };
    case 'presence.updated':
      return { ...state, presence: push.data };
    case 'media.producerAdded':
      return { ...state, producers: [...state.producers, push.data] };
    case 'media.producerClosed':
      return {
        ...state,
        producers: state.producers.filter((p) => p.producerId !== push.data.producerId),
      };
    default:
      return state;
  }
}

/** The server's state after a change. */
function change(state: LiveState, c: LiveChange): LiveState {
  switch (c.kind) {
    case 'question.created':
    case 'question.updated':
      return {
        ...state,
        questions: [...state.questions.filter((x) => x.id !== c.question.id), c.question],
      };
    case 'hand.updated': {
      const rest = state.hands.filter((h) => h.classroomId !== c.classroomId);
      return { ...state, hands: c.hand ? [...rest, c.hand] : rest };
    }
    case 'stage.updated':
      return { ...state, stage: c.stage };
    case 'presence.updated':
      return { ...state, presence: c.presence };
    case 'media.producerAdded':
      return { ...state, producers: [...state.producers, c.producer] };
    case 'media.producerClosed':
      return { ...state, producers: state.producers.filter((p) => p.producerId !== c.producerId) };
    default:
      return state;
  }
}

const sortById = (s: LiveState) => ({
  ...s,
  questions: [...s.questions].sort((a, b) => a.id.localeCompare(b.id)),
  hands: [...s.hands].sort((a, b) => a.classroomId.localeCompare(b.classroomId)),
  producers: [...s.producers].sort((a, b) => a.producerId.localeCompare(b.producerId)),
});

describe('what each role sees of the live state', () => {
  it('filters the snapshot by role', () => {
    const state = fullState();
    const [mod, speaker, c1, c2] = VIEWERS.map((v) => viewOfState(v, state)) as LiveState[];
    expect(mod?.questions).toHaveLength(12);
    expect(speaker?.questions.map((q) => q.status).sort()).toEqual([
      'answered',
      'answered',
      'answering',
      'answering',
      'approved',
      'approved',
    ]);
    // A classroom: the public queue and all of its own.
    expect(c1?.questions.filter((q) => q.classroomId === C1)).toHaveLength(6);
    expect(c1?.questions.filter((q) => q.classroomId === C2)).toHaveLength(3);
    expect([mod?.stage?.classroomId, speaker?.stage?.classroomId, c1?.stage?.classroomId]).toEqual([
      C1,
      C1,
      C1,
    ]);
    expect(c2?.stage).toBeNull();
    expect([mod, speaker, c1, c2].map((s) => s?.hands.length)).toEqual([2, 0, 1, 1]);
    expect([mod, speaker, c1, c2].map((s) => s?.presence !== null)).toEqual([
      true,
      true,
      false,
      false,
    ]);
    // A speaker sees how many classes watch, not who: names are the moderators'.
    expect(speaker?.presence?.participants).toEqual([]);
    expect(speaker?.presence?.counts).toEqual(mod?.presence?.counts);
    // Privacy: the class on stage is seen by the speaker and the moderator, not by classes.
    expect([mod, speaker, c1, c2].map((s) => s?.producers.map((p) => p.role))).toEqual([
      ['speaker', 'classroom'],
      ['speaker', 'classroom'],
      ['speaker'],
      ['speaker'],
    ]);
  });

  it('reads from storage what the snapshot keeps', () => {
    for (const v of VIEWERS) {
      const scope = questionScope(v);
      for (const q of fullState().questions) {
        const read =
          !scope.statuses ||
          scope.statuses.includes(q.status) ||
          (scope.orClassroomId != null && scope.orClassroomId === q.classroomId);
        expect(read, `${v.label} ${q.status}`).toBe(canSeeQuestion(v, q));
      }
    }
  });

  // Every change, for every viewer: the snapshot plus what it is pushed equals
  // the snapshot it would get after the change. One rule for both.
  const changes: { label: string; make: (s: LiveState) => LiveChange }[] = [
    ...STATUSES.flatMap((from) =>
      STATUSES.map((to) => ({
        label: `question of C2 ${from} -> ${to}`,
        make: (s: LiveState): LiveChange => {
          const q = s.questions.find((x) => x.classroomId === C2 && x.status === from) as Question;
          return { kind: 'question.updated', question: { ...q, status: to }, previousStatus: from };
        },
      })),
    ),
    {
      label: 'new question of C1',
      make: () => ({ kind: 'question.created', question: question('pending', C1) }),
    },
    {
      label: 'C2 raises its hand',
      make: () => ({ kind: 'hand.updated', classroomId: C2, hand: hand(C2) }),
    },
    {
      label: 'C1 lowers its hand',
      make: () => ({ kind: 'hand.updated', classroomId: C1, hand: null }),
    },
    {
      label: 'stage ends',
      make: () => ({ kind: 'stage.updated', stage: null, previousClassroomId: C1 }),
    },
    {
      label: 'C2 invited over C1',
      make: () => ({
        kind: 'stage.updated',
        stage: stageOf(C2, 'invited'),
        previousClassroomId: C1,
      }),
    },
    {
      label: 'C1 goes live',
      make: () => ({ kind: 'stage.updated', stage: stageOf(C1), previousClassroomId: null }),
    },
    {
      label: 'presence',
      make: () => ({
        kind: 'presence.updated',
        presence: {
          counts: { speaker: 0, moderator: 1, classroom: 0 },
          classroomsByRegion: {},
          participants: [],
        },
      }),
    },
    {
      label: 'a classroom camera',
      make: () => ({ kind: 'media.producerAdded', producer: producer('classroom', C2) }),
    },
    {
      label: 'a speaker camera',
      make: () => ({ kind: 'media.producerAdded', producer: producer('speaker', null) }),
    },
    ...(['speaker', 'classroom'] as const).map((role) => ({
      label: `the ${role} producer closes`,
      make: (s: LiveState): LiveChange => {
        const p = s.producers.find((x) => x.role === role) as ProducerInfo;
        return { kind: 'media.producerClosed', producerId: p.producerId, role };
      },
    })),
  ];
  const cases = VIEWERS.flatMap((viewer) => changes.map((c) => ({ ...c, viewer })));

  it.each(cases)('$viewer.label: $label', ({ viewer, make }) => {
    const before = fullState();
    const c = make(before);
    const after = change(before, c);
    const pushed = viewOfChange(viewer, c);
    expect(sortById(apply(viewOfState(viewer, before), pushed))).toEqual(
      sortById(viewOfState(viewer, after)),
    );
  });

  it('pushes a new question to moderators as one to triage, to its author as its own', () => {
    const q = question('pending', C1);
    const pushed = VIEWERS.map(
      (v) => viewOfChange(v, { kind: 'question.created', question: q })?.event ?? null,
    );
    expect(pushed).toEqual(['question.created', null, 'question.updated', null]);
  });

  it('tells a classroom nothing of another classroom on stage', () => {
    const c2 = VIEWERS[3] as Viewer;
    expect(
      viewOfChange(c2, { kind: 'stage.updated', stage: stageOf(C1), previousClassroomId: null }),
    ).toBeNull();
    expect(
      viewOfChange(c2, { kind: 'stage.updated', stage: null, previousClassroomId: C1 }),
    ).toBeNull();
  });
});

// --- Queue order -----------------------------------------------------------------

describe('the queue order', () => {
  it('puts the question being answered first, then pinned, rank, upvotes, age', () => {
    const old = question('approved', C1, { createdAt: '2026-01-01T08:00:00.000Z' });
    const voted = question('approved', C1, { upvotes: 5 });
    const ranked2 = question('approved', C1, { rank: 2 });
    const ranked1 = question('approved', C2, { rank: 1 });
    const pinned = question('approved', C2, { pinned: true, rank: 9 });
    const answering = question('answering', C1, { rank: 5 });
    const pending = question('pending', C1);
    const answered = question('answered', C1);
    const queue = queueOf([old, voted, ranked2, pending, ranked1, pinned, answered, answering]);
    expect(queue.map((q) => q.id)).toEqual(
      [answering, pinned, ranked1, ranked2, voted, old].map((q) => q.id),
    );
  });

  it('is a total order: ties fall to the id', () => {
    const a = question('approved', C1, { createdAt: '2026-01-01T08:00:00.000Z' });
    const b = { ...a, id: 'ffffffff-0000-4000-8000-000000000000' };
    expect(compareQueue(a, b)).toBeLessThan(0);
    expect(compareQueue(b, a)).toBeGreaterThan(0);
    expect(compareQueue(a, a)).toBe(0);
  });
});
