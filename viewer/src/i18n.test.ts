import { frenchTypographyProblems, translate } from '@amphi/app-kit';
import { describe, expect, it } from 'vitest';
import { TABLES } from './i18n.tsx';

describe('classroom strings', () => {
  it('write French with no-break spaces and no point médian', () => {
    expect(frenchTypographyProblems(TABLES.fr)).toEqual([]);
  });

  it('never show the server’s own message: errors are told by their code', () => {
    for (const lang of ['fr', 'en'] as const) {
      const raw = Object.entries(TABLES[lang]).filter(([, text]) => text.includes('{message}'));
      expect(raw, lang).toEqual([]);
    }
  });

  it('count supports as French counts them', () => {
    const label = (count: number) => translate(TABLES.fr, 'fr', 'questions.upvoteLabel', { count });
    expect(label(0)).toBe('Soutenir cette question (0 soutien)');
    expect(label(1)).toBe('Soutenir cette question (1 soutien)');
    expect(label(4)).toBe('Soutenir cette question (4 soutiens)');
  });
});
