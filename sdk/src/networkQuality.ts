import { inboundKind } from './inboundStreams.ts';
import type { SignalingStatus } from './SignalingClient.ts';

/** What a classroom should be told about its connection. */
export type NetworkQuality = 'good' | 'degraded' | 'bad' | 'offline';

export type TransportState =
  | 'new'
  | 'connecting'
  | 'connected'
  | 'disconnected'
  | 'failed'
  | 'closed';

/** One reading of the connection, from the transports and `getStats()`. */
export interface QualitySample {
  signaling: SignalingStatus;
  /** The worst state among the media transports; null when there is none. */
  transport: TransportState | null;
  /** Round-trip time to the media server, ms. */
  rttMs: number | null;
  /** Packets lost in the last interval, 0..1. */
  lossRate: number | null;
  /** Bitrate the congestion controller estimates is available, kbit/s. */
  availableKbps: number | null;
  /** Nothing has arrived for a while on a connected transport that carries media. */
  stalled?: boolean;
}

export interface QualityThresholds {
  degraded: { rttMs: number; lossRate: number; availableKbps: number };
  bad: { rttMs: number; lossRate: number; availableKbps: number };
}

/** Values where a talk starts to suffer (degraded) or to break up (bad). */
export const DEFAULT_QUALITY_THRESHOLDS: QualityThresholds = {
  degraded: { rttMs: 300, lossRate: 0.03, availableKbps: 400 },
  bad: { rttMs: 800, lossRate: 0.1, availableKbps: 120 },
};

/** Classifies a sample; a missing measure counts as fine. */
export function classifyQuality(
  s: QualitySample,
  t: QualityThresholds = DEFAULT_QUALITY_THRESHOLDS,
): NetworkQuality {
  if (s.signaling === 'reconnecting' || s.signaling === 'closed') return 'offline';
  if (s.transport === 'failed' || s.transport === 'closed') return 'offline';
  // A frozen picture and a silent speaker: the line is gone, whatever the states say yet.
  if (s.stalled) return 'offline';
  if (s.transport === 'disconnected') return 'bad';
  const over = (level: QualityThresholds['bad']) =>
    (s.rttMs !== null && s.rttMs > level.rttMs) ||
    (s.lossRate !== null && s.lossRate > level.lossRate) ||
    (s.availableKbps !== null && s.availableKbps < level.availableKbps);
  if (over(t.bad)) return 'bad';
  if (over(t.degraded)) return 'degraded';
  // A transport with nothing to carry yet stays 'new': that is not a network problem.
  if (s.signaling === 'connecting' || s.transport === 'connecting') {
    return 'degraded';
  }
  return 'good';
}

const ORDER: TransportState[] = [
  'connected',
  'new',
  'connecting',
  'disconnected',
  'failed',
  'closed',
];

/** The worst of several transport states (null when there are none). */
export function worstTransportState(states: TransportState[]): TransportState | null {
  let worst: TransportState | null = null;
  for (const s of states) if (worst === null || ORDER.indexOf(s) > ORDER.indexOf(worst)) worst = s;
  return worst;
}

/** Counters read from one `getStats()` report, summed over the talk's RTP streams. */
export interface StatsCounters {
  packetsReceived: number;
  packetsLost: number;
  rttMs: number | null;
  availableKbps: number | null;
}

/**
 * Reads the counters quality needs from one transport's RTCStatsReport
 * entries. The available bitrate is read only for a transport that sends
 * (`uplink`): a receive-only connection's outgoing estimate covers its RTCP
 * alone and sits near 300 kbit/s on any network.
 */
export function readCounters(
  reports: Iterable<Record<string, unknown>>,
  { uplink }: { uplink: boolean },
): StatsCounters {
  const out: StatsCounters = {
    packetsReceived: 0,
    packetsLost: 0,
    rttMs: null,
    availableKbps: null,
  };
  for (const r of reports) {
    const num = (k: string) => (typeof r[k] === 'number' ? (r[k] as number) : null);
    if (r.type === 'inbound-rtp') {
      // The picture's and the voice's packets only: not the bandwidth probes.
      if (inboundKind(r) === null) continue;
      out.packetsReceived += num('packetsReceived') ?? 0;
      out.packetsLost += Math.max(0, num('packetsLost') ?? 0);
    } else if (r.type === 'remote-inbound-rtp') {
      // Round trip as the media server reports it for what we send.
      const rtt = num('roundTripTime');
      if (rtt !== null) out.rttMs = Math.max(out.rttMs ?? 0, rtt * 1000);
    } else if (r.type === 'candidate-pair' && (r.nominated === true || r.selected === true)) {
      if (r.state !== undefined && r.state !== 'succeeded') continue;
      const rtt = num('currentRoundTripTime');
      if (rtt !== null) out.rttMs = Math.max(out.rttMs ?? 0, rtt * 1000);
      const bps = uplink ? num('availableOutgoingBitrate') : null;
      if (bps !== null) out.availableKbps = Math.min(out.availableKbps ?? Infinity, bps / 1000);
    }
  }
  return out;
}

/** Several transports' counters as one: packets summed, the worst RTT and bitrate. */
export function mergeCounters(all: StatsCounters[]): StatsCounters {
  const worst = (values: (number | null)[], pick: (...n: number[]) => number) => {
    const known = values.filter((v): v is number => v !== null);
    return known.length > 0 ? pick(...known) : null;
  };
  return {
    packetsReceived: all.reduce((n, c) => n + c.packetsReceived, 0),
    packetsLost: all.reduce((n, c) => n + c.packetsLost, 0),
    rttMs: worst(
      all.map((c) => c.rttMs),
      Math.max,
    ),
    availableKbps: worst(
      all.map((c) => c.availableKbps),
      Math.min,
    ),
  };
}

/** Loss rate between two readings, 0..1 (null when nothing arrived). */
export function lossBetween(prev: StatsCounters | null, next: StatsCounters): number | null {
  const received = next.packetsReceived - (prev?.packetsReceived ?? 0);
  const lost = next.packetsLost - (prev?.packetsLost ?? 0);
  if (received + lost <= 0) return null;
  return Math.max(0, lost) / (Math.max(0, received) + Math.max(0, lost));
}
