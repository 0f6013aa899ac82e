import type { MediaPath } from '../media.ts';
import type {
  FirewallOpening,
  NetworkCheckReport,
  NetworkEndpoints,
  NetworkVerdict,
  NetworkVerdictLevel,
  VerdictNote,
} from '../networkCheck.ts';

/**
 * Below this received bitrate (kbit/s) not even the lowest simulcast layer
 * (150 kbit/s) with its Opus sound (64) gets through whole: the class will
 * hear the talk, the picture will be small or freeze.
 */
export const SLOW_DOWNLINK_KBPS = 200;

/** The ways in over WebRTC, in the order the viewer's ladder prefers them. */
const WEBRTC_ORDER = ['udp', 'tcp', 'turn-udp', 'turn-tls'] as const;

const LEVEL_OF: Record<MediaPath, NetworkVerdictLevel> = {
  udp: 'ready',
  tcp: 'ready',
  'turn-udp': 'relay',
  'turn-tcp': 'relay',
  'turn-tls': 'relay',
  hls: 'fallback',
};

/**
 * The one verdict of a network check: the way the class will come in on the
 * day (the best that worked, in the ladder's order; WebRTC only where the
 * browser supports it), and what to ask the school's IT to open for a better
 * one. Written once: the server stores it, the check page shows it.
 *
 * What to open, most useful first:
 * - direct over UDP: nothing;
 * - direct over TCP: UDP to the media server (smoother than TCP);
 * - through the relay: the media server directly (UDP, then TCP); over TLS
 *   only, also UDP to the relay;
 * - the fallback or nothing: the relay (« UDP 3478 et TCP 443 »: the
 *   smallest opening that gives live video), then the media server directly;
 *   the web server too if even the fallback failed.
 */
export function networkVerdict(
  report: Pick<NetworkCheckReport, 'probes' | 'downlinkKbps' | 'framesDecoded' | 'browser'>,
  endpoints: NetworkEndpoints,
): NetworkVerdict {
  const { probes, browser } = report;
  const webrtc = browser.supported ? WEBRTC_ORDER.find((p) => probes[p].ok) : undefined;
  const path: MediaPath | null = webrtc ?? (probes.hls.ok ? 'hls' : null);
  const level: NetworkVerdictLevel = path ? LEVEL_OF[path] : 'impossible';

  const notes: VerdictNote[] = [];
  if (!browser.supported) notes.push('browser-unsupported');
  if (path === 'tcp') notes.push('udp-blocked');
  if (path === 'turn-tls') notes.push('relay-tls-only');
  if (path && report.downlinkKbps !== null && report.downlinkKbps < SLOW_DOWNLINK_KBPS) {
    notes.push('slow-downlink');
  }
  if (path && path !== 'hls' && report.downlinkKbps !== null && report.framesDecoded === 0) {
    notes.push('no-picture');
  }

  const udp = (o: FirewallOpening) => o.protocol === 'udp';
  let wanted: FirewallOpening[];
  switch (path) {
    case 'udp':
      wanted = [];
      break;
    case 'tcp':
      wanted = endpoints.direct.filter(udp);
      break;
    case 'turn-udp':
      wanted = [...endpoints.direct.filter(udp), ...endpoints.direct.filter((o) => !udp(o))];
      break;
    case 'turn-tls':
      wanted = [...endpoints.relay.filter(udp), ...endpoints.direct.filter(udp)];
      break;
    default:
      wanted = [
        ...endpoints.relay,
        ...endpoints.direct.filter(udp),
        ...endpoints.direct.filter((o) => !udp(o)),
        ...(probes.hls.ok ? [] : endpoints.web),
      ];
  }
  return { level, path, notes, openings: dedupe(wanted) };
}

function dedupe(openings: FirewallOpening[]): FirewallOpening[] {
  const seen = new Set<string>();
  return openings.filter((o) => {
    const key = `${o.protocol}:${o.host}:${o.port}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Openings grouped the way a person says them: per host and purpose, the
 * protocols with their ports (« UDP 3478 et TCP 443 vers turn.example.org »).
 */
export function openingsByHost(openings: readonly FirewallOpening[]): {
  host: string;
  purpose: FirewallOpening['purpose'];
  ports: { protocol: 'udp' | 'tcp'; port: number }[];
}[] {
  const groups = new Map<
    string,
    {
      host: string;
      purpose: FirewallOpening['purpose'];
      ports: { protocol: 'udp' | 'tcp'; port: number }[];
    }
  >();
  for (const o of openings) {
    const key = `${o.purpose} ${o.host}`;
    const group = groups.get(key) ?? { host: o.host, purpose: o.purpose, ports: [] };
    group.ports.push({ protocol: o.protocol, port: o.port });
    groups.set(key, group);
  }
  return [...groups.values()];
}
