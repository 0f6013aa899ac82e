import type { BackstageMessage } from '../backstage.ts';
import {
  type EventStatus,
  PUBLIC_QUESTION_STATUSES,
  type QuestionStatus,
  type Role,
} from '../common.ts';
import type { LiveState, Presence, PresenceChange, RaisedHand, Stage } from '../live.ts';
import type { ProducerInfo } from '../media.ts';
import type { Question } from '../questions.ts';
import type { ServerEvent } from '../signaling.ts';
import { canUseBackstage } from './backstage.ts';
import { mayConsume } from './media.ts';

/** Who is looking: a role and, for a classroom, which one. */
export interface Viewer {
  role: Role;
  classroomId: string | null;
}

/**
 * Who sees a question: moderators every question; speakers the public queue
 * (approved, being answered, answered); a classroom the public queue and its
 * own questions whatever their status.
 */
export function canSeeQuestion(
  viewer: Viewer,
  question: { status: QuestionStatus; classroomId: string },
): boolean {
  if (viewer.role === 'moderator') return true;
  if (PUBLIC_QUESTION_STATUSES.includes(question.status)) return true;
  return viewer.role === 'classroom' && viewer.classroomId === question.classroomId;
}

/**
 * The same rule as `canSeeQuestion`, as a query: which statuses to read (all
 * when absent) and whose questions to read whatever their status.
 */
export function questionScope(viewer: Viewer): {
  statuses?: readonly QuestionStatus[];
  orClassroomId?: string | null;
} {
  if (viewer.role === 'moderator') return {};
  return {
    statuses: PUBLIC_QUESTION_STATUSES,
    orClassroomId: viewer.role === 'classroom' ? viewer.classroomId : null,
  };
}

/** Raised hands: moderators see all; a classroom whether its own is raised; speakers none. */
export function canSeeHand(viewer: Viewer, classroomId: string): boolean {
  return viewer.role === 'moderator' || viewer.classroomId === classroomId;
}

/** The stage: speakers and moderators see who is on it; a classroom only its own turn. */
export function stageFor(viewer: Viewer, stage: Stage | null): Stage | null {
  if (viewer.role !== 'classroom') return stage;
  return stage?.classroomId === viewer.classroomId ? stage : null;
}

/**
 * Who hears of presence: moderators and speakers (a speaker sees how many
 * classes watch); never a classroom.
 */
export function canSeePresence(viewer: Viewer): boolean {
  return viewer.role !== 'classroom';
}

/** Who is connected by name, and how each connects: moderators only; speakers get the counts. */
export function presenceFor(viewer: Viewer, presence: Presence | null): Presence | null {
  if (!presence || !canSeePresence(viewer)) return null;
  return viewer.role === 'moderator' ? presence : { ...presence, participants: [] };
}

/** A presence change as `presenceFor` lets this viewer see it. */
export function presenceChangeFor(viewer: Viewer, change: PresenceChange): PresenceChange | null {
  if (!canSeePresence(viewer)) return null;
  return viewer.role === 'moderator' ? change : { ...change, participants: [], left: [] };
}

/** A producer is announced to those who may receive it. */
export function canSeeProducer(viewer: Viewer, producer: { role: Role }): boolean {
  return mayConsume(viewer.role, producer.role);
}

/** The live state as this viewer may see it: what `join` answers. */
export function viewOfState(viewer: Viewer, state: LiveState): LiveState {
  return {
    event: state.event,
    questions: state.questions.filter((q) => canSeeQuestion(viewer, q)),
    stage: stageFor(viewer, state.stage),
    hands: state.hands.filter((h) => canSeeHand(viewer, h.classroomId)),
    presence: presenceFor(viewer, state.presence),
    producers: state.producers.filter((p) => canSeeProducer(viewer, p)),
  };
}

