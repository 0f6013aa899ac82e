import type { Socket } from 'node:net';
import { CloseCode } from '@amphi/protocol';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlane } from '../src/server.ts';
import { TestClient, useControlPlane } from './support/harness.ts';
import { RecordingMediaNode } from './support/RecordingMediaNode.ts';

// A class's line blinks: its client opens a new socket, which the balancer
// sends to the other instance, while the first instance still holds the old
// socket (half dead: no close ever came, its silence timeout not reached).
// The new socket resumes the same participant; the old instance must hear of
// it at once and end its stale socket (4012) without touching the media or
// the stage, so that moderators see the class once, not twice until the old
// socket's 5 s silence timeout.

const media = new RecordingMediaNode();
const env = useControlPlane({ instances: 2, media, seed: { classrooms: 1, status: 'live' } });
let a: ControlPlane;
let b: ControlPlane;
beforeAll(() => {
  [a, b] = env.planes as [ControlPlane, ControlPlane];
});

/** Longest a moderator may see the resumed class twice (the old socket's timeout: 5 s). */
const SHORT_BOUND_MS = 1_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The raw TCP socket under a test client's WebSocket. */
function tcp(client: TestClient): Socket {
  return (client.socket as unknown as { _socket: Socket })._socket;
}

describe('a class resumed on another instance', () => {
  it('is listed once by the moderators within a short bound; its old socket is closed 4012 and its media untouched', async () => {
    const token = env.ev.tokens.classrooms[0] as string;
    const moderators = [await env.connect(env.ev.tokens.moderator, a)];
    moderators.push(await env.connect(env.ev.tokens.moderator, b));
    for (const m of moderators) await m.request('join', {});

    const old = await env.connect(token, a);
    const resumeToken = (await old.request('join', {})).resume?.token as string;
    // Both moderators list the class (B from A's presence snapshot) before its line blinks.
    for (const m of moderators) {
      await expect
        .poll(async () => (await m.request('presence.get', {})).counts.classroom, { timeout: 5000 })
        .toBe(1);
    }
    // The line goes silent: the client reads nothing and answers nothing, no close.
    tcp(old).pause();

    const url = `${TestClient.url(b.url, env.ev.eventId, token)}&resume=${encodeURIComponent(resumeToken)}`;
    const resumed = await TestClient.connectUrl(url);
    env.clients.push(resumed);
    const resumedAt = Date.now();
    await resumed.request('join', {});
    const { participantId } = (old.eventsOf('welcome')[0] as { self: { participantId: string } })
      .self;
    // The token resumed the same participant.
    expect(resumed.eventsOf('welcome')[0]?.self.participantId).toBe(participantId);
    const callsBefore = media.calls.length;

    // What each moderator is shown, every 50 ms over twice the bound.
    let lastTwiceMs = -1;
    const twice = new Set<number>();
    while (Date.now() - resumedAt < SHORT_BOUND_MS * 2.5) {
      const seen = await Promise.all(moderators.map((m) => m.request('presence.get', {})));
      seen.forEach((presence, i) => {
        const listed = presence.participants.filter((p) => p.role === 'classroom').length;
        if (listed > 1 || presence.counts.classroom > 1) {
          lastTwiceMs = Date.now() - resumedAt;
          twice.add(i);
        }
      });
      await sleep(50);
    }
    console.log(
      `a class resumed on the other instance was listed twice until ${lastTwiceMs} ms after its resume (moderators ${[...twice].join(', ') || 'none'})`,
    );
    expect(lastTwiceMs).toBeLessThan(SHORT_BOUND_MS);
    for (const m of moderators) {
      const presence = await m.request('presence.get', {});
      expect(presence.participants.filter((p) => p.role === 'classroom')).toEqual([
        expect.objectContaining({ participantId }),
      ]);
    }

    // The old socket was told why (read once its line comes back).
    tcp(old).resume();
    expect((await old.closed).code).toBe(CloseCode.RESUMED_ELSEWHERE);
    // Its instance touched neither the media nor the stage turn the newer socket holds.
    const released = media.calls
      .slice(callsBefore)
      .filter((c) => c.op === 'closeParticipant' || c.op === 'detachParticipant');
    expect(released).toEqual([]);
    expect(resumed.socket.readyState).toBe(resumed.socket.OPEN);
  });
});
