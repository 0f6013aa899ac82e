import {
  type ModerateQuestion,
  QUESTION_ACTIONS,
  type Question,
  type QuestionAction,
  QuestionList,
  QuestionStatus,
  questionTransition,
  type RestError,
} from '@amphi/protocol';
import { describe, expect, it } from 'vitest';
import { JoinTokens } from '../src/auth/JoinTokens.ts';
import {
  api,
  JOIN_SECRET,
  key,
  type SeededEvent,
  seedEvent,
  TestClient,
  useControlPlane,
} from './support/harness.ts';

const env = useControlPlane({
  // The transition-table test drives a few hundred moderator requests in a row.
  limits: { QUESTION_BURST: 50, WS_MESSAGES_PER_SECOND: 1000, WS_MESSAGE_BURST: 1000 },
  seed: { classrooms: 3, status: 'live' },
});

async function ask(c: TestClient, text: string, category: Question['category'] = 'job_reality') {
  return (await c.request('question.submit', { idempotencyKey: key(), text, category })).question;
}

describe('submitting questions', () => {
  it('writes the question to PostgreSQL before acknowledging it, and the moderator receives it', async () => {
    const moderator = await env.connect(env.ev.tokens.moderator);
    const classroom = await env.connect(env.ev.tokens.classrooms[0] as string);
    const res = await classroom.request('question.submit', {
      idempotencyKey: key(),
      text: '  Combien gagne une ingénieure du son ?  ',
      category: 'job_reality',
    });
    expect(res.duplicate).toBe(false);
    expect(res.question.status).toBe('pending');
    expect(res.question.text).toBe('Combien gagne une ingénieure du son ?');
    // Acknowledged means committed: the row is there as soon as the ack arrives.
    const rows =
      await env.db`select classroom_id, text, category, status from questions where id = ${res.question.id}`;
    expect(rows).toEqual([
      {
        classroom_id: env.ev.classroomIds[0],
        text: 'Combien gagne une ingénieure du son ?',
        category: 'job_reality',
        status: 'pending',
      },
    ]);
    const seen = await moderator.waitForEvent('question.created', (q) => q.id === res.question.id);
    expect(seen.classroomName).toMatch(/^4e A, Collège 0/);
    expect(seen.askedBeforeEvent).toBe(false);
  });

  it('returns the same question for a retry with the same idempotency key and stores one row', async () => {
    const classroom = await env.connect(env.ev.tokens.classrooms[1] as string);
    const idempotencyKey = key();
    const data = { idempotencyKey, text: 'Faut-il un bac S ?', category: 'training_path' } as const;
    const [a, b] = await Promise.all([
      classroom.request('question.submit', data),
      classroom.request('question.submit', data),
    ]);
    const c = await classroom.request('question.submit', data);
    expect(new Set([a.question.id, b.question.id, c.question.id]).size).toBe(1);
    expect([a.duplicate, b.duplicate].sort()).toEqual([false, true]);
    expect(c.duplicate).toBe(true);
    const rows = await env.db`select id from questions where idempotency_key = ${idempotencyKey}`;
    expect(rows.length).toBe(1);
  });

  it('refuses a classroom that tries to moderate or to read pending questions', async () => {
    const author = await env.connect(env.ev.tokens.classrooms[0] as string);
    const other = await env.connect(env.ev.tokens.classrooms[2] as string);
    const q = await ask(author, 'Quel est votre pire souvenir ?', 'human_side');
    expect(await other.errorOf('question.moderate', { action: 'approve', questionId: q.id })).toBe(
      'FORBIDDEN',
    );
    expect(await other.errorOf('question.reorder', { orderedQuestionIds: [q.id] })).toBe(
      'FORBIDDEN',
    );
    const [row] = await env.db`select status from questions where id = ${q.id}`;
    expect(row?.status).toBe('pending');
    // Another classroom does not see a pending question; its author does.
    const otherList = await other.request('question.list', {});
    expect(otherList.questions.map((x) => x.id)).not.toContain(q.id);
    const authorList = await author.request('question.list', {});
    expect(authorList.questions.map((x) => x.id)).toContain(q.id);
  });

  it('refuses categories outside the preparation material and empty text, with the field named', async () => {
    const classroom = await env.connect(env.ev.tokens.classrooms[0] as string);
    const r = await classroom.sendLoose({
      id: 'bad-1',
      type: 'question.submit',
      data: { idempotencyKey: key(), text: 'ok ok ok', category: 'salary' },
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('INVALID_MESSAGE');
    expect(r.error.message).toContain('data.category');
  });
});

describe('moderation', () => {
  it('speakers see approved questions in queue order and the one being answered', async () => {
    const moderator = await env.connect(env.ev.tokens.moderator);
    const speaker = await env.connect(env.ev.tokens.speaker);
    const c0 = await env.connect(env.ev.tokens.classrooms[0] as string);
    const c1 = await env.connect(env.ev.tokens.classrooms[1] as string);
    const q1 = await ask(c0, 'Comment êtes-vous devenue ingénieure ?', 'training_path');
    const q2 = await ask(c1, 'Travaillez-vous la nuit ?', 'job_reality');
    const q3 = await ask(c1, 'Quel matériel utilisez-vous ?', 'other');

    await moderator.request('question.moderate', { action: 'approve', questionId: q1.id });
    await moderator.request('question.moderate', { action: 'approve', questionId: q2.id });
    await moderator.request('question.moderate', { action: 'reject', questionId: q3.id });
    const approved = await speaker.waitForEvent(
      'question.updated',
      (q) => q.id === q2.id && q.status === 'approved',
    );
    expect(approved.text).toBe('Travaillez-vous la nuit ?');
    // The speaker never hears about the rejected question.
    expect(speaker.events.some((e) => JSON.stringify(e.data).includes(q3.id))).toBe(false);

    await moderator.request('question.reorder', { orderedQuestionIds: [q2.id, q1.id] });
    await moderator.request('question.moderate', { action: 'answering', questionId: q2.id });
    const list = (await speaker.request('question.list', {})).questions.filter((q) =>
      [q1.id, q2.id, q3.id].includes(q.id),
    );
    expect(list.map((q) => [q.id, q.status])).toEqual([
      [q2.id, 'answering'],
      [q1.id, 'approved'],
    ]);

    // Moving on: the previous one is marked answered.
    await moderator.request('question.moderate', { action: 'answering', questionId: q1.id });
    const rows =
      await env.db`select id, status from questions where id in (${q1.id}, ${q2.id}) order by status`;
    expect(rows.map((r) => [r.id, r.status])).toEqual([
      [q2.id, 'answered'],
      [q1.id, 'answering'],
    ]);
    const audit =
      await env.db`select action from moderation_actions where question_id = ${q2.id} order by id`;
    expect(audit.map((a) => a.action)).toEqual(['approve', 'answering']);
  });

  it('merges a duplicate into another question and carries its backers over', async () => {
    const moderator = await env.connect(env.ev.tokens.moderator);
    const c0 = await env.connect(env.ev.tokens.classrooms[0] as string);
    const c1 = await env.connect(env.ev.tokens.classrooms[1] as string);
    const target = await ask(c0, 'Quelles études pour ce métier ?', 'training_path');
    const dup = await ask(c1, 'Il faut faire quelles études ?', 'training_path');
    await moderator.request('question.moderate', { action: 'approve', questionId: target.id });
    const merged = await moderator.request('question.moderate', {
      action: 'merge',
      questionId: dup.id,
      intoQuestionId: target.id,
    });
    expect(merged.question.status).toBe('merged');
    expect(merged.question.mergedIntoId).toBe(target.id);
    const updatedTarget = await c1.waitForEvent(
      'question.updated',
      (q) => q.id === target.id && q.upvotes === 1,
    );
    expect(updatedTarget.status).toBe('approved');
    // The duplicate's classroom already backs the target: it cannot upvote it again.
    expect(await c1.errorOf('question.upvote', { questionId: target.id })).toBe('ALREADY_UPVOTED');
    expect(
      await moderator.errorOf('question.moderate', {
        action: 'merge',
        questionId: dup.id,
        intoQuestionId: target.id,
      }),
    ).toBe('INVALID_STATE');
  });

  it('edits and pins, and keeps the original text', async () => {
    const moderator = await env.connect(env.ev.tokens.moderator);
    const c2 = await env.connect(env.ev.tokens.classrooms[2] as string);
    const q = await ask(c2, 'vous aimez votre metier ???', 'human_side');
    const edited = await moderator.request('question.moderate', {
      action: 'edit',
      questionId: q.id,
      text: 'Aimez-vous votre métier ?',
    });
    expect(edited.question.text).toBe('Aimez-vous votre métier ?');
    await moderator.request('question.moderate', { action: 'approve', questionId: q.id });
    const pinned = await moderator.request('question.moderate', {
      action: 'pin',
      questionId: q.id,
      pinned: true,
    });
    expect(pinned.question.pinned).toBe(true);
    const [row] =
      await env.db`select text, original_text, pinned from questions where id = ${q.id}`;
    expect(row).toEqual({
      text: 'Aimez-vous votre métier ?',
      original_text: 'vous aimez votre metier ???',
      pinned: true,
    });
    // Pinned questions lead the queue (after the one being answered).
    const list = (await c2.request('question.list', {})).questions.filter(
      (x) => x.status !== 'answering',
    );
    expect(list[0]?.id).toBe(q.id);
  });

  it('counts one upvote per classroom and none on its own question', async () => {
    const moderator = await env.connect(env.ev.tokens.moderator);
    const c0 = await env.connect(env.ev.tokens.classrooms[0] as string);
    const c1 = await env.connect(env.ev.tokens.classrooms[1] as string);
    const q = await ask(c0, 'Quel est votre emploi du temps ?', 'job_reality');
    expect(await c1.errorOf('question.upvote', { questionId: q.id })).toBe('NOT_FOUND'); // still pending
    await moderator.request('question.moderate', { action: 'approve', questionId: q.id });
    expect((await c1.request('question.upvote', { questionId: q.id })).question.upvotes).toBe(1);
    expect(await c1.errorOf('question.upvote', { questionId: q.id })).toBe('ALREADY_UPVOTED');
    expect(await c0.errorOf('question.upvote', { questionId: q.id })).toBe('FORBIDDEN');
    const [row] =
      await env.db`select upvotes, (select count(*)::int from question_upvotes where question_id = ${q.id}) as n from questions where id = ${q.id}`;
    expect(row).toEqual({ upvotes: 1, n: 1 });
  });

  it('refuses transitions that make no sense', async () => {
    const moderator = await env.connect(env.ev.tokens.moderator);
    const c0 = await env.connect(env.ev.tokens.classrooms[0] as string);
    const q = await ask(c0, 'Question à rejeter ?', 'other');
    await moderator.request('question.moderate', { action: 'reject', questionId: q.id });
    expect(
      await moderator.errorOf('question.moderate', { action: 'answering', questionId: q.id }),
    ).toBe('INVALID_STATE');
    expect(
      await moderator.errorOf('question.moderate', {
        action: 'pin',
        questionId: q.id,
        pinned: true,
      }),
    ).toBe('INVALID_STATE');
    expect(
      await moderator.errorOf('question.moderate', {
        action: 'approve',
        questionId: '00000000-0000-4000-8000-000000000000',
      }),
    ).toBe('NOT_FOUND');
  });
});

describe('before the event', () => {
  it('takes questions through the registration link, marked as asked before the event', async () => {
    const fresh = await seedEvent(env.plane.url, { classrooms: 1 });
    const body = {
      idempotencyKey: key(),
      text: 'Comment se passe une journée type ?',
      category: 'job_reality',
    };
    const register = (token: string | undefined) =>
      api<{ question: Question; duplicate: boolean } & Partial<RestError>>(
        env.plane.url,
        'POST',
        '/api/v1/registration/questions',
        body,
        token,
      );
    const first = await register(fresh.tokens.classrooms[0]);
    expect([first.status, first.body.duplicate]).toEqual([201, false]);
    expect(first.body.question.askedBeforeEvent).toBe(true);
    // The same key again (a retry): the same question, said to be one.
    const retry = await register(fresh.tokens.classrooms[0]);
    expect([retry.status, retry.body.duplicate]).toEqual([200, true]);
    expect(retry.body.question.id).toBe(first.body.question.id);
    const moderatorOnly = await register(fresh.tokens.moderator);
    expect([moderatorOnly.status, moderatorOnly.body.error?.code]).toEqual([403, 'FORBIDDEN']);
    // The moderator finds it in the queue when the event starts.
    const moderator = await TestClient.connect(
      env.plane.url,
      fresh.eventId,
      fresh.tokens.moderator,
    );
    env.clients.push(moderator);
    const joined = await moderator.request('join', {});
    expect(joined.state.questions.map((q) => q.id)).toEqual([first.body.question.id]);
    expect(joined.routerRtpCapabilities).toBeNull();
  });

  it('closes the queue when the event is over', async () => {
    const fresh = await seedEvent(env.plane.url, { classrooms: 1, status: 'live' });
    const c = await TestClient.connect(
      env.plane.url,
      fresh.eventId,
      fresh.tokens.classrooms[0] as string,
    );
    env.clients.push(c);
    await api(env.plane.url, 'POST', `/api/v1/events/${fresh.eventId}/status`, { status: 'ended' });
    await c.waitForEvent('event.updated', (e) => e.status === 'ended');
    expect(
      await c.errorOf('question.submit', {
        idempotencyKey: key(),
        text: 'Trop tard ?',
        category: 'other',
      }),
    ).toBe('EVENT_CLOSED');
    const [row] =
      await env.db`select count(*)::int as n from questions where event_id = ${fresh.eventId}`;
    expect(row?.n).toBe(0);
  });
});

describe('the class reads its own questions after the event', () => {
  const DAY = 24 * 3600_000;
  const connect = async (ev: SeededEvent, token: string) => {
    const c = await TestClient.connect(env.plane.url, ev.eventId, token);
    env.clients.push(c);
    return c;
  };
  const read = (token: string | null) =>
    api<{ questions: Question[] } | { error: { code: string } }>(
      env.plane.url,
      'GET',
      '/api/v1/registration/questions',
      undefined,
      token,
    );
  const codeOf = (r: { body: unknown }) => (r.body as { error?: { code?: string } }).error?.code;
  /** The classroom's link as it was issued `daysAgo` days ago, valid for an hour then. */
  const oldLink = async (ev: SeededEvent, classroomId: string, daysAgo: number) =>
    (
      await new JoinTokens(JOIN_SECRET, () => Date.now() - daysAgo * DAY).issue(
        { role: 'classroom', eventId: ev.eventId, classroomId, speakerId: null, name: '4e A' },
        3600,
      )
    ).token;

  it("lists only this classroom's questions with their status once the event has ended", async () => {
    const ev = await seedEvent(env.plane.url, { classrooms: 2, status: 'live' });
    const [tokenA, tokenB] = ev.tokens.classrooms as [string, string];
    const a = await connect(ev, tokenA);
    const b = await connect(ev, tokenB);
    const moderator = await connect(ev, ev.tokens.moderator);
    const first = await ask(a, 'Travaillez-vous le week-end ?');
    const second = await ask(a, 'Quel logiciel utilisez-vous ?', 'training_path');
    const other = await ask(b, 'Avez-vous eu peur au début ?', 'human_side');
    await moderator.request('question.moderate', { action: 'approve', questionId: first.id });
    await moderator.request('question.moderate', { action: 'answering', questionId: first.id });
    await moderator.request('question.moderate', { action: 'answered', questionId: first.id });
    const ended = await api(env.plane.url, 'POST', `/api/v1/events/${ev.eventId}/status`, {
      status: 'ended',
    });
    expect(ended.status).toBeLessThan(300);

    const mine = await read(tokenA);
    expect(mine.status).toBe(200);
    const list = QuestionList.parse(mine.body).questions;
    expect(list.map((q) => [q.id, q.status, q.text])).toEqual([
      [first.id, 'answered', 'Travaillez-vous le week-end ?'],
      [second.id, 'pending', 'Quel logiciel utilisez-vous ?'],
    ]);
    expect(list.every((q) => q.classroomId === ev.classroomIds[0])).toBe(true);
    const theirs = QuestionList.parse((await read(tokenB)).body).questions;
    expect(theirs.map((q) => q.id)).toEqual([other.id]);

    const anonymous = await read(null);
    expect([anonymous.status, codeOf(anonymous)]).toEqual([401, 'UNAUTHORIZED']);
    const asModerator = await read(ev.tokens.moderator);
    expect([asModerator.status, codeOf(asModerator)]).toEqual([403, 'FORBIDDEN']);
  });

  it('still answers the next day with the expired link, after a removal, merged ones included', async () => {
    const ev = await seedEvent(env.plane.url, { classrooms: 2, status: 'live' });
    const [tokenA, tokenB] = ev.tokens.classrooms as [string, string];
    const classroomA = ev.classroomIds[0] as string;
    const a = await connect(ev, tokenA);
    const b = await connect(ev, tokenB);
    const moderator = await connect(ev, ev.tokens.moderator);
    const mine = await ask(a, 'Combien de temps dure une formation ?', 'training_path');
    const theirs = await ask(b, 'Quelle formation avez-vous suivie ?', 'training_path');
    await moderator.request('question.moderate', { action: 'approve', questionId: theirs.id });
    await moderator.request('question.moderate', {
      action: 'merge',
      questionId: mine.id,
      intoQuestionId: theirs.id,
    });
    await moderator.request('participant.remove', { classroomId: classroomA });
    await a.closed;

    // Removed from the event, the class still reads its own text.
    const removed = QuestionList.parse((await read(tokenA)).body).questions;
    expect(removed.map((q) => [q.id, q.status, q.mergedIntoId])).toEqual([
      [mine.id, 'merged', theirs.id],
    ]);
    // An expired link does not read an event that is still on: that wants a new link.
    const yesterday = await oldLink(ev, classroomA, 1);
    const early = await read(yesterday);
    expect([early.status, codeOf(early)]).toEqual([401, 'TOKEN_EXPIRED']);

    await api(env.plane.url, 'POST', `/api/v1/events/${ev.eventId}/status`, { status: 'ended' });
    const nextDay = await read(yesterday);
    expect(nextDay.status).toBe(200);
    expect(QuestionList.parse(nextDay.body).questions.map((q) => q.id)).toEqual([mine.id]);
    // Not for ever: a link expired for more than a school term is refused.
    const tooOld = await read(await oldLink(ev, classroomA, 100));
    expect([tooOld.status, codeOf(tooOld)]).toEqual([401, 'TOKEN_EXPIRED']);
    // Writing still wants a valid link and an open event.
    const late = await api(
      env.plane.url,
      'POST',
      '/api/v1/registration/questions',
      { idempotencyKey: key(), text: 'Encore une ?', category: 'other' },
      yesterday,
    );
    expect([late.status, codeOf(late)]).toEqual([401, 'TOKEN_EXPIRED']);
  });
});

describe("the server follows protocol's transition table", () => {
  it('accepts exactly what the table allows, for every state × action, from a moderator and a speaker', async () => {
    const ev = await seedEvent(env.plane.url, { classrooms: 3, status: 'live' });
    const moderator = await TestClient.connect(env.plane.url, ev.eventId, ev.tokens.moderator);
    const speaker = await TestClient.connect(env.plane.url, ev.eventId, ev.tokens.speaker);
    const classes = await Promise.all(
      ev.tokens.classrooms.map((t) => TestClient.connect(env.plane.url, ev.eventId, t)),
    );
    let asked = 0;
    const fresh = () => ask(classes[asked++ % classes.length] as TestClient, `Question ${asked} ?`);
    const moderate = (data: ModerateQuestion) => moderator.request('question.moderate', data);
    const target = await fresh();
    await moderate({ action: 'approve', questionId: target.id });
    /** A new question brought to the given state by the moderator. */
    const inState = async (status: QuestionStatus): Promise<Question> => {
      const q = await fresh();
      const questionId = q.id;
      if (status === 'rejected') await moderate({ action: 'reject', questionId });
      if (status === 'merged') {
        await moderate({ action: 'merge', questionId, intoQuestionId: target.id });
      }
      if (status === 'approved' || status === 'answering' || status === 'answered') {
        await moderate({ action: 'approve', questionId });
      }
      if (status === 'answering' || status === 'answered') {
        await moderate({ action: status, questionId });
      }
      return q;
    };
    const data = (action: QuestionAction, questionId: string): ModerateQuestion => {
      switch (action) {
        case 'merge':
          return { action, questionId, intoQuestionId: target.id };
        case 'edit':
          return { action, questionId, text: 'Une question reformulée ?' };
        case 'pin':
          return { action, questionId, pinned: true };
        default:
          return { action, questionId };
      }
    };
    const mismatches: string[] = [];
    for (const status of QuestionStatus.options) {
      for (const action of QUESTION_ACTIONS) {
        for (const [role, client] of [
          ['moderator', moderator],
          ['speaker', speaker],
        ] as const) {
          const q = await inState(status);
          const want = questionTransition(status, action, role);
          const got = await client.send('question.moderate', data(action, q.id));
          const seen = got.ok
            ? (got.result as { question: Question }).question.status
            : got.error.code;
          const expected = want.ok ? want.next : want.code;
          if (seen !== expected) mismatches.push(`${role} ${action} on ${status}: ${seen}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
    // What the console used to offer and the server refused.
    const pending = await fresh();
    expect(
      await moderator.errorOf('question.moderate', {
        action: 'pin',
        questionId: pending.id,
        pinned: true,
      }),
    ).toBe('INVALID_STATE');
    for (const c of [moderator, speaker, ...classes]) await c.close();
  });
});
