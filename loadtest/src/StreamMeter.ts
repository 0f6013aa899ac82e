import { monoMs } from './clock.ts';
import { type RtpHeader, readVp8 } from './media/rtp.ts';

/** Maps an RTP timestamp to the time it was captured, on the simulator's clock (ms). */
export type CaptureClock = (rtpTimestamp: number) => number | null;

/** What one classroom measured of the video it received. */
export interface StreamFigures {
  firstRtpMs: number | null;
  firstKeyFrameMs: number | null;
  packets: number;
  expected: number;
  lost: number;
  /** RFC 3550 interarrival jitter, ms. */
  jitterMs: number;
  frames: number;
  /** When the last complete frame arrived (simulator clock, ms). */
  lastFrameMs: number | null;
  /** Gaps between complete frames longer than max(3 × the mean, mean + 150 ms) (WebRTC's freeze). */
  freezes: number;
  freezeMs: number;
  /** Capture → frame complete here, from the sender reports' NTP↔RTP mapping (ms), one per frame. */
  delays: number[];
  /** Server → here: capture time taken from the server's own sender reports instead. */
  serverDelays: number[];
}

/**
 * Watches one received VP8 stream, packet by packet: first packet, first
 * complete key frame, loss and jitter from sequence numbers and timestamps,
 * frames and freezes, and each complete frame's delay on the one clock.
 */
export class StreamMeter {
  readonly figures: StreamFigures = {
    firstRtpMs: null,
    firstKeyFrameMs: null,
    packets: 0,
    expected: 0,
    lost: 0,
    jitterMs: 0,
    frames: 0,
    lastFrameMs: null,
    freezes: 0,
    freezeMs: 0,
    delays: [],
    serverDelays: [],
  };
  readonly #clockRate: number;
  readonly #capture: CaptureClock;
  #ssrc = -1;
  /** Packets expected of the streams before the current one. */
  #expectedBefore = 0;
  #baseSeq = -1;
  #highestSeq = -1;
  #lastTransit: number | null = null;
  /** The frame being put together: its timestamp, first sequence number, packets, key frame. */
  #frame: { ts: number; startSeq: number | null; count: number; keyFrame: boolean } | null = null;
  #lastFrameAt: number | null = null;
  #meanGap = 0;
  /** The server's last sender report for this stream. */
  #serverSr: { ntpMs: number; rtpTimestamp: number } | null = null;

  constructor(clockRate: number, capture: CaptureClock) {
    this.#clockRate = clockRate;
    this.#capture = capture;
  }

  /**
   * Media set up again (a new consumer: new SSRC and sequence numbers): the
   * counts go on, the stream's own state starts afresh.
   */
  newStream(): void {
    if (this.#highestSeq >= 0) this.#expectedBefore += this.#highestSeq - this.#baseSeq + 1;
    this.#ssrc = -1;
    this.#baseSeq = -1;
    this.#highestSeq = -1;
    this.#lastTransit = null;
    this.#frame = null;
    this.#serverSr = null;
  }

  /** A sender report of the server (a compound packet carries every consumer's: only this stream's count). */
  onSenderReport(ssrc: number, ntpMs: number, rtpTimestamp: number): void {
    if (ssrc !== this.#ssrc) return;
    this.#serverSr = { ntpMs, rtpTimestamp };
  }

  onPacket(buf: Buffer, h: RtpHeader, at = monoMs()): void {
    const f = this.figures;
    f.packets++;
    f.firstRtpMs ??= at;
    this.#ssrc = h.ssrc;
    // Extended sequence number, near the highest so far.
    let seq = h.sequenceNumber;
    if (this.#highestSeq < 0) {
      this.#baseSeq = seq;
      this.#highestSeq = seq;
    } else {
      const cycle = this.#highestSeq - (this.#highestSeq & 0xffff);
      seq += cycle;
      if (seq < this.#highestSeq - 0x8000) seq += 0x10000;
      else if (seq > this.#highestSeq + 0x8000) seq -= 0x10000;
      if (seq > this.#highestSeq) this.#highestSeq = seq;
    }
    f.expected = this.#expectedBefore + this.#highestSeq - this.#baseSeq + 1;
    f.lost = Math.max(0, f.expected - f.packets);
    // Jitter (RFC 3550 §6.4.1), in ms.
    const transit = at - (h.timestamp * 1000) / this.#clockRate;
    if (this.#lastTransit !== null) {
      let d = Math.abs(transit - this.#lastTransit);
      // A timestamp wrap between two packets is not jitter.
      if (d > 1e6) d = 0;
      f.jitterMs += (d - f.jitterMs) / 16;
    }
    this.#lastTransit = transit;
    // Frames: packets of one timestamp, from the one that starts it to the marker.
    const vp8 = readVp8(buf, h);
    if (!this.#frame || this.#frame.ts !== h.timestamp) {
      this.#frame = { ts: h.timestamp, startSeq: null, count: 0, keyFrame: false };
    }
    const frame = this.#frame;
    frame.count++;
    if (vp8.start) {
      frame.startSeq = seq;
      frame.keyFrame = vp8.keyFrame;
    }
    if (!h.marker || frame.startSeq === null || seq - frame.startSeq + 1 !== frame.count) return;
    // A complete frame (key frames first: nothing decodes before one).
    this.#frame = null;
    if (f.firstKeyFrameMs === null) {
      if (!frame.keyFrame) return;
      f.firstKeyFrameMs = at;
    }
    f.frames++;
    if (this.#lastFrameAt !== null) {
      const gap = at - this.#lastFrameAt;
      if (f.frames > 10 && gap > Math.max(3 * this.#meanGap, this.#meanGap + 150)) {
        f.freezes++;
        f.freezeMs += gap;
      }
      this.#meanGap = f.frames <= 2 ? gap : this.#meanGap + (gap - this.#meanGap) / 16;
    }
    this.#lastFrameAt = at;
    f.lastFrameMs = at;
    const captured = this.#capture(h.timestamp);
    if (captured !== null) f.delays.push(at - captured);
    const sr = this.#serverSr;
    if (sr) {
      const dts = ((h.timestamp - sr.rtpTimestamp) | 0) / this.#clockRate;
      f.serverDelays.push(at - (sr.ntpMs + dts * 1000));
    }
  }
}
