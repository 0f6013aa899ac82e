import { z } from 'zod';
import { IsoDateTime, QuestionCategory, QuestionStatus, text, Uuid } from './common.ts';

export const QUESTION_MAX_LENGTH = 500;

/** A question as a participant sees it. Authors are classrooms, never pupils by name. */
export const Question = z.object({
  id: Uuid,
  eventId: Uuid,
  classroomId: Uuid,
  /** e.g. "4e B, Collège Jean Moulin (Pointe-à-Pitre)": what the speaker reads out. */
  classroomName: z.string(),
  text: z.string(),
  category: QuestionCategory,
  status: QuestionStatus,
  /** Present when status is `merged`: the question this one was folded into. */
  mergedIntoId: Uuid.nullable(),
  pinned: z.boolean(),
  /** Order among approved questions (lower first; pinned ones come before). */
  rank: z.number().nullable(),
  upvotes: z.number().int().nonnegative(),
  /** Asked before the event started (through the registration link) or live. */
  askedBeforeEvent: z.boolean(),
  createdAt: IsoDateTime,
  updatedAt: IsoDateTime,
});
export type Question = z.infer<typeof Question>;

/**
 * Idempotency key chosen by the client for one submission: a retry of the same
 * submission with the same key returns the first question and creates nothing.
 */
export const IdempotencyKey = z
  .string()
  .min(8)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _');

export const SubmitQuestion = z.strictObject({
  idempotencyKey: IdempotencyKey,
  text: text(QUESTION_MAX_LENGTH, 3),
  category: QuestionCategory,
});
export type SubmitQuestion = z.infer<typeof SubmitQuestion>;

export const SubmitQuestionResult = z.object({
  question: Question,
  /** true when this submission was a retry of an already stored question. */
  duplicate: z.boolean(),
});
export type SubmitQuestionResult = z.infer<typeof SubmitQuestionResult>;

/** Moderator actions on one question; each is written to the audit log. */
export const ModerateQuestion = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('approve'), questionId: Uuid }),
  z.strictObject({ action: z.literal('reject'), questionId: Uuid }),
  z.strictObject({ action: z.literal('merge'), questionId: Uuid, intoQuestionId: Uuid }),
  z.strictObject({
    action: z.literal('edit'),
    questionId: Uuid,
    text: text(QUESTION_MAX_LENGTH, 3),
    category: QuestionCategory.optional(),
  }),
  z.strictObject({ action: z.literal('pin'), questionId: Uuid, pinned: z.boolean() }),
  /** The speaker is answering it now; the previous `answering` one becomes `answered`. */
  z.strictObject({ action: z.literal('answering'), questionId: Uuid }),
  z.strictObject({ action: z.literal('answered'), questionId: Uuid }),
  /** Back to triage: an approved or rejected question is pending again (a moderator's undo). */
  z.strictObject({ action: z.literal('reopen'), questionId: Uuid }),
  /** A merged question is pending again; the backers the merge carried over leave the target. */
  z.strictObject({ action: z.literal('unmerge'), questionId: Uuid }),
]);
export type ModerateQuestion = z.infer<typeof ModerateQuestion>;
export type ModerationActionName = ModerateQuestion['action'] | 'reorder';

export const ReorderQuestions = z.strictObject({
  /** Approved questions of the event, in the order the speaker should take them. */
  orderedQuestionIds: z.array(Uuid).min(1).max(1000),
});
export type ReorderQuestions = z.infer<typeof ReorderQuestions>;

export const QuestionList = z.object({ questions: z.array(Question) });
export type QuestionList = z.infer<typeof QuestionList>;
