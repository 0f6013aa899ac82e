import { QuestionCategory, REQUEST_TYPES } from '@amphi/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AnyResponse, key, TestClient, useControlPlane } from './support/harness.ts';

// Generous limits: the fuzzer's messages must reach the parsers and handlers.
const env = useControlPlane({
  limits: {
    WS_MESSAGES_PER_SECOND: 100_000,
    WS_MESSAGE_BURST: 100_000,
    ABUSE_MAX_STRIKES: 1_000_000,
    QUESTION_BURST: 10_000,
  },
  seed: { classrooms: 2, status: 'live' },
});
// Production-like limits, small enough to hit in a test.
const strict = useControlPlane({
  limits: {
    WS_MESSAGES_PER_SECOND: 5,
    WS_MESSAGE_BURST: 10,
    ABUSE_MAX_STRIKES: 20,
    QUESTION_BURST: 2,
    QUESTION_RATE_PER_MINUTE: 1,
  },
  seed: { classrooms: 1, status: 'live' },
});

async function pingWorks(c: TestClient) {
  const r = await c.send('ping', {}, `ping-${key()}`);
  expect(r.ok).toBe(true);
}

describe('bad input gets a precise error and the socket stays usable', () => {
  it('malformed JSON, unknown types, wrong fields, binary and oversize messages', async () => {
    const c = await TestClient.connect(
      env.plane.url,
      env.ev.eventId,
      env.ev.tokens.classrooms[0] as string,
    );
    c.sendRaw('{"id": 1, "type": "ping"');
    expect(await c.nextUntagged()).toMatchObject({
      id: null,
      ok: false,
      error: { code: 'INVALID_JSON' },
    });
    await pingWorks(c);

    expect(await c.sendLoose({ id: 'u1', type: 'question.delete', data: {} })).toMatchObject({
      ok: false,
      error: { code: 'UNKNOWN_TYPE' },
    });
    expect(await c.sendLoose({ id: 'u2', type: '__proto__', data: {} })).toMatchObject({
      error: { code: 'UNKNOWN_TYPE' },
    });

    const wrong = await c.sendLoose({
      id: 'w1',
      type: 'question.submit',
      data: {
        idempotencyKey: key(),
        text: 'Une question ?',
        category: 'other',
        classroomId: env.ev.classroomIds[1],
      },
    });
    expect(wrong).toMatchObject({ id: 'w1', ok: false, error: { code: 'INVALID_MESSAGE' } });
    const envelope = await c.sendLoose({ id: 'w2', type: 'ping', data: {}, extra: true });
    expect(envelope).toMatchObject({ id: 'w2', ok: false, error: { code: 'INVALID_MESSAGE' } });

    c.sendRaw(Buffer.from([1, 2, 3]));
    expect(await c.nextUntagged()).toMatchObject({ error: { code: 'INVALID_MESSAGE' } });

    c.sendRaw(
      JSON.stringify({ id: 'big', type: 'question.submit', data: { text: 'x'.repeat(100_000) } }),
    );
    expect(await c.nextUntagged()).toMatchObject({
      id: null,
      error: { code: 'MESSAGE_TOO_LARGE' },
    });
    await pingWorks(c);
    const [row] =
      await env.db`select count(*)::int as n from questions where classroom_id = ${env.ev.classroomIds[0] as string}`;
    expect(row?.n).toBe(0);
    await c.close();
  });
});

describe('limits', () => {
  it('limits questions per classroom, but still answers a retry of a stored one', async () => {
    const c = await TestClient.connect(
      strict.plane.url,
      strict.ev.eventId,
      strict.ev.tokens.classrooms[0] as string,
    );
    const first = {
      idempotencyKey: key(),
      text: 'Première question ?',
      category: 'other',
    } as const;
    await c.request('question.submit', first);
    await c.request('question.submit', { ...first, idempotencyKey: key(), text: 'Deuxième ?' });
    expect(
      await c.errorOf('question.submit', { ...first, idempotencyKey: key(), text: 'Troisième ?' }),
    ).toBe('RATE_LIMITED');
    const retry = await c.request('question.submit', first);
    expect(retry.duplicate).toBe(true);
    const [row] =
      await strict.db`select count(*)::int as n from questions where event_id = ${strict.ev.eventId}`;
    expect(row?.n).toBe(2);
    await c.close();
  });

  it('answers a flood with RATE_LIMITED, then closes a socket that keeps abusing, with a reason', async () => {
    const c = await TestClient.connect(
      strict.plane.url,
      strict.ev.eventId,
      strict.ev.tokens.moderator,
    );
    const replies = await Promise.all(
      Array.from({ length: 15 }, (_, i) => c.send('ping', {}, `f${i}`)),
    );
    const codes = replies.map((r) => (r.ok ? 'OK' : r.error.code));
    expect(codes.filter((x) => x === 'OK').length).toBeGreaterThanOrEqual(10);
    expect(codes).toContain('RATE_LIMITED');
    // Persistent garbage: the server gives up on this socket.
    for (let i = 0; i < 40; i++) c.sendRaw('not json');
    const closed = await c.closed;
    expect(closed).toEqual({ code: 4008, reason: 'too many invalid or excessive messages' });
    // Others are unaffected.
    const other = await TestClient.connect(
      strict.plane.url,
      strict.ev.eventId,
      strict.ev.tokens.speaker,
    );
    await pingWorks(other);
    await other.close();
  });
});

