import { translate, translationTableProblems } from '@amphi/app-kit';
import { describe, expect, it } from 'vitest';
import { TABLES } from './i18n.tsx';
import { parseRoute } from './route.ts';

describe('console strings', () => {
  it('hold every key in French and English, plurals where counts show, matching placeholders, French typography', () => {
    expect(translationTableProblems(TABLES)).toEqual([]);
  });

  it('count classes and problems as each language does', () => {
    const fr = (key: string, count: number) => translate(TABLES.fr, 'fr', key, { count });
    const en = (key: string, count: number) => translate(TABLES.en, 'en', key, { count });
    expect([0, 1, 2].map((n) => fr('import.refused', n))).toEqual([
      '0 problème dans le fichier',
      '1 problème dans le fichier',
      '2 problèmes dans le fichier',
    ]);
    expect([1, 2].map((n) => en('import.classesCreated', n))).toEqual([
      '1 class created',
      '2 classes created',
    ]);
    expect(fr('enrolments.classes', 300)).toBe('300 classes inscrites');
  });

  it('name a reason for every import problem the server may give', async () => {
    const { ImportProblemReason } = await import('@amphi/protocol');
    for (const reason of ImportProblemReason.options) {
      expect(TABLES.fr, reason).toHaveProperty(`reason.${reason}`);
    }
  });
});

describe('console routes', () => {
  it('reads each screen from the fragment', () => {
    const id = '0d9c6a2e-8d2f-4a51-9f57-6a0f5e0e2b11';
    expect(parseRoute('')).toEqual({ name: 'events' });
    expect(parseRoute('#/seances/nouvelle')).toEqual({ name: 'newEvent' });
    expect(parseRoute(`#/seances/${id}`)).toEqual({ name: 'event', eventId: id, tab: 'details' });
    expect(parseRoute(`#/seances/${id}/direct`)).toEqual({
      name: 'event',
      eventId: id,
      tab: 'live',
    });
    expect(parseRoute(`#/seances/${id}/bilan`)).toEqual({
      name: 'event',
      eventId: id,
      tab: 'summary',
    });
    expect(parseRoute(`#/seances/${id}/nimporte`)).toEqual({ name: 'notFound' });
    expect(parseRoute('#/import')).toEqual({ name: 'import' });
  });
});
