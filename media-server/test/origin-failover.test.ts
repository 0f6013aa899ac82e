import type { types } from 'mediasoup';
import * as mediasoup from 'mediasoup';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Broadcast } from '../src/Broadcast.ts';
import { WorkerPool } from '../src/WorkerPool.ts';

// The origin's worker is killed (SIGKILL, as a crash) under a live broadcast:
// the broadcast must come back on a worker that lives, and every participant
// must be told to set its media up again; never a silent close.

const IP = '127.0.0.1';
const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** Every router the workers create, to tell whether one is closed (no lookup by id in mediasoup). */
const routers = new Map<string, types.Router>();
mediasoup.observer.on('newworker', (worker) =>
  worker.observer.on('newrouter', (router) => routers.set(router.id, router)),
);

const open: { pool: WorkerPool; broadcasts: Broadcast[] }[] = [];
afterEach(() => {
  for (const { pool, broadcasts } of open.splice(0)) {
    for (const b of broadcasts) b.close();
    pool.close();
  }
});

async function setup(size: number) {
  const pool = await WorkerPool.create({ size, listenIp: IP, logger, restartDelayMs: 10 });
  const entry = { pool, broadcasts: [] as Broadcast[] };
  open.push(entry);
  const newBroadcast = async () => {
    const b = await Broadcast.create({
      eventId: 'event-failover',
      pool,
      logger,
      transportOptions: { listenIp: IP },
    });
    entry.broadcasts.push(b);
    return b;
  };
  return { pool, newBroadcast };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await sleep(5);
  }
  return true;
}

/** A speaker and a classroom with a transport each, as a raw client would set them up. */
async function joinBoth(broadcast: Broadcast, round: number): Promise<string[]> {
  const ids = [`speaker-${round}`, `classroom-${round}`];
  const speaker = await broadcast.join(ids[0] as string, 'speaker');
  const classroom = await broadcast.join(ids[1] as string, 'classroom');
  await Promise.all([speaker.createWebRtcTransport(), classroom.createWebRtcTransport()]);
  return ids;
}

type Outcome = { survived: boolean; told: string[]; ms: number };

/**
 * Kills the origin's worker (and `alsoKill` others at once), then waits for the
 * broadcast to have a live origin again or to close.
 */
async function killOrigin(
  pool: WorkerPool,
  broadcast: Broadcast,
  participants: string[],
  alsoKill: (origin: number) => number[] = () => [],
): Promise<Outcome> {
  const told: string[] = [];
  const onLost = ({ participantId }: { participantId: string }) => told.push(participantId);
  broadcast.on('participantlost', onLost);
  const before = broadcast.originRouterId;
  const originIndex = (await broadcast.stats()).originWorker;
  const victims = [originIndex, ...alsoKill(originIndex)];
  const started = performance.now();
  for (const index of victims) {
    const w = pool.worker(index);
    if (w) process.kill(w.worker.pid, 'SIGKILL');
  }
  const rebuilt = () => {
    const router = routers.get(broadcast.originRouterId);
    return broadcast.originRouterId !== before && router !== undefined && !router.closed;
  };
  await until(() => broadcast.closed || rebuilt(), 20_000);
  const ms = performance.now() - started;
  // Whatever happened, every participant is told within a moment.
  await until(() => participants.every((p) => told.includes(p)), 2000);
  broadcast.off('participantlost', onLost);
  return { survived: !broadcast.closed && rebuilt(), told, ms };
}

describe('the origin worker dies', () => {
  it('20 kills in a row, 3 workers: the origin is rebuilt on a live worker every time and every participant is told', async () => {
    const { pool, newBroadcast } = await setup(3);
    let broadcast = await newBroadcast();
    const failures: { round: number; closed: boolean; untold: string[] }[] = [];
    const rebuildMs: number[] = [];
    for (let round = 0; round < 20; round++) {
      // All three workers running: the dying one is the only wrong choice.
      expect(await until(() => pool.workers.length === 3, 15_000)).toBe(true);
      const participants = await joinBoth(broadcast, round);
      const outcome = await killOrigin(pool, broadcast, participants);
      const untold = participants.filter((p) => !outcome.told.includes(p));
      if (outcome.survived) rebuildMs.push(outcome.ms);
      if (!outcome.survived || untold.length > 0) {
        failures.push({ round, closed: !outcome.survived, untold });
      }
      if (!outcome.survived) broadcast = await newBroadcast(); // to count the next rounds
    }
    console.log(
      `origin kills: ${failures.filter((f) => f.closed).length} of 20 closed the broadcast,`,
      `${failures.filter((f) => f.untold.length > 0).length} left a participant untold;`,
      `rebuild ms max ${Math.round(Math.max(0, ...rebuildMs))}`,
    );
    expect(failures).toEqual([]);
  }, 120_000);

  it('the only worker dies: the origin waits for its replacement', async () => {
    const { pool, newBroadcast } = await setup(1);
    const broadcast = await newBroadcast();
    const participants = await joinBoth(broadcast, 0);
    const outcome = await killOrigin(pool, broadcast, participants);
    expect(outcome.survived).toBe(true);
    expect(outcome.told.sort()).toEqual([...participants].sort());
    // The rebuilt broadcast serves again.
    await joinBoth(broadcast, 1);
  }, 30_000);

  it('the worker the origin would move to dies at the same moment: it moves once more', async () => {
    const { pool, newBroadcast } = await setup(2);
    const broadcast = await newBroadcast();
    const participants = await joinBoth(broadcast, 0);
    const outcome = await killOrigin(pool, broadcast, participants, (origin) =>
      pool.workers.filter((w) => w.index !== origin).map((w) => w.index),
    );
    expect(outcome.survived).toBe(true);
    expect(outcome.told.sort()).toEqual([...participants].sort());
    await joinBoth(broadcast, 1);
  }, 30_000);
});
