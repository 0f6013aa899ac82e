// The cluster on one machine: two media nodes (`npm run media-node`), two
// control-api instances (`npm start`, MEDIA_PLANE=remote) behind Debian's
// HAProxy (deploy/haproxy/haproxy.cfg), one PostgreSQL, one Redis. Simulated
// classrooms (the sdk's signaling client; media set up through signaling with
// a receive transport and consumers, no RTP) watch two talks, one per media
// node, and ask a question every two seconds, retrying an unacknowledged one
// with the same key as the viewer does. Then:
//   1. kill -9 of the media node holding one talk: each of its classrooms is
//      timed from the kill until it consumes the republished camera on the
//      other node (failover);
//   2. kill -9 of one control-api instance: its clients come back through
//      HAProxy, media set up again;
// and every acknowledged question is looked up in PostgreSQL.
// (Chromium classrooms decoding again after a media node's death:
// e2e/test/media-node-failover.test.ts.)
//
//   npm run bench:cluster [-- --classrooms 200]
//
// Prints a table and one last line
//   cluster media_nodes=2 api_instances=2 classrooms=N failover_p95_ms=X questions_acked=A questions_stored=S
// and writes bench/results/cluster-<time>.json.

import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { JoinResult, RtpCapabilities, RtpParameters } from '@amphi/protocol';
import { SignalingClient } from '@amphi/sdk';
import postgres from 'postgres';
import WebSocket from 'ws';
import { ensureDebianPackages } from '../../scripts/debian-packages.mjs';
import { startEmbeddedPostgres } from '../src/db/embeddedPostgres.ts';
import { getFreePort } from '../src/ports.ts';
import { ControlApiProcess } from '../test/support/ControlApiProcess.ts';
import { startBalancer } from '../test/support/haproxy.ts';
import {
  JOIN_SECRET,
  key,
  OPERATOR_TOKEN,
  type SeededEvent,
  seedEvent,
} from '../test/support/harness.ts';
import { MediaNodeProcess } from '../test/support/MediaNodeProcess.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { values: args } = parseArgs({ options: { classrooms: { type: 'string' } } });
const CLASSROOMS = Number(args.classrooms ?? 100);
const SECRET = 'bench-cluster-media-node-secret-0123456789';
const log = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
}

