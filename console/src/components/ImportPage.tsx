import type { ImportProblem, ImportResult } from '@amphi/protocol';
import { type FormEvent, useRef, useState } from 'react';
import { ImportRefused, importClassrooms, listEvents } from '../api.ts';
import { csvText } from '../csvText.ts';
import { useI18n } from '../i18n.tsx';
import { useLoad } from '../useLoad.ts';
import { ColumnHeads } from './ColumnHeads.tsx';

/**
 * Schools and classes from a CSV (one line per class, its school on the
 * line). Every line is checked before anything is written: either all of it
 * is imported, or each bad line is listed and nothing changes.
 */
export function ImportPage() {
  const { t, errorText } = useI18n();
  const events = useLoad(listEvents, 'events');
  const file = useRef<HTMLInputElement>(null);
  const [eventId, setEventId] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<ImportResult | null>(null);
  const [problems, setProblems] = useState<ImportProblem[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const report = useRef<HTMLDivElement>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const chosen = file.current?.files?.[0];
    if (!chosen) return;
    setBusy(true);
    setResult(null);
    setProblems(null);
    setError(null);
    try {
      setResult(await importClassrooms(csvText(await chosen.arrayBuffer()), eventId || undefined));
    } catch (err) {
      if (err instanceof ImportRefused) setProblems(err.problems);
      else setError(errorText(err));
    } finally {
      setBusy(false);
      // The report is what the operator reads next.
      setTimeout(() => report.current?.focus(), 0);
    }
  }

  return (
    <section>
      <h1 tabIndex={-1}>{t('import.title')}</h1>
      <p>{t('import.intro')}</p>
      <p className="hint">{t('import.columns')}</p>
      <pre className="sample">{t('import.sample')}</pre>
      <form onSubmit={submit}>
        <label>
          {t('import.file')}
          <input ref={file} type="file" accept=".csv,text/csv" required />
        </label>
        <label>
          {t('import.event')}
          <select value={eventId} onChange={(e) => setEventId(e.target.value)}>
            <option value="">{t('import.noEvent')}</option>
            {events.data?.items
              .filter((ev) => ev.status === 'scheduled' || ev.status === 'live')
              .map((ev) => (
                <option key={ev.id} value={ev.id}>
                  {ev.title}
                </option>
              ))}
          </select>
        </label>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? t('import.busy') : t('import.submit')}
        </button>
      </form>
      <div ref={report} tabIndex={-1} className="report">
        {result && (
          <div role="status" className="ok">
            <h2>{t('import.done')}</h2>
            <ul>
              <li>{t('import.classesCreated', { count: result.classroomsCreated })}</li>
              <li>{t('import.classesExisting', { count: result.classroomsExisting })}</li>
              <li>{t('import.schoolsCreated', { count: result.schoolsCreated })}</li>
              <li>{t('import.schoolsExisting', { count: result.schoolsExisting })}</li>
              {eventId && <li>{t('import.enrolled', { count: result.enrolled })}</li>}
            </ul>
          </div>
        )}
        {problems && (
          <div role="alert" className="error">
            <h2>{t('import.refused', { count: problems.length })}</h2>
            <p>{t('import.nothingImported')}</p>
            <table>
              <ColumnHeads keys={['import.line', 'import.column', 'import.problem']} />
              <tbody>
                {problems.map((p) => (
                  <tr key={`${p.line}:${p.column}:${p.reason}`}>
                    <th scope="row">{p.line}</th>
                    <td>{p.column ?? t('import.wholeLine')}</td>
                    <td>{t(`reason.${p.reason}`, { value: p.value ?? '' })}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {error && (
          <p role="alert" className="error">
            {t('import.failed', { reason: error })}
          </p>
        )}
      </div>
    </section>
  );
}
