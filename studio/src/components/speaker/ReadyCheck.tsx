import { useEffect, useState } from 'react';
import { useI18n } from '../../i18n.tsx';
import type { SourceCheck } from '../../media/frameProbe.ts';
import { type Outbound, useMicLevel } from '../../media/useMediaChecks.ts';

interface Props {
  onAir: boolean;
  /** The microphone sent (its level is read here: only this panel redraws ten times a second). */
  micTrack: MediaStreamTrack | null;
  muted: boolean;
  hasMic: boolean;
  /** The test of the chosen source. */
  camera: SourceCheck | null;
  /** The chosen source's own size, before going live: what the top quality will be. */
  planned: { width: number; height: number; fps: number | null } | null;
  /** What the sender sends, on the air. */
  outbound: Outbound | null;
  /** The scheduled start (ISO). */
  startsAt: string;
}

/** The level above which the meter says the microphone hears something. */
const HEARD = 0.02;

/**
 * Before and during the live: does the microphone hear, does the camera give
 * an image an encoder takes, and what classrooms receive (read from WebRTC's
 * stats on the air: « rien », in red, when nothing goes out).
 */
export function ReadyCheck({
  onAir,
  micTrack,
  muted,
  hasMic,
  camera,
  planned,
  outbound,
  startsAt,
}: Props) {
  const { t } = useI18n();
  const micLevel = useMicLevel(micTrack);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(id);
  }, []);
  const untilStart = Date.parse(startsAt) - now;
  const receiving = onAir && outbound !== null && outbound.frames > 0 && outbound.width !== null;
  const cameraState = camera?.state ?? 'testing';
  return (
    <section className="panel ready" aria-labelledby="ready-title" data-testid="ready-check">
      <h2 id="ready-title">{t(onAir ? 'ready.titleLive' : 'ready.title')}</h2>
      {!onAir && (
        <p className="ready__countdown" data-testid="countdown">
          {untilStart > 0
            ? t('ready.startsIn', { time: formatCountdown(untilStart) })
            : t('ready.startTimePassed')}
        </p>
      )}
      <dl className="ready__list">
        <div className="ready__item">
          <dt>{t('ready.mic')}</dt>
          <dd>
            <meter
              className="meter"
              aria-label={t('ready.micLevel')}
              min={0}
              max={1}
              low={0.02}
              value={micLevel}
              data-testid="mic-level"
              data-level={micLevel.toFixed(3)}
            />{' '}
            {!hasMic
              ? t('ready.micNone')
              : muted
                ? t('speaker.muted')
                : micLevel > HEARD
                  ? t('ready.micHeard')
                  : t('ready.micSilent')}
          </dd>
        </div>
        <div className="ready__item">
          <dt>{t('ready.camera')}</dt>
          <dd data-testid="camera-check" data-state={cameraState}>
            {camera?.state === 'ok' ? (
              t('ready.cameraOk', { count: camera.frames })
            ) : camera?.state === 'unusable' ? (
              <span className="bad">{t('speaker.unusableSource')}</span>
            ) : camera?.state === 'unknown' ? (
              t('ready.cameraUntested')
            ) : (
              t('ready.cameraTesting')
            )}
          </dd>
        </div>
        <div className="ready__item">
          <dt>{t('ready.classesReceive')}</dt>
          <dd data-testid="classes-receive" data-receiving={receiving}>
            {receiving && outbound ? (
              t('ready.receiving', {
                size: `${outbound.width}×${outbound.height}`,
                fps: Math.round(outbound.fps ?? outbound.frames),
                layers: outbound.layers,
              })
            ) : onAir ? (
              <span className="bad">{t('ready.nothing')}</span>
            ) : planned ? (
              t('ready.planned', {
                size: `${planned.width}×${planned.height}`,
                fps: Math.round(planned.fps ?? 30),
              })
            ) : (
              t('ready.nothingOffAir')
            )}
          </dd>
        </div>
      </dl>
    </section>
  );
}

function formatCountdown(ms: number): string {
  const total = Math.ceil(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h} h ${two(m)}` : `${two(m)}:${two(s)}`;
}
