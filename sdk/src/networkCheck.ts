import {
  type CheckedBrowser,
  ConsumerOptions,
  type IceServer,
  type MediaPath,
  type NetworkCheckReport,
  NetworkCheckResult,
  NetworkCheckSession,
  type NetworkProbe,
  type ProbeResult,
  RestError,
  TransportOptions,
} from '@amphi/protocol';
import Bowser from 'bowser';
import { Device, detectDevice, type types } from 'mediasoup-client';
import { SignalingError } from './errors.ts';
import { pathOf, type ReachRung, transportOn } from './reach.ts';

// The network check a teacher runs from the class's link before a talk: each
// way in alone (a receive transport per way, consuming the server's test
// pattern), the LL-HLS fallback's web path, then the downlink measured over
// the best way with real media. The server gives the verdict and keeps it.

/** The WebRTC ways in, in the order the viewer's ladder prefers them. */
export const WEBRTC_PROBES = ['udp', 'tcp', 'turn-udp', 'turn-tls'] as const;
type WebRtcProbe = (typeof WEBRTC_PROBES)[number];

/** Without a connection this long, a way in counts as blocked (a firewall that drops answers nothing). */
export const PROBE_TIMEOUT_MS = 10_000;
/** How long the test pattern's video is received over the best way in. */
export const DOWNLINK_MEASURE_MS = 6000;
/** The downlink is the best rate over this long a window (sampled every DOWNLINK_SAMPLE_MS). */
const DOWNLINK_WINDOW_MS = 2000;
const DOWNLINK_SAMPLE_MS = 500;

/** Where the check is, for the page to show. */
export interface NetworkCheckProgress {
  phase: 'starting' | 'probing' | 'measuring' | 'saving' | 'done';
  /** Each way in: null while it is being tried. */
  probes: Record<NetworkProbe, ProbeResult | null>;
  browser: CheckedBrowser;
}

export interface NetworkCheckOptions {
  /** The classroom's join token (the class's link). */
  token: string;
  /** The server's origin; the page's own by default. */
  baseUrl?: string;
  probeTimeoutMs?: number;
  downlinkMs?: number;
  onProgress?: (progress: NetworkCheckProgress) => void;
  /** The user agent to name (the browser's by default). */
  userAgent?: string;
}

/**
 * The browser, as a teacher and the operators name it (bowser), and whether it
 * can receive the talk over WebRTC: mediasoup-client knows how to drive it.
 */
export function browserOf(userAgent: string, hasWebRtc: boolean): CheckedBrowser {
  // bowser refuses an empty user agent (a browser that hides it): named unknown.
  const parsed = userAgent
    ? Bowser.parse(userAgent)
    : ({ browser: {}, os: {} } as Bowser.Parser.ParsedResult);
  return {
    name: (parsed.browser.name ?? '').slice(0, 60) || 'unknown',
    version: (parsed.browser.version ?? '').slice(0, 40),
    os: [parsed.os.name, parsed.os.versionName ?? parsed.os.version]
      .filter(Boolean)
      .join(' ')
      .slice(0, 60),
    supported: hasWebRtc && detectDevice(userAgent) !== undefined,
  };
}

/** The relay's URLs one way in may use: TURN over UDP, or over TLS (`turns:`). */
export function relayServersFor(probe: 'turn-udp' | 'turn-tls', servers: readonly IceServer[]) {
  const wanted = (url: string) =>
    probe === 'turn-tls'
      ? url.startsWith('turns:')
      : url.startsWith('turn:') && !/transport=tcp/.test(url);
  return servers
    .map((s) => ({ ...s, urls: s.urls.filter(wanted) }))
    .filter((s) => s.urls.length > 0);
}

/** What a way in measures (its result) and, when it connected, its transport for the downlink. */
interface Tried {
  result: ProbeResult;
  transport: types.Transport | null;
  path: MediaPath | null;
  /** The pattern's sound on it, left paused: no way in carries media while the others are tried. */
  audioConsumerId?: string;
}

const failed = (failure: ProbeResult['failure']): ProbeResult => ({ ok: false, ms: null, failure });

/**
 * Runs the whole check and returns the stored result with its verdict.
 * Throws a SignalingError when the server refuses (a bad link: TOKEN_*,
 * NOT_ENROLLED) or cannot be reached.
 */
