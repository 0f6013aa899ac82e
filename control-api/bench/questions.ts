// Question-queue benchmark against a control-api in its own process (as in
// production), on an embedded PostgreSQL with default durability (fsync on).
//
//   npm run bench:questions                     steady: 1,000 classrooms, 5 questions each;
//                                               submit -> moderator latency, all stored
//   npm run bench:questions -- --quick          the same, under a minute
//   npm run bench:questions -- --clients 200 --per-client 10 --rate 800
//   npm run bench:questions -- --upvotes        storm: every classroom upvotes one approved
//                                               question within 2 s while questions keep flowing
//   npm run bench:questions -- --join-storm     1,000 classrooms connect and join within 10 s
//   ... --server-root <checkout>                run another checkout's server (before/after)
//   ... --cpu-prof                              profile the server (bench/results/profiles/), then
//                                               node --import tsx control-api/bench/cpuprofile.ts \
//                                                 <profile folder> --window <result.json>
//
// Each mode ends with one line on stdout (`questions ...`, `upvotes ...`, `join-storm ...`) and
// writes its figures to bench/results/.

import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import WebSocket from 'ws';
import { startEmbeddedPostgres } from '../src/db/embeddedPostgres.ts';
import { getFreePort } from '../src/ports.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    upvotes: { type: 'boolean', default: false },
    'join-storm': { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    clients: { type: 'string' },
    'per-client': { type: 'string' },
    /** Offered load, questions per second across all classrooms. */
    rate: { type: 'string' },
    /** Storm modes: how long the upvotes (2 s) or the joins (10 s) are spread over. */
    'spread-ms': { type: 'string' },
    /** Another checkout's root to run the server from (before/after comparisons). */
    'server-root': { type: 'string' },
  },
});
const MODE = args.upvotes ? 'upvotes' : args['join-storm'] ? 'join-storm' : 'questions';
const CLIENTS = Number(args.clients ?? 1000);
const PER_CLIENT = Number(args['per-client'] ?? (args.quick ? 3 : 5));
/** Steady mode: the load itself; upvote storm: the questions that keep flowing meanwhile. */
const RATE = Number(args.rate ?? (MODE === 'upvotes' ? 100 : 500));
const SPREAD_MS = Number(args['spread-ms'] ?? (MODE === 'join-storm' ? 10_000 : 2_000));

const log = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** CLOCK_MONOTONIC in µs: the clock of the server's .cpuprofile timestamps. */
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)] as number;
}

function summary(values: number[]) {
  const sorted = [...values].sort((x, y) => x - y);
  const r = (v: number) => Number(v.toFixed(2));
  return {
    n: sorted.length,
    p50: r(percentile(sorted, 50)),
    p90: r(percentile(sorted, 90)),
    p95: r(percentile(sorted, 95)),
    p99: r(percentile(sorted, 99)),
    max: r(sorted.at(-1) ?? Number.NaN),
  };
}

