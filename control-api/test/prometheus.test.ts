import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDebianPackages } from '../../scripts/debian-packages.mjs';
import { getFreePort } from '../src/ports.ts';
import { useControlPlane } from './support/harness.ts';

// A real Prometheus (Debian's) scrapes a real control plane with the scrape
// job of deploy/prometheus/prometheus.yml (its target and credentials file
// pointed at this test's), then answers queries about what it scraped: the
// classroom that joined, the media workers of the process.

const METRICS_TOKEN = 'test-metrics-token-for-prometheus';

beforeAll(() => ensureDebianPackages(['prometheus']));
const env = useControlPlane({
  metricsToken: METRICS_TOKEN,
  mediaNode: { workers: 1 },
  seed: { classrooms: 1, status: 'live' },
});
let dir: string;
let prometheus: ChildProcess | undefined;
let prometheusUrl: string;
let prometheusLog = '';

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'amphi-prometheus-'));
  const tokenFile = path.join(dir, 'amphi-metrics-token');
  await writeFile(tokenFile, `${METRICS_TOKEN}\n`, { mode: 0o600 });
  const deployed = await readFile(
    new URL('../../deploy/prometheus/prometheus.yml', import.meta.url),
    'utf8',
  );
  const config = deployed
    .replace('scrape_interval: 15s', 'scrape_interval: 1s')
    .replace('/etc/prometheus/amphi-metrics-token', tokenFile)
    .replace('127.0.0.1:8080', new URL(env.plane.url).host);
  expect(config).toContain(new URL(env.plane.url).host);
  const configFile = path.join(dir, 'prometheus.yml');
  await writeFile(configFile, config);
  const check = spawnSync('promtool', ['check', 'config', configFile], { encoding: 'utf8' });
  expect(check.status, check.stdout + check.stderr).toBe(0);

  const port = await getFreePort();
  prometheusUrl = `http://127.0.0.1:${port}`;
  prometheus = spawn(
    'prometheus',
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  prometheus.stderr?.on('data', (chunk: Buffer) => {
    prometheusLog = (prometheusLog + chunk.toString()).slice(-4000);
  });
}, 60_000);

// Before the control plane closes (after-hooks run last registered first).
afterAll(async () => {
  if (prometheus && prometheus.exitCode === null) {
    const exited = new Promise((resolve) => prometheus?.once('exit', resolve));
    prometheus.kill('SIGTERM');
    await exited;
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

type QueryAnswer = {
  status: string;
  data: { result: { metric: Record<string, string>; value: [number, string] }[] };
};

/** Prometheus's HTTP API: the instant vector of a PromQL query. */
async function query(promql: string): Promise<QueryAnswer['data']['result']> {
  const res = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await res.json()) as QueryAnswer;
  expect(body.status).toBe('success');
  return body.data.result;
}

/** The single value of a query, once Prometheus has scraped one (or undefined meanwhile). */
async function scalarOf(promql: string): Promise<number | undefined> {
  try {
    const [first] = await query(promql);
    return first ? Number(first.value[1]) : undefined;
  } catch {
    return undefined; // not listening yet
  }
}

describe('a real Prometheus scraping Amphi', () => {
  it('scrapes the control-api with the metrics credential and counts the classroom that joined', async () => {
    const c = await env.connect(env.ev.tokens.classrooms[0] as string);
    await c.request('join', {});
    await c.request('presence.quality', { quality: 'degraded', path: 'tcp' });

    await expect
      .poll(() => scalarOf('up{job="amphi-control-api"}'), {
        timeout: 30_000,
        interval: 500,
        message: `Prometheus never scraped Amphi (its log: ${prometheusLog || 'empty'})`,
      })
      .toBe(1);
    await expect
      .poll(
        () =>
          scalarOf(
            'sum(amphi_participants{job="amphi-control-api",role="classroom",region="Occitanie",path="tcp",quality="degraded"})',
          ),
        { timeout: 15_000, interval: 500 },
      )
      .toBe(1);
    await expect
      .poll(() => scalarOf('sum(amphi_join_duration_seconds_count{role="classroom"})'), {
        timeout: 15_000,
        interval: 500,
      })
      .toBe(1);
    // The media plane of the process, and the deploy config's static label.
    const workers = await query('amphi_media_workers_running');
    expect(workers.map((r) => [r.metric.service, r.value[1]])).toEqual([['amphi', '1']]);
  });

  it('sees the classroom leave', async () => {
    await env.clients.pop()?.close();
    await expect
      .poll(() => scalarOf('sum(amphi_participants{role="classroom"}) or vector(0)'), {
        timeout: 15_000,
        interval: 500,
      })
      .toBe(0);
  });
});
