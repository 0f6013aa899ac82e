import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import pino from 'pino';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectDatabase } from '../src/db/Database.ts';
import { createLogger, type Logger } from '../src/logger.ts';
import { PrivacyStore, PURGE_LOCK_KEY } from '../src/privacy/PrivacyStore.ts';
import { RetentionJob } from '../src/privacy/RetentionJob.ts';
import { QuestionStore } from '../src/questions/QuestionStore.ts';
import type { ControlPlane, ControlPlaneOptions } from '../src/server.ts';
import { api, createTestDatabase, startInstance, TestClient } from './support/harness.ts';

const DAY = 86_400_000;
const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
type Err = { error: { code: string; message: string } };

let databaseUrl: string;
let db: postgres.Sql;
const planes: ControlPlane[] = [];

function start(more: Partial<ControlPlaneOptions> = {}): Promise<ControlPlane> {
  return startInstance({ databaseUrl, log, more: { databasePoolSize: 4, ...more } }).then((p) => {
    planes.push(p);
    return p;
  });
}

beforeAll(async () => {
  databaseUrl = await createTestDatabase();
  db = postgres(databaseUrl, { max: 4, onnotice: () => {} });
  await start();
});
afterAll(async () => {
  for (const p of planes) await p.close();
  await db?.end();
});

async function ok<T>(p: Promise<{ status: number; body: unknown }>): Promise<T> {
  const r = await p;
  if (r.status >= 300) throw new Error(`HTTP ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body as T;
}

interface PastEvent {
  eventId: string;
  classroomIds: [string, string];
  studentIds: [string, string];
  questionIds: string[];
}

/**
 * An event whose scheduled end was `endedDaysAgo` days ago, as the apps leave
 * it: two enrolled classes, a pupil registered in each, questions asked by both
 * (one edited by the moderator, so its original text differs), moderated and
 * answered, then the event marked `status`.
 */
async function pastEvent(
  endedDaysAgo: number,
  status: 'ended' | 'live' | 'cancelled' = 'ended',
): Promise<PastEvent> {
  const base = planes[0]?.url as string;
  const speaker = await ok<{ id: string }>(
    api(base, 'POST', '/api/v1/speakers', {
      name: 'Inès Haddad',
      job: 'Ingénieure du son',
      organisation: 'Studio Lumière',
    }),
  );
  const event = await ok<{ id: string }>(
    api(base, 'POST', '/api/v1/events', {
      title: `Métiers du son ${endedDaysAgo} j`,
      format: 'solo_45',
      startsAt: new Date(Date.now() - endedDaysAgo * DAY - 45 * 60_000).toISOString(),
      speakerIds: [speaker.id],
    }),
  );
  const school = await ok<{ id: string }>(
    api(base, 'POST', '/api/v1/schools', {
      name: 'Collège Jean Moulin',
      town: 'Albi',
      academie: 'Toulouse',
      region: 'Occitanie',
    }),
  );
  const classroomIds: string[] = [];
  for (const label of ['4e A', '4e B']) {
    const c = await ok<{ id: string }>(
      api(base, 'POST', '/api/v1/classrooms', { schoolId: school.id, label, level: '4e' }),
    );
    classroomIds.push(c.id);
  }
  await ok(api(base, 'POST', `/api/v1/events/${event.id}/enrolments/classrooms`, { classroomIds }));
  const studentIds: string[] = [];
  for (const [i, name] of ['Léa Martin', 'Yanis Benali'].entries()) {
    const s = await ok<{ id: string }>(
      api(base, 'POST', `/api/v1/events/${event.id}/enrolments/students`, {
        displayName: name,
        level: '4e',
        schoolId: school.id,
        classroomId: classroomIds[i],
      }),
    );
    studentIds.push(s.id);
  }
  // Through the real store: the rows, original texts and audit log the server writes.
  const store = new QuestionStore(planes[0]?.sql as ControlPlane['sql']);
  const questionIds: string[] = [];
  for (const [i, classroomId] of classroomIds.entries()) {
    for (const text of [`Je m'appelle Léa, comment devient-on ingénieure ? (${i})`, 'Salaire ?']) {
      const { question } = await store.submit(
        event.id,
        { id: classroomId, displayName: `4e ${i}` },
        { idempotencyKey: randomUUID(), text, category: 'training_path' },
      );
      questionIds.push(question.id);
    }
  }
  const moderator = { role: 'moderator' as const, name: 'Nadia Morel', classroomId: null };
  const [q0, , q2, q3] = questionIds as [string, string, string, string];
  await store.moderate(event.id, moderator, {
    action: 'edit',
    questionId: q0,
    text: 'Comment devient-on ingénieure du son ?',
  });
  await store.moderate(event.id, moderator, { action: 'approve', questionId: q0 });
  await store.moderate(event.id, moderator, { action: 'answering', questionId: q0 });
  await store.moderate(event.id, moderator, { action: 'answered', questionId: q0 });
  await store.moderate(event.id, moderator, { action: 'reject', questionId: q2 });
  await store.moderate(event.id, moderator, { action: 'approve', questionId: q3 });
  await ok(api(base, 'POST', `/api/v1/events/${event.id}/status`, { status }));
  return {
    eventId: event.id,
    classroomIds: classroomIds as [string, string],
    studentIds: studentIds as [string, string],
    questionIds,
  };
}

