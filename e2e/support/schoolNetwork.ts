import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { MediaPath } from '@amphi/protocol';
import type { Page } from 'playwright-core';
import { createLogger } from '../../control-api/src/logger.ts';
import { DemoTestPattern } from '../../control-api/src/rtc/DemoTestPattern.ts';
import type { ControlPlane } from '../../control-api/src/server.ts';
import { type Coturn, startCoturn } from '../../control-api/test/support/coturn.ts';
import {
  createTestDatabase,
  type SeededEvent,
  seedEvent,
  startInstance,
  startMediaNode,
  TestClient,
} from '../../control-api/test/support/harness.ts';
import { ensureDebianPackages } from '../../scripts/debian-packages.mjs';
import { type Browser, launchChromium } from './browser.ts';

const run = promisify(execFile);

/** What the school's firewall lets out (towards the Amphi server). */
export type SchoolFirewall =
  /** Everything: media straight to the worker over UDP. */
  | { kind: 'open' }
  /** No UDP at all: media to the worker over TCP (ICE-TCP) or through the relay. */
  | { kind: 'no-udp' }
  /** Only TCP to these ports of the server (the web server, the relay's TLS on 443). */
  | { kind: 'tcp-only'; ports: number[] };

export interface SchoolNetworkOptions {
  /** Namespace name (default `school`). */
  name?: string;
  /** The link is 10.200.<subnet>.0/24: .1 the host's side, .2 the school's (default 1). */
  subnet?: number;
  /** Where the servers listen on the host (see `addServerAddress`): the school's firewall names it. */
  serverIp?: string;
}

/** The servers' address in the tests: on the host, reached from every school through its link. */
export const SERVER_IP = '10.200.0.1';

/**
 * A school on its own network: a network namespace linked to the host by a
 * veth pair (10.200.<subnet>.1 on the host, .2 in the school, the host as the
 * school's default route), Chromium run inside it, and the school's firewall as
 * nftables rules in the namespace's output path, set per scenario. Several
 * schools, each with its own firewall, can watch the same talk. Needs root;
 * `close()` removes the namespace, the link and the rules (the namespace's
 * rules go with it).
 */
export class SchoolNetwork {
  readonly name: string;
  readonly serverIp: string;
  readonly schoolIp: string;
  readonly #dir: string;
  readonly #hostIf: string;
  #firewall: SchoolFirewall = { kind: 'open' };
  #lossPct = 0;
  #closed = false;

  private constructor(name: string, subnet: number, serverIp: string, dir: string) {
    this.name = name;
    this.serverIp = serverIp;
    this.schoolIp = `10.200.${subnet}.2`;
    this.#dir = dir;
    this.#hostIf = `${name.slice(0, 10)}-h`;
  }

  /** Null when the rig can run here; otherwise why not (not root, no `ip`, no nftables). */
  static async probe(): Promise<string | null> {
    if (process.getuid?.() !== 0)
      return 'a simulated school network (ip netns, nftables) needs root';
    try {
      ensureDebianPackages(['nftables', 'iproute2']);
      await run('ip', ['netns', 'list']);
      await run('nft', ['--version']);
      return null;
    } catch (err) {
      return `network namespaces or nftables are not usable: ${(err as Error).message}`;
    }
  }

  /**
   * Puts the servers' address on the host's loopback, where every school's link
   * reaches it (and the host itself: a moderator's browser there). Remove it with
   * `removeServerAddress`.
   */
  static async addServerAddress(ip = SERVER_IP): Promise<string> {
    await SchoolNetwork.removeServerAddress(ip);
    await run('ip', ['addr', 'add', `${ip}/32`, 'dev', 'lo']);
    return ip;
  }

  static async removeServerAddress(ip = SERVER_IP): Promise<void> {
    await run('ip', ['addr', 'del', `${ip}/32`, 'dev', 'lo']).catch(() => {});
  }

