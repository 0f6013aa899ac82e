import { beforeAll, describe, expect, it } from 'vitest';
import { JoinTokens } from '../src/auth/JoinTokens.ts';
import {
  api,
  createTestDatabase,
  JOIN_SECRET,
  refusal,
  type SeededEvent,
  seedEvent,
  startInstance,
  TestClient,
  useControlPlane,
} from './support/harness.ts';

const env = useControlPlane();
let a: SeededEvent;
let b: SeededEvent;

beforeAll(async () => {
  a = await seedEvent(env.plane.url, { classrooms: 2 });
  b = await seedEvent(env.plane.url, { classrooms: 1 });
});

describe('joining with a token', () => {
  it('greets an authenticated classroom with who it is', async () => {
    const c = await TestClient.connect(env.plane.url, a.eventId, a.tokens.classrooms[0] as string);
    const welcome = c.eventsOf('welcome')[0];
    expect(welcome?.protocolVersion).toBe(1);
    expect(welcome?.self).toMatchObject({
      role: 'classroom',
      eventId: a.eventId,
      classroomId: a.classroomIds[0],
    });
    await c.close();
  });

  it("refuses event A's token on event B", async () => {
    const err = await refusal(TestClient.connect(env.plane.url, b.eventId, a.tokens.moderator));
    expect(err.status).toBe(403);
    expect(err.code).toBe('WRONG_EVENT');
  });

  it('refuses a missing, tampered or expired token', async () => {
    const ws = (token: string) =>
      TestClient.connectUrl(TestClient.url(env.plane.url, a.eventId, token));
    const missing = await refusal(
      TestClient.connectUrl(`${env.plane.url.replace('http', 'ws')}/v1/events/${a.eventId}/ws`),
    );
    expect([missing.status, missing.code]).toEqual([401, 'UNAUTHORIZED']);

    // A classroom token edited into a moderator token: the signature no longer matches.
    const [header, payload, sig] = (a.tokens.classrooms[0] as string).split('.');
    const claims = JSON.parse(Buffer.from(payload as string, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, role: 'moderator' })).toString(
      'base64url',
    );
    const tampered = await refusal(ws(`${header}.${forged}.${sig}`));
    expect([tampered.status, tampered.code]).toEqual([401, 'TOKEN_INVALID']);

    const past = new JoinTokens(JOIN_SECRET, () => Date.now() - 7200_000);
    const { token } = await past.issue(
      { role: 'moderator', eventId: a.eventId, classroomId: null, speakerId: null, name: 'Old' },
      60,
    );
    const expired = await refusal(ws(token));
    expect([expired.status, expired.code]).toEqual([401, 'TOKEN_EXPIRED']);

    const otherSecret = new JoinTokens('another-secret-another-secret-another-secret');
    const foreign = await otherSecret.issue(
      { role: 'moderator', eventId: a.eventId, classroomId: null, speakerId: null, name: 'X' },
      600,
    );
    expect((await refusal(ws(foreign.token))).code).toBe('TOKEN_INVALID');
  });

  it('refuses an unknown protocol version', async () => {
    const err = await refusal(
      TestClient.connectUrl(TestClient.url(env.plane.url, a.eventId, a.tokens.moderator, 99)),
    );
    expect([err.status, err.code]).toEqual([400, 'PROTOCOL_VERSION_UNSUPPORTED']);
  });

  it('refuses a classroom that is no longer enrolled or was removed', async () => {
    const moderator = await TestClient.connect(env.plane.url, a.eventId, a.tokens.moderator);
    const victim = await TestClient.connect(
      env.plane.url,
      a.eventId,
      a.tokens.classrooms[1] as string,
    );
    await moderator.request('participant.remove', { classroomId: a.classroomIds[1] as string });
    const closed = await victim.closed;
    expect(closed).toEqual({ code: 4003, reason: 'removed by a moderator' });
    const again = await refusal(
      TestClient.connect(env.plane.url, a.eventId, a.tokens.classrooms[1] as string),
    );
    expect([again.status, again.code]).toEqual([403, 'FORBIDDEN']);
    await moderator.close();
  });

  it('limits how often one link can join', async () => {
    const limited = await startInstance({
      databaseUrl: await createTestDatabase(),
      limits: { JOIN_BURST: 2, JOIN_RATE_PER_MINUTE: 1 },
    });
    try {
      const ev = await seedEvent(limited.url, { classrooms: 1 });
      const token = ev.tokens.classrooms[0] as string;
      for (let i = 0; i < 2; i++)
        await (await TestClient.connect(limited.url, ev.eventId, token)).close();
      const err = await refusal(TestClient.connect(limited.url, ev.eventId, token));
      expect([err.status, err.code]).toEqual([429, 'RATE_LIMITED']);
      // Another classroom's link is not affected.
      const mod = await TestClient.connect(limited.url, ev.eventId, ev.tokens.moderator);
      await mod.close();
    } finally {
      await limited.close();
    }
  });
});

