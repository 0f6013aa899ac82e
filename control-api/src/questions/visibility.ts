import { PUBLIC_QUESTION_STATUSES, type QuestionStatus, type Role } from '@amphi/protocol';

export interface Viewer {
  role: Role;
  classroomId: string | null;
}

/**
 * Who sees a question: moderators see every question; speakers the approved
 * queue (approved, being answered, answered); a classroom the approved queue
 * and its own questions whatever their status.
 */
export function canSeeQuestion(
  viewer: Viewer,
  question: { status: QuestionStatus; classroomId: string },
): boolean {
  if (viewer.role === 'moderator') return true;
  if (PUBLIC_QUESTION_STATUSES.includes(question.status)) return true;
  return viewer.role === 'classroom' && viewer.classroomId === question.classroomId;
}
