import { useI18n } from '../i18n.tsx';
import type { NetworkView } from '../session/types.ts';

const QUALITY_KEY = {
  good: 'net.quality.good',
  degraded: 'net.quality.fair',
  bad: 'net.quality.poor',
  offline: 'net.quality.poor',
} as const;

/** The link to the server and the media quality, as they are (never a reassuring green by default). */
export function NetworkStatus({ network }: { network: NetworkView }) {
  const { t } = useI18n();
  const level = !network.online
    ? 'bad'
    : network.status === 'open'
      ? network.quality === 'bad' || network.quality === 'offline'
        ? 'bad'
        : network.quality === 'degraded' || !network.mediaAvailable
          ? 'fair'
          : network.quality === 'good'
            ? 'good'
            : 'unknown'
      : network.status === 'closed'
        ? 'bad'
        : 'fair';
  const link = !network.online ? t('net.offline') : t(`net.${network.status}`);
  const parts = [link];
  const open = network.online && network.status === 'open';
  if (open) {
    parts.push(network.quality ? t(QUALITY_KEY[network.quality]) : t('net.quality.unknown'));
  }
  return (
    <div
      className={`net net--${level}`}
      data-testid="network-status"
      data-status={network.status}
      data-quality={network.quality ?? 'unknown'}
    >
      <span className="net__dot" aria-hidden="true" />
      <span>
        {/* Only the state is announced: the latency figure changes every few seconds. */}
        <span role="status">
          <span className="net__label">{t('net.label')}</span> {parts.join(', ')}
          {network.status === 'open' && !network.mediaAvailable && (
            <span className="net__media"> — {t('net.media.unavailable')}</span>
          )}
        </span>
        {open && network.rttMs !== null && `, ${t('net.rtt', { ms: Math.round(network.rttMs) })}`}
      </span>
    </div>
  );
}
