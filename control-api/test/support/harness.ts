import { randomBytes, randomUUID } from 'node:crypto';
import { WorkerPool } from '@amphi/media-server';
import {
  applyPresenceChange,
  type EventData,
  type EventName,
  type JoinLink,
  type Presence,
  type RequestData,
  type RequestResult,
  type RequestType,
  type RtpCapabilities,
} from '@amphi/protocol';
import type { SignalingClient } from '@amphi/sdk';
import postgres from 'postgres';
import { afterAll, beforeAll, inject } from 'vitest';
import WebSocket from 'ws';
import type { Limits } from '../../src/config.ts';
import { createLogger, type Logger } from '../../src/logger.ts';
import { InProcessMediaNode } from '../../src/rtc/InProcessMediaNode.ts';
import type { MediaNode } from '../../src/rtc/MediaNode.ts';
import { MediaNodeServer } from '../../src/rtc/remote/MediaNodeServer.ts';
import { RemoteMediaNode } from '../../src/rtc/remote/RemoteMediaNode.ts';
import type { TurnSettings } from '../../src/rtc/turnCredentials.ts';
import {
  type ControlPlane,
  type ControlPlaneOptions,
  startControlPlane,
} from '../../src/server.ts';

export const OPERATOR_TOKEN = 'test-operator-token-0123456789';
export const JOIN_SECRET = 'test-join-token-secret-0123456789abcdef';

/** A fresh database on the test cluster, for one test file. */
export async function createTestDatabase(): Promise<string> {
  const admin = inject('pgAdminUrl');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const sql = postgres(admin, { max: 1, onnotice: () => {} });
  await sql.unsafe(`create database ${name}`);
  await sql.end();
  return admin.replace(/\/postgres$/, `/${name}`);
}

/**
 * Real mediasoup workers on loopback behind signaling's MediaNode; the node
 * owns its pool, and the control plane closes the node. A lost worker comes
 * back quickly so tests can kill one. `listenIp`: loopback by default.
 */
export async function startMediaNode(
  opts: {
    workers?: number;
    listenIp?: string;
    /** How long a participant's media outlives its socket, for a resume to adopt it. */
    sessionGraceMs?: number;
  } = {},
): Promise<InProcessMediaNode> {
  const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
  const listenIp = opts.listenIp ?? '127.0.0.1';
  const pool = await WorkerPool.create({
    size: opts.workers ?? 2,
    listenIp,
    logger: log,
    restartDelayMs: 200,
  });
  return new InProcessMediaNode({
    pool,
    log,
    transportOptions: { listenIp },
    ownsPool: true,
    ...(opts.sessionGraceMs === undefined ? {} : { sessionGraceMs: opts.sessionGraceMs }),
  });
}

/** How a control plane reaches its media node: as on one host, or as across hosts. */
export type MediaNodeMode = 'in process' | 'through a remote media node';

/** Real workers (`startMediaNode`), reached by a control plane as `MediaNodeMode` says. */
export interface TestMediaNode {
  /** The workers' node (behind the channel's server when remote), to read what it holds. */
  readonly media: InProcessMediaNode;
  /** What the control plane is given: `media` itself, or a RemoteMediaNode reaching it. */
  readonly node: MediaNode;
  /** Once the control plane has closed `node`: the channel's server and the workers. */
  close(): Promise<void>;
}

/**
 * In process, the control plane holds the workers' node and closes it. Through
 * a remote media node, the same workers sit behind a MediaNodeServer and the
 * control plane holds a RemoteMediaNode over its control channel: the same
 * tests must pass both ways.
 */
export async function startTestMediaNode(
  opts: { workers?: number; mode?: MediaNodeMode } = {},
): Promise<TestMediaNode> {
  const media = await startMediaNode({ workers: opts.workers });
  if ((opts.mode ?? 'in process') === 'in process') {
    return { media, node: media, close: async () => {} };
  }
  const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
  const secret = 'test-media-node-secret-0123456789';
  const server = await MediaNodeServer.start({ media, secret, host: '127.0.0.1', port: 0, log });
  const node = new RemoteMediaNode({ url: `ws://127.0.0.1:${server.port}`, secret, log });
  await node.ready();
  return {
    media,
    node,
    close: async () => {
      await server.close();
      await media.close();
    },
  };
}

