import type { ConsoleLink } from '@amphi/protocol';
import { useState } from 'react';
import { issueLinks, linksCsvUrl, listLinks, revokeLink, sheetUrl } from '../api.ts';
import { dateTime } from '../format.ts';
import { useI18n } from '../i18n.tsx';
import { useLoad } from '../useLoad.ts';
import { ColumnHeads } from './ColumnHeads.tsx';
import { LoadState } from './LoadState.tsx';

/** The classes' join links: issue the missing ones, revoke one, export them (CSV, sheet per school). */
export function LinksPanel({ eventId, enrolledCount }: { eventId: string; enrolledCount: number }) {
  const { t, lang, errorText } = useI18n();
  const links = useLoad(() => listLinks(eventId), `links:${eventId}`);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  async function run(work: () => Promise<string>) {
    setBusy(true);
    setMessage(null);
    try {
      setMessage({ ok: true, text: await work() });
      links.reload();
    } catch (err) {
      setMessage({ ok: false, text: errorText(err) });
    } finally {
      setBusy(false);
    }
  }

  const items = links.data?.items ?? [];
  const schools = new Map<string, { name: string; town: string; live: number }>();
  for (const l of items) {
    const s = schools.get(l.schoolId) ?? { name: l.schoolName, town: l.town, live: 0 };
    if (l.url) s.live += 1;
    schools.set(l.schoolId, s);
  }
  const live = items.filter((l) => l.url).length;

  return (
    <section aria-labelledby="links-title">
      <h2 id="links-title">{t('links.title', { count: live })}</h2>
      <div className="actions">
        <button
          type="button"
          className="primary"
          disabled={busy || enrolledCount === 0}
          onClick={() =>
            run(async () => t('links.issued', { count: (await issueLinks(eventId)).issued }))
          }
        >
          {t('links.issueMissing')}
        </button>
        {live > 0 && (
          <a className="button" href={linksCsvUrl(eventId)} download>
            {t('links.exportCsv')}
          </a>
        )}
      </div>
      {message && (
        <p role={message.ok ? 'status' : 'alert'} className={message.ok ? 'ok' : 'error'}>
          {message.text}
        </p>
      )}
      <LoadState loaded={links} />
      {schools.size > 0 && (
        <>
          <h3>{t('links.sheets')}</h3>
          <ul className="sheets">
            {[...schools].map(([schoolId, s]) => (
              <li key={schoolId}>
                <a href={sheetUrl(eventId, schoolId, lang)} target="_blank" rel="noopener">
                  {t('links.sheetOf', { school: s.name, town: s.town, count: s.live })}
                </a>
              </li>
            ))}
          </ul>
        </>
      )}
      {items.length > 0 && (
        <div className="scroll">
          <table>
            <ColumnHeads
              keys={['school.name', 'classroom.label', 'links.state', 'links.link']}
              actions="links.actions"
            />
            <tbody>
              {items.map((l: ConsoleLink) => (
                <tr key={l.tokenId}>
                  <td>{l.schoolName}</td>
                  <th scope="row">{l.classroomLabel}</th>
                  <td>
                    {l.revokedAt
                      ? t('links.revoked')
                      : l.url
                        ? t('links.validUntil', { date: dateTime(l.expiresAt, lang) })
                        : t('links.expired')}
                  </td>
                  <td>
                    {l.url && (
                      <input
                        readOnly
                        className="url"
                        value={l.url}
                        aria-label={t('links.linkOf', {
                          label: l.classroomLabel,
                          school: l.schoolName,
                        })}
                        onFocus={(e) => e.target.select()}
                      />
                    )}
                  </td>
                  <td>
                    {l.url && (
                      <button
                        type="button"
                        disabled={busy}
                        onClick={() =>
                          run(async () => {
                            await revokeLink(eventId, l.tokenId);
                            return t('links.revokedOne', {
                              label: l.classroomLabel,
                              school: l.schoolName,
                            });
                          })
                        }
                      >
                        {t('links.revoke', { label: l.classroomLabel })}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
