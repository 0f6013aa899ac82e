import type { NetworkCheckResult } from '@amphi/protocol';
import { useEffect, useRef } from 'react';
import { useCheckI18n } from './i18n.tsx';
import { itRequestLines } from './itRequest.ts';

/** The one verdict, big enough for the back of the room, then what to ask the school's IT. */
export function VerdictPanel({ result }: { result: NetworkCheckResult }) {
  const { t, lang } = useCheckI18n();
  const heading = useRef<HTMLHeadingElement>(null);
  const { verdict, report } = result;
  // Keyboard and screen-reader users land on the verdict when it comes.
  useEffect(() => heading.current?.focus(), []);

  const unsupported = !report.browser.supported;
  // A way in that works on a line too thin for the picture is not « Tout est prêt ».
  const slow =
    verdict.notes.includes('slow-downlink') &&
    (verdict.level === 'ready' || verdict.level === 'relay');
  const title =
    verdict.level === 'impossible' && unsupported
      ? t('verdict.impossibleBrowser')
      : slow
        ? t(verdict.level === 'ready' ? 'verdict.readySlow' : 'verdict.relaySlow')
        : t(`verdict.${verdict.level}`);
  const lines = itRequestLines(verdict.openings, t, lang);
  const when = new Intl.DateTimeFormat(lang, { dateStyle: 'long', timeStyle: 'short' }).format(
    new Date(result.checkedAt),
  );
  const { browser } = report;
  return (
    <section
      className={`check-verdict level-${verdict.level}${slow ? ' slow' : ''}`}
      data-testid="check-verdict"
      data-level={verdict.level}
      data-path={verdict.path ?? ''}
    >
      <h2 ref={heading} tabIndex={-1}>
        {title}
      </h2>
      <p className="check-explain">{slow ? t('explain.slow') : t(`explain.${verdict.level}`)}</p>
      {verdict.notes.length > 0 && (
        <ul className="check-notes">
          {verdict.notes.map((n) => (
            <li key={n}>{t(`note.${n}`)}</li>
          ))}
        </ul>
      )}
      <div className="check-it" data-testid="check-it">
        {lines.length === 0 ? (
          <p>{t('it.nothing')}</p>
        ) : (
          <>
            <h3>{verdict.level === 'ready' ? t('it.optional') : t('it.title')}</h3>
            <ul>
              {lines.map((line) => (
                <li key={line}>{line}</li>
              ))}
            </ul>
          </>
        )}
      </div>
      <ul className="check-facts">
        <li data-testid="check-downlink">
          {report.downlinkKbps === null
            ? t('facts.downlinkNone')
            : // « 45 590 kbit/s », not « 45590 »: digits grouped as the language writes them.
              t('facts.downlink', { kbps: report.downlinkKbps.toLocaleString(lang) })}
        </li>
        <li data-testid="check-browser" data-supported={String(browser.supported)}>
          {t('facts.browser', { name: browser.name, version: browser.version, os: browser.os })}
          {' — '}
          {browser.supported ? t('facts.supported') : t('facts.unsupported')}
        </li>
        <li className="muted">{t('facts.saved', { date: when })}</li>
      </ul>
    </section>
  );
}
