import { listAudit } from '../api.ts';
import { dateTime } from '../format.ts';
import { useI18n } from '../i18n.tsx';
import { useLoad } from '../useLoad.ts';
import { ColumnHeads } from './ColumnHeads.tsx';
import { LoadState } from './LoadState.tsx';

/** Who did what, newest first: every write from the console or the automation credential. */
export function AuditPage() {
  const { t, lang } = useI18n();
  const audit = useLoad(() => listAudit(200), 'audit');
  return (
    <section>
      <h1 tabIndex={-1}>{t('audit.title')}</h1>
      <p>{t('audit.intro')}</p>
      <LoadState loaded={audit} />
      {audit.data && (
        <div className="scroll">
          <table>
            <caption>
              {t('audit.count', { count: audit.data.total, shown: audit.data.items.length })}
            </caption>
            <ColumnHeads keys={['audit.when', 'audit.who', 'audit.what', 'audit.result']} />
            <tbody>
              {audit.data.items.map((e) => (
                <tr key={e.id}>
                  <td>{dateTime(e.createdAt, lang)}</td>
                  <td>{e.actor === 'automation' ? t('audit.automation') : e.actor}</td>
                  <td>
                    <code>{e.action}</code>
                  </td>
                  <td>
                    {e.statusCode === null
                      ? ''
                      : e.statusCode < 400
                        ? t('audit.ok')
                        : t('audit.refused', { code: e.statusCode })}
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
