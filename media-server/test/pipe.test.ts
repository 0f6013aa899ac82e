import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import type { PipeOffer, PipeUpdate } from '@amphi/protocol';
import type { types } from 'mediasoup';
import * as mediasoup from 'mediasoup';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Broadcast, type ProducerDescription } from '../src/Broadcast.ts';
import { INGEST_RTP, INGEST_VP8, RtpIngest } from '../src/ingest/RtpIngest.ts';
import type { ParticipantRole } from '../src/ParticipantSession.ts';
import type { BroadcastPipe } from '../src/pipe/BroadcastPipe.ts';
import type { PipeOptions } from '../src/pipe/PipeLink.ts';
import { WorkerPool } from '../src/WorkerPool.ts';
import { RtpTestSender, RtpTestSink, rtpHeader } from './support/rtpPeers.ts';

// Three media nodes in one process, each a WorkerPool on its own loopback
// address: the origin (127.0.0.1), an edge fed by it (127.0.0.2) and an edge
// of that edge (127.0.0.3). Plain RTP goes in at the origin, the pipes between
// nodes are real mediasoup PipeTransports with SRTP, and classrooms on the
// edges are plain transports read off the wire. The control plane between
// nodes is stood in for by a queue that carries each message as JSON, in order.

const logger = pino({ level: 'warn' });
const EVENT = 'event-pipe';
const HOSTS = { origin: '127.0.0.1', edge: '127.0.0.2', edge2: '127.0.0.3' } as const;
const DEAD_AFTER_MS = 1500;

type Node = { pool: WorkerPool; broadcast: Broadcast; ip: string };
type Link = {
  up: BroadcastPipe;
  down: BroadcastPipe;
  offer: PipeOffer;
  /** Updates carried so far, each way. */
  carried: { down: PipeUpdate[]; up: PipeUpdate[] };
  /** The control channel between the two nodes goes (a host lost with its channel). */
  cut(): void;
};

const nodes = {} as Record<keyof typeof HOSTS, Node>;
/** Producers made on any worker, by id: the test pauses the speaker's as a browser would. */
const originProducers = new Map<string, types.Producer>();
mediasoup.observer.on('newworker', (worker) =>
  worker.observer.on('newrouter', (router) =>
    router.observer.on('newtransport', (transport) =>
      transport.observer.on('newproducer', (producer) => {
        if (transport.constructor.name === 'PlainTransport')
          originProducers.set(producer.id, producer);
      }),
    ),
  ),
);
let ingest: RtpIngest;
let sender: RtpTestSender;
const sinks: RtpTestSink[] = [];

async function startNode(ip: string): Promise<Node> {
  const pool = await WorkerPool.create({ size: 1, listenIp: ip, logger, restartDelayMs: 200 });
  const broadcast = await Broadcast.create({
    eventId: EVENT,
    pool,
    logger,
    transportOptions: { listenIp: ip },
  });
  return { pool, broadcast, ip };
}

/** What a JSON channel does to a message. */
const overTheWire = <T>(message: T): T => JSON.parse(JSON.stringify(message)) as T;

/** Pipes `from`'s broadcast to `to`'s, the control plane's way: offer, accept, connect. */
async function pipe(
  from: Node,
  to: Node,
  options: { tamper?: (offer: PipeOffer) => PipeOffer; up?: Partial<PipeOptions> } = {},
): Promise<Link> {
  const tamper = options.tamper ?? ((o: PipeOffer) => o);
  let up: BroadcastPipe | undefined;
  let down: BroadcastPipe | undefined;
  let channelUp = true;
  const carried = { down: [] as PipeUpdate[], up: [] as PipeUpdate[] };
  const carry = (target: () => BroadcastPipe | undefined, log: PipeUpdate[]) => (u: PipeUpdate) => {
    if (!channelUp) return;
    const message = overTheWire(u);
    log.push(message);
    setImmediate(
      () =>
        void target()
          ?.apply(message)
          .catch(() => {}),
    );
  };
  const offered = await from.broadcast.offerPipe({
    listenIp: from.ip,
    deadAfterMs: DEAD_AFTER_MS,
    ...options.up,
    send: carry(() => down, carried.down),
  });
  up = offered.pipe;
  const offer = tamper(overTheWire(offered.offer));
  const accepted = await to.broadcast.acceptPipe(offer, {
    listenIp: to.ip,
    deadAfterMs: DEAD_AFTER_MS,
    send: carry(() => up, carried.up),
  });
  down = accepted.pipe;
  await up.connect(overTheWire(accepted.answer));
  return {
    up,
    down,
    offer,
    carried,
    cut: () => {
      channelUp = false;
    },
  };
}

