import type { ModerateQuestion, Question } from '@amphi/protocol';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useI18n } from '../../i18n.tsx';
import { handsInOrder } from '../../live/liveState.ts';
import { approvedQueue, doneQuestions, pendingQueue } from '../../questions.ts';
import type { StudioSession } from '../../session/types.ts';
import { keyLike, moderatorAction } from '../../shortcuts.ts';
import { Header } from '../Header.tsx';
import { SessionTimer } from '../SessionTimer.tsx';
import { StagePanel } from '../StagePanel.tsx';
import { VideoTile } from '../VideoTile.tsx';
import { ClassroomsPanel } from './ClassroomsPanel.tsx';
import { HandsPanel } from './HandsPanel.tsx';
import { actionsFor, QuestionRow, type RowAction, type RowMode } from './QuestionRow.tsx';
import { ShortcutHelp } from './ShortcutHelp.tsx';

/** The moderator's console: triage, the speaker's queue, hands and stage, who is connected. */
export function ModeratorConsole({ session }: { session: StudioSession }) {
  const { t, errorText } = useI18n();
  const { state, network, remotes, request } = session;
  const pending = useMemo(() => pendingQueue(state.questions), [state.questions]);
  const approved = useMemo(() => approvedQueue(state.questions), [state.questions]);
  const done = useMemo(() => doneQuestions(state.questions), [state.questions]);
  const navigable = useMemo(() => [...pending, ...approved], [pending, approved]);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [mode, setMode] = useState<RowMode>('view');
  const [help, setHelp] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const previousOrder = useRef<string[]>([]);

  // Keep a selection: when the selected question leaves the list (approved
  // questions move, rejected ones vanish), select the one that followed it.
  useEffect(() => {
    const ids = navigable.map((q) => q.id);
    setSelectedId((current) => {
      if (current && ids.includes(current)) return current;
      const before = previousOrder.current;
      const at = current ? before.indexOf(current) : -1;
      const next = before.slice(at + 1).find((id) => ids.includes(id));
      return next ?? ids[0] ?? null;
    });
    previousOrder.current = ids;
  }, [navigable]);

  const selected = navigable.find((q) => q.id === selectedId) ?? null;

  const run = useCallback(
    async (action: () => Promise<unknown>) => {
      setError(null);
      try {
        await action();
      } catch (err) {
        setError(t('mod.actionFailed', { reason: errorText(err) }));
      }
    },
    [t, errorText],
  );

  const moderate = useCallback(
    (data: ModerateQuestion) =>
      run(async () => {
        await request('question.moderate', data);
        setMode('view');
      }),
    [request, run],
  );

  const act = useCallback(
    (q: Question, action: RowAction) => {
      if (!actionsFor(q).includes(action)) return;
      switch (action) {
        case 'edit':
        case 'merge':
          setMode(action);
          return;
        case 'pin':
          void moderate({ action: 'pin', questionId: q.id, pinned: !q.pinned });
          return;
        default:
          void moderate({ action, questionId: q.id });
      }
    },
    [moderate],
  );

  const onStage = useCallback(
    (classroomId: string) => void run(() => request('stage.invite', { classroomId })),
    [request, run],
  );
  const offStage = useCallback(() => void run(() => request('stage.leave', {})), [request, run]);
  const lowerHand = useCallback(
    (classroomId: string) => void run(() => request('hand.lower', { classroomId })),
    [request, run],
  );
  const remove = useCallback(
    (classroomId: string) => void run(() => request('participant.remove', { classroomId })),
    [request, run],
  );

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (mode !== 'view') return;
      const action = moderatorAction(keyLike(e));
      if (!action) return;
      e.preventDefault();
      const index = selected ? navigable.indexOf(selected) : -1;
      switch (action) {
        case 'next':
          setSelectedId(navigable[Math.min(index + 1, navigable.length - 1)]?.id ?? null);
          return;
        case 'previous':
          setSelectedId(navigable[Math.max(index - 1, 0)]?.id ?? null);
          return;
        case 'help':
          setHelp((h) => !h);
          return;
        case 'stageFirstHand': {
          const first = handsInOrder(state.hands).find(
            (h) => h.classroomId !== state.stage?.classroomId,
          );
          if (first) onStage(first.classroomId);
          return;
        }
        case 'offStage':
          if (state.stage) offStage();
          return;
        default:
          if (selected) act(selected, action);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [mode, selected, navigable, act, onStage, offStage, state.hands, state.stage]);

  const mergeTargets = (q: Question) =>
    [...approved, ...pending].filter((x) => x.id !== q.id && x.status !== 'answered');

  const row = (q: Question) => (
    <QuestionRow
      key={q.id}
      question={q}
      selected={q.id === selectedId}
      mode={q.id === selectedId ? mode : 'view'}
      mergeTargets={mergeTargets(q)}
      onSelect={() => {
        if (q.id !== selectedId) setMode('view');
        setSelectedId(q.id);
      }}
      onAction={(a) => act(q, a)}
      onSave={(text) => void moderate({ action: 'edit', questionId: q.id, text })}
      onMerge={(into) => void moderate({ action: 'merge', questionId: q.id, intoQuestionId: into })}
      onCancel={() => setMode('view')}
    />
  );

  const speakerVideo = remotes.find(
    (r) => r.producer.role === 'speaker' && r.producer.kind === 'video',
  );
  const firstSpeakerAt = useFirstSeen(speakerVideo !== undefined);

  return (
    <div className="studio studio--moderator" data-testid="moderator-view">
      <Header state={state} network={network}>
        <SessionTimer startedAt={firstSpeakerAt} durationMinutes={state.event.durationMinutes} />
      </Header>
      {error && (
        <p className="alert alert--floating" role="alert" data-testid="moderator-error">
          {error}
          <button type="button" className="link" onClick={() => setError(null)}>
            ×
          </button>
        </p>
      )}
      <main id="main" className="moderator-grid">
        <div className="moderator-grid__questions">
          <section className="panel" aria-labelledby="pending-title">
            <h2 id="pending-title">{t('mod.pending', { n: pending.length })}</h2>
            {pending.length === 0 ? (
              <p className="empty">{t('mod.noPending')}</p>
            ) : (
              <ul
                className="mq-list"
                data-testid="pending-questions"
                aria-live="polite"
                aria-keyshortcuts="J K"
              >
                {pending.map(row)}
              </ul>
            )}
          </section>
          <section className="panel" aria-labelledby="approved-title">
            <h2 id="approved-title">{t('mod.approved', { n: approved.length })}</h2>
            {approved.length === 0 ? (
              <p className="empty">{t('mod.noApproved')}</p>
            ) : (
              <ol className="mq-list" data-testid="approved-questions" aria-keyshortcuts="J K">
                {approved.map(row)}
              </ol>
            )}
          </section>
          <details className="panel-details">
            <summary>{t('mod.done', { n: done.length })}</summary>
            <ul className="mq-list mq-list--done" data-testid="done-questions">
              {done.map((q) => (
                <li
                  key={q.id}
                  data-testid="question-row"
                  data-question-id={q.id}
                  data-status={q.status}
                >
                  <span className={`tag tag--${q.status}`}>{t(`mod.status.${q.status}`)}</span>{' '}
                  {q.text} — <span className="hint">{q.classroomName}</span>
                </li>
              ))}
            </ul>
          </details>
        </div>
        <aside className="moderator-grid__side">
          <ShortcutHelp open={help} onToggle={() => setHelp((h) => !h)} />
          <HandsPanel
            hands={state.hands}
            stage={state.stage}
            onStage={onStage}
            offStage={offStage}
            lowerHand={lowerHand}
          />
          <StagePanel stage={state.stage} remotes={remotes} withAudio={false} />
          {speakerVideo && (
            <section className="panel" aria-labelledby="feed-title">
              <h2 id="feed-title">{t('mod.speakerFeed')}</h2>
              <VideoTile
                source={speakerVideo.track}
                label={t('mod.speakerVideo', { name: speakerVideo.producer.name })}
                testId="speaker-feed-video"
              />
            </section>
          )}
          <ClassroomsPanel presence={state.presence} onRemove={remove} />
        </aside>
      </main>
    </div>
  );
}

/** When a condition first became true (the speaker's video appeared): the session's start. */
function useFirstSeen(condition: boolean): number | null {
  const [at, setAt] = useState<number | null>(null);
  useEffect(() => {
    if (condition && at === null) setAt(Date.now());
  }, [condition, at]);
  return at;
}
