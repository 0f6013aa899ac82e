import type { RemovedClassroom } from '@amphi/protocol';
import { useI18n } from '../../i18n.tsx';

interface Props {
  /** null until the server has answered. */
  removed: readonly RemovedClassroom[] | null;
  onReinstate: (classroomId: string) => void;
}

/** Classrooms removed from the session, each with the way back in. */
export function RemovedClassrooms({ removed, onReinstate }: Props) {
  const { t } = useI18n();
  if (!removed || removed.length === 0) return null;
  return (
    <section className="panel" aria-labelledby="removed-title">
      <h2 id="removed-title">{t('mod.removedClassrooms', { n: removed.length })}</h2>
      <ul className="mq-list" data-testid="removed-classrooms">
        {removed.map((c) => (
          <li
            key={c.classroomId}
            className="removed-row"
            data-testid="removed-row"
            data-classroom-id={c.classroomId}
          >
            <span>{c.name}</span>
            <button
              type="button"
              className="small"
              aria-label={t('mod.reinstateLabel', { name: c.name })}
              onClick={() => onReinstate(c.classroomId)}
              data-testid="reinstate"
            >
              {t('mod.reinstate')}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
