// The few RTP/RTCP fields the simulator reads and writes (RFC 3550, RFC 7741).
// Parsed by hand on purpose: every classroom sees ~100 packets a second, and a
// header read must not allocate.

/** Whether a datagram (after SRTP/SRTCP) is RTCP: payload types 192–223 (RFC 5761). */
export function isRtcp(buf: Buffer): boolean {
  if (buf.length < 8) return false;
  const pt = buf[1] as number;
  return pt >= 192 && pt <= 223;
}

export interface RtpHeader {
  payloadType: number;
  marker: boolean;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  /** Offset of the payload (after CSRCs and the header extension). */
  payloadOffset: number;
  /** End of the payload (padding removed). */
  payloadEnd: number;
}

/** Reads an RTP header in place; null when it is not RTP v2. */
export function readRtpHeader(buf: Buffer): RtpHeader | null {
  if (buf.length < 12 || (buf[0] as number) >> 6 !== 2) return null;
  const b0 = buf[0] as number;
  const b1 = buf[1] as number;
  let offset = 12 + (b0 & 0x0f) * 4;
  if (b0 & 0x10) {
    if (buf.length < offset + 4) return null;
    offset += 4 + buf.readUInt16BE(offset + 2) * 4;
  }
  let end = buf.length;
  if (b0 & 0x20) end -= buf[buf.length - 1] as number;
  if (offset > end) return null;
  return {
    payloadType: b1 & 0x7f,
    marker: (b1 & 0x80) !== 0,
    sequenceNumber: buf.readUInt16BE(2),
    timestamp: buf.readUInt32BE(4),
    ssrc: buf.readUInt32BE(8),
    payloadOffset: offset,
    payloadEnd: end,
  };
}

/** A plain RTP header (no extension), the payload copied after it. */
export function writeRtp(h: {
  payloadType: number;
  marker: boolean;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  payload: Buffer;
}): Buffer {
  const out = Buffer.allocUnsafe(12 + h.payload.length);
  out[0] = 0x80;
  out[1] = (h.marker ? 0x80 : 0) | (h.payloadType & 0x7f);
  out.writeUInt16BE(h.sequenceNumber & 0xffff, 2);
  out.writeUInt32BE(h.timestamp >>> 0, 4);
  out.writeUInt32BE(h.ssrc >>> 0, 8);
  h.payload.copy(out, 12);
  return out;
}

/**
 * The VP8 payload descriptor (RFC 7741 §4.2) of a packet: whether it starts a
 * frame (S=1, partition 0) and, for such a packet, whether the frame is a key
 * frame (P bit of the VP8 payload header clear).
 */
export function readVp8(buf: Buffer, h: RtpHeader): { start: boolean; keyFrame: boolean } {
  let i = h.payloadOffset;
  if (i >= h.payloadEnd) return { start: false, keyFrame: false };
  const d = buf[i] as number;
  const start = (d & 0x10) !== 0 && (d & 0x07) === 0;
  i++;
  if (d & 0x80) {
    const x = buf[i] as number;
    i++;
    if (x & 0x80) i += ((buf[i] as number) & 0x80) !== 0 ? 2 : 1; // PictureID
    if (x & 0x40) i++; // TL0PICIDX
    if (x & 0x30) i++; // TID / KEYIDX
  }
  const keyFrame = start && i < h.payloadEnd && ((buf[i] as number) & 0x01) === 0;
  return { start, keyFrame };
}

/**
 * Splits one VP8 frame into RTP payloads of at most `mtu` bytes, each with a
 * descriptor carrying a 15-bit PictureID (as browsers send it).
 */
export function packetizeVp8(frame: Buffer, pictureId: number, mtu = 1100): Buffer[] {
  const out: Buffer[] = [];
  const room = mtu - 4;
  for (let offset = 0; offset < frame.length; offset += room) {
    const chunk = frame.subarray(offset, Math.min(frame.length, offset + room));
    const p = Buffer.allocUnsafe(4 + chunk.length);
    p[0] = 0x80 | (offset === 0 ? 0x10 : 0); // X, S (partition 0)
    p[1] = 0x80; // I: PictureID present
    p[2] = 0x80 | ((pictureId >> 8) & 0x7f); // M: 15 bits
    p[3] = pictureId & 0xff;
    chunk.copy(p, 4);
    out.push(p);
  }
  return out;
}

/** NTP time (seconds, fraction) for a time in milliseconds on the simulator's clock. */
export function msToNtp(ms: number): { seconds: number; fraction: number } {
  const seconds = Math.floor(ms / 1000);
  return { seconds, fraction: Math.floor(((ms - seconds * 1000) / 1000) * 2 ** 32) };
}

export function ntpToMs(seconds: number, fraction: number): number {
  return seconds * 1000 + (fraction / 2 ** 32) * 1000;
}

/** An RTCP sender report without report blocks. */
export function writeSenderReport(sr: {
  ssrc: number;
  ntpMs: number;
  rtpTimestamp: number;
  packets: number;
  octets: number;
}): Buffer {
  const out = Buffer.alloc(28);
  out[0] = 0x80;
  out[1] = 200;
  out.writeUInt16BE(6, 2);
  out.writeUInt32BE(sr.ssrc >>> 0, 4);
  const ntp = msToNtp(sr.ntpMs);
  out.writeUInt32BE(ntp.seconds >>> 0, 8);
  out.writeUInt32BE(ntp.fraction >>> 0, 12);
  out.writeUInt32BE(sr.rtpTimestamp >>> 0, 16);
  out.writeUInt32BE(sr.packets >>> 0, 20);
  out.writeUInt32BE(sr.octets >>> 0, 24);
  return out;
}

export type RtcpItem =
  | { type: 'sr'; ssrc: number; ntpMs: number; rtpTimestamp: number }
  | { type: 'keyFrameRequest'; mediaSsrc: number };

/** The sender reports and key-frame requests (PLI, FIR) of a compound RTCP packet. */
export function readRtcp(buf: Buffer): RtcpItem[] {
  const items: RtcpItem[] = [];
  let i = 0;
  while (i + 4 <= buf.length) {
    const fmt = (buf[i] as number) & 0x1f;
    const pt = buf[i + 1] as number;
    const len = (buf.readUInt16BE(i + 2) + 1) * 4;
    if (i + len > buf.length) break;
    if (pt === 200 && len >= 28) {
      items.push({
        type: 'sr',
        ssrc: buf.readUInt32BE(i + 4),
        ntpMs: ntpToMs(buf.readUInt32BE(i + 8), buf.readUInt32BE(i + 12)),
        rtpTimestamp: buf.readUInt32BE(i + 16),
      });
    } else if (pt === 206 && fmt === 1 && len >= 12) {
      items.push({ type: 'keyFrameRequest', mediaSsrc: buf.readUInt32BE(i + 8) });
    } else if (pt === 206 && fmt === 4 && len >= 20) {
      items.push({ type: 'keyFrameRequest', mediaSsrc: buf.readUInt32BE(i + 12) });
    }
    i += len;
  }
  return items;
}
