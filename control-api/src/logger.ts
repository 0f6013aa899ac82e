import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * pino, one JSON line per event. Ids go in fields; tokens are redacted wherever
 * they could appear, and question text is logged only at debug level.
 */
export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  return pino({
    level,
    base: { service: 'control-api', ...bindings },
    redact: {
      paths: [
        'token',
        '*.token',
        'req.headers.authorization',
        'req.query.token',
        'req.query.resume',
        'headers.authorization',
      ],
      censor: '[redacted]',
    },
  });
}

/** A request URL without its query string: join tokens travel there. */
export function urlWithoutQuery(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}
