import { BACKSTAGE_MAX_LENGTH } from '@amphi/protocol';
import { type FormEvent, useId, useState } from 'react';
import { useBackstage } from '../backstage/useBackstage.ts';
import { useI18n } from '../i18n.tsx';

/**
 * The private line between the moderation and the speakers ("2 minutes left",
 * "the next question is from Guadeloupe"), in the studio and the console alike;
 * classrooms never see it. Newest first.
 */
export function BackstageBox() {
  const { t, errorText, lang } = useI18n();
  const { messages, send } = useBackstage();
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const titleId = useId();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const line = text.trim();
    if (!line || sending) return;
    setSending(true);
    setError(null);
    try {
      await send(line);
      setText('');
    } catch (err) {
      setError(t('backstage.failed', { reason: errorText(err) }));
    } finally {
      setSending(false);
    }
  };
  return (
    <section className="panel backstage" aria-labelledby={titleId} data-testid="backstage">
      <h2 id={titleId}>{t('backstage.title')}</h2>
      <p className="hint">{t('backstage.private')}</p>
      <form className="backstage__form" onSubmit={(e) => void submit(e)}>
        <input
          type="text"
          value={text}
          maxLength={BACKSTAGE_MAX_LENGTH}
          onChange={(e) => setText(e.target.value)}
          aria-label={t('backstage.label')}
          placeholder={t('backstage.placeholder')}
          data-testid="backstage-input"
        />
        <button type="submit" disabled={sending || !text.trim()} data-testid="backstage-send">
          {t('backstage.send')}
        </button>
      </form>
      {error && (
        <p className="alert" role="alert">
          {error}
        </p>
      )}
      {messages.length === 0 ? (
        <p className="empty">{t('backstage.empty')}</p>
      ) : (
        <ol className="backstage__list" role="log" aria-live="polite" data-testid="backstage-list">
          {messages.map((m) => (
            <li
              key={m.id}
              className={`backstage__item backstage__item--${m.fromRole}`}
              data-testid="backstage-message"
              data-from={m.fromRole}
            >
              <span className="backstage__meta">
                <time dateTime={m.sentAt}>
                  {new Date(m.sentAt).toLocaleTimeString(lang === 'fr' ? 'fr-FR' : 'en-GB', {
                    hour: '2-digit',
                    minute: '2-digit',
                  })}
                </time>{' '}
                {t(
                  m.fromRole === 'moderator' ? 'backstage.fromModerator' : 'backstage.fromSpeaker',
                  {
                    name: m.fromName,
                  },
                )}
              </span>
              <span className="backstage__text">{m.text}</span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