  static async create(opts: SchoolNetworkOptions = {}): Promise<SchoolNetwork> {
    const name = opts.name ?? 'school';
    const subnet = opts.subnet ?? 1;
    const dir = await mkdtemp(path.join(os.tmpdir(), 'amphi-school-'));
    const net = new SchoolNetwork(name, subnet, opts.serverIp ?? SERVER_IP, dir);
    // A namespace or link left by a run that was killed: start clean.
    await net.#teardown();
    try {
      const hostIp = `10.200.${subnet}.1`;
      const inSchool = ['netns', 'exec', name, 'ip'];
      await run('ip', ['netns', 'add', name]);
      await run('ip', ['link', 'add', net.#hostIf, 'type', 'veth', 'peer', 'name', 'school0']);
      await run('ip', ['link', 'set', 'school0', 'netns', name]);
      await run('ip', ['addr', 'add', `${hostIp}/24`, 'dev', net.#hostIf]);
      await run('ip', ['link', 'set', net.#hostIf, 'up']);
      await run('ip', [...inSchool, 'addr', 'add', `${net.schoolIp}/24`, 'dev', 'school0']);
      await run('ip', [...inSchool, 'link', 'set', 'school0', 'up']);
      await run('ip', [...inSchool, 'link', 'set', 'lo', 'up']);
      await run('ip', [...inSchool, 'route', 'add', 'default', 'via', hostIp]);
      await net.setFirewall({ kind: 'open' });
      await writeFile(
        net.chromiumPath,
        `#!/bin/sh\nexec ip netns exec ${name} /usr/bin/chromium "$@"\n`,
      );
      await chmod(net.chromiumPath, 0o755);
    } catch (err) {
      await net.close();
      throw err;
    }
    return net;
  }

  /** An executable that starts Debian's Chromium inside the school (Playwright's executablePath). */
  get chromiumPath(): string {
    return path.join(this.#dir, 'chromium-in-school');
  }

  /** Replaces the school's firewall: what may leave the school towards the host. */
  async setFirewall(fw: SchoolFirewall): Promise<void> {
    this.#firewall = fw;
    await this.#applyRules();
  }

  /**
   * Random loss on the school's downlink: this share of the packets from the
   * server dropped as they come in (nftables' numgen; this kernel has no netem);
   * 100: all of them (a burst of loss, while it lasts).
   */
  async setDownlinkLoss(percent: number): Promise<void> {
    this.#lossPct = percent;
    await this.#applyRules();
  }

  /** Packets the downlink's random loss dropped. */
  async lost(): Promise<number> {
    const { stdout } = await run('ip', ['netns', 'exec', this.name, 'nft', 'list', 'ruleset']);
    const m = /counter packets (\d+) bytes \d+ drop comment "loss"/.exec(stdout);
    return Number(m?.[1] ?? 0);
  }

  /**
   * The school's downlink at `kbit` (a token bucket on the host's end of the
   * link, with a queue of about 200 ms, then drops), or unlimited with null.
   */
  async limitDownlink(kbit: number | null): Promise<void> {
    if (kbit === null) {
      await run('tc', ['qdisc', 'del', 'dev', this.#hostIf, 'root']).catch(() => {});
      return;
    }
    const burst = Math.max(3000, Math.round((kbit * 1000) / 8 / 50));
    await run('tc', [
      ...['qdisc', 'replace', 'dev', this.#hostIf, 'root', 'tbf'],
      ...['rate', `${kbit}kbit`, 'burst', String(burst), 'latency', '200ms'],
    ]);
  }

  /** What the shaped downlink sent and dropped since it was limited. */
  async downlinkStats(): Promise<{ sentBytes: number; dropped: number }> {
    const { stdout } = await run('tc', ['-s', 'qdisc', 'show', 'dev', this.#hostIf]);
    const m = /Sent (\d+) bytes \d+ pkt \(dropped (\d+)/.exec(stdout);
    return { sentBytes: Number(m?.[1] ?? 0), dropped: Number(m?.[2] ?? 0) };
  }

  async #applyRules(): Promise<void> {
    const fw = this.#firewall;
    // Both ways, as a school's stateful firewall does: what may not go out gets no
    // answer in, and a flow that was open before the rule changed stops too.
    const out = ['oifname "lo" accept'];
    const into = ['iifname "lo" accept'];
    if (this.#lossPct > 0) {
      // 100 %: a burst of total loss (numgen's bound stops at 99).
      const share = this.#lossPct >= 100 ? '' : ` numgen random mod 100 < ${this.#lossPct}`;
      into.push(`ip saddr ${this.serverIp}${share} counter drop comment "loss"`);
    }
    if (fw.kind === 'no-udp') {
      out.push('meta l4proto udp counter drop');
      into.push('meta l4proto udp counter drop');
    }
    if (fw.kind === 'tcp-only') {
      const ports = `{ ${fw.ports.join(', ')} }`;
      out.push(`ip daddr ${this.serverIp} tcp dport ${ports} accept`, 'counter drop');
      into.push(`ip saddr ${this.serverIp} tcp sport ${ports} accept`, 'counter drop');
    }
    const chain = (name: string, hook: string, rules: string[]) => [
      `  chain ${name} {`,
      `    type filter hook ${hook} priority 0; policy accept;`,
      ...rules.map((r) => `    ${r}`),
      '  }',
    ];
    const script = [
      'table inet school',
      'delete table inet school',
      'table inet school {',
      ...chain('out', 'output', out),
      ...chain('in', 'input', into),
      '}',
      '',
    ].join('\n');
    const file = path.join(this.#dir, 'rules.nft');
    await writeFile(file, script);
    await run('ip', ['netns', 'exec', this.name, 'nft', '-f', file]);
  }

  /** Packets the firewall dropped since it was set (what proves the scenario blocked something). */
  async dropped(): Promise<number> {
    const { stdout } = await run('ip', ['netns', 'exec', this.name, 'nft', 'list', 'ruleset']);
    let total = 0;
    // The firewall's drops, not the downlink's random loss (its rule has a comment).
    for (const m of stdout.matchAll(/counter packets (\d+) bytes \d+ drop$/gm)) {
      total += Number(m[1]);
    }
    return total;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#teardown();
    await rm(this.#dir, { recursive: true, force: true });
  }

  async #teardown(): Promise<void> {
    // Deleting the namespace deletes its end of the link (and so the pair) and its rules.
    await run('ip', ['netns', 'delete', this.name]).catch(() => {});
    await run('ip', ['link', 'delete', this.#hostIf]).catch(() => {});
  }
}

/** Who publishes the talk the schools watch. */
export type TalkSpeaker =
  /** FFmpeg's pre-encoded test pattern (the demo's stand-in): it cannot answer a key-frame request. */
  | { kind: 'pattern'; runSeconds: number }
  /**
   * A speaker's browser: Debian's Chromium on the host running the studio with
   * its first fake camera (the second is a depth camera no encoder takes) at
   * 1280x720, simulcast in three layers, answering key-frame requests as a
   * real speaker's browser does.
   */
  | { kind: 'studio' };

export interface SchoolTalkOptions {
  /** The schools' namespace names; school i is on 10.200.<subnetFrom + i>.0/24. */
  schools: string[];
  subnetFrom: number;
  classrooms: number;
  speaker: TalkSpeaker;
}

/** 443 on the server's address when nothing holds it, as a school's firewall expects. */
async function tlsPortOn(host: string): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(0));
    s.listen(443, host, () => s.close(() => resolve(443)));
  });
}

/**
 * A live talk served to schools on their own networks: the servers' address
 * on the host, one `SchoolNetwork` per school, coturn (TLS on 443 when free),
 * one mediasoup worker and a control-api listening there, an event with its
 * classrooms, its speaker publishing, and a moderator's signaling client to
 * read what the moderators see. `close()` takes it all down, each step on its
 * own (a failure in one still lets the namespaces and their rules go).
 */
export class SchoolTalk {
  readonly serverIp: string;
  readonly schools: ReadonlyMap<string, SchoolNetwork>;
  readonly turn: Coturn;
  readonly plane: ControlPlane;
  readonly ev: SeededEvent;
  readonly moderator: TestClient;
  /** The speaker's studio page (a `studio` speaker). */
  readonly studio: Page | null;
  readonly #browsers: Browser[];
  readonly #pattern: DemoTestPattern | null;

  private constructor(parts: {
    serverIp: string;
    schools: Map<string, SchoolNetwork>;
    turn: Coturn;
    plane: ControlPlane;
    ev: SeededEvent;
    moderator: TestClient;
    studio: Page | null;
    browsers: Browser[];
    pattern: DemoTestPattern | null;
  }) {
    this.serverIp = parts.serverIp;
    this.schools = parts.schools;
    this.turn = parts.turn;
    this.plane = parts.plane;
    this.ev = parts.ev;
    this.moderator = parts.moderator;
    this.studio = parts.studio;
    this.#browsers = parts.browsers;
    this.#pattern = parts.pattern;
  }

  /** Null when it can run here (see `SchoolNetwork.probe`), else why not. */
  static probe(): Promise<string | null> {
    return SchoolNetwork.probe();
  }

  static async start(opts: SchoolTalkOptions): Promise<SchoolTalk> {
    const undo: (() => Promise<unknown>)[] = [];
    const browsers: Browser[] = [];
    try {
      const serverIp = await SchoolNetwork.addServerAddress();
      undo.push(() => SchoolNetwork.removeServerAddress(serverIp));
      const schools = new Map<string, SchoolNetwork>();
      for (const [i, name] of opts.schools.entries()) {
        const school = await SchoolNetwork.create({ name, subnet: opts.subnetFrom + i });
        undo.push(() => school.close());
        schools.set(name, school);
      }
      const tlsPort = await tlsPortOn(serverIp);
      const turn = await startCoturn({ listenIp: serverIp, ...(tlsPort ? { tlsPort } : {}) });
      undo.push(() => turn.close());
      const media = await startMediaNode({ workers: 1, listenIp: serverIp });
      const plane = await startInstance({
        databaseUrl: await createTestDatabase(),
        media,
        host: serverIp,
        turn: turn.settings,
      });
      undo.push(() => plane.close());
      const ev = await seedEvent(plane.url, { classrooms: opts.classrooms, status: 'live' });
      let pattern: DemoTestPattern | null = null;
      let studio: Page | null = null;
      if (opts.speaker.kind === 'pattern') {
        pattern = await DemoTestPattern.start({
          broadcast: await media.broadcast(ev.eventId),
          log: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
          runSeconds: opts.speaker.runSeconds,
        });
        const started = pattern;
        undo.push(() => started.close());
      } else {
        studio = await goLiveFromStudio(plane.url, ev, browsers);
      }
      const moderator = await TestClient.connect(plane.url, ev.eventId, ev.tokens.moderator);
      return new SchoolTalk({
        serverIp,
        schools,
        turn,
        plane,
        ev,
        moderator,
        studio,
        browsers,
        pattern,
      });
    } catch (err) {
      for (const b of browsers) await b.close();
      for (const step of undo.reverse()) await step().catch((e) => console.warn(e));
      throw err;
    }
  }

  get origin(): string {
    return new URL(this.plane.url).origin;
  }

  school(name: string): SchoolNetwork {
    const school = this.schools.get(name);
    if (!school) throw new Error(`no school named ${name}`);
    return school;
  }

  /** Only the web server and the relay's TLS port get out (a strict school proxy's rules). */
  webOnly(): SchoolFirewall {
    return { kind: 'tcp-only', ports: [Number(new URL(this.plane.url).port), this.turn.tlsPort] };
  }

  /** Chromium inside a school, with a fresh profile (no path remembered); closed with the talk. */
  async schoolBrowser(school: SchoolNetwork): Promise<Browser> {
    const browser = await launchChromium({
      executablePath: school.chromiumPath,
      args: [
        // The link is plain http on the school's network: let the page be a secure context.
        `--unsafely-treat-insecure-origin-as-secure=${this.origin}`,
        // Chromium checks the relay's TLS certificate: trust the test's (its key only), as a
        // school's browser trusts a real one.
        `--ignore-certificate-errors-spki-list=${this.turn.certSpkiSha256}`,
      ],
    });
    this.#browsers.push(browser);
    return browser;
  }

  /** Chromium on the host (a moderator's, an operator's), closed with the talk. */
  async hostBrowser(): Promise<Browser> {
    const browser = await launchChromium({
      args: [`--unsafely-treat-insecure-origin-as-secure=${this.origin}`],
    });
    this.#browsers.push(browser);
    return browser;
  }

  /** The class's link. */
  classLink(classroom: number): string {
    const token = this.ev.tokens.classrooms[classroom] as string;
    return `${this.origin}/viewer/?event=${this.ev.eventId}&token=${encodeURIComponent(token)}`;
  }

  /** Each connection's path of a class, as the moderators see it. */
  async pathSeenByModerator(classroom: number): Promise<(MediaPath | null)[]> {
    const presence = await this.moderator.request('presence.get', {});
    return presence.participants
      .filter((p) => p.classroomId === this.ev.classroomIds[classroom])
      .map((p) => p.path);
  }

  /**
   * What the speaker's browser sends (a `studio` speaker): each simulcast
   * layer's size and rate, and what limits its encoder (cpu, bandwidth, none).
   */
  async speakerLayers(): Promise<SpeakerLayer[]> {
    if (!this.studio) return [];
    return (await this.studio.evaluate(SENT_LAYERS)) as SpeakerLayer[];
  }

  async close(): Promise<void> {
    const steps: (() => Promise<unknown> | undefined)[] = [
      ...this.#browsers.map((b) => () => b.close()),
      () => this.moderator.close(),
      () => this.#pattern?.close(),
      () => this.plane.close(),
      () => this.turn.close(),
      ...[...this.schools.values()].map((school) => () => school.close()),
      () => SchoolNetwork.removeServerAddress(this.serverIp),
    ];
    for (const step of steps) await Promise.resolve(step()).catch((err) => console.warn(err));
  }
}

export interface SpeakerLayer {
  rid: string | null;
  width: number;
  fps: number;
  kbps: number;
  limitedBy: string | null;
}

/** The studio's peer connections, kept where a test can read their stats. */
const KEEP_PEER_CONNECTIONS = `(() => {
  const Native = window.RTCPeerConnection;
  const all = (window.__peerConnections = []);
  window.RTCPeerConnection = function (...args) {
    const pc = new Native(...args);
    all.push(pc);
    return pc;
  };
  window.RTCPeerConnection.prototype = Native.prototype;
  Object.setPrototypeOf(window.RTCPeerConnection, Native);
})()`;

const SENT_LAYERS = `(async () => {
  const out = [];
  for (const pc of window.__peerConnections ?? []) {
    if (pc.connectionState === 'closed') continue;
    const first = await pc.getStats();
    await new Promise((r) => setTimeout(r, 1000));
    const second = await pc.getStats();
    second.forEach((s) => {
      if (s.type !== 'outbound-rtp' || s.kind !== 'video') return;
      const before = first.get(s.id);
      out.push({
        rid: s.rid ?? null,
        width: s.frameWidth ?? 0,
        fps: Math.round(s.framesPerSecond ?? 0),
        kbps: before ? Math.round(((s.bytesSent - before.bytesSent) * 8) / 1000) : 0,
        limitedBy: s.qualityLimitationReason ?? null,
      });
    });
  }
  return out.sort((a, b) => a.width - b.width);
})()`;

/** The speaker opens the studio in their own Chromium on the host and goes live. */
async function goLiveFromStudio(base: string, ev: SeededEvent, browsers: Browser[]): Promise<Page> {
  const origin = new URL(base).origin;
  const browser = await launchChromium({
    cameras: 1,
    args: [`--unsafely-treat-insecure-origin-as-secure=${origin}`],
  });
  browsers.push(browser);
  const page = await browser.context.newPage();
  await page.addInitScript(KEEP_PEER_CONNECTIONS);
  page.on('pageerror', (err) => console.log(`[studio page error] ${err.message}`));
  await page.goto(
    `${origin}/studio/?event=${ev.eventId}&token=${encodeURIComponent(ev.tokens.speaker)}`,
  );
  await page.click('[data-testid="go-live"]:not([disabled])', { timeout: 30_000 });
  await page.waitForSelector('[data-testid="air-state"][data-state="live"]', { timeout: 30_000 });
  return page;
}