/** What an operator or a data-protection officer would find of the event in the database. */
async function personalData(eventId: string) {
  const questions = await db<{ text: string; originalText: string; status: string }[]>`
    select text, original_text as "originalText", status from questions
    where event_id = ${eventId} order by created_at, id`;
  const students = await db<{ displayName: string }[]>`
    select display_name as "displayName" from student_enrolments
    where event_id = ${eventId} order by enrolled_at, id`;
  const moderation = await db<{ actorName: string; action: string }[]>`
    select actor_name as "actorName", action from moderation_actions
    where event_id = ${eventId} order by id`;
  return { questions, students, moderation };
}

function expectIntact(data: Awaited<ReturnType<typeof personalData>>) {
  expect(data.questions).toHaveLength(4);
  expect(data.questions[0]?.text).toBe('Comment devient-on ingénieure du son ?');
  expect(data.questions[0]?.originalText).toMatch(/^Je m'appelle Léa/);
  expect(data.students.map((s) => s.displayName)).toEqual(['Léa Martin', 'Yanis Benali']);
  expect(data.moderation.every((m) => m.actorName === 'Nadia Morel')).toBe(true);
}

function expectErased(data: Awaited<ReturnType<typeof personalData>>) {
  // Rows stay, so "questions asked / answered per event" can still be counted.
  expect(data.questions.map((q) => q.status)).toEqual([
    'answered',
    'pending',
    'rejected',
    'approved',
  ]);
  expect(data.questions.every((q) => q.text === '' && q.originalText === '')).toBe(true);
  expect(data.students).toHaveLength(2);
  expect(data.students.every((s) => s.displayName === '')).toBe(true);
  expect(data.moderation).toHaveLength(6);
  expect(data.moderation.every((m) => m.actorName === '')).toBe(true);
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('retention', () => {
  it('a control-api that starts erases the personal data of events over 90 days old, and only those', async () => {
    const old = await pastEvent(91);
    const oldNeverEnded = await pastEvent(91, 'live');
    const recent = await pastEvent(89);
    expectIntact(await personalData(old.eventId));

    // Question payloads on the bus stream: one from 2 hours ago, one now.
    const namespace = `t-${randomUUID()}`;
    const redis = new Redis(inject('redisUrl'));
    const streamKey = `${namespace}:bus:stream`;
    await redis.xadd(streamKey, `${Date.now() - 2 * 3600_000}-0`, 'm', '{"old":true}');
    await redis.xadd(streamKey, '*', 'm', '{"new":true}');
    // The operators' audit log: who signed in from where, 91 and 89 days ago.
    for (const days of [91, 89]) {
      await db`insert into operator_audit (actor_label, action, details, created_at)
               values (${`op${days}@example.org`}, 'sign_in', ${db.json({ ip: '192.0.2.7' })},
                       now() - ${days} * interval '1 day')`;
    }

    await start({
      retention: { RETENTION_DAYS: 90, BUS_STREAM_RETENTION_MINUTES: 60 },
      redisUrl: inject('redisUrl'),
      redisNamespace: namespace,
    });
    await until('the purge at start', async () => {
      const [row] = await db`select count(*)::int as n from questions
                             where event_id = ${old.eventId} and text = ''`;
      return row?.n === 4 && (await redis.xlen(streamKey)) === 1;
    });
    expectErased(await personalData(old.eventId));
    expectErased(await personalData(oldNeverEnded.eventId));
    expectIntact(await personalData(recent.eventId));
    const audit = await db`select actor_label from operator_audit where action = 'sign_in'`;
    expect(audit.map((r) => r.actor_label)).toEqual(['op89@example.org']);
    const entries = await redis.xrange(streamKey, '-', '+');
    expect(entries.map(([, fields]) => fields[1])).toEqual(['{"new":true}']);
    redis.disconnect();
  });
});

describe('erasure on request (operator)', () => {
  it("erases one class's questions and pupils in an event, and nothing of the other class", async () => {
    const ev = await pastEvent(10);
    const base = planes[0]?.url as string;
    const [erasedClass] = ev.classroomIds;
    const r = await api<{ questions: number; studentEnrolments: number }>(
      base,
      'DELETE',
      `/api/v1/events/${ev.eventId}/classrooms/${erasedClass}/personal-data`,
    );
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ questions: 2, studentEnrolments: 1 });
    const data = await personalData(ev.eventId);
    expect(data.questions.map((q) => q.text)).toEqual([
      '',
      '',
      "Je m'appelle Léa, comment devient-on ingénieure ? (1)",
      'Salaire ?',
    ]);
    expect(data.students.map((s) => s.displayName)).toEqual(['', 'Yanis Benali']);
  });

  it("erases one pupil's name", async () => {
    const ev = await pastEvent(10);
    const base = planes[0]?.url as string;
    const r = await api(
      base,
      'DELETE',
      `/api/v1/events/${ev.eventId}/enrolments/students/${ev.studentIds[1]}`,
    );
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ studentEnrolments: 1, questions: 0 });
    const data = await personalData(ev.eventId);
    expect(data.students.map((s) => s.displayName)).toEqual(['Léa Martin', '']);
  });

  it("erases a whole event's personal data", async () => {
    const ev = await pastEvent(10);
    const base = planes[0]?.url as string;
    const r = await api(base, 'DELETE', `/api/v1/events/${ev.eventId}/personal-data`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ questions: 4, studentEnrolments: 2, moderationActions: 6 });
    expectErased(await personalData(ev.eventId));
  });
});

