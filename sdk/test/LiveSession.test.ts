import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { LiveSession, type LiveSnapshot, ownHandRaised } from '../src/index.ts';
import { EVENT_ID, StandInServer } from './support/standInServer.ts';

let server: StandInServer | null = null;
const sessions: LiveSession[] = [];
afterEach(() => {
  for (const s of sessions.splice(0)) s.close();
  server?.close();
  server = null;
});

async function start(): Promise<{ server: StandInServer; session: LiveSession }> {
  server = await StandInServer.start();
  const session = new LiveSession({
    baseUrl: server.baseUrl,
    eventId: EVENT_ID,
    token: 'tok',
    media: false,
    signaling: {
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
      backoff: { initialMs: 20, maxMs: 100 },
      heartbeatMs: 50,
      heartbeatTimeoutMs: 150,
    },
  });
  sessions.push(session);
  await session.connect();
  return { server, session };
}

/** Resolves with the first snapshot that satisfies `check` (now or on a later change). */
function until(session: LiveSession, check: (s: LiveSnapshot) => boolean): Promise<LiveSnapshot> {
  if (check(session.snapshot)) return Promise.resolve(session.snapshot);
  return new Promise((resolve) => {
    const off = session.on('change', (s) => {
      if (check(s)) {
        off();
        resolve(s);
      }
    });
  });
}

describe('LiveSession', () => {
  it('queues a question asked while the line is down and sends it once on reconnection, with its key', async () => {
    const { server, session } = await start();
    server.cut();
    await until(session, (s) => s.link.status === 'reconnecting');

    const asked = await session.ask('Comment devient-on ingénieur du son ?', 'training_path');
    expect(asked.status).toBe('queued');
    expect(session.snapshot.outbox.map((e) => e.status)).toEqual(['queued']);
    // Nothing reached the server, and nothing failed.
    await new Promise((r) => setTimeout(r, 200));
    expect(server.submits).toHaveLength(0);
    expect(session.snapshot.outbox[0]?.status).toBe('queued');

    server.restore();
    const sent = await until(session, (s) => s.outbox[0]?.status === 'sent');
    expect(server.submits).toEqual([
      { idempotencyKey: asked.key, text: 'Comment devient-on ingénieur du son ?' },
    ]);
    const question = sent.outbox[0]?.question;
    expect(question?.text).toBe('Comment devient-on ingénieur du son ?');
    expect(sent.view?.questions.map((q) => q.id)).toEqual([question?.id]);
  });

  it('sends again, under the same key, a question whose answer was lost with the line: stored once', async () => {
    const { server, session } = await start();
    server.loseNextSubmitAnswer = true;
    const asked = await session.ask('Quel diplôme faut-il ?', 'training_path');
    // The server stored it but the answer went with the line: the question waits for the line.
    expect(asked.status).toBe('queued');
    server.restore();
    const sent = await until(session, (s) => s.outbox[0]?.status === 'sent');
    expect(server.submits.map((s) => s.idempotencyKey)).toEqual([asked.key, asked.key]);
    expect(server.stored.size).toBe(1);
    expect(sent.view?.questions).toHaveLength(1);
  });

  it('notices within the heartbeat timeout a server that stopped answering, and counts its retries', async () => {
    const { server, session } = await start();
    server.answerPings = false;
    const quietAt = Date.now();
    await until(session, (s) => s.link.status === 'reconnecting');
    expect(Date.now() - quietAt).toBeLessThan(400);
    server.cut();
    const tries = await until(session, (s) => s.link.attempt >= 3);
    expect(tries.link.status).toBe('reconnecting');
  });

  it('tells a refused question with its code and does not send it again', async () => {
    const { server, session } = await start();
    const refused = await session.ask('refuse me', 'other');
    expect(refused.status).toBe('failed');
    expect(refused.error?.code).toBe('VALIDATION_FAILED');
    const sent = await session.ask('Et après le bac ?', 'training_path');
    expect(sent.status).toBe('sent');
    expect(server.submits.map((s) => s.text)).toEqual(['refuse me', 'Et après le bac ?']);
  });

  it('applies pushes and answers to the view; an upvote already given is remembered', async () => {
    const { server, session } = await start();
    await session.setHand(true);
    expect(ownHandRaised(session.view ?? never())).toBe(true);
    await session.setHand(false);
    expect(ownHandRaised(session.view ?? never())).toBe(false);
    await session.upvote('7f0b8a52-7b1c-4b55-9a57-0d5d7f0c0a99');
    expect([...session.snapshot.upvoted]).toEqual(['7f0b8a52-7b1c-4b55-9a57-0d5d7f0c0a99']);
    server.push('event.updated', { eventId: EVENT_ID, status: 'ended' });
    await until(session, (s) => s.view?.event.status === 'ended');
  });

  it('closes for good: says so, and sends nothing afterwards', async () => {
    const { server, session } = await start();
    let closed = 0;
    session.on('close', () => closed++);
    session.close();
    session.close();
    expect([session.closed, session.snapshot.closed, closed]).toEqual([true, true, 1]);
    expect(session.signaling.status).toBe('closed');
    expect((await session.ask('Encore là ?', 'other')).status).toBe('failed');
    expect(server.submits).toHaveLength(0);
  });
});

function never(): never {
  throw new Error('no view');
}
