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
