import type { ErrorCode } from '@amphi/protocol';

/** Codes the client itself raises, beside the server's. */
export type ClientErrorCode = 'DISCONNECTED' | 'TIMEOUT' | 'CLOSED';

/** A request that failed: the server's `code` and message, or a client-side code. */
export class SignalingError extends Error {
  override readonly name = 'SignalingError';
  constructor(
    readonly code: ErrorCode | ClientErrorCode,
    message: string,
    readonly details?: { path: string; message: string }[],
  ) {
    super(message);
  }
}
