import { describe, expect, it } from 'vitest';
import { frenchTypographyProblems, NBSP } from './typography.ts';

describe('frenchTypographyProblems', () => {
  it('accepts no-break spaces before : ; ! ? and inside « »', () => {
    const ok = {
      a: `Action refusée${NBSP}: réessayez`,
      b: `Il contient «${NBSP}event${NBSP}» et «${NBSP}token${NBSP}».`,
      c: `Vraiment${NBSP}? Oui${NBSP}!`,
      d: 'Le direct commence à 14:30.',
      e: 'Afficher les raccourcis (?)',
    };
    expect(frenchTypographyProblems(ok)).toEqual([]);
  });

  it('finds ordinary or missing spaces, the narrow space and the point médian', () => {
    const bad = {
      colon: 'Action refusée : réessayez',
      quotes: 'Il contient « event ».',
      missing: 'Réseau: bon',
      bang: 'Merci!',
      narrow: 'Vraiment\u202f?',
      median: 'Intervenant·e',
    };
    const keys = frenchTypographyProblems(bad).map((p) => p.split(':')[0]);
    expect(new Set(keys)).toEqual(new Set(Object.keys(bad)));
  });
});
