import type { Question, QuestionCategory } from '@amphi/protocol';
import type { SignalingError } from './errors.ts';
import type { LiveView } from './LiveSessionState.ts';
import type { MediaClientOptions, QualityReport, RemoteMedia } from './MediaClient.ts';
import type { SignalingClientOptions, StatusInfo } from './SignalingClient.ts';

export interface LiveSessionOptions {
  /** Origin of the control-api, e.g. `location.origin`. */
  baseUrl: string;
  eventId: string;
  token: string;
  /** Passed to the SignalingClient (another WebSocket, back-off, heartbeat, timeouts). */
  signaling?: Omit<SignalingClientOptions, 'baseUrl' | 'eventId' | 'token'>;
  /** Media over mediasoup-client (default on); `false` for a client without media (Node, tools). */
  media?: false | MediaClientOptions;
  /** Idempotency keys of submitted questions (default: a random UUID without dashes). */
  newKey?: () => string;
}

/**
 * A question the user sent: `queued` while the line is down (it leaves by
 * itself once the session is back, under the same idempotency key, so the
 * server stores it once however many times it arrives), `sending`, `sent`
 * (with the stored question) or `failed` (refused: its error says why).
 */
export type OutgoingStatus = 'queued' | 'sending' | 'sent' | 'failed';

export interface OutgoingQuestion {
  /** The idempotency key: one submission, however many times it is sent. */
  key: string;
  text: string;
  category: QuestionCategory;
  status: OutgoingStatus;
  /** The question as stored, once sent. */
  question: Question | null;
  error: SignalingError | null;
}

/** What the media side shows. */
export interface MediaView {
  /** False when the server has no media plane (MEDIA_UNAVAILABLE) or media failed to start. */
  available: boolean;
  /** The code of the last media error, null once media is ready again. */
  error: string | null;
  remotes: RemoteMedia[];
  audioOnly: boolean;
}

/** Everything an app renders, as one immutable value (a new object on each change). */
export interface LiveSnapshot {
  /** The signaling link: open, or reconnecting with its attempt count and next try. */
  link: StatusInfo;
  /** Refused for good (bad or revoked link, removed, event closed): nothing will retry. */
  fatal: SignalingError | null;
  /** null until the first `join`. */
  view: LiveView | null;
  quality: QualityReport | null;
  media: MediaView;
  /** Questions this participant upvoted in this session. */
  upvoted: ReadonlySet<string>;
  /** Questions sent from here, oldest first: queued ones leave when the line is back. */
  outbox: readonly OutgoingQuestion[];
  closed: boolean;
}

export type LiveSessionEvents = {
  /** After every change; `snapshot` is the new value. */
  change: [snapshot: LiveSnapshot];
  /** The session was closed (by `close()`). */
  close: [];
};
