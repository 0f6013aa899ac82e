import {
  type ModerateQuestion,
  QUEUE_STATUSES,
  type Question,
  type QuestionCategory,
  type QuestionStatus,
} from '@amphi/protocol';

// The console's triage logic, kept out of the components so it can be tested
// alone: what each list shows, where J and K go, and how an action is undone.

// --- What a list shows ---------------------------------------------------------

/** `queue`: each list's own order (arrival for triage, the speaker's order for the queue). */
export type SortOrder = 'queue' | 'votes' | 'time';

export interface ListView {
  sort: SortOrder;
  category: QuestionCategory | 'all';
  /** Looked for, as typed, in the question's text and its classroom's name. */
  search: string;
}

export const ALL_QUESTIONS: ListView = { sort: 'queue', category: 'all', search: '' };

/** Folded for search: case and accents ignored (« eleve » finds « élève »). */
function fold(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/**
 * Whether a question is shown: its category, and the search as one phrase
 * (« 4e c » finds 4e C's questions, not every « Collège » with a c).
 */
export function matches(q: Question, view: ListView): boolean {
  if (view.category !== 'all' && q.category !== view.category) return false;
  const phrase = fold(view.search).trim().replace(/\s+/g, ' ');
  return fold(q.text).includes(phrase) || fold(q.classroomName).includes(phrase);
}

export function isFiltered(view: ListView): boolean {
  return view.category !== 'all' || view.search.trim() !== '';
}

/** One of the console's lists as shown: filtered, then sorted (ties keep the list's order). */
export function shown(list: readonly Question[], view: ListView): Question[] {
  const kept = list.filter((q) => matches(q, view));
  if (view.sort === 'votes') return kept.sort((a, b) => b.upvotes - a.upvotes);
  if (view.sort === 'time') return kept.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  return kept;
}

// --- Where J and K go -----------------------------------------------------------

/**
 * J (+1) or K (-1) in the list as shown now (`ids`). The selection only ever
 * moves here, on the moderator's key: questions arriving, leaving or changing
 * never move it. When the selected question has left the list (approved out
 * of triage, rejected, filtered out), `placed` is the list with it put back
 * where it would stand, and J and K go on from there: to the question after
 * it, never to wherever it went.
 */
export function step(
  ids: readonly string[],
  selectedId: string | null,
  direction: 1 | -1,
  placed: readonly string[] | null = null,
): string | null {
  if (ids.length === 0) return selectedId;
  const i = selectedId === null ? -1 : ids.indexOf(selectedId);
  if (i !== -1) return ids[Math.min(Math.max(i + direction, 0), ids.length - 1)] ?? null;
  const first = (direction === 1 ? ids[0] : ids.at(-1)) ?? null;
  const at = selectedId === null || !placed ? -1 : placed.indexOf(selectedId);
  if (at === -1) return first;
  const after = placed?.slice(at + 1) ?? [];
  const before = placed?.slice(0, at).reverse() ?? [];
  const [ahead, behind] = direction === 1 ? [after, before] : [before, after];
  // Past the end of the list, the last one left (as J on the last question stays there).
  return ahead.find((id) => ids.includes(id)) ?? behind.find((id) => ids.includes(id)) ?? first;
}

// --- Undo -----------------------------------------------------------------------

/** What the undo button names, in words: « rejet de la question de 4e B… ». */
export type UndoKind =
  | 'approve'
  | 'reject'
  | 'merge'
  | 'edit'
  | 'pin'
  | 'unpin'
  | 'reopen'
  | 'unmerge'
  | 'answered'
  | 'remove';

export type UndoStep =
  | { type: 'question.moderate'; data: ModerateQuestion }
  /** Puts the question back at its place in the speaker's queue (approve appends it). */
  | { type: 'question.reorder'; questionId: string; queueBefore: string[] }
  | { type: 'participant.reinstate'; data: { classroomId: string } };

export interface UndoEntry {
  kind: UndoKind;
  /** The classroom named on the button. */
  name: string;
  /** The question undone, and the status the action left it in: another status means someone else changed it since. */
  question: { id: string; status: QuestionStatus; text: string } | null;
  /** The removed classroom, for a removal. */
  classroomId: string | null;
  steps: UndoStep[];
}

const moderate = (data: ModerateQuestion): UndoStep => ({ type: 'question.moderate', data });

/** Back into the queue as it was: approved, pinned again, at its place. */
function requeue(before: Question, queueBefore: readonly string[]): UndoStep[] {
  const questionId = before.id;
  return [
    moderate({ action: 'approve', questionId }),
    ...(before.pinned ? [moderate({ action: 'pin', questionId, pinned: true })] : []),
    { type: 'question.reorder', questionId, queueBefore: [...queueBefore] },
  ];
}

/** Back to the status it had: pending, approved (at its place) or rejected. */
function backTo(before: Question, queueBefore: readonly string[]): UndoStep[] | null {
  const questionId = before.id;
  switch (before.status) {
    case 'pending':
      return [moderate({ action: 'reopen', questionId })];
    case 'approved':
      return requeue(before, queueBefore);
    case 'rejected':
      return [moderate({ action: 'reject', questionId })];
    default:
      return null;
  }
}

/**
 * How to take back an action the moderator just took, from the question as it
 * was before and the speaker's queue then (ids in order); null when it cannot
 * be taken back (the speaker started or finished answering in front of the
 * classes).
 */
export function undoOf(
  done: ModerateQuestion,
  before: Question,
  after: Question,
  queueBefore: readonly string[],
): UndoEntry | null {
  const questionId = before.id;
  let kind: UndoKind;
  let steps: UndoStep[] | null;
  switch (done.action) {
    case 'approve':
    case 'reject':
    case 'reopen':
      kind = done.action;
      steps = backTo(before, queueBefore);
      break;
    case 'merge': {
      kind = 'merge';
      const back = before.status === 'pending' ? [] : backTo(before, queueBefore);
      steps = back && [moderate({ action: 'unmerge', questionId }), ...back];
      break;
    }
    case 'unmerge':
      kind = 'unmerge';
      steps = before.mergedIntoId
        ? [moderate({ action: 'merge', questionId, intoQuestionId: before.mergedIntoId })]
        : null;
      break;
    case 'edit':
      kind = 'edit';
      steps = [
        moderate({ action: 'edit', questionId, text: before.text, category: before.category }),
      ];
      break;
    case 'pin':
      kind = done.pinned ? 'pin' : 'unpin';
      steps = [moderate({ action: 'pin', questionId, pinned: before.pinned })];
      break;
    case 'answered':
      // Only the one being answered comes back: « répondue » pressed too early.
      kind = 'answered';
      steps =
        before.status === 'answering' ? [moderate({ action: 'answering', questionId })] : null;
      break;
    default:
      return null;
  }
  if (!steps) return null;
  return {
    kind,
    name: before.classroomName,
    question: { id: after.id, status: after.status, text: after.text },
    classroomId: null,
    steps,
  };
}

export function undoOfRemoval(classroomId: string, name: string): UndoEntry {
  return {
    kind: 'remove',
    name,
    question: null,
    classroomId,
    steps: [{ type: 'participant.reinstate', data: { classroomId } }],
  };
}

/**
 * Whether the entry still undoes what the button says: the question is as
 * the action left it (no one changed it since), the classroom still removed.
 */
export function stillUndoable(
  entry: UndoEntry,
  questions: readonly Question[],
  removed: readonly string[] | null,
): boolean {
  if (entry.question) {
    const { id, status, text } = entry.question;
    const now = questions.find((q) => q.id === id);
    return now !== undefined && now.status === status && now.text === text;
  }
  return entry.classroomId !== null && (removed === null || removed.includes(entry.classroomId));
}

/**
 * The order to send after putting a question back in the queue: the queue as
 * it was before, with what is still queued now (the question back included).
 */
export function reorderAfterUndo(
  questionId: string,
  queueBefore: readonly string[],
  questions: readonly Question[],
): string[] {
  const queued = new Set(
    questions.filter((q) => QUEUE_STATUSES.includes(q.status)).map((q) => q.id),
  );
  return queueBefore.filter((id) => id === questionId || queued.has(id));
}
