import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { SignalingClient } from '../src/index.ts';
import { EVENT_ID, StandInServer } from './support/standInServer.ts';

// The sdk presents its resume token on reconnection, so that the server hands
// its media over (protocol/resume.ts); a client closed on purpose forgets it.
// The stand-in server gives a new token with each join and records each socket's URL.

let server: StandInServer | null = null;
const clients: SignalingClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  server?.close();
  server = null;
});

async function start(): Promise<StandInServer> {
  server = await StandInServer.start();
  server.resumeTokens = true;
  return server;
}

function client(base: string): SignalingClient {
  const c = new SignalingClient({
    baseUrl: base,
    eventId: EVENT_ID,
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
    const stand = await start();
    const { urls, sockets } = stand;
    const c = client(stand.baseUrl);
    const first = await c.connect();
    expect(resumeOf(urls[0])).toBeNull();
    expect(first.resume?.media).toBeNull();
    const joined = new Promise<unknown>((r) => c.on('joined', (j, again) => again && r(j)));
    // Cut from the server's side, as a dead instance's balancer would.
    sockets[0]?.terminate();
    await joined;
    expect(resumeOf(urls[1])).toBe(stand.resumeTokenOf(1));
    expect(c.lastJoin?.resume?.media?.status).toBe('resumed');
    // And from the client's side: the newest token goes.
    const again = new Promise<unknown>((r) => c.on('joined', (j, re) => re && r(j)));
    c.dropConnection();
    await again;
    expect(resumeOf(urls[2])).toBe(stand.resumeTokenOf(2));
  });

  it('forgets it once closed on purpose: a new connection asks for nothing', async () => {
    const { baseUrl, urls } = await start();
    const c = client(baseUrl);
    await c.connect();
    c.close();
    await c.connect();
    expect(resumeOf(urls[1])).toBeNull();
  });
});
