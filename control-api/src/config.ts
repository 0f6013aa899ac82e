import { z } from 'zod';
import { DRAIN_PACING } from './rtc/drain/NodeDrainer.ts';
import { type TurnSettings, turnUrls } from './rtc/turnCredentials.ts';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);
/** A comma-separated list of secrets, each at least `min` characters. */
const secrets = (min: number) =>
  z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().min(min)))
    .optional();

/**
 * Configuration, from environment variables, parsed once. The defaults run on
 * one machine with nothing else installed: embedded PostgreSQL, in-process bus.
 */
export const ConfigSchema = z.object({
  /** Loopback by default, like the media plane: a reverse proxy terminating TLS serves the public (README). */
  HOST: z.string().default('127.0.0.1'),
  PORT: int(8080),
  /**
   * Reverse proxies whose X-Forwarded-For gives the client's address (rate limits
   * are per address): `true`, a hop count, or addresses/CIDRs separated by commas
   * (e.g. `127.0.0.1`). Unset: the connection's own address.
   */
  TRUST_PROXY: z.string().optional(),
  /** Base URL people open (join links are built on it). */
  PUBLIC_URL: z.url().optional(),
  /** When unset, an embedded PostgreSQL runs with its data under DATA_DIR/postgres. */
  DATABASE_URL: z.string().optional(),
  DATABASE_POOL_SIZE: int(10, 1),
  /** When set, instances share events through Redis; otherwise an in-process bus. */
  REDIS_URL: z.string().optional(),
  DATA_DIR: z.string().default('.data'),
  /** HMAC secret that signs join tokens (>= 32 chars). Default: generated once under DATA_DIR. */
  JOIN_TOKEN_SECRET: z.string().min(32).optional(),
  /**
   * Secrets that signed join tokens before a rotation, comma-separated: links
   * they signed still verify (each token names its key), new ones use
   * JOIN_TOKEN_SECRET. Drop one once its links have expired.
   */
  JOIN_TOKEN_PREVIOUS_SECRETS: secrets(32),
  /** Operator credential (Bearer). Default: generated once under DATA_DIR. */
  OPERATOR_TOKEN: z.string().min(16).optional(),
  /** Operator credentials still accepted while scripts move to OPERATOR_TOKEN, comma-separated. */
  OPERATOR_PREVIOUS_TOKENS: secrets(16),
  /**
   * The scrape credential for GET /metrics (Prometheus: `authorization` with a
   * credentials file), read-only and apart from the operator's (docs/metrics.md).
   * Default: generated once under DATA_DIR.
   */
  METRICS_TOKEN: z.string().min(16).optional(),
  /** Scrape credentials still accepted while Prometheus moves to METRICS_TOKEN, comma-separated. */
  METRICS_PREVIOUS_TOKENS: secrets(16),
  INSTANCE_ID: z.string().min(1).max(64).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SEED_DEMO: bool.default(true),
  /** A test pattern (FFmpeg) stands in for the demo event's speaker, if FFmpeg is installed. */
  DEMO_TEST_PATTERN: bool.default(true),

  /** Questions per classroom: sustained rate per minute and burst. */
  QUESTION_RATE_PER_MINUTE: int(6, 1),
  QUESTION_BURST: int(3, 1),
  /** Socket connections (joins) per participant token: per minute and burst. */
  JOIN_RATE_PER_MINUTE: int(30, 1),
  JOIN_BURST: int(10, 1),
  /** Socket connections per client address: per second and burst (schools share addresses). */
  CONNECT_RATE_PER_IP_PER_SECOND: int(200, 1),
  CONNECT_BURST_PER_IP: int(2000, 1),
  /** Messages per socket: per second and burst. */
  WS_MESSAGES_PER_SECOND: int(50, 1),
  WS_MESSAGE_BURST: int(100, 1),
  /** Bad or over-limit messages tolerated in ABUSE_WINDOW_MS before the socket is closed. */
  ABUSE_MAX_STRIKES: int(50, 1),
  ABUSE_WINDOW_MS: int(10_000, 100),
  /**
   * A classroom whose last socket to the event closes leaves the stage after this
   * long, unless it is back by then (a cut connection, the app's first retries).
   */
  STAGE_DISCONNECT_GRACE_MS: int(5_000, 0),
  /**
   * A socket silent this long (no message, no answer to the server's pings) is
   * ended, and its participant leaves presence: a cut line sends no close.
   */
  SOCKET_SILENCE_TIMEOUT_MS: int(5_000, 100),
  /** REST requests (/api/...) per client address per minute, across instances when REDIS_URL is set. */
  API_RATE_PER_MINUTE: int(1_000, 1),

  /**
   * Personal data (question texts, pupils' names, names in the moderation log) is
   * erased this many days after an event's scheduled end (docs/privacy.md).
   */
  RETENTION_DAYS: int(90, 1),
  /** How often each instance runs the retention purge (it also runs at start). */
  RETENTION_PURGE_INTERVAL_MINUTES: int(60, 1),
  /** Bus stream entries (question payloads) older than this are trimmed by the purge. */
  BUS_STREAM_RETENTION_MINUTES: int(60, 1),

  /**
   * TURN relay (coturn, docs/turn.md): its `static-auth-secret`. Unset: no relay
   * is offered (classrooms reach the media workers directly over UDP or TCP).
   */
  TURN_SECRET: z.string().min(16).optional(),
  /** The relay's URLs, comma-separated; or TURN_HOST and its ports. */
  TURN_URLS: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^turns?:\S+$/, 'a turn: or turns: URL')))
    .optional(),
  /** The relay's host name (its TLS certificate's name): TURN on UDP TURN_PORT, TLS on TURN_TLS_PORT. */
  TURN_HOST: z.string().min(1).optional(),
  TURN_PORT: int(3478, 1),
  TURN_TLS_PORT: int(443, 1),

  /**
   * Where the media plane runs: `in-process` (this process's mediasoup workers,
   * one host) or `remote` (media nodes, `npm run media-node` on each host, found
   * in Redis: REDIS_URL and MEDIA_NODE_SECRET needed; docs/deployment.md).
   */
  MEDIA_PLANE: z.enum(['in-process', 'remote']).default('in-process'),
  /** The cluster's shared secret: control-api instances present it to media nodes. */
  MEDIA_NODE_SECRET: z.string().min(32).optional(),
  /**
   * A drained media node's classrooms are asked to move this many at a time per
   * instance, every MEDIA_DRAIN_INTERVAL_MS (each move sets up a transport on
   * another node and asks the speakers' picture for a key frame).
   */
  MEDIA_DRAIN_BATCH: int(DRAIN_PACING.batchSize, 1),
  MEDIA_DRAIN_INTERVAL_MS: int(DRAIN_PACING.intervalMs, 50),
});
export type Config = z.infer<typeof ConfigSchema>;

