import { useI18n } from '../../i18n.tsx';
import type { VideoSource } from '../../program.ts';
import { VideoTile } from '../VideoTile.tsx';

interface Props {
  sources: readonly VideoSource[];
  streams: ReadonlyMap<string, MediaStream>;
  programId: string | null;
  onSelect: (id: string) => void;
  /** A shared screen or document becomes one more source (null while sharing). */
  onShareScreen: (() => void) | null;
  onStopScreen: () => void;
}

/**
 * Every source live (hot standby); one click or its number key puts it on the
 * program. Sharing a screen or a document adds a source, right here.
 */
export function SourcePreviews({
  sources,
  streams,
  programId,
  onSelect,
  onShareScreen,
  onStopScreen,
}: Props) {
  const { t } = useI18n();
  return (
    <section className="panel previews" aria-labelledby="previews-title">
      <h2 id="previews-title">{t('speaker.previews')}</h2>
      <div className="row">
        {onShareScreen ? (
          <button type="button" onClick={onShareScreen} data-testid="share-screen">
            {t('speaker.shareScreen')}
          </button>
        ) : (
          <button type="button" onClick={onStopScreen} data-testid="stop-screen">
            {t('speaker.stopScreen')}
          </button>
        )}
      </div>
      <ul className="previews__grid">
        {sources.map((s, i) => {
          const onAir = s.id === programId;
          const key = i < 9 ? String(i + 1) : '';
          return (
            <li key={s.id} className={`preview ${onAir ? 'preview--on-air' : ''}`}>
              <button
                type="button"
                className="preview__button"
                aria-pressed={onAir}
                aria-label={t('speaker.switchTo', { label: s.label, key })}
                aria-keyshortcuts={key || undefined}
                onClick={() => onSelect(s.id)}
                data-testid={`camera-switch-${i + 1}`}
                data-source-id={s.id}
                data-on-air={onAir}
              >
                <VideoTile
                  source={streams.get(s.id) ?? null}
                  label={s.label}
                  testId={`camera-preview-${i + 1}`}
                />
                <span className="preview__caption">
                  {key && <kbd>{key}</kbd>} {s.label}
                  <span className={`tag ${onAir ? 'tag--live' : ''}`}>
                    {onAir ? t('speaker.onProgram') : t('speaker.standby')}
                  </span>
                </span>
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
