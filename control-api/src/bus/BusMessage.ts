import {
  BackstageMessage,
  ConnectedParticipant,
  EventStatus,
  EventTimes,
  ProducerInfo,
  Question,
  QuestionStatus,
  RaisedHand,
  Stage,
} from '@amphi/protocol';
import { z } from 'zod';

/**
 * What control-api instances tell each other about an event. Every instance
 * receives every message (its own included) and fans it out to the sockets it
 * holds for that event.
 */
export const BusMessage = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('question.created'), eventId: z.uuid(), question: Question }),
  z.object({
    kind: z.literal('question.updated'),
    eventId: z.uuid(),
    question: Question,
    previousStatus: QuestionStatus,
  }),
  /** Only the question's upvote count changed: rooms gather these into one push per interval. */
  z.object({ kind: z.literal('question.upvoted'), eventId: z.uuid(), question: Question }),
  z.object({
    kind: z.literal('questions.reordered'),
    eventId: z.uuid(),
    ranks: z.array(z.object({ questionId: z.uuid(), rank: z.number() })),
  }),
  z.object({
    kind: z.literal('hand.updated'),
    eventId: z.uuid(),
    classroomId: z.uuid(),
    hand: RaisedHand.nullable(),
  }),
  z.object({
    kind: z.literal('stage.updated'),
    eventId: z.uuid(),
    stage: Stage.nullable(),
    /** The classroom that was on stage (or invited) before, if it changed. */
    previousClassroomId: z.uuid().nullable(),
  }),
  z.object({
    kind: z.literal('presence.snapshot'),
    eventId: z.uuid(),
    instanceId: z.string(),
    participants: z.array(ConnectedParticipant),
  }),
  z.object({ kind: z.literal('participant.remove'), eventId: z.uuid(), classroomId: z.uuid() }),
  /**
   * A socket of this participant resumed on `instanceId`, of `generation`
   * (drawn in Redis by each resume, greater than every one before it: no
   * host's clock): a socket of it of an older generation on another instance,
   * half dead and not yet noticed, steps aside (signaling/SignalingSessions.ts).
   */
  z.object({
    kind: z.literal('participant.resumed'),
    eventId: z.uuid(),
    participantId: z.string().min(1).max(100),
    instanceId: z.string(),
    generation: z.number().int().nonnegative(),
  }),
  /** An operator revoked a join link: its sockets are closed (auth/Revocations.ts). */
  z.object({ kind: z.literal('link.revoked'), eventId: z.uuid(), tokenId: z.uuid() }),
  z.object({
    kind: z.literal('event.updated'),
    eventId: z.uuid(),
    status: EventStatus,
    ...EventTimes.shape,
  }),
  z.object({ kind: z.literal('media.producerAdded'), eventId: z.uuid(), producer: ProducerInfo }),
  z.object({
    kind: z.literal('media.producerClosed'),
    eventId: z.uuid(),
    producerId: z.string(),
    role: ProducerInfo.shape.role,
  }),
  /** A backstage line between moderators and speakers (never to classrooms; not stored). */
  z.object({ kind: z.literal('backstage.message'), eventId: z.uuid(), message: BackstageMessage }),
  /** The speaker who is talking now (`announceActiveSpeaker`). */
  z.object({ kind: z.literal('speaker.active'), eventId: z.uuid(), participantId: z.string() }),
]);
export type BusMessage = z.infer<typeof BusMessage>;
export type BusMessageKind = BusMessage['kind'];

/**
 * Kinds that may be lost without harm: presence is re-published every few
 * seconds. Everything else must reach every instance (Redis streams).
 */
export const EPHEMERAL_KINDS: ReadonlySet<BusMessageKind> = new Set(['presence.snapshot']);