describe('retention purge between instances', () => {
  it('two purges at once erase everything due exactly once', async () => {
    const events = [await pastEvent(95), await pastEvent(120)];
    // Enough rows that the two purges overlap: 5,000 more questions in each event.
    for (const ev of events) {
      await db`
        insert into questions (id, event_id, classroom_id, idempotency_key, text, original_text, category)
        select gen_random_uuid(), ${ev.eventId}, ${ev.classroomIds[0]}, 'k' || i,
               'Question ' || i, 'Question ' || i, 'other'
        from generate_series(1, 5000) i`;
    }
    const pools = [
      connectDatabase(databaseUrl, { max: 2 }),
      connectDatabase(databaseUrl, { max: 2 }),
    ];
    try {
      const results = await Promise.all(pools.map((sql) => new PrivacyStore(sql).purgeExpired(90)));
      const done = results.filter((r) => r !== null);
      expect(done.length).toBeGreaterThanOrEqual(1);
      const sum = (k: 'events' | 'questions' | 'studentEnrolments' | 'moderationActions') =>
        done.reduce((n, r) => n + r[k], 0);
      expect(sum('events')).toBe(2);
      expect(sum('questions')).toBe(2 * 5004);
      expect(sum('studentEnrolments')).toBe(4);
      expect(sum('moderationActions')).toBe(12);
      for (const ev of events) {
        const [left] = await db`select count(*)::int as n from questions
                                where event_id = ${ev.eventId} and (text <> '' or original_text <> '')`;
        expect(left?.n).toBe(0);
      }
    } finally {
      await Promise.all(pools.map((sql) => sql.end()));
    }
  });

  it('a purge finds the lock held by another instance and leaves the work to it', async () => {
    const ev = await pastEvent(100);
    const sql = connectDatabase(databaseUrl, { max: 2 });
    try {
      let release: () => void = () => {};
      const held = new Promise<void>((r) => {
        release = r;
      });
      let locked: () => void = () => {};
      const isLocked = new Promise<void>((r) => {
        locked = r;
      });
      const holder = db.begin(async (tx) => {
        await tx`select pg_advisory_xact_lock(${PURGE_LOCK_KEY})`;
        locked();
        await held;
      });
      await isLocked;
      expect(await new PrivacyStore(sql).purgeExpired(90)).toBeNull();
      expectIntact(await personalData(ev.eventId));
      release();
      await holder;
      expect(await new PrivacyStore(sql).purgeExpired(90)).toMatchObject({ events: 1 });
      expectErased(await personalData(ev.eventId));
    } finally {
      await sql.end();
    }
  });
});

