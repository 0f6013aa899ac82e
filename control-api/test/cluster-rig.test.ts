import { Redis } from 'ioredis';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monoMs } from '../../loadtest/src/clock.ts';
import type { SyntheticSpeaker } from '../../loadtest/src/SyntheticSpeaker.ts';
import { MediaNodeRegistry } from '../src/rtc/remote/MediaNodeRegistry.ts';
import { JOIN_SECRET, OPERATOR_TOKEN, type SeededEvent, seedEvent } from './support/harness.ts';
import { HostsRig, type RigHostName } from './support/hostsRig.ts';
import {
  RigClassroom,
  recoveries,
  SocketReturns,
  startRigSpeaker,
  storedOf,
} from './support/hostsRigAudience.ts';
import { drainBusiestNode } from './support/hostsRigDrain.ts';
import {
  describeRedisRestart,
  RigModerator,
  restartRedisUnderLoad,
} from './support/hostsRigRedis.ts';

// The cluster as hosts (support/hostsRig.ts): PostgreSQL, Redis, two media
// nodes, two control-api instances and HAProxy, each in its own network
// namespace with its own address. Two talks, each fed by the synthetic
// speaker (the VP8 test pattern over real WebRTC), watched by simulated
// classrooms (real WebRTC receivers) from outside, through HAProxy, asking
// questions all along. Then kill -9 of the media node holding a talk, the
// node holding it next cut off the network (its link down: no reset, only
// silence), Redis killed and started again empty, the busiest node drained,
// and kill -9 of a control-api instance.

const PER_TALK = 5;
const SECRET = 'cluster-rig-media-node-secret-0123456789';
const unavailable = await HostsRig.probe();

