// An SRTP/SRTCP peer written from the RFCs with node:crypto only, so tests can
// check mediasoup's worker (libsrtp + our API shim) against something that
// shares no code with it:
//   - RFC 3711: AES_CM_128_HMAC_SHA1_80 and AES_CM_128_HMAC_SHA1_32
//     (AES-CM key derivation, ROC estimation, HMAC-SHA1, SRTCP index + E bit);
//   - RFC 7714: AEAD_AES_128_GCM and AEAD_AES_256_GCM for RTP and RTCP.
// Keyed like mediasoup: a suite name and keyBase64 = master key ‖ master salt.
// Test code: no MKI, no key derivation rate (mediasoup uses neither), no
// replay window.
import {
  type CipherGCMTypes,
  createCipheriv,
  createDecipheriv,
  createHmac,
  timingSafeEqual,
} from 'node:crypto';
import type { types } from 'mediasoup';

export type SrtpCryptoSuite = types.SrtpCryptoSuite;

interface Suite {
  aead: boolean;
  /** Master and session key length (AES-128 or AES-256). */
  keyLength: 16 | 32;
  /** Master and session salt length: 112 bits for AES-CM, 96 for GCM (RFC 7714 §14.2). */
  saltLength: 14 | 12;
  rtpTagLength: number;
  rtcpTagLength: number;
}

export const SUITES: Record<SrtpCryptoSuite, Suite> = {
  AES_CM_128_HMAC_SHA1_80: {
    aead: false,
    keyLength: 16,
    saltLength: 14,
    rtpTagLength: 10,
    rtcpTagLength: 10,
  },
  // RFC 4568 §6.2: the _32 suite shortens the SRTP tag only; SRTCP keeps 80 bits.
  AES_CM_128_HMAC_SHA1_32: {
    aead: false,
    keyLength: 16,
    saltLength: 14,
    rtpTagLength: 4,
    rtcpTagLength: 10,
  },
  AEAD_AES_128_GCM: {
    aead: true,
    keyLength: 16,
    saltLength: 12,
    rtpTagLength: 16,
    rtcpTagLength: 16,
  },
  AEAD_AES_256_GCM: {
    aead: true,
    keyLength: 32,
    saltLength: 12,
    rtpTagLength: 16,
    rtcpTagLength: 16,
  },
};

/** What went wrong when a packet does not unprotect. */
export class SrtpError extends Error {
  constructor(
    readonly code: 'SRTP_TOO_SHORT' | 'SRTP_AUTH_FAILED',
    message: string,
  ) {
    super(message);
  }
}

/** Session keys of one direction and one protocol (RTP or RTCP). */
export interface SessionKeys {
  key: Buffer;
  salt: Buffer;
  /** HMAC-SHA1 key (AES-CM suites only). */
  auth?: Buffer;
}

/** Key derivation labels (RFC 3711 §4.3.1 for SRTP, §4.3.2 for SRTCP). */
export const LABEL = {
  rtpKey: 0x00,
  rtpAuth: 0x01,
  rtpSalt: 0x02,
  rtcpKey: 0x03,
  rtcpAuth: 0x04,
  rtcpSalt: 0x05,
} as const;

function aesCtr(key: Buffer): string {
  return `aes-${key.length * 8}-ctr`;
}

/**
 * The AES-CM PRF of RFC 3711 §4.3.1/§4.3.3 (RFC 6188 for AES-256), with a
 * key derivation rate of 0, so r = 0: x = (label · 2^48) XOR master salt, and
 * the output is the AES-CM keystream from IV x · 2^16. A 96-bit GCM salt is
 * used as the top 96 of the 112 bits (zero-padded, as libsrtp does: RFC 7714
 * keeps the AES-CM KDF of RFC 3711 and RFC 6188).
 */
export function deriveSessionKey(
  masterKey: Buffer,
  masterSalt: Buffer,
  label: number,
  length: number,
): Buffer {
  const iv = Buffer.alloc(16);
  masterSalt.copy(iv, 0, 0, 14);
  // key_id = label ‖ r (7 octets) sits in the low 56 bits of the 112-bit x.
  iv.writeUInt8(iv.readUInt8(7) ^ label, 7);
  const cipher = createCipheriv(aesCtr(masterKey), masterKey, iv);
  return Buffer.concat([cipher.update(Buffer.alloc(length)), cipher.final()]);
}