describe('erasure on request: refusals', () => {
  const unknown = '00000000-0000-4000-8000-0000000000aa';

  it('answers 401 without the operator credential, and erases nothing', async () => {
    const ev = await pastEvent(10);
    const base = planes[0]?.url as string;
    for (const path of [
      `/api/v1/events/${ev.eventId}/personal-data`,
      `/api/v1/events/${ev.eventId}/classrooms/${ev.classroomIds[0]}/personal-data`,
      `/api/v1/events/${ev.eventId}/enrolments/students/${ev.studentIds[0]}`,
    ]) {
      const none = await api<Err>(base, 'DELETE', path, undefined, null);
      expect([none.status, none.body.error.code]).toEqual([401, 'UNAUTHORIZED']);
      const wrong = await api<Err>(base, 'DELETE', path, undefined, 'not-the-operator-token');
      expect([wrong.status, wrong.body.error.code]).toEqual([401, 'UNAUTHORIZED']);
    }
    expectIntact(await personalData(ev.eventId));
  });

  it('answers 400 for ids that are not ids, naming the parameter', async () => {
    const base = planes[0]?.url as string;
    const r = await api<Err & { error: { details: { path: string }[] } }>(
      base,
      'DELETE',
      `/api/v1/events/${unknown}/classrooms/42/personal-data`,
    );
    expect([r.status, r.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(r.body.error.details[0]?.path).toBe('params.classroomId');
  });

  it('answers 404 for an unknown event, classroom, pupil, or a class with nothing in the event', async () => {
    const ev = await pastEvent(10);
    const base = planes[0]?.url as string;
    const other = await pastEvent(10);
    const cases: [string, RegExp][] = [
      [`/api/v1/events/${unknown}/personal-data`, /no event/],
      [`/api/v1/events/${ev.eventId}/classrooms/${unknown}/personal-data`, /no classroom/],
      [
        `/api/v1/events/${ev.eventId}/classrooms/${other.classroomIds[0]}/personal-data`,
        /has no data in event/,
      ],
      [`/api/v1/events/${ev.eventId}/enrolments/students/${unknown}`, /no pupil enrolment/],
      // A pupil of another event is not found through this one.
      [`/api/v1/events/${ev.eventId}/enrolments/students/${other.studentIds[0]}`, /no pupil/],
    ];
    for (const [path, message] of cases) {
      const r = await api<Err>(base, 'DELETE', path);
      expect([path, r.status, r.body.error.code]).toEqual([path, 404, 'NOT_FOUND']);
      expect(r.body.error.message).toMatch(message);
    }
    expectIntact(await personalData(ev.eventId));
    expectIntact(await personalData(other.eventId));
  });

  it('refuses to empty the queue of a live event (409), but erases a pupil of it', async () => {
    const ev = await pastEvent(0, 'live');
    const base = planes[0]?.url as string;
    for (const path of [
      `/api/v1/events/${ev.eventId}/personal-data`,
      `/api/v1/events/${ev.eventId}/classrooms/${ev.classroomIds[0]}/personal-data`,
    ]) {
      const r = await api<Err>(base, 'DELETE', path);
      expect([r.status, r.body.error.code]).toEqual([409, 'INVALID_STATE']);
    }
    expect((await personalData(ev.eventId)).questions[0]?.text).toMatch(/^Comment/);
    const pupil = await api(
      base,
      'DELETE',
      `/api/v1/events/${ev.eventId}/enrolments/students/${ev.studentIds[0]}`,
    );
    expect(pupil.status).toBe(200);
  });

  it('a text written after an erasure (a moderator edits the blank question) is erased again', async () => {
    const ev = await pastEvent(10, 'cancelled');
    const base = planes[0]?.url as string;
    const classPath = `/api/v1/events/${ev.eventId}/classrooms/${ev.classroomIds[0]}/personal-data`;
    expect((await api(base, 'DELETE', classPath)).body).toMatchObject({ questions: 2 });
    const store = new QuestionStore(planes[0]?.sql as ControlPlane['sql']);
    await store.moderate(
      ev.eventId,
      { role: 'moderator', name: 'Nadia Morel', classroomId: null },
      { action: 'edit', questionId: ev.questionIds[1] as string, text: 'Texte réécrit après coup' },
    );
    const r = await api(base, 'DELETE', `/api/v1/events/${ev.eventId}/personal-data`);
    // The rewritten one and the other class's two; the class's other question stays erased.
    expect(r.body).toMatchObject({ questions: 3 });
    expect((await personalData(ev.eventId)).questions.every((q) => q.text === '')).toBe(true);
  });

  it('a repeated erasure succeeds and counts nothing twice', async () => {
    const ev = await pastEvent(10);
    const base = planes[0]?.url as string;
    const path = `/api/v1/events/${ev.eventId}/personal-data`;
    expect((await api(base, 'DELETE', path)).body).toMatchObject({ questions: 4 });
    const again = await api(base, 'DELETE', path);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ questions: 0, studentEnrolments: 0, moderationActions: 0 });
  });
});

