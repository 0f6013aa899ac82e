import { describe, expect, it } from 'vitest';
import { PipeAnswer, PipeOffer, PipeUpdate } from '../src/pipe.ts';

// What one media node tells another about a pipe: checked on arrival, so a
// node never produces or connects on a message it cannot trust the shape of.

const pipeId = '6f1c7e1e-9a53-4c1b-8f4e-2a8d2b0a7c11';
const endpoint = {
  ip: '10.1.0.2',
  port: 42001,
  srtpParameters: {
    cryptoSuite: 'AEAD_AES_256_GCM',
    keyBase64: Buffer.alloc(44, 7).toString('base64'),
  },
};
const rtpParameters = {
  codecs: [{ mimeType: 'video/VP8', payloadType: 101, clockRate: 90000 }],
  encodings: [{ ssrc: 1234 }],
};
const producer = {
  id: '0d1e2f30-0000-4000-8000-000000000001',
  kind: 'video',
  rtpParameters,
  paused: false,
  participantId: 'speaker-1',
  source: 'camera',
};
const offer = {
  pipeId,
  eventId: 'event-1',
  endpoint,
  heartbeat: { id: 'hb-1', rtpParameters },
  producers: [producer],
};

describe('pipe messages', () => {
  it('accept an offer, an answer and each update as a media node sends them', () => {
    expect(PipeOffer.parse(offer)).toEqual(offer);
    expect(PipeAnswer.parse({ pipeId, endpoint, heartbeat: offer.heartbeat }).endpoint).toEqual(
      endpoint,
    );
    for (const update of [
      { type: 'producer', pipeId, producer },
      { type: 'producerclose', pipeId, producerId: producer.id },
      { type: 'producerpause', pipeId, producerId: producer.id },
      { type: 'producerresume', pipeId, producerId: producer.id },
      { type: 'close', pipeId, reason: 'origin moved' },
    ]) {
      expect(PipeUpdate.parse(update)).toEqual(update);
    }
  });

  it('refuse an address, a port or a key that cannot be one', () => {
    const withEndpoint = (e: object) => ({ ...offer, endpoint: { ...endpoint, ...e } });
    expect(PipeOffer.safeParse(withEndpoint({ ip: 'media.example' })).success).toBe(false);
    expect(PipeOffer.safeParse(withEndpoint({ port: 0 })).success).toBe(false);
    expect(PipeOffer.safeParse(withEndpoint({ port: 70000 })).success).toBe(false);
    for (const keyBase64 of ['', 'not base64 at all, not at all, not at all!!', 'A'.repeat(200)]) {
      expect(
        PipeOffer.safeParse(
          withEndpoint({ srtpParameters: { cryptoSuite: 'AEAD_AES_256_GCM', keyBase64 } }),
        ).success,
      ).toBe(false);
    }
    expect(
      PipeOffer.safeParse(
        withEndpoint({ srtpParameters: { ...endpoint.srtpParameters, cryptoSuite: 'NULL' } }),
      ).success,
    ).toBe(false);
  });

  it('refuse an unknown update, a producer without its source, or too many producers', () => {
    expect(PipeUpdate.safeParse({ type: 'restart', pipeId }).success).toBe(false);
    expect(
      PipeUpdate.safeParse({ type: 'producerclose', pipeId: 'x', producerId: 'p' }).success,
    ).toBe(false);
    const { source: _, ...sourceless } = producer;
    expect(PipeUpdate.safeParse({ type: 'producer', pipeId, producer: sourceless }).success).toBe(
      false,
    );
    expect(
      PipeOffer.safeParse({ ...offer, producers: Array.from({ length: 65 }, () => producer) })
        .success,
    ).toBe(false);
  });
});
