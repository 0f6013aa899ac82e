import { frenchTypographyProblems, translate } from '@amphi/app-kit';
import { describe, expect, it } from 'vitest';
import { TABLES } from './i18n.tsx';

describe('portal strings', () => {
  it('write French with no-break spaces and no point médian', () => {
    expect(frenchTypographyProblems(TABLES.fr)).toEqual([]);
  });

  it('have every key in English too, never empty', () => {
    expect(Object.keys(TABLES.en).sort()).toEqual(Object.keys(TABLES.fr).sort());
    for (const lang of ['fr', 'en'] as const) {
      const empty = Object.entries(TABLES[lang]).filter(([, text]) => text.trim() === '');
      expect(empty, lang).toEqual([]);
    }
  });

  it('count talks and questions as each language does', () => {
    const fr = (key: string, count: number) => translate(TABLES.fr, 'fr', key, { count });
    const en = (key: string, count: number) => translate(TABLES.en, 'en', key, { count });
    expect([0, 1, 2].map((n) => fr('catalogue.count', n))).toEqual([
      '0 séance',
      '1 séance',
      '2 séances',
    ]);
    expect([0, 1, 2].map((n) => en('catalogue.count', n))).toEqual([
      '0 talks',
      '1 talk',
      '2 talks',
    ]);
    expect(fr('enrol.schoolResults', 3)).toBe('3 établissements trouvés');
    expect(fr('class.sheetAnswered', 1)).toBe('1 question de la classe a reçu une réponse.');
    expect(en('class.sheetAnswered', 2)).toBe('2 of the class’s questions were answered.');
  });
});
