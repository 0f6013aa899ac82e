import { translate, translationTableProblems } from '@amphi/app-kit';
import { describe, expect, it } from 'vitest';
import { TABLES } from './i18n.tsx';

describe('studio strings', () => {
  it('hold every key in French and English, plurals where counts show, matching placeholders, never the server’s {message}, French typography', () => {
    expect(translationTableProblems(TABLES)).toEqual([]);
  });

  it('count as French counts: « 1 intervenant », « 1 classe », « 1 soutien »', () => {
    const fr = (key: string, count: number) => translate(TABLES.fr, 'fr', key, { count });
    expect(fr('mod.count.speakers', 1)).toBe('1 intervenant');
    expect(fr('mod.count.speakers', 3)).toBe('3 intervenants');
    expect(fr('mod.count.classrooms', 0)).toBe('0 classe');
    expect(fr('mod.count.classrooms', 1)).toBe('1 classe');
    expect(fr('mod.count.classrooms', 12)).toBe('12 classes');
    expect(fr('mod.count.moderators', 1)).toBe('1 personne à la modération');
    expect(fr('speaker.upvotes', 1)).toBe('1 soutien');
    expect(fr('speaker.upvotes', 2)).toBe('2 soutiens');
    expect(translate(TABLES.en, 'en', 'speaker.upvotes', { count: 1 })).toBe('1 upvote');
    expect(translate(TABLES.en, 'en', 'mod.count.classrooms', { count: 0 })).toBe('0 classrooms');
  });

  it('call the moderator’s stage action « Inviter sur scène »', () => {
    expect(TABLES.fr['mod.onStage']).toBe('Inviter sur scène');
  });
});