/** The relay the join response offers, or null when TURN is off (TURN_SECRET unset). */
export function turnSettings(config: Config): TurnSettings | null {
  if (!config.TURN_SECRET) return null;
  const urls =
    config.TURN_URLS ??
    (config.TURN_HOST ? turnUrls(config.TURN_HOST, config.TURN_PORT, config.TURN_TLS_PORT) : null);
  if (!urls || urls.length === 0) {
    throw new Error('Invalid configuration:\n  TURN_SECRET is set: set TURN_URLS or TURN_HOST too');
  }
  return { secret: config.TURN_SECRET, urls };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** When personal data is erased (see RetentionJob). */
export type RetentionSettings = Pick<
  Config,
  'RETENTION_DAYS' | 'RETENTION_PURGE_INTERVAL_MINUTES' | 'BUS_STREAM_RETENTION_MINUTES'
>;

export function defaultRetention(overrides: Partial<RetentionSettings> = {}): RetentionSettings {
  const base = ConfigSchema.parse({});
  return {
    RETENTION_DAYS: overrides.RETENTION_DAYS ?? base.RETENTION_DAYS,
    RETENTION_PURGE_INTERVAL_MINUTES:
      overrides.RETENTION_PURGE_INTERVAL_MINUTES ?? base.RETENTION_PURGE_INTERVAL_MINUTES,
    BUS_STREAM_RETENTION_MINUTES:
      overrides.BUS_STREAM_RETENTION_MINUTES ?? base.BUS_STREAM_RETENTION_MINUTES,
  };
}

/** Limits the live layer needs, separated from process-level settings so tests can pass them. */
export type Limits = Pick<
  Config,
  | 'QUESTION_RATE_PER_MINUTE'
  | 'QUESTION_BURST'
  | 'JOIN_RATE_PER_MINUTE'
  | 'JOIN_BURST'
  | 'CONNECT_RATE_PER_IP_PER_SECOND'
  | 'CONNECT_BURST_PER_IP'
  | 'WS_MESSAGES_PER_SECOND'
  | 'WS_MESSAGE_BURST'
  | 'ABUSE_MAX_STRIKES'
  | 'ABUSE_WINDOW_MS'
  | 'STAGE_DISCONNECT_GRACE_MS'
  | 'SOCKET_SILENCE_TIMEOUT_MS'
  | 'API_RATE_PER_MINUTE'
>;

export function defaultLimits(overrides: Partial<Limits> = {}): Limits {
  const base = ConfigSchema.parse({});
  return {
    QUESTION_RATE_PER_MINUTE: base.QUESTION_RATE_PER_MINUTE,
    QUESTION_BURST: base.QUESTION_BURST,
    JOIN_RATE_PER_MINUTE: base.JOIN_RATE_PER_MINUTE,
    JOIN_BURST: base.JOIN_BURST,
    CONNECT_RATE_PER_IP_PER_SECOND: base.CONNECT_RATE_PER_IP_PER_SECOND,
    CONNECT_BURST_PER_IP: base.CONNECT_BURST_PER_IP,
    WS_MESSAGES_PER_SECOND: base.WS_MESSAGES_PER_SECOND,
    WS_MESSAGE_BURST: base.WS_MESSAGE_BURST,
    ABUSE_MAX_STRIKES: base.ABUSE_MAX_STRIKES,
    ABUSE_WINDOW_MS: base.ABUSE_WINDOW_MS,
    STAGE_DISCONNECT_GRACE_MS: base.STAGE_DISCONNECT_GRACE_MS,
    SOCKET_SILENCE_TIMEOUT_MS: base.SOCKET_SILENCE_TIMEOUT_MS,
    API_RATE_PER_MINUTE: base.API_RATE_PER_MINUTE,
    ...overrides,
  };
}
