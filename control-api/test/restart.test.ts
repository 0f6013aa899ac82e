import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlApiProcess } from './support/ControlApiProcess.ts';

// The control-api as an operator runs it (`npm start`: embedded PostgreSQL
// under DATA_DIR), crashed with kill -9 and started again.

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie is gone for our purposes.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('the control-api process, crashed and started again', () => {
  let dataDir: string;
  const servers: ControlApiProcess[] = [];
  const start = async (args: string[] = []) => {
    const s = await ControlApiProcess.start({ DATA_DIR: dataDir }, args);
    servers.push(s);
    return s;
  };
  const postmasterPid = () =>
    Number.parseInt(
      readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0] ?? '',
      10,
    );

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'amphi-restart-'));
  });

  afterAll(async () => {
    for (const s of servers) await s.stop().catch(() => {});
    for (const s of servers) s.killGroup();
    // An orphaned PostgreSQL (the failure under test) must not outlive the file.
    const pidFile = path.join(dataDir, 'postgres', 'postmaster.pid');
    if (existsSync(pidFile)) {
      const pid = postmasterPid();
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  it('comes up by itself after kill -9, its PostgreSQL orphan stopped', async () => {
    const first = await start();
    await first.healthyWithin(60_000);
    const orphan = postmasterPid();
    await first.crash();
    expect(alive(orphan)).toBe(true);

    const second = await start();
    const ms = await second.healthyWithin(30_000);
    console.log(`restart after kill -9: /healthz 200 in ${ms} ms`);
    expect(second.out).not.toMatch(/TypeError/);
    expect(alive(orphan)).toBe(false);
    await second.stop();
  }, 120_000);

  it('a process that dies of an error takes its PostgreSQL with it', async () => {
    const dir = path.join(dataDir, 'dies');
    const script = [
      `import { startEmbeddedPostgres } from './control-api/src/db/embeddedPostgres.ts';`,
      `const pg = await startEmbeddedPostgres({ dir: ${JSON.stringify(dir)} });`,
      `console.log('pid', pg.pid);`,
      `throw new Error('a bug');`,
    ].join('\n');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c;
    });
    child.stderr.on('data', (c: Buffer) => {
      out += c;
    });
    await new Promise((r) => child.once('exit', r));
    const pid = Number(/pid (\d+)/.exec(out)?.[1]);
    expect(out).toMatch(/Error: a bug/);
    expect(pid).toBeGreaterThan(0);
    const deadline = Date.now() + 10_000;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const survived = alive(pid);
    if (survived) process.kill(pid, 'SIGKILL');
    expect(survived).toBe(false);
  }, 60_000);

  it('starts over a lock whose pid is now another process (a container restarted)', async () => {
    const before = await start();
    await before.healthyWithin(30_000);
    const pg = postmasterPid();
    // The whole machine stops at once: the lock stays, naming a pid that is free again.
    before.killGroup();
    await before.exited;
    while (alive(pg)) await new Promise((r) => setTimeout(r, 50));
    const other = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const pidFile = path.join(dataDir, 'postgres', 'postmaster.pid');
      const lines = readFileSync(pidFile, 'utf8').split('\n');
      lines[0] = String(other.pid);
      await writeFile(pidFile, lines.join('\n'));

      const after = await start();
      await after.healthyWithin(30_000);
      expect(alive(other.pid as number)).toBe(true);
      await after.stop();
    } finally {
      other.kill('SIGKILL');
    }
  }, 120_000);

  it('prints the join links at the first start only, and again on demand (--links)', async () => {
    const moderatorLink = /^\s+moderator\s+http\S+\/studio\/\S*token=/m;
    const classroomLink = /^\s+classroom .*?http\S+\/viewer\/\S*token=/m;
    const fresh = await mkdtemp(path.join(os.tmpdir(), 'amphi-links-'));
    try {
      const banner = async (args: string[] = []) => {
        const s = await ControlApiProcess.start({ DATA_DIR: fresh }, args);
        servers.push(s);
        await s.healthyWithin(60_000);
        const out = await s.banner();
        await s.stop();
        return out;
      };
      const first = await banner();
      expect(first).toMatch(moderatorLink);
      expect(first).toMatch(classroomLink);

      const later = await banner();
      expect(later).not.toMatch(/token=/);
      expect(later).toMatch(/links printed at its first start; new ones: npm start -- --links/);

      const asked = await banner(['--links']);
      expect(asked).toMatch(moderatorLink);
      expect(asked).toMatch(classroomLink);
    } finally {
      await rm(fresh, { recursive: true, force: true });
    }
  }, 180_000);

  it("refuses to start on another running control-api's data directory, saying so", async () => {
    const running = await start();
    await running.healthyWithin(30_000);
    const intruder = await start();
    expect(await intruder.exited).toBe(1);
    expect(intruder.out).toMatch(
      /control-api failed to start: Error: PostgreSQL on .* belongs to another running control-api \(pid \d+\)/,
    );
    expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
    await running.stop();
  }, 120_000);
});
