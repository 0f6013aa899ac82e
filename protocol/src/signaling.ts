import { z } from 'zod';
import { BackstageMessage, SendBackstage } from './backstage.ts';
import { EventStatus, IsoDateTime, Uuid } from './common.ts';
import { ErrorBody } from './errors.ts';
import {
  ConnectionQuality,
  EventTimes,
  JoinResult,
  Presence,
  PresenceChange,
  RaisedHand,
  Self,
  Stage,
  UpvoteCount,
} from './live.ts';
import {
  ConsumerOptions,
  DtlsParameters,
  MediaId,
  MediaKind,
  MediaPath,
  ProducerInfo,
  ProducerSource,
  RtpCapabilities,
  RtpParameters,
  TransportDirection,
  TransportOptions,
} from './media.ts';
import {
  ModerateQuestion,
  Question,
  QuestionList,
  ReorderQuestions,
  SubmitQuestion,
  SubmitQuestionResult,
} from './questions.ts';

// One WebSocket per participant. The client sends requests; each gets exactly
// one response with the same id (`ok: true` + result, or `ok: false` + error).
// The server also pushes events, which carry no id.

/** Largest WebSocket message the server parses; bigger ones get MESSAGE_TOO_LARGE. */
export const MAX_MESSAGE_BYTES = 64 * 1024;

export const RequestId = z.union([
  z.string().min(1).max(64),
  z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
]);
export type RequestId = z.infer<typeof RequestId>;

/** Shape every request has, whatever its type; `data` is then parsed by the type's schema. */
export const RequestEnvelope = z.strictObject({
  id: RequestId,
  type: z.string().min(1).max(64),
  data: z.unknown().optional(),
});
export type RequestEnvelope = z.infer<typeof RequestEnvelope>;

/** A classroom a moderator removed from the event, as the console lists it to reinstate it. */
export const RemovedClassroom = z.object({
  classroomId: Uuid,
  /** "4e B, Collège Jean Moulin (Pointe-à-Pitre)" */
  name: z.string(),
  removedAt: IsoDateTime,
});
export type RemovedClassroom = z.infer<typeof RemovedClassroom>;

const Empty = z.strictObject({});
const Ok = z.object({});

/** Every request type: the schema of its `data` and of its `result`. */
export const Requests = {
  /** Enter the event: who am I, the current state, and the router's RTP capabilities. */
  join: { data: Empty, result: JoinResult },
  ping: { data: Empty, result: z.object({ now: z.number() }) },

  // Question queue
  'question.submit': { data: SubmitQuestion, result: SubmitQuestionResult },
  'question.list': { data: Empty, result: QuestionList },
  'question.upvote': {
    data: z.strictObject({ questionId: Uuid }),
    result: z.object({ question: Question }),
  },
  'question.moderate': { data: ModerateQuestion, result: z.object({ question: Question }) },
  'question.reorder': { data: ReorderQuestions, result: QuestionList },

  // Hands and stage
  'hand.raise': { data: Empty, result: z.object({ hand: RaisedHand }) },
  /** A classroom lowers its own hand; a moderator lowers a given classroom's hand. */
  'hand.lower': { data: z.strictObject({ classroomId: Uuid.optional() }), result: Ok },
  'stage.invite': {
    data: z.strictObject({ classroomId: Uuid }),
    result: z.object({ stage: Stage }),
  },
  /** The invited classroom consents (its camera may then be sent) or declines. */
  'stage.respond': {
    data: z.strictObject({ accept: z.boolean() }),
    result: z.object({ stage: Stage.nullable() }),
  },
  /** A moderator takes the classroom off stage, or the classroom leaves it. */
  'stage.leave': { data: Empty, result: Ok },

  // The event itself
  /**
   * A speaker or moderator takes the event live or ends it (rules/eventStatus.ts);
   * everyone gets `event.updated`. A speaker leaving a panel that goes on leaves it live.
   */
  'event.setStatus': {
    data: z.strictObject({ status: z.enum(['live', 'ended']) }),
    result: z.object({ status: EventStatus, ...EventTimes.shape }),
  },

  /** Moderators and speakers only (rules/backstage.ts): a line the classrooms never see. */
  'backstage.send': { data: SendBackstage, result: z.object({ message: BackstageMessage }) },

  // Presence and moderation of participants
  'presence.get': { data: Empty, result: Presence },
  /** The client's own reading of its connection and its media path, sent when they change; moderators see them. */
  'presence.quality': {
    data: z.strictObject({ quality: ConnectionQuality, path: MediaPath.optional() }),
    result: Ok,
  },
  'participant.remove': { data: z.strictObject({ classroomId: Uuid }), result: Ok },
  /** A moderator takes a removal back: the classroom's link opens the event again. */
  'participant.reinstate': { data: z.strictObject({ classroomId: Uuid }), result: Ok },
  /** The classrooms removed from the event, most recent first (moderators: to reinstate one). */
  'participant.removed': {
    data: Empty,
    result: z.object({ classrooms: z.array(RemovedClassroom) }),
  },

  // Media
  'media.createTransport': {
    data: z.strictObject({ direction: TransportDirection }),
    result: TransportOptions,
  },
  'media.connectTransport': {
    data: z.strictObject({ transportId: MediaId, dtlsParameters: DtlsParameters }),
    result: Ok,
  },
  'media.produce': {
    data: z.strictObject({
      transportId: MediaId,
      kind: MediaKind,
      rtpParameters: RtpParameters,
      source: ProducerSource,
    }),
    result: z.object({ producerId: MediaId }),
  },
  'media.consume': {
    data: z.strictObject({
      transportId: MediaId,
      producerId: MediaId,
      rtpCapabilities: RtpCapabilities,
    }),
    result: ConsumerOptions,
  },
  'media.resumeConsumer': { data: z.strictObject({ consumerId: MediaId }), result: Ok },
  'media.setPreferredLayers': {
    data: z.strictObject({
      consumerId: MediaId,
      spatialLayer: z.number().int().min(0).max(3),
      temporalLayer: z.number().int().min(0).max(3).optional(),
    }),
    result: Ok,
  },
  /** Weak network: drop video, keep the speaker's voice (or back). */
  'media.setAudioOnly': { data: z.strictObject({ audioOnly: z.boolean() }), result: Ok },
  'media.closeProducer': { data: z.strictObject({ producerId: MediaId }), result: Ok },
  /**
   * Close one of this participant's transports and what it carries: a path the
   * client tried and gave up (a failed climb back up), or one it replaced.
   * NOT_FOUND for an id that is not one of its own.
   */
  'media.closeTransport': { data: z.strictObject({ transportId: MediaId }), result: Ok },
  /** Close all of this participant's transports, producers and consumers. */
  'media.close': { data: Empty, result: Ok },
} as const satisfies Record<string, { data: z.ZodType; result: z.ZodType }>;

