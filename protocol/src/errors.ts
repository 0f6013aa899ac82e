import { z } from 'zod';

/**
 * Stable, machine-readable error codes. Clients switch on the code and show the
 * message; tests assert the code. Never rename one: add a new code instead.
 */
export const ErrorCode = z.enum([
  // Input
  'INVALID_JSON',
  'INVALID_MESSAGE',
  'UNKNOWN_TYPE',
  'MESSAGE_TOO_LARGE',
  'VALIDATION_FAILED',
  // Limits
  'RATE_LIMITED',
  // Auth
  'UNAUTHORIZED',
  'TOKEN_INVALID',
  'TOKEN_EXPIRED',
  /** An operator revoked this join link. */
  'TOKEN_REVOKED',
  'WRONG_EVENT',
  'FORBIDDEN',
  'PROTOCOL_VERSION_UNSUPPORTED',
  // Domain
  'NOT_FOUND',
  'CONFLICT',
  'NOT_ENROLLED',
  'EVENT_CLOSED',
  'INVALID_STATE',
  'NOT_ON_STAGE',
  'ALREADY_UPVOTED',
  'NOT_JOINED',
  /** A classroom's stage turn already sends a producer of that kind (one audio, one video). */
  'TOO_MANY_PRODUCERS',
  /** Producing on a receive transport, or consuming on a send one. */
  'WRONG_TRANSPORT_DIRECTION',
  // Media
  'MEDIA_UNAVAILABLE',
  'MEDIA_ERROR',
  /** A resume token that does not verify for this join link (forged, another's, another event). */
  'RESUME_INVALID',
  /** The media session was kept for its grace period and closed: set media up anew. */
  'RESUME_EXPIRED',
  /** No media session held under that participant (closed on leaving, lost with its node). */
  'RESUME_UNKNOWN',
  /** A newer socket of the same participant took its media over first: this one gives way. */
  'RESUME_SUPERSEDED',
  // Server
  'INTERNAL',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ErrorBody = z.object({
  code: ErrorCode,
  message: z.string(),
  /** Where the input was wrong, for validation errors: `data.text`, `body.format`... */
  details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** REST error responses: `{ error: { code, message, details? } }`. */
export const RestError = z.object({ error: ErrorBody });
export type RestError = z.infer<typeof RestError>;

/** WebSocket close codes used by the server (4000-4999 are application codes). */
export const CloseCode = {
  /** The client sent too many bad or excessive messages. */
  POLICY_VIOLATION: 4008,
  /** A moderator removed this participant from the event. */
  REMOVED: 4003,
  /** An operator revoked the join link this socket was opened with. */
  TOKEN_REVOKED: 4011,
  /** The protocol version in the URL is not supported. */
  PROTOCOL_VERSION_UNSUPPORTED: 4010,
  /** The server is shutting down; reconnect to another instance. */
  GOING_AWAY: 1001,
  /** A newer socket of the same participant resumed its media: this one is done. */
  RESUMED_ELSEWHERE: 4012,
} as const;
