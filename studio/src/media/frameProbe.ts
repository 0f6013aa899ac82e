/**
 * Whether a camera gives frames an encoder takes, and what is sent: read from
 * WebRTC's own `outbound-rtp` stats, so the studio sees what classrooms get.
 * (Chromium's fake depth camera, Y16, shows in a `<video>` but encodes
 * nothing: on the air it froze every classroom on the previous picture.)
 */

/** What the video `outbound-rtp` entries of a sender say, summed over simulcast layers. */
export interface OutboundVideo {
  /** Frames encoded so far, all layers together (grows while a picture goes out). */
  framesEncoded: number;
  /** The largest layer being sent now, and its frame rate; null when nothing goes out. */
  width: number | null;
  height: number | null;
  fps: number | null;
  /** Layers sending now (simulcast: up to 3). */
  layers: number;
}

type Entry = Record<string, unknown>;
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export function readOutboundVideo(report: Iterable<Entry>): OutboundVideo {
  let framesEncoded = 0;
  let best: { width: number; height: number; fps: number | null } | null = null;
  let layers = 0;
  for (const s of report) {
    if (s.type !== 'outbound-rtp' || s.kind !== 'video') continue;
    framesEncoded += num(s.framesEncoded) ?? 0;
    const width = num(s.frameWidth);
    const height = num(s.frameHeight);
    if (s.active === false || width === null || height === null) continue;
    layers += 1;
    if (!best || width * height > best.width * best.height) {
      best = { width, height, fps: num(s.framesPerSecond) };
    }
  }
  return {
    framesEncoded,
    width: best?.width ?? null,
    height: best?.height ?? null,
    fps: best?.fps ?? null,
    layers,
  };
}

/** The verdict on a source: still being tried, encodes, or gives nothing usable. */
export type SourceCheck =
  | { state: 'testing' }
  | { state: 'ok'; frames: number }
  | { state: 'unusable' }
  /** The test could not run (the pair never connected): the live watch still guards. */
  | { state: 'unknown' };

/** How long a connected test may encode nothing before the source is called unusable. */
export const PROBE_SILENCE_MS = 2000;
/** Frames encoded that make a source usable at once. */
const PROBE_FRAMES = 5;
/** The whole test, connection included, never takes longer than this. */
const PROBE_LIMIT_MS = 8000;

/**
 * Sends the track through a pair of peer connections inside this page (no
 * network, no server) and watches the sender's `framesEncoded`: a source that
 * has encoded nothing ~2 s after the pair connected is unusable.
 */
export async function probeEncodable(
  track: MediaStreamTrack,
  signal?: AbortSignal,
): Promise<SourceCheck> {
  const a = new RTCPeerConnection();
  const b = new RTCPeerConnection();
  a.onicecandidate = (e) => {
    if (e.candidate) void b.addIceCandidate(e.candidate).catch(() => {});
  };
  b.onicecandidate = (e) => {
    if (e.candidate) void a.addIceCandidate(e.candidate).catch(() => {});
  };
  try {
    // A small, slow encode: whether the encoder takes the frames at all does not
    // depend on their size, and a test run while on the air must not take the
    // CPU the program's encoder needs (a 720p test stalled classrooms ~1 s).
    const { sender } = a.addTransceiver(track.clone(), {
      direction: 'sendonly',
      sendEncodings: [{ scaleResolutionDownBy: 4, maxFramerate: 10, maxBitrate: 150_000 }],
    });
    await a.setLocalDescription(await a.createOffer());
    await b.setRemoteDescription(a.localDescription as RTCSessionDescriptionInit);
    await b.setLocalDescription(await b.createAnswer());
    await a.setRemoteDescription(b.localDescription as RTCSessionDescriptionInit);
    const started = Date.now();
    let connectedAt: number | null = null;
    while (!signal?.aborted && Date.now() - started < PROBE_LIMIT_MS) {
      await new Promise((r) => setTimeout(r, 250));
      if (connectedAt === null && a.connectionState === 'connected') connectedAt = Date.now();
      const { framesEncoded } = readOutboundVideo(
        (await sender.getStats()).values() as Iterable<Entry>,
      );
      // A few frames, not one: a camera that stalls after its first frame is no better.
      if (framesEncoded >= PROBE_FRAMES) return { state: 'ok', frames: framesEncoded };
      if (connectedAt !== null && Date.now() - connectedAt >= PROBE_SILENCE_MS) {
        return framesEncoded > 0 ? { state: 'ok', frames: framesEncoded } : { state: 'unusable' };
      }
    }
    return { state: 'unknown' };
  } catch {
    return { state: 'unknown' };
  } finally {
    for (const s of a.getSenders()) s.track?.stop();
    a.close();
    b.close();
  }
}
