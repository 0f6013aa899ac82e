import { translate, translationTableProblems } from '@amphi/app-kit';
import { describe, expect, it } from 'vitest';
import { TABLES } from './i18n.tsx';

describe('classroom strings', () => {
  it('hold every key in French and English, plurals where counts show, matching placeholders, never the server’s {message}, French typography', () => {
    expect(translationTableProblems(TABLES)).toEqual([]);
  });

  it('count supports as French counts them', () => {
    const label = (count: number) => translate(TABLES.fr, 'fr', 'questions.upvoteLabel', { count });
    expect(label(0)).toBe('Soutenir cette question (0 soutien)');
    expect(label(1)).toBe('Soutenir cette question (1 soutien)');
    expect(label(4)).toBe('Soutenir cette question (4 soutiens)');
  });
});
