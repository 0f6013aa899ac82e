import { randomBytes, randomInt } from 'node:crypto';
import type { types } from 'mediasoup';
import * as mediasoup from 'mediasoup';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mediaCodecs } from '../src/mediaCodecs.ts';
import type { SrtpCryptoSuite } from './support/Srtp.ts';
import { IP, pliPacket, type RtpFields, SrtpPeer } from './support/SrtpPeer.ts';

// Our mediasoup worker links libsrtp 2 through a shim for mediasoup's libsrtp 3
// calls. A real worker here talks SRTP/SRTCP with the RFC-derived reference
// implementation in support/Srtp.ts (checked by srtp-vectors.test.ts), in each
// suite a PlainTransport offers: what the test encrypts the worker must decrypt
// and forward, what the worker encrypts must decrypt here byte for byte.

const SUITES: SrtpCryptoSuite[] = [
  'AES_CM_128_HMAC_SHA1_80',
  'AES_CM_128_HMAC_SHA1_32',
  'AEAD_AES_128_GCM',
  'AEAD_AES_256_GCM',
];
const OPUS_PT = 100;
const VP8_PT = 101;
/** A payload type no producer declares. */
const UNKNOWN_PT = 77;
/** Sequence numbers mediasoup accepts as in order despite the gap (RtpStream's MaxDropout is 3000). */
const SEQ_STEP = 2500;

let worker: types.Worker;
let router: types.Router;
/** What each test opened, closed after it. */
const opened: { close(): void }[] = [];

beforeAll(async () => {
  worker = await mediasoup.createWorker({ logLevel: 'error' });
  router = await worker.createRouter({ mediaCodecs });
});

afterEach(() => {
  for (const thing of opened.splice(0).reverse()) thing.close();
});

afterAll(() => worker?.close());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const hexOf = (packets: { payload: Buffer }[]) => packets.map((p) => p.payload.toString('hex'));

async function peer(suite: SrtpCryptoSuite): Promise<SrtpPeer> {
  const p = await SrtpPeer.open(suite);
  opened.push(p);
  return p;
}

async function plainTransport(suite: SrtpCryptoSuite): Promise<types.PlainTransport> {
  const transport = await router.createPlainTransport({
    listenInfo: { protocol: 'udp', ip: IP },
    rtcpMux: true,
    comedia: false,
    enableSrtp: true,
    srtpCryptoSuite: suite,
  });
  opened.push(transport);
  return transport;
}

function rtpParameters(kind: 'audio' | 'video', ssrc: number): types.RtpParameters {
  const codec: types.RtpCodecParameters =
    kind === 'audio'
      ? { mimeType: 'audio/opus', payloadType: OPUS_PT, clockRate: 48000, channels: 2 }
      : {
          mimeType: 'video/VP8',
          payloadType: VP8_PT,
          clockRate: 90000,
          // The producer asks its sender for key frames with PLI.
          rtcpFeedback: [{ type: 'nack', parameter: 'pli' }],
        };
  return { codecs: [codec], encodings: [{ ssrc }] };
}

/**
 * sender ─SRTP→ PlainTransport → producer → consumer → PlainTransport ─SRTP→ sink,
 * both transports in `suite`, each UDP peer holding the key of its direction.
 */
async function route(suite: SrtpCryptoSuite, kind: 'audio' | 'video') {
  const sendTransport = await plainTransport(suite);
  const sender = await peer(suite);
  await sender.connect(sendTransport);
  const ssrc = randomInt(1, 2 ** 32 - 1);
  const producer = await sendTransport.produce({ kind, rtpParameters: rtpParameters(kind, ssrc) });

  const recvTransport = await plainTransport(suite);
  const sink = await peer(suite);
  await sink.connect(recvTransport);
  // No header extensions: no transport-cc, so no bandwidth probation packets.
  const consumer = await recvTransport.consume({
    producerId: producer.id,
    rtpCapabilities: { codecs: router.rtpCapabilities.codecs ?? [], headerExtensions: [] },
  });
  const consumerSsrc = consumer.rtpParameters.encodings?.[0]?.ssrc;
  if (consumerSsrc === undefined) throw new Error('consumer without an SSRC');
  return { sender, sink, ssrc, producer, consumer, consumerSsrc };
}

