import type { Question } from '@amphi/protocol';
import { describe, expect, it } from 'vitest';
import { moderatorAction } from '../../shortcuts.ts';
import { key, questionMaker } from '../../testFixtures.ts';
import {
  ALL_QUESTIONS,
  reorderAfterUndo,
  shown,
  step,
  stillUndoable,
  undoOf,
  undoOfRemoval,
} from './triage.ts';

const q = questionMaker({
  classroomName: '4e B, Collège Jean Moulin (Pointe-à-Pitre)',
  category: 'job_reality',
  status: 'pending',
});

const ids = (list: readonly Question[]) => list.map((x) => x.id);

describe('what the console lists show', () => {
  const a = q({ text: 'Quel salaire pour un élève ingénieur ?', upvotes: 1 });
  const b = q({ text: 'Combien d’heures ?', category: 'human_side', upvotes: 5 });
  const c = q({ text: 'Et la formation ?', classroomName: '3e C, Lycée Victor Hugo (Brest)' });

  it('searches text and classroom name, ignoring case and accents', () => {
    expect(ids(shown([a, b, c], { ...ALL_QUESTIONS, search: 'ELEVE' }))).toEqual([a.id]);
    expect(ids(shown([a, b, c], { ...ALL_QUESTIONS, search: ' la  formation' }))).toEqual([c.id]);
    expect(ids(shown([a, b, c], { ...ALL_QUESTIONS, search: 'pointe' }))).toEqual([a.id, b.id]);
    // A class's name as typed: « 3e c » is 3e C, not every « Collège » with a c in it.
    expect(ids(shown([a, b, c], { ...ALL_QUESTIONS, search: '3e c' }))).toEqual([c.id]);
  });

  it('filters by category and sorts by votes or newest first; the queue order otherwise', () => {
    expect(ids(shown([a, b, c], { ...ALL_QUESTIONS, category: 'human_side' }))).toEqual([b.id]);
    expect(ids(shown([a, b, c], { ...ALL_QUESTIONS, sort: 'votes' }))).toEqual([b.id, a.id, c.id]);
    expect(ids(shown([a, b, c], { ...ALL_QUESTIONS, sort: 'time' }))).toEqual([c.id, b.id, a.id]);
    expect(ids(shown([c, a, b], ALL_QUESTIONS))).toEqual([c.id, a.id, b.id]);
  });
});

describe('where J and K go', () => {
  it('J, A, J: after the selected question leaves the list, J goes on from where it stood', () => {
    // The moderator is on p2, the last of triage, and approves it (A); p3 then arrives.
    const placed = ['p1', 'p2', 'p3'];
    expect(step(['p1', 'p3'], 'p2', 1, placed)).toBe('p3');
    expect(step(['p1', 'p3'], 'p2', -1, placed)).toBe('p1');
  });

  it('moves within the list as shown, and stays at its ends', () => {
    expect(step(['a', 'b', 'c'], 'b', 1)).toBe('c');
    expect(step(['a', 'b', 'c'], 'c', 1)).toBe('c');
    expect(step(['a', 'b', 'c'], 'a', -1)).toBe('a');
    // Nothing selected yet: the first.
    expect(step(['a', 'b'], null, 1)).toBe('a');
  });

  it('past the end, the last one left; an empty list keeps the selection', () => {
    expect(step(['a', 'b'], 'c', 1, ['a', 'b', 'c'])).toBe('b');
    expect(step([], 'c', 1, ['c'])).toBe('c');
  });
});

describe('undo of the last action', () => {
  const queue = ['q-1', 'q-2'];

  it('a rejection from triage reopens it; from the queue, approves and pins it again at its place', () => {
    const pending = q();
    const fromTriage = undoOf(
      { action: 'reject', questionId: pending.id },
      pending,
      { ...pending, status: 'rejected' },
      queue,
    );
    expect(fromTriage?.kind).toBe('reject');
    expect(fromTriage?.steps).toEqual([
      { type: 'question.moderate', data: { action: 'reopen', questionId: pending.id } },
    ]);
    const queued = q({ status: 'approved', pinned: true });
    const fromQueue = undoOf(
      { action: 'reject', questionId: queued.id },
      queued,
      { ...queued, status: 'rejected', pinned: false },
      [queued.id, ...queue],
    );
    expect(fromQueue?.steps).toEqual([
      { type: 'question.moderate', data: { action: 'approve', questionId: queued.id } },
      { type: 'question.moderate', data: { action: 'pin', questionId: queued.id, pinned: true } },
      { type: 'question.reorder', questionId: queued.id, queueBefore: [queued.id, ...queue] },
    ]);
  });

  it('an approval reopens; a merge unmerges and restores the status; an edit puts the text back', () => {
    const p = q();
    expect(
      undoOf({ action: 'approve', questionId: p.id }, p, { ...p, status: 'approved' }, [])?.steps,
    ).toEqual([{ type: 'question.moderate', data: { action: 'reopen', questionId: p.id } }]);
    const rejected = q({ status: 'rejected' });
    const merge = { action: 'merge', questionId: rejected.id, intoQuestionId: 'q-1' } as const;
    expect(undoOf(merge, rejected, { ...rejected, status: 'merged' }, [])?.steps).toEqual([
      { type: 'question.moderate', data: { action: 'unmerge', questionId: rejected.id } },
      { type: 'question.moderate', data: { action: 'reject', questionId: rejected.id } },
    ]);
    const edit = { action: 'edit', questionId: p.id, text: 'Reformulée ?' } as const;
    expect(undoOf(edit, p, { ...p, text: 'Reformulée ?' }, [])?.steps).toEqual([
      {
        type: 'question.moderate',
        data: { action: 'edit', questionId: p.id, text: p.text, category: p.category },
      },
    ]);
  });

  it('taking a question to answer cannot be undone (the classes saw it)', () => {
    const a = q({ status: 'approved' });
    const done = { action: 'answering', questionId: a.id } as const;
    expect(undoOf(done, a, { ...a, status: 'answering' }, [])).toBeNull();
  });

  it('is offered only while the question is as the action left it, the class still removed', () => {
    const p = q();
    const after = { ...p, status: 'rejected' as const };
    const entry = undoOf({ action: 'reject', questionId: p.id }, p, after, []);
    if (!entry) throw new Error('no undo');
    expect(stillUndoable(entry, [after], null)).toBe(true);
    // Another moderator approved it since: the button would undo something else.
    expect(stillUndoable(entry, [{ ...after, status: 'approved' }], null)).toBe(false);
    const removal = undoOfRemoval('c-1', '4e B');
    expect(stillUndoable(removal, [], ['c-1'])).toBe(true);
    expect(stillUndoable(removal, [], [])).toBe(false);
  });

  it('puts a question back at its place among those still queued', () => {
    const a = q({ status: 'approved' });
    const b = q({ status: 'answered' });
    const back = q({ status: 'rejected' });
    expect(reorderAfterUndo(back.id, [a.id, back.id, b.id], [a, b, back])).toEqual([a.id, back.id]);
  });

  it('U and Ctrl+Z undo; not while typing', () => {
    expect(moderatorAction(key('u'))).toBe('undo');
    expect(moderatorAction(key('z', { ctrlKey: true }))).toBe('undo');
    expect(moderatorAction(key('z', { metaKey: true }))).toBe('undo');
    expect(moderatorAction(key('z', { ctrlKey: true, inField: true }))).toBeNull();
    expect(moderatorAction(key('z'))).toBeNull();
    expect(moderatorAction(key('/'))).toBe('search');
  });
});
