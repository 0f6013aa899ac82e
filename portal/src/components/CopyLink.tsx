import { useEffect, useId, useState } from 'react';
import { useI18n } from '../i18n.tsx';

/** A link to keep: shown whole, opened, or copied with one button. */
export function CopyLink({ label, hint, url }: { label: string; hint: string; url: string }) {
  const { t } = useI18n();
  const ids = useId();
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(false), 4000);
    return () => clearTimeout(timer);
  }, [copied]);
  return (
    <div className="link-to-keep">
      <h3 id={`${ids}-label`}>{label}</h3>
      <p className="hint">{hint}</p>
      <p className="url">
        <a href={url} target="_blank" rel="noreferrer" aria-describedby={`${ids}-label`}>
          {url}
        </a>
      </p>
      <button
        type="button"
        className="secondary"
        aria-describedby={`${ids}-label`}
        onClick={() => {
          void navigator.clipboard?.writeText(url).then(() => setCopied(true));
        }}
      >
        {t('done.copy')}
      </button>
      <span className="status" aria-live="polite">
        {copied ? t('done.copied') : ''}
      </span>
    </div>
  );
}