describe('retention job', () => {
  it('a bus stream that cannot be trimmed (Redis away) holds back neither the purge nor shutdown', async () => {
    const ev = await pastEvent(93);
    const sql = connectDatabase(databaseUrl, { max: 2 });
    const lines: { msg: string; events?: number }[] = [];
    const sink = {
      child: () => sink,
      info: (o: { events?: number }, msg: string) => lines.push({ ...o, msg }),
      warn: (_o: unknown, msg: string) => lines.push({ msg }),
      debug: () => {},
    } as unknown as Logger;
    const settings = {
      RETENTION_DAYS: 90,
      RETENTION_PURGE_INTERVAL_MINUTES: 60,
      BUS_STREAM_RETENTION_MINUTES: 60,
    };
    try {
      const failing = new RetentionJob({
        store: new PrivacyStore(sql),
        settings,
        trimStream: () => Promise.reject(new Error("Stream isn't writeable")),
        log: sink,
      });
      const run = await failing.runOnce();
      expect(run).toMatchObject({ purged: { events: 1, questions: 4 }, streamEntries: 0 });
      expectErased(await personalData(ev.eventId));
      expect(lines.map((l) => l.msg)).toEqual([
        'bus stream trim failed; next run retries',
        'personal data past retention erased',
      ]);
      // A trim left waiting on Redis: closing the job does not wait for it.
      let trimming: () => void = () => {};
      const trimCalled = new Promise<void>((r) => {
        trimming = r;
      });
      const hanging = new RetentionJob({
        store: new PrivacyStore(sql),
        settings,
        trimStream: () => {
          trimming();
          return new Promise<number>(() => {});
        },
        log: sink,
      });
      hanging.start();
      await trimCalled;
      const started = Date.now();
      await hanging.close();
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      await sql.end();
    }
  });

  it('the erasure endpoints are in the OpenAPI document', async () => {
    const r = await api<{ paths: Record<string, Record<string, unknown>> }>(
      planes[0]?.url as string,
      'GET',
      '/api/openapi.json',
    );
    expect(Object.keys(r.body.paths).filter((p) => /personal-data|students\/\{/.test(p))).toEqual([
      '/api/v1/events/{eventId}/personal-data',
      '/api/v1/events/{eventId}/classrooms/{classroomId}/personal-data',
      '/api/v1/events/{eventId}/enrolments/students/{enrolmentId}',
    ]);
  });
});

describe('logs', () => {
  it('at info level, a question asked and moderated leaves neither its text nor a name in the logs', async () => {
    let written = '';
    const out = new Writable({
      write(chunk, _enc, done) {
        written += chunk.toString();
        done();
      },
    });
    const plane = await start({ log: pino({ level: 'info' }, out) });
    const ev = await pastEvent(0, 'live');
    const link = async (body: unknown) =>
      (
        await ok<{ token: string }>(
          api(plane.url, 'POST', `/api/v1/events/${ev.eventId}/join-links`, body),
        )
      ).token;
    const classroom = await TestClient.connect(
      plane.url,
      ev.eventId,
      await link({ role: 'classroom', classroomId: ev.classroomIds[0] }),
    );
    const moderator = await TestClient.connect(
      plane.url,
      ev.eventId,
      await link({ role: 'moderator', name: 'Nadia Morel' }),
    );
    try {
      const { question } = await classroom.request('question.submit', {
        idempotencyKey: randomUUID(),
        text: "Je m'appelle Zoé Lefebvre : combien gagne une ingénieure du son ?",
        category: 'job_reality',
      });
      await moderator.request('question.moderate', {
        action: 'edit',
        questionId: question.id,
        text: 'Combien gagne une ingénieure du son ?',
      });
      await moderator.request('question.moderate', { action: 'approve', questionId: question.id });
    } finally {
      await classroom.close();
      await moderator.close();
    }
    expect(written).toMatch(/question submitted/);
    for (const personal of ['Zoé', 'Lefebvre', 'ingénieure du son ?', 'Nadia', 'Morel']) {
      expect(written).not.toContain(personal);
    }
  });
});
