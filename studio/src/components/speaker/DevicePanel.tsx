import { useI18n } from '../../i18n.tsx';
import type { LocalMedia } from '../../media/useLocalMedia.ts';

/** Which cameras are previewed, which microphone is sent, and screen sharing. */
export function DevicePanel({ media }: { media: LocalMedia }) {
  const { t } = useI18n();
  return (
    <section className="panel devices" aria-labelledby="devices-title">
      <h2 id="devices-title">{t('speaker.devices')}</h2>
      {media.permission === 'denied' && (
        <p className="alert" role="alert">
          {t('speaker.devicesDenied')}
        </p>
      )}
      {media.permission !== 'granted' && (
        <button
          type="button"
          onClick={() => void media.requestAccess()}
          data-testid="allow-devices"
        >
          {t('speaker.allowDevices')}
        </button>
      )}
      <fieldset>
        <legend>{t('speaker.cameras')}</legend>
        {media.cameras.length === 0 && <p>{t('speaker.noCamera')}</p>}
        {media.cameras.map((d, i) => (
          <label key={d.deviceId} className="check">
            <input
              type="checkbox"
              checked={media.enabledCameras.has(d.deviceId)}
              onChange={() => media.toggleCamera(d.deviceId)}
              data-testid={`camera-enable-${i + 1}`}
            />
            {d.label || t('speaker.camera', { n: i + 1 })}
          </label>
        ))}
      </fieldset>
      <label className="field">
        <span>{t('speaker.microphone')}</span>
        <select
          value={media.micId ?? ''}
          onChange={(e) => media.chooseMic(e.target.value)}
          data-testid="microphone-select"
        >
          {media.microphones.length === 0 && <option value="">{t('speaker.noMicrophone')}</option>}
          {media.microphones.map((d, i) => (
            <option key={d.deviceId} value={d.deviceId}>
              {d.label || `${t('speaker.microphone')} ${i + 1}`}
            </option>
          ))}
        </select>
      </label>
      <div className="row">
        <button type="button" className="secondary" onClick={() => void media.refresh()}>
          {t('speaker.refreshDevices')}
        </button>
      </div>
    </section>
  );
}
