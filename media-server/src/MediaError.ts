export type MediaErrorCode =
  | 'TRANSPORT_NOT_FOUND'
  | 'CONSUMER_NOT_FOUND'
  | 'PRODUCER_NOT_FOUND'
  | 'CANNOT_CONSUME'
  | 'NOT_ALLOWED'
  | 'NOT_JOINED'
  | 'SESSION_CLOSED'
  | 'BROADCAST_CLOSED'
  /** An HLS egress stopped before it started (FFmpeg failed, or it was stopped). */
  | 'EGRESS_STOPPED';

/** An error a client can act on: a stable code for programs, a message for people. */
export class MediaError extends Error {
  readonly code: MediaErrorCode;

  constructor(code: MediaErrorCode, message: string) {
    super(message);
    this.name = 'MediaError';
    this.code = code;
  }
}
