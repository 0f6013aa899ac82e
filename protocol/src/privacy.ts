import { z } from 'zod';
import { IsoDateTime, Uuid } from './common.ts';

/**
 * Erasure of personal data on request (a school's data-protection officer
 * asks for one pupil, one class or a whole event). Erased rows are kept with
 * their text and names emptied, so that an event's questions can still be
 * counted; an erased question's `text` is the empty string.
 */
export const ClassroomPersonalDataParams = z.strictObject({ eventId: Uuid, classroomId: Uuid });
export type ClassroomPersonalDataParams = z.infer<typeof ClassroomPersonalDataParams>;

export const StudentEnrolmentParams = z.strictObject({ eventId: Uuid, enrolmentId: Uuid });
export type StudentEnrolmentParams = z.infer<typeof StudentEnrolmentParams>;

/** What one erasure (or one retention purge) emptied; rows already erased are not counted again. */
export const ErasureReport = z.object({
  eventId: Uuid,
  /** Questions whose text and pre-edit original were emptied. */
  questions: z.number().int().min(0),
  /** Pupils' enrolments whose name was emptied. */
  studentEnrolments: z.number().int().min(0),
  /** Moderation-log entries whose actor name and details were emptied. */
  moderationActions: z.number().int().min(0),
  /** Classes' enrolments whose teacher's contact e-mail (given on the portal) was emptied. */
  teacherContacts: z.number().int().min(0),
  erasedAt: IsoDateTime,
});
export type ErasureReport = z.infer<typeof ErasureReport>;
