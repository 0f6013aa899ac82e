import { useI18n } from '../../i18n.tsx';
import type { SourceCheck } from '../../media/frameProbe.ts';
import type { VideoSource } from '../../program.ts';
import { VideoTile } from '../VideoTile.tsx';

interface Props {
  sources: readonly VideoSource[];
  streams: ReadonlyMap<string, MediaStream>;
  programId: string | null;
  /** Whether the chosen source is on the air (it wears « À l'antenne » only then). */
  onAir: boolean;
  /** Each source's test: one that encodes nothing says so and is refused. */
  checks: ReadonlyMap<string, SourceCheck>;
  /** Sources that sent nothing on the air. */
  failed: ReadonlySet<string>;
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
  onAir: live,
  checks,
  failed,
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
          const chosen = s.id === programId;
          const onAir = chosen && live;
          const check = failed.has(s.id) ? 'unusable' : (checks.get(s.id)?.state ?? 'testing');
          const key = i < 9 ? String(i + 1) : '';
          return (
            <li
              key={s.id}
              className={`preview ${onAir ? 'preview--on-air' : chosen ? 'preview--chosen' : ''}`}
            >
              <button
                type="button"
                className="preview__button"
                aria-pressed={chosen}
                aria-label={t('speaker.switchTo', { label: s.label, key })}
                aria-keyshortcuts={key || undefined}
                onClick={() => onSelect(s.id)}
                data-testid={`camera-switch-${i + 1}`}
                data-source-id={s.id}
                data-on-air={chosen}
                data-check={check}
              >
                <VideoTile
                  source={streams.get(s.id) ?? null}
                  label={s.label}
                  testId={`camera-preview-${i + 1}`}
                />
                <span className="preview__caption">
                  {key && <kbd>{key}</kbd>} {s.label}
                  {check !== 'unusable' && (
                    <span className={`tag ${onAir ? 'tag--live' : ''}`}>
                      {onAir
                        ? t('speaker.onProgram')
                        : chosen
                          ? t('speaker.selected')
                          : check === 'testing'
                            ? t('speaker.testing')
                            : t('speaker.standby')}
                    </span>
                  )}
                </span>
                {check === 'unusable' && (
                  <span className="preview__unusable" data-testid={`camera-unusable-${i + 1}`}>
                    {t('speaker.unusableSource')}
                  </span>
                )}
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
