import type { Socket } from 'node:net';
import { applyUpvotes, type Presence, type Question } from '@amphi/protocol';
import { beforeAll, describe, expect, it } from 'vitest';
import { key, type TestClient, useControlPlane } from './support/harness.ts';

// Hundreds of classrooms on one real server: an upvote storm, a classroom
// that stops reading, presence for the moderator. What each client shows is
// rebuilt from what it was pushed, with protocol's appliers, as the apps do.

const CLASSROOMS = 300;
const env = useControlPlane({
  limits: { QUESTION_BURST: 50, QUESTION_RATE_PER_MINUTE: 1000 },
  seed: { classrooms: CLASSROOMS, status: 'live' },
});

let classrooms: TestClient[] = [];
let moderator: TestClient;

beforeAll(async () => {
  moderator = await env.connect(env.ev.tokens.moderator);
  classrooms = [];
  for (let i = 0; i < CLASSROOMS; i += 50) {
    classrooms.push(
      ...(await Promise.all(env.ev.tokens.classrooms.slice(i, i + 50).map((t) => env.connect(t)))),
    );
  }
}, 120_000);

const LONG =
  'Comment êtes-vous devenue ingénieure du son, et que conseillez-vous à une classe de quatrième qui voudrait suivre ce chemin ? '
    .repeat(4)
    .slice(0, 480);

async function approvedQuestion(author: TestClient, text: string): Promise<Question> {
  const { question } = await author.request('question.submit', {
    idempotencyKey: key(),
    text,
    category: 'training_path',
  });
  return (
    await moderator.request('question.moderate', { action: 'approve', questionId: question.id })
  ).question;
}

/** The question as this client shows it: the last one pushed whole, then the counts pushed after it. */
function shown(c: TestClient, questionId: string): Question | undefined {
  let q: Question | undefined;
  for (const e of c.events) {
    if (e.event === 'question.updated' && (e.data as Question).id === questionId) {
      q = e.data as Question;
    } else if (e.event === 'questions.upvoted' && q) {
      q = applyUpvotes(
        [q],
        (e.data as { upvotes: { questionId: string; upvotes: number }[] }).upvotes,
      )[0];
    }
  }
  return q;
}

