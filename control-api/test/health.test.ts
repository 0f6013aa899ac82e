import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedPostgresHandle, startEmbeddedPostgres } from '../src/db/embeddedPostgres.ts';
import { getFreePort } from '../src/ports.ts';
import type { ControlPlane } from '../src/server.ts';
import { startInstance } from './support/harness.ts';

// /healthz is what a load balancer asks before sending people to an instance:
// it must say so when the database or the bus is gone. This file owns its
// PostgreSQL and its Redis, to kill them.

type Health = {
  ok: boolean;
  down?: string[];
  checks: Record<string, { ok: boolean; kind?: string; error?: string }>;
};

let tmp: string;
let pg: EmbeddedPostgresHandle;
let redisPort: number;
let redis: ChildProcess | undefined;
let plane: ControlPlane;

function startRedis(): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 10_000;
    const probe = () => {
      const s = net.connect(redisPort, '127.0.0.1', () => {
        s.end();
        resolve(child);
      });
      s.on('error', () =>
        Date.now() > deadline ? reject(new Error('redis did not start')) : setTimeout(probe, 50),
      );
    };
    probe();
  });
}

async function stopRedis(): Promise<void> {
  const child = redis;
  redis = undefined;
  if (!child || child.exitCode !== null) return;
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
}

async function health(): Promise<{ status: number; body: Health }> {
  const res = await fetch(`${plane.url}/healthz`);
  return { status: res.status, body: (await res.json()) as Health };
}

/** Polls /healthz until `done` holds (a probe every 200 ms), or fails with the last answer. */
async function healthUntil(
  done: (h: { status: number; body: Health }) => boolean,
  timeoutMs: number,
): Promise<{ status: number; body: Health; ms: number }> {
  const started = Date.now();
  let last = await health();
  while (!done(last)) {
    if (Date.now() - started > timeoutMs)
      throw new Error(`after ${timeoutMs} ms: ${last.status} ${JSON.stringify(last.body)}`);
    await new Promise((r) => setTimeout(r, 200));
    last = await health();
  }
  return { ...last, ms: Date.now() - started };
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'amphi-health-'));
  pg = await startEmbeddedPostgres({ dir: path.join(tmp, 'pg'), ephemeral: true });
  redisPort = await getFreePort();
  redis = await startRedis();
  plane = await startInstance({
    databaseUrl: pg.url,
    redis: { namespace: `t-${randomUUID()}`, url: `redis://127.0.0.1:${redisPort}` },
    more: { databasePoolSize: 3 },
  });
}, 60_000);

afterAll(async () => {
  await plane?.close();
  await stopRedis();
  // The postmaster was killed by the last test; its children follow it.
  try {
    process.kill(pg.pid, 'SIGKILL');
  } catch {}
  await rm(tmp, { recursive: true, force: true });
});

describe('/healthz', () => {
  it('answers 200 with each part when the database and Redis answer', async () => {
    const { status, body } = await health();
    expect(status).toBe(200);
    expect(body.ok).toBe(true);
    expect(body.checks.database?.ok).toBe(true);
    expect(body.checks.bus).toMatchObject({ ok: true, kind: 'redis' });
  });

  it('answers 503 naming the bus while Redis is stopped, 200 again once it is back', async () => {
    await stopRedis();
    const down = await healthUntil((h) => h.status !== 200, 5_000);
    expect(down.status).toBe(503);
    expect(down.body.down).toEqual(['bus']);
    expect(down.body.checks.database?.ok).toBe(true);
    console.log(`Redis stopped: /healthz 503 (bus) after ${down.ms} ms`);

    redis = await startRedis();
    const back = await healthUntil((h) => h.status === 200, 15_000);
    console.log(`Redis back: /healthz 200 after ${back.ms} ms`);
  }, 30_000);

  it("answers 503 naming the database once PostgreSQL's postmaster is killed", async () => {
    process.kill(pg.pid, 'SIGKILL');
    const down = await healthUntil((h) => h.status !== 200, 10_000);
    expect(down.status).toBe(503);
    expect(down.body.down).toEqual(['database']);
    expect(down.body.checks.bus?.ok).toBe(true);
    console.log(`postmaster killed: /healthz 503 (database) after ${down.ms} ms`);
  }, 30_000);
});
