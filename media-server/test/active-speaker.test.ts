import dgram from 'node:dgram';
import type { types } from 'mediasoup';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Broadcast } from '../src/Broadcast.ts';
import { WorkerPool } from '../src/WorkerPool.ts';

// Two speakers of a panel send Opus RTP with their audio level (RFC 6464) to
// the origin, one talking, one silent: the broadcast names the one talking.

const IP = '127.0.0.1';
const AUDIO_LEVEL_URI = 'urn:ietf:params:rtp-hdrext:ssrc-audio-level';
const EXT_ID = 1;
const PT = 100;

let pool: WorkerPool;
let broadcast: Broadcast;
const sockets: dgram.Socket[] = [];

beforeAll(async () => {
  pool = await WorkerPool.create({ size: 1, listenIp: IP, logger: pino({ level: 'warn' }) });
  broadcast = await Broadcast.create({
    eventId: 'event-active-speaker',
    pool,
    logger: pino({ level: 'warn' }),
    transportOptions: { listenIp: IP },
  });
});

afterAll(async () => {
  for (const s of sockets) s.close();
  broadcast?.close();
  await pool?.close();
});

/** An Opus packet carrying its audio level: 0 is the loudest, 127 silence (-dBov). */
function opus(ssrc: number, seq: number, level: number): Buffer {
  const b = Buffer.alloc(12 + 8 + 20, 0x11);
  b[0] = 0x90; // V=2, X: a header extension follows
  b[1] = PT;
  b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE((seq * 960) >>> 0, 4);
  b.writeUInt32BE(ssrc, 8);
  b.writeUInt16BE(0xbede, 12); // one-byte extensions
  b.writeUInt16BE(1, 14); // one 32-bit word
  b[16] = (EXT_ID << 4) | 0; // one byte of data
  b[17] = (level < 127 ? 0x80 : 0) | level; // V: voice activity
  b[18] = 0;
  b[19] = 0;
  return b;
}

/** A speaker's microphone on the origin: a plain transport fed from a UDP socket. */
async function microphone(participantId: string, ssrc: number) {
  let transport: types.PlainTransport | undefined;
  const [producer] = await broadcast.publishOnOrigin(async (router) => {
    transport = await router.createPlainTransport({
      listenInfo: { protocol: 'udp', ip: IP },
      rtcpMux: true,
      comedia: true,
    });
    return [
      await transport.produce({
        kind: 'audio',
        rtpParameters: {
          codecs: [{ mimeType: 'audio/opus', payloadType: PT, clockRate: 48000, channels: 2 }],
          headerExtensions: [{ uri: AUDIO_LEVEL_URI, id: EXT_ID }],
          encodings: [{ ssrc }],
        },
      }),
    ];
  }, participantId);
  const socket = dgram.createSocket('udp4');
  sockets.push(socket);
  const port = transport?.tuple.localPort as number;
  return {
    producerId: producer?.id,
    send: (seq: number, level: number) => socket.send(opus(ssrc, seq, level), port, IP),
  };
}

/**
 * Speech as the observer measures it: loud syllables over a quieter floor
 * (a constant level is the speaker's noise floor, not speech).
 */
const talking = (seq: number) => (seq % 10 === 0 ? 90 : 10 + (seq % 7) * 3);

describe('the active speaker of a panel', () => {
  it('is the one whose audio level says they talk, announced with their participant id', async () => {
    const ines = await microphone('p-ines', 0x11110001);
    const karim = await microphone('p-karim', 0x11110002);
    const heard: { participantId: string; producerId: string }[] = [];
    broadcast.on('activespeaker', (a) => heard.push(a));

    // Karim talks (-10 dBov), Inès is silent: 20 ms packets for up to 5 s.
    let seq = 0;
    const until = Date.now() + 5000;
    while (Date.now() < until && !heard.some((h) => h.participantId === 'p-karim')) {
      ines.send(seq, 127);
      karim.send(seq, talking(seq));
      seq += 1;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(heard.at(-1)).toEqual({ participantId: 'p-karim', producerId: karim.producerId });

    // Then Inès answers and Karim goes quiet: the observer follows.
    const later = Date.now() + 10_000;
    while (Date.now() < later && heard.at(-1)?.participantId !== 'p-ines') {
      ines.send(seq, talking(seq));
      karim.send(seq, 127);
      seq += 1;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(heard.at(-1)).toEqual({ participantId: 'p-ines', producerId: ines.producerId });
  });
});
