// The cluster as hosts (control-api/test/support/hostsRig.ts): PostgreSQL,
// Redis, two media nodes (`npm run media-node`), two control-api instances
// (`npm start`, MEDIA_PLANE=remote) and Debian's HAProxy
// (deploy/haproxy/haproxy.cfg), each in its own network namespace with its own
// address on one bridge. Two talks, each fed by the synthetic speaker (the VP8
// test pattern over real WebRTC), watched through HAProxy by simulated
// classrooms (real WebRTC receivers, every packet read) and a few real
// Chromium classrooms (the viewer, in a "schools" namespace), all asking a
// question every two seconds, an unacknowledged one sent again with the same
// key as the viewer does. Then, one phase after the other:
//   1. media node killed: kill -9 of every process of the host holding the
//      first talk; each classroom whose media was set up again is timed from
//      the kill to its first frame decodable again (a key frame, then frames;
//      in Chromium, frames decoded on the new transport). The host is started
//      again afterwards.
//   1b. media node cut off: the host then holding that talk loses its link
//      first (no reset, no ICMP: a power cut), then its processes; timed the
//      same way (only the control channels' silence tells: 1.5 s). Its link
//      and node come back afterwards.
//   1c. Redis restarted: kill -9, started again empty 3 s later; how long the
//      registry takes to hold the nodes and placements again, the questions
//      acknowledged across it against PostgreSQL, whether the moderators (on
//      api-2's own address) heard of every question, sockets cut, stalls.
//   2. control-api killed: kill -9 of one instance; its clients are timed
//      until they joined again through HAProxy, and their media until it plays.
//   3. drain: a media node drained by the operator route, when there is one;
//      every classroom moves make-before-break (the simulated ones as the
//      sdk's viewer does: a second transport, switched to at its first key frame).
// Every acknowledged question is then looked up in PostgreSQL.
//
//   npm run bench:cluster [-- --classrooms 100 --browsers 2]   (as root)
//
// --classrooms counts the simulated ones; the browsers come on top (the
// viewer must be built: npm run build:apps). Prints a table per phase and
// one last line
//   cluster media_nodes=2 api_instances=2 classrooms=N failover_p95_ms=X questions_acked=A questions_stored=S
// (N: every classroom, simulated and Chromium; X: the media node phase, every
// affected classroom) and writes bench/results/cluster-<time>.json.

import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import type { Page } from 'playwright-core';
import postgres from 'postgres';
import { type Browser, inboundStats, launchChromium } from '../../e2e/support/browser.ts';
import { monoMs } from '../../loadtest/src/clock.ts';
import type { SyntheticSpeaker } from '../../loadtest/src/SyntheticSpeaker.ts';
import { MediaNodeRegistry } from '../src/rtc/remote/MediaNodeRegistry.ts';
import {
  JOIN_SECRET,
  OPERATOR_TOKEN,
  type SeededEvent,
  seedEvent,
} from '../test/support/harness.ts';
import { HostsRig, type RigHostName } from '../test/support/hostsRig.ts';
import {
  percentile,
  type Recovery,
  RigClassroom,
  recoveries,
  SocketReturns,
  STALL_MS,
  startRigSpeaker,
  storedOf,
} from '../test/support/hostsRigAudience.ts';
import { drainBusiestNode } from '../test/support/hostsRigDrain.ts';
import {
  describeRedisRestart,
  RigModerator,
  restartRedisUnderLoad,
} from '../test/support/hostsRigRedis.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { values: args } = parseArgs({
  options: { classrooms: { type: 'string' }, browsers: { type: 'string' } },
});
const SIMULATED = Number(args.classrooms ?? 60);
const BROWSERS = Number(args.browsers ?? 2);
const SECRET = 'bench-cluster-media-node-secret-0123456789';
const log = (line: string) => process.stderr.write(`${line}\n`);
/**
 * This process's own stalls: the synthetic speakers and the simulated
 * classrooms all run in it, so while it stalls every one of them sees a gap
 * that no real classroom would (reset at each phase's start).
 */
const loopDelay = monitorEventLoopDelay({ resolution: 20 });
loopDelay.enable();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A Chromium classroom (the viewer), read through the page's own WebRTC stats. */
class BrowserClassroom {
  #watch: { since: number; before: number; lowest: number; recoveredAt: number | null } | null =
    null;
  #last = { at: 0, frames: 0 };
  #longestGap = 0;
  #longestGapEnd: number | null = null;
  #polling = true;
  readonly #poll: Promise<void>;

