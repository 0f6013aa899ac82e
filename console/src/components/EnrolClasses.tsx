import type { ClassroomRow } from '@amphi/protocol';
import { type FormEvent, useState } from 'react';
import { enrolClassrooms, searchClassrooms } from '../api.ts';
import { useI18n } from '../i18n.tsx';

/** Finds classes (school, town, académie, region or label) and enrols the ones ticked. */
export function EnrolClasses({ eventId, onEnrolled }: { eventId: string; onEnrolled: () => void }) {
  const { t, errorText } = useI18n();
  const [q, setQ] = useState('');
  const [found, setFound] = useState<{ items: ClassroomRow[]; total: number } | null>(null);
  const [ticked, setTicked] = useState<Set<string>>(new Set());
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  async function search(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setMessage(null);
    try {
      const result = await searchClassrooms(q);
      setFound(result);
      setTicked(new Set());
    } catch (err) {
      setMessage({ ok: false, text: errorText(err) });
    } finally {
      setBusy(false);
    }
  }

  async function enrol(ids: string[]) {
    setBusy(true);
    try {
      const { enrolled } = await enrolClassrooms(eventId, ids);
      setMessage({ ok: true, text: t('enrol.done', { count: enrolled }) });
      setTicked(new Set());
      onEnrolled();
    } catch (err) {
      setMessage({ ok: false, text: errorText(err) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="enrol-classes">
      <h2 id="enrol-classes">{t('enrol.title')}</h2>
      <form onSubmit={search} className="row">
        <label>
          {t('enrol.search')}
          <input type="search" value={q} onChange={(e) => setQ(e.target.value)} />
        </label>
        <button type="submit" disabled={busy}>
          {t('enrol.searchButton')}
        </button>
      </form>
      {found && (
        <>
          <p role="status">{t('enrol.found', { count: found.total, shown: found.items.length })}</p>
          {found.items.length > 0 && (
            <fieldset>
              <legend>{t('enrol.pick')}</legend>
              <ul className="picks">
                {found.items.map((c) => (
                  <li key={c.classroomId}>
                    <label className="inline">
                      <input
                        type="checkbox"
                        checked={ticked.has(c.classroomId)}
                        onChange={(e) =>
                          setTicked((s) => {
                            const next = new Set(s);
                            if (e.target.checked) next.add(c.classroomId);
                            else next.delete(c.classroomId);
                            return next;
                          })
                        }
                      />
                      {t('enrol.row', {
                        label: c.label,
                        school: c.schoolName,
                        town: c.town,
                        academie: c.academie,
                      })}
                    </label>
                  </li>
                ))}
              </ul>
              <div className="actions">
                <button
                  type="button"
                  className="primary"
                  disabled={busy || ticked.size === 0}
                  onClick={() => enrol([...ticked])}
                >
                  {ticked.size === 0
                    ? t('enrol.tickedNone')
                    : t('enrol.ticked', { count: ticked.size })}
                </button>
                <button
                  type="button"
                  disabled={busy}
                  onClick={() => enrol(found.items.map((c) => c.classroomId))}
                >
                  {t('enrol.all', { count: found.items.length })}
                </button>
              </div>
            </fieldset>
          )}
        </>
      )}
      {message && (
        <p role={message.ok ? 'status' : 'alert'} className={message.ok ? 'ok' : 'error'}>
          {message.text}
        </p>
      )}
    </section>
  );
}
