// A UDP endpoint that talks SRTP/SRTCP to one mediasoup Plain- or
// PipeTransport, with the reference implementation in Srtp.ts: what it sends
// the worker must decrypt, what the worker sends it is decrypted here.
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import type { types } from 'mediasoup';
import { SrtpContext, type SrtpCryptoSuite, SUITES } from './Srtp.ts';

export const IP = '127.0.0.1';

export interface RtpFields {
  pt: number;
  seq: number;
  timestamp: number;
  ssrc: number;
  marker?: boolean;
  payload: Buffer;
}

/** RFC 3550 §5.1 fixed header, no CSRC, no extension. */
export function rtpPacket({ pt, seq, timestamp, ssrc, marker, payload }: RtpFields): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt8(0x80, 0);
  header.writeUInt8((marker ? 0x80 : 0) | pt, 1);
  header.writeUInt16BE(seq & 0xffff, 2);
  header.writeUInt32BE(timestamp >>> 0, 4);
  header.writeUInt32BE(ssrc >>> 0, 8);
  return Buffer.concat([header, payload]);
}

export function parseRtp(packet: Buffer): RtpFields {
  let offset = 12 + 4 * (packet.readUInt8(0) & 0x0f);
  if (packet.readUInt8(0) & 0x10) offset += 4 + 4 * packet.readUInt16BE(offset + 2);
  let end = packet.length;
  if (packet.readUInt8(0) & 0x20) end -= packet.readUInt8(packet.length - 1);
  return {
    pt: packet.readUInt8(1) & 0x7f,
    marker: (packet.readUInt8(1) & 0x80) !== 0,
    seq: packet.readUInt16BE(2),
    timestamp: packet.readUInt32BE(4),
    ssrc: packet.readUInt32BE(8),
    payload: packet.subarray(offset, end),
  };
}

/** One RTCP packet of a compound packet (RFC 3550 §6.1, RFC 4585 §6.1). */
export interface RtcpFields {
  /** 200 SR, 201 RR, 205 RTPFB, 206 PSFB, ... */
  pt: number;
  /** Report count, or feedback message type (PLI = 1 with PT 206). */
  count: number;
  /** SSRC of the packet sender. */
  ssrc: number;
  /** Feedback packets: SSRC of the media source; SR/RR: first report block's SSRC. */
  target?: number;
}

export function parseRtcp(compound: Buffer): RtcpFields[] {
  const packets: RtcpFields[] = [];
  for (let offset = 0; offset + 8 <= compound.length; ) {
    const length = 4 * (compound.readUInt16BE(offset + 2) + 1);
    const pt = compound.readUInt8(offset + 1);
    const count = compound.readUInt8(offset) & 0x1f;
    const ssrc = compound.readUInt32BE(offset + 4);
    // Feedback: media SSRC right after the sender's; SR: report blocks after
    // 20 octets of sender info; RR: right after the sender's SSRC.
    const targetAt =
      pt === 205 || pt === 206 ? 8 : pt === 200 && count > 0 ? 28 : pt === 201 && count > 0 ? 8 : 0;
    const target =
      targetAt && offset + targetAt + 4 <= compound.length
        ? compound.readUInt32BE(offset + targetAt)
        : undefined;
    packets.push(target === undefined ? { pt, count, ssrc } : { pt, count, ssrc, target });
    offset += length;
  }
  return packets;
}

/** RFC 4585 §6.3.1 Picture Loss Indication. */
export function pliPacket(senderSsrc: number, mediaSsrc: number): Buffer {
  const packet = Buffer.alloc(12);
  packet.writeUInt8(0x81, 0);
  packet.writeUInt8(206, 1);
  packet.writeUInt16BE(2, 2);
  packet.writeUInt32BE(senderSsrc >>> 0, 4);
  packet.writeUInt32BE(mediaSsrc >>> 0, 8);
  return packet;
}

/** RTP or RTCP on one rtcp-mux'ed port (RFC 5761 §4: RTCP packet types 192-223). */
function isRtcp(packet: Buffer): boolean {
  const pt = packet.readUInt8(1);
  return pt >= 192 && pt <= 223;
}

export class SrtpPeer {
  /** Decrypted RTP from the transport, in arrival order. */
  readonly rtp: RtpFields[] = [];
  /** Decrypted RTCP from the transport, one entry per packet of each compound. */
  readonly rtcp: RtcpFields[] = [];
  /** Datagrams that did not unprotect: every one of them is a test failure. */
  readonly failures: string[] = [];
  /** Our master key ‖ salt: the transport's remote key. */
  readonly srtpParameters: types.SrtpParameters;
  /** Protects what we send (the transport decrypts it with srtpParameters). */
  readonly tx: SrtpContext;
  /** Unprotects what the transport sends, once connected. */
  rx?: SrtpContext;
  private remotePort = 0;

  private constructor(
    readonly suite: SrtpCryptoSuite,
    private readonly socket: Socket,
  ) {
    const { keyLength, saltLength } = SUITES[suite];
    const keyBase64 = randomBytes(keyLength + saltLength).toString('base64');
    this.srtpParameters = { cryptoSuite: suite, keyBase64 };
    this.tx = SrtpContext.fromKeyBase64(suite, keyBase64);
    socket.on('message', (datagram) => this.receive(datagram));
  }

  static async open(suite: SrtpCryptoSuite): Promise<SrtpPeer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, IP, () => resolve());
    });
    return new SrtpPeer(suite, socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** Connects the transport to this socket with our key, and takes the transport's key. */
  async connect(transport: types.PlainTransport | types.PipeTransport): Promise<void> {
    await transport.connect({ ip: IP, port: this.port, srtpParameters: this.srtpParameters });
    const theirs = transport.srtpParameters;
    if (!theirs) throw new Error('transport has no SRTP parameters');
    if (theirs.cryptoSuite !== this.suite) {
      throw new Error(`transport uses ${theirs.cryptoSuite}, peer ${this.suite}`);
    }
    this.rx = SrtpContext.fromKeyBase64(theirs.cryptoSuite, theirs.keyBase64);
    this.remotePort = transport.tuple.localPort;
  }

  sendRtp(fields: RtpFields): Promise<void> {
    return this.send(this.tx.protectRtp(rtpPacket(fields)));
  }

  sendRtcp(packet: Buffer): Promise<void> {
    return this.send(this.tx.protectRtcp(packet));
  }

  /** Sends an already protected datagram (or anything else) as is. */
  send(datagram: Buffer): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket.send(datagram, this.remotePort, IP, (error) =>
        error ? reject(error) : resolve(),
      ),
    );
  }

  close(): void {
    this.socket.close();
  }

  private receive(datagram: Buffer): void {
    const kind = datagram.length >= 2 && isRtcp(datagram) ? 'SRTCP' : 'SRTP';
    try {
      if (!this.rx) throw new Error('not connected');
      if (kind === 'SRTCP') this.rtcp.push(...parseRtcp(this.rx.unprotectRtcp(datagram)));
      else this.rtp.push(parseRtp(this.rx.unprotectRtp(datagram)));
    } catch (error) {
      this.failures.push(`${kind} (${datagram.length} octets): ${(error as Error).message}`);
    }
  }
}
