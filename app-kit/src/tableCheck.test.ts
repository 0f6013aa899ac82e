import { describe, expect, it } from 'vitest';
import { translationTableProblems } from './tableCheck.ts';
import { NBSP } from './typography.ts';

const good = {
  fr: {
    title: 'Séances',
    count_one: '{count} séance',
    count_other: '{count} séances',
    hello: `Bonjour {name}${NBSP}!`,
  },
  en: {
    title: 'Talks',
    count_one: 'One talk',
    count_other: '{count} talks',
    hello: 'Hello {name}!',
  },
};

describe('translationTableProblems', () => {
  it('accepts tables with every key in both languages, plurals and placeholders that match', () => {
    expect(translationTableProblems(good)).toEqual([]);
  });

  it('names each problem with its key', () => {
    const problems = translationTableProblems({
      fr: {
        onlyFr: 'Seulement en français',
        empty: ' ',
        counted: '{count} classes',
        lonely_one: '{count} classe',
        greet: 'Bonjour {name}',
        failed: `Échec${NBSP}: {message}`,
        median: 'L’intervenant·e',
      },
      en: {
        empty: 'Empty',
        counted: '{count} classes',
        lonely_one: '{count} class',
        lonely_other: '{count} classes',
        greet: 'Hello {who}',
        failed: 'Failed: {message}',
        median: 'The speaker',
        onlyEn: 'Only in English',
      },
    });
    const expected = [
      'onlyFr: missing in en',
      'onlyEn: missing in fr',
      'lonely_other: missing in fr',
      'empty: empty in fr',
      'counted: shows {count}',
      'lonely: plural without its _other form in fr',
      'greet: placeholders {name} in fr, {who} in en',
      "failed: shows the server's {message} (fr)",
      "failed: shows the server's {message} (en)",
      'median: point médian',
    ];
    for (const text of expected) expect(problems.join('\n')).toContain(text);
  });
});
