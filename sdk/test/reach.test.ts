import type { IceCandidate, IceServer, TransportOptions } from '@amphi/protocol';
import { describe, expect, it } from 'vitest';
import {
  availableRungs,
  DEFAULT_LADDER,
  heardBack,
  pathOf,
  REMEMBER_PATH_MS,
  rungFor,
  rungOrder,
  storedReachMemory,
  transportOn,
  transportSettings,
} from '../src/reach.ts';

const udp: IceCandidate = {
  foundation: 'udpcandidate',
  priority: 1076302079,
  address: '10.200.0.1',
  protocol: 'udp',
  port: 40000,
  type: 'host',
};
const tcp: IceCandidate = {
  ...udp,
  foundation: 'tcpcandidate',
  protocol: 'tcp',
  tcpType: 'passive',
};
const relay: IceServer = {
  urls: ['turn:turn.example.org:3478?transport=udp', 'turns:turn.example.org:443?transport=tcp'],
  username: '1900000000:participant',
  credential: 'c2VjcmV0',
};

/** A receive transport's report as Chromium gives it, reduced to what the path is read from. */
function report(local: Record<string, unknown>, remote: Record<string, unknown>) {
  return [
    { id: 'T01', type: 'transport', selectedCandidatePairId: 'CP1' },
    {
      id: 'CP1',
      type: 'candidate-pair',
      localCandidateId: 'L1',
      remoteCandidateId: 'R1',
      state: 'succeeded',
      nominated: true,
      responsesReceived: 3,
    },
    { id: 'L1', type: 'local-candidate', ...local },
    { id: 'R1', type: 'remote-candidate', ...remote },
  ];
}

describe('the rungs of the ladder', () => {
  it('go direct first, to the relay only when the server offers one', () => {
    expect(availableRungs(DEFAULT_LADDER, [relay])).toEqual(['direct', 'relay']);
    expect(availableRungs(DEFAULT_LADDER, [])).toEqual(['direct']);
  });

  it('start on the remembered rung, then the others in order', () => {
    expect(rungOrder(['direct', 'relay'], 'relay')).toEqual(['relay', 'direct']);
    // A first join: every way at once, then each alone.
    expect(rungOrder(['direct', 'relay'], null)).toEqual(['any', 'direct', 'relay']);
    expect(rungOrder(['direct'], null)).toEqual(['direct']);
    // A remembered relay on a server without one: from the top.
    expect(rungOrder(['direct'], 'relay')).toEqual(['direct']);
  });

  it('give the browser the worker’s candidates directly, and the relay only on the relay rung', () => {
    expect(transportSettings('direct', [udp, tcp], [relay])).toEqual({
      iceCandidates: [udp, tcp],
      iceServers: [],
      iceTransportPolicy: 'all',
    });
    expect(transportSettings('tcp', [udp, tcp], [relay]).iceCandidates).toEqual([tcp]);
    expect(transportSettings('udp', [udp, tcp], [relay]).iceCandidates).toEqual([udp]);
    expect(transportSettings('relay', [udp, tcp], [relay])).toEqual({
      iceCandidates: [udp, tcp],
      iceServers: [relay],
      iceTransportPolicy: 'relay',
    });
  });

  it('try the worker’s ports and the relay in one ICE session on a first join', () => {
    expect(transportSettings('any', [udp, tcp], [relay])).toEqual({
      iceCandidates: [udp, tcp],
      iceServers: [relay],
      iceTransportPolicy: 'all',
    });
  });

  it('build the server’s transport on the rung: its id and keys as given, the rung’s candidates and relay', () => {
    const server: TransportOptions = {
      transportId: 'b3a0a4d2-5b7e-4c1e-9d0a-2f6f0c1d9e11',
      direction: 'recv',
      iceParameters: { usernameFragment: 'frag', password: 'secret', iceLite: true },
      iceCandidates: [udp, tcp],
      dtlsParameters: { role: 'auto', fingerprints: [] },
    };
    expect(transportOn('tcp', server, [relay])).toEqual({
      id: server.transportId,
      iceParameters: server.iceParameters,
      iceCandidates: [tcp],
      dtlsParameters: server.dtlsParameters,
      iceServers: [],
      iceTransportPolicy: 'all',
    });
    expect(transportOn('relay', server, [relay])).toMatchObject({
      iceCandidates: [udp, tcp],
      iceServers: [relay],
      iceTransportPolicy: 'relay',
    });
  });

  it('remember the relay for a relayed path, the worker’s ports otherwise', () => {
    expect(rungFor('turn-tls')).toBe('relay');
    expect(rungFor('turn-udp')).toBe('relay');
    expect(rungFor('udp')).toBe('direct');
    expect(rungFor('tcp')).toBe('direct');
  });
});

