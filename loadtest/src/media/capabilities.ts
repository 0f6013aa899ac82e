import type { RtpCapabilities } from '@amphi/protocol';

/**
 * What a simulated classroom can receive: VP8 and Opus, with key-frame
 * requests (PLI, FIR) and receiver reports. It negotiates no bandwidth
 * estimation extension: it does not answer transport-cc, and a consumer told
 * otherwise would keep a send history that never drains (issue 13 §1 measures
 * the browser-like cost on its own).
 */
export const CLASSROOM_RTP_CAPABILITIES: RtpCapabilities = {
  codecs: [
    {
      kind: 'audio',
      mimeType: 'audio/opus',
      preferredPayloadType: 100,
      clockRate: 48000,
      channels: 2,
      rtcpFeedback: [],
    },
    {
      kind: 'video',
      mimeType: 'video/VP8',
      preferredPayloadType: 101,
      clockRate: 90000,
      rtcpFeedback: [
        { type: 'nack', parameter: 'pli' },
        { type: 'ccm', parameter: 'fir' },
      ],
    },
  ],
  headerExtensions: [],
};

/** Opus "silence" (a 20 ms CELT frame, TOC 0xF8): what a muted microphone sends. */
export const OPUS_SILENCE = Buffer.from([0xf8, 0xff, 0xfe]);