export interface InstanceOptions {
  databaseUrl: string;
  /** A Redis bus: the run's shared Redis, or one of the test's own (`url`). */
  redis?: { namespace: string; url?: string };
  media?: MediaNode;
  limits?: Partial<Limits>;
  /** The instance's logger (default: silent, or TEST_LOG_LEVEL), e.g. to count what it logs. */
  log?: Logger;
  /** Address it listens on (default loopback). */
  host?: string;
  /** The TURN relay offered with each join (default none). */
  turn?: TurnSettings;
  /** The scrape credential of GET /metrics (default none: /metrics is not served). */
  metricsToken?: string;
  /** Any other option of the control plane (its own secrets, retention, pool size...), given last. */
  more?: Partial<ControlPlaneOptions>;
}

export async function startInstance(opts: InstanceOptions): Promise<ControlPlane> {
  return startControlPlane({
    databaseUrl: opts.databaseUrl,
    redisUrl: opts.redis ? (opts.redis.url ?? inject('redisUrl')) : undefined,
    ...(opts.redis ? { redisNamespace: opts.redis.namespace } : {}),
    joinTokenSecret: JOIN_SECRET,
    operatorToken: OPERATOR_TOKEN,
    databasePoolSize: 5,
    ...(opts.media ? { media: opts.media } : {}),
    limits: opts.limits ?? {},
    ...(opts.host ? { host: opts.host } : {}),
    ...(opts.turn ? { turn: opts.turn } : {}),
    ...(opts.metricsToken ? { metricsToken: opts.metricsToken } : {}),
    log: opts.log ?? createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
    ...opts.more,
  });
}

export interface ControlPlaneFixtureOptions extends Omit<InstanceOptions, 'databaseUrl' | 'redis'> {
  /** Instances on the one database; more than one share a Redis bus, as behind a load balancer. */
  instances?: number;
  /** An event to seed before the tests (see `seedEvent`). */
  seed?: Parameters<typeof seedEvent>[1];
  /** Real mediasoup workers for the (one) instance, reached as `mode` says (see `startTestMediaNode`). */
  mediaNode?: { workers?: number; mode?: MediaNodeMode };
}

/** A participant connected and joined: its client, the join's answer, its router's capabilities. */
export interface Joined {
  client: TestClient;
  join: RequestResult<'join'>;
  caps: RtpCapabilities;
}

/** What `useControlPlane` gives a test file; read it inside tests and hooks, not at load. */
export interface ControlPlaneFixture {
  /** The first instance. */
  readonly plane: ControlPlane;
  /** Every instance, in order. */
  readonly planes: readonly ControlPlane[];
  /** SQL on the file's database, for assertions. */
  readonly db: postgres.Sql;
  /** The event seeded before the tests (only with `seed`). */
  readonly ev: SeededEvent;
  /** Clients closed after the file's tests; `connect` adds to it. */
  readonly clients: TestClient[];
  /** Connects to the seeded event, on the first instance unless told. */
  connect(token: string, on?: ControlPlane): Promise<TestClient>;
  /** Connects to an event (the seeded one unless told) on the first instance, and joins. */
  joined(token: string, ev?: SeededEvent): Promise<Joined>;
  /** The workers' media node (only with `mediaNode`). */
  readonly media: InProcessMediaNode;
}

/**
 * A test file's control plane: a fresh database, the instance(s) on it, a SQL
 * client and, with `seed`, an event, set up before the file's tests; all of
 * it (clients included) closed after them.
 */
