import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { type TestClient, useControlPlane } from './support/harness.ts';
import { RecordingMediaNode } from './support/RecordingMediaNode.ts';

/** How long a silent socket is kept, here (5 s by default). */
const SILENCE_MS = 800;

const env = useControlPlane({
  media: new RecordingMediaNode(),
  limits: { SOCKET_SILENCE_TIMEOUT_MS: SILENCE_MS },
  seed: { classrooms: 2, status: 'live' },
});

/** The raw TCP socket under a test client's WebSocket. */
function tcp(client: TestClient): Socket {
  return (client.socket as unknown as { _socket: Socket })._socket;
}

describe('a classroom whose line is cut', () => {
  it('leaves presence once its socket is silent past the timeout; an idle one that answers pings stays', async () => {
    const { ev } = env;
    const moderator = await env.connect(ev.tokens.moderator);
    const [cut, idle] = await Promise.all(ev.tokens.classrooms.map((t) => env.connect(t)));
    const connected = async () =>
      (await moderator.request('presence.get', {})).participants
        .filter((p) => p.role === 'classroom')
        .map((p) => p.classroomId)
        .sort();
    expect(await connected()).toEqual([...ev.classroomIds].sort());

    // A cut line: no close, no answer to anything (the client no longer reads its socket).
    tcp(cut as TestClient).pause();
    const cutAt = Date.now();
    await expect
      .poll(connected, { timeout: SILENCE_MS * 4, interval: 50 })
      .toEqual([ev.classroomIds[1]]);
    const gone = Date.now() - cutAt;
    console.log(`a silent classroom left presence ${gone} ms after its line was cut`);
    // Silence counts from the last pong, up to a ping period (a quarter) before the cut.
    expect(gone).toBeGreaterThanOrEqual(SILENCE_MS * 0.75 - 50);
    expect(gone).toBeLessThan(SILENCE_MS * 2);

    // The idle classroom sent nothing either, but its client answered the pings.
    await new Promise((r) => setTimeout(r, SILENCE_MS * 2));
    expect(await connected()).toEqual([ev.classroomIds[1]]);
    expect(idle?.socket.readyState).toBe(idle?.socket.OPEN);
  });
});
