import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { Bus } from '../src/bus/Bus.ts';
import type { BusMessage } from '../src/bus/BusMessage.ts';
import { LocalBus } from '../src/bus/LocalBus.ts';
import { RedisBus } from '../src/bus/RedisBus.ts';

const eventId = randomUUID();
const classroomId = randomUUID();
const hand = (i: number): BusMessage => ({
  kind: 'hand.updated',
  eventId,
  classroomId,
  hand: { classroomId, classroomName: `c${i}`, raisedAt: new Date(i * 1000).toISOString() },
});

function collect(bus: Bus): BusMessage[] {
  const got: BusMessage[] = [];
  bus.subscribe((m) => got.push(m));
  return got;
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const open: Bus[] = [];
afterEach(async () => {
  for (const b of open.splice(0)) await b.close();
});

describe('LocalBus', () => {
  it('delivers asynchronously to every subscriber, the publisher included', async () => {
    const bus = new LocalBus();
    open.push(bus);
    const a = collect(bus);
    const b = collect(bus);
    const published = bus.publish(hand(1));
    expect(a).toEqual([]); // not synchronous: a handler never runs inside publish()
    await published;
    await until(() => a.length === 1 && b.length === 1);
    await bus.close();
    await expect(bus.publish(hand(2))).rejects.toThrow('bus closed');
  });
});

describe('RedisBus', () => {
  const url = inject('redisUrl');

  it('delivers durable and ephemeral messages to every instance, in order', async () => {
    const namespace = `t-${randomUUID()}`;
    const [a, b] = await Promise.all([
      RedisBus.create({ url, namespace }),
      RedisBus.create({ url, namespace }),
    ]);
    const other = await RedisBus.create({ url, namespace: `t-${randomUUID()}` });
    open.push(a, b, other);
    const gotA = collect(a);
    const gotB = collect(b);
    const gotOther = collect(other);
    for (let i = 0; i < 20; i++) await a.publish(hand(i));
    await b.publish({
      kind: 'presence.snapshot',
      eventId,
      instanceId: b.instanceId,
      participants: [],
    });
    await until(() => gotA.length === 21 && gotB.length === 21);
    const order = (got: BusMessage[]) =>
      got
        .filter((m) => m.kind === 'hand.updated')
        .map((m) => (m.kind === 'hand.updated' ? m.hand?.classroomName : ''));
    expect(order(gotB)).toEqual(Array.from({ length: 20 }, (_, i) => `c${i}`));
    // Another namespace hears nothing.
    await new Promise((r) => setTimeout(r, 100));
    expect(gotOther).toEqual([]);
  });

  it('loses no durable message while an instance is cut off from Redis', async () => {
    const namespace = `t-${randomUUID()}`;
    const [a, b] = await Promise.all([
      RedisBus.create({ url, namespace }),
      RedisBus.create({ url, namespace }),
    ]);
    open.push(a, b);
    const gotB = collect(b);
    const admin = new Redis(url);
    try {
      // Cut B's stream reader, then publish while it reconnects.
      const clients = (await admin.client('LIST')) as string;
      const reader = clients
        .split('\n')
        .find((l) => l.includes(`name=${namespace}:${b.instanceId}:reader`));
      const id = /\bid=(\d+)/.exec(reader ?? '')?.[1];
      expect(id).toMatch(/^\d+$/);
      await admin.client('KILL', 'ID', id as string);
      for (let i = 0; i < 50; i++) await a.publish(hand(i));
      await until(() => gotB.length === 50, 10_000);
      expect(gotB.map((m) => (m.kind === 'hand.updated' ? m.hand?.classroomName : ''))).toEqual(
        Array.from({ length: 50 }, (_, i) => `c${i}`),
      );
    } finally {
      admin.disconnect();
    }
  });

  it('drops a malformed entry without stopping delivery', async () => {
    const namespace = `t-${randomUUID()}`;
    const bus = await RedisBus.create({ url, namespace });
    open.push(bus);
    const got = collect(bus);
    const admin = new Redis(url);
    try {
      await admin.xadd(`${namespace}:bus:stream`, '*', 'm', '{"kind":"nope"}');
      await admin.xadd(`${namespace}:bus:stream`, '*', 'm', 'not json');
      await bus.publish(hand(7));
      await until(() => got.length === 1);
      expect(got[0]?.kind).toBe('hand.updated');
    } finally {
      admin.disconnect();
    }
  });
});