async function waitHealthy(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`control-api exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {}
    await sleep(100);
  }
  throw new Error('control-api did not become healthy');
}

async function pool<T>(items: T[], concurrency: number, fn: (item: T, i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i] as T, i);
      }
    }),
  );
}

type Reply = { ok: boolean; result?: unknown; error?: unknown };
/** Past this a request counts as failed: the storm mode must end even when the server stalls. */
const REQUEST_TIMEOUT_MS = 90_000;

class Socket {
  readonly ws: WebSocket;
  readonly #pending = new Map<number, (msg: Reply) => void>();
  #next = 1;
  onEvent: (event: string, data: unknown) => void = () => {};

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (raw) => {
      const msg = JSON.parse(raw.toString());
      if (msg.event) this.onEvent(msg.event, msg.data);
      else this.#pending.get(msg.id)?.(msg);
    });
    // A socket the server cut (too slow, silent) answers nothing more: its requests fail.
    ws.on('close', (code) => {
      for (const answer of [...this.#pending.values()]) {
        answer({ ok: false, error: { code: `CLOSED_${code}` } });
      }
    });
  }

  static open(url: string): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const s = new Socket(ws);
      s.onEvent = (event) => {
        if (event === 'welcome') {
          s.onEvent = () => {};
          resolve(s);
        }
      };
      ws.once('error', reject);
      ws.once('unexpected-response', (_r, res) =>
        reject(new Error(`refused: HTTP ${res.statusCode}`)),
      );
    });
  }

  /** The answer, or a failure after REQUEST_TIMEOUT_MS or when the socket closes. */
  request(type: string, data: unknown): Promise<Reply> {
    const id = this.#next++;
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => this.#pending.get(id)?.({ ok: false, error: { code: 'NO_ANSWER' } }),
        REQUEST_TIMEOUT_MS,
      );
      this.#pending.set(id, (msg) => {
        clearTimeout(timer);
        this.#pending.delete(id);
        resolve(msg);
      });
      if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ id, type, data }));
      else this.#pending.get(id)?.({ ok: false, error: { code: 'CLOSED' } });
    });
  }
}

const CATEGORIES = ['job_reality', 'training_path', 'human_side', 'other'];

interface Env {
  base: string;
  pgUrl: string;
  eventId: string;
  wsUrls: string[];
  moderatorUrl: string;
  rest: <T>(method: string, p: string, body?: unknown) => Promise<T>;
}

async function main(): Promise<void> {
  const started = Date.now();
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'amphi-bench-'));
  const pg = await startEmbeddedPostgres({
    dir: path.join(tmp, 'pg'),
    ephemeral: true,
    postgresFlags: ['-c', 'max_connections=200'],
  });
  const port = await getFreePort();
  const base = `http://127.0.0.1:${port}`;
  const operator = randomBytes(24).toString('base64url');
  const date = new Date().toISOString();
  const stamp = date.replace(/[:.]/g, '-');
  const outDir = path.join(root, 'bench/results');
  // One folder per run: each thread of the server (tsx's loader too) writes its own profile.
  const profileDir = path.join(outDir, 'profiles', `${MODE}-${stamp}`);
  if (args['cpu-prof']) await mkdir(profileDir, { recursive: true });
  const nodeFlags = args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const server = spawn(
    process.execPath,
    [...nodeFlags, '--import', 'tsx', 'control-api/src/main.ts'],
    {
      cwd: args['server-root'] ? path.resolve(args['server-root']) : root,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        ...process.env,
        HOST: '127.0.0.1',
        PORT: String(port),
        PUBLIC_URL: base,
        DATABASE_URL: pg.url,
        DATABASE_POOL_SIZE: '20',
        OPERATOR_TOKEN: operator,
        JOIN_TOKEN_SECRET: randomBytes(32).toString('base64url'),
        SEED_DEMO: 'false',
        LOG_LEVEL: 'warn',
        // The benchmark measures the queue, not the anti-abuse limits.
        QUESTION_BURST: '100000',
        QUESTION_RATE_PER_MINUTE: '100000',
        CONNECT_RATE_PER_IP_PER_SECOND: '100000',
        CONNECT_BURST_PER_IP: '100000',
        // Its set-up makes thousands of REST calls from this one address.
        API_RATE_PER_MINUTE: '1000000',
      },
    },
  );
  const cleanup = async () => {
    server.kill('SIGTERM');
    await new Promise((r) => (server.exitCode === null ? server.once('exit', r) : r(null)));
    await pg.stop();
    await rm(tmp, { recursive: true, force: true });
  };
  try {
    await waitHealthy(base, server);
    const rest = async <T>(method: string, p: string, body?: unknown): Promise<T> => {
      const res = await fetch(`${base}${p}`, {
        method,
        headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' },
        body: body === undefined ? null : JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`${method} ${p}: HTTP ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    };

    // --- set up one event, N classrooms in schools across regions, join links
    const speaker = await rest<{ id: string }>('POST', '/api/v1/speakers', {
      name: 'Bench',
      job: 'Pilote',
      organisation: 'Air',
    });
    const event = await rest<{ id: string }>('POST', '/api/v1/events', {
      title: 'Bench',
      format: 'solo_45',
      startsAt: new Date().toISOString(),
      speakerIds: [speaker.id],
    });
    await rest('POST', `/api/v1/events/${event.id}/status`, { status: 'live' });
    const regions = [
      'Île-de-France',
      'Occitanie',
      'Guadeloupe',
      'Martinique',
      'La Réunion',
      'Bretagne',
      'Grand Est',
      'Mayotte',
    ];
    const schools: string[] = [];
    for (const region of regions) {
      schools.push(
        (
          await rest<{ id: string }>('POST', '/api/v1/schools', {
            name: `Collège ${region}`,
            town: region,
            academie: region,
            region,
          })
        ).id,
      );
    }
    const classroomIds: string[] = new Array(CLIENTS);
    await pool([...Array(CLIENTS).keys()], 32, async (i) => {
      classroomIds[i] = (
        await rest<{ id: string }>('POST', '/api/v1/classrooms', {
          schoolId: schools[i % schools.length],
          label: `Classe ${i}`,
          level: '4e',
        })
      ).id;
    });
    for (let i = 0; i < CLIENTS; i += 1000) {
      await rest('POST', `/api/v1/events/${event.id}/enrolments/classrooms`, {
        classroomIds: classroomIds.slice(i, i + 1000),
      });
    }
    const wsUrls: string[] = new Array(CLIENTS);
    await pool([...Array(CLIENTS).keys()], 32, async (i) => {
      wsUrls[i] = (
        await rest<{ wsUrl: string }>('POST', `/api/v1/events/${event.id}/join-links`, {
          role: 'classroom',
          classroomId: classroomIds[i],
        })
      ).wsUrl;
    });
    const moderatorLink = await rest<{ wsUrl: string }>(
      'POST',
      `/api/v1/events/${event.id}/join-links`,
      { role: 'moderator', name: 'Bench' },
    );
    log(`setup: ${CLIENTS} classrooms enrolled in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const env: Env = {
      base,
      pgUrl: pg.url,
      eventId: event.id,
      wsUrls,
      moderatorUrl: moderatorLink.wsUrl,
      rest,
    };
    const run = MODE === 'upvotes' ? upvoteStorm : MODE === 'join-storm' ? joinStorm : steady;
    const { result, line, failed } = await run(env);
    const full = {
      benchmark: MODE,
      date,
      host: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? 'unknown',
        node: process.version,
      },
      clients: CLIENTS,
      ...result,
      ...(args['cpu-prof'] ? { cpuProfiles: path.relative(root, profileDir) } : {}),
    };
    await mkdir(outDir, { recursive: true });
    const file = path.join(outDir, `${MODE}-${stamp}.json`);
    await writeFile(file, `${JSON.stringify(full, null, 2)}\n`);
    log(`results: ${path.relative(root, file)}`);
    process.stdout.write(`${line}\n`);
    if (failed) process.exitCode = 1;
  } finally {
    await cleanup();
  }
}

type Outcome = { result: Record<string, unknown>; line: string; failed: boolean };

/** Every acknowledged question must be in PostgreSQL. */
async function storedQuestions(pgUrl: string, ids: string[]): Promise<number> {
  const sql = postgres(pgUrl, { max: 1 });
  const [{ n }] =
    (await sql`select count(*)::int as n from questions where id = any(${ids}::uuid[])`) as unknown as [
      { n: number },
    ];
  await sql.end();
  return n;
}

async function connectClassrooms(env: Env, join: boolean): Promise<Socket[]> {
  const connectStart = performance.now();
  const classrooms: Socket[] = new Array(CLIENTS);
  await pool([...Array(CLIENTS).keys()], 100, async (i) => {
    const s = await Socket.open(env.wsUrls[i] as string);
    if (join) await s.request('join', {});
    classrooms[i] = s;
  });
  log(
    `connected ${CLIENTS} classroom sockets in ${((performance.now() - connectStart) / 1000).toFixed(1)} s`,
  );
  return classrooms;
}

/** Questions at RATE per second for `durationMs` (or `total` of them), spread over the classrooms. */
async function submitQuestions(
  classrooms: Socket[],
  opts: { total: number; tagFrom?: number; onSent?: (tag: string) => void },
) {
  const acked: string[] = [];
  const ackMs: number[] = [];
  const failures: Record<string, number> = {};
  const inflight: Promise<void>[] = [];
  const runStart = performance.now();
  for (let n = 0; n < opts.total; n++) {
    const due = runStart + (n * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const socket = classrooms[n % classrooms.length] as Socket;
    const tag = String((opts.tagFrom ?? 0) + n);
    opts.onSent?.(tag);
    const t0 = performance.now();
    inflight.push(
      socket
        .request('question.submit', {
          idempotencyKey: `bench-${tag}-${randomBytes(4).toString('hex')}`,
          text: `Question de la classe ${n % classrooms.length} sur le métier #${tag}`,
          category: CATEGORIES[n % CATEGORIES.length],
        })
        .then((msg) => {
          ackMs.push(performance.now() - t0);
          if (msg.ok) acked.push((msg.result as { question: { id: string } }).question.id);
          else {
            const code = (msg.error as { code: string }).code;
            failures[code] = (failures[code] ?? 0) + 1;
          }
        }),
    );
  }
  await Promise.all(inflight);
  return { acked, ackMs, failures };
}

/** Steady question load: submit -> moderator latency and throughput. */
async function steady(env: Env): Promise<Outcome> {
  const moderator = await Socket.open(env.moderatorUrl);
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  moderator.onEvent = (event, data) => {
    if (event !== 'question.created') return;
    const tag = /#(\d+)$/.exec((data as { text: string }).text)?.[1];
    const t0 = tag ? sentAt.get(tag) : undefined;
    if (t0 !== undefined) latencies.push(performance.now() - t0);
  };
  const classrooms = await connectClassrooms(env, false);
  const total = CLIENTS * PER_CLIENT;
  const runStart = performance.now();
  const { acked, failures } = await submitQuestions(classrooms, {
    total,
    onSent: (tag) => sentAt.set(tag, performance.now()),
  });
  const deadline = performance.now() + 10_000;
  while (latencies.length < acked.length && performance.now() < deadline) await sleep(20);
  const runMs = performance.now() - runStart;
  const stored = await storedQuestions(env.pgUrl, acked);
  for (const s of classrooms) s.ws.close();
  moderator.ws.close();
  const lat = summary(latencies);
  const perSecond = Number((latencies.length / (runMs / 1000)).toFixed(1));
  log(
    `submitted=${total} acked=${acked.length} moderator=${latencies.length} stored=${stored} failures=${JSON.stringify(failures)}`,
  );
  log(`latency submit->moderator ms: p50=${lat.p50} p90=${lat.p90} p99=${lat.p99} max=${lat.max}`);
  if (stored !== acked.length)
    log(`ERROR: ${acked.length - stored} acknowledged questions missing from PostgreSQL`);
  return {
    result: {
      perClient: PER_CLIENT,
      offeredRatePerSecond: RATE,
      submitted: total,
      acknowledged: acked.length,
      failures,
      receivedByModerator: latencies.length,
      storedInPostgres: stored,
      durationSeconds: Number((runMs / 1000).toFixed(2)),
      perSecond,
      latencyMs: { p50: lat.p50, p90: lat.p90, p99: lat.p99, max: lat.max },
    },
    line: `questions clients=${CLIENTS} p99_ms=${lat.p99} per_s=${perSecond}`,
    failed: stored !== acked.length || acked.length !== total,
  };
}

/**
 * Every classroom but the author upvotes one approved question within SPREAD_MS while
 * questions keep flowing at RATE; each classroom follows the count from what it is pushed
 * (`question.updated`, and `questions.upvoted` where the server sends counts alone).
 */
async function upvoteStorm(env: Env): Promise<Outcome> {
  const moderator = await Socket.open(env.moderatorUrl);
  await moderator.request('join', {});
  const classrooms = await connectClassrooms(env, true);
  const author = classrooms[0] as Socket;
  const asked = await author.request('question.submit', {
    idempotencyKey: `bench-storm-${randomBytes(4).toString('hex')}`,
    text: 'Quelle est la journée type d’une pilote de ligne, du réveil à l’atterrissage ?',
    category: 'job_reality',
  });
  if (!asked.ok) throw new Error(`submit failed: ${JSON.stringify(asked.error)}`);
  const qid = (asked.result as { question: { id: string } }).question.id;

  // What each classroom shows of the question: its count, and when that last changed.
  const seen = new Array<number>(CLIENTS).fill(-1);
  const changedAt = new Array<number>(CLIENTS).fill(0);
  const see = (i: number, upvotes: number) => {
    if (upvotes > (seen[i] as number)) {
      seen[i] = upvotes;
      changedAt[i] = performance.now();
    }
  };
  classrooms.forEach((s, i) => {
    s.onEvent = (event, data) => {
      if (event === 'question.updated' || event === 'question.created') {
        const q = data as { id: string; upvotes: number };
        if (q.id === qid) see(i, q.upvotes);
      } else if (event === 'questions.upvoted') {
        for (const c of (data as { upvotes: { questionId: string; upvotes: number }[] }).upvotes) {
          if (c.questionId === qid) see(i, c.upvotes);
        }
      }
    };
  });
  const approved = await moderator.request('question.moderate', {
    action: 'approve',
    questionId: qid,
  });
  if (!approved.ok) throw new Error(`approve failed: ${JSON.stringify(approved.error)}`);
  const everyoneSees = performance.now() + 30_000;
  while (seen.some((n) => n < 0) && performance.now() < everyoneSees) await sleep(20);
  log(`question approved; seen by ${seen.filter((n) => n >= 0).length} classrooms`);

  // --- the storm: upvotes at random moments within SPREAD_MS, questions flowing meanwhile
  const upvoteAckMs: number[] = [];
  const upvoteFailures: Record<string, number> = {};
  let upvoted = 0;
  let lastSentAt = 0;
  const stormStart = performance.now();
  const stormStartUs = monotonicUs();
  const votes = classrooms.slice(1).map(async (s, k) => {
    await sleep(Math.random() * SPREAD_MS);
    const t0 = performance.now();
    lastSentAt = Math.max(lastSentAt, t0);
    const reply = await s.request('question.upvote', { questionId: qid });
    upvoteAckMs.push(performance.now() - t0);
    if (reply.ok) {
      upvoted++;
      see(k + 1, (reply.result as { question: { upvotes: number } }).question.upvotes);
    } else {
      const code = (reply.error as { code: string }).code;
      upvoteFailures[code] = (upvoteFailures[code] ?? 0) + 1;
    }
  });
  const flow = submitQuestions(classrooms, {
    total: Math.round((RATE * (SPREAD_MS + 1000)) / 1000),
    tagFrom: 1,
  });
  await Promise.all(votes);
  const lastAckAt = performance.now();
  const questions = await flow;

  // --- convergence: every classroom shows the stored count
  const sql = postgres(env.pgUrl, { max: 1 });
  const [row] = (await sql`select q.upvotes,
      (select count(*)::int from question_upvotes u where u.question_id = q.id) as rows
      from questions q where q.id = ${qid}`) as unknown as [{ upvotes: number; rows: number }];
  await sql.end();
  const final = row.rows;
  const deadline = performance.now() + 120_000;
  while (seen.some((n) => n < final) && performance.now() < deadline) await sleep(20);
  const stormEndUs = monotonicUs();
  const behind = seen.filter((n) => n < final).length;
  const convergedAt = Math.max(...changedAt);
  const convergeMs = behind > 0 ? Number.NaN : Math.max(0, convergedAt - lastSentAt);
  const stored = await storedQuestions(env.pgUrl, questions.acked);
  const cut = classrooms.filter((s) => s.ws.readyState !== WebSocket.OPEN).length;
  for (const s of classrooms) s.ws.close();
  moderator.ws.close();

  const ack = summary(upvoteAckMs);
  const qAck = summary(questions.ackMs);
  log(
    `upvotes: sent=${CLIENTS - 1} acked_ok=${upvoted} failures=${JSON.stringify(upvoteFailures)} stored_rows=${row.rows} upvotes_column=${row.upvotes}`,
  );
  log(`upvote ack ms: p50=${ack.p50} p95=${ack.p95} p99=${ack.p99} max=${ack.max}`);
  if (cut > 0) log(`${cut} classroom sockets were closed by the server during the storm`);
  log(
    `convergence: ${behind} classrooms behind; last one saw ${final} ${convergeMs.toFixed(0)} ms after the last vote was sent (last ack +${(lastAckAt - lastSentAt).toFixed(0)} ms)`,
  );
  log(
    `questions during the storm: ${questions.acked.length} acked, ${stored} stored, ack ms p50=${qAck.p50} p95=${qAck.p95} p99=${qAck.p99} max=${qAck.max} failures=${JSON.stringify(questions.failures)}`,
  );
  const failed =
    upvoted !== CLIENTS - 1 ||
    row.rows !== upvoted ||
    row.upvotes !== row.rows ||
    behind > 0 ||
    stored !== questions.acked.length;
  return {
    result: {
      spreadMs: SPREAD_MS,
      questionRatePerSecond: RATE,
      upvotes: {
        sent: CLIENTS - 1,
        acknowledged: upvoted,
        failures: upvoteFailures,
        storedRows: row.rows,
        upvotesColumn: row.upvotes,
        ackMs: ack,
      },
      convergence: { final, classroomsBehind: behind, ms: Number(convergeMs.toFixed(0)) },
      socketsClosedByServer: cut,
      questions: {
        submitted:
          questions.acked.length + Object.values(questions.failures).reduce((a, b) => a + b, 0),
        acknowledged: questions.acked.length,
        stored,
        ackMs: qAck,
      },
      /** The storm's window on the server's profile clock (CLOCK_MONOTONIC, µs). */
      stormWindowUs: { from: stormStartUs, to: stormEndUs },
      stormSeconds: Number(((performance.now() - stormStart) / 1000).toFixed(2)),
    },
    line: `upvotes clients=${CLIENTS} ack_p99_ms=${ack.p99} converge_ms=${convergeMs.toFixed(0)} question_ack_p99_ms=${qAck.p99} stored=${row.rows}`,
    failed,
  };
}

/** CLIENTS classrooms connect and join within SPREAD_MS, a moderator watching presence. */
async function joinStorm(env: Env): Promise<Outcome> {
  const moderator = await Socket.open(env.moderatorUrl);
  await moderator.request('join', {});
  let presenceBytes = 0;
  let presencePushes = 0;
  moderator.ws.on('message', (raw) => {
    const text = raw.toString();
    if (text.startsWith('{"event":"presence.')) {
      presenceBytes += text.length;
      presencePushes++;
    }
  });
  const joinMs: number[] = [];
  const failures: Record<string, number> = {};
  const sockets: Socket[] = [];
  const stormStartUs = monotonicUs();
  const start = performance.now();
  await Promise.all(
    env.wsUrls.map(async (url, i) => {
      await sleep((i * SPREAD_MS) / CLIENTS);
      const t0 = performance.now();
      try {
        const s = await Socket.open(url);
        sockets.push(s);
        const reply = await s.request('join', {});
        if (!reply.ok) throw new Error((reply.error as { code: string }).code);
        joinMs.push(performance.now() - t0);
      } catch (err) {
        const code = (err as Error).message;
        failures[code] = (failures[code] ?? 0) + 1;
      }
    }),
  );
  const stormMs = performance.now() - start;
  const stormEndUs = monotonicUs();
  for (const s of sockets) s.ws.close();
  moderator.ws.close();
  const lat = summary(joinMs);
  const failed = Object.values(failures).reduce((a, b) => a + b, 0);
  log(
    `join storm: ${joinMs.length} joined in ${(stormMs / 1000).toFixed(1)} s, failures=${JSON.stringify(failures)}`,
  );
  log(`connect + join ms: p50=${lat.p50} p95=${lat.p95} p99=${lat.p99} max=${lat.max}`);
  log(`moderator: ${presencePushes} presence pushes, ${(presenceBytes / 1024).toFixed(0)} KiB`);
  return {
    result: {
      spreadMs: SPREAD_MS,
      joined: joinMs.length,
      failures,
      joinMs: lat,
      moderatorPresence: { pushes: presencePushes, bytes: presenceBytes },
      stormWindowUs: { from: stormStartUs, to: stormEndUs },
    },
    line: `join-storm clients=${CLIENTS} p50_ms=${lat.p50} p95_ms=${lat.p95} p99_ms=${lat.p99} failures=${failed}`,
    failed: failed > 0,
  };
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
