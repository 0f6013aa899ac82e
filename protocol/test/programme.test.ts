import { describe, expect, it } from 'vitest';
import {
  CatalogueQuery,
  CreateEventBody,
  SchoolSearchQuery,
  TeacherEnrolmentBody,
  UpdateEventBody,
} from '../src/index.ts';

const ids = ['4b0f3c1e-6a52-4f7e-9a0b-2c1d3e4f5a60', '4b0f3c1e-6a52-4f7e-9a0b-2c1d3e4f5a61'];
const paths = (r: { success: boolean; error?: { issues: { path: PropertyKey[] }[] } }) =>
  r.error?.issues.map((i) => i.path.join('.')) ?? [];

describe('the programme: event fields', () => {
  const base = {
    title: 'Faire la radio',
    format: 'solo_45',
    startsAt: '2026-03-16T10:00:00+01:00',
    speakerIds: ids.slice(0, 1),
  };

  it('takes levels, a summary, a description and enrolment, all optional', () => {
    expect(CreateEventBody.safeParse(base).success).toBe(true);
    const full = CreateEventBody.parse({
      ...base,
      levels: ['3e', '2nde'],
      summary: '  Une matinale.  ',
      description: 'Ce que couvre la séance.',
      enrolmentOpen: true,
    });
    expect(full).toMatchObject({ levels: ['3e', '2nde'], summary: 'Une matinale.' });
    expect(paths(CreateEventBody.safeParse({ ...base, levels: ['3e', '3e'] }))).toEqual(['levels']);
    expect(paths(CreateEventBody.safeParse({ ...base, levels: ['CM2'] }))).toEqual(['levels.0']);
  });

  it('edits with only the fields given; null empties; nothing is refused', () => {
    expect(UpdateEventBody.parse({ summary: null })).toEqual({ summary: null });
    expect(UpdateEventBody.safeParse({}).success).toBe(false);
    expect(UpdateEventBody.safeParse({ title: null }).success).toBe(false);
    expect(UpdateEventBody.safeParse({ status: 'live' }).success).toBe(false);
  });

  it('checks format and speakers together when both are given, distinct speakers always', () => {
    expect(
      paths(UpdateEventBody.safeParse({ format: 'panel_55', speakerIds: ids.slice(0, 1) })),
    ).toEqual(['speakerIds']);
    expect(UpdateEventBody.safeParse({ format: 'panel_55', speakerIds: ids }).success).toBe(true);
    expect(paths(UpdateEventBody.safeParse({ speakerIds: [ids[0], ids[0]] }))).toEqual([
      'speakerIds',
    ]);
  });
});

describe('the portal: public queries and a teacher’s enrolment', () => {
  it('defaults the catalogue to Paris days and 50 talks, and refuses unknown filters', () => {
    expect(CatalogueQuery.parse({})).toEqual({ timeZone: 'Europe/Paris', limit: 50, offset: 0 });
    expect(CatalogueQuery.parse({ timeZone: 'America/Guadeloupe', level: '4e' }).timeZone).toBe(
      'America/Guadeloupe',
    );
    expect(paths(CatalogueQuery.safeParse({ from: '16/03/2026' }))).toEqual(['from']);
    expect(CatalogueQuery.safeParse({ sort: 'title' }).success).toBe(false);
    expect(paths(CatalogueQuery.safeParse({ timeZone: "Paris'; drop" }))).toEqual(['timeZone']);
  });

  it('searches schools from two letters', () => {
    expect(SchoolSearchQuery.safeParse({ q: 'a' }).success).toBe(false);
    expect(SchoolSearchQuery.parse({ q: ' lycée ' })).toEqual({ q: 'lycée', limit: 10 });
  });

  it('enrols with a school id, a class label, a level and a real e-mail address', () => {
    const body = {
      schoolId: ids[0],
      classLabel: '4e B',
      level: '4e',
      contactEmail: 'prof@ac-lyon.fr',
    };
    expect(TeacherEnrolmentBody.safeParse(body).success).toBe(true);
    for (const [field, value] of [
      ['contactEmail', 'prof@'],
      ['schoolId', 'Collège Jean Moulin'],
      ['classLabel', '   '],
      ['level', 'CE2'],
    ] as const) {
      expect(paths(TeacherEnrolmentBody.safeParse({ ...body, [field]: value }))).toEqual([field]);
    }
    expect(TeacherEnrolmentBody.safeParse({ ...body, isAdmin: true }).success).toBe(false);
  });
});
