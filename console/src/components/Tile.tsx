import type { ReactNode } from 'react';

/**
 * One figure of the live board or the summary: the number large, what it
 * counts under it. `big` is the figure the screen is about (classes present).
 */
export function Tile({
  value,
  label,
  big = false,
  testId,
}: {
  value: ReactNode;
  label: string;
  big?: boolean;
  testId?: string;
}) {
  return (
    <div className={big ? 'tile big' : 'tile'} data-testid={testId}>
      <span className="value">{value}</span>
      <span className="label">{label}</span>
    </div>
  );
}
