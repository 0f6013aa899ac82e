import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { monoMs } from '../../../loadtest/src/clock.ts';
import { ensureDebianPackages } from '../../../scripts/debian-packages.mjs';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const HAPROXY_CONFIG = path.join(ROOT, 'deploy/haproxy/haproxy.cfg');

/** The rig's private network: a /24 on a bridge in the root namespace. */
export const RIG_NET = '10.77.0';
const BRIDGE = 'rig-br0';
/** The root namespace's address on the bridge: where the test runner (and its simulated classrooms) stands. */
export const RIG_OUTSIDE_IP = `${RIG_NET}.1`;

/** The rig's hosts: each its own network namespace and address. */
const HOSTS = {
  postgres: 10,
  redis: 11,
  'media-1': 21,
  'media-2': 22,
  'api-1': 31,
  'api-2': 32,
  balancer: 40,
  schools: 50,
} as const;
export type RigHostName = keyof typeof HOSTS;

/** Ports each host opens (docs/deployment.md lists the same). */
export const RIG_PORTS = {
  postgres: 5432,
  redis: 6379,
  api: 8080,
  balancer: 80,
  /** A media node's control channel (the control-api instances connect to it). */
  mediaControl: 7880,
  /** A media node's WebRtcServer: UDP and TCP, one port per worker from here. */
  mediaRtcBase: 40000,
  /** Pipes between media nodes (UDP, one per pipe). */
  mediaPipeMin: 41000,
  mediaPipeMax: 41099,
} as const;

/** An address of the rig's network by host name. */
const ipOf = (name: RigHostName) => `${RIG_NET}.${HOSTS[name]}`;
const from = (...names: RigHostName[]) => `ip saddr { ${names.map(ipOf).join(', ')} }`;
const P = RIG_PORTS;
const mediaInbound = (other: RigHostName) => [
  // The instances drive it; the other media node sets pipes up with it (an edge asks its origin).
  `${from('api-1', 'api-2', other)} tcp dport ${P.mediaControl} accept`,
  // Classrooms, from anywhere: the WebRtcServer's one UDP and one TCP port per worker.
  `udp dport ${P.mediaRtcBase} accept`,
  `tcp dport ${P.mediaRtcBase} accept`,
  `${from(other)} udp dport ${P.mediaPipeMin}-${P.mediaPipeMax} accept`,
];
/**
 * What each host lets in (nftables in its namespace, everything else
 * dropped and counted; answers to its own connections pass): the ports
 * docs/deployment.md says to open, from the hosts that need them. The rig's
 * observer (the root namespace: the test reads the registry and the database
 * and checks each instance) may reach those three services too.
 */
const INBOUND: Record<RigHostName, string[]> = {
  postgres: [`${from('api-1', 'api-2')} tcp dport ${P.postgres} accept`],
  redis: [`${from('api-1', 'api-2', 'media-1', 'media-2')} tcp dport ${P.redis} accept`],
  'media-1': mediaInbound('media-2'),
  'media-2': mediaInbound('media-1'),
  'api-1': [`${from('balancer')} tcp dport ${P.api} accept`],
  'api-2': [`${from('balancer')} tcp dport ${P.api} accept`],
  balancer: [`tcp dport ${P.balancer} accept`],
  schools: [],
};
const OBSERVER_PORTS: Partial<Record<RigHostName, number>> = {
  postgres: P.postgres,
  redis: P.redis,
  'api-1': P.api,
  'api-2': P.api,
};

export class RigHost {
  readonly ip: string;
  readonly netns: string;
  /** The root namespace's end of its link (on the bridge). */
  readonly link: string;
  constructor(readonly name: RigHostName) {
    this.ip = `${RIG_NET}.${HOSTS[name]}`;
    this.netns = `amphi-rig-${name}`;
    this.link = `rig-${name}`;
  }
}

/**
 * One service on one rig host, started with `ip netns exec` (which execs the
 * command: the child's pid is the service's own), its output kept.
 */
export class RigProcess {
  out = '';
  /** Output lines matching `notable`, with when they came (epoch ms): HAProxy's says nothing of it. */
  readonly notable: { at: number; line: string }[] = [];
  readonly exited: Promise<void>;
  readonly #child: ChildProcess;

