import type { FirewallOpening } from '@amphi/protocol';

/**
 * The relay's openings from its URLs (`turn:host:3478?transport=udp`,
 * `turns:host:443?transport=tcp`): what a school's IT opens to reach it.
 */
export function relayOpenings(urls: readonly string[]): FirewallOpening[] {
  const out: FirewallOpening[] = [];
  for (const url of urls) {
    const m = /^(turns?):(\[[^\]]+\]|[^:?]+)(?::(\d+))?(?:\?transport=(udp|tcp))?$/.exec(url);
    if (!m) continue;
    const [, scheme, host = '', port, transport] = m;
    const tls = scheme === 'turns';
    out.push({
      protocol: tls || transport === 'tcp' ? 'tcp' : 'udp',
      host,
      port: port ? Number(port) : tls ? 5349 : 3478,
      purpose: 'relay',
    });
  }
  return out;
}

/** The web server's opening from the public URL (the page, the API, the LL-HLS fallback). */
export function webOpenings(publicUrl: string): FirewallOpening[] {
  const url = new URL(publicUrl);
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  return [{ protocol: 'tcp', host: url.hostname, port, purpose: 'web' }];
}
