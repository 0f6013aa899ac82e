import type { MediaPath } from '@amphi/protocol';
import type { MediaClient, ReachState } from '@amphi/sdk';
import { useI18n } from '../i18n.tsx';
import { useReach } from '../useReach.ts';

/** The words for a path: the class needs to know direct or relay, not the protocol. */
const PATH_KEY: Record<MediaPath, 'reach.udp' | 'reach.tcp' | 'reach.relay' | 'reach.hls'> = {
  udp: 'reach.udp',
  tcp: 'reach.tcp',
  'turn-udp': 'reach.relay',
  'turn-tcp': 'reach.relay',
  'turn-tls': 'reach.relay',
  hls: 'reach.hls',
};

/**
 * What the label says: looking for a way in, the way the picture comes, or
 * that the way in use was cut and the relay is being set up (the picture on
 * screen stands still meanwhile: the class knows why, and that it is coming).
 */
export function reachLabel(reach: ReachState): {
  status: 'trying' | 'connected';
  key: 'reach.trying' | 'reach.rerouting' | 'reach.udp' | 'reach.tcp' | 'reach.relay' | 'reach.hls';
} {
  if (reach.rerouting) return { status: 'trying', key: 'reach.rerouting' };
  // Connected but not yet measured: still "looking", never a guess that changes a moment later.
  if (reach.status !== 'connected' || !reach.path) return { status: 'trying', key: 'reach.trying' };
  return { status: 'connected', key: PATH_KEY[reach.path] };
}

/**
 * Which way the class's media comes in (« Connexion directe », « Connexion via
 * relais »…): said plainly, so that a teacher can tell the school's IT. Nothing
 * before there is media to carry.
 */
export function ConnectionPath({ media, hls }: { media: MediaClient | null; hls?: boolean }) {
  const { t } = useI18n();
  const reach = useReach(media);
  // The ladder's last rung (useHlsFallback), past the media client's own.
  if (hls) {
    return (
      <span
        className="pill reach reach-connected"
        data-testid="reach-path"
        data-status="connected"
        data-path="hls"
      >
        {t('reach.hls')}
      </span>
    );
  }
  if (!reach || reach.status === 'idle') return null;
  const { status, key } = reachLabel(reach);
  return (
    <span
      className={`pill reach reach-${status}`}
      data-testid="reach-path"
      data-status={status}
      data-path={status === 'connected' ? (reach.path ?? '') : ''}
      data-rung={reach.rung}
    >
      {t(key)}
    </span>
  );
}
