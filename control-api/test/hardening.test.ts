import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../src/logger.ts';
import { type ControlPlane, type ControlPlaneOptions, startControlPlane } from '../src/server.ts';
import { createTestDatabase, JOIN_SECRET, OPERATOR_TOKEN } from './support/harness.ts';

// What a browser and a hostile client meet on the web face: security headers
// on the apps and the API, no source maps, the REST API's rate limit.

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const APPS = ['viewer', 'studio'] as const;

let appsRoot: string;
let databaseUrl: string;
const planes: ControlPlane[] = [];

async function plane(opts: Partial<ControlPlaneOptions> = {}): Promise<ControlPlane> {
  const p = await startControlPlane({
    databaseUrl,
    joinTokenSecret: JOIN_SECRET,
    operatorToken: OPERATOR_TOKEN,
    databasePoolSize: 3,
    log: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
    ...opts,
  });
  planes.push(p);
  return p;
}

const asOperator = { authorization: `Bearer ${OPERATOR_TOKEN}` };

beforeAll(async () => {
  // The apps as production builds them (their own Vite config), into a folder of this file's.
  appsRoot = await mkdtemp(path.join(os.tmpdir(), 'amphi-apps-'));
  await Promise.all(
    APPS.map((name) =>
      promisify(execFile)(
        'npx',
        ['vite', 'build', '--logLevel', 'error', '--outDir', path.join(appsRoot, name, 'dist')],
        { cwd: path.join(ROOT, name) },
      ),
    ),
  );
  databaseUrl = await createTestDatabase();
}, 120_000);

afterAll(async () => {
  await Promise.all(planes.map((p) => p.close()));
  await rm(appsRoot, { recursive: true, force: true });
});

describe('security headers', () => {
  it('on the apps, the API and the health check: CSP framing nobody, nosniff, no referrer', async () => {
    const p = await plane({ appsRoot });
    for (const url of ['/viewer/', '/studio/', '/api/v1/events', '/healthz']) {
      const res = await fetch(`${p.url}${url}`, { headers: asOperator });
      expect(res.status, url).toBe(200);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp, url).toMatch(/frame-ancestors 'none'/);
      expect(csp, url).toMatch(/script-src 'self'(;|$)/);
      expect(csp, url).toMatch(/object-src 'none'/);
      expect(csp, url).not.toMatch(/unsafe-eval|upgrade-insecure-requests/);
      expect(res.headers.get('x-content-type-options'), url).toBe('nosniff');
      expect(res.headers.get('referrer-policy'), url).toBe('no-referrer');
      expect(res.headers.get('x-frame-options'), url).toBe('DENY');
    }
  });

  it("lets the page open its signaling socket to the host it came from, and nothing else's", async () => {
    const p = await plane({ appsRoot });
    const csp = (await fetch(`${p.url}/viewer/`)).headers.get('content-security-policy') ?? '';
    const host = new URL(p.url).host;
    expect(csp).toMatch(new RegExp(`connect-src 'self' ws://${host} wss://${host}(;|$)`));
  });
});

describe('source maps', () => {
  it('a production build links none, and the map beside it is not served', async () => {
    const p = await plane({ appsRoot });
    for (const name of APPS) {
      const html = await (await fetch(`${p.url}/${name}/`)).text();
      const script = /<script[^>]+src="([^"]+\.js)"/.exec(html)?.[1];
      expect(script, name).toMatch(new RegExp(`^/${name}/assets/.+\\.js$`));
      const js = await fetch(`${p.url}${script}`);
      expect(js.status).toBe(200);
      expect(await js.text()).not.toMatch(/sourceMappingURL/);
      // The map exists (to read a reported stack trace on the server), but is not served.
      expect(
        existsSync(path.join(appsRoot, name, 'dist', `${script?.slice(name.length + 2)}.map`)),
      ).toBe(true);
      expect((await fetch(`${p.url}${script}.map`)).status).toBe(404);
    }
  });
});

describe('REST rate limit', () => {
  const from = (address: string) => ({ ...asOperator, 'x-forwarded-for': address });

  it('answers 429 RATE_LIMITED past the limit, to that address only', async () => {
    const p = await plane({ limits: { API_RATE_PER_MINUTE: 5 }, trustProxy: '127.0.0.1' });
    for (let i = 0; i < 5; i++) {
      expect((await fetch(`${p.url}/api/v1/events`, { headers: from('203.0.113.7') })).status).toBe(
        200,
      );
    }
    const refused = await fetch(`${p.url}/api/v1/events`, { headers: from('203.0.113.7') });
    expect(refused.status).toBe(429);
    // The same route spelt otherwise is the same route.
    expect((await fetch(`${p.url}/%61pi/v1/events`, { headers: from('203.0.113.7') })).status).toBe(
      429,
    );
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('RATE_LIMITED');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another school is served; so is the health check and the apps for the limited one.
    expect((await fetch(`${p.url}/api/v1/events`, { headers: from('198.51.100.3') })).status).toBe(
      200,
    );
    expect((await fetch(`${p.url}/healthz`, { headers: from('203.0.113.7') })).status).toBe(200);
  });

  it('counts an address across instances sharing Redis', async () => {
    const redis = { redisUrl: inject('redisUrl'), redisNamespace: `t-${randomUUID()}` };
    const limits = { API_RATE_PER_MINUTE: 4 };
    const a = await plane({ ...redis, limits });
    const b = await plane({ ...redis, limits });
    const statuses: number[] = [];
    for (const p of [a, b, a, b, a, b]) {
      statuses.push((await fetch(`${p.url}/api/v1/events`, { headers: asOperator })).status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
  });
});
