import { describe, expect, it } from 'vitest';
import { useControlPlane } from './support/harness.ts';
import { dtlsParameters } from './support/rtpParameters.ts';

// `media.closeTransport`: a client closes one transport it gave up (a failed
// climb back up from the relay) or replaced, and nothing else; over real
// mediasoup workers, real PostgreSQL, real WebSockets. What the server holds is
// read from the media node's own sessions.

describe.each(['in process', 'through a remote media node'] as const)(
  'media.closeTransport, %s',
  (mode) => {
    const env = useControlPlane({
      mediaNode: { workers: 1, mode },
      seed: { classrooms: 3, status: 'live' },
    });

    async function joined(i: number) {
      const { client, join } = await env.joined(env.ev.tokens.classrooms[i] as string);
      return { client, participantId: join.self.participantId };
    }

    /** The transports the media node holds for a participant now. */
    async function transportsOf(participantId: string): Promise<number> {
      return (
        (await env.media.broadcast(env.ev.eventId)).session(participantId)?.transportCount ?? 0
      );
    }

    it('closes the one transport named, and only for its owner; others get a precise code', async () => {
      const a = await joined(0);
      const b = await joined(1);
      const c = await joined(2);
      try {
        const inUse = await a.client.request('media.createTransport', { direction: 'recv' });
        const tried = await a.client.request('media.createTransport', { direction: 'recv' });
        expect(await transportsOf(a.participantId)).toBe(2);

        // Another class naming it (a guessed or leaked id) closes nothing.
        await b.client.request('media.createTransport', { direction: 'recv' });
        expect(
          await b.client.errorOf('media.closeTransport', { transportId: tried.transportId }),
        ).toBe('NOT_FOUND');
        // A class with no media at all yet.
        expect(
          await c.client.errorOf('media.closeTransport', { transportId: tried.transportId }),
        ).toBe('NOT_JOINED');
        expect(await transportsOf(a.participantId)).toBe(2);

        // Its owner closes it: the one in use stays, and still works.
        expect(
          await a.client.request('media.closeTransport', { transportId: tried.transportId }),
        ).toEqual({});
        expect(await transportsOf(a.participantId)).toBe(1);
        expect(
          await a.client.errorOf('media.connectTransport', {
            transportId: tried.transportId,
            dtlsParameters,
          }),
        ).toBe('NOT_FOUND');
        expect(
          await a.client.request('media.connectTransport', {
            transportId: inUse.transportId,
            dtlsParameters,
          }),
        ).toEqual({});

        // Twice, or an id that never was: NOT_FOUND; malformed: INVALID_MESSAGE.
        expect(
          await a.client.errorOf('media.closeTransport', { transportId: tried.transportId }),
        ).toBe('NOT_FOUND');
        expect(
          await a.client.errorOf('media.closeTransport', {
            transportId: '00000000-0000-4000-8000-000000000000',
          }),
        ).toBe('NOT_FOUND');
        expect(await a.client.errorOf('media.closeTransport', {} as { transportId: string })).toBe(
          'INVALID_MESSAGE',
        );
        expect(await transportsOf(a.participantId)).toBe(1);

        await a.client.request('media.closeTransport', { transportId: inUse.transportId });
        expect(await transportsOf(a.participantId)).toBe(0);
      } finally {
        for (const x of [a, b, c]) await x.client.close();
      }
    });
  },
);
