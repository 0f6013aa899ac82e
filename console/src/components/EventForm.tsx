import {
  ClassroomLevel,
  type CreateEventBody,
  EVENT_FORMATS,
  type Event,
  type EventFormat,
} from '@amphi/protocol';
import { type FormEvent, useState } from 'react';
import { createEvent, createSpeaker, updateEvent, updateSpeaker } from '../api.ts';
import { fromLocalInput, toLocalInput } from '../format.ts';
import { useI18n } from '../i18n.tsx';
import { links } from '../route.ts';
import { type SpeakerDraft, SpeakerFields } from './SpeakerFields.tsx';

const emptySpeaker = (): SpeakerDraft => ({
  id: null,
  name: '',
  job: '',
  organisation: '',
  bio: '',
  studyPath: '',
});

const THEME_WEEKS = ['themeWeek.media', 'themeWeek.science', 'themeWeek.sustainable'] as const;

/**
 * A new event, or an event's edit: title, theme week, format, levels, date,
 * what it covers, and its speakers (job, organisation, short bio, study path).
 * Time, format and speakers change only while it is scheduled (the server says so).
 */
export function EventForm({ event, onSaved }: { event?: Event; onSaved?: (e: Event) => void }) {
  const { t, errorText } = useI18n();
  const [title, setTitle] = useState(event?.title ?? '');
  const [themeWeek, setThemeWeek] = useState(event?.themeWeek ?? '');
  const [format, setFormat] = useState<EventFormat>(event?.format ?? 'solo_45');
  const [levels, setLevels] = useState<string[]>(event?.levels ?? []);
  const [startsAt, setStartsAt] = useState(event ? toLocalInput(event.startsAt) : '');
  const [summary, setSummary] = useState(event?.summary ?? '');
  const [description, setDescription] = useState(event?.description ?? '');
  const [enrolmentOpen, setEnrolmentOpen] = useState(event?.enrolmentOpen ?? false);
  const [speakers, setSpeakers] = useState<SpeakerDraft[]>(
    event
      ? event.speakers.map((s) => ({
          id: s.id,
          name: s.name,
          job: s.job,
          organisation: s.organisation,
          bio: '',
          studyPath: s.studyPath ?? '',
        }))
      : [emptySpeaker()],
  );
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const { minSpeakers, maxSpeakers } = EVENT_FORMATS[format];
  const editable = !event || event.status === 'scheduled';

  function chooseFormat(next: EventFormat) {
    setFormat(next);
    const { minSpeakers: min, maxSpeakers: max } = EVENT_FORMATS[next];
    setSpeakers((list) => {
      const out = list.slice(0, max);
      while (out.length < min) out.push(emptySpeaker());
      return out;
    });
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      // Speakers first: the event names them.
      const speakerIds: string[] = [];
      for (const s of speakers) {
        const body = {
          name: s.name.trim(),
          job: s.job.trim(),
          organisation: s.organisation.trim(),
          ...(s.bio.trim() ? { bio: s.bio.trim() } : {}),
          ...(s.studyPath.trim() ? { studyPath: s.studyPath.trim() } : {}),
        };
        speakerIds.push(
          s.id ? (await updateSpeaker(s.id, body)).id : (await createSpeaker(body)).id,
        );
      }
      const fields = {
        title: title.trim(),
        levels: levels as CreateEventBody['levels'] & string[],
      };
      let result: Event;
      if (!event) {
        result = await createEvent({
          ...fields,
          ...(themeWeek.trim() ? { themeWeek: themeWeek.trim() } : {}),
          ...(summary.trim() ? { summary: summary.trim() } : {}),
          ...(description.trim() ? { description: description.trim() } : {}),
          format,
          startsAt: fromLocalInput(startsAt),
          speakerIds,
          enrolmentOpen,
        });
        location.hash = links.event(result.id);
      } else {
        result = await updateEvent(event.id, {
          ...fields,
          themeWeek: themeWeek.trim() || null,
          summary: summary.trim() || null,
          description: description.trim() || null,
          ...(editable ? { format, startsAt: fromLocalInput(startsAt), speakerIds } : {}),
        });
        setSaved(true);
      }
      onSaved?.(result);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} className="event-form">
      {!event && <h1 tabIndex={-1}>{t('eventForm.newTitle')}</h1>}
      <label>
        {t('event.title')}
        <input required maxLength={200} value={title} onChange={(e) => setTitle(e.target.value)} />
      </label>
      <label>
        {t('event.themeWeek')}
        <input
          list="theme-weeks"
          maxLength={120}
          value={themeWeek}
          onChange={(e) => setThemeWeek(e.target.value)}
        />
        <datalist id="theme-weeks">
          {THEME_WEEKS.map((k) => (
            <option key={k} value={t(k)} />
          ))}
        </datalist>
      </label>
      <fieldset disabled={!editable}>
        <legend>{t('event.format')}</legend>
        {(Object.keys(EVENT_FORMATS) as EventFormat[]).map((f) => (
          <label key={f} className="inline">
            <input
              type="radio"
              name="format"
              value={f}
              checked={format === f}
              onChange={() => chooseFormat(f)}
            />
            {t(`format.${f}`)}
          </label>
        ))}
      </fieldset>
      <label>
        {t('event.startsAt')}
        <input
          type="datetime-local"
          required
          disabled={!editable}
          value={startsAt}
          onChange={(e) => setStartsAt(e.target.value)}
        />
      </label>
      <fieldset>
        <legend>{t('event.levels')}</legend>
        {ClassroomLevel.options.map((level) => (
          <label key={level} className="inline">
            <input
              type="checkbox"
              checked={levels.includes(level)}
              onChange={(e) =>
                setLevels((l) => (e.target.checked ? [...l, level] : l.filter((x) => x !== level)))
              }
            />
            {t(`level.${level}`)}
          </label>
        ))}
      </fieldset>
      <label>
        {t('event.summary')}
        <textarea
          maxLength={400}
          rows={2}
          value={summary}
          onChange={(e) => setSummary(e.target.value)}
        />
      </label>
      <label>
        {t('event.description')}
        <textarea
          maxLength={4000}
          rows={5}
          value={description}
          onChange={(e) => setDescription(e.target.value)}
        />
      </label>
      {!event && (
        <label className="inline">
          <input
            type="checkbox"
            checked={enrolmentOpen}
            onChange={(e) => setEnrolmentOpen(e.target.checked)}
          />
          {t('eventForm.openNow')}
        </label>
      )}
      <fieldset disabled={!editable}>
        <legend>{t('event.speakers', { count: speakers.length })}</legend>
        <p className="hint">
          {minSpeakers === maxSpeakers
            ? t('eventForm.speakerExactly', { count: minSpeakers })
            : t('eventForm.speakerCount', { min: minSpeakers, max: maxSpeakers })}
        </p>
        {speakers.map((s, i) => (
          <SpeakerFields
            // biome-ignore lint/suspicious/noArrayIndexKey: a speaker's place in the list is its identity here
            key={i}
            index={i}
            draft={s}
            onChange={(next) => setSpeakers((list) => list.map((x, j) => (j === i ? next : x)))}
            onRemove={
              speakers.length > minSpeakers
                ? () => setSpeakers((list) => list.filter((_, j) => j !== i))
                : undefined
            }
          />
        ))}
        {speakers.length < maxSpeakers && (
          <button type="button" onClick={() => setSpeakers((l) => [...l, emptySpeaker()])}>
            {t('eventForm.addSpeaker')}
          </button>
        )}
      </fieldset>
      {error && (
        <p role="alert" className="error">
          {t('eventForm.failed', { reason: error })}
        </p>
      )}
      {saved && (
        <p role="status" className="ok">
          {t('eventForm.saved')}
        </p>
      )}
      <button type="submit" className="primary" disabled={busy}>
        {event ? t('eventForm.save') : t('eventForm.create')}
      </button>
    </form>
  );
}
