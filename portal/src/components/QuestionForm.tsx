import { QuestionCategory } from '@amphi/protocol';
import { type FormEvent, useId, useRef, useState } from 'react';
import { submitQuestion } from '../api.ts';
import { type MessageKey, useI18n } from '../i18n.tsx';
import { Field } from './Field.tsx';

/**
 * A new submission's idempotency key: a retry of the same question sends the
 * same one. 128 random bits from getRandomValues, which, unlike randomUUID,
 * a page served over plain HTTP has too.
 */
const newKey = () =>
  Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('');

/** The class sends a question before the talk, into the moderated queue. */
export function QuestionForm({ token, onSent }: { token: string; onSent: () => void }) {
  const { t, errorText } = useI18n();
  const ids = useId();
  const [category, setCategory] = useState<QuestionCategory>('job_reality');
  const [text, setText] = useState('');
  const [state, setState] = useState<'idle' | 'sending' | 'sent' | 'short' | { error: unknown }>(
    'idle',
  );
  const key = useRef(newKey());

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const question = text.trim();
    if (question.length < 3) {
      setState('short');
      return;
    }
    setState('sending');
    try {
      await submitQuestion(token, { idempotencyKey: key.current, text: question, category });
      key.current = newKey();
      setText('');
      setState('sent');
      onSent();
    } catch (error) {
      setState({ error });
    }
  };

  return (
    <form className="ask" onSubmit={(e) => void submit(e)} aria-labelledby={`${ids}-title`}>
      <h2 id={`${ids}-title`}>{t('class.ask')}</h2>
      <p>{t('class.askIntro')}</p>
      <Field id={`${ids}-category`} label={t('class.category')}>
        {(control) => (
          <select
            {...control}
            value={category}
            onChange={(e) => setCategory(QuestionCategory.parse(e.target.value))}
          >
            {QuestionCategory.options.map((c) => (
              <option key={c} value={c}>
                {t(`class.category.${c}` as MessageKey)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field id={`${ids}-text`} label={t('class.text')} hint={t('class.textHint')}>
        {(control) => (
          <textarea
            {...control}
            rows={3}
            maxLength={500}
            required
            value={text}
            aria-invalid={state === 'short'}
            onChange={(e) => {
              setText(e.target.value);
              // Another text is another question: a new key.
              key.current = newKey();
            }}
          />
        )}
      </Field>
      <p className="status" aria-live="polite">
        {state === 'sent' && t('class.sent')}
        {state === 'short' && t('class.tooShort')}
      </p>
      {typeof state === 'object' && (
        <p className="error" role="alert">
          {t('class.sendError', { reason: errorText(state.error) })}
        </p>
      )}
      <button type="submit" className="primary" disabled={state === 'sending'}>
        {state === 'sending' ? t('class.sending') : t('class.send')}
      </button>
    </form>
  );
}
