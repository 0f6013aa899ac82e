import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.ts';
import type { InProcessMediaNode } from '../src/rtc/InProcessMediaNode.ts';
import { MediaNodeServer } from '../src/rtc/remote/MediaNodeServer.ts';
import { RemoteMediaNode } from '../src/rtc/remote/RemoteMediaNode.ts';
import type { ControlPlane } from '../src/server.ts';
import {
  createTestDatabase,
  type SeededEvent,
  seedEvent,
  startInstance,
  startMediaNode,
  TestClient,
} from './support/harness.ts';

// `media.closeTransport`: a client closes one transport it gave up (a failed
// climb back up from the relay) or replaced, and nothing else; over real
// mediasoup workers, real PostgreSQL, real WebSockets. What the server holds is
// read from the media node's own sessions.

let plane: ControlPlane;
let media: InProcessMediaNode;
let server: MediaNodeServer | undefined;
let ev: SeededEvent;

/** In process, as on one host; then through a media node's control channel, as across hosts. */
async function start(mode: 'in process' | 'through a remote media node') {
  const url = await createTestDatabase();
  media = await startMediaNode({ workers: 1 });
  if (mode === 'in process') {
    plane = await startInstance({ databaseUrl: url, media });
  } else {
    const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
    const secret = 'test-media-node-secret-0123456789';
    server = await MediaNodeServer.start({ media, secret, host: '127.0.0.1', port: 0, log });
    const remote = new RemoteMediaNode({ url: `ws://127.0.0.1:${server.port}`, secret, log });
    await remote.ready();
    plane = await startInstance({ databaseUrl: url, media: remote });
  }
  ev = await seedEvent(plane.url, { classrooms: 3, status: 'live' });
}

async function stop() {
  await plane?.close();
  if (server) {
    await server.close();
    await media.close();
    server = undefined;
  }
}

async function joined(i: number) {
  const client = await TestClient.connect(plane.url, ev.eventId, ev.tokens.classrooms[i] as string);
  const join = await client.request('join', {});
  return { client, participantId: join.self.participantId };
}

/** The transports the media node holds for a participant now. */
async function transportsOf(participantId: string): Promise<number> {
  return (await media.broadcast(ev.eventId)).session(participantId)?.transportCount ?? 0;
}

describe.each(['in process', 'through a remote media node'] as const)(
  'media.closeTransport, %s',
  (mode) => {
    beforeAll(() => start(mode), 60_000);
    afterAll(stop);

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
            dtlsParameters: {
              role: 'client',
              fingerprints: [{ algorithm: 'sha-256', value: Array(32).fill('5A').join(':') }],
            },
          }),
        ).toBe('NOT_FOUND');

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
