import { useState } from 'react';
import { useI18n } from '../i18n.tsx';

interface Props {
  label: string;
  /** Accessible name when the visible label alone is ambiguous (e.g. "Remove" in a list). */
  ariaLabel?: string;
  question: string;
  confirmLabel: string;
  onConfirm: () => void;
  testId: string;
  className?: string;
}

/** A destructive action in two steps, inline (no browser dialog to block the page). */
export function ConfirmButton(props: Props) {
  const { t } = useI18n();
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button
        type="button"
        className={props.className ?? 'danger'}
        aria-label={props.ariaLabel}
        onClick={() => setAsking(true)}
        data-testid={props.testId}
      >
        {props.label}
      </button>
    );
  }
  return (
    <fieldset className="confirm">
      <legend className="visually-hidden">{props.question}</legend>
      <span className="confirm__question" aria-hidden="true">
        {props.question}
      </span>
      <button
        type="button"
        className="danger"
        // biome-ignore lint/a11y/noAutofocus: the confirmation takes focus so Enter confirms
        autoFocus
        onClick={() => {
          setAsking(false);
          props.onConfirm();
        }}
        data-testid={`${props.testId}-confirm`}
      >
        {props.confirmLabel}
      </button>
      <button type="button" className="secondary" onClick={() => setAsking(false)}>
        {t('mod.cancel')}
      </button>
    </fieldset>
  );
}
