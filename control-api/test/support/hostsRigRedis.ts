import { SignalingClient } from '@amphi/sdk';
import type { Sql } from 'postgres';
import WebSocket from 'ws';
import { monoMs } from '../../../loadtest/src/clock.ts';
import type { MediaNodeRegistry } from '../../src/rtc/remote/MediaNodeRegistry.ts';
import type { HostsRig } from './hostsRig.ts';
import {
  type Recovery,
  type RigClassroom,
  SocketReturns,
  STALL_MS,
  storedOf,
} from './hostsRigAudience.ts';

// Redis restarting on the hosts rig, as the issue asks of the cluster: the
// bus and the registry recover, nothing acknowledged is lost. Written once
// for the rig test and bench:cluster.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A moderator on one instance's own address (not through the balancer): it
 * hears of questions asked on the other instance only through the bus.
 */
export class RigModerator {
  /** Ids of the questions it was told of. */
  readonly seen = new Set<string>();

  private constructor(readonly client: SignalingClient) {
    client.onEvent('question.created', (q) => this.seen.add(q.id));
    client.onEvent('question.updated', (q) => this.seen.add(q.id));
  }

  static async connect(opts: {
    baseUrl: string;
    eventId: string;
    token: string;
  }): Promise<RigModerator> {
    const client = new SignalingClient({
      ...opts,
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    });
    const moderator = new RigModerator(client);
    await client.connect();
    return moderator;
  }

  close(): void {
    this.client.close();
  }
}

export interface RedisRestartFigures {
  downMs: number;
  /** Restart → both media nodes registered again (ms). */
  nodesBackMs: number | null;
  /** Restart → every talk's origin and every classroom's node read as before (ms). */
  placementsBackMs: number | null;
  /** Questions acknowledged from the kill to 3 s after the restart, and of them in PostgreSQL. */
  ackedAcross: number;
  storedAcross: number;
  /** Of every question acknowledged so far, those the moderators (on api-2) were not told of. */
  unseenByModerators: number;
  /** Sockets the restart cut (none should be). */
  socketsCut: number;
  /** Each classroom's media across the restart (affected: a stall over STALL_MS). */
  media: Recovery[];
}

/**
 * kill -9 of Redis, `downMs` later started again empty, while classrooms
 * watch and ask: how long the registry took to hold the nodes and the
 * placements again, whether every question acknowledged meanwhile is in
 * PostgreSQL under its id, whether the moderators on the other instance heard
 * of every question (the bus, and its gap resynchronisation), and whether any
 * classroom's picture stalled or any socket was cut.
 */
export async function restartRedisUnderLoad(opts: {
  rig: HostsRig;
  registry: MediaNodeRegistry;
  sql: Sql;
  classrooms: RigClassroom[];
  moderators: RigModerator[];
  /** Every client whose socket must stay open (the classrooms', the speakers', the moderators'). */
  sockets: SignalingClient[];
  eventIds: string[];
  downMs: number;
}): Promise<RedisRestartFigures> {
  const { rig, registry, classrooms } = opts;
  const mediaNodes = ['media-1', 'media-2'];
  const placements = async () => {
    const origins = await Promise.all(opts.eventIds.map((id) => registry.nodeOf(id)));
    const on = await Promise.all(
      mediaNodes.map(async (n) =>
        (await registry.classroomsOn(n))
          .map((c) => `${c.eventId}/${c.classroomId}`)
          .sort()
          .join(),
      ),
    );
    return JSON.stringify({ origins, on });
  };
  const before = await placements();
  const ackedBefore = new Set(classrooms.flatMap((c) => [...c.acked.keys()]));
  const returns = new SocketReturns(opts.sockets);
  const watchedAt = monoMs();
  for (const c of classrooms) c.watchFrom(watchedAt);

  const { killedAt, restartedAt } = await rig.restartRedis(opts.downMs);
  const backWithin = async (probe: () => Promise<boolean>) => {
    while (monoMs() - restartedAt < 15_000) {
      if (await probe().catch(() => false)) return Math.round(monoMs() - restartedAt);
      await sleep(50);
    }
    return null;
  };
  const nodesBackMs = await backWithin(async () => {
    const ids = (await registry.nodes()).map((n) => n.nodeId).sort();
    return ids.join() === mediaNodes.join();
  });
  const placementsBackMs = await backWithin(async () => (await placements()) === before);

  // Questions go on a while on a Redis that is back.
  while (monoMs() - restartedAt < 3_000) await sleep(100);
  const media = classrooms.map((c) => c.recovery());
  await returns.settle(monoMs());
  const across = new Map<string, string>();
  for (const c of classrooms)
    for (const [k, id] of c.acked) if (!ackedBefore.has(k)) across.set(k, id);
  const storedAcross = await storedOf(opts.sql, across);
  const everyId = classrooms.flatMap((c) => [...c.acked.values()]);
  const unseen = () => everyId.filter((id) => !opts.moderators.some((m) => m.seen.has(id)));
  const deadline = monoMs() + 15_000;
  while (unseen().length > 0 && monoMs() < deadline) await sleep(100);
  return {
    downMs: Math.round(restartedAt - killedAt),
    nodesBackMs,
    placementsBackMs,
    ackedAcross: across.size,
    storedAcross,
    unseenByModerators: unseen().length,
    socketsCut: returns.cut.size,
    media,
  };
}

/** One line for the logs. */
export function describeRedisRestart(f: RedisRestartFigures): string {
  const stalled = f.media.filter((r) => r.longestGapMs > STALL_MS).length;
  const longest = Math.max(0, ...f.media.map((r) => r.longestGapMs));
  return `Redis killed and started again empty after ${f.downMs} ms: media nodes registered again ${f.nodesBackMs} ms and placements back ${f.placementsBackMs} ms after the restart; ${f.storedAcross} of ${f.ackedAcross} questions acknowledged across it in PostgreSQL; ${f.unseenByModerators} unseen by the moderators on api-2; ${f.socketsCut} sockets cut; ${stalled} of ${f.media.length} classrooms stalled over ${STALL_MS} ms (longest gap ${longest.toFixed(0)} ms)`;
}