export async function runNetworkCheck(opts: NetworkCheckOptions): Promise<NetworkCheckResult> {
  const base = (opts.baseUrl ?? '').replace(/\/$/, '');
  const timeoutMs = opts.probeTimeoutMs ?? PROBE_TIMEOUT_MS;
  const userAgent = opts.userAgent ?? globalThis.navigator?.userAgent ?? '';
  const browser = browserOf(userAgent, typeof globalThis.RTCPeerConnection === 'function');
  const probes: Record<NetworkProbe, ProbeResult | null> = {
    udp: null,
    tcp: null,
    'turn-udp': null,
    'turn-tls': null,
    hls: null,
  };
  const tell = (phase: NetworkCheckProgress['phase']) =>
    opts.onProgress?.({ phase, probes: { ...probes }, browser });
  const rest = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${opts.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    const json: unknown = text ? JSON.parse(text) : null;
    if (!res.ok) {
      const err = RestError.safeParse(json);
      if (err.success) throw new SignalingError(err.data.error.code, err.data.error.message);
      throw new SignalingError('INTERNAL', `HTTP ${res.status}`);
    }
    return json as T;
  };

  tell('starting');
  const session = NetworkCheckSession.parse(await rest('POST', '/api/v1/network-check/sessions'));
  const sessionPath = `/api/v1/network-check/sessions/${session.checkId}`;
  const post: Post = (path, body) => rest('POST', `${sessionPath}${path}`, body);
  const tried = new Map<WebRtcProbe, Tried>();
  try {
    tell('probing');
    const audio = session.producers.audio;
    let device: Device | null = null;
    if (browser.supported && audio) {
      device = new Device();
      await device.load({
        routerRtpCapabilities: session.routerRtpCapabilities as types.RtpCapabilities,
      });
    }

    /** One way in alone: a transport that may use only it, consuming the pattern's sound. */
    const tryWebRtc = async (probe: WebRtcProbe): Promise<Tried> => {
      if (!device || !audio) return { result: failed('unsupported'), transport: null, path: null };
      const relay = probe === 'turn-udp' || probe === 'turn-tls';
      const servers = relay ? relayServersFor(probe, session.iceServers) : [];
      if (relay && servers.length === 0) {
        return { result: failed('not-offered'), transport: null, path: null };
      }
      const started = performance.now();
      const opts = TransportOptions.parse(await post('/transports'));
      const rung: ReachRung = relay ? 'relay' : (probe as 'udp' | 'tcp');
      const transport = device.createRecvTransport(transportOn(rung, opts, servers));
      transport.on('connect', ({ dtlsParameters }, callback, errback) => {
        post(`/transports/${opts.transportId}/connect`, { dtlsParameters })
          .then(() => callback())
          .catch(errback);
      });
      const outcome = new Promise<'connected' | 'failed' | 'timeout'>((resolve) => {
        const timer = setTimeout(() => resolve('timeout'), timeoutMs);
        transport.on('connectionstatechange', (state) => {
          if (state === 'connected' || state === 'failed') {
            clearTimeout(timer);
            resolve(state);
          }
        });
      });
      // Consuming is what starts ICE (mediasoup-client connects on the first consume).
      // The consumer stays paused: ICE and DTLS need no media, and on a thin school
      // line four ways in each carrying sound would crowd out each other's handshakes.
      const audioConsumerId = await consumePattern(transport, device, audio, post);
      const end = await outcome;
      if (end !== 'connected') {
        transport.close();
        return { result: failed(end), transport: null, path: null };
      }
      const ms = Math.round(performance.now() - started);
      const reports: Record<string, unknown>[] = [];
      (await transport.getStats()).forEach((r: Record<string, unknown>) => {
        reports.push(r);
      });
      return {
        result: { ok: true, ms, failure: null },
        transport,
        path: pathOf(reports),
        audioConsumerId,
      };
    };

    const tryHls = async (): Promise<{ result: ProbeResult; kbps: number | null }> => {
      const started = performance.now();
      try {
        const sep = session.hlsProbeUrl.includes('?') ? '&' : '?';
        const res = await fetch(
          `${base}${session.hlsProbeUrl}${sep}token=${encodeURIComponent(opts.token)}`,
          { cache: 'no-store', signal: AbortSignal.timeout(timeoutMs) },
        );
        if (!res.ok) return { result: failed('failed'), kbps: null };
        const bytes = (await res.arrayBuffer()).byteLength;
        const ms = Math.max(1, Math.round(performance.now() - started));
        return { result: { ok: true, ms, failure: null }, kbps: Math.round((bytes * 8) / ms) };
      } catch (err) {
        const timedOut = err instanceof DOMException && err.name === 'TimeoutError';
        return { result: failed(timedOut ? 'timeout' : 'failed'), kbps: null };
      }
    };

    // Every way at once: the check takes as long as the slowest timeout, not their sum.
    const [hls] = await Promise.all([
      tryHls().then((h) => {
        probes.hls = h.result;
        tell('probing');
        return h;
      }),
      ...WEBRTC_PROBES.map((p) =>
        tryWebRtc(p)
          .catch((err: unknown): Tried => {
            // The server refusing (the check ended, another instance): no verdict rather than a wrong one.
            if (err instanceof SignalingError) throw err;
            return { result: failed('failed'), transport: null, path: null };
          })
          .then((t) => {
            tried.set(p, t);
            probes[p] = t.result;
            tell('probing');
          }),
      ),
    ]);

    tell('measuring');
    let downlinkKbps: number | null = null;
    let downlinkPath: MediaPath | null = null;
    let framesDecoded: number | null = null;
    const best = WEBRTC_PROBES.map((p) => tried.get(p)).find((t) => t?.transport);
    // The other ways in are done with: only the best one carries the measurement.
    for (const t of tried.values()) if (t !== best) t.transport?.close();
    if (best?.transport && device) {
      const measured = await measureDownlink(
        best.transport,
        device,
        { audio: best.audioConsumerId ?? null, video: session.producers.video },
        opts.downlinkMs ?? DOWNLINK_MEASURE_MS,
        post,
      );
      downlinkKbps = measured.kbps;
      framesDecoded = measured.framesDecoded;
      downlinkPath = best.path;
    } else if (hls.kbps !== null) {
      downlinkKbps = hls.kbps;
      downlinkPath = 'hls';
    }

    tell('saving');
    const report: NetworkCheckReport = {
      checkId: session.checkId,
      probes: {
        udp: probes.udp ?? failed('failed'),
        tcp: probes.tcp ?? failed('failed'),
        'turn-udp': probes['turn-udp'] ?? failed('failed'),
        'turn-tls': probes['turn-tls'] ?? failed('failed'),
        hls: probes.hls ?? failed('failed'),
      },
      downlinkKbps,
      downlinkPath,
      framesDecoded,
      browser,
    };
    const result = NetworkCheckResult.parse(
      await rest('POST', '/api/v1/network-check/results', report),
    );
    tell('done');
    return result;
  } catch (err) {
    await rest('DELETE', sessionPath).catch(() => {});
    throw err;
  } finally {
    for (const t of tried.values()) t.transport?.close();
  }
}

