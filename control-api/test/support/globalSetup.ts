import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { ensureDebianPackages } from '../../../scripts/debian-packages.mjs';
import { startEmbeddedPostgres } from '../../src/db/embeddedPostgres.ts';
import { getFreePort } from '../../src/ports.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the `postgres` database of the test cluster; files create their own database. */
    pgAdminUrl: string;
    redisUrl: string;
  }
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.end();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listening on ${port} after ${timeoutMs} ms`);
}

/** Starts a real PostgreSQL (embedded) and a real Redis on spare loopback ports. */
export default async function setup(project: TestProject) {
  ensureDebianPackages(['redis-server']);

  const tmp = await mkdtemp(path.join(os.tmpdir(), 'amphi-test-'));
  const pg = await startEmbeddedPostgres({
    dir: path.join(tmp, 'pg'),
    ephemeral: true,
    // Throwaway cluster: durability off, room for several test files' pools.
    postgresFlags: [
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=400',
    ],
  });

  const redisPort = await getFreePort();
  const redis = spawn(
    'redis-server',
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  await waitForPort(redisPort, 10_000);

  project.provide('pgAdminUrl', pg.url);
  project.provide('redisUrl', `redis://127.0.0.1:${redisPort}`);

  return async () => {
    redis.kill('SIGTERM');
    await pg.stop();
    await rm(tmp, { recursive: true, force: true });
  };
}
