import type { ErrorBody, ErrorCode } from '@amphi/protocol';
import type { z } from 'zod';

const HTTP_STATUS: Record<ErrorCode, number> = {
  INVALID_JSON: 400,
  INVALID_MESSAGE: 400,
  UNKNOWN_TYPE: 400,
  MESSAGE_TOO_LARGE: 413,
  VALIDATION_FAILED: 400,
  RATE_LIMITED: 429,
  UNAUTHORIZED: 401,
  TOKEN_INVALID: 401,
  TOKEN_EXPIRED: 401,
  TOKEN_REVOKED: 401,
  WRONG_EVENT: 403,
  FORBIDDEN: 403,
  PROTOCOL_VERSION_UNSUPPORTED: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  NOT_ENROLLED: 409,
  EVENT_CLOSED: 409,
  INVALID_STATE: 409,
  NOT_ON_STAGE: 403,
  ALREADY_UPVOTED: 409,
  NOT_JOINED: 409,
  TOO_MANY_PRODUCERS: 409,
  WRONG_TRANSPORT_DIRECTION: 409,
  MEDIA_UNAVAILABLE: 503,
  MEDIA_ERROR: 502,
  RESUME_INVALID: 403,
  RESUME_EXPIRED: 410,
  RESUME_UNKNOWN: 404,
  RESUME_SUPERSEDED: 409,
  INTERNAL: 500,
};

/** An error a client may see: a stable code, a human message, optional details. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorBody['details'];

  constructor(code: ErrorCode, message: string, details?: ErrorBody['details']) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }

  get httpStatus(): number {
    return HTTP_STATUS[this.code];
  }

  toBody(): ErrorBody {
    return this.details
      ? { code: this.code, message: this.message, details: this.details }
      : { code: this.code, message: this.message };
  }
}

export function httpStatusOf(code: ErrorCode): number {
  return HTTP_STATUS[code];
}

/** zod issues as `details`, with the path prefixed (`data.text`, `body.format`). */
export function issuesToDetails(
  prefix: string,
  error: z.ZodError,
): NonNullable<ErrorBody['details']> {
  return error.issues.slice(0, 20).map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter(Boolean).join('.'),
    message: issue.message,
  }));
}

export function validationError(
  prefix: string,
  error: z.ZodError,
  code: ErrorCode = 'INVALID_MESSAGE',
): AppError {
  const details = issuesToDetails(prefix, error);
  const first = details[0];
  return new AppError(
    code,
    first ? `${first.path || prefix}: ${first.message}` : 'invalid input',
    details,
  );
}

/** A Postgres error for a violated constraint, by its SQLSTATE. */
export function pgErrorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string'
    ? err.code
    : undefined;
}
