import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../src/errors.ts';
import { createLogger } from '../src/logger.ts';
import type { InProcessMediaNode } from '../src/rtc/InProcessMediaNode.ts';
import type { MediaParticipant } from '../src/rtc/MediaNode.ts';
import { MediaNodeServer } from '../src/rtc/remote/MediaNodeServer.ts';
import { RemoteMediaNode } from '../src/rtc/remote/RemoteMediaNode.ts';
import { startMediaNode } from './support/harness.ts';

// Who owns a participant's media on a media node, channel by channel (one
// channel per control-api instance): the channel that made it until another
// adopts it (a resumed socket). A close or detach from the channel that lost
// it, or that channel's death, must not end the media the other one now
// serves; a channel's death detaches what it still owned, and the node itself
// closes it after its grace unless adopted. Real workers, real channels.

const SECRET = 'test-media-node-resume-channel-0123456789';
const GRACE_MS = 800;
const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
let media: InProcessMediaNode;
let server: MediaNodeServer;
const channels: RemoteMediaNode[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  media = await startMediaNode({ workers: 1, sessionGraceMs: GRACE_MS });
  server = await MediaNodeServer.start({
    media,
    secret: SECRET,
    host: '127.0.0.1',
    port: 0,
    log,
    sessionGraceMs: GRACE_MS,
  });
});

afterAll(async () => {
  for (const c of channels) await c.close();
  await server?.close();
  await media?.close();
});

async function channel(): Promise<RemoteMediaNode> {
  const c = new RemoteMediaNode({ url: `ws://127.0.0.1:${server.port}`, secret: SECRET, log });
  channels.push(c);
  await c.ready();
  return c;
}

/** A classroom's participant of `eventId`, as signaling hands it to a media node. */
const classroomOf = (eventId: string, name: string): MediaParticipant => ({
  eventId,
  participantId: randomUUID(),
  role: 'classroom',
  classroomId: randomUUID(),
  name,
});

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'adopted',
    (err: unknown) => (err instanceof AppError ? err.code : String(err)),
  );

describe('a participant media on a media node, as control-api instances come and go', () => {
  it('stays with the channel that adopted it: the former owner can neither close nor detach it, nor take it with its death', async () => {
    const eventId = randomUUID();
    const who = classroomOf(eventId, '4e B');
    const a = await channel();
    const b = await channel();
    await a.getRouterRtpCapabilities(eventId);
    const t = await a.createWebRtcTransport(who, 'recv');

    const adopted = await b.adoptParticipant(who, null);
    expect(adopted.transports).toEqual([{ transportId: t.transportId, direction: 'recv' }]);
    // A second one of A's, adopted by B too, for the stale detach.
    const other: MediaParticipant = { ...who, participantId: randomUUID() };
    await a.createWebRtcTransport(other, 'recv');
    await b.adoptParticipant(other, null);
    const open = async (p: MediaParticipant) =>
      (await media.broadcast(eventId)).session(p.participantId)?.closed === false;
    // A's sockets end late, after B adopted: their close and detach are not B's.
    await a.closeParticipant(who);
    await a.detachParticipant(other);
    expect(await open(who)).toBe(true);
    await sleep(GRACE_MS + 400);
    expect(await open(other)).toBe(true);
    // A dies: what B owns stays, past the grace.
    await a.close();
    await sleep(GRACE_MS + 400);
    expect((await b.adoptParticipant(who, null)).transports).toHaveLength(1);

    // B dies: detached, not closed; a third instance adopts it within the grace.
    await b.close();
    await sleep(GRACE_MS / 4);
    const c = await channel();
    expect((await c.adoptParticipant(who, null)).transports).toHaveLength(1);
    // Detached by its owner and not adopted: closed after the grace.
    await c.detachParticipant(who);
    await sleep(GRACE_MS + 400);
    expect(await codeOf(c.adoptParticipant(who, null))).toBe('RESUME_EXPIRED');
    expect(await codeOf(c.adoptParticipant({ ...who, participantId: randomUUID() }, null))).toBe(
      'RESUME_UNKNOWN',
    );
    // A classroom's session is not another role's to adopt.
    const d = await channel();
    const mine: MediaParticipant = { ...who, participantId: randomUUID() };
    await d.createWebRtcTransport(mine, 'recv');
    expect(
      await codeOf(c.adoptParticipant({ ...mine, role: 'speaker', classroomId: null }, null)),
    ).toBe('RESUME_INVALID');
  }, 30_000);

  it("counts in the node's load while detached within its grace (what placement reads), no longer after", async () => {
    const eventId = randomUUID();
    const who = classroomOf(eventId, '3e A');
    const before = server.load;
    const a = await channel();
    await a.getRouterRtpCapabilities(eventId);
    await a.createWebRtcTransport(who, 'recv');
    expect(server.load).toBe(before + 1);
    // Its instance dies: the media flows on, for a resume to land here.
    await a.close();
    await sleep(100);
    expect(server.load).toBe(before + 1);
    // Adopted by another instance: counted once.
    const b = await channel();
    await b.adoptParticipant(who, null);
    expect(server.load).toBe(before + 1);
    await b.detachParticipant(who);
    expect(server.load).toBe(before + 1);
    // Not resumed within the grace: closed, and no longer counted.
    await sleep(GRACE_MS + 200);
    expect(server.load).toBe(before);
  });
});