export function useControlPlane(opts: ControlPlaneFixtureOptions = {}): ControlPlaneFixture {
  const { instances = 1, seed, mediaNode, ...instance } = opts;
  if (mediaNode && instances > 1) throw new Error('mediaNode: one instance only');
  let planes: ControlPlane[] = [];
  let db: postgres.Sql | undefined;
  let ev: SeededEvent | undefined;
  let media: TestMediaNode | undefined;
  const clients: TestClient[] = [];
  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is not set up (only inside tests and hooks)`);
    return value;
  };
  beforeAll(async () => {
    const databaseUrl = await createTestDatabase();
    const redis = instances > 1 ? { redis: { namespace: `t-${randomUUID()}` } } : {};
    if (mediaNode) media = await startTestMediaNode(mediaNode);
    const node = media ? { media: media.node } : {};
    planes = await Promise.all(
      Array.from({ length: instances }, () =>
        startInstance({ ...instance, ...redis, ...node, databaseUrl }),
      ),
    );
    db = postgres(databaseUrl, { max: 2 });
    if (seed) ev = await seedEvent(ready(planes[0], 'plane').url, seed);
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
    await Promise.all(planes.map((p) => p.close()));
    await media?.close();
    await db?.end();
  });
  const fixture: ControlPlaneFixture = {
    get plane() {
      return ready(planes[0], 'plane');
    },
    get planes() {
      return planes;
    },
    get db() {
      return ready(db, 'db');
    },
    get ev() {
      return ready(ev, 'ev (pass `seed`)');
    },
    clients,
    async connect(token, on = fixture.plane) {
      const c = await TestClient.connect(on.url, fixture.ev.eventId, token);
      clients.push(c);
      return c;
    },
    async joined(token, event = fixture.ev) {
      const client = await TestClient.connect(fixture.plane.url, event.eventId, token);
      clients.push(client);
      const join = await client.request('join', {});
      return { client, join, caps: join.routerRtpCapabilities as RtpCapabilities };
    },
    get media() {
      return ready(media, 'media (pass `mediaNode`)').media;
    },
  };
  return fixture;
}

/** REST as an operator. */
export async function api<T = unknown>(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  token: string | null = OPERATOR_TOKEN,
): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

async function ok<T>(p: Promise<{ status: number; body: unknown }>): Promise<T> {
  const r = await p;
  if (r.status >= 300) throw new Error(`HTTP ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body as T;
}

export interface SeededEvent {
  eventId: string;
  speakerId: string;
  classroomIds: string[];
  /** Region of each classroom, same order. */
  regions: string[];
  /** `speaker` is the first speaker's link; `coSpeakers` the others' (a 55 min panel). */
  tokens: { speaker: string; coSpeakers: string[]; moderator: string; classrooms: string[] };
}

const SPEAKERS = [
  { name: 'Inès Haddad', job: 'Ingénieure du son', organisation: 'Studio Lumière' },
  { name: 'Karim Benali', job: 'Mixeur', organisation: 'Radio Sud' },
  { name: 'Léa Morel', job: 'Régisseuse', organisation: 'Théâtre du Port' },
];

/**
 * An event with `speakers` speakers (1: a 45 min talk, 2–3: a 55 min panel)
 * and `classrooms` enrolled classrooms, through the REST API.
 */
export async function seedEvent(
  base: string,
  opts: { classrooms?: number; speakers?: number; status?: 'scheduled' | 'live' } = {},
): Promise<SeededEvent> {
  const n = opts.classrooms ?? 3;
  const speakerIds: string[] = [];
  for (const body of SPEAKERS.slice(0, opts.speakers ?? 1)) {
    speakerIds.push((await ok<{ id: string }>(api(base, 'POST', '/api/v1/speakers', body))).id);
  }
  const event = await ok<{ id: string }>(
    api(base, 'POST', '/api/v1/events', {
      title: `Métiers du son ${randomUUID().slice(0, 6)}`,
      themeWeek: 'Semaine des médias',
      format: speakerIds.length > 1 ? 'panel_55' : 'solo_45',
      startsAt: new Date(Date.now() + 3600_000).toISOString(),
      speakerIds,
    }),
  );
  const regions = ['Occitanie', 'Guadeloupe', 'Bretagne', 'La Réunion'];
  const schools: string[] = [];
  for (const [i, region] of regions.entries()) {
    const school = await ok<{ id: string }>(
      api(base, 'POST', '/api/v1/schools', {
        name: `Collège ${i}`,
        town: `Ville ${i}`,
        academie: region,
        region,
        overseas: region === 'Guadeloupe' || region === 'La Réunion',
      }),
    );
    schools.push(school.id);
  }
  const classroomIds: string[] = [];
  const classroomRegions: string[] = [];
  for (let i = 0; i < n; i++) {
    const c = await ok<{ id: string }>(
      api(base, 'POST', '/api/v1/classrooms', {
        schoolId: schools[i % schools.length],
        label: `4e ${String.fromCharCode(65 + (i % 26))}${Math.floor(i / 26) || ''}`,
        level: '4e',
      }),
    );
    classroomIds.push(c.id);
    classroomRegions.push(regions[i % regions.length] as string);
  }
  for (let i = 0; i < classroomIds.length; i += 1000) {
    await ok(
      api(base, 'POST', `/api/v1/events/${event.id}/enrolments/classrooms`, {
        classroomIds: classroomIds.slice(i, i + 1000),
      }),
    );
  }
  if (opts.status === 'live') {
    await ok(api(base, 'POST', `/api/v1/events/${event.id}/status`, { status: 'live' }));
  }
  const link = (body: unknown) =>
    ok<JoinLink>(api(base, 'POST', `/api/v1/events/${event.id}/join-links`, body));
  const classroomTokens: string[] = [];
  for (const classroomId of classroomIds) {
    classroomTokens.push((await link({ role: 'classroom', classroomId })).token);
  }
  const speakerTokens: string[] = [];
  for (const speakerId of speakerIds) {
    speakerTokens.push((await link({ role: 'speaker', speakerId })).token);
  }
  return {
    eventId: event.id,
    speakerId: speakerIds[0] as string,
    classroomIds,
    regions: classroomRegions,
    tokens: {
      speaker: speakerTokens[0] as string,
      coSpeakers: speakerTokens.slice(1),
      moderator: (await link({ role: 'moderator', name: 'Nadia' })).token,
      classrooms: classroomTokens,
    },
  };
}

