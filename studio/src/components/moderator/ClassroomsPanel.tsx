import type { ConnectionQuality, Presence } from '@amphi/protocol';
import { useI18n } from '../../i18n.tsx';
import { ConfirmButton } from '../ConfirmButton.tsx';

const QUALITY_KEY: Record<
  ConnectionQuality,
  'net.quality.good' | 'net.quality.fair' | 'net.quality.poor'
> = {
  good: 'net.quality.good',
  degraded: 'net.quality.fair',
  bad: 'net.quality.poor',
};
/** Struggling classrooms first: they are the ones a moderator may have to help. */
const QUALITY_ORDER: Record<ConnectionQuality, number> = { bad: 0, degraded: 1, good: 2 };

interface Props {
  presence: Presence | null;
  onRemove: (classroomId: string) => void;
}

/** Who is connected: counts, classrooms per region, each classroom with its quality and a remove button. */
export function ClassroomsPanel({ presence, onRemove }: Props) {
  const { t } = useI18n();
  const classrooms = (presence?.participants ?? [])
    .filter((p) => p.role === 'classroom' && p.classroomId)
    .sort(
      (a, b) =>
        QUALITY_ORDER[a.quality ?? 'good'] - QUALITY_ORDER[b.quality ?? 'good'] ||
        (a.region ?? '').localeCompare(b.region ?? '') ||
        a.name.localeCompare(b.name),
    );
  const struggling = classrooms.filter((c) => c.quality === 'bad' || c.quality === 'degraded');
  const regions = Object.entries(presence?.classroomsByRegion ?? {}).sort((a, b) => b[1] - a[1]);
  const counts = presence?.counts ?? { speaker: 0, moderator: 0, classroom: 0 };
  return (
    <section className="panel classrooms" aria-labelledby="classrooms-title">
      <h2 id="classrooms-title">{t('mod.classrooms', { n: counts.classroom })}</h2>
      <p data-testid="presence-counts">
        {[
          t('mod.count.speakers', { count: counts.speaker }),
          t('mod.count.moderators', { count: counts.moderator }),
          t('mod.count.classrooms', { count: counts.classroom }),
        ].join(', ')}
      </p>
      <p
        data-testid="quality-summary"
        data-struggling={struggling.length}
        className={struggling.length > 0 ? 'quality quality--degraded' : 'quality'}
      >
        {t('mod.struggling', { n: struggling.length })}
      </p>
      <h3>{t('mod.byRegion')}</h3>
      <ul className="regions" data-testid="region-counts">
        {regions.map(([region, n]) => (
          <li key={region} data-region={region}>
            <span>{region || t('mod.region.unknown')}</span> <strong>{n}</strong>
          </li>
        ))}
      </ul>
      <table className="classrooms__table">
        <thead>
          <tr>
            <th scope="col">{t('mod.classroom')}</th>
            <th scope="col">{t('mod.region')}</th>
            <th scope="col">{t('mod.quality')}</th>
            <th scope="col">{t('mod.path')}</th>
            <th scope="col">
              <span className="visually-hidden">{t('mod.remove')}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {classrooms.map((c) => {
            const q = c.quality;
            return (
              <tr
                key={c.participantId}
                data-testid="classroom-row"
                data-classroom-id={c.classroomId ?? ''}
                data-quality={q ?? 'unknown'}
                data-path={c.path ?? 'unknown'}
              >
                <td>{c.name}</td>
                <td>{c.region ?? t('mod.region.unknown')}</td>
                <td className={q ? `quality quality--${q}` : 'quality'}>
                  {q ? t(QUALITY_KEY[q]) : t('mod.quality.unknown')}
                </td>
                {/* Direct or through the relay: what to ask the school's IT when a class struggles. */}
                <td className="path">{t(`mod.path.${c.path ?? 'unknown'}`)}</td>
                <td>
                  <ConfirmButton
                    label={t('mod.remove')}
                    ariaLabel={t('mod.removeLabel', { name: c.name })}
                    question={t('mod.confirmRemove', { name: c.name })}
                    confirmLabel={t('mod.remove')}
                    onConfirm={() => c.classroomId && onRemove(c.classroomId)}
                    testId="remove-participant"
                    className="danger small"
                  />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
