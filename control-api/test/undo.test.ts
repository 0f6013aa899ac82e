import type { Question } from '@amphi/protocol';
import { describe, expect, it } from 'vitest';
import { key, refusal, seedEvent, TestClient, useControlPlane } from './support/harness.ts';

// The moderator's way back: a triage decision reopened or unmerged (the
// console's undo), a removed classroom reinstated.

const env = useControlPlane({ seed: { classrooms: 3, status: 'live' } });

async function ask(c: TestClient, text: string): Promise<Question> {
  return (
    await c.request('question.submit', { idempotencyKey: key(), text, category: 'job_reality' })
  ).question;
}

describe('taking a triage decision back', () => {
  it('reopens a rejected and an approved question: pending again, unpinned, out of the queue', async () => {
    const moderator = await env.connect(env.ev.tokens.moderator);
    const speaker = await env.connect(env.ev.tokens.speaker);
    const c0 = await env.connect(env.ev.tokens.classrooms[0] as string);
    const rejected = await ask(c0, 'Une question rejetée par erreur ?');
    const approved = await ask(c0, 'Une question approuvée trop vite ?');
    await moderator.request('question.moderate', { action: 'reject', questionId: rejected.id });
    await moderator.request('question.moderate', { action: 'approve', questionId: approved.id });
    await moderator.request('question.moderate', {
      action: 'pin',
      questionId: approved.id,
      pinned: true,
    });

    const back = await moderator.request('question.moderate', {
      action: 'reopen',
      questionId: rejected.id,
    });
    expect(back.question.status).toBe('pending');
    const again = await moderator.request('question.moderate', {
      action: 'reopen',
      questionId: approved.id,
    });
    expect([again.question.status, again.question.pinned, again.question.rank]).toEqual([
      'pending',
      false,
      null,
    ]);
    // The speaker's queue loses it; the class sees its own question pending again.
    await speaker.waitForEvent('question.removed', (d) => d.questionId === approved.id);
    await c0.waitForEvent(
      'question.updated',
      (q) => q.id === approved.id && q.status === 'pending',
    );
    // Written to the moderation log like every action.
    const audit = await env.db<{ action: string }[]>`
      select action from moderation_actions where question_id = ${approved.id} order by id`;
    expect(audit.map((a) => a.action)).toEqual(['approve', 'pin', 'reopen']);
    // Only moderators take it back; an answered question stays answered.
    expect(
      await speaker.errorOf('question.moderate', { action: 'reopen', questionId: rejected.id }),
    ).toBe('FORBIDDEN');
    expect(
      await c0.errorOf('question.moderate', { action: 'reopen', questionId: rejected.id }),
    ).toBe('FORBIDDEN');
    await moderator.request('question.moderate', { action: 'approve', questionId: approved.id });
    await moderator.request('question.moderate', { action: 'answered', questionId: approved.id });
    expect(
      await moderator.errorOf('question.moderate', { action: 'reopen', questionId: approved.id }),
    ).toBe('INVALID_STATE');
  });

  it('unmerges: the question is pending again and the target loses only the backers the merge brought', async () => {
    const moderator = await env.connect(env.ev.tokens.moderator);
    const [c0, c1, c2] = (await Promise.all(
      env.ev.tokens.classrooms.map((t) => env.connect(t)),
    )) as [TestClient, TestClient, TestClient];
    const target = await ask(c0, 'Quelles études pour devenir ingénieure du son ?');
    const dup = await ask(c1, 'Il faut faire quelles études ?');
    await moderator.request('question.moderate', { action: 'approve', questionId: target.id });
    // Class 2 backed the target on its own before the merge: that upvote stays.
    await c2.request('question.upvote', { questionId: target.id });
    await moderator.request('question.moderate', {
      action: 'merge',
      questionId: dup.id,
      intoQuestionId: target.id,
    });
    await c0.waitForEvent('question.updated', (q) => q.id === target.id && q.upvotes === 2);

    const back = await moderator.request('question.moderate', {
      action: 'unmerge',
      questionId: dup.id,
    });
    expect([back.question.status, back.question.mergedIntoId]).toEqual(['pending', null]);
    const targetNow = await c0.waitForEvent(
      'question.updated',
      (q) => q.id === target.id && q.upvotes === 1,
    );
    expect(targetNow.status).toBe('approved');
    const backers = await env.db<{ classroom_id: string }[]>`
      select classroom_id from question_upvotes where question_id = ${target.id}`;
    expect(backers.map((b) => b.classroom_id)).toEqual([env.ev.classroomIds[2]]);
    // Class 1 may back the target again by itself now.
    await c1.request('question.upvote', { questionId: target.id });
    expect(
      await moderator.errorOf('question.moderate', { action: 'unmerge', questionId: dup.id }),
    ).toBe('INVALID_STATE');
  });
});

describe('reinstating a removed classroom', () => {
  it('lets the classroom back in, lists the removed ones, logs it; only moderators may', async () => {
    const ev = await seedEvent(env.plane.url, { classrooms: 2, status: 'live' });
    const url = env.plane.url;
    const moderator = await TestClient.connect(url, ev.eventId, ev.tokens.moderator);
    const speaker = await TestClient.connect(url, ev.eventId, ev.tokens.speaker);
    const [idA, idB] = ev.classroomIds as [string, string];
    const [tokenA, tokenB] = ev.tokens.classrooms as [string, string];
    const a = await TestClient.connect(url, ev.eventId, tokenA);
    const b = await TestClient.connect(url, ev.eventId, tokenB);
    expect(await moderator.request('participant.removed', {})).toEqual({ classrooms: [] });

    await moderator.request('participant.remove', { classroomId: idA });
    expect((await a.closed).code).toBe(4003);
    const refused = await refusal(TestClient.connect(url, ev.eventId, tokenA));
    expect([refused.status, refused.code]).toEqual([403, 'FORBIDDEN']);
    const { classrooms } = await moderator.request('participant.removed', {});
    expect(classrooms.map((c) => [c.classroomId, c.name])).toEqual([
      [idA, expect.stringMatching(/^4e A, Collège 0/)],
    ]);

    // Speakers and classrooms cannot reinstate, nor list.
    for (const other of [speaker, b]) {
      expect(await other.errorOf('participant.reinstate', { classroomId: idA })).toBe('FORBIDDEN');
      expect(await other.errorOf('participant.removed', {})).toBe('FORBIDDEN');
    }
    // A classroom that was not removed is not reinstated.
    expect(await moderator.errorOf('participant.reinstate', { classroomId: idB })).toBe(
      'NOT_FOUND',
    );

    await moderator.request('participant.reinstate', { classroomId: idA });
    expect(await moderator.request('participant.removed', {})).toEqual({ classrooms: [] });
    // The same link joins again, and may ask.
    const back = await TestClient.connect(url, ev.eventId, tokenA);
    const joined = await back.request('join', {});
    expect(joined.self.classroomId).toBe(idA);
    await ask(back, 'On peut revenir ?');
    const audit = await env.db<{ action: string; actor_name: string }[]>`
      select action, actor_name from moderation_actions
      where event_id = ${ev.eventId} and classroom_id = ${idA} and question_id is null order by id`;
    expect(audit).toEqual([
      { action: 'remove_classroom', actor_name: 'Nadia' },
      { action: 'reinstate_classroom', actor_name: 'Nadia' },
    ]);
    for (const c of [moderator, speaker, b, back]) await c.close();
  });
});