async function until(check: () => boolean, timeoutMs: number): Promise<number> {
  const start = performance.now();
  while (!check()) {
    if (performance.now() - start > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return performance.now() - start;
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number;
};

describe('live updates to hundreds of classrooms', () => {
  it(`${CLASSROOMS} classrooms upvote one question within a second: prompt answers, every classroom shows the final count, one upvote each stored`, async () => {
    const author = classrooms[0] as TestClient;
    const q = await approvedQuestion(author, 'Quel est votre meilleur souvenir de tournage ?');
    await until(() => classrooms.every((c) => shown(c, q.id)?.status === 'approved'), 10_000);
    const countPushes = (c: TestClient) =>
      c.events.filter(
        (e) =>
          (e.event === 'question.updated' && (e.data as Question).id === q.id) ||
          e.event === 'questions.upvoted',
      ).length;
    const pushesBefore = classrooms.map(countPushes);

    const acks: number[] = [];
    const voters = classrooms.slice(1);
    await Promise.all(
      voters.map(async (c) => {
        await new Promise((r) => setTimeout(r, Math.random() * 1000));
        const t0 = performance.now();
        const r = await c.send('question.upvote', { questionId: q.id });
        acks.push(performance.now() - t0);
        expect(r.ok).toBe(true);
      }),
    );
    const converged = await until(
      () => classrooms.every((c) => shown(c, q.id)?.upvotes === voters.length),
      5_000,
    );
    const p99 = percentile(acks, 99);
    console.info(
      `upvote storm: ${voters.length} acks p50 ${percentile(acks, 50).toFixed(0)} ms, p99 ${p99.toFixed(0)} ms, max ${Math.max(...acks).toFixed(0)} ms; every classroom shows ${voters.length} ${converged.toFixed(0)} ms after the last answer`,
    );

    // An answer does not wait for the others to be told: before, each upvote was
    // pushed to every classroom first (300 × 300 pushes; answers came after seconds).
    expect(p99).toBeLessThan(250);
    expect(converged).toBeLessThan(1000);
    // A few gathered pushes per classroom for the whole storm, not one per upvote.
    const pushes = classrooms.map((c, i) => countPushes(c) - (pushesBefore[i] as number));
    expect(Math.max(...pushes)).toBeLessThanOrEqual(12);
    const [row] = await env.db`select upvotes,
        (select count(*)::int from question_upvotes where question_id = ${q.id}) as rows
        from questions where id = ${q.id}`;
    expect(row).toEqual({ upvotes: voters.length, rows: voters.length });
  });

  it('a classroom that stops reading is held the current counts, not every upvote, and shows them once it reads again', async () => {
    const author = classrooms[0] as TestClient;
    const questions: Question[] = [];
    for (let i = 0; i < 5; i++) questions.push(await approvedQuestion(author, `${LONG} (${i})`));
    const slow = classrooms[CLASSROOMS - 1] as TestClient;
    await until(() => questions.every((q) => shown(slow, q.id)), 10_000);
    // It stops reading: what the server sends it waits in the socket's buffers.
    const tcp = (slow.socket as unknown as { _socket: Socket })._socket;
    tcp.pause();
    let bytesAfter = 0;
    let reading = false;
    slow.socket.on('message', (raw: Buffer) => {
      if (reading) bytesAfter += raw.length;
    });

    const voters = classrooms.slice(1, CLASSROOMS - 1);
    await Promise.all(
      voters.map(async (c) => {
        for (const q of questions) {
          await new Promise((r) => setTimeout(r, Math.random() * 300));
          expect((await c.send('question.upvote', { questionId: q.id })).ok).toBe(true);
        }
      }),
    );
    await new Promise((r) => setTimeout(r, 500));
    reading = true;
    tcp.resume();
    await until(() => questions.every((q) => shown(slow, q.id)?.upvotes === voters.length), 1_000);
    console.info(
      `slow classroom: ${voters.length * questions.length} upvotes while it did not read; ${(bytesAfter / 1024).toFixed(1)} KiB were waiting for it`,
    );
    // Before: each upvote pushed its question whole (~800 bytes), 1,490 of them: over 1 MB.
    expect(bytesAfter).toBeLessThan(64 * 1024);
  });

  it('tells the moderator what changed in presence, not the whole presence per change', async () => {
    const late = await env.connect(env.ev.tokens.moderator);
    const joined = await late.request('join', {});
    const snapshot = joined.state.presence as Presence;
    expect(snapshot.counts.classroom).toBe(CLASSROOMS);
    const full = JSON.stringify(snapshot).length;
    const from = late.events.length;
    // Some classrooms come and go, one reports a weak connection.
    await (classrooms[5] as TestClient).request('presence.quality', { quality: 'bad' });
    for (const i of [10, 11, 12]) await (classrooms[i] as TestClient).close();
    const back = await env.connect(env.ev.tokens.classrooms[10] as string);
    classrooms[10] = back;
    const now = await late.waitForPresence(
      (p) =>
        p.counts.classroom === CLASSROOMS - 2 &&
        p.participants.some((x) => x.classroomId === env.ev.classroomIds[5] && x.quality === 'bad'),
      5_000,
      snapshot,
    );
    const pushes = late.events
      .slice(from)
      .filter((e) => e.event === 'presence.updated' || e.event === 'presence.changed');
    const sizes = pushes.map((e) => JSON.stringify(e.data).length);
    console.info(
      `presence: snapshot ${(full / 1024).toFixed(1)} KiB, then ${pushes.length} pushes of ${sizes.join(', ')} bytes`,
    );
    // Before: the whole presence of ~300 participants (tens of kilobytes) per change.
    expect(full).toBeGreaterThan(30_000);
    expect(pushes.every((e) => e.event === 'presence.changed')).toBe(true);
    expect(Math.max(...sizes)).toBeLessThan(3_000);
    // The snapshot kept by the changes is the presence as the server has it.
    const server = await late.request('presence.get', {});
    const ids = (p: Presence) =>
      p.participants.map((x) => `${x.participantId}:${x.quality}`).sort();
    expect(now.counts).toEqual(server.counts);
    expect(now.classroomsByRegion).toEqual(server.classroomsByRegion);
    expect(ids(now)).toEqual(ids(server));
  });
});
