import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlane } from '../src/server.ts';
import {
  createTestDatabase,
  key,
  type SeededEvent,
  seedEvent,
  startInstance,
  TestClient,
} from './support/harness.ts';

// Two control-api instances sharing one PostgreSQL and one Redis, as behind a load balancer.
let a: ControlPlane;
let b: ControlPlane;
let db: postgres.Sql;
let ev: SeededEvent;
const clients: TestClient[] = [];

beforeAll(async () => {
  const url = await createTestDatabase();
  const redis = { namespace: `t-${randomUUID()}` };
  [a, b] = await Promise.all([
    startInstance({ databaseUrl: url, redis }),
    startInstance({ databaseUrl: url, redis }),
  ]);
  db = postgres(url, { max: 1 });
  ev = await seedEvent(a.url, { classrooms: 2, status: 'live' });
});

afterAll(async () => {
  for (const c of clients) await c.close();
  await Promise.all([a?.close(), b?.close()]);
  await db?.end();
});

async function on(plane: ControlPlane, token: string) {
  const c = await TestClient.connect(plane.url, ev.eventId, token);
  clients.push(c);
  return c;
}

describe('two instances over Redis', () => {
  it('uses the Redis bus with distinct instance ids', () => {
    expect(a.bus.constructor.name).toBe('RedisBus');
    expect(a.bus.instanceId).not.toBe(b.bus.instanceId);
  });

  it('a question submitted on A reaches the moderator on B; its approval on B reaches the speaker on A', async () => {
    const moderatorOnB = await on(b, ev.tokens.moderator);
    const speakerOnA = await on(a, ev.tokens.speaker);
    const classroomOnA = await on(a, ev.tokens.classrooms[0] as string);
    const otherClassroomOnB = await on(b, ev.tokens.classrooms[1] as string);

    const { question } = await classroomOnA.request('question.submit', {
      idempotencyKey: key(),
      text: 'Quel est le plus beau son que vous ayez enregistré ?',
      category: 'human_side',
    });
    const created = await moderatorOnB.waitForEvent(
      'question.created',
      (q) => q.id === question.id,
    );
    expect(created.text).toBe('Quel est le plus beau son que vous ayez enregistré ?');
    // Pending questions stay with the moderators.
    expect(speakerOnA.eventsOf('question.updated')).toEqual([]);

    await moderatorOnB.request('question.moderate', { action: 'approve', questionId: question.id });
    const approved = await speakerOnA.waitForEvent('question.updated', (q) => q.id === question.id);
    expect(approved.status).toBe('approved');
    // The author (on A) and the other classroom (on B) see it in the queue too.
    await classroomOnA.waitForEvent(
      'question.updated',
      (q) => q.id === question.id && q.status === 'approved',
    );
    await otherClassroomOnB.waitForEvent('question.updated', (q) => q.id === question.id);

    // An upvote on B is counted once, in PostgreSQL, and seen on A.
    await otherClassroomOnB.request('question.upvote', { questionId: question.id });
    await speakerOnA.waitForEvent(
      'question.updated',
      (q) => q.id === question.id && q.upvotes === 1,
    );
    const [row] = await db`select status, upvotes from questions where id = ${question.id}`;
    expect(row).toEqual({ status: 'approved', upvotes: 1 });
  });

  it('hands, stage and removals cross instances', async () => {
    const moderatorOnA = await on(a, ev.tokens.moderator);
    const classroomOnB = await on(b, ev.tokens.classrooms[1] as string);
    await classroomOnB.request('hand.raise', {});
    await moderatorOnA.waitForEvent(
      'hand.updated',
      (h) => h.classroomId === ev.classroomIds[1] && h.raised,
    );
    await moderatorOnA.request('stage.invite', { classroomId: ev.classroomIds[1] as string });
    await classroomOnB.waitForEvent('stage.updated', (s) => s.stage?.status === 'invited');
    await classroomOnB.request('stage.respond', { accept: true });
    await moderatorOnA.waitForEvent('stage.updated', (s) => s.stage?.status === 'live');
    await moderatorOnA.request('stage.leave', {});
    await classroomOnB.waitForEvent('stage.updated', (s) => s.stage === null);
  });

  it('presence on one instance counts the participants of both', async () => {
    const fresh = await seedEvent(a.url, { classrooms: 3 });
    const moderator = await TestClient.connect(a.url, fresh.eventId, fresh.tokens.moderator);
    clients.push(moderator);
    const remote = await Promise.all(
      fresh.tokens.classrooms.map((t) => TestClient.connect(b.url, fresh.eventId, t)),
    );
    clients.push(...remote);
    const p = await moderator.waitForEvent(
      'presence.updated',
      (x) => x.counts.classroom === 3,
      5000,
    );
    expect(p.counts.moderator).toBe(1);
    expect(p.classroomsByRegion).toEqual({ Occitanie: 1, Guadeloupe: 1, Bretagne: 1 });
    await (remote[0] as TestClient).close();
    await moderator.waitForEvent('presence.updated', (x) => x.counts.classroom === 2, 5000);
  });

  it('a removal decided on A disconnects the classroom on B', async () => {
    const fresh = await seedEvent(a.url, { classrooms: 1 });
    const moderator = await TestClient.connect(a.url, fresh.eventId, fresh.tokens.moderator);
    clients.push(moderator);
    const victim = await TestClient.connect(
      b.url,
      fresh.eventId,
      fresh.tokens.classrooms[0] as string,
    );
    await moderator.request('participant.remove', { classroomId: fresh.classroomIds[0] as string });
    expect((await victim.closed).code).toBe(4003);
  });
});
