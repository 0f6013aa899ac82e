import { listEvents } from '../api.ts';
import { dateTime } from '../format.ts';
import { useI18n } from '../i18n.tsx';
import { links } from '../route.ts';
import { useLoad } from '../useLoad.ts';
import { ColumnHeads } from './ColumnHeads.tsx';
import { LoadState } from './LoadState.tsx';

/** Every event, soonest first, with its state and whether teachers may enrol. */
export function EventList() {
  const { t, lang } = useI18n();
  const events = useLoad(listEvents, 'events');
  return (
    <section>
      <div className="title-row">
        <h1 tabIndex={-1}>{t('events.title')}</h1>
        <a className="button primary" href={links.newEvent}>
          {t('events.new')}
        </a>
      </div>
      <LoadState loaded={events} />
      {events.data && events.data.items.length === 0 && <p>{t('events.none')}</p>}
      {events.data && events.data.items.length > 0 && (
        <table>
          <caption>{t('events.count', { count: events.data.total })}</caption>
          <ColumnHeads
            keys={[
              'event.title',
              'event.startsAt',
              'event.themeWeek',
              'event.status',
              'event.enrolment',
            ]}
          />
          <tbody>
            {events.data.items.map((e) => (
              <tr key={e.id}>
                <th scope="row">
                  <a href={links.event(e.id)}>{e.title}</a>
                </th>
                <td>{dateTime(e.startsAt, lang)}</td>
                <td>{e.themeWeek ?? t('event.noThemeWeek')}</td>
                <td>
                  <span className={`badge status-${e.status}`}>{t(`status.${e.status}`)}</span>
                </td>
                <td>{e.enrolmentOpen ? t('enrolment.open') : t('enrolment.closed')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
