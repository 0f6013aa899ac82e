import { describe, expect, it } from 'vitest';
import {
  aesCm,
  deriveSessionKey,
  estimateIndex,
  LABEL,
  type SessionKeys,
  SrtpContext,
  type SrtpCryptoSuite,
  SUITES,
} from './support/Srtp.ts';

// The reference SRTP implementation the worker tests trust, checked against
// published known answers before it is used to judge the worker.

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('RFC 3711 AES-CM key derivation and keystream', () => {
  // RFC 3711 appendix B.3.
  const masterKey = hex('E1F97A0D3E018BE0D64FA32C06DE4139');
  const masterSalt = hex('0EC675AD498AFEEBB6960B3AABE6');

  it('derives the appendix B.3 session keys', () => {
    expect(deriveSessionKey(masterKey, masterSalt, LABEL.rtpKey, 16)).toEqual(
      hex('C61E7A93744F39EE10734AFE3FF7A087'),
    );
    expect(deriveSessionKey(masterKey, masterSalt, LABEL.rtpSalt, 14)).toEqual(
      hex('30CBBC08863D8C85D49DB34A9AE1'),
    );
    expect(deriveSessionKey(masterKey, masterSalt, LABEL.rtpAuth, 94)).toEqual(
      hex(`CEBE321F6FF7716B6FD4AB49AF256A15 6D38BAA48F0A0ACF3C34E2359E6CDBCE
           E049646C43D9327AD175578EF7227098 6371C10C9A369AC2F94A8C5FBCDDDC25
           6D6E919A48B610EF17C2041E47403576 6B68642C59BBFC2F34DB60DBDFB2`),
    );
  });

  it('derives the RFC 6188 §7.2 AES-256 session keys (the KDF of AEAD_AES_256_GCM)', () => {
    const key256 = hex('f0f04914b513f2763a1b1fa130f10e2998f6f6e43e4309d1e622a0e332b9f1b6');
    const salt = hex('3b04803de51ee7c96423ab5b78d2');
    expect(deriveSessionKey(key256, salt, LABEL.rtpKey, 32)).toEqual(
      hex('5ba1064e30ec51613cad926c5a28ef731ec7fb397f70a960653caf06554cd8c4'),
    );
    expect(deriveSessionKey(key256, salt, LABEL.rtpSalt, 14)).toEqual(
      hex('fa31791685ca444a9e07c6c64e93'),
    );
    expect(deriveSessionKey(key256, salt, LABEL.rtpAuth, 20)).toEqual(
      hex('fd9c32d39ed5fbb5a9dc96b30818454d1313dc05'),
    );
  });

  it('produces the appendix B.2 AES-CM keystream', () => {
    const keys = {
      key: hex('2B7E151628AED2A6ABF7158809CF4F3C'),
      salt: hex('F0F1F2F3F4F5F6F7F8F9FAFBFCFD'),
    };
    expect(aesCm(keys, 0, 0, Buffer.alloc(32))).toEqual(
      hex('E03EAD0935C95E80E166B16DD92B4EB4 D23513162B02D0F72A43A2FE4A5F97AB'),
    );
  });

  it('estimates the packet index around a wrap (§3.3.1, appendix A)', () => {
    expect(estimateIndex(undefined, 65530)).toBe(65530);
    expect(estimateIndex(65530, 3)).toBe(65536 + 3);
    expect(estimateIndex(65536 + 3, 65534)).toBe(65534); // late packet from before the wrap
    expect(estimateIndex(2 * 65536 + 40000, 100)).toBe(3 * 65536 + 100);
    expect(estimateIndex(2 * 65536 + 100, 60000)).toBe(65536 + 60000);
  });
});

