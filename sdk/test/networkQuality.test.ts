import { describe, expect, it } from 'vitest';
import {
  classifyQuality,
  lossBetween,
  mergeCounters,
  type QualitySample,
  readCounters,
  worstTransportState,
} from '../src/networkQuality.ts';

const fine: QualitySample = {
  signaling: 'open',
  transport: 'connected',
  rttMs: 40,
  lossRate: 0,
  availableKbps: 2500,
};

describe('network quality', () => {
  it('is good on a healthy school network, missing measures counting as fine', () => {
    expect(classifyQuality(fine)).toBe('good');
    expect(classifyQuality({ ...fine, rttMs: null, lossRate: null, availableKbps: null })).toBe(
      'good',
    );
  });

  it('degrades with latency, loss or little bandwidth', () => {
    expect(classifyQuality({ ...fine, rttMs: 450 })).toBe('degraded');
    expect(classifyQuality({ ...fine, lossRate: 0.05 })).toBe('degraded');
    expect(classifyQuality({ ...fine, availableKbps: 300 })).toBe('degraded');
    expect(classifyQuality({ ...fine, transport: 'connecting' })).toBe('degraded');
    expect(classifyQuality({ ...fine, transport: 'new' })).toBe('good');
  });

  it('is bad when the talk breaks up', () => {
    expect(classifyQuality({ ...fine, rttMs: 1200 })).toBe('bad');
    expect(classifyQuality({ ...fine, lossRate: 0.2 })).toBe('bad');
    expect(classifyQuality({ ...fine, availableKbps: 80 })).toBe('bad');
    expect(classifyQuality({ ...fine, transport: 'disconnected' })).toBe('bad');
  });

  it('is offline while the socket reconnects or the media transport failed', () => {
    expect(classifyQuality({ ...fine, signaling: 'reconnecting' })).toBe('offline');
    expect(classifyQuality({ ...fine, signaling: 'closed' })).toBe('offline');
    expect(classifyQuality({ ...fine, transport: 'failed' })).toBe('offline');
    // Nothing arrives any more on a transport still said connected: the media line is cut.
    expect(classifyQuality({ ...fine, stalled: true })).toBe('offline');
    expect(classifyQuality({ ...fine, stalled: false })).toBe('good');
  });

  it('takes the worst transport state', () => {
    expect(worstTransportState([])).toBeNull();
    expect(worstTransportState(['connected', 'disconnected', 'connecting'])).toBe('disconnected');
    expect(worstTransportState(['connected', 'connected'])).toBe('connected');
  });

  it('reads RTT and loss from a receive transport, never its outgoing estimate', () => {
    const pair = {
      type: 'candidate-pair',
      nominated: true,
      state: 'succeeded',
      currentRoundTripTime: 0.12,
      // What Chromium reports on a receive-only connection, on any network.
      availableOutgoingBitrate: 300_000,
    };
    const first = readCounters(
      [
        { type: 'inbound-rtp', kind: 'video', packetsReceived: 1000, packetsLost: 10 },
        { type: 'inbound-rtp', kind: 'audio', packetsReceived: 500, packetsLost: 0 },
        pair,
        { type: 'candidate-pair', nominated: false, currentRoundTripTime: 9 },
      ],
      { uplink: false },
    );
    expect(first).toEqual({
      packetsReceived: 1500,
      packetsLost: 10,
      rttMs: 120,
      availableKbps: null,
    });
    const next = { ...first, packetsReceived: 1590, packetsLost: 20 };
    expect(lossBetween(first, next)).toBe(0.1);
    expect(lossBetween(next, next)).toBeNull();
    expect(
      classifyQuality({ ...fine, rttMs: first.rttMs, availableKbps: first.availableKbps }),
    ).toBe('good');

    // The same pair on a sending transport: its estimate is the uplink's.
    const uplink = readCounters([pair], { uplink: true });
    expect(uplink.availableKbps).toBe(300);
    expect(mergeCounters([first, uplink])).toEqual({
      packetsReceived: 1500,
      packetsLost: 10,
      rttMs: 120,
      availableKbps: 300,
    });
  });

  it("counts only the picture's and the voice's packets, not the bandwidth probes mediasoup-client receives beside them", () => {
    // The probator: the server's probes on a thin line, a third of them lost.
    const read = (probes: number, video: number, audio: number) =>
      readCounters(
        [
          { type: 'inbound-rtp', kind: 'video', mid: '0', packetsReceived: video, packetsLost: 0 },
          { type: 'inbound-rtp', kind: 'audio', mid: '1', packetsReceived: audio, packetsLost: 0 },
          {
            type: 'inbound-rtp',
            kind: 'video',
            mid: 'probator',
            packetsReceived: probes * 2,
            packetsLost: probes,
          },
        ],
        { uplink: false },
      );
    const first = read(30, 1000, 500);
    const next = read(90, 1100, 550);
    expect(first).toMatchObject({ packetsReceived: 1500, packetsLost: 0 });
    expect(lossBetween(first, next)).toBe(0);
    expect(classifyQuality({ ...fine, lossRate: lossBetween(first, next) })).toBe('good');
  });
});
