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
 * How long a speaker's producer waits before forwarding another key-frame
 * request to the speaker. Hundreds of classrooms joining at once each ask for
 * a key frame (their consumer does when its DTLS connects); the first request
 * goes at once, then at most one per this interval, and each key frame that
 * comes serves every classroom waiting for one. So a joining classroom waits
 * up to this long for its first picture, and during a join storm the speaker
 * sends one key frame per this interval.
 *
 * 500 ms, from `npm run bench:key-frame-delay -w @amphi/loadtest` (300
 * classrooms joining in a minute, two runs, loadtest/README.md): the wait
 * from media connected to the first complete key frame, p95, was 979–1,006 ms
 * at 1000, 483–836 ms at 500, 345–515 ms at 400 and 1,186–1,261 ms at 300;
 * the speaker sent about 1, 1.7–1.9 and 2.25 key frames a second while
 * classrooms joined. 300 ms is worse, not better: a browser's encoder drops a
 * request that comes within 300 ms of the last one it answered (libwebrtc's
 * kMinKeyframeSendIntervalMs), requests spaced by about that are dropped
 * about half the time, and mediasoup asks again only after 1 s. 500 rather
 * than 400: fewer requests dropped when the speaker's line bunches them
 * (1 of 96 against 3 of 139 in the more starved run), 15–25 % fewer key
 * frames, and the 700 ms first-frame goal still met (498 ms p95 for 100
 * classrooms when the simulator was not stalled). The
 * extra key frames last as long as the join storm (classes join before the
 * talk starts) or a classroom keeps losing frames NACK could not repair.
 * MEDIA_KEY_FRAME_REQUEST_DELAY_MS overrides it.
 */
export const KEY_FRAME_REQUEST_DELAY_MS = 500;