/** RFC 3711 §4.1.1: AES-CM with IV = (k_s · 2^16) XOR (SSRC · 2^64) XOR (i · 2^16). */
export function aesCm(keys: SessionKeys, ssrc: number, index: number, data: Buffer): Buffer {
  const iv = Buffer.alloc(16);
  keys.salt.copy(iv, 0, 0, 14);
  iv.writeUInt32BE((iv.readUInt32BE(4) ^ ssrc) >>> 0, 4);
  iv.writeUIntBE(xor48(iv.readUIntBE(8, 6), index), 8, 6);
  const cipher = createCipheriv(aesCtr(keys.key), keys.key, iv);
  return Buffer.concat([cipher.update(data), cipher.final()]);
}

/** XOR of two equal-length integers of up to 48 bits (JS bit operators stop at 32). */
function xor48(a: number, b: number): number {
  const hi = (Math.floor(a / 2 ** 24) ^ Math.floor(b / 2 ** 24)) >>> 0;
  const lo = ((a % 2 ** 24) ^ (b % 2 ** 24)) >>> 0;
  return hi * 2 ** 24 + lo;
}

function hmacSha1(key: Buffer, tagLength: number, ...parts: Buffer[]): Buffer {
  const hmac = createHmac('sha1', key);
  for (const part of parts) hmac.update(part);
  return hmac.digest().subarray(0, tagLength);
}

