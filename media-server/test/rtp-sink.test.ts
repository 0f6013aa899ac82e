import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RtpSink, type SinkStream } from '../bench/sink/RtpSink.ts';

const PAYLOAD = 20; // bytes after the 12-byte header: longer than what the sink reads

function rtp(ssrc: number, seq: number, pt: number, marker = false): Buffer {
  const b = Buffer.alloc(12 + PAYLOAD, 0xab);
  b[0] = 0x80;
  b[1] = (marker ? 0x80 : 0) | pt;
  b.writeUInt16BE(seq, 2);
  b.writeUInt32BE(seq * 960, 4);
  b.writeUInt32BE(ssrc, 8);
  return b;
}

function rtcpSenderReport(ssrc: number): Buffer {
  const b = Buffer.alloc(28);
  b[0] = 0x80;
  b[1] = 200; // SR
  b.writeUInt16BE(6, 2);
  b.writeUInt32BE(ssrc, 4);
  return b;
}

async function openSocket(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  return s;
}

function send(s: dgram.Socket, port: number, msg: Buffer): Promise<void> {
  return new Promise((resolve, reject) =>
    s.send(msg, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())),
  );
}

async function startSink(sockets: number): Promise<RtpSink> {
  let lastErr: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const firstPort = 40000 + Math.floor(Math.random() * 20000);
    try {
      return await RtpSink.start({ firstPort, sockets });
    } catch (err) {
      lastErr = err; // port taken: try another range
    }
  }
  throw lastErr;
}

describe('rtp-sink', () => {
  let sink: RtpSink;
  let a: dgram.Socket;
  let b: dgram.Socket;

  beforeAll(async () => {
    sink = await startSink(2);
    a = await openSocket();
    b = await openSocket();
  }, 60_000);

  afterAll(async () => {
    a?.close();
    b?.close();
    await sink?.close();
  });

  it('counts streams, gaps, wrap-around, duplicates and RTCP exactly', async () => {
    expect(sink.ports).toHaveLength(2);
    expect(sink.pid).toBeGreaterThan(0);
    const [p0, p1] = sink.ports as [number, number];
    let sent = 0;
    const tx = async (s: dgram.Socket, port: number, msg: Buffer) => {
      await send(s, port, msg);
      sent++;
    };

    // Socket A -> p0. SSRC 0x11111111: 100..109 without 105..107 (a gap of 3).
    for (let seq = 100; seq <= 109; seq++) {
      if (seq < 105 || seq > 107) await tx(a, p0, rtp(0x11111111, seq, 111, seq === 109));
    }
    // SSRC 0x22222222: 16-bit wrap-around, marker bit set on one packet.
    for (const seq of [65534, 65535, 0, 1]) await tx(a, p0, rtp(0x22222222, seq, 96, seq === 0));
    await tx(a, p0, rtcpSenderReport(0x22222222));
    await tx(a, p0, Buffer.from([1, 2, 3, 4, 5])); // not RTP

    // Socket B -> p1. Same SSRC as above but another source port: a separate stream.
    for (const seq of [1, 2, 3, 3, 4, 5]) await tx(b, p1, rtp(0x11111111, seq, 100));
    for (let seq = 0; seq < 20; seq++) await tx(b, p1, rtp(0xfedcba98, seq, 97));

    const stats = await sink.stats();
    expect(stats.totalPackets).toBe(sent);
    expect(stats.rtcp).toBe(1);
    expect(stats.invalid).toBe(1);
    expect(stats.untracked).toBe(0);
    expect(stats.kernelDrops).toBe(0);
    expect(stats.wallUs).toBeGreaterThan(0);
    expect(stats.cpuUserUs + stats.cpuSysUs).toBeGreaterThanOrEqual(0);

    const aPort = a.address().port;
    const bPort = b.address().port;
    const stream = (srcPort: number, ssrc: number): SinkStream | undefined =>
      stats.streams.find((s) => s.srcPort === srcPort && s.ssrc === ssrc);
    const full = (n: number) => n * (12 + PAYLOAD);

    expect(stats.streams).toHaveLength(4);
    expect(stream(aPort, 0x11111111)).toEqual({
      srcPort: aPort,
      dstPort: p0,
      ssrc: 0x11111111,
      pt: 111,
      received: 7,
      expected: 10,
      lost: 3,
      gaps: 1,
      outOfOrder: 0,
      bytes: full(7),
      firstSeq: 100,
      highestSeq: 109,
    });
    expect(stream(aPort, 0x22222222)).toEqual({
      srcPort: aPort,
      dstPort: p0,
      ssrc: 0x22222222,
      pt: 96,
      received: 4,
      expected: 4,
      lost: 0,
      gaps: 0,
      outOfOrder: 0,
      bytes: full(4),
      firstSeq: 65534,
      highestSeq: 65537,
    });
    // Duplicates count as received (RFC 3550), hence lost = -1.
    expect(stream(bPort, 0x11111111)).toEqual({
      srcPort: bPort,
      dstPort: p1,
      ssrc: 0x11111111,
      pt: 100,
      received: 6,
      expected: 5,
      lost: -1,
      gaps: 0,
      outOfOrder: 1,
      bytes: full(6),
      firstSeq: 1,
      highestSeq: 5,
    });
    expect(stream(bPort, 0xfedcba98)).toMatchObject({
      pt: 97,
      received: 20,
      expected: 20,
      lost: 0,
      gaps: 0,
    });
  });

  it('reset forgets streams and counters', async () => {
    await sink.reset();
    const empty = await sink.stats();
    expect(empty).toMatchObject({ streams: [], rtcp: 0, totalPackets: 0, invalid: 0 });

    const [p0] = sink.ports as [number];
    await send(a, p0, rtp(0x11111111, 7, 111));
    const after = await sink.stats();
    expect(after.totalPackets).toBe(1);
    expect(after.streams).toEqual([
      expect.objectContaining({ ssrc: 0x11111111, received: 1, expected: 1, lost: 0, gaps: 0 }),
    ]);
  });

  it('serializes concurrent commands', async () => {
    const [s1, r, s2] = await Promise.all([sink.stats(), sink.reset(), sink.stats()]);
    expect(s1.totalPackets).toBe(1);
    expect(r).toBeUndefined();
    expect(s2.totalPackets).toBe(0);
  });

  it('fails clearly when a port is taken, and close is idempotent', async () => {
    const blocker = await openSocket();
    const port = blocker.address().port;
    try {
      await expect(RtpSink.start({ firstPort: port, sockets: 1 })).rejects.toThrow(
        new RegExp(`bind 127\\.0\\.0\\.1:${port} failed`),
      );
    } finally {
      blocker.close();
    }
    const other = await startSink(1);
    await Promise.all([other.close(), other.close()]);
    await other.close();
    await expect(other.stats()).rejects.toThrow(/after close/);
  });
});
