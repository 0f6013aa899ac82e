import { beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlane } from '../src/server.ts';
import { key, refusal, seedEvent, TestClient, useControlPlane } from './support/harness.ts';

// Two control-api instances sharing one PostgreSQL and one Redis, as behind a load balancer.
const env = useControlPlane({ instances: 2, seed: { classrooms: 2, status: 'live' } });
let a: ControlPlane;
let b: ControlPlane;
beforeAll(() => {
  [a, b] = env.planes as [ControlPlane, ControlPlane];
});

const on = (plane: ControlPlane, token: string) => env.connect(token, plane);

describe('two instances over Redis', () => {
  it('uses the Redis bus with distinct instance ids', () => {
    expect(a.bus.constructor.name).toBe('RedisBus');
    expect(a.bus.instanceId).not.toBe(b.bus.instanceId);
  });

  it('a question submitted on A reaches the moderator on B; its approval on B reaches the speaker on A', async () => {
    const moderatorOnB = await on(b, env.ev.tokens.moderator);
    const speakerOnA = await on(a, env.ev.tokens.speaker);
    const classroomOnA = await on(a, env.ev.tokens.classrooms[0] as string);
    const otherClassroomOnB = await on(b, env.ev.tokens.classrooms[1] as string);

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
    await speakerOnA.waitForEvent('questions.upvoted', ({ upvotes }) =>
      upvotes.some((c) => c.questionId === question.id && c.upvotes === 1),
    );
    const [row] = await env.db`select status, upvotes from questions where id = ${question.id}`;
    expect(row).toEqual({ status: 'approved', upvotes: 1 });
  });

  it('hands, stage and removals cross instances', async () => {
    const moderatorOnA = await on(a, env.ev.tokens.moderator);
    const classroomOnB = await on(b, env.ev.tokens.classrooms[1] as string);
    await classroomOnB.request('hand.raise', {});
    await moderatorOnA.waitForEvent(
      'hand.updated',
      (h) => h.classroomId === env.ev.classroomIds[1] && h.raised,
    );
    await moderatorOnA.request('stage.invite', { classroomId: env.ev.classroomIds[1] as string });
    await classroomOnB.waitForEvent('stage.updated', (s) => s.stage?.status === 'invited');
    await classroomOnB.request('stage.respond', { accept: true });
    await moderatorOnA.waitForEvent('stage.updated', (s) => s.stage?.status === 'live');
    await moderatorOnA.request('stage.leave', {});
    await classroomOnB.waitForEvent('stage.updated', (s) => s.stage === null);
  });

  it('presence on one instance counts the participants of both', async () => {
    const fresh = await seedEvent(a.url, { classrooms: 3 });
    const moderator = await TestClient.connect(a.url, fresh.eventId, fresh.tokens.moderator);
    env.clients.push(moderator);
    const remote = await Promise.all(
      fresh.tokens.classrooms.map((t) => TestClient.connect(b.url, fresh.eventId, t)),
    );
    env.clients.push(...remote);
    const p = await moderator.waitForPresence((x) => x.counts.classroom === 3);
    expect(p.counts.moderator).toBe(1);
    expect(p.classroomsByRegion).toEqual({ Occitanie: 1, Guadeloupe: 1, Bretagne: 1 });
    await (remote[0] as TestClient).close();
    await moderator.waitForPresence((x) => x.counts.classroom === 2);
  });

  it('a removal decided on A disconnects the classroom on B', async () => {
    const fresh = await seedEvent(a.url, { classrooms: 1 });
    const moderator = await TestClient.connect(a.url, fresh.eventId, fresh.tokens.moderator);
    env.clients.push(moderator);
    const victim = await TestClient.connect(
      b.url,
      fresh.eventId,
      fresh.tokens.classrooms[0] as string,
    );
    await moderator.request('participant.remove', { classroomId: fresh.classroomIds[0] as string });
    expect((await victim.closed).code).toBe(4003);
  });

  it('a classroom gets its question quota once, not once per instance', async () => {
    // Default limits: a burst of 3 questions. Alternating instances must not make it 6.
    const fresh = await seedEvent(a.url, { classrooms: 1, status: 'live' });
    const token = fresh.tokens.classrooms[0] as string;
    const onA = await TestClient.connect(a.url, fresh.eventId, token);
    const onB = await TestClient.connect(b.url, fresh.eventId, token);
    env.clients.push(onA, onB);
    const ask = async (client: TestClient, n: number) => {
      const r = await client.send('question.submit', {
        idempotencyKey: key(),
        text: `Question numéro ${n} : comment êtes-vous arrivé à ce métier ?`,
        category: 'training_path',
      });
      return r.ok ? 'stored' : r.error.code;
    };
    const outcomes = [];
    for (let n = 0; n < 4; n++) outcomes.push(await ask(n % 2 === 0 ? onA : onB, n));
    expect(outcomes).toEqual(['stored', 'stored', 'stored', 'RATE_LIMITED']);
    const rows = await env.db`select id from questions where event_id = ${fresh.eventId}`;
    expect(rows).toHaveLength(3);
  });

  it('a link gets its join quota once, not once per instance', async () => {
    // Default limits: a burst of 10 joins per link.
    const fresh = await seedEvent(a.url, { classrooms: 1 });
    const token = fresh.tokens.classrooms[0] as string;
    for (let i = 0; i < 10; i++)
      await (await TestClient.connect((i % 2 === 0 ? a : b).url, fresh.eventId, token)).close();
    const err = await refusal(TestClient.connect(b.url, fresh.eventId, token));
    expect([err.status, err.code]).toEqual([429, 'RATE_LIMITED']);
  });
});