  constructor(readonly page: Page) {
    this.#poll = this.#run();
  }

  async #run(): Promise<void> {
    while (this.#polling) {
      const s = await inboundStats(this.page).catch(() => null);
      const at = monoMs();
      if (s) {
        const frames = s.video.framesDecoded;
        const w = this.#watch;
        // A new transport's count starts low again: only frames decoded count as a frame's time.
        if (frames > this.#last.frames) {
          if (w && at - this.#last.at > this.#longestGap) {
            this.#longestGap = at - this.#last.at;
            this.#longestGapEnd = at;
          }
          this.#last = { at, frames };
        } else if (frames < this.#last.frames) {
          this.#last = { at: this.#last.at, frames };
        }
        // A transport set up anew counts from zero: frames below the count before the incident.
        if (w) {
          w.lowest = Math.min(w.lowest, frames);
          if (w.recoveredAt === null && w.lowest < w.before && frames > w.lowest + 3) {
            w.recoveredAt = at;
          }
        }
      }
      await sleep(100);
    }
  }

  watchFrom(since: number): void {
    this.#watch = {
      since,
      before: this.#last.frames,
      lowest: this.#last.frames,
      recoveredAt: null,
    };
    this.#longestGap = 0;
    this.#longestGapEnd = null;
    this.#last = { ...this.#last, at: since };
  }

  recovery(now = monoMs()): Recovery {
    const w = this.#watch;
    if (!w) throw new Error('not watching');
    const longestGapMs = Math.max(this.#longestGap, now - this.#last.at);
    if (w.lowest < w.before) {
      return {
        affected: true,
        recoveredMs: w.recoveredAt === null ? null : w.recoveredAt - w.since,
        longestGapMs,
      };
    }
    // Consumers renewed on the same transport (the speaker published again): a stall, if any.
    const stalled = longestGapMs > STALL_MS;
    const ended = this.#longestGap === longestGapMs && this.#longestGapEnd !== null;
    return {
      affected: stalled,
      recoveredMs: stalled && ended ? (this.#longestGapEnd as number) - w.since : null,
      longestGapMs,
    };
  }

  decoding(withinMs = 1500): boolean {
    return this.#last.frames > 0 && monoMs() - this.#last.at < withinMs;
  }

  async close(): Promise<void> {
    this.#polling = false;
    await this.#poll;
  }
}

interface PhaseFigures {
  phase: string;
  classrooms: number;
  affected: number;
  recovered: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  browsers: { affected: number; recoveredMs: (number | null)[]; longestGapMs: number[] };
  /** Of the affected classrooms: their longest wait between two decodable frames. */
  gapP95Ms: number;
  gapMaxMs: number;
  /** Classrooms (any) that waited over 500 ms between two frames (the drain's goal: none). */
  gapsOver500Ms: number;
  /** Longest wait between decodable frames of a classroom the incident did not touch. */
  othersLongestGapMs: number;
  /** This process's longest stall during the phase (speakers and simulated classrooms froze with it). */
  simulatorStallMs: number;
}

function phaseFigures(phase: string, sim: Recovery[], browsers: Recovery[]): PhaseFigures {
  const all = [...sim, ...browsers];
  const affected = all.filter((r) => r.affected);
  const ms = affected.flatMap((r) => (r.recoveredMs === null ? [] : [Math.round(r.recoveredMs)]));
  return {
    phase,
    classrooms: all.length,
    affected: affected.length,
    recovered: ms.length,
    p50Ms: percentile(ms, 50),
    p95Ms: percentile(ms, 95),
    maxMs: ms.length ? Math.max(...ms) : Number.NaN,
    browsers: {
      affected: browsers.filter((r) => r.affected).length,
      recoveredMs: browsers
        .filter((r) => r.affected)
        .map((r) => (r.recoveredMs === null ? null : Math.round(r.recoveredMs))),
      longestGapMs: browsers.map((r) => Math.round(r.longestGapMs)),
    },
    gapP95Ms: Math.round(
      percentile(
        affected.map((r) => r.longestGapMs),
        95,
      ),
    ),
    gapMaxMs: affected.length
      ? Math.round(Math.max(...affected.map((r) => r.longestGapMs)))
      : Number.NaN,
    gapsOver500Ms: all.filter((r) => r.longestGapMs > 500).length,
    othersLongestGapMs: Math.round(
      Math.max(0, ...all.filter((r) => !r.affected).map((r) => r.longestGapMs)),
    ),
    simulatorStallMs: Math.round(loopDelay.max / 1e6),
  };
}

function table(title: string, rows: string[][]): void {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  log(`\n${title}`);
  for (const [n, r] of rows.entries()) {
    log(`| ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`);
    if (n === 0) log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  }
}

/** Classrooms that waited over 500 ms between two frames during the drain. */
function drainFreezes(
  sim: { c: RigClassroom }[],
  pages: { b: BrowserClassroom }[],
): { simulated: number; browsers: number } {
  return {
    simulated: sim.filter(({ c }) => c.recovery().longestGapMs > 500).length,
    browsers: pages.filter(({ b }) => b.recovery().longestGapMs > 500).length,
  };
}

/**
 * The drainer's warnings in the instances' logs (warn level, the rig's
 * default) since `since` (epoch ms), by message: moves refused (no node with
 * room) and classes set up anew because they had not left the node in time.
 */
function drainerWarnings(
  rig: HostsRig,
  since: number,
): { counts: Record<string, number>; participants: string[]; entries: DrainerWarning[] } {
  const counts: Record<string, number> = {};
  const participants: string[] = [];
  const entries: DrainerWarning[] = [];
  for (const api of rig.apis.values()) {
    for (const line of api.out.split('\n')) {
      if (!line.includes('"component":"drain"')) continue;
      try {
        const entry = JSON.parse(line) as {
          time?: number;
          level?: number;
          msg?: string;
          participantId?: string;
          classroomId?: string;
          held?: DrainerWarning['held'];
        };
        if ((entry.time ?? 0) < since || (entry.level ?? 0) < 40 || !entry.msg) continue;
        counts[entry.msg] = (counts[entry.msg] ?? 0) + 1;
        if (entry.participantId) participants.push(entry.participantId);
        entries.push({
          msg: entry.msg,
          participantId: entry.participantId ?? null,
          classroomId: entry.classroomId ?? null,
          held: entry.held ?? [],
        });
      } catch {}
    }
  }
  return { counts, participants, entries };
}

/** One warning of the drainer, with what kept the class counted on the node (its media objects there). */
interface DrainerWarning {
  msg: string;
  participantId: string | null;
  classroomId: string | null;
  held: { id: string; transport: boolean; transportId: string }[];
}

/** Simulated classrooms an incident left without a picture: what their client went through. */
function stuck(sim: { c: RigClassroom }[]) {
  return sim
    .filter(({ c }) => {
      const r = c.recovery();
      return r.affected && r.recoveredMs === null;
    })
    .map(({ c }) => ({
      index: c.peer.figures.index,
      signaling: c.signaling.status,
      mediaSetups: c.peer.figures.mediaSetups,
      mediaErrors: c.peer.figures.mediaErrors.slice(-3),
      error: c.peer.figures.error,
      // Where its media stands (retrying, waiting for signaling...), set-ups failed in a row.
      media: c.peer.figures.media,
      // Its socket's last status changes, against the incident (ms after it).
      statusLog: c.statusLog.map((e) => ({ ...e, at: e.at - (c.watchedSince ?? 0) })),
      // Its media's last steps (what told it to set up again, each answer, the transport's states).
      steps: c.peer.figures.steps.map((e) => ({ ...e, at: e.at - (c.watchedSince ?? 0) })),
    }));
}

/** Said at once (a later phase may not finish): what each classroom left without a picture went through. */
function logStuck(phase: string, records: ReturnType<typeof stuck>): void {
  for (const r of records)
    log(`${phase}: classroom ${r.index} without a picture: ${JSON.stringify(r)}`);
}

/**
 * HAProxy taking a control-api instance out (every socket it held cut) or
 * back during a phase, said at once: in a phase that killed no instance, a
 * cut is a false death (an instance too slow for its checks).
 */
function balancerChanges(rig: HostsRig, phase: string, since: number) {
  const changes = rig
    .balancerChanges(since)
    .map((c) => ({ server: c.server, state: c.state, afterMs: c.at - since, line: c.line }));
  for (const c of changes)
    log(`${phase}: HAProxy marked ${c.server} ${c.state} ${c.afterMs} ms after it: ${c.line}`);
  return changes;
}

async function main(): Promise<void> {
  const unavailable = await HostsRig.probe();
  if (unavailable) throw new Error(`bench:cluster: ${unavailable}`);
  const viewerBuilt = existsSync(path.join(ROOT, 'viewer/dist/index.html'));
  const browsersWanted = viewerBuilt ? BROWSERS : 0;
  if (!viewerBuilt && BROWSERS > 0)
    log('viewer/dist missing: no Chromium classrooms (npm run build:apps)');

  const started = Date.now();
  // The figures depend on how busy the machine is: every "host" shares its cores.
  const loadBefore = os.loadavg()[0] ?? 0;
  const rig = await HostsRig.start({
    mediaNodeSecret: SECRET,
    apiEnv: {
      JOIN_TOKEN_SECRET: JOIN_SECRET,
      OPERATOR_TOKEN,
      QUESTION_RATE_PER_MINUTE: '600',
      QUESTION_BURST: '100',
      // Every simulated classroom comes from the one outside address.
      CONNECT_RATE_PER_IP_PER_SECOND: '10000',
      CONNECT_BURST_PER_IP: '100000',
      API_RATE_PER_MINUTE: '100000',
    },
  });
  log(`rig up in ${Date.now() - started} ms (databases, 2 media nodes, 2 instances, HAProxy)`);
  const redis = new Redis(rig.redisUrl);
  // Redis is restarted below: the observer's connection waits it out.
  redis.on('error', () => {});
  const registry = new MediaNodeRegistry({ redis });
  const sql = postgres(rig.databaseUrl, { max: 2, onnotice: () => {} });
  const speakers: SyntheticSpeaker[] = [];
  const sim: { c: RigClassroom; talk: number }[] = [];
  const pages: { b: BrowserClassroom; talk: number }[] = [];
  const moderators: RigModerator[] = [];
  let browser: Browser | null = null;
  let running = true;
  let asking: Promise<void>[] = [];
  try {
    // Two talks, the classrooms shared between them; the browsers take the talks' last links.
    const talks: SeededEvent[] = [];
    for (let t = 0; t < 2; t++) {
      const n = Math.ceil(SIMULATED / 2) + Math.ceil(browsersWanted / 2);
      talks.push(await seedEvent(rig.balancerUrl, { classrooms: n, status: 'live' }));
    }
    for (const talk of talks) {
      const { eventId } = talk;
      speakers.push(
        await startRigSpeaker({ baseUrl: rig.balancerUrl, eventId, token: talk.tokens.speaker }),
      );
    }
    for (let i = 0; i < SIMULATED; i++) {
      const talk = i % 2;
      const ev = talks[talk] as SeededEvent;
      const token = ev.tokens.classrooms[Math.floor(i / 2)] as string;
      sim.push({
        c: new RigClassroom({ index: i, baseUrl: rig.balancerUrl, eventId: ev.eventId, token }),
        talk,
      });
    }
    // Joining ten at a time: a join storm is not what this measures.
    for (let i = 0; i < sim.length; i += 10)
      await Promise.all(sim.slice(i, i + 10).map(({ c }) => c.join()));
    if (browsersWanted > 0) {
      browser = await launchChromium({
        executablePath: await rig.chromiumPath(),
        // getUserMedia and crypto.randomUUID want a secure context; the rig's balancer has no TLS.
        // Each classroom's screen is in front in its school: pages in the background here
        // must not be throttled (they painted about once a second, read as a freeze).
        args: [
          `--unsafely-treat-insecure-origin-as-secure=${rig.balancerUrl}`,
          '--disable-background-timer-throttling',
          '--disable-renderer-backgrounding',
          '--disable-backgrounding-occluded-windows',
        ],
      });
      for (let i = 0; i < browsersWanted; i++) {
        const talk = i % 2;
        const ev = talks[talk] as SeededEvent;
        const token = ev.tokens.classrooms[
          ev.tokens.classrooms.length - 1 - Math.floor(i / 2)
        ] as string;
        const page = await browser.context.newPage();
        await page.goto(
          `${rig.balancerUrl}/viewer/?event=${ev.eventId}&token=${encodeURIComponent(token)}`,
        );
        pages.push({ b: new BrowserClassroom(page), talk });
      }
    }
    const deadline = Date.now() + 30_000;
    const notDecoding = () => [
      ...sim.filter(({ c }) => !c.decoding()),
      ...pages.filter(({ b }) => !b.decoding()),
    ];
    while (notDecoding().length > 0 && Date.now() < deadline) await sleep(200);
    const nodes = await registry.nodes();
    // Each classroom's node and each talk's origin, as placement wrote them in the registry.
    const perNode: Record<string, { classrooms: number; origins: number }> = {};
    for (const n of nodes) {
      perNode[n.nodeId] = {
        classrooms: (await registry.classroomsOn(n.nodeId)).length,
        origins: (await registry.originsOn(n.nodeId)).length,
      };
    }
    log(
      `${sim.length} simulated + ${pages.length} Chromium classrooms on 2 talks; ${notDecoding().length} not decoding; per media node ${JSON.stringify(perNode)}`,
    );
    asking = sim.map(({ c }) => c.ask(() => running, 2_000));
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
    await sleep(3_000);

    // 1. The media node holding the first talk goes away (every process of its host).
    const holder = ((await registry.nodeOf(talks[0]?.eventId as string)) ??
      'media-1') as RigHostName;
    const killedAt = monoMs();
    const killedWall = Date.now();
    for (const { c } of sim) c.watchFrom(killedAt);
    for (const { b } of pages) b.watchFrom(killedAt);
    loopDelay.reset();
    await rig.crash(holder);
    const simSeen = await recoveries(
      sim.map(({ c }) => c),
      killedAt,
      { settleMs: 6_000, timeoutMs: 30_000 },
    );
    while (
      monoMs() - killedAt < 30_000 &&
      pages.some(({ b }) => b.recovery().affected && b.recovery().recoveredMs === null)
    )
      await sleep(100);
    const mediaPhase = phaseFigures(
      `media node ${holder} killed`,
      simSeen,
      pages.map(({ b }) => b.recovery()),
    );
    const mediaPhaseStuck = stuck(sim);
    logStuck('media node killed', mediaPhaseStuck);
    const mediaPhaseBalancer = balancerChanges(rig, 'media node killed', killedWall);
    log(
      `media node ${holder} killed: ${mediaPhase.recovered}/${mediaPhase.affected} affected classrooms decoding again`,
    );
    await rig.startMediaNode(holder as 'media-1' | 'media-2');
    await sleep(3_000);

    // 1b. The node holding the first talk now loses its link, then its processes: a power
    // cut, where nothing answers (no reset, no ICMP) and only the silence tells.
    const cutHolder = ((await registry.nodeOf(talks[0]?.eventId as string)) ??
      (holder === 'media-1' ? 'media-2' : 'media-1')) as RigHostName;
    const cutAt = monoMs();
    const cutWall = Date.now();
    for (const { c } of sim) c.watchFrom(cutAt);
    for (const { b } of pages) b.watchFrom(cutAt);
    loopDelay.reset();
    await rig.crash(cutHolder, 'cut');
    const cutSim = await recoveries(
      sim.map(({ c }) => c),
      cutAt,
      { settleMs: 8_000, timeoutMs: 30_000 },
    );
    while (
      monoMs() - cutAt < 30_000 &&
      pages.some(({ b }) => b.recovery().affected && b.recovery().recoveredMs === null)
    )
      await sleep(100);
    const cutPhase = phaseFigures(
      `media node ${cutHolder} cut off`,
      cutSim,
      pages.map(({ b }) => b.recovery()),
    );
    const cutPhaseStuck = stuck(sim);
    logStuck('media node cut off', cutPhaseStuck);
    const cutPhaseBalancer = balancerChanges(rig, 'media node cut off', cutWall);
    log(
      `media node ${cutHolder} cut off: ${cutPhase.recovered}/${cutPhase.affected} affected classrooms decoding again`,
    );
    const cutIp = rig.hosts[cutHolder].ip;
    // The cut node's channels dropped after the cut; a drop before it was a false death.
    const cutDrops = rig
      .channelSilences()
      .dropped.filter((d) => d.at >= cutWall)
      .map((d) => ({ ...d, afterCutMs: d.at - cutWall }));
    await rig.reconnect(cutHolder);
    await rig.startMediaNode(cutHolder as 'media-1' | 'media-2');
    await sleep(3_000);

    // 1c. Redis goes away and comes back empty, while everyone watches and asks.
    const redisAt = monoMs();
    const redisWall = Date.now();
    for (const { b } of pages) b.watchFrom(redisAt);
    loopDelay.reset();
    const redisFigures = await restartRedisUnderLoad({
      rig,
      registry,
      sql,
      classrooms: sim.map(({ c }) => c),
      moderators,
      sockets: [
        ...speakers.map((s) => s.session.signaling),
        ...sim.map(({ c }) => c.signaling),
        ...moderators.map((m) => m.client),
      ],
      eventIds: talks.map((t) => t.eventId),
      downMs: 3_000,
    });
    const redisPhase = phaseFigures(
      'Redis restarted (kill -9, empty)',
      redisFigures.media,
      pages.map(({ b }) => b.recovery()),
    );
    log(describeRedisRestart(redisFigures));
    const redisPhaseBalancer = balancerChanges(rig, 'Redis restarted', redisWall);
    await sleep(2_000);

    // 2. One control-api instance dies; its clients come back through HAProxy.
    const everyone = [
      ...speakers.map((s) => s.session.signaling),
      ...sim.map(({ c }) => c.signaling),
    ];
    const returns = new SocketReturns(everyone);
    const apiKilledAt = monoMs();
    const apiKilledWall = Date.now();
    for (const { c } of sim) c.watchFrom(apiKilledAt);
    for (const { b } of pages) b.watchFrom(apiKilledAt);
    loopDelay.reset();
    await rig.crash('api-1');
    await returns.settle(apiKilledAt + 30_000);
    const { cut, back } = returns;
    const apiSim = await recoveries(
      sim.map(({ c }) => c),
      apiKilledAt,
      { settleMs: 3_000, timeoutMs: 30_000 },
    );
    while (
      monoMs() - apiKilledAt < 30_000 &&
      pages.some(({ b }) => b.recovery().affected && b.recovery().recoveredMs === null)
    )
      await sleep(100);
    const apiPhase = phaseFigures(
      'control-api api-1 killed',
      apiSim,
      pages.map(({ b }) => b.recovery()),
    );
    const apiPhaseStuck = stuck(sim);
    logStuck('control-api killed', apiPhaseStuck);
    const apiPhaseBalancer = balancerChanges(rig, 'control-api killed', apiKilledWall);
    const backMs = [...back.values()].map((t) => Math.round(t - apiKilledAt));
    const apiBack = {
      clients: everyone.length,
      cut: cut.size,
      back: back.size,
      p50Ms: percentile(backMs, 50),
      p95Ms: percentile(backMs, 95),
      maxMs: backMs.length ? Math.max(...backMs) : Number.NaN,
      openNow: everyone.filter((s) => s.status === 'open').length,
    };

    // 3. Drain: the operator's route (where this build has it) moves a node's classrooms away.
    const drainWatchedAt = monoMs();
    for (const { c } of sim) c.watchFrom(drainWatchedAt);
    for (const { b } of pages) b.watchFrom(drainWatchedAt);
    loopDelay.reset();
    const errorsBefore = sim.map(({ c }) => c.peer.figures.mediaErrors.length);
    const drainWall = Date.now();
    const drain = await drainBusiestNode(rig.balancerUrl);
    const drainWarned = drainerWarnings(rig, drainWall);
    const drainWarnings = drainWarned.counts;
    // Who the drainer warned about: resumed after api-1's death (media adopted) or not.
    const warnedClassrooms = sim.flatMap(({ c }, i) => {
      const id = c.signaling.lastJoin?.self.participantId;
      if (!id || !drainWarned.participants.includes(id)) return [];
      return [
        {
          index: c.peer.figures.index,
          resumed: returns.cut.has(i + speakers.length),
          mediaSetups: c.peer.figures.mediaSetups,
          mediaErrors: c.peer.figures.mediaErrors.slice(-2),
        },
      ];
    });
    // Simulated moves that were not make-before-break (no key frame within 5 s, an error): set up anew.
    const moveFailures = sim.flatMap(({ c }, i) =>
      c.peer.figures.mediaErrors.slice(errorsBefore[i] ?? 0),
    );
    const drainPhase = drain.available
      ? phaseFigures(
          `media node ${drain.nodeId} drained`,
          sim.map(({ c }) => c.recovery()),
          pages.map(({ b }) => b.recovery()),
        )
      : null;

    await sleep(3_000);
    running = false;
    await Promise.all(asking);
    const acked = new Map<string, string>();
    for (const { c } of sim) for (const [k, id] of c.acked) acked.set(k, id);
    const stored = await storedOf(sql, acked);
    const classrooms = sim.length + pages.length;
    // Channels dropped for silence: those to the node cut off, and any other (a false death).
    const silences = rig.channelSilences();
    // A drop of a node nobody cut, or of the cut one before its cut (in an earlier phase, starved).
    const falseDeaths = silences.dropped.filter(
      (d) => !d.url.includes(`//${cutIp}:`) || d.at < cutWall,
    );

    const result = {
      at: new Date().toISOString(),
      rig: 'network namespaces on one bridge, one host each: postgres, redis, media-1, media-2, api-1, api-2, haproxy, schools',
      mediaNodes: 2,
      apiInstances: 2,
      classrooms,
      cores: os.availableParallelism(),
      loadAverage: { before: loadBefore, after: os.loadavg()[0] ?? 0 },
      simulated: sim.length,
      browsers: pages.length,
      perMediaNode: perNode,
      mediaNodeFailover: {
        ...mediaPhase,
        measures:
          'kill -9 of every process of the media host -> first decodable frame on media set up again',
        stuck: mediaPhaseStuck,
        balancer: mediaPhaseBalancer,
      },
      mediaNodeCutOff: {
        ...cutPhase,
        measures:
          'link down, then kill -9 of every process of the media host -> first decodable frame on media set up again',
        stuck: cutPhaseStuck,
        balancer: cutPhaseBalancer,
        channelsDropped: cutDrops,
      },
      redisRestart: {
        balancer: redisPhaseBalancer,
        ...redisPhase,
        ...redisFigures,
        media: undefined,
        measures:
          'kill -9 of Redis, started again empty 3 s later -> nodes registered, placements back; questions acknowledged across it in PostgreSQL; moderators told; sockets cut; stalls over 1 s',
      },
      channelSilences: {
        limitMs: 1500,
        nearMissesMs: silences.quietMs,
        ownStallsMs: silences.stallsMs,
        droppedOthers: falseDeaths,
      },
      apiFailover: {
        ...apiPhase,
        signaling: apiBack,
        stuck: apiPhaseStuck,
        balancer: apiPhaseBalancer,
      },
      drain: {
        ...drain,
        ...(drainPhase ?? {}),
        freezesOver500Ms: drainPhase ? drainFreezes(sim, pages) : null,
        simulatedMovesSetUpAnew: moveFailures,
        drainerWarnings: drainWarnings,
        drainerWarnedClassrooms: warnedClassrooms,
        drainerWarned: drainWarned.entries.map((w) => ({
          ...w,
          simulated: sim.findIndex(
            ({ c }) => c.signaling.lastJoin?.self.participantId === w.participantId,
          ),
        })),
      },
      questions: { acked: acked.size, stored },
    };
    const f = (v: number) => (Number.isFinite(v) ? String(v) : '-');
    const phaseRow = (p: PhaseFigures) => [
      p.phase,
      `${p.affected}/${p.classrooms}`,
      `${p.recovered}/${p.affected}`,
      f(p.p50Ms),
      f(p.p95Ms),
      f(p.maxMs),
      p.browsers.recoveredMs.map((v) => (v === null ? 'never' : String(v))).join(', ') || '-',
      p.browsers.longestGapMs.join(', ') || '-',
      `${f(p.gapP95Ms)} / ${f(p.gapMaxMs)}`,
      String(p.gapsOver500Ms),
      String(p.othersLongestGapMs),
      String(p.simulatorStallMs),
    ];
    const header = [
      'phase',
      'affected',
      'decoding again',
      'p50 ms',
      'p95 ms',
      'max ms',
      'Chromium ms',
      'Chromium longest gap ms',
      'longest gap p95 / max ms',
      'gap > 500 ms',
      'others longest gap ms',
      'simulator stall ms',
    ];
    table(
      'media: incident -> first decodable frame again (affected: media set up again, or a stall over 1 s)',
      [
        header,
        phaseRow(mediaPhase),
        phaseRow(cutPhase),
        phaseRow(redisPhase),
        phaseRow(apiPhase),
        drainPhase
          ? phaseRow(drainPhase)
          : ['drain', 'n/a', '', '', '', '', '', '', '', '', '', ''],
      ],
    );
    log(
      `drain: ${drain.note}; simulated moves set up anew instead (no key frame within 5 s, an error): ${moveFailures.length}${moveFailures.length ? ` (${[...new Set(moveFailures)].join('; ')})` : ''}`,
    );
    log(
      `drain: the drainer's warnings (moves refused, classes set up anew after 10 s): ${JSON.stringify(drainWarnings)}; of those simulated, resumed after api-1's death: ${warnedClassrooms.filter((w) => w.resumed).length}/${warnedClassrooms.length}`,
    );
    for (const w of drainWarned.entries) {
      const simulated = sim.some(
        ({ c }) => c.signaling.lastJoin?.self.participantId === w.participantId,
      );
      const what = w.held.map((h) =>
        h.transport ? 'transport' : h.transportId ? 'on a transport' : 'adopted',
      );
      log(
        `drain: warned of ${simulated ? 'a simulated' : 'a Chromium'} classroom ${w.classroomId?.slice(0, 8)}: ${w.msg}; held by ${what.join(', ') || 'nothing'}`,
      );
    }
    log(
      "(on a drain's media.move every classroom moves make-before-break: the simulated ones switch to the new transport at its first key frame, as the viewer does)",
    );
    log(
      `cut-off node's channels dropped for silence ${cutDrops.map((d) => `${Math.round(d.afterCutMs)} ms`).join(', ')} after the cut; other channels dropped for silence (false deaths): ${falseDeaths.length}; near misses (a healthy node silent over 1000 ms of the 1500): ${silences.quietMs.length}${silences.quietMs.length ? `, longest ${Math.max(...silences.quietMs)} ms` : ''}; stalls of a channel's own process over 500 ms, not counted as silence: ${silences.stallsMs.length}${silences.stallsMs.length ? `, longest ${Math.max(...silences.stallsMs)} ms` : ''}`,
    );
    table('Redis restarted (kill -9, empty, 3 s down)', [
      [
        'down ms',
        'nodes registered again ms',
        'placements back ms',
        'questions acked across',
        'stored',
        'unseen by moderators',
        'sockets cut',
      ],
      [
        String(redisFigures.downMs),
        String(redisFigures.nodesBackMs ?? 'never'),
        String(redisFigures.placementsBackMs ?? 'never'),
        String(redisFigures.ackedAcross),
        String(redisFigures.storedAcross),
        String(redisFigures.unseenByModerators),
        String(redisFigures.socketsCut),
      ],
    ]);
    log(
      `machine: ${os.availableParallelism()} cores shared by every host, load average ${loadBefore.toFixed(1)} at the start, ${(os.loadavg()[0] ?? 0).toFixed(1)} at the end`,
    );
    table('signaling through HAProxy after kill -9 of api-1', [
      ['clients', 'cut', 'joined again', 'p50 ms', 'p95 ms', 'max ms', 'open now'],
      [
        String(apiBack.clients),
        String(apiBack.cut),
        String(apiBack.back),
        f(apiBack.p50Ms),
        f(apiBack.p95Ms),
        f(apiBack.maxMs),
        String(apiBack.openNow),
      ],
    ]);
    table('questions (acknowledged to the client vs rows in PostgreSQL)', [
      ['acknowledged', 'stored under the id given', 'lost'],
      [String(acked.size), String(stored), String(acked.size - stored)],
    ]);
    await mkdir(path.join(ROOT, 'bench/results'), { recursive: true });
    await writeFile(
      path.join(ROOT, `bench/results/cluster-${result.at.replace(/[:.]/g, '-')}.json`),
      `${JSON.stringify(result, null, 2)}\n`,
    );
    process.stdout.write(
      `cluster media_nodes=2 api_instances=2 classrooms=${classrooms} failover_p95_ms=${f(mediaPhase.p95Ms)} questions_acked=${acked.size} questions_stored=${stored}\n`,
    );
  } finally {
    running = false;
    await Promise.all(asking);
    for (const { b } of pages) await b.close();
    await browser?.close();
    for (const { c } of sim) c.close();
    for (const m of moderators) m.close();
    for (const s of speakers) s.close();
    await sql.end().catch(() => {});
    redis.disconnect();
    await rig.close();
  }
}

try {
  await main();
  // WebRTC peers' native threads would keep the process alive.
  process.exit(0);
} catch (err) {
  log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
}