describe('fuzzing', () => {
  const someUuid = fc.uuid({ version: 4 });
  const id = fc.oneof(
    fc.string({ maxLength: 70 }),
    fc.integer(),
    fc.constant(null),
    fc.double(),
    fc.object(),
  );
  const type = fc.oneof(
    fc.constantFrom(...REQUEST_TYPES),
    fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', ''),
    fc.string({ maxLength: 80 }),
  );
  const nearValidSubmit = fc.record(
    {
      idempotencyKey: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{8,64}$/), fc.string()),
      text: fc.oneof(fc.string({ minLength: 0, maxLength: 600 }), fc.constant('  ')),
      category: fc.oneof(fc.constantFrom(...QuestionCategory.options), fc.string()),
      classroomId: someUuid,
    },
    { requiredKeys: [] },
  );
  const data = fc.oneof(
    fc.anything(),
    nearValidSubmit,
    fc.record({
      questionId: fc.oneof(someUuid, fc.string()),
      action: fc.constantFrom('approve', 'reject', 'merge', 'pin'),
    }),
    fc.record(
      {
        direction: fc.constantFrom('send', 'recv', 'both'),
        accept: fc.boolean(),
        classroomId: someUuid,
      },
      { requiredKeys: [] },
    ),
  );
  // Well-formed submissions, some retried with a key already used.
  const validSubmit = fc
    .record({
      id: fc.nat(),
      idempotencyKey: fc.oneof(
        fc.constantFrom('retry-key-1', 'retry-key-2'),
        fc.stringMatching(/^[A-Za-z0-9]{8,20}$/),
      ),
      text: fc.string({ minLength: 3, maxLength: 300 }),
      category: fc.constantFrom(...QuestionCategory.options),
    })
    .map(({ id: reqId, ...d }) => JSON.stringify({ id: reqId, type: 'question.submit', data: d }));
  const message = fc.oneof(
    { weight: 1, arbitrary: validSubmit },
    {
      weight: 6,
      arbitrary: fc.record({ id, type, data }, { requiredKeys: [] }).map((m) => JSON.stringify(m)),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
    { weight: 1, arbitrary: fc.json() },
    { weight: 1, arbitrary: fc.anything().map((x) => JSON.stringify(x) ?? 'undefined') },
    {
      weight: 1,
      arbitrary: fc.constantFrom('x'.repeat(70_000), '{'.repeat(5000), '[]', 'null', '{"id":1}'),
    },
  );

  it('survives thousands of random and malformed messages, answers each exactly once, and writes nothing wrong', async () => {
    let sent = 0;
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(message, { minLength: 250, maxLength: 350 }), async (messages) => {
        const c = await TestClient.connect(
          env.plane.url,
          env.ev.eventId,
          env.ev.tokens.classrooms[1] as string,
        );
        const responses: AnyResponse[] = [];
        c.socket.on('message', (raw) => {
          const msg = JSON.parse(raw.toString()) as AnyResponse | { event: string };
          if (!('event' in msg)) responses.push(msg);
        });
        for (const m of messages) c.sendRaw(m);
        sent += messages.length;
        const deadline = Date.now() + 15_000;
        while (responses.length < messages.length && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 20));
        }
        // Exactly one response per message, and the server is still answering.
        expect(responses.length).toBe(messages.length);
        expect(responses.every((r) => r.ok || typeof r.error?.code === 'string')).toBe(true);
        accepted += responses.filter(
          (r) => r.ok && (r.result as { duplicate?: boolean } | null)?.duplicate === false,
        ).length;
        await pingWorks(c);
        await c.close();
      }),
      { numRuns: 10, seed: 20240617 },
    );
    expect(sent).toBeGreaterThanOrEqual(2500);
    expect(accepted).toBeGreaterThan(50);

    // Still up: a well-formed submission from another classroom works.
    const c = await TestClient.connect(
      env.plane.url,
      env.ev.eventId,
      env.ev.tokens.classrooms[0] as string,
    );
    const ok = await c.request('question.submit', {
      idempotencyKey: key(),
      text: 'Après la tempête ?',
      category: 'other',
    });
    expect(ok.question.status).toBe('pending');
    await c.close();

    // Nothing wrong written: only the fuzzing classroom's acknowledged questions, nothing moderated.
    const rows =
      await env.db`select classroom_id, status from questions where event_id = ${env.ev.eventId} and classroom_id = ${env.ev.classroomIds[1] as string}`;
    expect(rows.length).toBe(accepted);
    expect(rows.every((r) => r.status === 'pending')).toBe(true);
    const actions =
      await env.db`select count(*)::int as n from moderation_actions where event_id = ${env.ev.eventId}`;
    expect(actions[0]?.n).toBe(0);
    const stage =
      await env.db`select count(*)::int as n from stage where event_id = ${env.ev.eventId}`;
    expect(stage[0]?.n).toBe(0);
  }, 120_000);
});
