import { afterEach, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MediaClient, SignalingClient } from '../src/index.ts';
import { EVENT_ID, StandInServer } from './support/standInServer.ts';

// A drain's `media.move` that the client cannot make (no picture on the new
// node in time, or nothing to move): it sets its media up anew, and first asks
// the server to close what it had. Kept, that media held the class on the
// draining node: the drainer waited 10 s for it to leave, then had it set up
// anew a second time (another frozen picture).

let server: StandInServer | null = null;
const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
  server?.close();
  server = null;
});

it('a move it cannot make: media.close, then a fresh join and set-up', async () => {
  server = await StandInServer.start();
  const signaling = new SignalingClient({
    baseUrl: server.baseUrl,
    eventId: EVENT_ID,
    token: 'tok',
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
  });
  closers.push(() => signaling.close());
  await signaling.connect();
  const media = new MediaClient(signaling, { reachMemory: null, reportQuality: false });
  closers.push(() => media.close());
  const errors: Error[] = [];
  media.on('error', (err) => errors.push(err));
  // Started with no media (the stand-in server offers none): there is nothing to move.
  await media.start(null);
  server.push('media.move', { reason: 'drain', message: 'moving' });
  const stand = server;
  for (const deadline = Date.now() + 5_000; stand.joins < 2; ) {
    if (Date.now() > deadline) throw new Error(`no join again: ${stand.requests.join(', ')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  expect(stand.requests).toEqual(['join', 'media.close', 'join']);
  // Its set-up anew then fails honestly: this server has no media to offer.
  for (const deadline = Date.now() + 2_000; errors.length === 0 && Date.now() < deadline; )
    await new Promise((r) => setTimeout(r, 20));
  expect(errors.map((e) => (e as { code?: string }).code)).toEqual(['MEDIA_UNAVAILABLE']);
});
