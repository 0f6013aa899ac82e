import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { RtpRelay } from '../src/ingest/RtpRelay.ts';

const IP = '127.0.0.1';

/** A VP8 RTP packet with a 15-bit picture id (RFC 7741), as FFmpeg sends them. */
function vp8(ssrc: number, seq: number, timestamp: number, pictureId: number): Buffer {
  const b = Buffer.alloc(12 + 4 + 10, 0x55);
  b[0] = 0x80;
  b[1] = 101;
  b.writeUInt16BE(seq, 2);
  b.writeUInt32BE(timestamp, 4);
  b.writeUInt32BE(ssrc, 8);
  b[12] = 0x90; // X, S
  b[13] = 0x80; // I: a picture id follows
  b.writeUInt16BE(0x8000 | pictureId, 14); // M: 15 bits
  return b;
}

function senderReport(ssrc: number, timestamp: number): Buffer {
  const b = Buffer.alloc(28);
  b[0] = 0x80;
  b[1] = 200;
  b.writeUInt16BE(6, 2);
  b.writeUInt32BE(ssrc, 4);
  b.writeUInt32BE(timestamp, 16);
  return b;
}

type Seen = { seq: number; timestamp: number; pictureId: number; from: number };

const open: { close(): void }[] = [];
afterEach(() => {
  for (const o of open.splice(0)) o.close();
});

async function socket(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, IP, r));
  open.push(s);
  return s;
}

/** An ingest stand-in that records what reaches it, and the relay in front of it. */
async function relayed(kind: 'video' | 'audio') {
  const ingest = await socket();
  const rtp: Seen[] = [];
  const reports: number[] = [];
  /** What reached the ingest, in order: 'rtp' or 'sr'. */
  const order: string[] = [];
  ingest.on('message', (m, from) => {
    order.push(m[1] === 200 ? 'sr' : 'rtp');
    if (m[1] === 200) reports.push(m.readUInt32BE(16));
    else
      rtp.push({
        seq: m.readUInt16BE(2),
        timestamp: m.readUInt32BE(4),
        pictureId: m.readUInt16BE(14) & 0x7fff,
        from: from.port,
      });
  });
  const relay = await RtpRelay.open(IP, ingest.address().port, kind);
  open.push(relay);
  const send = async (s: dgram.Socket, msg: Buffer) => {
    await new Promise<void>((r) => s.send(msg, relay.port, IP, () => r()));
    await new Promise((r) => setTimeout(r, 5));
  };
  return { relay, rtp, reports, order, send };
}

describe('RtpRelay', () => {
  it('a source started again continues the same stream: one address, seq, timestamps and picture ids follow on', async () => {
    const { relay, rtp, reports, order, send } = await relayed('video');
    const ssrc = 0x1a1a0003;
    relay.beginRun();
    const firstRun = await socket();
    // FFmpeg sends a report just before its first packet: no stream to map it to yet.
    await send(firstRun, senderReport(ssrc, 900));
    for (let i = 0; i < 3; i++)
      await send(firstRun, vp8(ssrc, (65534 + i) & 0xffff, 1000 + i * 3000, i));
    await send(firstRun, senderReport(ssrc, 7000));
    // FFmpeg again: other sockets, numbers that start anywhere.
    relay.beginRun();
    const secondRun = await socket();
    await send(secondRun, senderReport(ssrc, 500)); // before its first RTP: not mapped yet
    for (let i = 0; i < 3; i++)
      await send(secondRun, vp8(ssrc, 100 + i, 4_000_000 + i * 3000, 9 + i));
    await send(secondRun, senderReport(ssrc, 4_000_000 + 6000));
    await expect.poll(() => rtp.length).toBe(6);

    // The first run goes through unchanged (a wrap included).
    expect(rtp.slice(0, 3).map((p) => [p.seq, p.timestamp, p.pictureId])).toEqual([
      [65534, 1000, 0],
      [65535, 4000, 1],
      [0, 7000, 2],
    ]);
    // The second follows it: the next seq and picture id, a later timestamp, the same pace.
    const [a, b, c] = rtp.slice(3) as [Seen, Seen, Seen];
    expect([a.seq, b.seq, c.seq]).toEqual([1, 2, 3]);
    expect([a.pictureId, b.pictureId, c.pictureId]).toEqual([3, 4, 5]);
    expect(a.timestamp).toBeGreaterThan(7000);
    expect(a.timestamp).toBeLessThan(7000 + 90_000); // less than a second later
    expect([b.timestamp - a.timestamp, c.timestamp - b.timestamp]).toEqual([3000, 3000]);
    // From one address throughout, as an ingest learns only one (comedia).
    expect(new Set(rtp.map((p) => p.from)).size).toBe(1);
    // Sender reports move with their RTP. One sent before its stream's first packet
    // (which the server would ignore, and then switch no class to another layer
    // until the next, 5 s later) is held back and follows that first packet.
    expect(reports).toEqual([900, 7000, (500 + a.timestamp - 4_000_000) >>> 0, c.timestamp]);
    expect(order).toEqual(['rtp', 'sr', 'rtp', 'rtp', 'sr', 'rtp', 'sr', 'rtp', 'rtp', 'sr']);
    expect(relay.rtpPackets.get(ssrc)).toBe(6);
  });

  it('leaves audio payloads alone: only the video carries VP8 picture ids', async () => {
    const { relay, rtp, send } = await relayed('audio');
    relay.beginRun();
    const source = await socket();
    // An Opus payload whose first bytes happen to look like a VP8 descriptor.
    const packet = vp8(0x1a1a00a0, 10, 960, 1234);
    await send(source, packet);
    await expect.poll(() => rtp.length).toBe(1);
    expect(rtp[0]?.pictureId).toBe(1234);
  });
});
