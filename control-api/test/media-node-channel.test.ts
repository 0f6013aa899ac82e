import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createLogger } from '../src/logger.ts';
import type { InProcessMediaNode } from '../src/rtc/InProcessMediaNode.ts';
import { MediaNodeServer } from '../src/rtc/remote/MediaNodeServer.ts';
import { RemoteMediaNode } from '../src/rtc/remote/RemoteMediaNode.ts';
import { startMediaNode } from './support/harness.ts';

// The media node's control channel refuses whoever lacks the cluster's secret,
// and answers malformed calls with a precise error without dropping the channel.

const SECRET = 'test-media-node-channel-secret-0123456789';
const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
let media: InProcessMediaNode;
let server: MediaNodeServer;
const url = () => `ws://127.0.0.1:${server.port}`;

beforeAll(async () => {
  media = await startMediaNode({ workers: 1 });
  server = await MediaNodeServer.start({ media, secret: SECRET, host: '127.0.0.1', port: 0, log });
});
afterAll(async () => {
  await server?.close();
  await media?.close();
});

function raw(secret: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url(), { headers: { authorization: `Bearer ${secret}` } });
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
});