describe('AES_CM_128_HMAC_SHA1 packets (libsrtp srtp_validate known answers)', () => {
  // The fixed vectors libsrtp checks itself with (srtp/test/srtp_driver.c),
  // keyed with the RFC 3711 B.3 master key and salt.
  const keyBase64 = hex('E1F97A0D3E018BE0D64FA32C06DE4139 0EC675AD498AFEEBB6960B3AABE6').toString(
    'base64',
  );
  const rtp = hex(`800f1234 decafbad cafebabe ${'ab'.repeat(16)}`);
  const srtp = hex(`800f1234 decafbad cafebabe 4e55dc4c e79978d8 8ca4d215 949d2402
                    b78d6acc 99ea179b 8dbb`);
  const rtcp = hex(`81c8000b cafebabe ${'ab'.repeat(16)}`);
  const srtcp = hex(`81c8000b cafebabe 7128035b e487b9bd bef89041 f977a5a8
                     80000001 993e08cd 54d6c123 0798`);

  it('protects and unprotects RTP with an 80-bit tag', () => {
    expect(SrtpContext.fromKeyBase64('AES_CM_128_HMAC_SHA1_80', keyBase64).protectRtp(rtp)).toEqual(
      srtp,
    );
    expect(
      SrtpContext.fromKeyBase64('AES_CM_128_HMAC_SHA1_80', keyBase64).unprotectRtp(srtp),
    ).toEqual(rtp);
  });

  it('truncates the same tag to 32 bits for AES_CM_128_HMAC_SHA1_32', () => {
    const short = srtp.subarray(0, srtp.length - 6);
    expect(SrtpContext.fromKeyBase64('AES_CM_128_HMAC_SHA1_32', keyBase64).protectRtp(rtp)).toEqual(
      short,
    );
    expect(
      SrtpContext.fromKeyBase64('AES_CM_128_HMAC_SHA1_32', keyBase64).unprotectRtp(short),
    ).toEqual(rtp);
  });

  it('protects SRTCP with E = 1, index 1 and an 80-bit tag (for both suites)', () => {
    for (const suite of ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] as const) {
      expect(SrtpContext.fromKeyBase64(suite, keyBase64).protectRtcp(rtcp), suite).toEqual(srtcp);
      expect(SrtpContext.fromKeyBase64(suite, keyBase64).unprotectRtcp(srtcp), suite).toEqual(rtcp);
    }
  });
});

describe('RFC 7714 AES-GCM packets (sections 16 and 17)', () => {
  // The RFC's vectors use session keys directly (no KDF): key 00..0f or
  // 00..1f, salt "Quid pro quo".
  const salt = hex('517569642070726f2071756f');
  const sessionKeys = (length: number): SessionKeys => ({
    key: Buffer.from(Array.from({ length }, (_, i) => i)),
    salt,
  });
  const context = (suite: SrtpCryptoSuite) => {
    const keys = sessionKeys(SUITES[suite].keyLength);
    return new SrtpContext(suite, keys, keys);
  };
  // "Gallia est omnis divisa in partes tres", SSRC 0x5501a0b2, SEQ 0xf17b, ROC 0.
  const rtp = hex(`8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973
                   20646976 69736120 696e2070 61727465 73207472 6573`);
  // The packet sections 17.1 to 17.4 actually operate on (SSRC "Mars").
  const rtcp = hex(`81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930
                    4c756e61 deadbeef deadbeef deadbeef deadbeef deadbeef`);
  const cases = [
    {
      suite: 'AEAD_AES_128_GCM',
      // §16.1.1
      srtp: `8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca be633bd5
             0d294e6f 42a5f47a 51c7d19b 36de3adf 8833899d 7f27beb1 6a9152cf 765ee439 0cce`,
      // §17.1
      srtcp: `81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7 6c06f32d
              c676a5f1 730d6fda 4ce09b46 86303ded 0bb9275b c84aa458 96cf4d2f c5abf872
              45d9eade 800005d4`,
    },
    {
      suite: 'AEAD_AES_256_GCM',
      // §16.2.1
      srtp: `8040f17b 8041f8d3 5501a0b2 32b1de78 a822fe12 ef9f78fa 332e33aa b1801238
             9a58e2f3 b50b2a02 76ffae0f 1ba63799 b87b7aa3 db36dfff d6b0f9bb 7878d7a7 6c13`,
      // §17.2
      srtcp: `81c8000d 4d617273 d50ae4d1 f5ce5d30 4ba297e4 7d470c28 2c3ece5d bffe0a50
              a2eaa5c1 110555be 8415f658 c61de047 6f1b6fad 1d1eb30c 4446839f 57ff6f6c
              b26ac3be 800005d4`,
    },
  ] as const;

  for (const { suite, srtp, srtcp } of cases) {
    it(`${suite}: protects and unprotects the RTP and RTCP examples`, () => {
      expect(context(suite).protectRtp(rtp)).toEqual(hex(srtp));
      expect(context(suite).unprotectRtp(hex(srtp))).toEqual(rtp);
      expect(context(suite).protectRtcp(rtcp, 0x5d4)).toEqual(hex(srtcp));
      expect(context(suite).unprotectRtcp(hex(srtcp))).toEqual(rtcp);
    });
  }

  it('AEAD_AES_128_GCM: accepts the §17.3 authenticated-only SRTCP (E = 0)', () => {
    const tagged = hex(`${rtcp.toString('hex')} 841dd968 3dd78ec9 2ae58790 125f62b3 000005d4`);
    expect(context('AEAD_AES_128_GCM').unprotectRtcp(tagged)).toEqual(rtcp);
  });
});