  constructor(
    readonly host: RigHost,
    command: string,
    args: string[],
    env: Record<string, string>,
    notable?: RegExp,
  ) {
    this.#child = spawn('ip', ['netns', 'exec', host.netns, command, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => {
      const text = chunk.toString();
      this.out = (this.out + text).slice(-64_000);
      if (!notable) return;
      for (const line of text.split('\n'))
        if (notable.test(line)) this.notable.push({ at: Date.now(), line: line.trim() });
    };
    this.#child.stdout?.on('data', keep);
    this.#child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => this.#child.once('exit', () => resolve()));
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Resolves once `ready` holds (polled every 50 ms); throws with the output if it exits or times out. */
  async until(what: string, ready: () => boolean | Promise<boolean>, timeoutMs = 60_000) {
    const deadline = Date.now() + timeoutMs;
    while (!(await ready())) {
      if (!this.running) throw new Error(`${what} exited:\n${this.out}`);
      if (Date.now() > deadline)
        throw new Error(`${what} not ready after ${timeoutMs} ms:\n${this.out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGTERM, then after `graceMs` kill -9 of whatever still runs on its host. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.running) {
      this.#child.kill('SIGTERM');
      await Promise.race([this.exited, new Promise((r) => setTimeout(r, graceMs))]);
    }
    await killHost(this.host);
    await this.exited;
  }
}

/** kill -9 of every process of the host's namespace (a service's children too: mediasoup workers, PostgreSQL). */
async function killHost(host: RigHost): Promise<number[]> {
  return signalHost(host, 'SIGKILL');
}

async function signalHost(host: RigHost, signal: NodeJS.Signals): Promise<number[]> {
  const { stdout } = await run('ip', ['netns', 'pids', host.netns]).catch(() => ({ stdout: '' }));
  const pids = stdout.split(/\s+/).filter(Boolean).map(Number);
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {}
  }
  return pids;
}

function listening(ip: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, ip, () => {
      s.end();
      resolve(true);
    });
    s.on('error', () => resolve(false));
    s.setTimeout(1000, () => {
      s.destroy();
      resolve(false);
    });
  });
}

async function answers200(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2000) })).status === 200;
  } catch {
    return false;
  }
}

export interface HostsRigOptions {
  /** The media nodes' and control-api instances' shared secret. */
  mediaNodeSecret: string;
  /** What every control-api instance gets besides the rig's own settings (tokens, limits). */
  apiEnv: Record<string, string>;
  /** Logs of the services (default warn). */
  logLevel?: string;
}

/**
 * The cluster as hosts, on this machine: network namespaces on one bridge
 * (10.77.0.0/24), each with its own address, each running one service:
 *
 *   postgres 10.77.0.10:5432    PostgreSQL as the tests start it (embedded)
 *   redis    10.77.0.11:6379    redis-server: registry, bus, shared limits
 *   media-1  10.77.0.21, media-2 10.77.0.22   `npm run media-node`: control
 *            channel :7880, WebRtcServer :40000 (UDP+TCP), pipes :41000-41099
 *   api-1    10.77.0.31:8080, api-2 10.77.0.32:8080   `npm start`, MEDIA_PLANE=remote
 *   balancer 10.77.0.40:80      HAProxy with deploy/haproxy/haproxy.cfg
 *   schools  10.77.0.50         where browsers run (`chromiumPath`)
 *
 * Each host's firewall (nftables, input policy drop) lets in only the ports
 * docs/deployment.md lists, from the hosts that need them (`INBOUND`), so a
 * run proves that list as well; `dropped()` counts what each one refused.
 * The root namespace (10.77.0.1, the test runner's) stands for the outside:
 * simulated classrooms run there and reach the balancer and the media nodes'
 * announced addresses across the bridge. Needs root. `close()` kills every
 * process of every host and removes the namespaces and the bridge, whatever
 * state a failed start left; a rig a killed run left behind is removed at the
 * next start.
 */
export class HostsRig {
  readonly hosts = Object.fromEntries(
    Object.keys(HOSTS).map((name) => [name, new RigHost(name as RigHostName)]),
  ) as Record<RigHostName, RigHost>;
  readonly mediaNodes = new Map<string, RigProcess>();
  readonly apis = new Map<string, RigProcess>();
  databaseUrl = '';
  readonly redisUrl = `redis://${RIG_NET}.${HOSTS.redis}:${RIG_PORTS.redis}`;
  readonly balancerUrl = `http://${RIG_NET}.${HOSTS.balancer}:${RIG_PORTS.balancer}`;
  readonly #services: RigProcess[] = [];
  #balancer: RigProcess | null = null;
  readonly #options: HostsRigOptions;
  #dir = '';
  #closed = false;
  /** This runner holds the machine's one rig (addresses and names are fixed). */
  #locked = false;

  private constructor(options: HostsRigOptions) {
    this.#options = options;
  }

  /** Null when the rig can run here; otherwise why not. */
  static async probe(): Promise<string | null> {
    if (process.getuid?.() !== 0) return 'the hosts rig (ip netns, a bridge) needs root';
    try {
      ensureDebianPackages(['iproute2', 'nftables', 'redis-server', 'haproxy']);
      await run('ip', ['netns', 'list']);
      return null;
    } catch (err) {
      return `network namespaces are not usable: ${(err as Error).message}`;
    }
  }

  static async start(options: HostsRigOptions): Promise<HostsRig> {
    const rig = new HostsRig(options);
    // However the runner ends without close() (process.exit after an error), nothing stays behind.
    process.once('exit', tearDownRigNow);
    try {
      await rig.#start();
    } catch (err) {
      await rig.close();
      throw err;
    }
    return rig;
  }

  async #start(): Promise<void> {
    await takeRigLock();
    this.#locked = true;
    await this.#teardownNetwork();
    this.#dir = await mkdtemp(path.join(os.tmpdir(), 'amphi-rig-'));
    // PostgreSQL runs as its own user (root may not): it must reach its directory.
    await chmod(this.#dir, 0o755);
    await this.#network();
    const h = this.hosts;

    // PostgreSQL and Redis first: everything else needs them.
    const pg = this.#service(
      h.postgres,
      process.execPath,
      [...['--import', 'tsx', path.join(ROOT, 'control-api/test/support/hostsRigPostgres.ts')]],
      {
        RIG_PG_IP: h.postgres.ip,
        RIG_PG_DIR: path.join(this.#dir, 'pg'),
        RIG_PG_ALLOW: `${RIG_NET}.0/24`,
      },
    );
    const redis = this.#startRedis();
    await pg.until('PostgreSQL', () => /rig postgres ready (\S+)/.test(pg.out));
    this.databaseUrl = /rig postgres ready (\S+)/.exec(pg.out)?.[1] ?? '';
    await redis.until('Redis', () => listening(h.redis.ip, RIG_PORTS.redis));

    for (const id of ['media-1', 'media-2'] as const) await this.startMediaNode(id);
    for (const id of ['api-1', 'api-2'] as const) this.#startApi(id);
    for (const [id, api] of this.apis) {
      await api.until(id, () => answers200(`${this.apiUrl(id)}/healthz`), 90_000);
    }

    const balancer = this.#service(
      h.balancer,
      'haproxy',
      ['-db', '-f', HAPROXY_CONFIG],
      {
        AMPHI_LISTEN: `${h.balancer.ip}:${RIG_PORTS.balancer}`,
        AMPHI_API_1: `${h['api-1'].ip}:${RIG_PORTS.api}`,
        AMPHI_API_2: `${h['api-2'].ip}:${RIG_PORTS.api}`,
      },
      / is (DOWN|UP)\b/,
    );
    this.#balancer = balancer;
    await balancer.until('HAProxy', () => answers200(`${this.balancerUrl}/healthz`));
  }

  /** redis-server on its host, without persistence (as deployed): it starts empty. */
  #startRedis(): RigProcess {
    const host = this.hosts.redis;
    return this.#service(
      host,
      'redis-server',
      [
        ...['--bind', host.ip, '--port', String(RIG_PORTS.redis), '--protected-mode', 'no'],
        ...['--save', '', '--appendonly', 'no'],
      ],
      {},
    );
  }

