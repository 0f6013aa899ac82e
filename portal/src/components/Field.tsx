import type { ReactNode } from 'react';

/** What a field's control takes to be named by its label and described by its hint. */
export interface ControlProps {
  id: string;
  'aria-describedby'?: string;
}

/**
 * A form field: its label, its control, and a hint under it that screen
 * readers read with the control (aria-describedby). The control is built by
 * `children` from the ids it is given.
 */
export function Field({
  id,
  label,
  hint,
  wide = false,
  children,
}: {
  id: string;
  label: string;
  hint?: string;
  /** Takes the room left on its line (the filters' free-text search). */
  wide?: boolean;
  children: (control: ControlProps) => ReactNode;
}) {
  const hintId = `${id}-hint`;
  return (
    <div className={wide ? 'field wide' : 'field'}>
      <label htmlFor={id}>{label}</label>
      {children(hint === undefined ? { id } : { id, 'aria-describedby': hintId })}
      {hint !== undefined && (
        <span className="hint" id={hintId}>
          {hint}
        </span>
      )}
    </div>
  );
}
