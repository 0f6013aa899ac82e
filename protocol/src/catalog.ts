import { z } from 'zod';
import {
  ClassroomLevel,
  EVENT_FORMATS,
  EventFormat,
  EventStatus,
  IsoDateTime,
  Role,
  text,
  Uuid,
} from './common.ts';

// --- Speakers ---------------------------------------------------------------

export const CreateSpeakerBody = z.strictObject({
  name: text(120),
  job: text(120),
  organisation: text(160),
  bio: text(600).optional(),
  /** Study path (parcours d'études): « Bac général, licence de biologie, master d'océanographie ». */
  studyPath: text(600).optional(),
});
export type CreateSpeakerBody = z.infer<typeof CreateSpeakerBody>;

/** Edit a speaker: the fields given change; `null` empties an optional one. */
export const UpdateSpeakerBody = z
  .strictObject({
    name: text(120).optional(),
    job: text(120).optional(),
    organisation: text(160).optional(),
    bio: text(600).nullable().optional(),
    studyPath: text(600).nullable().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'nothing to change' });
export type UpdateSpeakerBody = z.infer<typeof UpdateSpeakerBody>;

export const Speaker = z.object({
  id: Uuid,
  name: z.string(),
  job: z.string(),
  organisation: z.string(),
  bio: z.string().nullable(),
  studyPath: z.string().nullable(),
  createdAt: IsoDateTime,
});
export type Speaker = z.infer<typeof Speaker>;

// --- Events -----------------------------------------------------------------

/** The school levels a talk is meant for: distinct classroom levels. */
export const EventLevels = z
  .array(ClassroomLevel)
  .max(ClassroomLevel.options.length)
  .refine((levels) => new Set(levels).size === levels.length, {
    message: 'levels must be distinct',
  });

/** What the catalogue and the preparation dossier say of a talk. */
const eventDescriptionFields = {
  /** School levels it is meant for (empty: not said). */
  levels: EventLevels.optional(),
  /** One or two sentences for the catalogue. */
  summary: text(400).optional(),
  /** What the talk covers: the preparation dossier's first part. */
  description: text(4000).optional(),
  /** Whether teachers may enrol classes from the portal (default: closed). */
  enrolmentOpen: z.boolean().optional(),
};

/** The format's speaker count and distinct speakers, for a create or an edit that names both. */
function checkSpeakers(
  format: EventFormat,
  speakerIds: readonly string[],
  ctx: z.RefinementCtx,
): void {
  const { minSpeakers, maxSpeakers } = EVENT_FORMATS[format];
  if (speakerIds.length < minSpeakers || speakerIds.length > maxSpeakers) {
    ctx.addIssue({
      code: 'custom',
      path: ['speakerIds'],
      message:
        minSpeakers === maxSpeakers
          ? `format ${format} takes exactly ${minSpeakers} speaker`
          : `format ${format} takes ${minSpeakers} to ${maxSpeakers} speakers`,
    });
  }
  if (new Set(speakerIds).size !== speakerIds.length) {
    ctx.addIssue({ code: 'custom', path: ['speakerIds'], message: 'speakers must be distinct' });
  }
}

export const CreateEventBody = z
  .strictObject({
    title: text(200),
    themeWeek: text(120).optional(),
    format: EventFormat,
    startsAt: IsoDateTime,
    speakerIds: z.array(Uuid).min(1).max(3),
    ...eventDescriptionFields,
  })
  .superRefine((body, ctx) => checkSpeakers(body.format, body.speakerIds, ctx));
export type CreateEventBody = z.infer<typeof CreateEventBody>;

/**
 * Edit an event (PATCH): the fields given change, `null` empties an optional
 * one. A new format or speaker list is checked against the other (the one
 * given, else the event's own) by the server.
 */
export const UpdateEventBody = z
  .strictObject({
    title: text(200).optional(),
    themeWeek: text(120).nullable().optional(),
    format: EventFormat.optional(),
    startsAt: IsoDateTime.optional(),
    speakerIds: z.array(Uuid).min(1).max(3).optional(),
    levels: EventLevels.optional(),
    summary: text(400).nullable().optional(),
    description: text(4000).nullable().optional(),
    enrolmentOpen: z.boolean().optional(),
  })
  .superRefine((body, ctx) => {
    if (Object.keys(body).length === 0) {
      ctx.addIssue({ code: 'custom', path: [], message: 'nothing to change' });
    }
    if (body.format && body.speakerIds) checkSpeakers(body.format, body.speakerIds, ctx);
    else if (body.speakerIds && new Set(body.speakerIds).size !== body.speakerIds.length) {
      ctx.addIssue({ code: 'custom', path: ['speakerIds'], message: 'speakers must be distinct' });
    }
  });
export type UpdateEventBody = z.infer<typeof UpdateEventBody>;

export const UpdateEventStatusBody = z.strictObject({ status: EventStatus });
export type UpdateEventStatusBody = z.infer<typeof UpdateEventStatusBody>;

/** Open or close the teachers' enrolment from the portal. */
export const SetEnrolmentBody = z.strictObject({ open: z.boolean() });
export type SetEnrolmentBody = z.infer<typeof SetEnrolmentBody>;

/** A speaker as an event lists them (what classes see, and the operators' lists). */
export const EventSpeaker = Speaker.pick({
  id: true,
  name: true,
  job: true,
  organisation: true,
  studyPath: true,
});
export type EventSpeaker = z.infer<typeof EventSpeaker>;