type Classroom = {
  id: string;
  sink: RtpTestSink;
  ssrcOf: Map<string, number>;
  transportId: string;
};

/** A participant on `node`: a plain transport to its own sink, every producer it may receive consumed and resumed. */
async function joinClassroom(
  node: Node,
  id: string,
  role: ParticipantRole = 'classroom',
): Promise<Classroom> {
  const sink = await RtpTestSink.start(node.ip);
  sinks.push(sink);
  const session = await node.broadcast.join(id, role);
  const transport = await session.createPlainTransport({ ip: node.ip, port: sink.port });
  const classroom = { id, sink, ssrcOf: new Map<string, number>(), transportId: transport.id };
  for (const producer of node.broadcast.producersFor(id)) await consume(node, classroom, producer);
  return classroom;
}

async function consume(node: Node, classroom: Classroom, producer: ProducerDescription) {
  const consumer = await node.broadcast.consume(classroom.id, {
    transportId: classroom.transportId,
    producerId: producer.id,
    rtpCapabilities: node.broadcast.rtpCapabilities,
  });
  classroom.ssrcOf.set(producer.id, consumer.rtpParameters.encodings?.[0]?.ssrc ?? 0);
  await node.broadcast.session(classroom.id)?.resumeConsumer(consumer.id);
}

const received = (c: Classroom, producerId: string) =>
  c.sink.packets(c.ssrcOf.get(producerId) ?? -1);
