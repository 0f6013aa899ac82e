import {
  applyPresenceChange,
  applyUpvotes,
  canSeeHand,
  canSeeProducer,
  canSeeQuestion,
  type EventData,
  EventStatus,
  type JoinResult,
  type LiveState,
  presenceChangeFor,
  presenceFor,
  type Question,
  type RaisedHand,
  type Self,
  type ServerEvent,
  stageFor,
  type Viewer,
  viewOfState,
} from '@amphi/protocol';

// The one reducer of an event's live state, for every app: `join`'s snapshot,
// kept current by pushed events. Who sees what is protocol's rule (rules/),
// applied here to each push as the server applies it to each snapshot.

/**
 * The event as one participant sees it: the role-filtered live state, who it
 * is, and which speaker is talking (pushed only: null until the first push).
 */
export type LiveView = LiveState & { self: Self; activeSpeaker: string | null };

/** Who this participant is, as the rules name a viewer. */
export function viewerOf(self: Self): Viewer {
  return { role: self.role, classroomId: self.classroomId };
}

/** The view a `join` answer gives (the server has already filtered it; the rule is the same). */
export function viewFromJoin(join: JoinResult): LiveView {
  return { ...viewOfState(viewerOf(join.self), join.state), self: join.self, activeSpeaker: null };
}

/** Inserts or replaces a question by id; an older `updatedAt` never wins over a newer one. */
export function upsertQuestion(questions: readonly Question[], q: Question): Question[] {
  const i = questions.findIndex((x) => x.id === q.id);
  if (i === -1) return [...questions, q];
  const current = questions[i] as Question;
  if (current.updatedAt > q.updatedAt) return [...questions];
  const next = [...questions];
  next[i] = q;
  return next;
}

/** The moderator's new ranks (questions not named keep theirs). */
export function applyRanks(
  questions: readonly Question[],
  ranks: readonly { questionId: string; rank: number }[],
): Question[] {
  const byId = new Map(ranks.map((r) => [r.questionId, r.rank]));
  return questions.map((q) => (byId.has(q.id) ? { ...q, rank: byId.get(q.id) ?? null } : q));
}

function applyHand(hands: readonly RaisedHand[], update: EventData<'hand.updated'>): RaisedHand[] {
  const rest = hands.filter((h) => h.classroomId !== update.classroomId);
  return update.raised && update.hand ? [...rest, update.hand] : rest;
}

/** A question this viewer is told of: kept when the rules let it see it, dropped otherwise. */
function applyQuestion(view: LiveView, q: Question): LiveView {
  if (!canSeeQuestion(viewerOf(view.self), q)) {
    return { ...view, questions: view.questions.filter((x) => x.id !== q.id) };
  }
  return { ...view, questions: upsertQuestion(view.questions, q) };
}

/** One pushed event applied to the view; events that do not concern it return it unchanged. */
export function reduceLive(view: LiveView, message: ServerEvent): LiveView {
  const viewer = viewerOf(view.self);
  switch (message.event) {
    case 'question.created':
    case 'question.updated':
      return applyQuestion(view, message.data);
    case 'question.removed':
      return {
        ...view,
        questions: view.questions.filter((q) => q.id !== message.data.questionId),
      };
    case 'questions.reordered':
      return { ...view, questions: applyRanks(view.questions, message.data.ranks) };
    case 'hand.updated':
      if (!canSeeHand(viewer, message.data.classroomId)) return view;
      return { ...view, hands: applyHand(view.hands, message.data) };
    case 'stage.updated':
      return { ...view, stage: stageFor(viewer, message.data.stage) };
    case 'questions.upvoted':
      return { ...view, questions: applyUpvotes(view.questions, message.data.upvotes) };
    case 'presence.updated':
      return { ...view, presence: presenceFor(viewer, message.data) };
    case 'presence.changed': {
      const change = presenceChangeFor(viewer, message.data);
      return { ...view, presence: change ? applyPresenceChange(view.presence, change) : null };
    }
    case 'event.updated': {
      // The status, and whatever else the push says of the event (its start and end times).
      const { eventId, status: pushed, ...rest } = message.data;
      const status = EventStatus.safeParse(pushed);
      if (!status.success || eventId !== view.event.id) return view;
      return { ...view, event: { ...view.event, ...rest, status: status.data } };
    }
    case 'media.producerAdded':
      if (!canSeeProducer(viewer, message.data)) return view;
      return {
        ...view,
        producers: [
          ...view.producers.filter((p) => p.producerId !== message.data.producerId),
          message.data,
        ],
      };
    case 'media.producerClosed':
      return {
        ...view,
        producers: view.producers.filter((p) => p.producerId !== message.data.producerId),
      };
    case 'speaker.active':
      if (view.activeSpeaker === message.data.participantId) return view;
      return { ...view, activeSpeaker: message.data.participantId };
    default:
      return view;
  }
}

/** Raised hands, oldest first: the class that waited longest is offered the stage first. */
export function handsInOrder(hands: readonly RaisedHand[]): RaisedHand[] {
  return [...hands].sort((a, b) => a.raisedAt.localeCompare(b.raisedAt));
}

/** Whether this classroom's own hand is up. */
export function ownHandRaised(view: LiveView): boolean {
  const mine = view.self.classroomId;
  return mine !== null && view.hands.some((h) => h.classroomId === mine);
}

/** This classroom's own questions, whatever their status. */
export function ownQuestions(view: LiveView): Question[] {
  return view.questions.filter((q) => q.classroomId === view.self.classroomId);
}
