import type { IceCandidate, IceServer, MediaPath, TransportOptions } from '@amphi/protocol';
import type { types } from 'mediasoup-client';

// The reach ladder: how a client gets its media through a school's firewall.
// Each rung is one way of building the WebRTC transports; the client starts on
// the rung that worked last time (or the first), and climbs down when a
// transport does not connect in time.

/**
 * - `any`: a first join's rung (no path remembered): the worker's ports and
 *   the relay at once, in one ICE session. UDP wins where it gets through (its
 *   pairs rank first), the relay's TLS where nothing else does, in the time
 *   the relay alone takes (≈ 1.5 s) rather than a direct attempt's silence
 *   (2 s) plus a new join and the relay's set-up. It costs one relay
 *   allocation on that join only: the path found is remembered, and the next
 *   joins start on `direct` or `relay`.
 * - `direct`: the worker's own ports, UDP and TCP candidates both. ICE checks
 *   UDP first (its candidate has the higher priority) and falls to ICE-TCP in
 *   the same attempt, within a second, when UDP is blocked.
 * - `udp`, `tcp`: one of the two only (the network check tries each).
 * - `relay`: through the TURN relay only (`iceTransportPolicy: 'relay'`): TURN
 *   over UDP 3478, or over TLS on 443 when only the web gets out.
 */
export type ReachRung = 'any' | 'direct' | 'udp' | 'tcp' | 'relay';

/** The rungs in the order a client climbs down them. */
export const DEFAULT_LADDER: readonly ReachRung[] = ['direct', 'relay'];

/** Without a transport connected this long, the client climbs down a rung. */
export const DEFAULT_RUNG_TIMEOUT_MS = 5000;

/**
 * Without a single answer from the worker's ports this long, a direct rung is
 * given up before its timeout: a firewall that drops them answers nothing,
 * while a slow line (even 700 ms round trips) answers a connectivity check
 * well within it and gets the full timeout to finish.
 */
export const DEFAULT_SILENCE_MS = 2000;

/**
 * A receive transport in use that got no RTP at all this long, its
 * signaling socket open, has lost its path mid-talk (a school's firewall
 * closing on UDP): the relay is tried beside it at once (make before break),
 * without waiting for the browser's ICE to call it disconnected (6 s in the
 * school rig). Even a silent microphone sends a packet every 400 ms, and a
 * line losing 5 % of its packets at random never goes this long without one:
 * only a cut does. A burst that ends before the relay's picture decodes
 * leaves the class where it was.
 */
export const LOST_PATH_SILENCE_MS = 1500;

/** How often the receive transport's packets are counted for that (its `getStats()`). */
export const LOST_PATH_POLL_MS = 250;

/** Where the client is on the ladder, for the app to show. */
export interface ReachState {
  rung: ReachRung;
  /** Trying this rung; connected once a media transport is; idle while there is nothing to carry. */
  status: 'idle' | 'trying' | 'connected';
  /** The path the connected transport really takes (from its selected candidate pair). */
  path: MediaPath | null;
  /** Rungs given up on since the last success, in this session. */
  failed: readonly ReachRung[];
  /**
   * Every way was tried without success since the last connection (`any`
   * tries them all at once; a lone rung's silence counts): the app may fall
   * back to what WebRTC cannot give (LL-HLS) while the client keeps trying.
   */
  exhausted?: boolean;
  /**
   * The path in use went silent mid-talk (`LOST_PATH_SILENCE_MS`): the relay
   * is being set up beside it; the picture on screen is the last frame.
   */
  rerouting?: boolean;
  /**
   * A set-up anew (the media node died) failed: it is tried again at
   * `nextRetryAt` (epoch ms), the `attempt`th failure in a row
   * (MEDIA_SETUP_RETRY). No picture meanwhile.
   */
  retrying?: { attempt: number; nextRetryAt: number } | undefined;
}

/** What a rung gives the browser: the server's candidates to try, and the relay or not. */
export function transportSettings(
  rung: ReachRung,
  candidates: readonly IceCandidate[],
  iceServers: readonly IceServer[],
): {
  iceCandidates: IceCandidate[];
  iceServers: RTCIceServer[];
  iceTransportPolicy: RTCIceTransportPolicy;
} {
  if (rung === 'relay' || rung === 'any') {
    return {
      iceCandidates: [...candidates],
      iceServers: iceServers.map((s) => ({ ...s, urls: [...s.urls] })),
      iceTransportPolicy: rung === 'relay' ? 'relay' : 'all',
    };
  }
  // No relay on the direct rungs: no TURN allocation for classes that do not need one.
  const only = rung === 'udp' || rung === 'tcp' ? rung : null;
  return {
    iceCandidates: candidates.filter((c) => only === null || c.protocol === only),
    iceServers: [],
    iceTransportPolicy: 'all',
  };
}

