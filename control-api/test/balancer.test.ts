import type { JoinResult, Question } from '@amphi/protocol';
import { SignalingClient } from '@amphi/sdk';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { ControlApiProcess } from './support/ControlApiProcess.ts';
import { type Balancer, startBalancer } from './support/haproxy.ts';
import {
  askWhile,
  createTestDatabase,
  JOIN_SECRET,
  key,
  OPERATOR_TOKEN,
  type SeededEvent,
  seedEvent,
} from './support/harness.ts';

// Two control-api processes, started as an operator deploys them, sharing one
// PostgreSQL and one Redis behind Debian's HAProxy running deploy/haproxy/haproxy.cfg.
// One is killed with -9 while classrooms ask questions: every client must come
// back through the balancer, and every question it was told was received must
// be in PostgreSQL.

const CLASSROOMS = 12;
let databaseUrl: string;
let apis: ControlApiProcess[] = [];
let balancer: Balancer;
let ev: SeededEvent;
const clients: SignalingClient[] = [];

const hostPort = (url: string) => new URL(url).host;

beforeAll(async () => {
  databaseUrl = await createTestDatabase();
  const env = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: inject('redisUrl'),
    JOIN_TOKEN_SECRET: JOIN_SECRET,
    OPERATOR_TOKEN,
    SEED_DEMO: 'false',
    TRUST_PROXY: '127.0.0.1',
    // Every classroom asks several questions a second here: the quota is not under test.
    QUESTION_RATE_PER_MINUTE: '60000',
    QUESTION_BURST: '1000',
  };
  apis = [
    await ControlApiProcess.start({ ...env, INSTANCE_ID: 'api1' }),
    await ControlApiProcess.start({ ...env, INSTANCE_ID: 'api2' }),
  ];
  await Promise.all(apis.map((a) => a.healthyWithin(60_000)));
  const [api1, api2] = apis as [ControlApiProcess, ControlApiProcess];
  balancer = await startBalancer([hostPort(api1.url), hostPort(api2.url)]);
  ev = await seedEvent(balancer.url, { classrooms: CLASSROOMS, status: 'live' });
}, 120_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await balancer?.close();
  for (const a of apis) await a.stop().catch(() => {});
  for (const a of apis) a.killGroup();
});

/** A participant through the balancer, with the sdk's reconnection; its joins timed. */
async function participant(token: string) {
  const client = new SignalingClient({
    baseUrl: balancer.url,
    eventId: ev.eventId,
    token,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
  });
  clients.push(client);
  const joins: { at: number; reconnected: boolean; join: JoinResult }[] = [];
  client.on('joined', (join, reconnected) => joins.push({ at: Date.now(), reconnected, join }));
  await client.connect();
  return { client, joins };
}

describe('two control-api instances behind HAProxy', () => {
  it('kill -9 of one: every client reconnects through HAProxy, state intact, no acknowledged question lost', async () => {
    const moderator = await participant(ev.tokens.moderator);
    const classrooms = [];
    for (const token of ev.tokens.classrooms) classrooms.push(await participant(token));

    // State before the crash: every hand raised, a question approved.
    for (const c of classrooms) await c.client.request('hand.raise', {});
    const first = classrooms[0] as (typeof classrooms)[number];
    const { question: approvedOne } = await first.client.request('question.submit', {
      idempotencyKey: key(),
      text: 'Comment avez-vous choisi ce métier ?',
      category: 'human_side',
    });
    await moderator.client.request('question.moderate', {
      action: 'approve',
      questionId: approvedOne.id,
    });

    let running = true;
    const askers = classrooms.map((c) => askWhile(c.client, () => running, 150));
    await new Promise((r) => setTimeout(r, 2_000));

    const killedAt = Date.now();
    await (apis[0] as ControlApiProcess).crash();
    // A dead instance's sockets close within milliseconds (the kernel resets them and
    // HAProxy passes the close on); then every client must be open again.
    await new Promise((r) => setTimeout(r, 1_000));
    const everyone = [moderator, ...classrooms];
    const deadline = killedAt + 20_000;
    while (Date.now() < deadline && !everyone.every((p) => p.client.status === 'open')) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const moved = everyone.filter((p) => p.joins.some((j) => j.reconnected && j.at > killedAt));
    const reconnectMs = moved.map(
      (p) => (p.joins.find((j) => j.at > killedAt)?.at ?? Number.POSITIVE_INFINITY) - killedAt,
    );

    // Keep asking on the survivor for a while, then stop and let retries finish.
    await new Promise((r) => setTimeout(r, 2_000));
    running = false;
    await Promise.all(askers.map((a) => a.done));

    expect(everyone.every((p) => p.client.status === 'open')).toBe(true);
    // leastconn spread the 13 sockets over both instances: some were on the dead one.
    expect(moved.length).toBeGreaterThan(0);
    expect(moved.length).toBeLessThan(everyone.length);
    expect(Math.max(...reconnectMs)).toBeLessThan(5_000);

    // Every acknowledged question is in PostgreSQL, once.
    const acked = new Map<string, string>();
    for (const a of askers) for (const [k, id] of a.acked) acked.set(k, id);
    const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
    let storedCount = 0;
    try {
      const rows = await sql<{ id: string; idempotency_key: string }[]>`
        select id, idempotency_key from questions
        where event_id = ${ev.eventId} and id <> ${approvedOne.id}`;
      const stored = new Map(rows.map((r) => [r.idempotency_key, r.id]));
      const lost = [...acked].filter(([k, id]) => stored.get(k) !== id);
      expect(lost).toEqual([]);
      storedCount = stored.size;
      expect(stored.size).toBe(acked.size);
      expect(acked.size).toBeGreaterThan(CLASSROOMS * 10);
    } finally {
      await sql.end();
    }

    // Reconnected classrooms found the state as it was: their hand still raised.
    for (const c of moved) {
      const rejoin = c.joins.at(-1)?.join as JoinResult;
      if (c === moderator) continue;
      expect(rejoin.state.hands.map((h) => h.classroomId)).toEqual([rejoin.self.classroomId]);
    }
    // A moderator arriving now (on the survivor) sees every hand and the approved question.
    const late = await participant(ev.tokens.moderator);
    const state = (late.client.lastJoin as JoinResult).state;
    expect(state.hands).toHaveLength(CLASSROOMS);
    expect(state.questions.find((q: Question) => q.id === approvedOne.id)?.status).toBe('approved');
    console.info(
      `balancer: ${moved.length}/${everyone.length} clients moved, reconnect max ${Math.max(...reconnectMs)} ms, questions acked ${acked.size} stored ${storedCount}`,
    );
  }, 90_000);
});
