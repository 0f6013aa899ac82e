import { parseJoinLink, roleInToken } from '@amphi/sdk';
import { describe, expect, it } from 'vitest';
import { actionsFor } from './components/moderator/QuestionRow.tsx';
import { TABLES } from './i18n.tsx';
import { keepProgram, sourceAt, type VideoSource } from './program.ts';
import { approvedQueue, pendingQueue, speakerTurn } from './questions.ts';
import { moderatorAction, speakerAction } from './shortcuts.ts';
import { key, questionMaker } from './testFixtures.ts';

const q = questionMaker();

describe('shortcuts', () => {
  it('maps the speaker keys and ignores typing and modifiers', () => {
    expect(speakerAction(key('3'))).toEqual({ kind: 'program', index: 2 });
    expect(speakerAction(key('M'))).toEqual({ kind: 'mute' });
    expect(speakerAction(key('n'))).toEqual({ kind: 'nextQuestion' });
    expect(speakerAction(key('D'))).toEqual({ kind: 'answered' });
    expect(speakerAction(key('0'))).toBeNull();
    expect(speakerAction(key('1', { inField: true }))).toBeNull();
    expect(speakerAction(key('1', { ctrlKey: true }))).toBeNull();
  });
  it('maps the moderator keys, case-insensitively', () => {
    expect(moderatorAction(key('a'))).toBe('approve');
    expect(moderatorAction(key('R'))).toBe('reject');
    expect(moderatorAction(key('ArrowDown'))).toBe('next');
    expect(moderatorAction(key('?'))).toBe('help');
    expect(moderatorAction(key('a', { metaKey: true }))).toBeNull();
  });
});

describe('questions', () => {
  it('orders the approved queue: answering, pinned, rank, upvotes, age', () => {
    const old = q({ upvotes: 0 });
    const voted = q({ upvotes: 5 });
    const ranked = q({ rank: 1 });
    const pinned = q({ pinned: true });
    const answering = q({ status: 'answering' });
    const pending = q({ status: 'pending' });
    const order = approvedQueue([old, voted, ranked, pinned, answering, pending]);
    expect(order.map((x) => x.id)).toEqual(
      [answering, pinned, ranked, voted, old].map((x) => x.id),
    );
    expect(pendingQueue([old, pending]).map((x) => x.id)).toEqual([pending.id]);
    // The speaker's N takes the head of the queue after the one being answered; D closes that one.
    expect(speakerTurn([old, voted, ranked, pinned, answering, pending])).toEqual({
      next: pinned,
      answering,
    });
    expect(speakerTurn([pending])).toEqual({ next: null, answering: null });
  });
  it('offers the moderator only what the server accepts (no pin on a pending question)', () => {
    expect(actionsFor(q({ status: 'pending' }))).not.toContain('pin');
    expect(actionsFor(q({ status: 'pending' }))).toEqual(['approve', 'edit', 'merge', 'reject']);
    expect(actionsFor(q({ status: 'approved' }))).toContain('pin');
    expect(actionsFor(q({ status: 'merged' }))).toEqual([]);
  });
});

describe('program', () => {
  const sources: VideoSource[] = [
    { id: 'screen', kind: 'screen', label: 's' },
    { id: 'cam:a', kind: 'camera', label: 'a' },
  ];
  it('keeps the program source while it exists, else falls back to a camera', () => {
    expect(keepProgram(sources, 'screen')).toBe('screen');
    expect(keepProgram(sources, 'cam:gone')).toBe('cam:a');
    expect(keepProgram([], 'cam:a')).toBeNull();
    expect(sourceAt(sources, 1)?.id).toBe('cam:a');
    expect(sourceAt(sources, 5)).toBeNull();
  });
});

describe('join link', () => {
  // A join token's shape (a JWS); the client reads it without the key (sdk/test/joinLink.test.ts).
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const claims = { role: 'moderator', eventId: '6f1c1d5e-1a4b-4c1d-9e3f-0a1b2c3d4e5f', exp: 1 };
  const token = `${part({ alg: 'HS256', typ: 'amphi-join+jwt', kid: 'k' })}.${part(claims)}.sig`;
  it('reads the event, the token and the role it claims', () => {
    const link = parseJoinLink(`?event=6f1c1d5e-1a4b-4c1d-9e3f-0a1b2c3d4e5f&token=${token}`);
    expect(link?.claimedRole).toBe('moderator');
    expect(parseJoinLink('?event=nope&token=x')).toBeNull();
    expect(roleInToken('garbage')).toBeNull();
  });
});

// The live state's reducer and its tests are the sdk's (sdk/test/LiveSessionState.test.ts).

describe('translations', () => {
  it('has every key in both languages, with the same placeholders', () => {
    const vars = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const [k, fr] of Object.entries(TABLES.fr)) {
      const en = TABLES.en[k as keyof typeof TABLES.en];
      expect(en?.trim().length ?? 0, k).toBeGreaterThan(0);
      expect(vars(en), k).toEqual(vars(fr));
    }
  });
});
