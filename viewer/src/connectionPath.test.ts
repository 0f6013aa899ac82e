import { translate } from '@amphi/app-kit';
import type { ReachState } from '@amphi/sdk';
import { describe, expect, it } from 'vitest';
import { reachLabel } from './components/ConnectionPath.tsx';
import { TABLES } from './i18n.tsx';

const said = (lang: 'fr' | 'en', reach: ReachState) =>
  translate(TABLES[lang], lang, reachLabel(reach).key, {});
const connected = (path: ReachState['path']): ReachState => ({
  rung: path?.startsWith('turn') ? 'relay' : 'direct',
  status: 'connected',
  path,
  failed: [],
});

describe('the connection path, as the class reads it', () => {
  it('says direct or relay in plain words, whatever the protocol', () => {
    expect(said('fr', connected('udp'))).toBe('Connexion directe');
    expect(said('fr', connected('tcp'))).toBe('Connexion directe (TCP)');
    for (const path of ['turn-udp', 'turn-tcp', 'turn-tls'] as const) {
      expect(said('fr', connected(path))).toBe('Connexion via relais');
    }
    expect(said('en', connected('turn-tls'))).toBe('Connection via relay');
  });

  it('says it is looking while a rung is tried, and until the path is measured', () => {
    const trying: ReachState = { rung: 'relay', status: 'trying', path: null, failed: ['direct'] };
    expect(said('fr', trying)).toBe('Recherche de la meilleure connexion…');
    expect(reachLabel(connected(null)).status).toBe('trying');
  });

  it('says the line was cut and the relay is coming while the path in use is rerouted', () => {
    const cut: ReachState = { ...connected('udp'), rerouting: true };
    expect(reachLabel(cut).status).toBe('trying');
    expect(said('fr', cut)).toBe('Connexion coupée\u00a0: passage par le relais…');
    expect(said('en', cut)).toBe('Connection cut: switching to the relay…');
  });
});
