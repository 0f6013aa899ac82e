import type { NetworkCheckReport, ProbeResult } from '../../src/index.ts';

// A class's network check as its browser reports it, for the verdict's tests
// and the server's.

/** A way in that got through in `ms`. */
export const ok = (ms = 100): ProbeResult => ({ ok: true, ms, failure: null });
/** A way in a firewall dropped (no answer). */
export const blocked: ProbeResult = { ok: false, ms: null, failure: 'timeout' };
/** Every way in through. */
export const everything = (): NetworkCheckReport['probes'] => ({
  udp: ok(),
  tcp: ok(),
  'turn-udp': ok(),
  'turn-tls': ok(),
  hls: ok(),
});

/** A check where only `open` got through (the rest blocked), with `extra`. */
export function checkReport(
  open: Partial<NetworkCheckReport['probes']>,
  extra: Partial<NetworkCheckReport> = {},
): NetworkCheckReport {
  return {
    checkId: null,
    probes: {
      udp: blocked,
      tcp: blocked,
      'turn-udp': blocked,
      'turn-tls': blocked,
      hls: blocked,
      ...open,
    },
    downlinkKbps: 900,
    downlinkPath: null,
    framesDecoded: 40,
    browser: { name: 'Chromium', version: '131.0', os: 'Linux', supported: true },
    ...extra,
  };
}
