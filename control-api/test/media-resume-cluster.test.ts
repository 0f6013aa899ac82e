import type { JoinResult } from '@amphi/protocol';
import type { SignalingClient } from '@amphi/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadVp8Clip, type Vp8Clip } from '../../loadtest/src/media/vp8Clip.ts';
import type { SyntheticSpeaker } from '../../loadtest/src/SyntheticSpeaker.ts';
import { startSpeaker } from './support/clusterTalk.ts';
import { type Balancer, startBalancer } from './support/haproxy.ts';
import { type SeededEvent, seedEvent } from './support/harness.ts';
import { type ProcessCluster, startProcessCluster } from './support/processCluster.ts';
import { RtpClassroom } from './support/RtpClassroom.ts';
import { until } from './support/within.ts';

// A control-api instance killed (kill -9) under a live event, as deployed:
// two media nodes on their own processes, two control-api processes behind
// HAProxy over one Redis of this file's own, a speaker publishing over real
// WebRTC and classrooms receiving over real WebRTC (libdatachannel), every
// socket through the balancer. The instance holding the speaker's socket is
// killed: its sockets reconnect through HAProxy to the other instance, which
// adopts their media (resume). The media nodes and the WebRTC transports were
// alive all along, so a class must not see its picture stop: the longest
// silence of the video each one plays is measured across the kill.

const SECRET = 'test-media-node-resume-secret-0123456789';
const CLASSROOMS = 6;
/** Longest silence tolerated across the kill (before resume: 1.3-2 s to decode again). */
const MAX_GAP_MS = 400;

let cluster: ProcessCluster;
let apis: ProcessCluster['apis'];
let balancer: Balancer;
let clip: Vp8Clip;
let ev: SeededEvent;
let speaker: SyntheticSpeaker | undefined;
const classrooms: RtpClassroom[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hostPort = (url: string) => new URL(url).host;

beforeAll(async () => {
  cluster = await startProcessCluster({
    secret: SECRET,
    // Its 'participant connected' lines say which instance holds which socket.
    apiEnv: { TRUST_PROXY: '127.0.0.1', LOG_LEVEL: 'info' },
  });
  apis = cluster.apis;
  balancer = await startBalancer([hostPort(apis[0].url), hostPort(apis[1].url)]);
  clip = await loadVp8Clip();
  ev = await seedEvent(balancer.url, { classrooms: CLASSROOMS, status: 'live' });
}, 120_000);

afterAll(async () => {
  for (const c of classrooms) c.close();
  speaker?.close();
  await balancer?.close();
  await cluster?.close();
});

/** Counts the client's reconnections (its socket lost, then joined again). */
function watch(client: SignalingClient): { reconnects: number; last: JoinResult | null } {
  const seen = { reconnects: 0, last: null as JoinResult | null };
  client.on('joined', (join, reconnected) => {
    if (reconnected) seen.reconnects++;
    seen.last = join;
  });
  return seen;
}

/** The instance that connected this participant last: the one holding its socket now. */
function holderOf(participantId: string): number {
  let holder = -1;
  let latest = 0;
  apis.forEach((a, i) => {
    for (const line of a.out.split('\n')) {
      if (!line.includes(participantId) || !line.includes('participant connected')) continue;
      const { time } = JSON.parse(line) as { time: number };
      if (time >= latest) {
        latest = time;
        holder = i;
      }
    }
  });
  return holder;
}

describe('a control-api instance killed under a live event', () => {
  it('every socket dropped while both instances live: each resumes where HAProxy sends it, on either instance', async () => {
    speaker = await startSpeaker(balancer.url, ev, clip);
    for (const token of ev.tokens.classrooms.slice(0, CLASSROOMS)) {
      classrooms.push(await RtpClassroom.receiving(balancer.url, ev.eventId, token));
    }
    const clients = [...classrooms.map((c) => c.client), speaker.session.signaling];
    const seen = clients.map(watch);
    const ids = clients.map((s) => s.lastJoin?.self.participantId as string);
    const before = ids.map(holderOf);
    await sleep(1_000);
    for (const c of classrooms) c.resetGap();
    for (const s of clients) s.dropConnection();
    await until(
      20_000,
      () => seen.every((x) => x.reconnects === 1) && clients.every((s) => s.status === 'open'),
    );
    await sleep(2_000);
    const gaps = classrooms.map((c) => Math.round(c.gapNow()));
    // Where each came back: the other instance, or the same one.
    const moved = ids.filter((id, i) => holderOf(id) !== before[i]).length;
    console.info(
      `every socket dropped: ${moved}/${clients.length} came back on the other instance; classes' longest video silence ${gaps.join(', ')} ms; speaker republished ${speaker.republishes}`,
    );
    for (const x of seen) expect(x.last?.resume?.media?.status).toBe('resumed');
    for (const gap of gaps) expect(gap).toBeLessThan(MAX_GAP_MS);
    expect(speaker.republishes).toBe(0);
  }, 120_000);

  it('its sockets reconnect through HAProxy and resume their media: no class picture stops, the speaker does not publish again', async () => {
    if (!speaker) throw new Error('the first test starts the speaker and the classes');
    const speakerSeen = watch(speaker.session.signaling);
    const seen = classrooms.map((c) => watch(c.client));
    // The instance holding the speaker's socket is the one killed.
    const speakerId = speaker.session.signaling.lastJoin?.self.participantId as string;
    const victim = holderOf(speakerId);
    expect(victim).toBeGreaterThanOrEqual(0);
    const onVictim = classrooms.filter(
      (c) => holderOf(c.client.lastJoin?.self.participantId as string) === victim,
    );
    await sleep(1_000);
    for (const c of classrooms) c.resetGap();
    await sleep(3_000);
    const steady = classrooms.map((c) => Math.round(c.gapNow()));

    for (const c of classrooms) c.resetGap();
    const killedAt = performance.now();
    await apis[victim]?.crash();
    const all = [...classrooms.map((c) => c.client), speaker.session.signaling];
    await until(20_000, () => speakerSeen.reconnects > 0 && all.every((s) => s.status === 'open'));
    const backMs = Math.round(performance.now() - killedAt);
    await until(10_000, () => onVictim.every((c) => seen[classrooms.indexOf(c)]?.reconnects === 1));
    await sleep(2_000);
    const gaps = classrooms.map((c) => Math.round(c.gapNow()));
    const affected = seen.filter((s) => s.reconnects > 0).length;
    console.info(
      `control-api killed: ${affected + 1}/${CLASSROOMS + 1} sockets on it (speaker included) resumed on the other instance within ${backMs} ms; classes' longest video silence across the kill ${gaps.join(', ')} ms (steady, no kill: ${steady.join(', ')} ms); speaker republished ${speaker.republishes}`,
    );
    expect(affected).toBe(onVictim.length);
    for (const s of [...seen.filter((x) => x.reconnects > 0), speakerSeen]) {
      expect(s.last?.resume?.media?.status).toBe('resumed');
    }
    for (const gap of gaps) expect(gap).toBeLessThan(MAX_GAP_MS);
    expect(speaker.republishes).toBe(0);
    expect(classrooms.every((c) => c.reconnects === 0)).toBe(true);
  }, 120_000);
});