/** An Opus packet (any TOC byte is fine to mediasoup) with a random, recognisable payload. */
function opus(ssrc: number, extendedSeq: number, pt = OPUS_PT): RtpFields {
  const payload = Buffer.concat([Buffer.from([0x78]), randomBytes(47)]);
  return { pt, seq: extendedSeq % 65536, timestamp: extendedSeq * 960, ssrc, payload };
}

/** Sends packets with a little pacing, as a real source would; returns what was sent. */
async function send(sender: SrtpPeer, packets: RtpFields[]): Promise<RtpFields[]> {
  for (const packet of packets) {
    await sender.sendRtp(packet);
    await sleep(1);
  }
  return packets;
}

describe.each(SUITES)('%s with a real worker', (suite) => {
  it('decrypts SRTP from the sender and encrypts it for the consumer, across sequence-number wraps', async () => {
    const { sender, sink, ssrc, consumerSsrc } = await route(suite, 'audio');
    // 20 consecutive packets across the sender's wrap (the worker's receive
    // ROC goes 0 → 1), then 30 steps of 2500: the consumer's outgoing sequence,
    // which mediasoup starts between 1000 and 32767, moves on by 75 000 and
    // wraps too (the worker's send ROC and the sink's go 0 → 1), while the
    // sender's wraps again (receive ROC 2).
    const seqs = [
      ...range(20).map((i) => 65526 + i),
      ...range(30).map((i) => 65545 + SEQ_STEP * (i + 1)),
    ];
    const sent = await send(
      sender,
      seqs.map((seq) => opus(ssrc, seq)),
    );
    // A packet that fails to decrypt here counts too, so a broken suite fails fast.
    await expect
      .poll(() => sink.rtp.length + sink.failures.length, { timeout: 5000 })
      .toBeGreaterThanOrEqual(sent.length);

    expect(sink.failures).toEqual([]);
    expect(sender.failures).toEqual([]);
    expect(sender.tx.roc(ssrc)).toBe(2);
    // Every payload arrives intact and in order, rewritten to the consumer's SSRC...
    expect(hexOf(sink.rtp)).toEqual(hexOf(sent));
    expect(new Set(sink.rtp.map((p) => p.ssrc))).toEqual(new Set([consumerSsrc]));
    // ...with the sender's sequence steps, so the sink's ROC followed a wrap.
    const steps = sink.rtp
      .slice(1)
      .map((p, i) => (p.seq - (sink.rtp[i]?.seq ?? 0) + 65536) % 65536);
    expect(steps).toEqual([...range(19).map(() => 1), ...range(30).map(() => SEQ_STEP)]);
    expect(sink.rx?.roc(consumerSsrc)).toBe(1);
  });

  it('after a wrap, keeps the stream when one packet has an unknown payload type (SrtpSession::RemoveStream must not reset the ROC to 0)', async () => {
    // mediasoup drops a packet whose payload type the producer lacks and calls
    // RecvStreamClosed(ssrc) → SrtpSession::RemoveStream → srtp_stream_remove(
    // session, htonl(ssrc)). With libsrtp 3 (upstream) that call converts the
    // byte order once more and removes nothing. Had it removed the stream,
    // libsrtp would re-create it from the template with ROC 0 and every later
    // packet (ROC 1) would fail authentication: the consumer would go silent.
    // (A worker built with our earlier shim, which really removed the stream,
    // fails here in every suite: the 10 later packets never arrive.)
    const { sender, sink, ssrc } = await route(suite, 'audio');
    const beforeWrapAndAfter = await send(
      sender,
      range(11).map((i) => opus(ssrc, 65530 + i)),
    );
    await expect.poll(() => sink.rtp.length, { timeout: 5000 }).toBe(beforeWrapAndAfter.length);
    await send(sender, [opus(ssrc, 65541, UNKNOWN_PT)]);
    const later = await send(
      sender,
      range(10).map((i) => opus(ssrc, 65542 + i)),
    );
    const expected = [...beforeWrapAndAfter, ...later];
    await expect
      .poll(() => sink.rtp.length, { timeout: 3000 })
      .toBeGreaterThanOrEqual(expected.length);
    expect(hexOf(sink.rtp)).toEqual(hexOf(expected));
    expect(sink.failures).toEqual([]);
  });

  it('SRTCP both ways: a PLI from the sink reaches the sender as a PLI; SR and RR decrypt', async () => {
    const { sender, sink, ssrc, consumer, consumerSsrc } = await route(suite, 'video');
    const plisIn: number[] = [];
    await consumer.enableTraceEvent(['pli']);
    consumer.on('trace', (trace: types.ConsumerTraceEventData) => {
      if (trace.type === 'pli' && trace.direction === 'in') plisIn.push(trace.timestamp);
    });
    const plisAtSender = () =>
      sender.rtcp.filter((p) => p.pt === 206 && p.count === 1 && p.target === ssrc).length;

    // Every packet a VP8 key frame (X=1 S=1 PID=0, no extensions, P=0), 100 per
    // second: the consumer forwards from the start, and no key frame request
    // stays pending in the producer, so the sink's PLI is relayed at once.
    let seq = 65500;
    const keyFrames = setInterval(() => {
      const payload = Buffer.concat([Buffer.from([0x90, 0x00, 0x00]), randomBytes(40)]);
      seq += 1;
      void sender.sendRtp({
        pt: VP8_PT,
        seq: seq % 65536,
        timestamp: seq * 3000,
        ssrc,
        marker: true,
        payload,
      });
    }, 10);
    try {
      await expect.poll(() => sink.rtp.length, { timeout: 5000 }).toBeGreaterThan(5);
      // Let the start-up key frame requests (new stream, new consumer) settle.
      await sleep(200);
      const before = plisAtSender();
      expect(plisIn).toEqual([]);
      await sink.sendRtcp(pliPacket(0x5eed5eed, consumerSsrc));
      // The worker decrypted it: the consumer saw a PLI for its SSRC (mediasoup
      // 3.14.16's Consumer emits each 'trace' twice, so no exact count).
      await expect.poll(() => plisIn.length, { timeout: 2000 }).toBeGreaterThan(0);
      // ...and sent the producer's request out encrypted, which decrypts here.
      await expect.poll(plisAtSender, { timeout: 2000 }).toBeGreaterThan(before);
      // The worker's own reports: a sender report on the consumer's stream, a
      // receiver report on the sender's (mediasoup sends video RTCP about every second).
      await expect
        .poll(() => sink.rtcp.some((p) => p.pt === 200 && p.ssrc === consumerSsrc), {
          timeout: 4000,
        })
        .toBe(true);
      await expect
        .poll(() => sender.rtcp.some((p) => p.pt === 201 && p.target === ssrc), { timeout: 4000 })
        .toBe(true);
    } finally {
      clearInterval(keyFrames);
    }
    expect(sink.failures).toEqual([]);
    expect(sender.failures).toEqual([]);
    expect(new Set(sink.rtp.map((p) => p.ssrc))).toEqual(new Set([consumerSsrc]));
  });
});

