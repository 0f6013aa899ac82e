import type { Question } from '../../src/index.ts';

/**
 * Questions for tests, in every workspace that needs some: each new one
 * numbered (its id, its text, its times a second apart in the order made),
 * with the maker's `defaults`, then `over`.
 */
export function questionMaker(defaults: Partial<Question> = {}) {
  let n = 0;
  return (over: Partial<Question> = {}): Question => {
    n += 1;
    const at = new Date(Date.UTC(2026, 0, 1, 10, 0, n)).toISOString();
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
      createdAt: at,
      updatedAt: at,
      ...defaults,
      ...over,
    };
  };
}
