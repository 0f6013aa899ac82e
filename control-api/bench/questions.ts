// Question-queue benchmark: N classroom sockets submit questions while one
// moderator socket receives them; measures submit -> moderator latency and
// throughput, and checks that every acknowledged question is in PostgreSQL.
//
//   npm run bench:questions                     1,000 classrooms, 5 questions each
//   npm run bench:questions -- --quick          1,000 classrooms, under a minute
//   npm run bench:questions -- --clients 200 --per-client 10 --rate 800
//
// The control-api runs as its own process (as in production), against an
// embedded PostgreSQL with default durability (fsync on).

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
    clients: { type: 'string' },
    'per-client': { type: 'string' },
    /** Offered load, questions per second across all classrooms. */
    rate: { type: 'string' },
  },
});
const CLIENTS = Number(args.clients ?? 1000);
const PER_CLIENT = Number(args['per-client'] ?? (args.quick ? 3 : 5));
const RATE = Number(args.rate ?? 500);

const log = (line: string) => process.stderr.write(`${line}\n`);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)] as number;
}

async function waitHealthy(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`control-api exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
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

class Socket {
  readonly ws: WebSocket;
  readonly #pending = new Map<
    number,
    (msg: { ok: boolean; result?: unknown; error?: unknown }) => void
  >();
  #next = 1;
  onEvent: (event: string, data: unknown) => void = () => {};

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (raw) => {
      const msg = JSON.parse(raw.toString());
      if (msg.event) this.onEvent(msg.event, msg.data);
      else this.#pending.get(msg.id)?.(msg);
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

  request(
    type: string,
    data: unknown,
  ): Promise<{ ok: boolean; result?: unknown; error?: unknown }> {
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#pending.set(id, (msg) => {
        this.#pending.delete(id);
        resolve(msg);
      });
      this.ws.send(JSON.stringify({ id, type, data }));
    });
  }
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
  const server = spawn(process.execPath, ['--import', 'tsx', 'control-api/src/main.ts'], {
    cwd: root,
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
  });
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

    // --- connect
    const moderator = await Socket.open(moderatorLink.wsUrl);
    const sentAt = new Map<string, number>();
    const latencies: number[] = [];
    moderator.onEvent = (event, data) => {
      if (event !== 'question.created') return;
      const tag = /#(\d+)$/.exec((data as { text: string }).text)?.[1];
      const t0 = tag ? sentAt.get(tag) : undefined;
      if (t0 !== undefined) latencies.push(performance.now() - t0);
    };
    const connectStart = performance.now();
    const classrooms: Socket[] = new Array(CLIENTS);
    await pool([...Array(CLIENTS).keys()], 100, async (i) => {
      classrooms[i] = await Socket.open(wsUrls[i] as string);
    });
    const connectMs = performance.now() - connectStart;
    log(`connected ${CLIENTS} classroom sockets in ${(connectMs / 1000).toFixed(1)} s`);

    // --- steady load: questions at RATE per second, spread over the classrooms
    const total = CLIENTS * PER_CLIENT;
    const acked: string[] = [];
    const failures: Record<string, number> = {};
    const categories = ['job_reality', 'training_path', 'human_side', 'other'];
    const inflight: Promise<void>[] = [];
    const runStart = performance.now();
    for (let n = 0; n < total; n++) {
      const due = runStart + (n * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const socket = classrooms[n % CLIENTS] as Socket;
      const tag = String(n);
      sentAt.set(tag, performance.now());
      inflight.push(
        socket
          .request('question.submit', {
            idempotencyKey: `bench-${n}-${randomBytes(4).toString('hex')}`,
            text: `Question de la classe ${n % CLIENTS} sur le métier #${tag}`,
            category: categories[n % categories.length],
          })
          .then((msg) => {
            if (msg.ok) acked.push((msg.result as { question: { id: string } }).question.id);
            else {
              const code = (msg.error as { code: string }).code;
              failures[code] = (failures[code] ?? 0) + 1;
            }
          }),
      );
    }
    await Promise.all(inflight);
    const deadline = performance.now() + 10_000;
    while (latencies.length < acked.length && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const runMs = performance.now() - runStart;

    // --- every acknowledged question must be in PostgreSQL
    const sql = postgres(pg.url, { max: 1 });
    const [{ n: stored }] =
      (await sql`select count(*)::int as n from questions where id = any(${acked}::uuid[])`) as unknown as [
        { n: number },
      ];
    await sql.end();

    for (const s of classrooms) s.ws.close();
    moderator.ws.close();

    const sorted = [...latencies].sort((x, y) => x - y);
    const result = {
      benchmark: 'questions',
      date: new Date().toISOString(),
      host: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? 'unknown',
        node: process.version,
      },
      clients: CLIENTS,
      perClient: PER_CLIENT,
      offeredRatePerSecond: RATE,
      submitted: total,
      acknowledged: acked.length,
      failures,
      receivedByModerator: latencies.length,
      storedInPostgres: stored,
      connectSeconds: Number((connectMs / 1000).toFixed(2)),
      durationSeconds: Number((runMs / 1000).toFixed(2)),
      perSecond: Number((latencies.length / (runMs / 1000)).toFixed(1)),
      latencyMs: {
        p50: Number(percentile(sorted, 50).toFixed(2)),
        p90: Number(percentile(sorted, 90).toFixed(2)),
        p99: Number(percentile(sorted, 99).toFixed(2)),
        max: Number((sorted.at(-1) ?? Number.NaN).toFixed(2)),
      },
    };
    const outDir = path.join(root, 'bench/results');
    await mkdir(outDir, { recursive: true });
    const file = path.join(outDir, `questions-${result.date.replace(/[:.]/g, '-')}.json`);
    await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
    log(
      `submitted=${total} acked=${acked.length} moderator=${latencies.length} stored=${stored} failures=${JSON.stringify(failures)}`,
    );
    log(
      `latency submit->moderator ms: p50=${result.latencyMs.p50} p90=${result.latencyMs.p90} p99=${result.latencyMs.p99} max=${result.latencyMs.max}`,
    );
    log(`results: ${path.relative(root, file)}`);
    if (stored !== acked.length)
      log(`ERROR: ${acked.length - stored} acknowledged questions missing from PostgreSQL`);
    process.stdout.write(
      `questions clients=${CLIENTS} p99_ms=${result.latencyMs.p99} per_s=${result.perSecond}\n`,
    );
    if (stored !== acked.length || acked.length !== total) process.exitCode = 1;
  } finally {
    await cleanup();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