function sameTag(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function aesGcm(key: Buffer): CipherGCMTypes {
  return key.length === 32 ? 'aes-256-gcm' : 'aes-128-gcm';
}

function gcm(keys: SessionKeys, iv: Buffer, aad: Buffer, plaintext: Buffer): Buffer {
  const cipher = createCipheriv(aesGcm(keys.key), keys.key, iv);
  cipher.setAAD(aad);
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

function gcmOpen(keys: SessionKeys, iv: Buffer, aad: Buffer, sealed: Buffer): Buffer {
  const decipher = createDecipheriv(aesGcm(keys.key), keys.key, iv);
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  try {
    return Buffer.concat([
      decipher.update(sealed.subarray(0, sealed.length - 16)),
      decipher.final(),
    ]);
  } catch {
    throw new SrtpError('SRTP_AUTH_FAILED', 'GCM tag mismatch');
  }
}

/** RFC 7714 §8.1 (RTP) and §9.1 (RTCP): IV = (00 00 ‖ SSRC ‖ v ‖ w) XOR salt, v ‖ w 48 bits. */
function gcmIv(salt: Buffer, ssrc: number, low48: number): Buffer {
  const iv = Buffer.alloc(12);
  iv.writeUInt32BE(ssrc >>> 0, 2);
  iv.writeUIntBE(low48, 6, 6);
  for (let i = 0; i < 12; i++) iv.writeUInt8(iv.readUInt8(i) ^ salt.readUInt8(i), i);
  return iv;
}

/** RTP header length: fixed part, CSRCs, header extension (RFC 3550 §5.1, §5.3.1). */
export function rtpHeaderLength(packet: Buffer): number {
  let length = 12 + 4 * (packet.readUInt8(0) & 0x0f);
  if (packet.readUInt8(0) & 0x10) length += 4 + 4 * packet.readUInt16BE(length + 2);
  if (packet.length < length) throw new SrtpError('SRTP_TOO_SHORT', 'truncated RTP header');
  return length;
}

/**
 * RFC 3711 §3.3.1 and appendix A: the index v · 2^16 + SEQ closest to the
 * highest index s_l seen so far (ROC ± 1 around a wrap).
 */
export function estimateIndex(highest: number | undefined, seq: number): number {
  if (highest === undefined) return seq;
  const roc = Math.floor(highest / 65536);
  const sl = highest % 65536;
  let v = roc;
  if (sl < 32768) {
    if (seq - sl > 32768) v = roc - 1;
  } else if (sl - 32768 > seq) {
    v = roc + 1;
  }
  return Math.max(v, 0) * 65536 + seq;
}

/**
 * One SRTP/SRTCP cryptographic context (one key, one direction): protect with
 * the key you send with, unprotect with your peer's. Tracks the rollover
 * counter of every SSRC it sees, and an SRTCP index per sending SSRC.
 */
export class SrtpContext {
  readonly suite: Suite;
  /** Highest RTP packet index per SSRC (RFC 3711 §3.3.1: ROC · 2^16 + SEQ). */
  private readonly rtpIndex = new Map<number, number>();
  /** Last SRTCP index sent per SSRC (RFC 3711 §3.4: 31 bits, first one sent is 1). */
  private readonly rtcpIndex = new Map<number, number>();

  constructor(
    readonly suiteName: SrtpCryptoSuite,
    readonly rtpKeys: SessionKeys,
    readonly rtcpKeys: SessionKeys,
  ) {
    this.suite = SUITES[suiteName];
  }

  /** A context keyed like mediasoup's SrtpParameters. */
  static fromKeyBase64(suiteName: SrtpCryptoSuite, keyBase64: string): SrtpContext {
    const suite = SUITES[suiteName];
    const master = Buffer.from(keyBase64, 'base64');
    if (master.length !== suite.keyLength + suite.saltLength) {
      throw new Error(`${suiteName} wants ${suite.keyLength + suite.saltLength} key octets`);
    }
    const key = master.subarray(0, suite.keyLength);
    const salt = master.subarray(suite.keyLength);
    const derive = (keyLabel: number, authLabel: number, saltLabel: number): SessionKeys => ({
      key: deriveSessionKey(key, salt, keyLabel, suite.keyLength),
      salt: deriveSessionKey(key, salt, saltLabel, suite.saltLength),
      // RFC 3711 §4.2.1: n_a = 160 bits for HMAC-SHA1.
      ...(suite.aead ? {} : { auth: deriveSessionKey(key, salt, authLabel, 20) }),
    });
    return new SrtpContext(
      suiteName,
      derive(LABEL.rtpKey, LABEL.rtpAuth, LABEL.rtpSalt),
      derive(LABEL.rtcpKey, LABEL.rtcpAuth, LABEL.rtcpSalt),
    );
  }

  /** Rollover counter of an SSRC's highest packet so far (0 before any). */
  roc(ssrc: number): number {
    return Math.floor((this.rtpIndex.get(ssrc) ?? 0) / 65536);
  }

  /** RTP → SRTP (RFC 3711 §3.1, RFC 7714 §8). */
  protectRtp(packet: Buffer): Buffer {
    const headerLength = rtpHeaderLength(packet);
    const ssrc = packet.readUInt32BE(8);
    const index = estimateIndex(this.rtpIndex.get(ssrc), packet.readUInt16BE(2));
    this.rtpIndex.set(ssrc, Math.max(index, this.rtpIndex.get(ssrc) ?? 0));
    const header = packet.subarray(0, headerLength);
    const payload = packet.subarray(headerLength);
    const roc = Math.floor(index / 65536);
    if (this.suite.aead) {
      // ROC ‖ SEQ is the 48-bit packet index.
      const iv = gcmIv(this.rtpKeys.salt, ssrc, index);
      return Buffer.concat([header, gcm(this.rtpKeys, iv, header, payload)]);
    }
    const encrypted = Buffer.concat([header, aesCm(this.rtpKeys, ssrc, index, payload)]);
    // §4.2: the tag covers the authenticated portion followed by the ROC.
    const tag = hmacSha1(this.authKey(this.rtpKeys), this.suite.rtpTagLength, encrypted, u32(roc));
    return Buffer.concat([encrypted, tag]);
  }

  /** SRTP → RTP; throws SrtpError. The ROC only moves once a packet authenticates. */
  unprotectRtp(packet: Buffer): Buffer {
    const tagLength = this.suite.rtpTagLength;
    const headerLength = rtpHeaderLength(packet);
    if (packet.length < headerLength + tagLength) {
      throw new SrtpError('SRTP_TOO_SHORT', 'SRTP packet shorter than its tag');
    }
    const ssrc = packet.readUInt32BE(8);
    const index = estimateIndex(this.rtpIndex.get(ssrc), packet.readUInt16BE(2));
    const roc = Math.floor(index / 65536);
    const header = packet.subarray(0, headerLength);
    let payload: Buffer;
    if (this.suite.aead) {
      const iv = gcmIv(this.rtpKeys.salt, ssrc, index);
      payload = gcmOpen(this.rtpKeys, iv, header, packet.subarray(headerLength));
    } else {
      const authenticated = packet.subarray(0, packet.length - tagLength);
      const tag = hmacSha1(this.authKey(this.rtpKeys), tagLength, authenticated, u32(roc));
      if (!sameTag(tag, packet.subarray(packet.length - tagLength))) {
        throw new SrtpError('SRTP_AUTH_FAILED', `SRTP tag mismatch (ssrc ${ssrc}, roc ${roc})`);
      }
      payload = aesCm(
        this.rtpKeys,
        ssrc,
        index,
        packet.subarray(headerLength, authenticated.length),
      );
    }
    this.rtpIndex.set(ssrc, Math.max(index, this.rtpIndex.get(ssrc) ?? 0));
    return Buffer.concat([header, payload]);
  }

  /**
   * RTCP → SRTCP (RFC 3711 §3.4, RFC 7714 §9): everything after the first
   * 8 octets is encrypted, then E ‖ SRTCP index, then the tag (AES-CM) or the
   * GCM tag before E ‖ index (RFC 7714 §17). `index` overrides the counter.
   */
  protectRtcp(packet: Buffer, index?: number): Buffer {
    const ssrc = packet.readUInt32BE(4);
    const srtcpIndex = index ?? ((this.rtcpIndex.get(ssrc) ?? 0) + 1) % 2 ** 31;
    this.rtcpIndex.set(ssrc, srtcpIndex);
    const eIndex = u32((0x80000000 | srtcpIndex) >>> 0);
    const head = packet.subarray(0, 8);
    const body = packet.subarray(8);
    if (this.suite.aead) {
      const iv = gcmIv(this.rtcpKeys.salt, ssrc, srtcpIndex);
      // RFC 7714 §9: AAD = first 8 octets ‖ E ‖ SRTCP index.
      const sealed = gcm(this.rtcpKeys, iv, Buffer.concat([head, eIndex]), body);
      return Buffer.concat([head, sealed, eIndex]);
    }
    const protectedPart = Buffer.concat([
      head,
      aesCm(this.rtcpKeys, ssrc, srtcpIndex, body),
      eIndex,
    ]);
    const tag = hmacSha1(this.authKey(this.rtcpKeys), this.suite.rtcpTagLength, protectedPart);
    return Buffer.concat([protectedPart, tag]);
  }

  /** SRTCP → RTCP; throws SrtpError. Accepts E = 0 (authenticated, not encrypted). */
  unprotectRtcp(packet: Buffer): Buffer {
    const tagLength = this.suite.rtcpTagLength;
    if (packet.length < 8 + 4 + tagLength) {
      throw new SrtpError('SRTP_TOO_SHORT', 'SRTCP packet shorter than index + tag');
    }
    const ssrc = packet.readUInt32BE(4);
    const head = packet.subarray(0, 8);
    if (this.suite.aead) {
      const eIndex = packet.subarray(packet.length - 4);
      const srtcpIndex = eIndex.readUInt32BE(0) & 0x7fffffff;
      const encrypted = (eIndex.readUInt8(0) & 0x80) !== 0;
      const iv = gcmIv(this.rtcpKeys.salt, ssrc, srtcpIndex);
      const sealed = packet.subarray(8, packet.length - 4);
      if (encrypted) {
        return Buffer.concat([
          head,
          gcmOpen(this.rtcpKeys, iv, Buffer.concat([head, eIndex]), sealed),
        ]);
      }
      // RFC 7714 §9 (and the §17.3 example): with E = 0 the whole packet is AAD.
      const body = sealed.subarray(0, sealed.length - 16);
      gcmOpen(this.rtcpKeys, iv, Buffer.concat([head, body, eIndex]), sealed.subarray(-16));
      return Buffer.concat([head, body]);
    }
    const protectedPart = packet.subarray(0, packet.length - tagLength);
    const tag = hmacSha1(this.authKey(this.rtcpKeys), tagLength, protectedPart);
    if (!sameTag(tag, packet.subarray(packet.length - tagLength))) {
      throw new SrtpError('SRTP_AUTH_FAILED', `SRTCP tag mismatch (ssrc ${ssrc})`);
    }
    const eIndex = protectedPart.readUInt32BE(protectedPart.length - 4);
    const body = protectedPart.subarray(8, protectedPart.length - 4);
    const plain =
      eIndex & 0x80000000 ? aesCm(this.rtcpKeys, ssrc, eIndex & 0x7fffffff, body) : body;
    return Buffer.concat([head, plain]);
  }

  private authKey(keys: SessionKeys): Buffer {
    if (!keys.auth) throw new Error(`${this.suiteName} session keys lack an auth key`);
    return keys.auth;
  }
}

function u32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value >>> 0);
  return buffer;
}
