import dgram from 'node:dgram';

/** Per SSRC: what was last sent on, and how a new run's numbers are moved to follow it. */
type StreamState = {
  seq: number;
  timestamp: number;
  /** 15-bit VP8 picture id last sent, when the stream carries one. */
  pictureId: number | undefined;
  /** When its last packet was sent (ms), to advance the timestamp by the gap. */
  sentAt: number;
  seqDelta: number;
  timestampDelta: number;
  pictureIdDelta: number;
  /** The run these deltas were set for. */
  run: number;
};

const RTCP_SR = 200;

/**
 * Forwards every datagram it receives to an ingest port, from one socket.
 *
 * An ingest transport learns a single source address from its first packet
 * (comedia) and ignores any other, yet FFmpeg sends each simulcast layer from
 * its own socket, RTCP from another, and a restarted FFmpeg from new ones: the
 * relay makes them one source for as long as it is open. A source started
 * again after `beginRun()` also starts new sequence numbers, timestamps and
 * VP8 picture ids; the relay moves them on from where the previous run
 * stopped, so the producer and every consumer see one continuous stream (a
 * jump back would have browsers drop the new frames as old ones).
 */
export class RtpRelay {
  readonly #in = dgram.createSocket('udp4');
  readonly #out = dgram.createSocket('udp4');
  readonly #clockRate: number;
  readonly #vp8: boolean;
  readonly #streams = new Map<number, StreamState>();
  /** Per SSRC, the last sender report that came before the stream's first RTP packet of this run. */
  readonly #heldReports = new Map<number, Buffer>();
  #run = 0;
  #closed = false;
  /** RTP packets forwarded, per SSRC: what the source really sent. */
  readonly rtpPackets = new Map<number, number>();
  /** Key-frame requests (PLI, FIR) the server sent back: what a speaker's encoder would get. */
  keyFrameRequests = 0;

