import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlane } from '../src/server.ts';
import {
  createTestDatabase,
  resumeOutcomes,
  type SeededEvent,
  seedEvent,
  startInstance,
  startMediaNode,
  TestClient,
} from './support/harness.ts';

// Operators see resumes: each socket that asks to resume its media is counted
// on GET /metrics by what became of it (amphi_media_resumes_total{outcome}).
// Real workers; the four outcomes a client can meet, each once.

const METRICS_TOKEN = 'test-metrics-token-resumes-0123456789';
const GRACE_MS = 600;
let plane: ControlPlane;
let ev: SeededEvent;
const clients: TestClient[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  const media = await startMediaNode({ workers: 1, sessionGraceMs: GRACE_MS });
  plane = await startInstance({
    databaseUrl: await createTestDatabase(),
    media,
    metricsToken: METRICS_TOKEN,
  });
  ev = await seedEvent(plane.url, { classrooms: 3, status: 'live' });
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.socket.terminate();
  await plane?.close();
});

async function connect(token: string, resume?: string): Promise<TestClient> {
  const url = TestClient.url(plane.url, ev.eventId, token);
  const c = await TestClient.connectUrl(
    resume === undefined ? url : `${url}&resume=${encodeURIComponent(resume)}`,
  );
  clients.push(c);
  return c;
}

/** A class joined with a receiving transport on the media node; its resume token. */
async function withMedia(token: string): Promise<{ client: TestClient; resume: string }> {
  const client = await connect(token);
  const join = await client.request('join', {});
  await client.request('media.createTransport', { direction: 'recv' });
  return { client, resume: join.resume?.token as string };
}

/** How the resumed socket's first join answered, and its code when refused. */
async function resumeWith(token: string, resume: string): Promise<string> {
  const media = (await (await connect(token, resume)).request('join', {})).resume?.media;
  return media?.status === 'resumed' ? 'resumed' : (media?.error.code ?? 'none');
}

const resumes = () => resumeOutcomes(plane.url, METRICS_TOKEN);

describe('amphi_media_resumes_total', () => {
  it('counts resumes by outcome: resumed, invalid, unknown, expired', async () => {
    const [dropped, left, late] = ev.tokens.classrooms as [string, string, string];
    expect(await resumes()).toEqual({});

    // A line cut (no close frame): its media kept, and resumed.
    const a = await withMedia(dropped);
    a.client.socket.terminate();
    expect(await resumeWith(dropped, a.resume)).toBe('resumed');
    // A token that does not verify for this link.
    expect(await resumeWith(dropped, `${'x'.repeat(8)}.${'y'.repeat(43)}`)).toBe('RESUME_INVALID');
    // Left on purpose: its media closed, nothing held.
    const b = await withMedia(left);
    b.client.socket.close(1000);
    await b.client.closed;
    await sleep(200);
    expect(await resumeWith(left, b.resume)).toBe('RESUME_UNKNOWN');
    // Cut, and back after the grace.
    const c = await withMedia(late);
    c.client.socket.terminate();
    await sleep(GRACE_MS + 400);
    expect(await resumeWith(late, c.resume)).toBe('RESUME_EXPIRED');

    expect(await resumes()).toEqual({ resumed: 1, invalid: 1, unknown: 1, expired: 1 });
  });
});
