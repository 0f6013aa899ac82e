import { QuestionCategory } from '@amphi/protocol';
import { type FormEvent, type RefObject, useState } from 'react';
import { useI18n } from '../i18n.tsx';

/** Ask a question with a category; the moderator reads it before anyone else sees it. */
export function AskForm({
  onAsk,
  inputRef,
}: {
  onAsk: (text: string, category: QuestionCategory) => Promise<void>;
  inputRef: RefObject<HTMLTextAreaElement | null>;
}) {
  const { t, errorText } = useI18n();
  const [text, setText] = useState('');
  const [category, setCategory] = useState<QuestionCategory>('job_reality');
  const [busy, setBusy] = useState(false);
  // What became of the last send, told in the language shown now (the switch may come after).
  const [result, setResult] = useState<
    { kind: 'sent' } | { kind: 'tooShort' } | { kind: 'failed'; error: unknown } | null
  >(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (text.trim().length < 3) {
      setResult({ kind: 'tooShort' });
      return;
    }
    setBusy(true);
    try {
      await onAsk(text.trim(), category);
      setText('');
      setResult({ kind: 'sent' });
    } catch (err) {
      setResult({ kind: 'failed', error: err });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="panel ask" onSubmit={submit} data-testid="ask-form">
      <h2>{t('ask.title')}</h2>
      <textarea
        ref={inputRef}
        value={text}
        maxLength={500}
        rows={3}
        placeholder={t('ask.placeholder')}
        aria-label={t('ask.title')}
        aria-keyshortcuts="Q"
        onChange={(e) => setText(e.target.value)}
      />
      <label>
        {t('ask.category')}{' '}
        <select value={category} onChange={(e) => setCategory(e.target.value as QuestionCategory)}>
          {QuestionCategory.options.map((c) => (
            <option key={c} value={c}>
              {t(`category.${c}`)}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" className="big-button" disabled={busy}>
        {busy ? t('ask.sending') : t('ask.send')}
      </button>
      {/* Present before any result, so that screen readers announce each one. */}
      <p
        className={`ask-result ${result?.kind === 'sent' ? 'ok' : 'error'}`}
        role="status"
        aria-live="polite"
        data-testid="ask-result"
      >
        {result?.kind === 'sent' && t('ask.sent')}
        {result?.kind === 'tooShort' && t('ask.tooShort')}
        {result?.kind === 'failed' && t('ask.error', { reason: errorText(result.error) })}
      </p>
    </form>
  );
}
