import { describe, expect, it } from 'vitest';
import { seedEvent, useControlPlane } from './support/harness.ts';
import { vp8 } from './support/rtpParameters.ts';

// The origin's worker (where the speaker publishes) is killed under a live
// event, several times: each time the speaker and every classroom are told to
// set their media up again (`media.reconnect`), and then can.

const env = useControlPlane({ mediaNode: { workers: 2 } });

describe('the origin worker dies', () => {
  it('three times in a row: the speaker and every classroom are told to reconnect, and can', async () => {
    const ev = await seedEvent(env.plane.url, { classrooms: 3, status: 'live' });
    const connect = (token: string) => env.joined(token, ev);
    const speaker = await connect(ev.tokens.speaker);
    const classrooms = await Promise.all(ev.tokens.classrooms.map(connect));
    const everyone = [speaker, ...classrooms];
    try {
      /** Media set up (again): the speaker publishes, each classroom consumes it. */
      const setUp = async (round: number) => {
        const send = await speaker.client.request('media.createTransport', { direction: 'send' });
        const { producerId } = await speaker.client.request('media.produce', {
          transportId: send.transportId,
          kind: 'video',
          rtpParameters: vp8(5000 + round),
          source: 'camera',
        });
        for (const c of classrooms) {
          const recv = await c.client.request('media.createTransport', { direction: 'recv' });
          await c.client.request('media.consume', {
            transportId: recv.transportId,
            producerId,
            rtpCapabilities: c.caps,
          });
        }
      };
      for (let round = 0; round < 3; round++) {
        await setUp(round);
        const told = everyone.map((p) => p.client.eventsOf('media.reconnect').length);
        const broadcast = await env.media.broadcast(ev.eventId);
        expect(broadcast.closed).toBe(false);
        const origin = env.media.pool.worker((await broadcast.stats()).originWorker);
        process.kill(origin?.worker.pid as number, 'SIGKILL');
        for (const [i, p] of everyone.entries()) {
          await p.client.waitForEvent(
            'media.reconnect',
            () => p.client.eventsOf('media.reconnect').length > (told[i] as number),
            10_000,
          );
        }
      }
      await setUp(3);
    } finally {
      for (const p of everyone) await p.client.close();
    }
  }, 60_000);
});