/** A change to an event's live state, as the server learns of it (the bus carries these). */
export type LiveChange =
  | { kind: 'question.created'; question: Question }
  | { kind: 'question.updated'; question: Question; previousStatus: QuestionStatus }
  | { kind: 'questions.reordered'; ranks: { questionId: string; rank: number }[] }
  | { kind: 'hand.updated'; classroomId: string; hand: RaisedHand | null }
  | { kind: 'stage.updated'; stage: Stage | null; previousClassroomId: string | null }
  /** Upvote counts gathered over a short interval (each question as last known). */
  | { kind: 'questions.upvoted'; questions: readonly Question[] }
  | { kind: 'presence.updated'; presence: Presence }
  | { kind: 'presence.changed'; change: PresenceChange }
  | {
      kind: 'event.updated';
      eventId: string;
      status: EventStatus;
      startedAt: string | null;
      endedAt: string | null;
    }
  | { kind: 'media.producerAdded'; producer: ProducerInfo }
  | { kind: 'media.producerClosed'; producerId: string; role: Role }
  | { kind: 'backstage.message'; message: BackstageMessage }
  | { kind: 'speaker.active'; participantId: string };

/**
 * What this viewer is pushed for one change, by the same rules as
 * `viewOfState`: applied to the viewer's snapshot, the pushes keep it equal to
 * the snapshot it would get now. null: nothing it may see changed.
 */
export function viewOfChange(viewer: Viewer, change: LiveChange): ServerEvent | null {
  switch (change.kind) {
    case 'question.created':
      if (!canSeeQuestion(viewer, change.question)) return null;
      // A new question to triage for moderators; its author already has it.
      return viewer.role === 'moderator'
        ? { event: 'question.created', data: change.question }
        : { event: 'question.updated', data: change.question };
    case 'question.updated': {
      if (canSeeQuestion(viewer, change.question)) {
        return { event: 'question.updated', data: change.question };
      }
      const before = { ...change.question, status: change.previousStatus };
      return canSeeQuestion(viewer, before)
        ? { event: 'question.removed', data: { questionId: change.question.id } }
        : null;
    }
    case 'questions.reordered':
      // Ranks are those of queued questions, which everybody sees.
      return { event: 'questions.reordered', data: { ranks: change.ranks } };
    case 'hand.updated':
      if (!canSeeHand(viewer, change.classroomId)) return null;
      return {
        event: 'hand.updated',
        data: { classroomId: change.classroomId, raised: change.hand !== null, hand: change.hand },
      };
    case 'stage.updated': {
      const now = stageFor(viewer, change.stage);
      if (now) return { event: 'stage.updated', data: { stage: now } };
      // No classroom names to others: a classroom hears only of its own turn, and of its end.
      const sawBefore =
        viewer.role !== 'classroom' ||
        (change.previousClassroomId !== null && change.previousClassroomId === viewer.classroomId);
      return sawBefore ? { event: 'stage.updated', data: { stage: null } } : null;
    }
    case 'questions.upvoted': {
      const upvotes = change.questions
        .filter((q) => canSeeQuestion(viewer, q))
        .map((q) => ({ questionId: q.id, upvotes: q.upvotes }));
      return upvotes.length > 0 ? { event: 'questions.upvoted', data: { upvotes } } : null;
    }
    case 'presence.updated': {
      const presence = presenceFor(viewer, change.presence);
      return presence ? { event: 'presence.updated', data: presence } : null;
    }
    case 'presence.changed': {
      const seen = presenceChangeFor(viewer, change.change);
      return seen ? { event: 'presence.changed', data: seen } : null;
    }
    case 'event.updated':
      return {
        event: 'event.updated',
        data: {
          eventId: change.eventId,
          status: change.status,
          startedAt: change.startedAt,
          endedAt: change.endedAt,
        },
      };
    case 'media.producerAdded':
      return canSeeProducer(viewer, change.producer)
        ? { event: 'media.producerAdded', data: change.producer }
        : null;
    case 'media.producerClosed':
      return canSeeProducer(viewer, change)
        ? { event: 'media.producerClosed', data: { producerId: change.producerId } }
        : null;
    case 'backstage.message':
      return canUseBackstage(viewer) ? { event: 'backstage.message', data: change.message } : null;
    case 'speaker.active':
      // Speakers' media reach everyone: so does who of them is talking.
      return { event: 'speaker.active', data: { participantId: change.participantId } };
  }
}
