import { randomUUID } from 'node:crypto';
import { Redis as RedisClient } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BusMessage } from '../src/bus/BusMessage.ts';
import { RedisBus } from '../src/bus/RedisBus.ts';
import type { ControlPlane } from '../src/server.ts';
import {
  createTestDatabase,
  key,
  type SeededEvent,
  seedEvent,
  startInstance,
  TestClient,
} from './support/harness.ts';
import { RedisProcess } from './support/RedisProcess.ts';

// Two instances over a Redis of their own, which the test stops and starts
// again on the same port (no persistence, as in the test setup: a restart
// comes back empty). A classroom asks on A; the moderator triages on B.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let redis: RedisProcess;
let a: ControlPlane;
let b: ControlPlane;
let ev: SeededEvent;
let moderator: TestClient;
const classrooms: TestClient[] = [];

beforeAll(async () => {
  redis = await RedisProcess.start();
  const databaseUrl = await createTestDatabase();
  const namespace = `t-${randomUUID()}`;
  const start = () =>
    startInstance({
      databaseUrl,
      redis: { namespace, url: redis.url },
      // Many questions per classroom in a few seconds: the limiter is not what is tested.
      limits: { QUESTION_RATE_PER_MINUTE: 600, QUESTION_BURST: 100 },
    });
  [a, b] = await Promise.all([start(), start()]);
  ev = await seedEvent(a.url, { classrooms: 4, status: 'live' });
  moderator = await TestClient.connect(b.url, ev.eventId, ev.tokens.moderator);
  for (const token of ev.tokens.classrooms) {
    classrooms.push(await TestClient.connect(a.url, ev.eventId, token));
  }
}, 60_000);

afterAll(async () => {
  for (const c of [moderator, ...classrooms]) await c?.close();
  await Promise.all([a?.close(), b?.close()]);
  await redis?.kill();
});

/** Question ids the moderator has been told about, by any event. */
function seenByModerator(): Set<string> {
  const seen = new Set<string>();
  for (const e of moderator.events) {
    if (e.event === 'question.created' || e.event === 'question.updated') {
      seen.add((e.data as { id: string }).id);
    }
  }
  return seen;
}

/**
 * Kills Redis, has the classrooms submit `count` questions spread over
 * `outageMs`, starts Redis again, and returns each submit's acknowledgement
 * time (ms; Infinity when none came within 10 s) and the acknowledged ids.
 */
async function submitDuring(
  outageMs: number,
  count: number,
): Promise<{ ackMs: number[]; ids: string[] }> {
  await redis.kill();
  const started = Date.now();
  const submits: Promise<{ ms: number; id: string | null }>[] = [];
  for (let i = 0; i < count; i++) {
    const at = (i * (outageMs - 500)) / count;
    await sleep(Math.max(0, started + at - Date.now()));
    const classroom = classrooms[i % classrooms.length] as TestClient;
    const sent = performance.now();
    submits.push(
      classroom
        .request('question.submit', {
          idempotencyKey: key(),
          text: `Question ${i} posée pendant la panne de Redis`,
          category: 'job_reality',
        })
        .then(
          (r) => ({ ms: performance.now() - sent, id: r.question.id }),
          () => ({ ms: Number.POSITIVE_INFINITY, id: null }),
        ),
    );
  }
  await sleep(Math.max(0, started + outageMs - Date.now()));
  await redis.start();
  const results = await Promise.all(submits);
  return {
    ackMs: results.map((r) => r.ms),
    ids: results.flatMap((r) => (r.id ? [r.id] : [])),
  };
}

async function untilModeratorSees(ids: string[], timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seen = seenByModerator();
    const missing = ids.filter((id) => !seen.has(id));
    if (missing.length === 0 || Date.now() > deadline) return missing;
    await sleep(100);
  }
}

const summary = (ms: number[]) => {
  const sorted = [...ms].sort((x, y) => x - y);
  const p = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { n: ms.length, median: p(0.5), max: sorted[sorted.length - 1] };
};

