import { randomUUID } from 'node:crypto';
import type { MediaNodeRegistration } from '@amphi/protocol';
import { Redis } from 'ioredis';
import { afterEach, expect, inject, it } from 'vitest';
import { AppError } from '../src/errors.ts';
import { createLogger } from '../src/logger.ts';
import type { MediaParticipant } from '../src/rtc/MediaNode.ts';
import { ClusterMediaNode } from '../src/rtc/remote/ClusterMediaNode.ts';
import { MediaNodeRegistry } from '../src/rtc/remote/MediaNodeRegistry.ts';

// A placement that finds no media node is refused MEDIA_UNAVAILABLE (the
// code clients retry on and the apps translate), and its message says why:
// 'no media node has room' was said as well when no node was alive at all
// (bench:cluster, both nodes killed or dropped), sending whoever read the
// logs after capacity. Real Redis and the real placement scripts; the nodes
// are registrations alone (a refusal comes before any channel is opened).

const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

function plane(): { registry: MediaNodeRegistry; media: ClusterMediaNode } {
  const redis = new Redis(inject('redisUrl'));
  const registry = new MediaNodeRegistry({ redis, namespace: `refusal-${randomUUID()}` });
  const media = new ClusterMediaNode({
    registry,
    secret: 'test-refusal-secret-0123456789abcdef',
    log,
  });
  closers.push(
    () => redis.disconnect(),
    () => media.close(),
  );
  return { registry, media };
}

function node(nodeId: string, patch: Partial<MediaNodeRegistration> = {}): MediaNodeRegistration {
  return {
    nodeId,
    url: 'ws://127.0.0.1:9',
    region: null,
    capacity: 10,
    load: 0,
    draining: false,
    at: Date.now(),
    ...patch,
  };
}

const classroom = (eventId: string): MediaParticipant => ({
  eventId,
  participantId: randomUUID(),
  role: 'classroom',
  classroomId: randomUUID(),
  name: '4e B',
});

async function refusal(attempt: Promise<unknown>): Promise<{ code: string; message: string }> {
  const err = await attempt.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  const { code, message } = err as AppError;
  return { code, message };
}

it('no node alive: said so, not that none has room', async () => {
  const { media } = plane();
  const eventId = randomUUID();
  expect(await refusal(media.createWebRtcTransport(classroom(eventId), 'recv'))).toEqual({
    code: 'MEDIA_UNAVAILABLE',
    message: 'no live media node',
  });
  expect(await refusal(media.getRouterRtpCapabilities(eventId))).toEqual({
    code: 'MEDIA_UNAVAILABLE',
    message: 'no live media node',
  });
});

/** A fresh instance (its own read of the nodes) over these registrations, a classroom placed. */
async function refusedWith(
  registrations: MediaNodeRegistration[],
  excluded: string[] = [],
): Promise<{ code: string; message: string }> {
  const { registry, media } = plane();
  for (const r of registrations) await registry.announce(r);
  for (const id of excluded) media.exclude(id);
  return refusal(media.createWebRtcTransport(classroom(randomUUID()), 'recv'));
}

it('nodes alive but every one full, or draining, or drained here: each said as it is', async () => {
  const full = await refusedWith([
    node('media-1', { load: 10 }),
    node('media-2', { load: 8, pipes: 2 }),
  ]);
  expect(full).toEqual({ code: 'MEDIA_UNAVAILABLE', message: 'every media node is full' });
  const draining = await refusedWith([
    node('media-1', { draining: true }),
    node('media-2', { draining: true }),
  ]);
  expect(draining).toEqual({
    code: 'MEDIA_UNAVAILABLE',
    message: 'every live media node is draining',
  });
  // Drained through this instance (the operator's drain): open to none here.
  const excluded = await refusedWith([node('media-1'), node('media-2')], ['media-1', 'media-2']);
  expect(excluded).toEqual({
    code: 'MEDIA_UNAVAILABLE',
    message: 'no live media node may take it (drained or being left)',
  });
});