export type AnyResponse =
  | { id: string | number | null; ok: true; result: unknown }
  | {
      id: string | number | null;
      ok: false;
      error: { code: string; message: string; details?: unknown };
    };

type Pushed = { event: string; data: unknown };

const NOBODY: Presence = {
  counts: { speaker: 0, moderator: 0, classroom: 0 },
  classroomsByRegion: {},
  participants: [],
};

/** A signaling client over a real WebSocket, as the apps would use it. */
export class TestClient {
  readonly socket: WebSocket;
  readonly events: Pushed[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #next = 1;
  readonly #pending = new Map<string | number, (r: AnyResponse) => void>();
  readonly #untagged: AnyResponse[] = [];
  readonly #waiters = new Set<() => void>();

  private constructor(socket: WebSocket) {
    this.socket = socket;
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    socket.on('message', (raw) => {
      const msg = JSON.parse(raw.toString()) as AnyResponse | Pushed;
      if ('event' in msg) this.events.push(msg);
      else if (msg.id !== null && this.#pending.has(msg.id)) {
        const resolve = this.#pending.get(msg.id);
        this.#pending.delete(msg.id);
        resolve?.(msg);
      } else this.#untagged.push(msg);
      for (const w of [...this.#waiters]) w();
    });
  }

  static url(base: string, eventId: string, token: string, v = 1): string {
    return `${base.replace(/^http/, 'ws')}/v1/events/${eventId}/ws?v=${v}&token=${encodeURIComponent(token)}`;
  }

  /** Connects and waits for the server's welcome; rejects with the HTTP status if refused. */
  static connect(base: string, eventId: string, token: string): Promise<TestClient> {
    return TestClient.connectUrl(TestClient.url(base, eventId, token));
  }

  static connectUrl(url: string): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url);
      const client = new TestClient(socket);
      socket.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => reject(new RefusedError(res.statusCode ?? 0, body)));
      });
      socket.once('error', reject);
      client.waitForEvent('welcome', () => true, 5000).then(() => resolve(client), reject);
    });
  }

  /** Sends a raw string (or anything JSON-serialisable). */
  sendRaw(data: string | Buffer): void {
    this.socket.send(data);
  }

  send<T extends RequestType>(
    type: T,
    data: RequestData<T>,
    id?: string | number,
  ): Promise<AnyResponse> {
    const reqId = id ?? this.#next++;
    const p = new Promise<AnyResponse>((resolve, reject) => {
      this.#pending.set(reqId, resolve);
      setTimeout(() => reject(new Error(`no response to ${type} #${reqId}`)), 10_000).unref();
    });
    this.socket.send(JSON.stringify({ id: reqId, type, data }));
    return p;
  }

  /** Sends any request (even an invalid one) and waits for the response with its id. */
  sendLoose(message: Record<string, unknown> & { id: string | number }): Promise<AnyResponse> {
    const p = new Promise<AnyResponse>((resolve, reject) => {
      this.#pending.set(message.id, resolve);
      setTimeout(() => reject(new Error(`no response to #${message.id}`)), 10_000).unref();
    });
    this.socket.send(JSON.stringify(message));
    return p;
  }

  async request<T extends RequestType>(type: T, data: RequestData<T>): Promise<RequestResult<T>> {
    const r = await this.send(type, data);
    if (!r.ok) throw new RequestError(r.error.code, r.error.message);
    return r.result as RequestResult<T>;
  }

  /** The error code of a request expected to fail. */
  async errorOf<T extends RequestType>(type: T, data: RequestData<T>): Promise<string> {
    const r = await this.send(type, data);
    if (r.ok) throw new Error(`${type} succeeded: ${JSON.stringify(r.result)}`);
    return r.error.code;
  }

  /** Next response that carried no usable id (unreadable requests). */
  async nextUntagged(timeoutMs = 3000): Promise<AnyResponse> {
    await this.#until(() => this.#untagged.length > 0, timeoutMs, 'untagged response');
    return this.#untagged.shift() as AnyResponse;
  }

  async waitForEvent<E extends EventName>(
    event: E,
    predicate: (data: EventData<E>) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<EventData<E>> {
    let found: EventData<E> | undefined;
    await this.#until(
      () => {
        const e = this.events.find((x) => x.event === event && predicate(x.data as EventData<E>));
        found = e?.data as EventData<E> | undefined;
        return e !== undefined;
      },
      timeoutMs,
      `event ${event}`,
    );
    return found as EventData<E>;
  }

  eventsOf<E extends EventName>(event: E): EventData<E>[] {
    return this.events.filter((e) => e.event === event).map((e) => e.data as EventData<E>);
  }

  /**
   * Presence as a moderator's pushes build it: `presence.updated` replaces it,
   * each `presence.changed` is applied to it, from `base` (its join snapshot;
   * nobody for a socket that was there before the others came).
   */
  presence(base: Presence = NOBODY): Presence {
    let presence = base;
    for (const e of this.events) {
      if (e.event === 'presence.updated') presence = e.data as Presence;
      if (e.event === 'presence.changed') {
        presence =
          applyPresenceChange(presence, e.data as EventData<'presence.changed'>) ?? presence;
      }
    }
    return presence;
  }

  async waitForPresence(
    predicate: (presence: Presence) => boolean,
    timeoutMs = 5000,
    base: Presence = NOBODY,
  ): Promise<Presence> {
    await this.#until(() => predicate(this.presence(base)), timeoutMs, 'presence');
    return this.presence(base);
  }

  #until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = () => {
        if (check()) {
          clearTimeout(timer);
          this.#waiters.delete(waiter);
          resolve();
        }
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    this.socket.close();
    await this.closed;
  }
}