describe('a Redis outage', () => {
  it.each([
    { outageMs: 4_000, count: 20 },
    { outageMs: 15_000, count: 40 },
  ])(
    'down $outageMs ms: each of $count questions is acknowledged within a second, stored, and reaches the moderator once Redis is back',
    async ({ outageMs, count }) => {
      const { ackMs, ids } = await submitDuring(outageMs, count);
      const rows = await b.sql`select id from questions where id in ${b.sql(ids)}`;
      // Redis is back: the moderator (on the other instance) gets every acknowledged question.
      const missing = await untilModeratorSees(ids, 15_000);
      console.log(
        `redis down ${outageMs} ms: ack ms`,
        summary(ackMs),
        `${ids.length} of ${count} acknowledged in 10 s, ${missing.length} acknowledged never reached the moderator`,
      );
      // Every submit is answered, each within a second of asking, and is stored.
      expect(ids).toHaveLength(count);
      expect(Math.max(...ackMs)).toBeLessThan(1000);
      expect(rows).toHaveLength(count);
      expect(missing).toEqual([]);
    },
    60_000,
  );

  it('once Redis is back, questions flow live again', async () => {
    const { question } = await (classrooms[0] as TestClient).request('question.submit', {
      idempotencyKey: key(),
      text: 'Et après la panne ?',
      category: 'job_reality',
    });
    await moderator.waitForEvent('question.created', (q) => q.id === question.id, 5000);
  });
});

describe('Redis restarting empty', () => {
  it("a question the moderator's instance had not read when Redis crashed still reaches the moderator", async () => {
    const admin = new RedisClient(redis.url);
    let id: string;
    try {
      // B's stream reader is cut off and cannot come back (no new connections),
      // while A still writes: the question sits in the stream, unread by B.
      await admin.config('SET', 'maxclients', '1');
      const clients = (await admin.client('LIST')) as string;
      const reader = clients.split('\n').find((l) => l.includes(`:${b.bus.instanceId}:reader`));
      const clientId = /\bid=(\d+)/.exec(reader ?? '')?.[1];
      expect(clientId).toMatch(/^\d+$/);
      await admin.client('KILL', 'ID', clientId as string);
      ({
        question: { id },
      } = await (classrooms[1] as TestClient).request('question.submit', {
        idempotencyKey: key(),
        text: 'Question écrite dans Redis juste avant sa chute',
        category: 'job_reality',
      }));
      await sleep(300);
      expect(seenByModerator().has(id)).toBe(false);
    } finally {
      admin.disconnect();
    }
    // Redis crashes and comes back empty: the stream entry is gone.
    await redis.kill();
    await redis.start();
    const missing = await untilModeratorSees([id], 10_000);
    expect(missing).toEqual([]);
  });
});

describe('RedisBus outbox', () => {
  it('is bounded while Redis is away: publishing never waits, the oldest are dropped (logged once) and their event is resynchronised', async () => {
    const lines: { level: number; msg: string }[] = [];
    const log = pino(
      { level: 'info' },
      { write: (line: string) => lines.push(JSON.parse(line) as { level: number; msg: string }) },
    );
    const namespace = `t-${randomUUID()}`;
    const [pub, sub] = await Promise.all([
      RedisBus.create({ url: redis.url, namespace, outboxLimit: 10, log }),
      RedisBus.create({ url: redis.url, namespace }),
    ]);
    const eventId = randomUUID();
    const got: string[] = [];
    const gaps: { eventId: string | null; after: number }[] = [];
    sub.subscribe((m) => {
      if (m.kind === 'hand.updated' && m.eventId === eventId) got.push(m.hand?.classroomName ?? '');
    });
    sub.onGap((id) => gaps.push({ eventId: id, after: got.length }));
    const hand = (i: number): BusMessage => {
      const classroomId = randomUUID();
      return {
        kind: 'hand.updated',
        eventId,
        classroomId,
        hand: { classroomId, classroomName: `c${i}`, raisedAt: new Date().toISOString() },
      };
    };
    try {
      await redis.kill();
      const started = performance.now();
      for (let i = 0; i < 50; i++) await pub.publish(hand(i));
      expect(performance.now() - started).toBeLessThan(100);
      expect(pub.pending).toBe(10);
      await redis.start();
      // The ten newest arrive, in order; then the event is declared to have a gap.
      const deadline = Date.now() + 10_000;
      const reported = () => lines.some((l) => l.msg === 'redis reachable again');
      while (!(gaps.some((g) => g.eventId === eventId) && reported()) && Date.now() < deadline) {
        await sleep(50);
      }
      expect(got).toEqual(Array.from({ length: 10 }, (_, i) => `c${40 + i}`));
      expect(gaps.find((g) => g.eventId === eventId)?.after).toBe(10);
      const full = lines.filter((l) => l.msg.startsWith('bus outbox full'));
      expect(full).toHaveLength(1);
      const back = lines.find((l) => l.msg === 'redis reachable again') as unknown as {
        droppedDurable: number;
      };
      expect(back?.droppedDurable).toBe(40);
    } finally {
      await Promise.all([pub.close(), sub.close()]);
    }
  }, 30_000);
});
