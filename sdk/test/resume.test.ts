import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { SignalingClient } from '../src/index.ts';

// The sdk presents its resume token on reconnection, so that the server hands
// its media over (protocol/resume.ts); a client closed on purpose forgets it.
// A stand-in server gives a new token with each join and records each socket's URL.

const eventId = '7f0b8a52-7b1c-4b55-9a57-0d5d7f0c0a11';
const self = {
  participantId: '0b6f3f5e-3d5a-4a43-9a4c-1f6a1d2e3c4b',
  role: 'classroom' as const,
  name: '4e B',
  eventId,
  classroomId: null,
  speakerId: null,
};
const tokenOf = (n: number) => `${self.participantId}.${String(n).padStart(43, 'A')}`;

let server: WebSocketServer | null = null;
const clients: SignalingClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  server?.close();
  server = null;
});

async function start(): Promise<{ base: string; urls: string[]; sockets: WebSocket[] }> {
  const urls: string[] = [];
  const sockets: WebSocket[] = [];
  server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  server.on('connection', (socket, req) => {
    urls.push(req.url ?? '');
    sockets.push(socket);
    const n = urls.length;
    socket.send(JSON.stringify({ event: 'welcome', data: { protocolVersion: 1, self } }));
    socket.on('message', (raw) => {
      const { id, type } = JSON.parse(raw.toString()) as { id: number; type: string };
      if (type !== 'join') return;
      const resumed = new URL(req.url ?? '', 'http://x').searchParams.get('resume');
      socket.send(
        JSON.stringify({
          id,
          ok: true,
          result: {
            self,
            state: {
              event: {
                id: eventId,
                title: 'Démo',
                status: 'live',
                startsAt: new Date().toISOString(),
                durationMinutes: 45,
              },
              questions: [],
              stage: null,
              hands: [],
              presence: null,
              producers: [],
            },
            routerRtpCapabilities: null,
            resume: {
              token: tokenOf(n),
              media: resumed
                ? { status: 'resumed', media: { transports: [], producerIds: [], consumerIds: [] } }
                : null,
            },
          },
        }),
      );
    });
  });
  const listening = server;
  await new Promise<void>((resolve) => listening.once('listening', () => resolve()));
  const { port } = listening.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}`, urls, sockets };
}

function client(base: string): SignalingClient {
  const c = new SignalingClient({
    baseUrl: base,
    eventId,
    token: 'tok',
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    backoff: { initialMs: 10, maxMs: 50 },
  });
  clients.push(c);
  return c;
}

const resumeOf = (url: string | undefined) =>
  new URL(url ?? '', 'http://x').searchParams.get('resume');

describe('the sdk resumes its media on reconnection', () => {
  it('presents the last join’s token on each new socket, and reads what was resumed', async () => {
    const { base, urls, sockets } = await start();
    const c = client(base);
    const first = await c.connect();
    expect(resumeOf(urls[0])).toBeNull();
    expect(first.resume?.media).toBeNull();
    const joined = new Promise<unknown>((r) => c.on('joined', (j, again) => again && r(j)));
    // Cut from the server's side, as a dead instance's balancer would.
    sockets[0]?.terminate();
    await joined;
    expect(resumeOf(urls[1])).toBe(tokenOf(1));
    expect(c.lastJoin?.resume?.media?.status).toBe('resumed');
    // And from the client's side: the newest token goes.
    const again = new Promise<unknown>((r) => c.on('joined', (j, re) => re && r(j)));
    c.dropConnection();
    await again;
    expect(resumeOf(urls[2])).toBe(tokenOf(2));
  });

  it('forgets it once closed on purpose: a new connection asks for nothing', async () => {
    const { base, urls } = await start();
    const c = client(base);
    await c.connect();
    c.close();
    await c.connect();
    expect(resumeOf(urls[1])).toBeNull();
  });
});