function vp8(ssrc: number): RtpParameters {
  return {
    mid: '0',
    codecs: [{ mimeType: 'video/VP8', payloadType: 96, clockRate: 90000, rtcpFeedback: [] }],
    headerExtensions: [{ uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', id: 1 }],
    encodings: [{ ssrc }],
    rtcp: { cname: `cam-${ssrc}`, reducedSize: true },
  };
}
const dtlsParameters = {
  role: 'client' as const,
  fingerprints: [
    { algorithm: 'sha-256' as const, value: Array.from({ length: 32 }, () => '5A').join(':') },
  ],
};

/** A participant through HAProxy whose media follows `media.reconnect` and reconnections. */
class Participant {
  readonly client: SignalingClient;
  /** When its media was last set up (consumer resumed, or camera published). */
  mediaAt = 0;
  readonly acked = new Map<string, string>();
  #setting: Promise<void> = Promise.resolve();

  constructor(
    base: string,
    eventId: string,
    token: string,
    readonly role: 'speaker' | 'classroom',
  ) {
    this.client = new SignalingClient({
      baseUrl: base,
      eventId,
      token,
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    });
    this.client.onEvent('media.reconnect', () => this.#again());
    this.client.on('joined', (_join, reconnected) => {
      if (reconnected) this.#again();
    });
    if (role === 'classroom') {
      this.client.onEvent('media.producerAdded', (p) => {
        this.#setting = this.#setting.then(() => this.#watch(p.producerId)).catch(() => {});
      });
    }
  }

  async start(): Promise<void> {
    await this.client.connect();
    await this.#setUp();
  }

  #again(): void {
    this.#setting = this.#setting.then(() => this.#setUp()).catch(() => {});
  }

  async #setUp(): Promise<void> {
    const join = (await this.client.request('join', {})) as JoinResult;
    if (this.role === 'speaker') {
      const send = await this.client.request('media.createTransport', { direction: 'send' });
      await this.client.request('media.connectTransport', {
        transportId: send.transportId,
        dtlsParameters,
      });
      await this.client.request('media.produce', {
        transportId: send.transportId,
        kind: 'video',
        rtpParameters: vp8(1000 + Math.floor(Math.random() * 1e6)),
        source: 'camera',
      });
      this.mediaAt = Date.now();
      return;
    }
    this.#caps = join.routerRtpCapabilities as RtpCapabilities;
    this.#recv = null;
    for (const p of join.state.producers) await this.#watch(p.producerId);
  }

  #caps: RtpCapabilities | null = null;
  #recv: string | null = null;

  async #watch(producerId: string): Promise<void> {
    if (!this.#caps) return;
    if (!this.#recv) {
      const t = await this.client.request('media.createTransport', { direction: 'recv' });
      await this.client.request('media.connectTransport', {
        transportId: t.transportId,
        dtlsParameters,
      });
      this.#recv = t.transportId;
    }
    const c = await this.client.request('media.consume', {
      transportId: this.#recv,
      producerId,
      rtpCapabilities: this.#caps,
    });
    await this.client.request('media.resumeConsumer', { consumerId: c.consumerId });
    this.mediaAt = Date.now();
  }

  /** A question every `everyMs` while `running()`, each retried with its key until acknowledged. */
  async ask(running: () => boolean, everyMs: number): Promise<void> {
    let n = 0;
    while (running()) {
      const idempotencyKey = key();
      n += 1;
      for (;;) {
        try {
          const { question } = await this.client.request('question.submit', {
            idempotencyKey,
            text: `Question ${n} : quelles études pour ce métier ?`,
            category: 'training_path',
          });
          this.acked.set(idempotencyKey, question.id);
          break;
        } catch {
          await sleep(250);
        }
      }
      await sleep(everyMs * (0.5 + Math.random()));
    }
  }
}

async function main(): Promise<void> {
  ensureDebianPackages(['redis-server', 'haproxy']);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'amphi-bench-cluster-'));
  const pg = await startEmbeddedPostgres({
    dir: path.join(tmp, 'pg'),
    ephemeral: true,
    postgresFlags: ['-c', 'max_connections=200'],
  });
  const redisPort = await getFreePort();
  const redis = spawn(
    'redis-server',
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const redisUrl = `redis://127.0.0.1:${redisPort}`;
  const stops: (() => Promise<void>)[] = [];
  try {
    const media = new Map<string, MediaNodeProcess>();
    for (const id of ['media-1', 'media-2']) {
      media.set(
        id,
        await MediaNodeProcess.start({
          MEDIA_NODE_SECRET: SECRET,
          REDIS_URL: redisUrl,
          MEDIA_NODE_ID: id,
        }),
      );
    }
    for (const m of media.values()) stops.push(() => m.stop());
    const env = {
      DATABASE_URL: pg.url,
      REDIS_URL: redisUrl,
      JOIN_TOKEN_SECRET: JOIN_SECRET,
      OPERATOR_TOKEN,
      SEED_DEMO: 'false',
      TRUST_PROXY: '127.0.0.1',
      MEDIA_PLANE: 'remote',
      MEDIA_NODE_SECRET: SECRET,
      QUESTION_RATE_PER_MINUTE: '600',
      QUESTION_BURST: '100',
      CONNECT_RATE_PER_IP_PER_SECOND: '10000',
      CONNECT_BURST_PER_IP: '100000',
    };
    const apis = [
      await ControlApiProcess.start({ ...env, INSTANCE_ID: 'api-1' }),
      await ControlApiProcess.start({ ...env, INSTANCE_ID: 'api-2' }),
    ];
    for (const a of apis) stops.push(() => a.stop());
    await Promise.all(apis.map((a) => a.healthyWithin(60_000)));
    const [api1, api2] = apis as [ControlApiProcess, ControlApiProcess];
    const balancer = await startBalancer([new URL(api1.url).host, new URL(api2.url).host]);
    stops.push(() => balancer.close());

    // Two talks, half the classrooms each: one per media node.
    const talks: SeededEvent[] = [];
    for (let i = 0; i < 2; i++) {
      talks.push(
        await seedEvent(balancer.url, { classrooms: Math.ceil(CLASSROOMS / 2), status: 'live' }),
      );
    }
    const speakers: Participant[] = [];
    const classrooms: { p: Participant; eventId: string }[] = [];
    for (const talk of talks) {
      const speaker = new Participant(balancer.url, talk.eventId, talk.tokens.speaker, 'speaker');
      await speaker.start();
      speakers.push(speaker);
      for (const token of talk.tokens.classrooms) {
        const p = new Participant(balancer.url, talk.eventId, token, 'classroom');
        await p.start();
        classrooms.push({ p, eventId: talk.eventId });
      }
    }
    log(`${classrooms.length} classrooms on 2 talks, media set up`);
    const sql = postgres(env.DATABASE_URL, { max: 2, onnotice: () => {} });
    stops.push(() => sql.end());
    let running = true;
    const asking = classrooms.map(({ p }) => p.ask(() => running, 2_000));
    await sleep(3_000);

    // 1. The media node holding the first talk dies.
    const registryKey = `amphi:media:event:${talks[0]?.eventId}`;
    const holder = await new Promise<string>((resolve, reject) => {
      const cli = spawn('redis-cli', ['-p', String(redisPort), 'get', registryKey]);
      let out = '';
      cli.stdout.on('data', (c: Buffer) => {
        out += c;
      });
      cli.on('exit', () => (out.trim() ? resolve(out.trim()) : reject(new Error('not placed'))));
    });
    const affected = classrooms.filter((c) => c.eventId === talks[0]?.eventId).map((c) => c.p);
    const killedAt = Date.now();
    await media.get(holder)?.crash();
    const deadline = killedAt + 30_000;
    while (Date.now() < deadline && affected.some((p) => p.mediaAt < killedAt)) await sleep(50);
    const failover = affected.map((p) =>
      p.mediaAt >= killedAt ? p.mediaAt - killedAt : Number.NaN,
    );
    log(
      `media node ${holder} killed: ${failover.filter(Number.isFinite).length}/${affected.length} classrooms set up again`,
    );

    // 2. One control-api instance dies; its clients come back through HAProxy.
    await sleep(2_000);
    const apiKilledAt = Date.now();
    await api1.crash();
    const everyone = [...speakers, ...classrooms.map((c) => c.p)];
    while (Date.now() < apiKilledAt + 30_000 && everyone.some((p) => p.client.status !== 'open')) {
      await sleep(50);
    }
    await sleep(1_000);
    const reconnected = everyone.filter((p) => p.client.status === 'open').length;
    const apiBackMs = Date.now() - apiKilledAt;
    await sleep(3_000);
    running = false;
    await Promise.all(asking);

    const acked = new Map<string, string>();
    for (const { p } of classrooms) for (const [k, id] of p.acked) acked.set(k, id);
    const rows = await sql<{ id: string; idempotency_key: string }[]>`
      select id, idempotency_key from questions`;
    const stored = new Map(rows.map((r) => [r.idempotency_key, r.id]));
    const storedAcked = [...acked].filter(([k, id]) => stored.get(k) === id).length;
    for (const c of everyone) c.client.close();

    const fine = failover.filter(Number.isFinite);
    const result = {
      at: new Date().toISOString(),
      mediaNodes: 2,
      apiInstances: 2,
      classrooms: classrooms.length,
      mediaNodeFailover: {
        affected: affected.length,
        recovered: fine.length,
        p50Ms: percentile(fine, 50),
        p95Ms: percentile(fine, 95),
        maxMs: Math.max(...fine),
        measures:
          'kill -9 until the classroom consumes the republished camera on the other node (signaling; no RTP)',
      },
      apiFailover: { clients: everyone.length, reconnected, withinMs: apiBackMs },
      questions: { acked: acked.size, stored: storedAcked },
    };
    const rowsOut = [
      [
        'media node killed',
        `${fine.length}/${affected.length} classrooms`,
        `p95 ${result.mediaNodeFailover.p95Ms} ms, max ${result.mediaNodeFailover.maxMs} ms`,
      ],
      [
        'control-api killed',
        `${reconnected}/${everyone.length} clients back`,
        `all open within ${apiBackMs} ms`,
      ],
      ['questions', `${acked.size} acknowledged`, `${storedAcked} of them in PostgreSQL`],
    ];
    for (const r of rowsOut) log(`${(r[0] ?? '').padEnd(20)} ${(r[1] ?? '').padEnd(26)} ${r[2]}`);
    await mkdir(path.join(root, 'bench/results'), { recursive: true });
    await writeFile(
      path.join(root, `bench/results/cluster-${result.at.replace(/[:.]/g, '-')}.json`),
      `${JSON.stringify(result, null, 2)}\n`,
    );
    process.stdout.write(
      `cluster media_nodes=2 api_instances=2 classrooms=${classrooms.length} failover_p95_ms=${result.mediaNodeFailover.p95Ms} questions_acked=${acked.size} questions_stored=${storedAcked}\n`,
    );
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    redis.kill('SIGTERM');
    await pg.stop();
    await rm(tmp, { recursive: true, force: true });
  }
}

await main();
