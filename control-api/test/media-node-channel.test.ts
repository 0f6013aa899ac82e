import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createLogger } from '../src/logger.ts';
import type { InProcessMediaNode } from '../src/rtc/InProcessMediaNode.ts';
import { MediaNodeServer } from '../src/rtc/remote/MediaNodeServer.ts';
import { NodePipes } from '../src/rtc/remote/NodePipes.ts';
import { RemoteMediaNode } from '../src/rtc/remote/RemoteMediaNode.ts';
import { startMediaNode } from './support/harness.ts';

// The media node's control channel refuses whoever lacks the cluster's secret,
// and answers malformed calls with a precise error without dropping the channel.

const SECRET = 'test-media-node-channel-secret-0123456789';
const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
let media: InProcessMediaNode;
let server: MediaNodeServer;
/** The same node's media with pipes to other nodes, as `npm run media-node` runs it. */
let piping: MediaNodeServer;
let pipes: NodePipes;
const url = () => `ws://127.0.0.1:${server.port}`;

beforeAll(async () => {
  media = await startMediaNode({ workers: 1 });
  server = await MediaNodeServer.start({ media, secret: SECRET, host: '127.0.0.1', port: 0, log });
  pipes = new NodePipes({
    broadcastOf: (eventId) => media.broadcast(eventId),
    pipeOptions: { listenIp: '127.0.0.1' },
    secret: SECRET,
    log,
  });
  piping = await MediaNodeServer.start({
    media,
    pipes,
    secret: SECRET,
    host: '127.0.0.1',
    port: 0,
    log,
  });
});
afterAll(async () => {
  await server?.close();
  await piping?.close();
  pipes?.close();
  await media?.close();
});

function raw(secret: string, to = url()): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(to, { headers: { authorization: `Bearer ${secret}` } });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function answer(ws: WebSocket, text: string): Promise<unknown> {
  return new Promise((resolve) => {
    ws.once('message', (m) => resolve(JSON.parse(m.toString())));
    ws.send(text);
  });
}

describe('the media node control channel', () => {
  it('refuses a wrong secret (401) and tells the control plane MEDIA_UNAVAILABLE', async () => {
    await expect(raw('not-the-secret-not-the-secret-0000000')).rejects.toThrow('HTTP 401');
    const remote = new RemoteMediaNode({
      url: url(),
      secret: 'wrong-wrong-wrong-wrong-wrong-wrong',
      log,
    });
    await expect(remote.ready()).rejects.toMatchObject({ code: 'MEDIA_UNAVAILABLE' });
    await expect(remote.getRouterRtpCapabilities('e')).rejects.toMatchObject({
      code: 'MEDIA_UNAVAILABLE',
    });
  });

  it('answers garbage, unknown methods and bad arguments with INVALID_MESSAGE, and keeps serving', async () => {
    const ws = await raw(SECRET);
    expect(await answer(ws, 'not json')).toMatchObject({
      ok: false,
      error: { code: 'INVALID_MESSAGE' },
    });
    expect(await answer(ws, JSON.stringify({ id: 1, method: 'format', args: {} }))).toMatchObject({
      id: 1,
      ok: false,
      error: { code: 'INVALID_MESSAGE' },
    });
    expect(
      await answer(
        ws,
        JSON.stringify({ id: 2, method: 'createWebRtcTransport', args: { direction: 'sideways' } }),
      ),
    ).toMatchObject({ id: 2, ok: false, error: { code: 'INVALID_MESSAGE' } });
    const caps = (await answer(
      ws,
      JSON.stringify({ id: 3, method: 'getRouterRtpCapabilities', args: { eventId: 'e1' } }),
    )) as { id: number; ok: boolean; result: { codecs: unknown[] } };
    expect(caps).toMatchObject({ id: 3, ok: true });
    expect(caps.result.codecs.length).toBeGreaterThan(0);
    ws.close();
  });

  it('pipe messages: hostile or stale ones get a precise code; a node without pipes says so', async () => {
    const plain = await raw(SECRET);
    expect(
      await answer(plain, JSON.stringify({ id: 1, method: 'pipeOffer', args: { eventId: 'e2' } })),
    ).toMatchObject({ id: 1, ok: false, error: { code: 'MEDIA_UNAVAILABLE' } });
    plain.close();

    const ws = await raw(SECRET, `ws://127.0.0.1:${piping.port}`);
    // An origin that is not a control channel URL.
    expect(
      await answer(
        ws,
        JSON.stringify({
          id: 2,
          method: 'edgeEnsure',
          args: { eventId: 'e2', origin: { nodeId: 'n', url: 'http://example.org/' } },
        }),
      ),
    ).toMatchObject({ id: 2, ok: false, error: { code: 'INVALID_MESSAGE' } });
    // An update that is not one.
    expect(
      await answer(
        ws,
        JSON.stringify({ id: 3, method: 'pipeApply', args: { update: { type: 'explode' } } }),
      ),
    ).toMatchObject({ id: 3, ok: false, error: { code: 'INVALID_MESSAGE' } });
    // An update for a pipe closed meanwhile is dropped; an answer for no pipe is NOT_FOUND.
    const pipeId = randomUUID();
    expect(
      await answer(
        ws,
        JSON.stringify({
          id: 4,
          method: 'pipeApply',
          args: { update: { type: 'close', pipeId, reason: 'gone' } },
        }),
      ),
    ).toMatchObject({ id: 4, ok: true });
    const offer = (await answer(
      ws,
      JSON.stringify({ id: 5, method: 'pipeOffer', args: { eventId: 'e2' } }),
    )) as { ok: boolean; result: { endpoint: unknown; heartbeat: unknown } };
    expect(offer).toMatchObject({ id: 5, ok: true, result: { eventId: 'e2', producers: [] } });
    expect(
      await answer(
        ws,
        JSON.stringify({
          id: 6,
          method: 'pipeConnect',
          args: {
            answer: { pipeId, endpoint: offer.result.endpoint, heartbeat: offer.result.heartbeat },
          },
        }),
      ),
    ).toMatchObject({ id: 6, ok: false, error: { code: 'NOT_FOUND' } });
    ws.close();
  });
});
