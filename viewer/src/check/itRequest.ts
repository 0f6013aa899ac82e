import type { Lang } from '@amphi/app-kit';
import { type FirewallOpening, openingsByHost } from '@amphi/protocol';

/**
 * What to ask the school's IT, one line per host, as a person says it:
 * « ouvrir UDP 3478 et TCP 443 vers turn.example.org (relais) ».
 */
export function itRequestLines(
  openings: readonly FirewallOpening[],
  t: (
    key: 'it.open' | `it.purpose.${FirewallOpening['purpose']}`,
    vars?: Record<string, string>,
  ) => string,
  lang: Lang,
): string[] {
  const list = new Intl.ListFormat(lang === 'fr' ? 'fr' : 'en', { type: 'conjunction' });
  return openingsByHost(openings).map((group) => {
    const ports = list.format(group.ports.map((p) => `${p.protocol.toUpperCase()} ${p.port}`));
    return `${t('it.open', { ports, host: group.host })} ${t(`it.purpose.${group.purpose}`)}`;
  });
}
