import type { AddressInfo, Socket } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { LiveSession } from '../src/index.ts';
import { classroomSelf, joinResultFor } from './support/joinFixtures.ts';

// A stand-in server that writes its join answer and an announcement in one
// write, as a control-api does when it lets announcements go right after the
// answer: the client reads both at once.

const self = classroomSelf(null);
const answer = joinResultFor(self);
const camera = {
  producerId: '1b4e28ba-2fa1-41d2-883f-0016d3cca427',
  participantId: 'speaker-1',
  role: 'speaker' as const,
  kind: 'video' as const,
  source: 'camera' as const,
  classroomId: null,
  name: 'Mme Martin',
};

let server: WebSocketServer | null = null;
let session: LiveSession | null = null;
afterEach(() => {
  session?.close();
  server?.close();
});

it('an announcement read together with the join answer reaches the view built from that answer', async () => {
  server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  server.on('connection', (socket) => {
    socket.send(JSON.stringify({ event: 'welcome', data: { protocolVersion: 1, self } }));
    socket.on('message', (raw) => {
      const { id } = JSON.parse(raw.toString()) as { id: number };
      // Both frames leave in one TCP write.
      const tcp = (socket as unknown as { _socket: Socket })._socket;
      tcp.cork();
      socket.send(JSON.stringify({ id, ok: true, result: answer }));
      socket.send(JSON.stringify({ event: 'media.producerAdded', data: camera }));
      process.nextTick(() => tcp.uncork());
    });
  });
  const listening = server;
  await new Promise<void>((resolve) => listening.once('listening', () => resolve()));
  const { port } = listening.address() as AddressInfo;
  session = new LiveSession({
    baseUrl: `http://127.0.0.1:${port}`,
    eventId: self.eventId,
    token: 'tok',
    media: false,
    signaling: { WebSocket: WebSocket as unknown as typeof globalThis.WebSocket },
  });
  const order: string[] = [];
  const s = session.signaling;
  s.on('joined', () => order.push('joined'));
  s.onEvent('media.producerAdded', (p) => order.push(`announced ${p.producerId}`));
  await session.connect();
  // What awaited the answer has run: a listener added now still hears the announcement.
  const heard = new Promise<string>((resolve) => {
    s.onEvent('media.producerAdded', (p) => resolve(p.producerId));
  });
  expect(await heard).toBe(camera.producerId);
  expect(order).toEqual(['joined', `announced ${camera.producerId}`]);
  expect(session.view?.producers.map((p) => p.producerId)).toEqual([camera.producerId]);
});
