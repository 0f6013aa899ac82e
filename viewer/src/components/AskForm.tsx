import { QuestionCategory } from '@amphi/protocol';
import type { OutgoingQuestion } from '@amphi/sdk';
import { type FormEvent, type RefObject, useState } from 'react';
import { useI18n } from '../i18n.tsx';

/**
 * Ask a question with a category; the moderator reads it before anyone else
 * sees it. Asked while the line is down, it waits in the session's outbox and
 * leaves by itself when the line is back: the form says so, then « envoyée ».
 */
export function AskForm({
  onAsk,
  outbox,
  inputRef,
}: {
  onAsk: (text: string, category: QuestionCategory) => Promise<OutgoingQuestion>;
  outbox: readonly OutgoingQuestion[];
  inputRef: RefObject<HTMLTextAreaElement | null>;
}) {
  const { t, errorText } = useI18n();
  const [text, setText] = useState('');
  const [category, setCategory] = useState<QuestionCategory>('job_reality');
  const [busy, setBusy] = useState(false);
  // What became of the last send, told in the language shown now (the switch may come after).
  const [result, setResult] = useState<
    | { kind: 'sent' }
    | { kind: 'tooShort' }
    | { kind: 'failed'; error: unknown }
    /** Waiting for the line: what it becomes is read from the outbox. */
    | { kind: 'waiting'; key: string }
    | null
  >(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (text.trim().length < 3) {
      setResult({ kind: 'tooShort' });
      return;
    }
    setBusy(true);
    try {
      const asked = await onAsk(text.trim(), category);
      if (asked.status === 'failed') {
        setResult({ kind: 'failed', error: asked.error });
      } else {
        setText('');
        setResult(asked.status === 'sent' ? { kind: 'sent' } : { kind: 'waiting', key: asked.key });
      }
    } catch (err) {
      setResult({ kind: 'failed', error: err });
    } finally {
      setBusy(false);
    }
  };

  const waiting = result?.kind === 'waiting' ? outbox.find((e) => e.key === result.key) : null;
  const queued = outbox.filter((e) => e.status === 'queued' || e.status === 'sending').length;
  let told: { ok: boolean; text: string } | null = null;
  if (result?.kind === 'sent' || waiting?.status === 'sent')
    told = { ok: true, text: t('ask.sent') };
  else if (result?.kind === 'tooShort') told = { ok: false, text: t('ask.tooShort') };
  else if (result?.kind === 'failed' || waiting?.status === 'failed') {
    const error = result?.kind === 'failed' ? result.error : waiting?.error;
    told = { ok: false, text: t('ask.error', { reason: errorText(error) }) };
  } else if (waiting) {
    told = { ok: false, text: t('ask.queued', { count: Math.max(1, queued) }) };
  }

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
        className={`ask-result ${told?.ok ? 'ok' : waiting ? 'waiting' : 'error'}`}
        role="status"
        aria-live="polite"
        data-testid="ask-result"
        data-state={waiting?.status ?? result?.kind ?? 'none'}
      >
        {told?.text}
      </p>
    </form>
  );
}
