import { translate, translationTableProblems } from '@amphi/app-kit';
import type { FirewallOpening } from '@amphi/protocol';
import { describe, expect, it } from 'vitest';
import { CHECK_TABLES } from './i18n.tsx';
import { itRequestLines } from './itRequest.ts';

const relay: FirewallOpening[] = [
  { protocol: 'udp', host: 'turn.amphi.example', port: 3478, purpose: 'relay' },
  { protocol: 'tcp', host: 'turn.amphi.example', port: 443, purpose: 'relay' },
  { protocol: 'udp', host: '203.0.113.5', port: 40000, purpose: 'direct' },
];

describe('the network check page’s words', () => {
  it('has every string in French and in English; French with no-break spaces, no point médian', () => {
    expect(translationTableProblems(CHECK_TABLES)).toEqual([]);
  });

  it('says what to ask the school’s IT as a person would, one line per host', () => {
    const t = (lang: 'fr' | 'en') => (key: string, vars?: Record<string, string>) =>
      translate(CHECK_TABLES[lang], lang, key, vars);
    expect(itRequestLines(relay, t('fr'), 'fr')).toEqual([
      'ouvrir UDP 3478 et TCP 443 vers turn.amphi.example (relais)',
      'ouvrir UDP 40000 vers 203.0.113.5 (serveur vidéo, connexion directe)',
    ]);
    expect(itRequestLines(relay, t('en'), 'en')[0]).toBe(
      'open UDP 3478 and TCP 443 to turn.amphi.example (relay)',
    );
    expect(itRequestLines([], t('fr'), 'fr')).toEqual([]);
  });
});
