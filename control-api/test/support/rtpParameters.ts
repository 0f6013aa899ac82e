import type { RtpParameters } from '@amphi/protocol';

// What a browser would send in signaling for its camera, its microphone and
// its transports, for tests that drive the media requests without a browser
// (no RTP flows, no DTLS handshake: only the server's bookkeeping is tested).

/**
 * A camera's VP8 as a browser sends it, one SSRC. `mid`: its place in the
 * transport's SDP; one transport refuses two open producers with the same mid.
 */
export function vp8(ssrc: number, mid = '0'): RtpParameters {
  return {
    mid,
    codecs: [
      {
        mimeType: 'video/VP8',
        payloadType: 96,
        clockRate: 90000,
        rtcpFeedback: [
          { type: 'nack' },
          { type: 'nack', parameter: 'pli' },
          { type: 'ccm', parameter: 'fir' },
          { type: 'goog-remb' },
        ],
      },
    ],
    headerExtensions: [{ uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', id: 1 }],
    encodings: [{ ssrc }],
    rtcp: { cname: `cam-${ssrc}`, reducedSize: true },
  };
}

/** A microphone's Opus as a browser sends it, one SSRC (see `vp8` for `mid`). */
export function opus(ssrc: number, mid = '1'): RtpParameters {
  return {
    mid,
    codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2 }],
    headerExtensions: [{ uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', id: 1 }],
    encodings: [{ ssrc }],
    rtcp: { cname: `mic-${ssrc}`, reducedSize: true },
  };
}

/** A client's DTLS parameters for `media.connectTransport` (the fingerprint is never checked: no handshake follows). */
export const dtlsParameters = {
  role: 'client' as const,
  fingerprints: [
    { algorithm: 'sha-256' as const, value: Array.from({ length: 32 }, () => '5A').join(':') },
  ],
};
