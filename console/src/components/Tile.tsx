import type { PluralBase } from '@amphi/app-kit';
import type { ReactNode } from 'react';
import { number } from '../format.ts';
import { type MessageKey, useI18n } from '../i18n.tsx';

/**
 * One figure of the live board or the summary: the number large, in the
 * reader's format, and what it counts under it, in the plural the number takes
 * (« 1 classe connectée », « 2 classes connectées »). `value` shows something
 * else than the count (« 1 sur 50 »); `big` is the figure the screen is about.
 */
export function Tile({
  count,
  label,
  value,
  big = false,
  testId,
}: {
  count: number;
  /** The label's plural key (`board.connected` for `board.connected_one`, `_other`). */
  label: PluralBase<MessageKey>;
  value?: ReactNode;
  big?: boolean;
  testId?: string;
}) {
  const { t, lang } = useI18n();
  return (
    <div className={big ? 'tile big' : 'tile'} data-testid={testId}>
      <span className="value">{value ?? number(count, lang)}</span>
      <span className="label">{t(label, { count })}</span>
    </div>
  );
}
