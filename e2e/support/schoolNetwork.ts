import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ensureDebianPackages } from '../../scripts/debian-packages.mjs';

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
   * server dropped as they come in (nftables' numgen; this kernel has no netem).
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
      into.push(
        `ip saddr ${this.serverIp} numgen random mod 100 < ${this.#lossPct} counter drop comment "loss"`,
      );
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