export type RequestType = keyof typeof Requests;
export const REQUEST_TYPES = Object.keys(Requests) as RequestType[];
export type RequestData<T extends RequestType> = z.infer<(typeof Requests)[T]['data']>;
export type RequestResult<T extends RequestType> = z.infer<(typeof Requests)[T]['result']>;

export function isRequestType(type: string): type is RequestType {
  return Object.hasOwn(Requests, type);
}

/** A fully typed request, for clients that build them. */
export type ClientRequest = {
  [T in RequestType]: { id: RequestId; type: T; data: RequestData<T> };
}[RequestType];

export const SuccessResponse = z.object({
  id: RequestId,
  ok: z.literal(true),
  result: z.unknown(),
});
export const ErrorResponse = z.object({
  /** null when the request was too broken to read its id. */
  id: RequestId.nullable(),
  ok: z.literal(false),
  error: ErrorBody,
});
export const Response = z.discriminatedUnion('ok', [SuccessResponse, ErrorResponse]);
export type Response = z.infer<typeof Response>;

/** Everything the server pushes, by event name. */
export const Events = {
  welcome: z.object({ protocolVersion: z.number(), self: Self }),
  /** Moderators only: a new question to triage. */
  'question.created': Question,
  'question.updated': Question,
  /** The question is no longer visible to this participant (rejected, merged...). */
  'question.removed': z.object({ questionId: Uuid }),
  'questions.reordered': z.object({
    ranks: z.array(z.object({ questionId: Uuid, rank: z.number() })),
  }),
  /**
   * Upvote counts that changed since the last push, gathered over a fraction of
   * a second: one push for a whole storm of upvotes (`applyUpvotes`).
   */
  'questions.upvoted': z.object({ upvotes: z.array(UpvoteCount) }),
  'hand.updated': z.object({ classroomId: Uuid, raised: z.boolean(), hand: RaisedHand.nullable() }),
  'stage.updated': z.object({ stage: Stage.nullable() }),
  /** Moderators: the whole presence (after `join` only when they fell behind: a slow connection). */
  'presence.updated': Presence,
  /** Moderators: what changed in presence since the last push (`applyPresenceChange`). */
  'presence.changed': PresenceChange,
  'event.updated': z.object({ eventId: Uuid, status: z.string(), ...EventTimes.shape }),
  'media.producerAdded': ProducerInfo,
  'media.producerClosed': z.object({ producerId: MediaId }),
  /** Moderators and speakers only: a backstage line from one of them (its sender included). */
  'backstage.message': BackstageMessage,
  /** The speaker talking now (a panel enlarges their tile): the participant id on their producers. */
  'speaker.active': z.object({ participantId: z.string() }),
  /**
   * This participant's media is gone (the media worker under it stopped) while
   * its socket stays open: drop the local transports, create them again, consume
   * the producers anew and, for a sender, produce again. Nothing else changes.
   * `media_ready`: its join found no media (no media node reachable then), and
   * there is now: set it up the same way (`join` again gives the capabilities).
   */
  'media.reconnect': z.object({
    reason: z.enum(['media_lost', 'media_ready']),
    message: z.string(),
  }),
  /**
   * Classrooms: the media node under this one is drained for maintenance.
   * Make before break: create a new receive transport (the server places it
   * on another node), consume the producers there, and once its picture
   * decodes swap the tracks and close the old transport (`media.closeTransport`).
   * A client that has not moved within 10 s gets `media.reconnect`.
   * `node_silent`: the node went silent (its process stalled, its workers
   * may forward on): the same move, its old picture kept meanwhile.
   */
  'media.move': z.object({ reason: z.enum(['drain', 'node_silent']), message: z.string() }),
  /** A problem not tied to a request (the request was unreadable, the socket is about to close). */
  error: ErrorBody,
} as const satisfies Record<string, z.ZodType>;

export type EventName = keyof typeof Events;
export type EventData<E extends EventName> = z.infer<(typeof Events)[E]>;
export type ServerEvent = { [E in EventName]: { event: E; data: EventData<E> } }[EventName];

export const ServerEventEnvelope = z.object({ event: z.string(), data: z.unknown() });

/** Any message the server sends. */
export const ServerMessage = z.union([Response, ServerEventEnvelope]);
export type ServerMessage = z.infer<typeof ServerMessage>;