describe('the path a connected transport takes', () => {
  it('is read from the selected candidate pair', () => {
    expect(pathOf(report({ candidateType: 'host', protocol: 'udp' }, { protocol: 'udp' }))).toBe(
      'udp',
    );
    expect(pathOf(report({ candidateType: 'host', protocol: 'tcp' }, { protocol: 'tcp' }))).toBe(
      'tcp',
    );
    // A relayed pair's local candidate says how the browser reaches the relay.
    const viaRelay = (relayProtocol: string) =>
      pathOf(
        report({ candidateType: 'relay', protocol: 'udp', relayProtocol }, { protocol: 'udp' }),
      );
    expect(viaRelay('tls')).toBe('turn-tls');
    expect(viaRelay('tcp')).toBe('turn-tcp');
    expect(viaRelay('udp')).toBe('turn-udp');
  });

  it('is unknown before a pair is selected', () => {
    expect(pathOf([])).toBeNull();
    expect(pathOf([{ id: 'T01', type: 'transport' }])).toBeNull();
  });

  it('finds a nominated pair when the transport entry does not name one', () => {
    const r = report({ candidateType: 'host' }, { protocol: 'tcp' }).filter(
      (x) => x.type !== 'transport',
    );
    expect(pathOf(r)).toBe('tcp');
  });
});

describe('a firewall that answers nothing', () => {
  it('is told from a slow line by the checks answered', () => {
    const checks = (responsesReceived: number, state = 'in-progress') => [
      { id: 'CP1', type: 'candidate-pair', requestsSent: 6, responsesReceived, state },
    ];
    expect(heardBack(checks(0))).toBe(false);
    expect(heardBack(checks(1))).toBe(true);
    expect(heardBack(checks(0, 'succeeded'))).toBe(true);
    expect(heardBack([])).toBe(false);
  });
});

describe('the rung that worked', () => {
  function memory(start = 1_000_000) {
    const items = new Map<string, string>();
    let now = start;
    const storage = {
      getItem: (k: string) => items.get(k) ?? null,
      setItem: (k: string, v: string) => void items.set(k, v),
    };
    return {
      m: storedReachMemory(storage, () => now),
      items,
      later: (ms: number) => {
        now += ms;
      },
    };
  }

  it('is kept for the next join of the day, then forgotten (the class climbs back up)', () => {
    const { m, later } = memory();
    expect(m.load()).toBeNull();
    m.save('relay');
    expect(m.load()).toBe('relay');
    later(REMEMBER_PATH_MS - 1);
    expect(m.load()).toBe('relay');
    later(2);
    expect(m.load()).toBeNull();
  });

  it('survives what another tab or version wrote there', () => {
    const { m, items } = memory();
    items.set('amphi.reach', '{not json');
    expect(m.load()).toBeNull();
    items.set('amphi.reach', JSON.stringify({ rung: 'carrier-pigeon', at: 1_000_000 }));
    expect(m.load()).toBeNull();
    expect(storedReachMemory(null).load()).toBeNull();
  });
});