  /**
   * Redis goes away (kill -9 of its host's processes) and, `downMs` later,
   * starts again on the same address, empty. Resolves once it listens, with
   * when it was killed and when it was back (monoMs).
   */
  async restartRedis(downMs: number): Promise<{ killedAt: number; restartedAt: number }> {
    const killedAt = monoMs();
    await this.crash('redis');
    await new Promise((r) => setTimeout(r, Math.max(0, killedAt + downMs - monoMs())));
    const redis = this.#startRedis();
    await redis.until('Redis', () => listening(this.hosts.redis.ip, RIG_PORTS.redis), 10_000);
    return { killedAt, restartedAt: monoMs() };
  }

  /**
   * What the media node channels logged (every instance's and media node's
   * output, warn level): silences of a node over two thirds of the limit that
   * ended (near misses), and channels dropped for silence, with the host that
   * dropped it, the node's URL and when (epoch ms). A drop of a node nobody cut is a false death.
   */
  channelSilences(): {
    /** Stalls of an instance's (or node's) own loop that were not counted as a node's silence. */
    stallsMs: number[];
    quietMs: number[];
    dropped: { host: string; url: string; silentMs: number; at: number }[];
  } {
    const quietMs: number[] = [];
    const stallsMs: number[] = [];
    const dropped: { host: string; url: string; silentMs: number; at: number }[] = [];
    for (const s of this.#services) {
      for (const line of s.out.split('\n')) {
        if (!line.includes('media node')) continue;
        let entry: {
          msg?: string;
          url?: string;
          silentMs?: number;
          stallMs?: number;
          time?: number;
        };
        try {
          entry = JSON.parse(line);
        } catch {
          continue;
        }
        if (entry.msg === 'media node channel was quiet') quietMs.push(entry.silentMs ?? 0);
        if (entry.msg?.startsWith('this process stalled')) stallsMs.push(entry.stallMs ?? 0);
        if (entry.msg === 'media node silent: channel dropped')
          dropped.push({
            host: s.host.name,
            url: entry.url ?? '',
            silentMs: entry.silentMs ?? 0,
            at: entry.time ?? 0,
          });
      }
    }
    return { stallsMs, quietMs, dropped };
  }

