import type { ProducerInfo, RequestData, RequestResult, RequestType, Role } from '@amphi/protocol';
import type { Bus } from '../bus/Bus.ts';
import type { CatalogStore, ClassroomInfo } from '../catalog/CatalogStore.ts';
import type { Limits } from '../config.ts';
import { AppError } from '../errors.ts';
import type { EventRoom } from '../live/EventRoom.ts';
import type { LiveHub } from '../live/LiveHub.ts';
import type { RateLimiter } from '../live/RateLimiter.ts';
import type { StageService } from '../live/StageService.ts';
import type { Logger } from '../logger.ts';
import type { SignalingObserver } from '../metrics/ControlMetrics.ts';
import type { QuestionQueue } from '../questions/QuestionQueue.ts';
import type { MediaNode, MediaParticipant } from '../rtc/MediaNode.ts';
import type { TurnSettings } from '../rtc/turnCredentials.ts';
import type { ResumeGenerations } from './ResumeGenerations.ts';
import type { ResumeTokens } from './ResumeTokens.ts';

/** What signaling handlers work with; no sockets, no HTTP. */
export interface Services {
  catalog: CatalogStore;
  questions: QuestionQueue;
  stage: StageService;
  media: MediaNode;
  hub: LiveHub;
  bus: Bus;
  limits: Limits;
  /** The TURN relay offered with each join; null when there is none. */
  turn: TurnSettings | null;
  /** Told of each join and each rejected message (the metrics); none in some tests. */
  metrics?: SignalingObserver | undefined;
  /** Joins per link and WebSocket connections per address, shared by every instance. */
  joinLimits: { perParticipant: RateLimiter; perAddress: RateLimiter };
  /**
   * Signs and checks resume tokens; keyed from the join token secret so that
   * every instance verifies them. Without: a key of this process only.
   */
  resumeTokens?: ResumeTokens | undefined;
  /** This instance's wall clock (default `Date.now`); never compared with another host's. */
  clock?: (() => number) | undefined;
  /** Orders a participant's resumed sockets across instances; without: this process's own count. */
  resumeGenerations?: ResumeGenerations | undefined;
}

/**
 * A socket opened with a resume token (URL `resume=`): `verified` gave it the
 * participant id the token names, and its first join adopts that media, with
 * the socket's generation (SignalingSessions draws it as the socket opens;
 * null when Redis could not); `invalid` is answered RESUME_INVALID at that
 * join (the socket lives on, with a new participant id). Cleared once answered.
 */
export type ResumeClaim =
  | { status: 'verified'; generation?: Promise<number | null> }
  | { status: 'invalid' };

/** Who is on the other end of a socket, established from the join token at connect. */
export interface Identity {
  participantId: string;
  role: Role;
  eventId: string;
  classroomId: string | null;
  speakerId: string | null;
  /** Moderator's or speaker's name; the classroom's display name. */
  name: string;
  region: string | null;
  classroom: ClassroomInfo | null;
  /** Join token id (jti), for logs. */
  tokenId: string;
  /** When the join token expires (seconds since the epoch): the TURN credentials expire with it. */
  tokenExpiresAt: number;
  /** This participant's resume token, given with each join. */
  resumeToken: string;
  /** What the socket presented to resume, until its first join answers it. */
  resume: ResumeClaim | null;
}

export interface HandlerContext {
  self: Identity;
  services: Services;
  room: EventRoom;
  log: Logger;
  /** The participant as the media node knows it. */
  media: MediaParticipant;
  /** Producers this participant opened and has not closed yet. */
  producers: Map<string, ProducerInfo>;
  /**
   * A newer socket of this participant holds its media (its adoption was
   * refused RESUME_SUPERSEDED): this one steps aside (4012), as when the bus
   * tells of the newer one.
   */
  handOver(): void;
}

export interface Handler<T extends RequestType> {
  /** Roles allowed to send this request; others get FORBIDDEN before any work. */
  roles: readonly Role[];
  handle(ctx: HandlerContext, data: RequestData<T>): Promise<RequestResult<T>>;
}

export type HandlerTable = { [T in RequestType]: Handler<T> };

export const ALL_ROLES: readonly Role[] = ['speaker', 'moderator', 'classroom'];

/** The sender's own classroom; FORBIDDEN for a speaker or a moderator. */
export function ownClassroom(ctx: HandlerContext): ClassroomInfo {
  if (!ctx.self.classroom) throw new AppError('FORBIDDEN', 'only a classroom can do this');
  return ctx.self.classroom;
}