describe('PipeTransport with SRTP (AEAD_AES_256_GCM, the only suite it uses)', () => {
  it('decrypts what the remote end sends into the pipe and encrypts what it pipes out', async () => {
    const pipe = await router.createPipeTransport({
      listenInfo: { protocol: 'udp', ip: IP },
      enableSrtp: true,
    });
    opened.push(pipe);
    const remote = await peer('AEAD_AES_256_GCM');
    await remote.connect(pipe);
    // The remote router's producer arrives through the pipe and, consumed by
    // the same pipe, goes straight back: one socket sees both directions.
    const ssrc = randomInt(1, 2 ** 32 - 1);
    const producer = await pipe.produce({
      kind: 'audio',
      rtpParameters: rtpParameters('audio', ssrc),
    });
    const consumer = await pipe.consume({ producerId: producer.id });
    const consumerSsrc = consumer.rtpParameters.encodings?.[0]?.ssrc;

    const sent = await send(
      remote,
      range(20).map((i) => opus(ssrc, 65526 + i)),
    );
    await expect
      .poll(() => remote.rtp.length, { timeout: 5000 })
      .toBeGreaterThanOrEqual(sent.length);
    expect(remote.failures).toEqual([]);
    expect(hexOf(remote.rtp)).toEqual(hexOf(sent));
    expect(new Set(remote.rtp.map((p) => p.ssrc))).toEqual(new Set([consumerSsrc]));
  });
});
