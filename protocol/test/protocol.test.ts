import { describe, expect, it } from 'vitest';
import {
  CreateEventBody,
  DtlsParameters,
  isRequestType,
  REQUEST_TYPES,
  RequestEnvelope,
  Requests,
  RtpParameters,
  SubmitQuestion,
} from '../src/index.ts';

const speakerIds = [
  '0b8e0e4e-6a07-4f7f-9a55-0d9b7f1c2a01',
  '0b8e0e4e-6a07-4f7f-9a55-0d9b7f1c2a02',
  '0b8e0e4e-6a07-4f7f-9a55-0d9b7f1c2a03',
  '0b8e0e4e-6a07-4f7f-9a55-0d9b7f1c2a04',
];

describe('event formats', () => {
  const base = { title: 'Métiers du journalisme', startsAt: '2025-03-10T09:00:00+01:00' };

  it('takes exactly one speaker for a 45 min session', () => {
    expect(
      CreateEventBody.safeParse({ ...base, format: 'solo_45', speakerIds: speakerIds.slice(0, 1) })
        .success,
    ).toBe(true);
    const two = CreateEventBody.safeParse({
      ...base,
      format: 'solo_45',
      speakerIds: speakerIds.slice(0, 2),
    });
    expect(two.success).toBe(false);
    expect(two.error?.issues[0]?.path).toEqual(['speakerIds']);
  });

  it('takes two or three distinct speakers for a 55 min panel', () => {
    expect(
      CreateEventBody.safeParse({ ...base, format: 'panel_55', speakerIds: speakerIds.slice(0, 3) })
        .success,
    ).toBe(true);
    expect(
      CreateEventBody.safeParse({ ...base, format: 'panel_55', speakerIds: speakerIds.slice(0, 1) })
        .success,
    ).toBe(false);
    expect(CreateEventBody.safeParse({ ...base, format: 'panel_55', speakerIds }).success).toBe(
      false,
    );
    const dup = [speakerIds[0], speakerIds[0]];
    expect(
      CreateEventBody.safeParse({ ...base, format: 'panel_55', speakerIds: dup }).success,
    ).toBe(false);
  });

  it('rejects unknown fields instead of ignoring them', () => {
    const r = CreateEventBody.safeParse({
      ...base,
      format: 'solo_45',
      speakerIds: speakerIds.slice(0, 1),
      room: 'x',
    });
    expect(r.success).toBe(false);
  });
});

describe('questions', () => {
  it('trims the text and enforces the categories of the preparation material', () => {
    const ok = SubmitQuestion.parse({
      idempotencyKey: 'abcdefgh-1',
      text: '  Quel diplôme ?  ',
      category: 'training_path',
    });
    expect(ok.text).toBe('Quel diplôme ?');
    expect(
      SubmitQuestion.safeParse({
        idempotencyKey: 'abcdefgh-1',
        text: 'Quel diplôme ?',
        category: 'gossip',
      }).success,
    ).toBe(false);
    expect(
      SubmitQuestion.safeParse({ idempotencyKey: 'abcdefgh-1', text: '   ', category: 'other' })
        .success,
    ).toBe(false);
    expect(
      SubmitQuestion.safeParse({
        idempotencyKey: 'short',
        text: 'Quel diplôme ?',
        category: 'other',
      }).success,
    ).toBe(false);
    expect(
      SubmitQuestion.safeParse({
        idempotencyKey: 'abcdefgh-1',
        text: 'x'.repeat(501),
        category: 'other',
      }).success,
    ).toBe(false);
  });

  it('refuses control characters other than tabs and line breaks, in every free text', () => {
    const submit = (text: string) =>
      SubmitQuestion.safeParse({ idempotencyKey: 'abcdefgh-1', text, category: 'other' });
    for (const c of ['\u0000', '\u0007', '\u001b', '\u007f']) {
      expect(submit(`Quel${c} diplôme ?`).success, JSON.stringify(c)).toBe(false);
    }
    expect(submit('Quel diplôme ?\r\n\tEt après ?').success).toBe(true);
    const title = CreateEventBody.safeParse({
      title: 'Métiers\u0000 du son',
      format: 'solo_45',
      startsAt: new Date().toISOString(),
      speakerIds: speakerIds.slice(0, 1),
    });
    expect(title.error?.issues[0]?.path).toEqual(['title']);
  });
});

describe('signaling envelope', () => {
  it('knows every request type and nothing else', () => {
    expect(REQUEST_TYPES).toContain('question.submit');
    expect(isRequestType('media.produce')).toBe(true);
    expect(isRequestType('toString')).toBe(false);
    expect(isRequestType('__proto__')).toBe(false);
  });

  it('accepts string or integer ids only', () => {
    expect(RequestEnvelope.safeParse({ id: 'a1', type: 'ping', data: {} }).success).toBe(true);
    expect(RequestEnvelope.safeParse({ id: 7, type: 'ping' }).success).toBe(true);
    expect(RequestEnvelope.safeParse({ id: { x: 1 }, type: 'ping' }).success).toBe(false);
    expect(RequestEnvelope.safeParse({ id: 'a', type: 'ping', extra: 1 }).success).toBe(false);
    expect(RequestEnvelope.safeParse({ id: -1, type: 'ping' }).success).toBe(false);
  });

  it('validates request data strictly', () => {
    expect(Requests['stage.respond'].data.safeParse({ accept: true }).success).toBe(true);
    expect(Requests['stage.respond'].data.safeParse({ accept: 'yes' }).success).toBe(false);
    expect(Requests.join.data.safeParse({ sneaky: true }).success).toBe(false);
  });
});

describe('mediasoup-shaped types', () => {
  it('accepts real mediasoup-client parameters and keeps unknown fields', () => {
    const rtp = RtpParameters.parse({
      mid: '0',
      codecs: [
        {
          mimeType: 'video/VP8',
          payloadType: 96,
          clockRate: 90000,
          parameters: {},
          rtcpFeedback: [{ type: 'nack', parameter: '' }],
        },
      ],
      headerExtensions: [
        { uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', id: 1, encrypt: false, parameters: {} },
      ],
      encodings: [
        { rid: 'r0', scalabilityMode: 'L1T3', maxBitrate: 100000 },
        { rid: 'r1', scaleResolutionDownBy: 2 },
      ],
      rtcp: { cname: 'abc', reducedSize: true },
      futureField: 1,
    });
    expect(rtp.futureField).toBe(1);
  });

  it('rejects malformed DTLS fingerprints and payload types', () => {
    expect(
      DtlsParameters.safeParse({
        role: 'client',
        fingerprints: [{ algorithm: 'sha-256', value: 'zz' }],
      }).success,
    ).toBe(false);
    const fp = Array.from({ length: 32 }, () => 'AB').join(':');
    expect(
      DtlsParameters.safeParse({
        role: 'client',
        fingerprints: [{ algorithm: 'sha-256', value: fp }],
      }).success,
    ).toBe(true);
    expect(
      RtpParameters.safeParse({
        codecs: [{ mimeType: 'video/VP8', payloadType: 300, clockRate: 90000 }],
      }).success,
    ).toBe(false);
    expect(RtpParameters.safeParse({ codecs: [] }).success).toBe(false);
  });
});
