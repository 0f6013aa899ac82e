import { useI18n } from '../i18n.tsx';

export interface SpeakerDraft {
  /** Null: a speaker to create. */
  id: string | null;
  name: string;
  job: string;
  organisation: string;
  bio: string;
  studyPath: string;
}

/** One speaker of the event: who, their job and organisation, a short bio, their study path. */
export function SpeakerFields({
  index,
  draft,
  onChange,
  onRemove,
}: {
  index: number;
  draft: SpeakerDraft;
  onChange: (next: SpeakerDraft) => void;
  onRemove: (() => void) | undefined;
}) {
  const { t } = useI18n();
  const set = (field: keyof SpeakerDraft) => (e: { target: { value: string } }) =>
    onChange({ ...draft, [field]: e.target.value });
  return (
    <fieldset className="speaker">
      <legend>{t('speaker.legend', { n: index + 1 })}</legend>
      <label>
        {t('speaker.name')}
        <input required maxLength={120} value={draft.name} onChange={set('name')} />
      </label>
      <label>
        {t('speaker.job')}
        <input required maxLength={120} value={draft.job} onChange={set('job')} />
      </label>
      <label>
        {t('speaker.organisation')}
        <input required maxLength={160} value={draft.organisation} onChange={set('organisation')} />
      </label>
      <label>
        {t('speaker.bio')}
        <textarea maxLength={600} rows={2} value={draft.bio} onChange={set('bio')} />
      </label>
      <label>
        {t('speaker.studyPath')}
        <textarea maxLength={600} rows={2} value={draft.studyPath} onChange={set('studyPath')} />
      </label>
      {onRemove && (
        <button type="button" onClick={onRemove}>
          {t('speaker.remove', { n: index + 1 })}
        </button>
      )}
    </fieldset>
  );
}
