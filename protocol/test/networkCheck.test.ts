import { describe, expect, it } from 'vitest';
import {
  type NetworkEndpoints,
  NetworkVerdict,
  networkVerdict,
  openingsByHost,
  type ProbeResult,
  SLOW_DOWNLINK_KBPS,
} from '../src/index.ts';
import { checkReport, everything, ok } from './support/networkCheckReport.ts';

const notOffered: ProbeResult = { ok: false, ms: null, failure: 'not-offered' };

const endpoints: NetworkEndpoints = {
  direct: [
    { protocol: 'udp', host: '203.0.113.5', port: 40000, purpose: 'direct' },
    { protocol: 'tcp', host: '203.0.113.5', port: 40000, purpose: 'direct' },
  ],
  relay: [
    { protocol: 'udp', host: 'turn.amphi.example', port: 3478, purpose: 'relay' },
    { protocol: 'tcp', host: 'turn.amphi.example', port: 443, purpose: 'relay' },
  ],
  web: [{ protocol: 'tcp', host: 'amphi.example', port: 443, purpose: 'web' }],
};

describe('the network check verdict', () => {
  it('open network: direct over UDP, nothing to ask', () => {
    const v = networkVerdict(checkReport(everything()), endpoints);
    expect(v).toEqual({ level: 'ready', path: 'udp', notes: [], openings: [] });
    expect(NetworkVerdict.parse(v)).toEqual(v);
  });

  it('UDP blocked: still direct, over ICE-TCP; UDP to the media server would be smoother', () => {
    const v = networkVerdict(
      checkReport({ tcp: ok(), 'turn-tls': ok(), hls: ok() }, { downlinkKbps: 800 }),
      endpoints,
    );
    expect(v.level).toBe('ready');
    expect(v.path).toBe('tcp');
    expect(v.notes).toEqual(['udp-blocked']);
    expect(v.openings).toEqual([endpoints.direct[0]]);
  });

  it('only TCP 443 to the relay: through the relay over TLS; asks UDP 3478 first', () => {
    const v = networkVerdict(checkReport({ 'turn-tls': ok(), hls: ok() }), endpoints);
    expect(v.level).toBe('relay');
    expect(v.path).toBe('turn-tls');
    expect(v.notes).toEqual(['relay-tls-only']);
    expect(v.openings.map((o) => `${o.protocol} ${o.port} ${o.purpose}`)).toEqual([
      'udp 3478 relay',
      'udp 40000 direct',
    ]);
  });

  it('the relay over UDP beats TLS', () => {
    const v = networkVerdict(checkReport({ 'turn-udp': ok(), 'turn-tls': ok() }), endpoints);
    expect(v.path).toBe('turn-udp');
    expect(v.notes).toEqual([]);
    expect(v.openings.every((o) => o.purpose === 'direct')).toBe(true);
  });

  it('only the web server: the fallback; asks « UDP 3478 et TCP 443 » to the relay first', () => {
    const v = networkVerdict(checkReport({ hls: ok() }, { downlinkKbps: 2000 }), endpoints);
    expect(v.level).toBe('fallback');
    expect(v.path).toBe('hls');
    expect(openingsByHost(v.openings)[0]).toEqual({
      host: 'turn.amphi.example',
      purpose: 'relay',
      ports: [
        { protocol: 'udp', port: 3478 },
        { protocol: 'tcp', port: 443 },
      ],
    });
    expect(v.openings.some((o) => o.purpose === 'web')).toBe(false);
  });

  it('nothing gets through: impossible, and the web server is asked too', () => {
    const v = networkVerdict(
      checkReport({}, { downlinkKbps: null, framesDecoded: null }),
      endpoints,
    );
    expect(v).toMatchObject({ level: 'impossible', path: null, notes: [] });
    expect(v.openings.map((o) => o.purpose)).toEqual(['relay', 'relay', 'direct', 'direct', 'web']);
  });

  it('no relay offered by the server: a blocked school is asked for the media ports', () => {
    const v = networkVerdict(
      checkReport({ 'turn-udp': notOffered, 'turn-tls': notOffered, hls: ok() }),
      { ...endpoints, relay: [] },
    );
    expect(v.level).toBe('fallback');
    expect(v.openings.map((o) => `${o.protocol} ${o.port}`)).toEqual(['udp 40000', 'tcp 40000']);
  });

  it('a browser without WebRTC cannot use what connected: the fallback, and says why', () => {
    const v = networkVerdict(
      checkReport(everything(), {
        browser: { name: 'Old', version: '1', os: 'Windows', supported: false },
      }),
      endpoints,
    );
    expect(v.level).toBe('fallback');
    expect(v.notes).toContain('browser-unsupported');
  });

  it('a slow line or no picture is said beside the level, without changing it', () => {
    const slow = networkVerdict(
      checkReport(everything(), { downlinkKbps: SLOW_DOWNLINK_KBPS - 1 }),
      endpoints,
    );
    expect(slow).toMatchObject({ level: 'ready', notes: ['slow-downlink'] });
    const dark = networkVerdict(checkReport(everything(), { framesDecoded: 0 }), endpoints);
    expect(dark.notes).toEqual(['no-picture']);
    const unmeasured = networkVerdict(checkReport(everything(), { downlinkKbps: null }), endpoints);
    expect(unmeasured.notes).toEqual([]);
  });
});