const keyFrames = (c: Classroom, producerId: string) =>
  c.sink.keyFrames(c.ssrcOf.get(producerId) ?? -1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until the origin's pipes stop asking for key frames (links just connected ask once). */
async function keyFramesSettled(): Promise<void> {
  for (let last = -1; last !== sender.keyFrameRequests; ) {
    last = sender.keyFrameRequests;
    await sleep(1500);
  }
}

// A path between hosts that fails: an nftables rule of the test's own table
// drops UDP to one port (root only; the test is skipped elsewhere).
const NFT_TABLE = `amphi_pipe_test_${process.pid}`;

function canFilter(): boolean {
  try {
    execFileSync('nft', ['list', 'tables'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function dropUdp(ip: string, port: number): void {
  execFileSync('nft', ['-f', '-'], {
    input: `table ip ${NFT_TABLE} {
  chain input { type filter hook input priority 0; policy accept; ip daddr ${ip} udp dport ${port} drop; }
}
`,
  });
}

function undropUdp(): void {
  execFileSync('nft', ['delete', 'table', 'ip', NFT_TABLE], { stdio: 'ignore' });
}

beforeAll(async () => {
  nodes.origin = await startNode(HOSTS.origin);
  nodes.edge = await startNode(HOSTS.edge);
  nodes.edge2 = await startNode(HOSTS.edge2);
  ingest = await RtpIngest.create(nodes.origin.broadcast, {
    participantId: 'speaker-1',
    listenIp: HOSTS.origin,
    simulcastLayers: 1,
  });
  sender = await RtpTestSender.start({
    ip: HOSTS.origin,
    videoPort: ingest.videoPort,
    audioPort: ingest.audioPort,
  });
});

afterAll(() => {
  try {
    undropUdp();
  } catch {
    // Not there: the test removed it.
  }
  sender?.close();
  for (const s of sinks) s.close();
  for (const n of Object.values(nodes)) {
    n.broadcast.close();
    n.pool.close();
  }
});

describe('a broadcast across media nodes', () => {
  let originToEdge: Link;
  let edgeToEdge2: Link;
  let onEdge: Classroom;
  let onEdge2: Classroom;

  it('feeds a classroom on another host through an SRTP pipe, its key-frame request reaching the speaker', async () => {
    const portRange = { min: 30_000 + Math.floor(Math.random() * 20_000), max: 0 };
    portRange.max = portRange.min + 99;
    originToEdge = await pipe(nodes.origin, nodes.edge, { up: { portRange } });
    const { offer } = originToEdge;
    // The origin's pipe listens in the range the operator opened.
    expect(offer.endpoint.port).toBeGreaterThanOrEqual(portRange.min);
    expect(offer.endpoint.port).toBeLessThanOrEqual(portRange.max);
    // The offer is what the edge's node needs, and nothing it cannot check.
    expect(offer.endpoint.ip).toBe(HOSTS.origin);
    expect(offer.endpoint.srtpParameters.cryptoSuite).toBeTruthy();
    expect(offer.producers.map((p) => p.id).sort()).toEqual(
      [ingest.videoProducerId, ingest.audioProducerId].sort(),
    );
    const [upStats, downStats] = await Promise.all([
      originToEdge.up.stats(),
      originToEdge.down.stats(),
    ]);
    expect(upStats).toMatchObject({ srtp: true, connected: true, sent: 2, received: 0 });
    expect(downStats).toMatchObject({ srtp: true, connected: true, sent: 0, received: 2 });
    expect(upStats.remote).toEqual({ ip: HOSTS.edge, port: downStats.localPort });
    expect(downStats.remote).toEqual({ ip: HOSTS.origin, port: upStats.localPort });
    // The edge's broadcast offers the speaker as its own, with the same ids.
    expect(nodes.edge.broadcast.producers).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: ingest.videoProducerId, participantId: 'speaker-1' }),
        expect.objectContaining({ id: ingest.audioProducerId, source: 'camera' }),
      ]),
    );

    await keyFramesSettled();
    const requestsBefore = sender.keyFrameRequests;
    onEdge = await joinClassroom(nodes.edge, 'classroom-edge');
    // The sender makes a key frame only when asked: video that decodes on the
    // edge proves the classroom's request crossed the pipe to the speaker.
    await expect
      .poll(() => keyFrames(onEdge, ingest.videoProducerId), { timeout: 5000 })
      .toBeGreaterThan(0);
    expect(sender.keyFrameRequests).toBeGreaterThan(requestsBefore);
    const start = {
      video: received(onEdge, ingest.videoProducerId),
      audio: received(onEdge, ingest.audioProducerId),
      sent: { ...sender.sent },
    };
    await sleep(2000);
    // Every packet the speaker sent in those 2 s reached the classroom on the
    // other host (a few in flight at either end of the window), 30 video and
    // 50 audio a second when the machine keeps up.
    const video = received(onEdge, ingest.videoProducerId) - start.video;
    const audio = received(onEdge, ingest.audioProducerId) - start.audio;
    expect(video).toBeGreaterThan(sender.sent.video - start.sent.video - 4);
    expect(audio).toBeGreaterThan(sender.sent.audio - start.sent.audio - 4);
    expect(video).toBeGreaterThan(20);
    expect(audio).toBeGreaterThan(40);
  });

  it('refuses a pipe on every address without the address to announce', async () => {
    await expect(
      nodes.origin.broadcast.offerPipe({ listenIp: '0.0.0.0', send: () => {} }),
    ).rejects.toThrow(/announcedAddress/);
  });

  it('feeds an edge of the edge (a tree), key frames included', async () => {
    const port = 30_000 + Math.floor(Math.random() * 20_000);
    edgeToEdge2 = await pipe(nodes.edge, nodes.edge2, { up: { port } });
    expect(edgeToEdge2.offer.endpoint).toMatchObject({ ip: HOSTS.edge, port });
    expect(edgeToEdge2.offer.producers.map((p) => p.id).sort()).toEqual(
      [ingest.videoProducerId, ingest.audioProducerId].sort(),
    );
    await keyFramesSettled();
    const requestsBefore = sender.keyFrameRequests;
    onEdge2 = await joinClassroom(nodes.edge2, 'classroom-edge2');
    await expect
      .poll(() => keyFrames(onEdge2, ingest.videoProducerId), { timeout: 5000 })
      .toBeGreaterThan(0);
    expect(sender.keyFrameRequests).toBeGreaterThan(requestsBefore);
    await expect
      .poll(() => received(onEdge2, ingest.audioProducerId), { timeout: 3000 })
      .toBeGreaterThan(35);
  });

  it('sends a producer that appears after the link is up, and its close', async () => {
    const screen = await RtpIngest.create(nodes.origin.broadcast, {
      participantId: 'speaker-2',
      listenIp: HOSTS.origin,
      simulcastLayers: 1,
    });
    const second = await RtpTestSender.start({
      ip: HOSTS.origin,
      videoPort: screen.videoPort,
      audioPort: screen.audioPort,
    });
    try {
      // Down the tree, each edge learns of it from an update, not from the offer.
      for (const node of [nodes.edge, nodes.edge2]) {
        await expect
          .poll(() => node.broadcast.producers.map((p) => p.id), { timeout: 5000 })
          .toContain(screen.videoProducerId);
      }
      expect(originToEdge.carried.down).toContainEqual(
        expect.objectContaining({
          type: 'producer',
          producer: expect.objectContaining({
            id: screen.videoProducerId,
            participantId: 'speaker-2',
          }),
        }),
      );
      const [video] = nodes.edge2.broadcast.producers.filter(
        (p) => p.id === screen.videoProducerId,
      );
      await consume(nodes.edge2, onEdge2, video as ProducerDescription);
      await expect
        .poll(() => keyFrames(onEdge2, screen.videoProducerId), { timeout: 5000 })
        .toBeGreaterThan(0);
      await expect
        .poll(() => received(onEdge2, screen.videoProducerId), { timeout: 3000 })
        .toBeGreaterThan(20);

      // The speaker stops: the producers close on the origin, then on every edge.
      const closedOnEdge2: string[] = [];
      nodes.edge2.broadcast.on('producerclose', ({ id }) => closedOnEdge2.push(id));
      const consumersBefore = nodes.edge2.broadcast.session(onEdge2.id)?.consumerCount ?? 0;
      screen.close();
      await expect
        .poll(() => closedOnEdge2.sort(), { timeout: 5000 })
        .toEqual([screen.videoProducerId, screen.audioProducerId].sort());
      expect(nodes.edge.broadcast.producers.map((p) => p.id)).not.toContain(screen.videoProducerId);
      // Its consumer on the classroom's transport went with it (producerclose).
      expect(nodes.edge2.broadcast.session(onEdge2.id)?.consumerCount).toBe(consumersBefore - 1);
    } finally {
      second.close();
    }
  });

  it('pauses and resumes a producer on every edge as the origin does', async () => {
    const producer = originProducers.get(ingest.videoProducerId);
    if (!producer) throw new Error("the speaker's video producer is not on the origin");
    const video = () => received(onEdge2, ingest.videoProducerId);
    await producer.pause();
    for (const link of [originToEdge, edgeToEdge2]) {
      await expect
        .poll(() => link.carried.down.map((u) => u.type), { timeout: 3000 })
        .toContain('producerpause');
    }
    await sleep(300);
    const paused = video();
    await sleep(700);
    // Nothing reaches the classroom two pipes down while the speaker's camera is paused.
    expect(video() - paused).toBe(0);
    await producer.resume();
    // Its consumer asks for a key frame again, and the video comes back.
    const keys = keyFrames(onEdge2, ingest.videoProducerId);
    await expect
      .poll(() => keyFrames(onEdge2, ingest.videoProducerId), { timeout: 5000 })
      .toBeGreaterThan(keys);
    expect(edgeToEdge2.carried.down.map((u) => u.type)).toContain('producerresume');
  });

  it('sends a classroom on stage on the edge of the edge up to the origin, to the moderator only', async () => {
    const STAGE_SSRC = 0x5a5a0001;
    const stageSession = await nodes.edge2.broadcast.join('classroom-stage', 'classroom');
    const camera = await RtpTestSender.open(HOSTS.edge2);
    try {
      const transport = await stageSession.createPlainTransport({
        ip: HOSTS.edge2,
        port: camera.videoLocalPort,
      });
      const stage = await nodes.edge2.broadcast.produce('classroom-stage', {
        transportId: transport.id,
        kind: 'video',
        source: 'stage',
        rtpParameters: {
          codecs: [INGEST_VP8],
          encodings: [{ ssrc: STAGE_SSRC }],
        },
      });
      camera.sendTo({
        ip: HOSTS.edge2,
        videoPort: transport.localPort,
        audioPort: 0,
        videoSsrc: STAGE_SSRC,
      });
      // Up two pipes, published on the origin as the stage classroom's camera.
      await expect
        .poll(() => nodes.origin.broadcast.producers.find((p) => p.id === stage.id), {
          timeout: 5000,
        })
        .toMatchObject({ participantId: 'classroom-stage', source: 'stage' });
      expect(edgeToEdge2.carried.up).toContainEqual(
        expect.objectContaining({
          type: 'producer',
          producer: expect.objectContaining({ id: stage.id }),
        }),
      );
      // Never down to other classrooms: the edge pipes send speakers' media only.
      expect(nodes.edge.broadcast.producersFor(onEdge.id).map((p) => p.id)).not.toContain(stage.id);
      expect(
        originToEdge.carried.down.filter(
          (u) => u.type === 'producer' && u.producer.id === stage.id,
        ),
      ).toEqual([]);

      const moderator = await joinClassroom(nodes.origin, 'moderator-1', 'moderator');
      await expect.poll(() => keyFrames(moderator, stage.id), { timeout: 5000 }).toBeGreaterThan(0);
      expect(camera.keyFrameRequests).toBeGreaterThan(0);
      await expect.poll(() => received(moderator, stage.id), { timeout: 3000 }).toBeGreaterThan(20);

      // Off stage: the producer closes up the tree.
      stageSession.closeProducer(stage.id);
      await expect
        .poll(() => nodes.origin.broadcast.producers.map((p) => p.id), { timeout: 5000 })
        .not.toContain(stage.id);
      nodes.origin.broadcast.leave('moderator-1');
    } finally {
      camera.close();
      nodes.edge2.broadcast.leave('classroom-stage');
    }
  });

  it('ignores plain RTP sent to a pipe port: only the other end, with the key, gets in', async () => {
    const stats = async () => (await originToEdge.down.link.transport.getStats())[0];
    // The speaker goes quiet: only the heartbeat (a few bytes, twice a second) crosses now.
    sender.pause(true);
    await sleep(500);
    const before = await stats();
    const stranger = dgram.createSocket('udp4');
    await new Promise<void>((r) => stranger.bind(0, HOSTS.origin, r));
    const { localPort } = await originToEdge.down.stats();
    // The speaker's own SSRC and payload type, in the clear, 200 packets of 1 kB.
    for (let i = 0; i < 200; i++) {
      const packet = Buffer.concat([
        rtpHeader(
          INGEST_RTP.videoPayloadType,
          40_000 + i,
          i * 3000,
          INGEST_RTP.videoSsrcs[0],
          true,
        ),
        randomBytes(1000),
      ]);
      stranger.send(packet, localPort, HOSTS.edge);
      // Paced, so the socket's buffer takes them all.
      if (i % 20 === 19) await sleep(10);
    }
    await sleep(1000);
    stranger.close();
    const after = await stats();
    sender.pause(false);
    expect((after?.bytesReceived ?? 0) - (before?.bytesReceived ?? 0)).toBeGreaterThan(150_000);
    // What the pipe accepted as RTP in that second and a half: the heartbeat, no more.
    expect((after?.rtpBytesReceived ?? 0) - (before?.rtpBytesReceived ?? 0)).toBeLessThan(1000);
  });

  it('refuses a pipe whose key is wrong: nothing crosses and the edge reports the link dead', async () => {
    const edge3 = await startNode('127.0.0.4');
    try {
      const events: string[] = [];
      const link = await pipe(nodes.origin, edge3, {
        tamper: (offer) => ({
          ...offer,
          endpoint: {
            ...offer.endpoint,
            srtpParameters: {
              ...offer.endpoint.srtpParameters,
              keyBase64: randomBytes(
                Buffer.from(offer.endpoint.srtpParameters.keyBase64, 'base64').length,
              ).toString('base64'),
            },
          },
        }),
      });
      link.down.on('dead', () => events.push('dead'));
      const classroom = await joinClassroom(edge3, 'classroom-wrong-key');
      await expect.poll(() => events, { timeout: DEAD_AFTER_MS * 3 }).toContain('dead');
      const [stats] = await link.down.link.transport.getStats();
      expect(stats?.bytesReceived).toBeGreaterThan(10_000);
      expect(stats?.rtpBytesReceived).toBe(0);
      expect(received(classroom, ingest.videoProducerId)).toBe(0);
      // The origin's end gets the edge's heartbeat: that direction's key is right.
      expect(link.up.link.dead).toBe(false);
      link.up.close();
    } finally {
      edge3.broadcast.close();
      edge3.pool.close();
    }
  });

  it.skipIf(!canFilter())(
    'reports a link that goes silent dead, then alive when the path is back, its classrooms fed again',
    async () => {
      const events: string[] = [];
      originToEdge.down.on('dead', () => events.push('dead'));
      originToEdge.down.on('alive', () => events.push('alive'));
      const { localPort } = await originToEdge.down.stats();
      // The path to the edge's pipe drops everything (a router between hosts failing).
      dropUdp(HOSTS.edge, localPort);
      try {
        await expect.poll(() => events, { timeout: DEAD_AFTER_MS * 3 }).toEqual(['dead']);
      } finally {
        undropUdp();
      }
      await expect.poll(() => events, { timeout: 3000 }).toEqual(['dead', 'alive']);
      // The edge's producers and consumers stayed: its classroom receives again.
      const before = received(onEdge, ingest.audioProducerId);
      await expect
        .poll(() => received(onEdge, ingest.audioProducerId) - before, { timeout: 3000 })
        .toBeGreaterThan(25);
      // Only the edge's side went silent: the origin still heard the edge's heartbeat.
      expect(originToEdge.up.link.dead).toBe(false);
    },
  );

  it('closing the origin end closes the producers on every edge below: their consumers get producerclose', async () => {
    const closed: { edge: string[]; edge2: string[] } = { edge: [], edge2: [] };
    nodes.edge.broadcast.on('producerclose', ({ id }) => closed.edge.push(id));
    nodes.edge2.broadcast.on('producerclose', ({ id }) => closed.edge2.push(id));
    const downClosed = new Promise((r) => originToEdge.down.once('close', r));
    originToEdge.up.close('origin moved');
    await expect(downClosed).resolves.toEqual({ reason: 'origin moved', remote: true });
    const ids = [ingest.videoProducerId, ingest.audioProducerId].sort();
    await expect.poll(() => closed.edge.sort(), { timeout: 3000 }).toEqual(ids);
    // Down the tree too: the edge's own pipe tells its edge.
    await expect.poll(() => closed.edge2.sort(), { timeout: 3000 }).toEqual(ids);
    expect(nodes.edge.broadcast.session(onEdge.id)?.consumerCount).toBe(0);
    expect(nodes.edge2.broadcast.session(onEdge2.id)?.consumerCount).toBe(0);
    // The edge -> edge2 link itself stays, ready to carry a re-piped origin.
    expect(edgeToEdge2.up.closed).toBe(false);
  });

  it('reports a link dead when the host at either end goes silent', async () => {
    originToEdge = await pipe(nodes.origin, nodes.edge);
    // The new link carries the speaker to both edges again (edge2 through the kept link).
    await expect
      .poll(() => nodes.edge2.broadcast.producers.map((p) => p.id), { timeout: 5000 })
      .toContain(ingest.videoProducerId);
    // The origin's host is lost with its control channel: its end goes without a word.
    const edgeSees = new Promise<{ silentMs: number }>((r) => originToEdge.down.once('dead', r));
    originToEdge.cut();
    originToEdge.up.close('host lost', true);
    let started = Date.now();
    expect((await edgeSees).silentMs).toBeGreaterThanOrEqual(DEAD_AFTER_MS);
    expect(Date.now() - started).toBeLessThan(DEAD_AFTER_MS + 2000);
    // The edge's producers stay until the control plane decides (re-pipe or close).
    expect(originToEdge.down.closed).toBe(false);

    // An edge's host lost: the end that feeds it sees the silence too.
    const feederSees = new Promise<{ silentMs: number }>((r) => edgeToEdge2.up.once('dead', r));
    edgeToEdge2.cut();
    edgeToEdge2.down.close('host lost', true);
    started = Date.now();
    expect((await feederSees).silentMs).toBeGreaterThanOrEqual(DEAD_AFTER_MS);
    expect(Date.now() - started).toBeLessThan(DEAD_AFTER_MS + 2000);
  });

  it('re-pipes an edge whose link died: the new pipe replaces the old, classrooms consume again', async () => {
    const dead = originToEdge.down;
    originToEdge = await pipe(nodes.origin, nodes.edge);
    expect(dead.closed).toBe(true);
    expect(nodes.edge.broadcast.producers.map((p) => p.id).sort()).toEqual(
      [ingest.videoProducerId, ingest.audioProducerId].sort(),
    );
    for (const producer of nodes.edge.broadcast.producersFor(onEdge.id)) {
      await consume(nodes.edge, onEdge, producer);
    }
    // New consumers (new SSRCs): what they count came through the new pipe.
    await expect
      .poll(() => keyFrames(onEdge, ingest.videoProducerId), { timeout: 5000 })
      .toBeGreaterThan(0);
    await expect
      .poll(() => received(onEdge, ingest.audioProducerId), { timeout: 3000 })
      .toBeGreaterThan(25);
  });

  it('a broadcast closed on a node closes its pipes up and down', async () => {
    const middle = await startNode('127.0.0.5');
    const below = await startNode('127.0.0.6');
    try {
      const up = await pipe(nodes.origin, middle);
      const down = await pipe(middle, below);
      await expect.poll(() => below.broadcast.producers.length, { timeout: 5000 }).toBe(2);
      const closes = Promise.all([
        new Promise((r) => up.up.once('close', r)),
        new Promise((r) => down.down.once('close', r)),
      ]);
      middle.broadcast.close();
      const [origin, edge] = await closes;
      // Both neighbours were told (remote), and the node below lost what it received.
      expect(origin).toMatchObject({ remote: true });
      expect(edge).toMatchObject({ remote: true });
      expect(below.broadcast.producers).toEqual([]);
      expect((await nodes.origin.broadcast.stats()).producers.length).toBe(2);
    } finally {
      for (const n of [middle, below]) {
        n.broadcast.close();
        n.pool.close();
      }
    }
  });

  it('an origin rebuilt after its worker died closes its pipes, and is offered again', async () => {
    const origin = await startNode('127.0.0.7');
    const edge = await startNode('127.0.0.8');
    try {
      const speaker = await RtpIngest.create(origin.broadcast, {
        participantId: 'speaker-far',
        listenIp: origin.ip,
        simulcastLayers: 1,
      });
      const link = await pipe(origin, edge);
      expect(edge.broadcast.producers).toHaveLength(2);
      const closes = Promise.all([
        new Promise((r) => link.up.once('close', r)),
        new Promise((r) => link.down.once('close', r)),
      ]);
      process.kill(origin.pool.workers[0]?.worker.pid ?? 0, 'SIGKILL');
      // The origin's end went with its router; it told the edge, whose producers closed.
      const [up, down] = await closes;
      expect(up).toMatchObject({ remote: false });
      expect(down).toMatchObject({ remote: true });
      expect(edge.broadcast.producers).toEqual([]);
      // The speaker publishes again on the rebuilt origin, and the control plane
      // offers the edge a new pipe: offerPipe waits for the rebuild.
      speaker.close();
      const again = await RtpIngest.create(origin.broadcast, {
        participantId: 'speaker-far',
        listenIp: origin.ip,
        simulcastLayers: 1,
      });
      await pipe(origin, edge);
      expect(edge.broadcast.producers.map((p) => p.id).sort()).toEqual(
        [again.videoProducerId, again.audioProducerId].sort(),
      );
    } finally {
      for (const n of [origin, edge]) {
        n.broadcast.close();
        n.pool.close();
      }
    }
  });
});
