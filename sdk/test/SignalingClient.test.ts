import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { SignalingClient, type SignalingStatus } from '../src/index.ts';
import type { SignalingClientOptions } from '../src/SignalingClient.ts';
import { classroomSelf, joinResultFor } from './support/joinFixtures.ts';

// A stand-in server speaking the protocol's envelope: welcome, join, question.list.
const self = classroomSelf(null);
const joinResult = joinResultFor(self);

let server: WebSocketServer | null = null;
const clients: SignalingClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  server?.close();
  server = null;
});

async function start(): Promise<{ base: string; sockets: WebSocket[]; joins: () => number }> {
  const sockets: WebSocket[] = [];
  let joins = 0;
  server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  server.on('connection', (socket) => {
    sockets.push(socket);
    socket.send(JSON.stringify({ event: 'welcome', data: { protocolVersion: 1, self } }));
    socket.on('message', (raw) => {
      const { id, type } = JSON.parse(raw.toString()) as { id: number; type: string };
      if (type === 'join') {
        joins++;
        socket.send(JSON.stringify({ id, ok: true, result: joinResult }));
      } else if (type === 'question.upvote') {
        socket.send(
          JSON.stringify({
            id,
            ok: false,
            error: { code: 'ALREADY_UPVOTED', message: 'already upvoted' },
          }),
        );
      } else if (type === 'ping') {
        socket.send(JSON.stringify({ id, ok: true, result: { now: Date.now() } }));
      }
    });
  });
  const listening = server;
  await new Promise<void>((resolve) => listening.once('listening', () => resolve()));
  const { port } = listening.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}`, sockets, joins: () => joins };
}

/** A client of the test server (closed after each test), with quick retries unless told. */
function client(base: string, options: Partial<SignalingClientOptions> = {}): SignalingClient {
  const c = new SignalingClient({
    baseUrl: base,
    eventId: self.eventId,
    token: 'tok',
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    backoff: { initialMs: 50, maxMs: 200 },
    ...options,
  });
  clients.push(c);
  return c;
}

describe('SignalingClient', () => {
  it('joins, answers typed results and rejects with the server code', async () => {
    const { base } = await start();
    const c = client(base);
    const join = await c.connect();
    expect(join.self.participantId).toBe('p1');
    expect(c.status).toBe('open');
    await expect(
      c.request('question.upvote', { questionId: '7f0b8a52-7b1c-4b55-9a57-0d5d7f0c0a12' }),
    ).rejects.toMatchObject({ code: 'ALREADY_UPVOTED', message: 'already upvoted' });
  });

  it('reconnects by itself after a cut, joins again and says so', async () => {
    const { base, sockets, joins } = await start();
    const c = client(base);
    const statuses: SignalingStatus[] = [];
    c.on('status', (s) => statuses.push(s.status));
    const rejoined = new Promise<boolean>((resolve) => {
      c.on('joined', (_j, reconnected) => {
        if (reconnected) resolve(true);
      });
    });
    await c.connect();
    sockets[0]?.terminate();
    expect(await rejoined).toBe(true);
    expect(joins()).toBe(2);
    expect(statuses).toContain('reconnecting');
    expect(c.status).toBe('open');
    // A request made while reconnecting waits for the socket to be back.
    c.dropConnection();
    expect(c.status).toBe('reconnecting');
    await expect(c.request('ping', {})).resolves.toMatchObject({ now: expect.any(Number) });
  });

  it('stops for good when its join link is revoked, and says so', async () => {
    const { base, sockets, joins } = await start();
    const c = client(base);
    await c.connect();
    const closed = new Promise<void>((resolve) => {
      c.on('status', (s) => {
        if (s.status === 'closed') resolve();
      });
    });
    sockets[0]?.close(4011, 'this join link was revoked');
    await closed;
    expect(c.statusInfo.error).toMatchObject({
      code: 'TOKEN_REVOKED',
      message: 'this join link was revoked',
    });
    // No retry: a revoked link will not come back (the back-off here is 50 ms).
    await new Promise((r) => setTimeout(r, 300));
    expect([c.status, joins(), sockets.length]).toEqual(['closed', 1, 1]);
  });

  it('tells a cut line within the heartbeat timeout, though no close ever comes', async () => {
    const { base, sockets } = await start();
    const c = client(base);
    await c.connect();
    // The server's side goes silent: no answer, no close (what a cut school line looks like).
    const socket = sockets[0] as WebSocket;
    socket.removeAllListeners('message');
    socket.pause();
    const cutAt = Date.now();
    const lost = await new Promise<number>((resolve) => {
      c.on('status', (s) => {
        if (s.status === 'reconnecting') resolve(Date.now() - cutAt);
      });
    });
    // Defaults: a ping each second, lost after 2.5 s of silence.
    expect(lost).toBeGreaterThan(1_500);
    expect(lost).toBeLessThan(3_000);
  });

  it('counts each try while the server cannot be reached (an opening that hangs is given up)', async () => {
    const { base, sockets } = await start();
    const c = client(base, {
      backoff: { initialMs: 20, maxMs: 50 },
      connectTimeoutMs: 200,
      heartbeatMs: 0,
    });
    await c.connect();
    // A listener that accepts and never answers: each opening hangs until its timeout.
    const silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    try {
      (c.options as { baseUrl: string }).baseUrl = `http://127.0.0.1:${port}`;
      const attempts: number[] = [];
      c.on('status', (s) => attempts.push(s.attempt));
      sockets[0]?.terminate();
      await vi.waitFor(() => expect(Math.max(...attempts)).toBeGreaterThanOrEqual(3), {
        timeout: 3_000,
      });
      expect(c.status).toBe('reconnecting');
      expect(c.statusInfo.error?.code).toBe('TIMEOUT');
    } finally {
      silent.close();
    }
  });

  it('builds the signaling URL with the protocol version and token', () => {
    const c = new SignalingClient({
      baseUrl: 'https://amphi.example/',
      eventId: 'e1',
      token: 'a b',
    });
    expect(c.url).toBe('wss://amphi.example/v1/events/e1/ws?v=1&token=a%20b');
  });
});
