import type { Question } from '@amphi/protocol';
import type { KeyLike } from './shortcuts.ts';

/** A key pressed outside any text field, with no modifier unless `more` says so. */
export function key(k: string, more: Partial<KeyLike> = {}): KeyLike {
  return { key: k, ctrlKey: false, metaKey: false, altKey: false, inField: false, ...more };
}

/**
 * Questions for the studio's tests: each new one numbered (id, text, times in
 * the order they are made), with the file's `defaults`, then `over`.
 */
export function questionMaker(defaults: Partial<Question> = {}) {
  let n = 0;
  return (over: Partial<Question> = {}): Question => {
    n += 1;
    const second = `2026-01-01T10:00:${String(n).padStart(2, '0')}.000Z`;
    return {
      id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
      eventId: '00000000-0000-4000-8000-000000000000',
      classroomId: '00000000-0000-4000-8000-00000000000f',
      classroomName: '4e B',
      text: `question ${n}`,
      category: 'other',
      status: 'approved',
      mergedIntoId: null,
      pinned: false,
      rank: null,
      upvotes: 0,
      askedBeforeEvent: false,
      createdAt: second,
      updatedAt: second,
      ...defaults,
      ...over,
    };
  };
}
