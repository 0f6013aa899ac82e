import { z } from 'zod';
import { Classroom, Event, EventSpeaker, School } from './catalog.ts';
import { ClassroomLevel, IsoDateTime, text, Uuid } from './common.ts';
import { Question } from './questions.ts';

/*
 * The teachers' portal (public, no operator account): the catalogue of
 * upcoming talks, the school search, a class's enrolment, and what the class
 * reads with its link before and after the talk.
 */

// --- Catalogue ------------------------------------------------------------------

/** A calendar day, `2026-03-16`: the catalogue's date filters. */
export const CalendarDate = z.iso.date();

/**
 * Filters of `GET /api/v1/catalogue`. Each one given narrows the list:
 * `themeWeek` exactly, `level` one of the talk's levels, `from`/`to` the day
 * it starts (inclusive, in `timeZone`), `job` a piece of a speaker's job, any case.
 */
export const CatalogueQuery = z.strictObject({
  themeWeek: text(120).optional(),
  level: ClassroomLevel.optional(),
  from: CalendarDate.optional(),
  to: CalendarDate.optional(),
  job: text(120).optional(),
  /** The days' time zone (IANA name); Paris by default (schools overseas pass theirs). */
  timeZone: z
    .string()
    .regex(/^[A-Za-z]+(?:[/_+-][A-Za-z0-9]+)*$/, 'an IANA time zone name')
    .max(64)
    .default('Europe/Paris'),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});
export type CatalogueQuery = z.infer<typeof CatalogueQuery>;

/** A speaker as the public catalogue shows them: job, organisation, short bio, study path. */
export const CatalogueSpeaker = EventSpeaker.extend({ bio: z.string().nullable() });
export type CatalogueSpeaker = z.infer<typeof CatalogueSpeaker>;

/** A talk as teachers see it in the catalogue (never who enrolled). */
export const CatalogueEvent = Event.pick({
  id: true,
  title: true,
  themeWeek: true,
  format: true,
  durationMinutes: true,
  startsAt: true,
  status: true,
  levels: true,
  summary: true,
  description: true,
  enrolmentOpen: true,
}).extend({ speakers: z.array(CatalogueSpeaker) });
export type CatalogueEvent = z.infer<typeof CatalogueEvent>;

export const CatalogueList = z.object({
  items: z.array(CatalogueEvent),
  total: z.number().int(),
  /** Every theme week of the upcoming talks, for the filter's choices. */
  themeWeeks: z.array(z.string()),
});
export type CatalogueList = z.infer<typeof CatalogueList>;

// --- School search ----------------------------------------------------------------

/** `GET /api/v1/schools/search?q=`: by name or town, any case and accents, at least two letters. */
export const SchoolSearchQuery = z.strictObject({
  q: text(120, 2),
  limit: z.coerce.number().int().min(1).max(30).default(10),
});
export type SchoolSearchQuery = z.infer<typeof SchoolSearchQuery>;

export const SchoolSearchResult = z.object({
  items: z.array(School.pick({ id: true, name: true, town: true, academie: true })),
});
export type SchoolSearchResult = z.infer<typeof SchoolSearchResult>;

// --- A teacher enrols a class ----------------------------------------------------------

export const TeacherEnrolmentBody = z.strictObject({
  /** From the school search: never a name typed free-hand. */
  schoolId: Uuid,
  /** The class's name in its school: « 4e B ». */
  classLabel: text(80),
  level: ClassroomLevel,
  /** The teacher's, for the talk's practical information; erased after the retention period. */
  contactEmail: z.email().max(254),
});
export type TeacherEnrolmentBody = z.infer<typeof TeacherEnrolmentBody>;

/** What the teacher gets on screen once the class is enrolled. */
export const TeacherEnrolment = z.object({
  event: CatalogueEvent,
  classroom: Classroom.pick({ id: true, label: true, level: true }).extend({
    schoolName: z.string(),
    town: z.string(),
  }),
  /** The class's join link (viewer): a bearer secret, for this class only. */
  joinUrl: z.string(),
  /** The same token, for the portal's question and class-sheet pages. */
  token: z.string(),
  expiresAt: IsoDateTime,
  /** The school's network check page, where one exists (null: not available on this server). */
  networkCheckUrl: z.string().nullable(),
});
export type TeacherEnrolment = z.infer<typeof TeacherEnrolment>;

// --- With the class's link: questions before the talk, the class sheet after -----------

/** `GET /api/v1/portal/class` (Bearer classroom join token): the class, its talk, its questions. */
export const ClassSheet = z.object({
  event: CatalogueEvent,
  classroom: TeacherEnrolment.shape.classroom,
  /** The class's own questions, in the order asked, with their status. */
  questions: z.array(Question),
});
export type ClassSheet = z.infer<typeof ClassSheet>;
