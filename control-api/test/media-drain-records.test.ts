import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeDrains } from '../src/rtc/drain/NodeDrains.ts';
import { RedisProcess } from './support/RedisProcess.ts';

// The operators' drain records, shared by the control-api instances through
// Redis, on a Redis of this file's own that restarts empty.

let redis: RedisProcess;
const clients: Redis[] = [];

beforeAll(async () => {
  redis = await RedisProcess.start();
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await redis?.kill();
});

function instance(namespace: string): NodeDrains {
  const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  clients.push(client);
  return new NodeDrains({ redis: client, namespace });
}

describe('drain records', () => {
  it('a drain asked on one instance is read by another; an undrain after it wins over a stale write-back', async () => {
    const ns = `t-${randomUUID()}`;
    const [a, b] = [instance(ns), instance(ns)];
    await a.set('node-a', true);
    expect((await b.read()).get('node-a')?.draining).toBe(true);
    await sleep(5);
    await a.set('node-a', false);
    // b still remembers the drain and writes back what it knows: the newer undrain stays.
    await b.reassert();
    expect((await a.read()).get('node-a')?.draining).toBe(false);
    expect((await b.read()).get('node-a')?.draining).toBe(false);
  });

  it('Redis restarting empty: the instances that knew a drain write it back', async () => {
    const ns = `t-${randomUUID()}`;
    const [a, b] = [instance(ns), instance(ns)];
    await a.set('node-b', true);
    await b.read();
    await redis.kill();
    await redis.start();
    const fresh = instance(ns);
    await untilOk(() => b.reassert());
    expect((await fresh.read()).get('node-b')?.draining).toBe(true);
  });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function untilOk<T>(fn: () => Promise<T>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(100);
    }
  }
}
