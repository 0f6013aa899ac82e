import type { QuestionStatus } from '../common.ts';
import type { Question } from '../questions.ts';

/** The queue the speaker takes questions from: the one being answered and the approved ones. */
export const QUEUE_STATUSES: readonly QuestionStatus[] = ['answering', 'approved'];

export function inQueue(question: { status: QuestionStatus }): boolean {
  return QUEUE_STATUSES.includes(question.status);
}

/** What the queue is sorted on; the store maps each key to its column. */
export type QueueKey = 'answering' | 'pinned' | 'rank' | 'upvotes' | 'createdAt' | 'id';

/**
 * The queue's order, written once: the question being answered, then pinned
 * ones, then the moderator's rank (unranked last), then the most upvoted, then
 * the oldest; the id settles ties.
 */
export const QUEUE_ORDER: readonly { key: QueueKey; direction: 'asc' | 'desc' }[] = [
  { key: 'answering', direction: 'desc' },
  { key: 'pinned', direction: 'desc' },
  { key: 'rank', direction: 'asc' },
  { key: 'upvotes', direction: 'desc' },
  { key: 'createdAt', direction: 'asc' },
  { key: 'id', direction: 'asc' },
];

type Sortable = Pick<Question, 'status' | 'pinned' | 'rank' | 'upvotes' | 'createdAt' | 'id'>;

function keyOf(q: Sortable, key: QueueKey): number | string | null {
  switch (key) {
    case 'answering':
      return q.status === 'answering' ? 1 : 0;
    case 'pinned':
      return q.pinned ? 1 : 0;
    case 'rank':
      return q.rank;
    case 'upvotes':
      return q.upvotes;
    case 'createdAt':
      return Date.parse(q.createdAt);
    case 'id':
      return q.id;
  }
}

/** Compares two questions in queue order (a null key, an unranked question, comes last). */
export function compareQueue(a: Sortable, b: Sortable): number {
  for (const { key, direction } of QUEUE_ORDER) {
    const x = keyOf(a, key);
    const y = keyOf(b, key);
    if (x === y) continue;
    if (x === null) return 1;
    if (y === null) return -1;
    const order = x < y ? -1 : 1;
    return direction === 'asc' ? order : -order;
  }
  return 0;
}

/** The queue as the speaker takes it, from any list of questions. */
export function queueOf<Q extends Sortable>(questions: readonly Q[]): Q[] {
  return questions.filter(inQueue).sort(compareQueue);
}
