import type { types } from 'mediasoup';

/** Codecs every broadcast router offers: Opus for speech, VP8 simulcast for video. */
export const mediaCodecs: types.RtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
  {
    kind: 'video',
    mimeType: 'video/VP8',
    clockRate: 90000,
    // A sane start so classrooms don't begin at a crawl; BWE takes over.
    parameters: { 'x-google-start-bitrate': 600 },
  },
];

/**
 * How long a producer waits before forwarding another key-frame request to its
 * sender. Hundreds of classrooms joining at once each ask for a key frame; the
 * speaker's encoder sees at most one request per this interval.
 */
export const KEY_FRAME_REQUEST_DELAY_MS = 1000;