  /** A relay on `ip` to `ip:to`, for an ingest's VP8 video or Opus audio (INGEST_RTP). */
  static async open(ip: string, to: number, kind: 'video' | 'audio'): Promise<RtpRelay> {
    const relay = new RtpRelay(kind);
    await Promise.all(
      [relay.#in, relay.#out].map((s) => new Promise<void>((r) => s.bind(0, ip, r))),
    );
    relay.#in.on('message', (msg) => {
      if (relay.#closed) return;
      for (const out of relay.#forward(msg)) relay.#out.send(out, to, ip);
    });
    relay.#out.on('message', (msg) => {
      relay.keyFrameRequests += countKeyFrameRequests(msg);
    });
    return relay;
  }

  private constructor(kind: 'video' | 'audio') {
    this.#clockRate = kind === 'video' ? 90_000 : 48_000;
    this.#vp8 = kind === 'video';
  }

  /** The port a source sends to. */
  get port(): number {
    return this.#in.address().port;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The packets that follow come from a new run of the source: continue its streams. */
  beginRun(): void {
    this.#run++;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#in.close();
    this.#out.close();
  }

  /** What to send on for one datagram received, in order. */
  #forward(msg: Buffer): Buffer[] {
    if (msg.length < 8) return [];
    // RTCP packet types are 192-223 in the second byte (RFC 5761).
    const type = msg[1] as number;
    if (type >= 192 && type <= 223) {
      const out = this.#rewriteRtcp(msg);
      return out ? [out] : [];
    }
    if (msg.length < 12) return [];
    const ssrc = msg.readUInt32BE(8);
    const out = [this.#rewriteRtp(msg, ssrc)];
    // Its report held back (see #rewriteRtcp) follows the stream's first packet.
    const held = this.#heldReports.get(ssrc);
    if (held) {
      this.#heldReports.delete(ssrc);
      const report = this.#rewriteRtcp(held);
      if (report) out.push(report);
    }
    return out;
  }

  #rewriteRtp(msg: Buffer, ssrc: number): Buffer {
    this.rtpPackets.set(ssrc, (this.rtpPackets.get(ssrc) ?? 0) + 1);
    const seq = msg.readUInt16BE(2);
    const timestamp = msg.readUInt32BE(4);
    const pictureAt = this.#vp8 ? vp8PictureIdOffset(msg) : null;
    const pictureId = pictureAt === null ? undefined : msg.readUInt16BE(pictureAt) & 0x7fff;
    const now = performance.now();
    let state = this.#streams.get(ssrc);
    if (!state) {
      state = {
        seq,
        timestamp,
        pictureId,
        sentAt: now,
        seqDelta: 0,
        timestampDelta: 0,
        pictureIdDelta: 0,
        run: this.#run,
      };
      this.#streams.set(ssrc, state);
    } else if (state.run !== this.#run) {
      // The first packet of a new run follows the last one sent, a frame time later at least.
      const ticks = Math.max(1, Math.round(((now - state.sentAt) * this.#clockRate) / 1000));
      state.seqDelta = (state.seq + 1 - seq) & 0xffff;
      state.timestampDelta = (state.timestamp + ticks - timestamp) >>> 0;
      state.pictureIdDelta =
        state.pictureId === undefined || pictureId === undefined
          ? 0
          : (state.pictureId + 1 - pictureId) & 0x7fff;
      state.run = this.#run;
    }
    const out = Buffer.from(msg);
    state.seq = (seq + state.seqDelta) & 0xffff;
    state.timestamp = (timestamp + state.timestampDelta) >>> 0;
    state.sentAt = now;
    out.writeUInt16BE(state.seq, 2);
    out.writeUInt32BE(state.timestamp, 4);
    if (pictureAt !== null && pictureId !== undefined) {
      state.pictureId = (pictureId + state.pictureIdDelta) & 0x7fff;
      out.writeUInt16BE(0x8000 | state.pictureId, pictureAt);
    }
    return out;
  }

  /**
   * Sender reports map RTP timestamps to wall-clock time (simulcast layer
   * switches and lip sync rely on it): theirs move with the RTP. A report that
   * comes before its stream's first RTP packet of the run (FFmpeg sends one
   * just before its first packet, then one every 5 s) is held back and sent
   * right after that packet: the media server ignores a report of a stream it
   * has not seen yet, and without one it cannot switch a class to another
   * layer, so a class that joined within 5 s of the start had no picture at
   * all once the estimate fell under the top layer.
   */
  #rewriteRtcp(msg: Buffer): Buffer | null {
    const out = Buffer.from(msg);
    for (let offset = 0; offset + 4 <= out.length; ) {
      const length = (out.readUInt16BE(offset + 2) + 1) * 4;
      if (out[offset + 1] === RTCP_SR && offset + 20 <= out.length) {
        const ssrc = out.readUInt32BE(offset + 4);
        const state = this.#streams.get(ssrc);
        if (!state || state.run !== this.#run) {
          this.#heldReports.set(ssrc, msg);
          return null;
        }
        const ts = out.readUInt32BE(offset + 16);
        out.writeUInt32BE((ts + state.timestampDelta) >>> 0, offset + 16);
      }
      offset += length;
    }
    return out;
  }
}

/** Where a VP8 payload's 15-bit picture id sits (RFC 7741 §4.2: X, then I and M set), or null. */
function vp8PictureIdOffset(rtp: Buffer): number | null {
  const csrcs = (rtp[0] as number) & 0x0f;
  let at = 12 + csrcs * 4;
  if ((rtp[0] as number) & 0x10) {
    if (rtp.length < at + 4) return null;
    at += 4 + rtp.readUInt16BE(at + 2) * 4;
  }
  if (rtp.length < at + 4) return null;
  const first = rtp[at] as number;
  const extended = rtp[at + 1] as number;
  if (!(first & 0x80) || !(extended & 0x80) || !((rtp[at + 2] as number) & 0x80)) return null;
  return at + 2;
}

/** PLI (PSFB, FMT 1) and FIR (PSFB, FMT 4) packets in an RTCP compound packet. */
export function countKeyFrameRequests(rtcp: Buffer): number {
  let count = 0;
  for (let offset = 0; offset + 4 <= rtcp.length; ) {
    const first = rtcp[offset] as number;
    const type = rtcp[offset + 1] as number;
    if (type === 206 && ((first & 0x1f) === 1 || (first & 0x1f) === 4)) count++;
    offset += (rtcp.readUInt16BE(offset + 2) + 1) * 4;
  }
  return count;
}
