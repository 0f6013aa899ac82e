import { z } from 'zod';
import { EventStatus, IsoDateTime, Role, Uuid } from './common.ts';
import { IceServer, MediaPath, ProducerInfo, RtpCapabilities } from './media.ts';
import { Question } from './questions.ts';
import { JoinResume } from './resume.ts';

/** The classroom on stage: invited (waiting for its consent) or live (its camera is sent). */
export const Stage = z.object({
  classroomId: Uuid,
  classroomName: z.string(),
  status: z.enum(['invited', 'live']),
  since: IsoDateTime,
});
export type Stage = z.infer<typeof Stage>;

export const RaisedHand = z.object({
  classroomId: Uuid,
  classroomName: z.string(),
  raisedAt: IsoDateTime,
});
export type RaisedHand = z.infer<typeof RaisedHand>;

/** How a participant's own client rates its connection (it reports changes). */
export const ConnectionQuality = z.enum(['good', 'degraded', 'bad']);
export type ConnectionQuality = z.infer<typeof ConnectionQuality>;

export const ConnectedParticipant = z.object({
  participantId: z.string(),
  role: Role,
  name: z.string(),
  classroomId: Uuid.nullable(),
  region: z.string().nullable(),
  /** null until the client has reported one. */
  quality: ConnectionQuality.nullable(),
  /** How its media reaches the server (UDP, TCP, relay); null until reported. */
  path: MediaPath.nullable().default(null),
});
export type ConnectedParticipant = z.infer<typeof ConnectedParticipant>;

/** Who is connected to the event, across every control-api instance. */
export const Presence = z.object({
  counts: z.object({ speaker: z.number(), moderator: z.number(), classroom: z.number() }),
  /** Connected classrooms per region (académie region, overseas included). */
  classroomsByRegion: z.record(z.string(), z.number()),
  /** Speakers and moderators by name, classrooms by name (moderators only). */
  participants: z.array(ConnectedParticipant),
});
export type Presence = z.infer<typeof Presence>;

/**
 * What changed in presence since the last push (pushed a few times a second at
 * most): the counts as they are now, the participants who came or changed, the
 * ids of those who left. Applied to the `join` snapshot with `applyPresenceChange`.
 */
export const PresenceChange = z.object({
  counts: Presence.shape.counts,
  classroomsByRegion: Presence.shape.classroomsByRegion,
  /** Arrived, or changed (their quality, their path): replace by participantId. */
  participants: z.array(ConnectedParticipant),
  /** participantIds gone since the last push. */
  left: z.array(z.string()),
});
export type PresenceChange = z.infer<typeof PresenceChange>;

/** Presence with a pushed change applied (null stays null: no snapshot to apply it to). */
export function applyPresenceChange(
  presence: Presence | null,
  change: PresenceChange,
): Presence | null {
  if (!presence) return null;
  const replaced = new Set(change.left);
  for (const p of change.participants) replaced.add(p.participantId);
  return {
    counts: change.counts,
    classroomsByRegion: change.classroomsByRegion,
    participants: [
      ...presence.participants.filter((p) => !replaced.has(p.participantId)),
      ...change.participants,
    ],
  };
}

/** A question's upvote count, pushed alone when only the count changed. */
export const UpvoteCount = z.object({
  questionId: Uuid,
  upvotes: z.number().int().nonnegative(),
});
export type UpvoteCount = z.infer<typeof UpvoteCount>;

/**
 * Pushed upvote counts applied to questions: a count pushed alone only raises
 * one, since it may arrive after the answer to the class's own upvote, which
 * counted more. (A count that goes down, after an unmerge, comes with the
 * question pushed whole.) Unknown questions are ignored.
 */
export function applyUpvotes<Q extends { id: string; upvotes: number }>(
  questions: readonly Q[],
  counts: readonly UpvoteCount[],
): Q[] {
  const byId = new Map(counts.map((c) => [c.questionId, c.upvotes]));
  return questions.map((q) => {
    const upvotes = byId.get(q.id);
    return upvotes !== undefined && upvotes > q.upvotes ? { ...q, upvotes } : q;
  });
}

export const Self = z.object({
  participantId: z.string(),
  role: Role,
  name: z.string(),
  eventId: Uuid,
  classroomId: Uuid.nullable(),
  speakerId: Uuid.nullable(),
});
export type Self = z.infer<typeof Self>;

/**
 * When the event went live and when it ended, as the server recorded them:
 * every studio's timer reads these, on the server's clock.
 */
export const EventTimes = z.object({
  startedAt: IsoDateTime.nullable().default(null),
  endedAt: IsoDateTime.nullable().default(null),
});
export type EventTimes = z.infer<typeof EventTimes>;

/** Everything a client needs to render the event, as of `join`. Role-filtered. */
export const LiveState = z.object({
  event: z.object({
    id: Uuid,
    title: z.string(),
    status: EventStatus,
    startsAt: IsoDateTime,
    durationMinutes: z.number(),
    ...EventTimes.shape,
    /** Who speaks, in the catalogue's order: the classroom's waiting screen names them. */
    speakers: z
      .array(z.object({ name: z.string(), job: z.string(), organisation: z.string() }))
      .default([]),
  }),
  /** Moderators: every question. Speakers: the approved queue. Classrooms: the approved queue and their own. */
  questions: z.array(Question),
  stage: Stage.nullable(),
  /** Moderators see every hand; a classroom sees whether its own is raised. */
  hands: z.array(RaisedHand),
  /** Moderators only; null for the others. */
  presence: Presence.nullable(),
  producers: z.array(ProducerInfo),
});
export type LiveState = z.infer<typeof LiveState>;

export const JoinResult = z.object({
  self: Self,
  state: LiveState,
  /** null while the media plane is unavailable (media requests then answer MEDIA_UNAVAILABLE). */
  routerRtpCapabilities: RtpCapabilities.nullable(),
  /** TURN servers with this participant's credentials, valid until its join token expires; empty without TURN. */
  iceServers: z.array(IceServer).default([]),
  /** The token that resumes this participant's media from its next socket (absent: no resume). */
  resume: JoinResume.optional(),
});
export type JoinResult = z.infer<typeof JoinResult>;

/** How an event's connected classrooms reach the media server, for operators: counts per path. */
export const EventReach = z.object({
  eventId: Uuid,
  /** Classroom connections, on every instance. */
  classrooms: z.number().int().nonnegative(),
  byPath: z.record(MediaPath, z.number().int().nonnegative()),
  /** Connected, no media path reported yet (media still setting up, or none). */
  unknown: z.number().int().nonnegative(),
});
export type EventReach = z.infer<typeof EventReach>;