describe.skipIf(unavailable !== null)(
  'the cluster on hosts of its own (network namespaces)',
  () => {
    let rig: HostsRig;
    let redis: Redis;
    let registry: MediaNodeRegistry;
    const talks: SeededEvent[] = [];
    const speakers: SyntheticSpeaker[] = [];
    const classrooms: { c: RigClassroom; eventId: string }[] = [];
    const moderators: RigModerator[] = [];
    let asking: Promise<void>[] = [];
    let running = true;

    beforeAll(async () => {
      rig = await HostsRig.start({
        mediaNodeSecret: SECRET,
        apiEnv: {
          JOIN_TOKEN_SECRET: JOIN_SECRET,
          OPERATOR_TOKEN,
          // A question every second or so per classroom: the quota is not under test.
          QUESTION_RATE_PER_MINUTE: '600',
          QUESTION_BURST: '100',
        },
      });
      redis = new Redis(rig.redisUrl);
      // Redis is restarted below: the observer's connection waits it out.
      redis.on('error', () => {});
      registry = new MediaNodeRegistry({ redis });
      for (let t = 0; t < 2; t++) {
        const talk = await seedEvent(rig.balancerUrl, { classrooms: PER_TALK, status: 'live' });
        talks.push(talk);
        const { eventId } = talk;
        speakers.push(
          await startRigSpeaker({ baseUrl: rig.balancerUrl, eventId, token: talk.tokens.speaker }),
        );
        for (const token of talk.tokens.classrooms) {
          const c = new RigClassroom({
            index: classrooms.length,
            baseUrl: rig.balancerUrl,
            eventId,
            token,
          });
          classrooms.push({ c, eventId });
        }
      }
      await Promise.all(classrooms.map(({ c }) => c.join()));
      const deadline = Date.now() + 20_000;
      while (classrooms.some(({ c }) => !c.decoding()) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      asking = classrooms.map(({ c }) => c.ask(() => running, 1_000));
      // Each talk's moderator on api-2's own address: it hears of api-1's questions by the bus.
      for (const talk of talks) {
        moderators.push(
          await RigModerator.connect({
            baseUrl: rig.apiUrl('api-2'),
            eventId: talk.eventId,
            token: talk.tokens.moderator,
          }),
        );
      }
    }, 240_000);

    afterAll(async () => {
      running = false;
      await Promise.all(asking);
      for (const { c } of classrooms) c.close();
      for (const m of moderators) m.close();
      for (const s of speakers) s.close();
      redis?.disconnect();
      await rig?.close();
    }, 120_000);

    it('every classroom decodes the test pattern, both media nodes carrying some', async () => {
      const undecoded = classrooms.filter(({ c }) => !c.decoding()).map(({ c }) => c.peer.figures);
      expect(undecoded, rig.output()).toEqual([]);
      const nodes = await registry.nodes();
      expect(nodes.map((n) => n.nodeId).sort()).toEqual(['media-1', 'media-2']);
      // Placement spread the classrooms over both hosts (each classroom's node, in the registry).
      const on = {
        'media-1': (await registry.classroomsOn('media-1')).length,
        'media-2': (await registry.classroomsOn('media-2')).length,
      };
      console.log(
        `classrooms per media node ${JSON.stringify(on)}; origins ${JSON.stringify({
          'media-1': await registry.originsOn('media-1'),
          'media-2': await registry.originsOn('media-2'),
        })}`,
      );
      expect(on['media-1'] + on['media-2']).toBe(classrooms.length);
      expect(on['media-1']).toBeGreaterThan(0);
      expect(on['media-2']).toBeGreaterThan(0);
    });

    it('kill -9 of a media node: each of its classrooms decodes again on the other one within 5 s', async () => {
      const holder = ((await registry.nodeOf(talks[0]?.eventId as string)) ??
        'media-1') as RigHostName;
      for (const { c } of classrooms) c.watchFrom(monoMs());
      const killedAt = monoMs();
      for (const { c } of classrooms) c.watchFrom(killedAt);
      await rig.crash(holder);
      const seen = await recoveries(
        classrooms.map(({ c }) => c),
        killedAt,
        { settleMs: 6_000, timeoutMs: 20_000 },
      );
      const affected = seen.filter((r) => r.affected);
      console.log(
        `media node ${holder} killed: ${affected.length} of ${seen.length} classrooms lost their picture (media set up again, or a stall over 1 s), decoding again after ${affected.map((r) => r.recoveredMs?.toFixed(0)).join(', ')} ms; longest gap of the others ${Math.max(0, ...seen.filter((r) => !r.affected).map((r) => r.longestGapMs)).toFixed(0)} ms`,
      );
      expect(affected.length).toBeGreaterThan(0);
      for (const r of affected) {
        expect(r.recoveredMs, rig.output()).not.toBeNull();
        expect(r.recoveredMs as number).toBeLessThan(5_000);
      }
      // Every classroom decodes now; the talk moved off the dead node.
      for (const { c } of classrooms)
        expect(c.decoding(), `classroom ${c.peer.figures.index}`).toBe(true);
      expect(await registry.nodeOf(talks[0]?.eventId as string)).not.toBe(holder);
    }, 60_000);

    it('a media node cut off (link down, no reset): each of its classrooms decodes again within 5 s', async () => {
      // The node killed above comes back first; the one holding the first talk now is cut.
      for (const id of ['media-1', 'media-2'] as const)
        if (!rig.mediaNodes.get(id)?.running) await rig.startMediaNode(id);
      await new Promise((r) => setTimeout(r, 2_000));
      const holder = ((await registry.nodeOf(talks[0]?.eventId as string)) ??
        'media-1') as RigHostName;
      const cutAt = monoMs();
      const cutWall = Date.now();
      for (const { c } of classrooms) c.watchFrom(cutAt);
      await rig.crash(holder, 'cut');
      const seen = await recoveries(
        classrooms.map(({ c }) => c),
        cutAt,
        { settleMs: 6_000, timeoutMs: 20_000 },
      );
      const affected = seen.filter((r) => r.affected);
      console.log(
        `media node ${holder} cut off: ${affected.length} of ${seen.length} classrooms lost their picture, decoding again after ${affected.map((r) => r.recoveredMs?.toFixed(0)).join(', ')} ms`,
      );
      expect(affected.length).toBeGreaterThan(0);
      for (const r of affected) {
        expect(r.recoveredMs, rig.output()).not.toBeNull();
        expect(r.recoveredMs as number).toBeLessThan(5_000);
      }
      for (const { c } of classrooms)
        expect(c.decoding(), `classroom ${c.peer.figures.index}`).toBe(true);
      // Each channel to it (the instances', the other node's) dropped for its silence, and only it.
      const { dropped, quietMs } = rig.channelSilences();
      console.log(
        `channels dropped for silence: ${dropped.map((d) => `${d.host} after ${d.at - cutWall} ms (silent ${d.silentMs} ms)`).join(', ')}; near misses of healthy nodes: ${quietMs.length ? quietMs.join(', ') : 'none'}`,
      );
      await rig.reconnect(holder);
      await rig.startMediaNode(holder as 'media-1' | 'media-2');
      expect(dropped.filter((d) => !d.url.includes(rig.hosts[holder].ip))).toEqual([]);
    }, 60_000);

    it('Redis restarts (kill -9, empty): the registry and the bus recover, nothing acknowledged is lost', async () => {
      await new Promise((r) => setTimeout(r, 2_000));
      const sql = postgres(rig.databaseUrl, { max: 1, onnotice: () => {} });
      const figures = await restartRedisUnderLoad({
        rig,
        registry,
        sql,
        classrooms: classrooms.map(({ c }) => c),
        moderators,
        sockets: [
          ...speakers.map((s) => s.session.signaling),
          ...classrooms.map(({ c }) => c.signaling),
          ...moderators.map((m) => m.client),
        ],
        eventIds: talks.map((t) => t.eventId),
        downMs: 3_000,
      }).finally(() => sql.end());
      console.log(describeRedisRestart(figures));
      expect(figures.nodesBackMs).not.toBeNull();
      expect(figures.placementsBackMs).not.toBeNull();
      expect(figures.ackedAcross).toBeGreaterThan(0);
      expect(figures.storedAcross).toBe(figures.ackedAcross);
      expect(figures.unseenByModerators).toBe(0);
      expect(figures.socketsCut).toBe(0);
      expect(figures.media.filter((r) => r.affected)).toEqual([]);
    }, 60_000);

    it('a media node drained: its classrooms move make-before-break, no picture stalls', async () => {
      const drainAt = monoMs();
      for (const { c } of classrooms) c.watchFrom(drainAt);
      const drain = await drainBusiestNode(rig.balancerUrl);
      const seen = classrooms.map(({ c }) => c.recovery());
      const moved = seen.filter((r) => r.affected);
      console.log(
        `drain: ${drain.note}; ${moved.length} of ${seen.length} classrooms moved, longest gap of each ${seen.map((r) => r.longestGapMs.toFixed(0)).join(', ')} ms (${seen.filter((r) => r.longestGapMs > 500).length} over 500 ms)`,
      );
      expect(drain.left, drain.note).toBe(0);
      expect(moved.length).toBeGreaterThan(0);
      // Make-before-break: the issue's goal, no freeze over 500 ms.
      for (const r of seen) expect(r.longestGapMs).toBeLessThan(500);
      for (const { c } of classrooms)
        expect(c.decoding(), `classroom ${c.peer.figures.index}`).toBe(true);
    }, 90_000);

    it('kill -9 of a control-api instance: every client comes back through HAProxy, no acknowledged question lost', async () => {
      const everyone = [
        ...speakers.map((s) => s.session.signaling),
        ...classrooms.map(({ c }) => c.signaling),
      ];
      const returns = new SocketReturns(everyone);
      const killedAt = monoMs();
      await rig.crash('api-1');
      await returns.settle(killedAt + 20_000);
      const { cut, back } = returns;
      const backMs = [...back.values()].map((t) => t - killedAt);
      console.log(
        `control-api api-1 killed: ${back.size} of ${cut.size} cut clients back through HAProxy (of ${everyone.length}), within ${Math.max(0, ...backMs).toFixed(0)} ms`,
      );
      expect(cut.size).toBeGreaterThan(0);
      expect(back.size).toBe(cut.size);
      expect(everyone.every((s) => s.status === 'open')).toBe(true);
      // Media flows on: the media nodes kept it detached and the sockets' resume on the
      // other instance adopted it; a class whose resume was refused sets it up again.
      const mediaDeadline = Date.now() + 10_000;
      while (classrooms.some(({ c }) => !c.decoding()) && Date.now() < mediaDeadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      for (const { c } of classrooms)
        expect(c.decoding(), `classroom ${c.peer.figures.index}`).toBe(true);

      // Questions go on a moment, then every acknowledged one is looked up.
      await new Promise((r) => setTimeout(r, 2_000));
      running = false;
      await Promise.all(asking);
      const acked = new Map<string, string>();
      for (const { c } of classrooms) for (const [k, id] of c.acked) acked.set(k, id);
      const sql = postgres(rig.databaseUrl, { max: 1, onnotice: () => {} });
      const stored = await storedOf(sql, acked).finally(() => sql.end());
      console.log(`questions: ${acked.size} acknowledged, ${stored} of them in PostgreSQL`);
      expect(acked.size).toBeGreaterThan(classrooms.length);
      expect(stored).toBe(acked.size);
      // Everything went through the ports the deployment opens: the hosts' firewalls refused nothing.
      expect(await rig.dropped()).toEqual({});
    }, 90_000);
  },
);
