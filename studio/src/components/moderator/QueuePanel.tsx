import type { Question } from '@amphi/protocol';
import type { ReactNode } from 'react';

interface Props {
  /** Which queue: its ids and test ids follow (`pending-title`, `pending-questions`). */
  list: 'pending' | 'approved';
  title: string;
  /** Said instead of the list when it has no question. */
  empty: string;
  questions: readonly Question[];
  row: (q: Question) => ReactNode;
}

/**
 * One of the moderator's two queues. The questions to triage are a live
 * region (new ones arrive there unasked); the approved ones are an ordered
 * list (the speaker takes them in that order).
 */
export function QueuePanel({ list, title, empty, questions, row }: Props) {
  const items = questions.map(row);
  return (
    <section className="panel" aria-labelledby={`${list}-title`}>
      <h2 id={`${list}-title`}>{title}</h2>
      {questions.length === 0 ? (
        <p className="empty">{empty}</p>
      ) : list === 'pending' ? (
        <ul
          className="mq-list"
          data-testid="pending-questions"
          aria-live="polite"
          aria-keyshortcuts="J K"
        >
          {items}
        </ul>
      ) : (
        <ol className="mq-list" data-testid="approved-questions" aria-keyshortcuts="J K">
          {items}
        </ol>
      )}
    </section>
  );
}
