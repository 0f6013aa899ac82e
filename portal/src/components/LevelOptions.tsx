import { ClassroomLevel } from '@amphi/protocol';
import { type MessageKey, useI18n } from '../i18n.tsx';

/** The class levels (6e to Terminale, CAP, BTS…) as a select's options, in school order. */
export function LevelOptions() {
  const { t } = useI18n();
  return ClassroomLevel.options.map((l) => (
    <option key={l} value={l}>
      {t(`level.${l}` as MessageKey)}
    </option>
  ));
}
