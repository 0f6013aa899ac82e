import type { RaisedHand, Stage } from '@amphi/protocol';
import { useI18n } from '../../i18n.tsx';
import { handsInOrder } from '../../live/liveState.ts';

interface Props {
  hands: readonly RaisedHand[];
  stage: Stage | null;
  onStage: (classroomId: string) => void;
  offStage: () => void;
  lowerHand: (classroomId: string) => void;
}

function time(iso: string, lang: string): string {
  return new Date(iso).toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit' });
}

/** Raised hands, oldest first, each one click from the stage; who is on stage now. */
export function HandsPanel({ hands, stage, onStage, offStage, lowerHand }: Props) {
  const { t, lang } = useI18n();
  const ordered = handsInOrder(hands);
  return (
    <section className="panel hands" aria-labelledby="hands-title">
      <h2 id="hands-title">{t('mod.stage')}</h2>
      <div
        className="stage-status"
        data-testid="stage-status"
        data-status={stage?.status ?? 'none'}
      >
        {stage === null ? (
          <p className="empty">{t('mod.stageNone')}</p>
        ) : (
          <p>
            {stage.status === 'invited'
              ? t('mod.stageInvited', { name: stage.classroomName })
              : t('mod.stageLive', { name: stage.classroomName })}{' '}
            <button
              type="button"
              className="danger"
              aria-keyshortcuts="X"
              onClick={offStage}
              data-testid="stage-off"
              data-classroom-id={stage.classroomId}
            >
              {t('mod.offStage')} <kbd>X</kbd>
            </button>
          </p>
        )}
      </div>
      <h3>{t('mod.hands', { n: ordered.length })}</h3>
      {ordered.length === 0 ? (
        <p className="empty">{t('mod.noHands')}</p>
      ) : (
        <ol className="hands__list">
          {ordered.map((h, i) => {
            const isOnStage = stage?.classroomId === h.classroomId;
            return (
              <li key={h.classroomId} data-testid="hand-row" data-classroom-id={h.classroomId}>
                <span className="hands__name">{h.classroomName}</span>{' '}
                <span className="hint">{t('mod.raisedAt', { time: time(h.raisedAt, lang) })}</span>
                <span className="row">
                  {isOnStage ? (
                    <button
                      type="button"
                      className="danger small"
                      onClick={offStage}
                      data-testid="hand-stage-off"
                    >
                      {t('mod.offStage')}
                    </button>
                  ) : (
                    <button
                      type="button"
                      className="primary small"
                      aria-keyshortcuts={i === 0 ? 'S' : undefined}
                      onClick={() => onStage(h.classroomId)}
                      data-testid="stage-on"
                    >
                      {t('mod.onStage')}
                      {i === 0 && <kbd>S</kbd>}
                    </button>
                  )}
                  <button
                    type="button"
                    className="secondary small"
                    onClick={() => lowerHand(h.classroomId)}
                    data-testid="hand-lower"
                  >
                    {t('mod.lowerHand')}
                  </button>
                </span>
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}
