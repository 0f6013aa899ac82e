import { PUBLIC_QUESTION_STATUSES, type QuestionStatus, type Role } from '../common.ts';
import type { ErrorCode } from '../errors.ts';
import type { ModerateQuestion } from '../questions.ts';

export type QuestionAction = ModerateQuestion['action'];

/** Every moderation action, in the order a console offers them. */
export const QUESTION_ACTIONS: readonly QuestionAction[] = [
  'approve',
  'answering',
  'answered',
  'pin',
  'edit',
  'merge',
  'reject',
  'reopen',
  'unmerge',
];

interface ActionRule {
  /** The states the action applies to. */
  from: readonly QuestionStatus[];
  /** The state it leads to; `null`: the status stays (the text or the pin changes). */
  to: QuestionStatus | null;
  /** Who may take it. */
  roles: readonly Role[];
}

/**
 * The question lifecycle, written once: for each action, the states it applies
 * to, the state it leads to and who may take it.
 *
 * - A pending question is approved into the queue, rejected, or merged into a
 *   duplicate; a rejected one can be restored (approved) or merged.
 * - Each triage decision can be taken back (the console's undo): an approved or
 *   rejected question is reopened (pending again), a merged one unmerged
 *   (pending again, its backers taken back from the target). Not an answered
 *   one: the speaker has said it in front of the classes.
 * - Only queued questions (approved, being answered) are pinned: the pin orders
 *   the queue, a pending question is not in it yet.
 * - The speaker takes questions itself: it says which one it is answering
 *   (another queued one, or an answered one it comes back to) and when it is
 *   done, nothing else. Taking one closes the one answered before.
 * - A classroom asks and upvotes; it moderates nothing.
 */
export const QUESTION_TRANSITIONS: Readonly<Record<QuestionAction, ActionRule>> = {
  approve: { from: ['pending', 'rejected'], to: 'approved', roles: ['moderator'] },
  reject: { from: ['pending', 'approved'], to: 'rejected', roles: ['moderator'] },
  merge: { from: ['pending', 'approved', 'rejected'], to: 'merged', roles: ['moderator'] },
  edit: { from: ['pending', 'approved', 'answering', 'rejected'], to: null, roles: ['moderator'] },
  pin: { from: ['approved', 'answering'], to: null, roles: ['moderator'] },
  answering: { from: ['approved', 'answered'], to: 'answering', roles: ['moderator', 'speaker'] },
  answered: { from: ['approved', 'answering'], to: 'answered', roles: ['moderator', 'speaker'] },
  reopen: { from: ['approved', 'rejected'], to: 'pending', roles: ['moderator'] },
  unmerge: { from: ['merged'], to: 'pending', roles: ['moderator'] },
};

/** A refused request: the error code the server answers with, and why. */
export interface Refusal {
  ok: false;
  code: ErrorCode;
  message: string;
}

export type Transition = { ok: true; next: QuestionStatus } | Refusal;

/** Whether this role may take the action on some question (before looking at any state). */
export function mayTakeAction(role: Role, action: QuestionAction): boolean {
  return QUESTION_TRANSITIONS[action].roles.includes(role);
}

/** The refusal for a role that may never take this action, whatever the question's state. */
export function roleRefusal(role: Role, action: QuestionAction): Refusal | null {
  if (mayTakeAction(role, action)) return null;
  return {
    ok: false,
    code: 'FORBIDDEN',
    message:
      role === 'speaker'
        ? 'a speaker can only mark the question it is answering'
        : `a ${role} cannot ${action} a question`,
  };
}

/** Roles that may take at least one moderation action. */
export const MODERATING_ROLES: readonly Role[] = (
  ['moderator', 'speaker', 'classroom'] as const
).filter((role) => QUESTION_ACTIONS.some((a) => mayTakeAction(role, a)));

/** The states an action applies to (what the store locks and checks). */
export function statusesAllowing(action: QuestionAction): readonly QuestionStatus[] {
  return QUESTION_TRANSITIONS[action].from;
}

/** What an action by this role does to a question in this state: its next state, or a refusal. */
export function questionTransition(
  status: QuestionStatus,
  action: QuestionAction,
  role: Role,
): Transition {
  const rule = QUESTION_TRANSITIONS[action];
  const refusal = roleRefusal(role, action);
  if (refusal) return refusal;
  if (!rule.from.includes(status)) {
    return {
      ok: false,
      code: 'INVALID_STATE',
      message: `cannot ${action} a question that is ${status}`,
    };
  }
  return { ok: true, next: rule.to ?? status };
}

/** The actions this role may take on a question in this state, in console order. */
export function actionsAllowed(status: QuestionStatus, role: Role): QuestionAction[] {
  return QUESTION_ACTIONS.filter((a) => questionTransition(status, a, role).ok);
}

/** Whether a question may be merged into this one: not into itself, nor a folded or rejected one. */
export function mayMergeInto(
  question: { id: string },
  target: { id: string; status: QuestionStatus },
): Refusal | null {
  if (question.id === target.id) {
    return { ok: false, code: 'INVALID_STATE', message: 'cannot merge a question into itself' };
  }
  if (target.status === 'merged' || target.status === 'rejected') {
    return {
      ok: false,
      code: 'INVALID_STATE',
      message: `cannot merge into a question that is ${target.status}`,
    };
  }
  return null;
}

/** Statuses a classroom may upvote: the public queue. */
export const UPVOTABLE_STATUSES: readonly QuestionStatus[] = PUBLIC_QUESTION_STATUSES;

/** Whether a classroom may upvote a question: one of the public queue, never its own. */
export function mayUpvote(
  classroomId: string,
  question: { classroomId: string; status: QuestionStatus },
): Refusal | null {
  if (question.classroomId === classroomId) {
    return { ok: false, code: 'FORBIDDEN', message: 'a classroom cannot upvote its own question' };
  }
  if (!UPVOTABLE_STATUSES.includes(question.status)) {
    return {
      ok: false,
      code: 'INVALID_STATE',
      message: 'only questions in the queue can be upvoted',
    };
  }
  return null;
}
