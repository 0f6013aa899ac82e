import { type Question, queueOf } from '@amphi/protocol';

const byCreated = (a: Question, b: Question) => a.createdAt.localeCompare(b.createdAt);

/** Pending questions, in arrival order: what the moderator triages first comes first. */
export function pendingQueue(questions: readonly Question[]): Question[] {
  return questions.filter((q) => q.status === 'pending').sort(byCreated);
}

/** The approved queue as the speaker takes it, in protocol's queue order. */
export function approvedQueue(questions: readonly Question[]): Question[] {
  return queueOf(questions);
}

/** What the speaker's N and D keys act on: the next approved question, the one being answered. */
export function speakerTurn(questions: readonly Question[]): {
  next: Question | null;
  answering: Question | null;
} {
  const queue = approvedQueue(questions);
  return {
    next: queue.find((q) => q.status === 'approved') ?? null,
    answering: queue.find((q) => q.status === 'answering') ?? null,
  };
}

/** Answered, rejected and merged questions, most recently changed first. */
export function doneQuestions(questions: readonly Question[]): Question[] {
  return questions
    .filter((q) => q.status === 'answered' || q.status === 'rejected' || q.status === 'merged')
    .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
}

/** Inserts or replaces a question by id (a newer `updatedAt` never loses to an older one). */
export function upsertQuestion(questions: readonly Question[], q: Question): Question[] {
  const i = questions.findIndex((x) => x.id === q.id);
  if (i === -1) return [...questions, q];
  const current = questions[i] as Question;
  if (current.updatedAt > q.updatedAt) return [...questions];
  const next = [...questions];
  next[i] = q;
  return next;
}

export function applyRanks(
  questions: readonly Question[],
  ranks: readonly { questionId: string; rank: number }[],
): Question[] {
  const byId = new Map(ranks.map((r) => [r.questionId, r.rank]));
  return questions.map((q) => (byId.has(q.id) ? { ...q, rank: byId.get(q.id) ?? null } : q));
}
