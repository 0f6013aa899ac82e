import type { Event } from '@amphi/protocol';
import { useState } from 'react';
import { getEvent, setEnrolment, setStatus } from '../api.ts';
import { dateTime } from '../format.ts';
import { useI18n } from '../i18n.tsx';
import { type EventTab, links } from '../route.ts';
import { useLoad } from '../useLoad.ts';
import { EnrolmentsPanel } from './EnrolmentsPanel.tsx';
import { EventForm } from './EventForm.tsx';
import { LiveBoard } from './LiveBoard.tsx';
import { LoadState } from './LoadState.tsx';
import { SummaryPanel } from './SummaryPanel.tsx';

const TABS: EventTab[] = ['details', 'enrolments', 'live', 'summary'];

/** One event: its state and the operator's switches, then a tab per task. */
export function EventPage({ eventId, tab }: { eventId: string; tab: EventTab }) {
  const { t, lang, errorText } = useI18n();
  const loaded = useLoad(() => getEvent(eventId), eventId);
  const [event, setEvent] = useState<Event | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const shown = event?.id === eventId ? event : loaded.data;

  async function act(change: () => Promise<Event>) {
    setBusy(true);
    setError(null);
    try {
      setEvent(await change());
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  if (!shown) {
    return (
      <section>
        <h1 tabIndex={-1}>{t('event.loadingTitle')}</h1>
        <LoadState loaded={loaded} />
      </section>
    );
  }
  return (
    <section>
      <p className="crumbs">
        <a href={links.events}>{t('nav.events')}</a>
      </p>
      <h1 tabIndex={-1}>{shown.title}</h1>
      <p className="facts">
        <span className={`badge status-${shown.status}`}>{t(`status.${shown.status}`)}</span>{' '}
        {dateTime(shown.startsAt, lang)}, {t(`format.${shown.format}`)}.{' '}
        <strong>{shown.enrolmentOpen ? t('enrolment.open') : t('enrolment.closed')}</strong>
      </p>
      <div className="actions">
        {shown.enrolmentOpen ? (
          <button
            type="button"
            disabled={busy}
            onClick={() => act(() => setEnrolment(shown.id, false))}
          >
            {t('event.closeEnrolment')}
          </button>
        ) : (
          <button
            type="button"
            disabled={busy || shown.status === 'ended' || shown.status === 'cancelled'}
            onClick={() => act(() => setEnrolment(shown.id, true))}
          >
            {t('event.openEnrolment')}
          </button>
        )}
        {shown.status === 'scheduled' && (
          <button
            type="button"
            className="primary"
            disabled={busy}
            onClick={() => act(() => setStatus(shown.id, 'live'))}
          >
            {t('event.start')}
          </button>
        )}
        {shown.status === 'live' && (
          <button
            type="button"
            className="danger"
            disabled={busy}
            onClick={() => {
              if (window.confirm(t('event.endConfirm')))
                void act(() => setStatus(shown.id, 'ended'));
            }}
          >
            {t('event.end')}
          </button>
        )}
      </div>
      {error && (
        <p role="alert" className="error">
          {t('event.actionFailed', { reason: error })}
        </p>
      )}
      <nav className="tabs" aria-label={t('event.tabs')}>
        <ul>
          {TABS.map((name) => (
            <li key={name}>
              <a
                href={links.event(shown.id, name)}
                aria-current={tab === name ? 'page' : undefined}
              >
                {t(`tab.${name}`)}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      {tab === 'details' && <EventForm key={shown.id} event={shown} onSaved={setEvent} />}
      {tab === 'enrolments' && <EnrolmentsPanel event={shown} />}
      {tab === 'live' && <LiveBoard eventId={shown.id} />}
      {tab === 'summary' && <SummaryPanel eventId={shown.id} />}
    </section>
  );
}