/** mediasoup-client's options for a transport the server created, built on one rung. */
export function transportOn(
  rung: ReachRung,
  opts: TransportOptions,
  iceServers: readonly IceServer[],
): types.TransportOptions {
  const ice = transportSettings(rung, opts.iceCandidates, iceServers);
  return {
    id: opts.transportId,
    iceParameters: opts.iceParameters as types.IceParameters,
    iceCandidates: ice.iceCandidates as types.IceCandidate[],
    dtlsParameters: opts.dtlsParameters as types.DtlsParameters,
    iceServers: ice.iceServers,
    iceTransportPolicy: ice.iceTransportPolicy,
  };
}

/** The rungs this client may use: the relay only when the server offers one. */
export function availableRungs(
  ladder: readonly ReachRung[],
  iceServers: readonly IceServer[],
): ReachRung[] {
  return ladder.filter((r) => r !== 'relay' || iceServers.length > 0);
}

/**
 * The order to try the rungs in: the remembered one first, then the ladder's
 * order. With nothing remembered and both the worker's ports and the relay on
 * the ladder, every way at once first (`any`), then each alone.
 */
export function rungOrder(ladder: readonly ReachRung[], remembered: ReachRung | null): ReachRung[] {
  if (remembered && ladder.includes(remembered)) {
    return [remembered, ...ladder.filter((r) => r !== remembered)];
  }
  if (ladder.includes('direct') && ladder.includes('relay') && !ladder.includes('any')) {
    return ['any', ...ladder];
  }
  return [...ladder];
}

/** The rung to remember for a path that worked: the relay's, or the worker's own ports. */
export function rungFor(path: MediaPath): ReachRung {
  return path.startsWith('turn-') ? 'relay' : 'direct';
}

/**
 * A class that connected through the relay tries the worker's own ports again
 * after these delays (then every last one): the school's firewall may open
 * mid-morning, and the relay costs the programme bandwidth. Spread with
 * jitter (see backoff.ts) so classes moved together do not probe together.
 */
export const CLIMB_BACK_MS = { initialMs: 15_000, maxMs: 300_000, factor: 2, jitter: 0.3 };

/**
 * The path a connected transport takes, from its `getStats()` report: the
 * selected candidate pair's local candidate (a relay one says how it reaches
 * the relay) and remote candidate (UDP or TCP to the worker). Null before a
 * pair is selected.
 */
export function pathOf(reports: readonly Record<string, unknown>[]): MediaPath | null {
  const byId = new Map(reports.map((r) => [r.id, r]));
  const transport = reports.find((r) => r.type === 'transport' && r.selectedCandidatePairId);
  const pair =
    (transport ? byId.get(transport.selectedCandidatePairId) : undefined) ??
    reports.find((r) => r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded');
  if (!pair) return null;
  const local = byId.get(pair.localCandidateId);
  const remote = byId.get(pair.remoteCandidateId);
  if (!local || !remote) return null;
  if (local.candidateType === 'relay') {
    const via = String(local.relayProtocol ?? 'udp');
    return via === 'tls' ? 'turn-tls' : via === 'tcp' ? 'turn-tcp' : 'turn-udp';
  }
  return remote.protocol === 'tcp' ? 'tcp' : 'udp';
}

/** Whether any ICE connectivity check of this transport got an answer (its `getStats()` report). */
export function heardBack(reports: readonly Record<string, unknown>[]): boolean {
  return reports.some(
    (r) =>
      r.type === 'candidate-pair' &&
      (Number(r.responsesReceived ?? 0) > 0 || r.state === 'succeeded'),
  );
}

/** The rung that worked, kept for the next join. */
export interface ReachMemory {
  load(): ReachRung | null;
  save(rung: ReachRung): void;
}

/**
 * A day: the talks and reloads of a school day start on the rung that worked,
 * and the next day starts from the top again (the school's firewall may have
 * been opened since: the class climbs back up).
 */
export const REMEMBER_PATH_MS = 24 * 3600 * 1000;
const KEY = 'amphi.reach';
const RUNGS: readonly ReachRung[] = ['any', 'direct', 'udp', 'tcp', 'relay'];

/** The browser's localStorage; null in Node, or where reading it throws (storage disabled). */
function browserStorage(): Pick<Storage, 'getItem' | 'setItem'> | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

/** The rung that worked, in the browser's storage (none where there is no storage). */
export function storedReachMemory(
  storage: Pick<Storage, 'getItem' | 'setItem'> | null = browserStorage(),
  now: () => number = Date.now,
): ReachMemory {
  return {
    load() {
      try {
        const saved = JSON.parse(storage?.getItem(KEY) ?? 'null') as {
          rung?: unknown;
          at?: unknown;
        } | null;
        if (!saved || !RUNGS.includes(saved.rung as ReachRung)) return null;
        if (typeof saved.at !== 'number' || now() - saved.at > REMEMBER_PATH_MS) return null;
        return saved.rung as ReachRung;
      } catch {
        return null;
      }
    },
    save(rung) {
      try {
        storage?.setItem(KEY, JSON.stringify({ rung, at: now() }));
      } catch {
        // Storage full or refused (private mode): the next join starts from the top.
      }
    },
  };
}
