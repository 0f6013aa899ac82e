import { translate, translationTableProblems } from '@amphi/app-kit';
import { describe, expect, it } from 'vitest';
import { TABLES } from './i18n.tsx';

describe('portal strings', () => {
  it('hold every key in French and English, plurals where counts show, matching placeholders, French typography', () => {
    expect(translationTableProblems(TABLES)).toEqual([]);
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