describe('every suite', () => {
  const suites = Object.keys(SUITES) as SrtpCryptoSuite[];
  const newKey = (suite: SrtpCryptoSuite) =>
    Buffer.from(
      Array.from({ length: SUITES[suite].keyLength + SUITES[suite].saltLength }, (_, i) => i * 7),
    ).toString('base64');
  const packet = (seq: number) =>
    hex(`8060${seq.toString(16).padStart(4, '0')} 00001000 11223344 ${'5a'.repeat(20)}`);

  it.each(suites)('%s: rejects a flipped bit anywhere in SRTP and SRTCP', (suite) => {
    const key = newKey(suite);
    const srtp = SrtpContext.fromKeyBase64(suite, key).protectRtp(packet(7));
    const srtcp = SrtpContext.fromKeyBase64(suite, key).protectRtcp(
      hex(`81c90001 11223344 ${'00'.repeat(4)}`),
    );
    for (const [protect, unprotect] of [
      [srtp, (p: Buffer) => SrtpContext.fromKeyBase64(suite, key).unprotectRtp(p)],
      [srtcp, (p: Buffer) => SrtpContext.fromKeyBase64(suite, key).unprotectRtcp(p)],
    ] as const) {
      for (let i = 0; i < protect.length; i++) {
        const tampered = Buffer.from(protect);
        tampered.writeUInt8(tampered.readUInt8(i) ^ 0x01, i);
        expect(() => unprotect(tampered), `octet ${i}`).toThrow();
      }
    }
  });

  it.each(suites)('%s: a receiver follows the sender across two wraps', (suite) => {
    const key = newKey(suite);
    const sender = SrtpContext.fromKeyBase64(suite, key);
    const receiver = SrtpContext.fromKeyBase64(suite, key);
    // Consecutive across the first wrap, then 2000-packet gaps across the second.
    const seqs = [
      ...Array.from({ length: 20 }, (_, i) => 65526 + i),
      ...Array.from({ length: 40 }, (_, i) => 10 + 2000 * (i + 1)),
    ];
    for (const seq of seqs) {
      const plain = packet(seq % 65536);
      expect(receiver.unprotectRtp(sender.protectRtp(plain))).toEqual(plain);
    }
    expect(receiver.roc(0x11223344)).toBe(2);
    // A receiver that thinks the ROC is still 0 cannot authenticate the stream.
    const late = SrtpContext.fromKeyBase64(suite, key);
    expect(() => late.unprotectRtp(sender.protectRtp(packet(100)))).toThrow(/mismatch/);
  });
});