/** A POST to the check's session (`path` below it); its JSON answer, unparsed. */
type Post = (path: string, body?: unknown) => Promise<unknown>;

/**
 * One of the test pattern's producers consumed on a way in's transport,
 * paused as the server creates it (resumed by POST /consumers/:id/resume).
 * Returns the consumer's id.
 */
async function consumePattern(
  transport: types.Transport,
  device: Device,
  producerId: string,
  post: Post,
): Promise<string> {
  const c = ConsumerOptions.parse(
    await post('/consumers', {
      transportId: transport.id,
      producerId,
      rtpCapabilities: device.rtpCapabilities,
    }),
  );
  await transport.consume({
    id: c.consumerId,
    producerId: c.producerId,
    kind: c.kind,
    rtpParameters: c.rtpParameters as types.RtpParameters,
  });
  return c.consumerId;
}

/**
 * The downlink over a connected transport: its sound consumer resumed, the
 * test pattern's video consumed beside it, the best rate of bytes received (inbound RTP, both kinds)
 * over 2 s within `ms`: at most the pattern's top layer and its sound (~1.1
 * Mbit/s), less when the line cannot carry that.
 */
async function measureDownlink(
  transport: types.Transport,
  device: Device,
  { audio, video }: { audio: string | null; video: string | null },
  ms: number,
  post: Post,
): Promise<{ kbps: number; framesDecoded: number }> {
  if (audio) await post(`/consumers/${audio}/resume`);
  if (video) {
    const consumerId = await consumePattern(transport, device, video, post);
    await post(`/consumers/${consumerId}/resume`);
  }
  const sample = async () => {
    let bytes = 0;
    let frames = 0;
    (await transport.getStats()).forEach((r: Record<string, unknown>) => {
      if (r.type !== 'inbound-rtp') return;
      bytes += Number(r.bytesReceived ?? 0) + Number(r.headerBytesReceived ?? 0);
      frames += Number(r.framesDecoded ?? 0);
    });
    return { bytes, frames, at: performance.now() };
  };
  // The server's bandwidth estimate starts low and climbs the simulcast layers as
  // the line allows: the downlink is the best 2 s window, not the mean with the ramp.
  const samples = [await sample()];
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, DOWNLINK_SAMPLE_MS));
    samples.push(await sample());
  }
  const span = Math.max(1, Math.round(DOWNLINK_WINDOW_MS / DOWNLINK_SAMPLE_MS));
  let kbps = 0;
  for (let i = 0; i < samples.length; i++) {
    const from = samples[i] as (typeof samples)[number];
    const to = samples[Math.min(i + span, samples.length - 1)] as (typeof samples)[number];
    if (to.at - from.at < DOWNLINK_WINDOW_MS / 2) continue;
    kbps = Math.max(kbps, ((to.bytes - from.bytes) * 8) / (to.at - from.at));
  }
  return { kbps: Math.round(kbps), framesDecoded: (samples.at(-1) ?? samples[0])?.frames ?? 0 };
}