export class RequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export class RefusedError extends Error {
  readonly code: string | undefined;
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`refused with HTTP ${status}: ${body}`);
    try {
      this.code = (JSON.parse(body) as { error?: { code?: string } }).error?.code;
    } catch {
      this.code = undefined;
    }
  }
}

/** The error a connection attempt was refused with. */
export async function refusal(p: Promise<TestClient>): Promise<RefusedError> {
  try {
    const c = await p;
    await c.close();
  } catch (err) {
    if (err instanceof RefusedError) return err;
    throw err;
  }
  throw new Error('connection was accepted');
}

export const key = () => randomUUID().replace(/-/g, '');

/** An instance's resumes counted on GET /metrics (amphi_media_resumes_total), by outcome. */
export async function resumeOutcomes(
  base: string,
  metricsToken: string,
): Promise<Record<string, number>> {
  const res = await fetch(`${base}/metrics`, {
    headers: { authorization: `Bearer ${metricsToken}` },
  });
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`);
  const out: Record<string, number> = {};
  for (const line of (await res.text()).split('\n')) {
    const m = /^amphi_media_resumes_total\{outcome="(\w+)"\} (\d+)$/.exec(line);
    if (m) out[m[1] as string] = Number(m[2]);
  }
  return out;
}

/**
 * A classroom asking a question every `everyMs` while `running()`, each one
 * retried under the same idempotency key until acknowledged, as the viewer's
 * outbox does: what was acknowledged (key → question id) is what must be in
 * PostgreSQL, once.
 */
export function askWhile(client: SignalingClient, running: () => boolean, everyMs: number) {
  const acked = new Map<string, string>();
  let failures = 0;
  const done = (async () => {
    let n = 0;
    while (running()) {
      const idempotencyKey = key();
      n += 1;
      for (;;) {
        try {
          const { question } = await client.request('question.submit', {
            idempotencyKey,
            text: `Question ${n} : combien d'années d'études faut-il pour ce métier ?`,
            category: 'training_path',
          });
          acked.set(idempotencyKey, question.id);
          break;
        } catch {
          failures += 1;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return { acked, done, failures: () => failures };
}
