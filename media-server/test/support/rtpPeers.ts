import dgram from 'node:dgram';
import { INGEST_RTP } from '../../src/ingest/RtpIngest.ts';
import { countKeyFrameRequests } from '../../src/ingest/RtpRelay.ts';

// A speaker and a classroom in plain RTP, small enough to read: the sender
// sends a VP8 key frame only when the server asks for one (PLI or FIR), so a
// classroom that decodes proves its key-frame request went all the way back.

const VIDEO_FPS = 30;
const AUDIO_PPS = 50;

/** Sends VP8 (one layer) and Opus into an RtpIngest, as a speaker's encoder would. */
export class RtpTestSender {
  readonly #video = dgram.createSocket('udp4');
  readonly #audio = dgram.createSocket('udp4');
  readonly #timers: NodeJS.Timeout[] = [];
  /** PLI and FIR packets the server sent back on the video socket. */
  keyFrameRequests = 0;
  keyFramesSent = 0;
  /** RTP packets sent, per kind. */
  readonly sent = { video: 0, audio: 0 };
  #keyFrameDue = false;
  #paused = false;
  #videoSeq = 0;
  #audioSeq = 0;
  #pictureId = 0;

  static async start(options: {
    ip: string;
    videoPort: number;
    audioPort: number;
    /** The ingest's SSRCs by default; a second speaker needs its own. */
    videoSsrc?: number;
    audioSsrc?: number;
  }): Promise<RtpTestSender> {
    const sender = await RtpTestSender.open(options.ip);
    sender.sendTo(options);
    return sender;
  }

  /** Sockets bound, nothing sent yet: a transport that must know its sender's ports first. */
  static async open(ip: string): Promise<RtpTestSender> {
    const sender = new RtpTestSender();
    await Promise.all(
      [sender.#video, sender.#audio].map((s) => new Promise<void>((r) => s.bind(0, ip, r))),
    );
    sender.#video.on('message', (msg) => {
      const requests = countKeyFrameRequests(msg);
      if (requests > 0) {
        sender.keyFrameRequests += requests;
        sender.#keyFrameDue = true;
      }
    });
    return sender;
  }

  get videoLocalPort(): number {
    return this.#video.address().port;
  }

  sendTo(options: {
    ip: string;
    videoPort: number;
    audioPort: number;
    videoSsrc?: number;
    audioSsrc?: number;
  }): void {
    const videoSsrc = options.videoSsrc ?? INGEST_RTP.videoSsrcs[0];
    const audioSsrc = options.audioSsrc ?? INGEST_RTP.audioSsrc;
    this.#timers.push(
      setInterval(() => {
        if (this.#paused) return;
        const key = this.#keyFrameDue;
        this.#keyFrameDue = false;
        if (key) this.keyFramesSent++;
        this.#videoSeq = (this.#videoSeq + 1) & 0xffff;
        this.#pictureId = (this.#pictureId + 1) & 0x7fff;
        const packet = rtpHeader(
          INGEST_RTP.videoPayloadType,
          this.#videoSeq,
          this.#videoSeq * (90000 / VIDEO_FPS),
          videoSsrc,
          true,
        );
        this.sent.video++;
        this.#video.send(
          Buffer.concat([packet, vp8Payload(this.#pictureId, key)]),
          options.videoPort,
          options.ip,
        );
      }, 1000 / VIDEO_FPS),
      setInterval(() => {
        if (this.#paused || !options.audioPort) return;
        this.#audioSeq = (this.#audioSeq + 1) & 0xffff;
        const packet = rtpHeader(
          INGEST_RTP.audioPayloadType,
          this.#audioSeq,
          this.#audioSeq * (48000 / AUDIO_PPS),
          audioSsrc,
          false,
        );
        // An Opus TOC byte (SILK, 20 ms) and some payload.
        this.sent.audio++;
        this.#audio.send(
          Buffer.concat([packet, Buffer.from([0x08]), Buffer.alloc(60, 0x55)]),
          options.audioPort,
          options.ip,
        );
      }, 1000 / AUDIO_PPS),
    );
  }

  /** Stops sending (a speaker's network gone quiet) without closing anything. */
  pause(paused: boolean): void {
    this.#paused = paused;
  }

  close(): void {
    for (const t of this.#timers) clearInterval(t);
    this.#video.close();
    this.#audio.close();
  }
}

export type SinkCount = { packets: number; keyFrames: number; pt: number };

/** Counts the RTP a classroom's plain transport delivers, per SSRC; VP8 key frames apart. */
export class RtpTestSink {
  readonly #socket = dgram.createSocket('udp4');
  readonly bySsrc = new Map<number, SinkCount>();

  static async start(ip: string): Promise<RtpTestSink> {
    const sink = new RtpTestSink();
    await new Promise<void>((r) => sink.#socket.bind(0, ip, r));
    sink.#socket.on('message', (msg) => {
      if (msg.length < 12) return;
      const pt = (msg[1] as number) & 0x7f;
      // RTCP (sender reports) shares the port: payload types 72-76 with the marker bit.
      if (pt >= 72 && pt <= 76) return;
      const ssrc = msg.readUInt32BE(8);
      const count = sink.bySsrc.get(ssrc) ?? { packets: 0, keyFrames: 0, pt };
      count.packets++;
      if (isVp8KeyFrame(msg)) count.keyFrames++;
      sink.bySsrc.set(ssrc, count);
    });
    return sink;
  }

  get port(): number {
    return this.#socket.address().port;
  }

  packets(ssrc: number): number {
    return this.bySsrc.get(ssrc)?.packets ?? 0;
  }

  keyFrames(ssrc: number): number {
    return this.bySsrc.get(ssrc)?.keyFrames ?? 0;
  }

  close(): void {
    this.#socket.close();
  }
}

export function rtpHeader(
  pt: number,
  seq: number,
  timestamp: number,
  ssrc: number,
  marker: boolean,
): Buffer {
  const header = Buffer.alloc(12);
  header[0] = 0x80;
  header[1] = (marker ? 0x80 : 0) | pt;
  header.writeUInt16BE(seq & 0xffff, 2);
  header.writeUInt32BE(timestamp >>> 0, 4);
  header.writeUInt32BE(ssrc >>> 0, 8);
  return header;
}

/** One VP8 frame in one packet: descriptor (X, S, 15-bit picture id), then the frame tag. */
function vp8Payload(pictureId: number, key: boolean): Buffer {
  const descriptor = Buffer.from([0x90, 0x80, 0x80 | (pictureId >> 8), pictureId & 0xff]);
  // Frame tag: bit 0 clear on a key frame, whose header then carries the start code and size.
  const frame = key
    ? Buffer.from([0x50, 0x01, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xb4, 0x00])
    : Buffer.from([0x51, 0x01, 0x00]);
  return Buffer.concat([descriptor, frame, Buffer.alloc(300, 0x33)]);
}

function isVp8KeyFrame(rtp: Buffer): boolean {
  let at = 12 + ((rtp[0] as number) & 0x0f) * 4;
  if ((rtp[0] as number) & 0x10) at += 4 + rtp.readUInt16BE(at + 2) * 4;
  const first = rtp[at] as number;
  if (!(first & 0x10) || (first & 0x07) !== 0) return false;
  let offset = at + 1;
  if (first & 0x80) {
    const x = rtp[offset++] as number;
    if (x & 0x80) offset += (rtp[offset] as number) & 0x80 ? 2 : 1;
    if (x & 0x40) offset++;
    if (x & 0x30) offset++;
  }
  return offset < rtp.length && ((rtp[offset] as number) & 0x01) === 0;
}
