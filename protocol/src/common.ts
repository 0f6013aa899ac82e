import { z } from 'zod';

export const Uuid = z.uuid();
export const IsoDateTime = z.iso.datetime({ offset: true });

/** Who a join token (or the operator credential) speaks for. */
export const Role = z.enum(['speaker', 'moderator', 'classroom']);
export type Role = z.infer<typeof Role>;

/**
 * Session formats from the field: 45 min with one speaker (ages 12-14), or
 * 55 min with two or three speakers (ages 15-18).
 */
export const EventFormat = z.enum(['solo_45', 'panel_55']);
export type EventFormat = z.infer<typeof EventFormat>;

export const EVENT_FORMATS: Record<
  EventFormat,
  { durationMinutes: number; minSpeakers: number; maxSpeakers: number }
> = {
  solo_45: { durationMinutes: 45, minSpeakers: 1, maxSpeakers: 1 },
  panel_55: { durationMinutes: 55, minSpeakers: 2, maxSpeakers: 3 },
};

export const EventStatus = z.enum(['scheduled', 'live', 'ended', 'cancelled']);
export type EventStatus = z.infer<typeof EventStatus>;

/** Categories follow the classroom preparation material. */
export const QuestionCategory = z.enum(['job_reality', 'training_path', 'human_side', 'other']);
export type QuestionCategory = z.infer<typeof QuestionCategory>;

/**
 * A question's lifecycle (pending, then approved, rejected or merged; approved,
 * then answering, then answered). Who may move it from which state to which is
 * the table in `rules/questionTransitions.ts`. Only one question per event is
 * `answering` at a time.
 */
export const QuestionStatus = z.enum([
  'pending',
  'approved',
  'rejected',
  'merged',
  'answering',
  'answered',
]);
export type QuestionStatus = z.infer<typeof QuestionStatus>;

/** Statuses every participant of the event may see (others: moderators and the author). */
export const PUBLIC_QUESTION_STATUSES: readonly QuestionStatus[] = [
  'approved',
  'answering',
  'answered',
];

export const ClassroomLevel = z.enum([
  '6e',
  '5e',
  '4e',
  '3e',
  '2nde',
  '1re',
  'Tle',
  'CAP',
  'BTS',
  'other',
]);
export type ClassroomLevel = z.infer<typeof ClassroomLevel>;

/**
 * Control characters other than tab and line breaks: never meant in a name or a
 * question, and a NUL byte cannot be stored in PostgreSQL text at all.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

/** A trimmed, non-empty, single-purpose text field, without control characters. */
export const text = (max: number, min = 1) =>
  z
    .string()
    .trim()
    .min(min)
    .max(max)
    .refine((s) => !CONTROL_CHARACTERS.test(s), {
      message: 'control characters are not allowed (only tabs and line breaks)',
    });