export const Event = z.object({
  id: Uuid,
  title: z.string(),
  themeWeek: z.string().nullable(),
  format: EventFormat,
  durationMinutes: z.number().int(),
  startsAt: IsoDateTime,
  status: EventStatus,
  /** When it went live and ended (null: not yet). */
  startedAt: IsoDateTime.nullable(),
  endedAt: IsoDateTime.nullable(),
  speakers: z.array(EventSpeaker),
  levels: z.array(ClassroomLevel),
  summary: z.string().nullable(),
  description: z.string().nullable(),
  /** Teachers may enrol classes from the portal. */
  enrolmentOpen: z.boolean(),
  createdAt: IsoDateTime,
});
export type Event = z.infer<typeof Event>;

// --- Schools and classrooms ---------------------------------------------------

export const CreateSchoolBody = z.strictObject({
  name: text(200),
  town: text(120),
  /** Académie (or overseas territory's education authority): 'Lyon', 'Guadeloupe'... */
  academie: text(80),
  /** Region, for presence counts: 'Auvergne-Rhône-Alpes', 'Guadeloupe'... */
  region: text(80),
  overseas: z.boolean().default(false),
});
export type CreateSchoolBody = z.input<typeof CreateSchoolBody>;

export const School = z.object({
  id: Uuid,
  name: z.string(),
  town: z.string(),
  academie: z.string(),
  region: z.string(),
  overseas: z.boolean(),
  createdAt: IsoDateTime,
});
export type School = z.infer<typeof School>;

export const CreateClassroomBody = z.strictObject({
  schoolId: Uuid,
  label: text(80),
  level: ClassroomLevel,
});
export type CreateClassroomBody = z.infer<typeof CreateClassroomBody>;

export const Classroom = z.object({
  id: Uuid,
  schoolId: Uuid,
  label: z.string(),
  level: ClassroomLevel,
  createdAt: IsoDateTime,
});
export type Classroom = z.infer<typeof Classroom>;

// --- Enrolments ---------------------------------------------------------------

export const EnrolClassroomsBody = z.strictObject({
  classroomIds: z.array(Uuid).min(1).max(1000),
});
export type EnrolClassroomsBody = z.infer<typeof EnrolClassroomsBody>;

export const EnrolStudentBody = z.strictObject({
  /** First name or pseudonym: the least personal data that identifies the pupil to the teacher. */
  displayName: text(80),
  level: ClassroomLevel,
  schoolId: Uuid.optional(),
  classroomId: Uuid.optional(),
});
export type EnrolStudentBody = z.infer<typeof EnrolStudentBody>;

/** An enrolled classroom, with what identifies it and its school in lists. */
export const ClassroomEnrolment = z.object({
  eventId: Uuid,
  classroomId: Uuid,
  ...Classroom.pick({ label: true, level: true, schoolId: true }).shape,
  schoolName: School.shape.name,
  ...School.pick({ town: true, region: true }).shape,
  enrolledAt: IsoDateTime,
  /** An operator (import, API) or a teacher from the portal. */
  enrolledBy: z.enum(['operator', 'teacher']),
  /** The teacher's contact e-mail ('' once erased; null when an operator enrolled the class). */
  contactEmail: z.string().nullable(),
});
export type ClassroomEnrolment = z.infer<typeof ClassroomEnrolment>;

export const StudentEnrolment = z.object({
  id: Uuid,
  eventId: Uuid,
  displayName: z.string(),
  level: ClassroomLevel,
  schoolId: Uuid.nullable(),
  classroomId: Uuid.nullable(),
  enrolledAt: IsoDateTime,
});
export type StudentEnrolment = z.infer<typeof StudentEnrolment>;

export const EnrolmentList = z.object({
  classrooms: z.array(ClassroomEnrolment),
  students: z.array(StudentEnrolment),
});
export type EnrolmentList = z.infer<typeof EnrolmentList>;

// --- Join links ---------------------------------------------------------------

/** How long a join link stays valid: a minute to thirty days (the server's default when absent). */
const JoinLinkTtl = z
  .number()
  .int()
  .min(60)
  .max(30 * 86400)
  .optional();

export const IssueJoinLinkBody = z.discriminatedUnion('role', [
  z.strictObject({
    role: z.literal('speaker'),
    speakerId: Uuid,
    ttlSeconds: JoinLinkTtl,
  }),
  z.strictObject({
    role: z.literal('moderator'),
    name: text(80),
    ttlSeconds: JoinLinkTtl,
  }),
  z.strictObject({
    role: z.literal('classroom'),
    classroomId: Uuid,
    ttlSeconds: JoinLinkTtl,
  }),
]);
export type IssueJoinLinkBody = z.infer<typeof IssueJoinLinkBody>;

export const JoinLink = z.object({
  role: Role,
  eventId: Uuid,
  classroomId: Uuid.nullable(),
  speakerId: Uuid.nullable(),
  /** The token's id (`jti`): what revoking the link names (`POST .../join-links/{tokenId}/revoke`). */
  tokenId: Uuid,
  /** Signed, expiring join token. A bearer secret: share the link, never log it. */
  token: z.string(),
  /** Page a person opens (studio or viewer). */
  url: z.string(),
  /**
   * Classroom links: the network check page, to open days before the talk
   * (`/viewer/check/?event=…&token=…`, the same token: no other credential).
   */
  checkUrl: z.string().optional(),
  /** WebSocket URL for signaling (the token goes in the `token` query parameter). */
  wsUrl: z.string(),
  expiresAt: IsoDateTime,
});
export type JoinLink = z.infer<typeof JoinLink>;

// --- Generic --------------------------------------------------------------------

export const IdParams = z.strictObject({ id: Uuid });
export const EventIdParams = z.strictObject({ eventId: Uuid });

export const Pagination = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});
export type Pagination = z.infer<typeof Pagination>;

export const listOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), total: z.number().int() });
