import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monoMs } from '../../loadtest/src/clock.ts';
import type { SyntheticSpeaker } from '../../loadtest/src/SyntheticSpeaker.ts';
import { JOIN_SECRET, OPERATOR_TOKEN, seedEvent } from './support/harness.ts';
import { HostsRig } from './support/hostsRig.ts';
import { RigClassroom, startRigSpeaker } from './support/hostsRigAudience.ts';

// A control-api instance that stalls is alive: HAProxy (deploy/haproxy/haproxy.cfg,
// on the hosts rig) must not take it out and cut every socket it holds. Under load
// (bench:cluster at load 24-26) both instances answered /healthz over 1 s while a
// wave of classes set media up again after a media node's death; HAProxy, whose
// whole check had inter's 1 s, took them out again and again, cutting 20-59 sockets
// each time, and classes were still without signaling nor picture 30 s later.

const STALL_MS = 3_500;
const unavailable = await HostsRig.probe();

describe.skipIf(unavailable !== null)('a control-api instance that stalls (hosts rig)', () => {
  let rig: HostsRig;
  let speaker: SyntheticSpeaker;
  const classrooms: RigClassroom[] = [];

  beforeAll(async () => {
    rig = await HostsRig.start({
      mediaNodeSecret: 'cluster-rig-stall-media-node-secret-0123456789',
      apiEnv: { JOIN_TOKEN_SECRET: JOIN_SECRET, OPERATOR_TOKEN },
    });
    const talk = await seedEvent(rig.balancerUrl, { classrooms: 4, status: 'live' });
    speaker = await startRigSpeaker({
      baseUrl: rig.balancerUrl,
      eventId: talk.eventId,
      token: talk.tokens.speaker,
    });
    for (const [index, token] of talk.tokens.classrooms.entries())
      classrooms.push(
        new RigClassroom({ index, baseUrl: rig.balancerUrl, eventId: talk.eventId, token }),
      );
    await Promise.all(classrooms.map((c) => c.join()));
    const deadline = monoMs() + 20_000;
    while (classrooms.some((c) => !c.decoding()) && monoMs() < deadline)
      await new Promise((r) => setTimeout(r, 100));
  }, 240_000);

  afterAll(async () => {
    for (const c of classrooms) c.close();
    speaker?.close();
    await rig?.close();
  }, 120_000);

  it(`stopped ${STALL_MS} ms (SIGSTOP, its sockets kept), it stays in: HAProxy cuts none of its sockets`, async () => {
    expect(classrooms.filter((c) => !c.decoding()).map((c) => c.peer.figures)).toEqual([]);
    const since = Date.now();
    await rig.stall('api-1', STALL_MS);
    // Its checks answered once it runs again; a DOWN would have come by now.
    await new Promise((r) => setTimeout(r, 3_000));
    const changes = rig.balancerChanges(since);
    console.log(
      `api-1 stopped ${STALL_MS} ms: HAProxy ${changes.length ? changes.map((c) => `${c.server} ${c.state} after ${c.at - since} ms (${c.line})`).join('; ') : 'changed nothing'}`,
    );
    expect(changes.filter((c) => c.state === 'DOWN')).toEqual([]);
    // Every class decodes after it (a socket its own heartbeat dropped resumed its media).
    const deadline = monoMs() + 10_000;
    while (classrooms.some((c) => !c.decoding()) && monoMs() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    for (const c of classrooms)
      expect(c.decoding(), `classroom ${c.peer.figures.index}`).toBe(true);
  }, 60_000);
});
