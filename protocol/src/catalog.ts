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
});
export type CreateSpeakerBody = z.infer<typeof CreateSpeakerBody>;

export const Speaker = z.object({
  id: Uuid,
  name: z.string(),
  job: z.string(),
  organisation: z.string(),
  bio: z.string().nullable(),
  createdAt: IsoDateTime,
});
export type Speaker = z.infer<typeof Speaker>;

// --- Events -----------------------------------------------------------------

export const CreateEventBody = z
  .strictObject({
    title: text(200),
    themeWeek: text(120).optional(),
    format: EventFormat,
    startsAt: IsoDateTime,
    speakerIds: z.array(Uuid).min(1).max(3),
  })
  .superRefine((body, ctx) => {
    const { minSpeakers, maxSpeakers } = EVENT_FORMATS[body.format];
    if (body.speakerIds.length < minSpeakers || body.speakerIds.length > maxSpeakers) {
      ctx.addIssue({
        code: 'custom',
        path: ['speakerIds'],
        message:
          minSpeakers === maxSpeakers
            ? `format ${body.format} takes exactly ${minSpeakers} speaker`
            : `format ${body.format} takes ${minSpeakers} to ${maxSpeakers} speakers`,
      });
    }
    if (new Set(body.speakerIds).size !== body.speakerIds.length) {
      ctx.addIssue({ code: 'custom', path: ['speakerIds'], message: 'speakers must be distinct' });
    }
  });
export type CreateEventBody = z.infer<typeof CreateEventBody>;

export const UpdateEventStatusBody = z.strictObject({ status: EventStatus });
export type UpdateEventStatusBody = z.infer<typeof UpdateEventStatusBody>;

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
  speakers: z.array(Speaker.pick({ id: true, name: true, job: true, organisation: true })),
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
