import { describe, expect, it } from 'vitest';
import { translate } from './i18n.tsx';

const fr = {
  classes_one: '{count} classe',
  classes_other: '{count} classes',
  plain: 'Bonjour {name}',
};
const en = {
  classes_one: '{count} class',
  classes_other: '{count} classes',
  plain: 'Hello {name}',
};

describe('translate', () => {
  it('says « 0 classe » and « 1 classe » in French, « 2 classes » after', () => {
    expect([0, 1, 2, 30].map((count) => translate(fr, 'fr', 'classes', { count }))).toEqual([
      '0 classe',
      '1 classe',
      '2 classes',
      '30 classes',
    ]);
  });

  it('says « 0 classes » and « 1 class » in English', () => {
    expect([0, 1, 2].map((count) => translate(en, 'en', 'classes', { count }))).toEqual([
      '0 classes',
      '1 class',
      '2 classes',
    ]);
  });

  it('takes the _other form for a plural category the table does not write (French « many »)', () => {
    expect(new Intl.PluralRules('fr').select(1_000_000)).toBe('many');
    expect(translate(fr, 'fr', 'classes', { count: 1_000_000 })).toBe('1000000 classes');
  });

  it('fills a plain key and leaves an unknown key as written', () => {
    expect(translate(fr, 'fr', 'plain', { name: 'Lou' })).toBe('Bonjour Lou');
    expect(translate(fr, 'fr', 'missing', { count: 2 })).toBe('missing');
  });
});
