import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pickPort } from 'pick-port';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The k6 script as CI runs it: `npm run loadtest:k6` (the Node runner) against
// a real control-api started as operators start it (its own PostgreSQL, its
// mediasoup workers), and the run's verdict is its exit code.

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const OPERATOR_TOKEN = 'k6-test-operator-token-0123456789';

async function waitForServer(base: string, server: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null)
      throw new Error(`the server exited (${server.exitCode}):\n${log()}`);
    const ok = await fetch(`${base}/api/signaling.json`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the server did not answer within 90 s:\n${log()}`);
}

interface Run {
  code: number | null;
  output: string;
  summary: {
    metrics: Record<string, { values: Record<string, number> }>;
    thresholds: { metric: string; threshold: string; ok: boolean; actual: number }[];
  };
}

/** `npm run loadtest:k6 -- -e K=V ... --summary-export F loadtest/k6/classrooms.js`. */
function runK6(base: string, vars: Record<string, string | number>, dir: string): Promise<Run> {
  const exportFile = path.join(dir, `summary-${Date.now()}.json`);
  const args = ['run', '--silent', 'loadtest:k6', '--'];
  for (const [k, v] of Object.entries({ BASE_URL: base, OPERATOR_TOKEN, ...vars }))
    args.push('-e', `${k}=${v}`);
  args.push('--summary-export', exportFile, 'loadtest/k6/classrooms.js');
  return new Promise((resolve, reject) => {
    const child = spawn('npm', args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c) => {
      output += c;
    });
    child.stderr.on('data', (c) => {
      output += c;
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      const summary = fs.existsSync(exportFile)
        ? JSON.parse(fs.readFileSync(exportFile, 'utf8'))
        : { metrics: {}, thresholds: [] };
      resolve({ code, output, summary });
    });
  });
}

describe('k6 classrooms script under the Node runner', () => {
  let server: ChildProcess | undefined;
  let dataDir = '';
  let base = '';
  let serverLog = '';

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'amphi-k6-'));
    const port = await pickPort({ type: 'tcp', ip: '127.0.0.1' });
    base = `http://127.0.0.1:${port}`;
    server = spawn('node', ['--import', 'tsx', 'control-api/src/main.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        OPERATOR_TOKEN,
        SEED_DEMO: 'false',
        DEMO_TEST_PATTERN: 'false',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    server.stdout?.on('data', (c) => {
      serverLog += c;
    });
    server.stderr?.on('data', (c) => {
      serverLog += c;
    });
    await waitForServer(base, server, () => serverLog);
  }, 120_000);

  afterAll(async () => {
    if (server?.pid && server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((r) => server?.once('exit', r));
      process.kill(-server.pid, 'SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    }
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }, 30_000);

  it('classrooms join at a ramp, ask, upvote, get approved, are enrolled live: thresholds pass', async () => {
    const classrooms = 30;
    // Limits a loaded CI machine meets (the test suite runs beside this server);
    // the defaults are for a deployment (loadtest/k6/README.md).
    const limits = {
      JOIN_P95_MS: 5000,
      QUESTION_P95_MS: 3000,
      UPVOTE_P95_MS: 3000,
      MODERATION_P95_MS: 3000,
      ENROL_P95_MS: 5000,
    };
    const run = await runK6(
      base,
      {
        CLASSROOMS: classrooms,
        RAMP_SECONDS: 5,
        HOLD_SECONDS: 5,
        ASK_SHARE: 0.5,
        ENROL_RATE: 2,
        ...limits,
      },
      dataDir,
    );
    console.log(run.output);
    expect(run.code, run.output).toBe(0);
    const m = (name: string) => run.summary.metrics[name]?.values ?? {};
    // Every classroom joined once, half of them asked, the moderator approved each question.
    expect(m('join_ok')).toMatchObject({ rate: 1, passes: classrooms });
    expect(m('join_latency').count).toBe(classrooms);
    expect(m('questions_asked').count).toBe(classrooms / 2);
    expect(m('questions_approved').count).toBe(classrooms / 2);
    // Each asking classroom saw its own question approved; the others upvoted it.
    expect(m('question_approved_latency').count).toBe(classrooms / 2);
    expect(m('upvotes_sent').count).toBeGreaterThanOrEqual(classrooms);
    // 2 enrolments a second for 10 s, each classroom created, enrolled and given its link.
    expect(m('enrol_ok')).toMatchObject({ rate: 1, passes: 20 });
    expect(run.summary.thresholds.length).toBeGreaterThanOrEqual(8);
    expect(run.summary.thresholds.every((t) => t.ok)).toBe(true);
    expect(run.summary.thresholds).toContainEqual(
      expect.objectContaining({ metric: 'join_latency', threshold: 'p(95)<5000', ok: true }),
    );
    expect(run.output.trim().split('\n').at(-1)).toMatch(
      /^k6-node script=classrooms\.js thresholds_passed=(\d+)\/\1 exit=0$/,
    );

    // teardown() ended the test event: the classrooms' links admit nobody any more.
    const events = (await (
      await fetch(`${base}/api/v1/events?limit=100`, {
        headers: { authorization: `Bearer ${OPERATOR_TOKEN}` },
      })
    ).json()) as { items: { title: string; status: string }[] };
    const mine = events.items.filter((e) => e.title.startsWith('Test de charge k6'));
    expect(mine.length).toBe(1);
    expect(mine[0]?.status).toBe('ended');
  }, 120_000);

  it('a p95 join limit no server can meet fails the run with k6 exit code 99', async () => {
    const run = await runK6(
      base,
      { CLASSROOMS: 4, RAMP_SECONDS: 1, HOLD_SECONDS: 2, ENROL_RATE: 0, JOIN_P95_MS: 0.001 },
      dataDir,
    );
    console.log(run.output);
    expect(run.code).toBe(99);
    expect(run.output).toMatch(/✗ join_latency 'p\(95\)<0\.001' p\(95\)=/);
    expect(run.output).toContain(`thresholds on metrics 'join_latency' have been crossed`);
    const join = run.summary.thresholds.find((t) => t.metric === 'join_latency');
    expect(join).toMatchObject({ threshold: 'p(95)<0.001', ok: false });
    // Only that one: the classrooms did join.
    expect(run.summary.thresholds.filter((t) => !t.ok)).toHaveLength(1);
  }, 120_000);
});
