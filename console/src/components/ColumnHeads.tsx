import { type MessageKey, useI18n } from '../i18n.tsx';

/**
 * A table's column headings, named by their message keys. `actions` names a
 * last column of buttons for screen readers only (its buttons say what they do).
 */
export function ColumnHeads({ keys, actions }: { keys: MessageKey[]; actions?: MessageKey }) {
  const { t } = useI18n();
  return (
    <thead>
      <tr>
        {keys.map((key) => (
          <th key={key} scope="col">
            {t(key)}
          </th>
        ))}
        {actions && (
          <th scope="col">
            <span className="visually-hidden">{t(actions)}</span>
          </th>
        )}
      </tr>
    </thead>
  );
}