describe('role checks on every message', () => {
  it('a speaker cannot moderate, submit or read presence; a moderator cannot submit or raise a hand', async () => {
    const speaker = await TestClient.connect(env.plane.url, a.eventId, a.tokens.speaker);
    const moderator = await TestClient.connect(env.plane.url, a.eventId, a.tokens.moderator);
    const someId = '00000000-0000-4000-8000-000000000000';
    expect(
      await speaker.errorOf('question.moderate', { action: 'approve', questionId: someId }),
    ).toBe('FORBIDDEN');
    expect(
      await speaker.errorOf('question.submit', {
        idempotencyKey: 'abcdefgh12',
        text: 'Hello?',
        category: 'other',
      }),
    ).toBe('FORBIDDEN');
    expect(await speaker.errorOf('presence.get', {})).toBe('FORBIDDEN');
    expect(
      await moderator.errorOf('question.submit', {
        idempotencyKey: 'abcdefgh12',
        text: 'Hello?',
        category: 'other',
      }),
    ).toBe('FORBIDDEN');
    expect(await moderator.errorOf('hand.raise', {})).toBe('FORBIDDEN');
    const presence = await moderator.request('presence.get', {});
    expect(presence.counts).toEqual({ speaker: 1, moderator: 1, classroom: 0 });
    await speaker.close();
    await moderator.close();
  });

  it('a speaker marks the question it is answering, and moderates nothing else', async () => {
    const ev = await seedEvent(env.plane.url, { classrooms: 1 });
    const speaker = await TestClient.connect(env.plane.url, ev.eventId, ev.tokens.speaker);
    const moderator = await TestClient.connect(env.plane.url, ev.eventId, ev.tokens.moderator);
    const classroom = await TestClient.connect(
      env.plane.url,
      ev.eventId,
      ev.tokens.classrooms[0] as string,
    );
    const ask = async (text: string) =>
      (
        await classroom.request('question.submit', {
          idempotencyKey: `k${text.length}abcdefgh`,
          text,
          category: 'job_reality',
        })
      ).question;
    const first = await ask('Travaillez-vous la nuit ?');
    const second = await ask('Quel est votre matériel préféré ?');
    for (const q of [first, second]) {
      await moderator.request('question.moderate', { action: 'approve', questionId: q.id });
    }
    expect(
      await speaker.errorOf('question.moderate', { action: 'reject', questionId: first.id }),
    ).toBe('FORBIDDEN');
    expect(
      await speaker.errorOf('question.moderate', {
        action: 'pin',
        questionId: first.id,
        pinned: true,
      }),
    ).toBe('FORBIDDEN');

    const answering = await speaker.request('question.moderate', {
      action: 'answering',
      questionId: first.id,
    });
    expect(answering.question.status).toBe('answering');
    // The class that asked sees it taken now, and the moderator too.
    await classroom.waitForEvent(
      'question.updated',
      (q) => q.id === first.id && q.status === 'answering',
    );
    await moderator.waitForEvent(
      'question.updated',
      (q) => q.id === first.id && q.status === 'answering',
    );
    // Taking the next one closes the previous.
    await speaker.request('question.moderate', { action: 'answering', questionId: second.id });
    await speaker.request('question.moderate', { action: 'answered', questionId: second.id });
    const rows =
      await env.db`select id, status from questions where event_id = ${ev.eventId} order by created_at`;
    expect(rows.map((r) => r.status)).toEqual(['answered', 'answered']);
    const audit =
      await env.db`select action, actor_role from moderation_actions where question_id = ${second.id} order by id`;
    expect(audit.map((r) => [r.action, r.actor_role])).toEqual([
      ['approve', 'moderator'],
      ['answering', 'speaker'],
      ['answered', 'speaker'],
    ]);
    for (const c of [speaker, moderator, classroom]) await c.close();
  });

  it('gives moderators presence per role and classrooms per region', async () => {
    const ev = await seedEvent(env.plane.url, { classrooms: 3 });
    const moderator = await TestClient.connect(env.plane.url, ev.eventId, ev.tokens.moderator);
    const cs = await Promise.all(
      ev.tokens.classrooms.map((t) => TestClient.connect(env.plane.url, ev.eventId, t)),
    );
    const p = await moderator.waitForPresence((x) => x.counts.classroom === 3);
    expect(p.classroomsByRegion).toEqual({ Occitanie: 1, Guadeloupe: 1, Bretagne: 1 });
    expect(
      p.participants
        .filter((x) => x.role === 'classroom')
        .map((x) => x.classroomId)
        .sort(),
    ).toEqual([...ev.classroomIds].sort());
    // A classroom gets no presence at all.
    const joined = await (cs[0] as TestClient).request('join', {});
    expect(joined.state.presence).toBeNull();
    // Each client tells how its connection is; the moderator sees which class struggles.
    expect(p.participants.every((x) => x.quality === null)).toBe(true);
    await (cs[1] as TestClient).request('presence.quality', { quality: 'bad' });
    await (cs[2] as TestClient).request('presence.quality', { quality: 'good' });
    const rated = await moderator.waitForPresence((x) =>
      x.participants.some((y) => y.quality === 'good'),
    );
    const qualityOf = (i: number) =>
      rated.participants.find((y) => y.classroomId === ev.classroomIds[i])?.quality;
    expect([qualityOf(0), qualityOf(1), qualityOf(2)]).toEqual([null, 'bad', 'good']);
    expect(
      await (cs[1] as TestClient).errorOf('presence.quality', { quality: 'excellent' } as never),
    ).toBe('INVALID_MESSAGE');
    await (cs[0] as TestClient).close();
    const after = await moderator.waitForPresence((x) => x.counts.classroom === 2);
    expect(Object.values(after.classroomsByRegion).reduce((s, n) => s + n, 0)).toBe(2);
    for (const c of cs) await c.close();
    await moderator.close();
  });
});

describe('REST for operators', () => {
  it('needs the operator credential', async () => {
    const none = await api(env.plane.url, 'GET', '/api/v1/events', undefined, null);
    expect(none.status).toBe(401);
    expect((none.body as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
    const wrong = await api(
      env.plane.url,
      'GET',
      '/api/v1/events',
      undefined,
      'nope-nope-nope-nope',
    );
    expect(wrong.status).toBe(401);
    const joinTokenIsNotOperator = await api(
      env.plane.url,
      'GET',
      '/api/v1/events',
      undefined,
      a.tokens.moderator,
    );
    expect(joinTokenIsNotOperator.status).toBe(401);
  });
});