  /** Starts (or starts again) a media node on its host. */
  async startMediaNode(id: 'media-1' | 'media-2'): Promise<RigProcess> {
    const host = this.hosts[id];
    const node = this.#service(
      host,
      process.execPath,
      ['--import', 'tsx', 'control-api/src/mediaNodeMain.ts'],
      {
        MEDIA_NODE_SECRET: this.#options.mediaNodeSecret,
        REDIS_URL: this.redisUrl,
        MEDIA_NODE_ID: id,
        MEDIA_NODE_HOST: host.ip,
        MEDIA_NODE_PORT: String(RIG_PORTS.mediaControl),
        MEDIA_WORKERS: '1',
        MEDIA_LISTEN_IP: host.ip,
        MEDIA_ANNOUNCED_ADDRESS: host.ip,
        MEDIA_RTC_PORT_BASE: String(RIG_PORTS.mediaRtcBase),
        MEDIA_PIPE_PORT_MIN: String(RIG_PORTS.mediaPipeMin),
        MEDIA_PIPE_PORT_MAX: String(RIG_PORTS.mediaPipeMax),
        LOG_LEVEL: this.#options.logLevel ?? 'warn',
      },
    );
    this.mediaNodes.set(id, node);
    await node.until(`media node ${id}`, () => /Amphi media node \S+ on ws:/.test(node.out));
    return node;
  }

  #startApi(id: 'api-1' | 'api-2'): RigProcess {
    const host = this.hosts[id];
    const api = this.#service(
      host,
      process.execPath,
      ['--import', 'tsx', 'control-api/src/main.ts'],
      {
        ...this.#options.apiEnv,
        HOST: host.ip,
        PORT: String(RIG_PORTS.api),
        INSTANCE_ID: id,
        DATABASE_URL: this.databaseUrl,
        REDIS_URL: this.redisUrl,
        MEDIA_PLANE: 'remote',
        MEDIA_NODE_SECRET: this.#options.mediaNodeSecret,
        TRUST_PROXY: this.hosts.balancer.ip,
        PUBLIC_URL: this.balancerUrl,
        SEED_DEMO: 'false',
        DEMO_TEST_PATTERN: 'false',
        DATA_DIR: path.join(this.#dir, id),
        LOG_LEVEL: this.#options.logLevel ?? 'warn',
      },
    );
    this.apis.set(id, api);
    return api;
  }

  /** An instance's own URL (on the rig's network, not through the balancer). */
  apiUrl(id: string): string {
    const host = this.hosts[id as RigHostName];
    return `http://${host.ip}:${RIG_PORTS.api}`;
  }

  #service(
    host: RigHost,
    command: string,
    args: string[],
    env: Record<string, string>,
    notable?: RegExp,
  ): RigProcess {
    const p = new RigProcess(host, command, args, env, notable);
    this.#services.push(p);
    return p;
  }

  /**
   * kill -9 of every process on the host (the service and its children,
   * mediasoup workers included), as a host going away would. With `cable`
   * 'cut', its link goes down first: its packets vanish, no reset or ICMP
   * answer tells anyone (a power cut, not a crash).
   */
  async crash(name: RigHostName, cable: 'kept' | 'cut' = 'kept'): Promise<number[]> {
    const host = this.hosts[name];
    if (cable === 'cut') await run('ip', ['link', 'set', host.link, 'down']);
    const pids = await killHost(host);
    await Promise.all(this.#services.filter((s) => s.host === host).map((s) => s.exited));
    return pids;
  }

  /**
   * Every process of the host stops for `ms` (SIGSTOP, then SIGCONT), its
   * sockets kept: a host that stalls (a long GC pause, a starved machine), alive
   * all along. Its kernel still accepts connections; nothing answers meanwhile.
   */
  async stall(name: RigHostName, ms: number): Promise<void> {
    const host = this.hosts[name];
    await signalHost(host, 'SIGSTOP');
    try {
      await new Promise((r) => setTimeout(r, ms));
    } finally {
      await signalHost(host, 'SIGCONT');
    }
  }

  /** Puts a cut host's link back up (its processes stay dead). */
  async reconnect(name: RigHostName): Promise<void> {
    await run('ip', ['link', 'set', this.hosts[name].link, 'up']);
  }

  /**
   * An executable that runs Debian's Chromium inside the schools host
   * (Playwright's executablePath), so that browsers reach the cluster over the
   * rig's network, as schools do.
   */
  async chromiumPath(): Promise<string> {
    const file = path.join(this.#dir, 'chromium-in-schools');
    await writeFile(
      file,
      `#!/bin/sh\nexec ip netns exec ${this.hosts.schools.netns} /usr/bin/chromium "$@"\n`,
    );
    await chmod(file, 0o755);
    return file;
  }

  /**
   * HAProxy taking an instance out (its checks failed: `on-marked-down
   * shutdown-sessions` cuts every socket it held) or back, since `since`
   * (epoch ms): an instance taken out that nobody killed is a false death.
   */
  balancerChanges(since = 0): { at: number; server: string; state: 'DOWN' | 'UP'; line: string }[] {
    // Each change comes twice: as a warning on stderr ('[WARNING] (pid) : …') and as a log line.
    return (this.#balancer?.notable ?? [])
      .filter((n) => n.at >= since && !n.line.startsWith('['))
      .map((n) => {
        const m = /Server \S+\/(\S+) is (DOWN|UP)/.exec(n.line);
        return {
          at: n.at,
          server: m?.[1] ?? '?',
          state: (m?.[2] ?? 'DOWN') as 'DOWN' | 'UP',
          line: n.line.slice(0, 240),
        };
      });
  }

  /** The services' outputs, for a failing test's message. */
  output(): string {
    return this.#services.map((s) => `--- ${s.host.name}\n${s.out.slice(-3000)}`).join('\n');
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    process.off('exit', tearDownRigNow);
    // HAProxy and the instances first (they hold connections to the rest), then media, then the stores.
    const order: RigHostName[] = [
      'balancer',
      'api-1',
      'api-2',
      'media-1',
      'media-2',
      'redis',
      'postgres',
    ];
    for (const name of order) {
      await Promise.all(
        this.#services.filter((s) => s.host.name === name).map((s) => s.stop(5_000)),
      );
    }
    if (!this.#locked) return;
    await this.#teardownNetwork();
    if (this.#dir) await rm(this.#dir, { recursive: true, force: true });
    await rm(RIG_LOCK, { force: true });
  }

  async #network(): Promise<void> {
    await run('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
    await run('ip', ['addr', 'add', `${RIG_OUTSIDE_IP}/24`, 'dev', BRIDGE]);
    await run('ip', ['link', 'set', BRIDGE, 'up']);
    for (const host of Object.values(this.hosts)) {
      await run('ip', ['netns', 'add', host.netns]);
      await run('ip', [
        'link',
        'add',
        host.link,
        'type',
        'veth',
        'peer',
        'name',
        'eth0',
        'netns',
        host.netns,
      ]);
      await run('ip', ['link', 'set', host.link, 'master', BRIDGE, 'up']);
      const inside = ['-n', host.netns];
      await run('ip', [...inside, 'addr', 'add', `${host.ip}/24`, 'dev', 'eth0']);
      await run('ip', [...inside, 'link', 'set', 'eth0', 'up']);
      await run('ip', [...inside, 'link', 'set', 'lo', 'up']);
      await run('ip', [...inside, 'route', 'add', 'default', 'via', RIG_OUTSIDE_IP]);
      await this.#firewall(host);
    }
    await mkdir(this.#dir, { recursive: true });
  }

  async #firewall(host: RigHost): Promise<void> {
    const observer = OBSERVER_PORTS[host.name];
    const rules = [
      'iifname "lo" accept',
      'ct state established,related accept',
      'ip protocol icmp accept',
      ...INBOUND[host.name],
      ...(observer ? [`ip saddr ${RIG_OUTSIDE_IP} tcp dport ${observer} accept`] : []),
      // What is refused is remembered (from where, to which port) for dropped().
      'meta l4proto { tcp, udp } add @refused { ip saddr . meta l4proto . th dport }',
      'counter drop',
    ];
    const script = [
      'table inet rig {',
      '  set refused {',
      '    type ipv4_addr . inet_proto . inet_service; flags dynamic; size 4096;',
      '  }',
      '  chain in {',
      '    type filter hook input priority 0; policy drop;',
      ...rules.map((r) => `    ${r}`),
      '  }',
      '}',
      '',
    ].join('\n');
    const file = path.join(this.#dir, `${host.name}.nft`);
    await writeFile(file, script);
    await run('ip', ['netns', 'exec', host.netns, 'nft', '-f', file]);
  }

  /**
   * What each host's firewall refused (ports not in the deployment's list):
   * packets dropped, and each source address, protocol and port seen.
   */
  async dropped(): Promise<Record<string, { packets: number; refused: string[] }>> {
    const out: Record<string, { packets: number; refused: string[] }> = {};
    for (const host of Object.values(this.hosts)) {
      const { stdout } = await run('ip', [
        'netns',
        'exec',
        host.netns,
        'nft',
        'list',
        'ruleset',
      ]).catch(() => ({ stdout: '' }));
      const packets = Number(/counter packets (\d+) bytes \d+ drop/.exec(stdout)?.[1] ?? 0);
      const elements = /elements = \{([^}]*)\}/.exec(stdout)?.[1] ?? '';
      const refused = elements
        .split(',')
        .map((e) => e.trim().replace(/\s+/g, ' '))
        .filter(Boolean);
      if (packets > 0 || refused.length > 0) out[host.name] = { packets, refused };
    }
    return out;
  }

  /** Every process of every rig host killed, the namespaces and the bridge removed (idempotent). */
  async #teardownNetwork(): Promise<void> {
    for (const host of Object.values(this.hosts)) {
      await killHost(host);
      await run('ip', ['netns', 'delete', host.netns]).catch(() => {});
      await run('ip', ['link', 'delete', host.link]).catch(() => {});
    }
    await run('ip', ['link', 'delete', BRIDGE]).catch(() => {});
  }
}

/** Best effort when the runner is ending without close() (an uncaught error): nothing left running. */
/**
 * One rig per machine (its names and addresses are fixed): a second runner
 * (a test while the benchmark runs) waits for the first, up to 15 min; a lock
 * whose runner is gone is taken over.
 */
const RIG_LOCK = path.join(os.tmpdir(), 'amphi-hosts-rig.lock');

async function takeRigLock(): Promise<void> {
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      await writeFile(RIG_LOCK, `${process.pid}\n`, { flag: 'wx' });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number.parseInt(await readFile(RIG_LOCK, 'utf8').catch(() => ''), 10);
    if (!(holder > 0) || !alive(holder)) {
      await rm(RIG_LOCK, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`the hosts rig is held by process ${holder}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function tearDownRigNow(): void {
  try {
    if (readFileSync(RIG_LOCK, 'utf8').trim() !== String(process.pid)) return;
  } catch {
    return;
  }
  for (const name of Object.keys(HOSTS)) {
    const host = new RigHost(name as RigHostName);
    try {
      const pids = execFileSync('ip', ['netns', 'pids', host.netns], { encoding: 'utf8' });
      for (const pid of pids.split(/\s+/).filter(Boolean)) process.kill(Number(pid), 'SIGKILL');
      execFileSync('ip', ['netns', 'delete', host.netns], { stdio: 'ignore' });
    } catch {}
  }
  try {
    execFileSync('ip', ['link', 'delete', BRIDGE], { stdio: 'ignore' });
  } catch {}
  rmSync(RIG_LOCK, { force: true });
}
