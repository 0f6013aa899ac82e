import type { EventData, JoinResult, LiveState, Presence, ServerEvent } from '@amphi/protocol';
import { applyRanks, upsertQuestion } from '../questions.ts';

/** The event as this studio sees it: `join`'s snapshot, kept current by pushed events. */
export type StudioState = LiveState & { self: JoinResult['self'] };

export function fromJoin(join: JoinResult): StudioState {
  return { ...join.state, self: join.self };
}

type Hand = StudioState['hands'][number];

function applyHand(hands: readonly Hand[], update: EventData<'hand.updated'>): Hand[] {
  const rest = hands.filter((h) => h.classroomId !== update.classroomId);
  return update.raised && update.hand ? [...rest, update.hand] : rest;
}

/** One pushed event applied to the state; events that do not concern it return it unchanged. */
export function reduceEvent(state: StudioState, message: ServerEvent): StudioState {
  switch (message.event) {
    case 'question.created':
    case 'question.updated':
      return { ...state, questions: upsertQuestion(state.questions, message.data) };
    case 'question.removed':
      return {
        ...state,
        questions: state.questions.filter((q) => q.id !== message.data.questionId),
      };
    case 'questions.reordered':
      return { ...state, questions: applyRanks(state.questions, message.data.ranks) };
    case 'hand.updated':
      return { ...state, hands: applyHand(state.hands, message.data) };
    case 'stage.updated':
      return { ...state, stage: message.data.stage };
    case 'presence.updated':
      return { ...state, presence: message.data satisfies Presence };
    case 'event.updated': {
      const parsed = message.data.status;
      const status =
        parsed === 'scheduled' || parsed === 'live' || parsed === 'ended' || parsed === 'cancelled'
          ? parsed
          : state.event.status;
      return { ...state, event: { ...state.event, status } };
    }
    case 'media.producerAdded':
      return {
        ...state,
        producers: [
          ...state.producers.filter((p) => p.producerId !== message.data.producerId),
          message.data,
        ],
      };
    case 'media.producerClosed':
      return {
        ...state,
        producers: state.producers.filter((p) => p.producerId !== message.data.producerId),
      };
    default:
      return state;
  }
}

/** Raised hands, oldest first: the class that waited longest is offered the stage first. */
export function handsInOrder(hands: readonly Hand[]): Hand[] {
  return [...hands].sort((a, b) => a.raisedAt.localeCompare(b.raisedAt));
}
