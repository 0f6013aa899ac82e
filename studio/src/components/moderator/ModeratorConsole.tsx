import {
  type ModerateQuestion,
  QUEUE_STATUSES,
  type Question,
  type RemovedClassroom,
} from '@amphi/protocol';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useI18n } from '../../i18n.tsx';
import { handsInOrder } from '../../live/liveState.ts';
import { approvedQueue, doneQuestions, pendingQueue } from '../../questions.ts';
import type { StudioSession } from '../../session/types.ts';
import { keyLike, moderatorAction } from '../../shortcuts.ts';
import { BackstageBox } from '../BackstageBox.tsx';
import { Header } from '../Header.tsx';
import { SessionTimer } from '../SessionTimer.tsx';
import { StagePanel } from '../StagePanel.tsx';
import { VideoTile } from '../VideoTile.tsx';
import { ClassroomsPanel } from './ClassroomsPanel.tsx';
import { HandledList } from './HandledList.tsx';
import { HandsPanel } from './HandsPanel.tsx';
import { actionsFor, QuestionRow, type RowAction, type RowMode } from './QuestionRow.tsx';
import { QueuePanel } from './QueuePanel.tsx';
import { RemovedClassrooms } from './RemovedClassrooms.tsx';
import { ShortcutHelp } from './ShortcutHelp.tsx';
import { TriageToolbar } from './TriageToolbar.tsx';
import {
  ALL_QUESTIONS,
  isFiltered,
  type ListView,
  reorderAfterUndo,
  shown,
  step,
  stillUndoable,
  type UndoEntry,
  undoOf,
  undoOfRemoval,
} from './triage.ts';
import { UndoBar, undoWhat } from './UndoBar.tsx';

type ListName = 'pending' | 'approved';

/** The moderator's console: triage, the speaker's queue, hands and stage, who is connected. */
export function ModeratorConsole({ session }: { session: StudioSession }) {
  const { t, errorText } = useI18n();
  const { state, network, remotes, request } = session;
  const [view, setView] = useState<ListView>(ALL_QUESTIONS);
  const allPending = useMemo(() => pendingQueue(state.questions), [state.questions]);
  const allApproved = useMemo(() => approvedQueue(state.questions), [state.questions]);
  const pending = useMemo(() => shown(allPending, view), [allPending, view]);
  const approved = useMemo(() => shown(allApproved, view), [allApproved, view]);
  const done = useMemo(() => doneQuestions(state.questions), [state.questions]);
  // The selection is a question the moderator picked, by id: it never moves
  // when questions arrive, leave or change, only on a click, J or K (or the
  // first question, when nothing is selected yet).
  const [selectedId, setSelectedId] = useState<string | null>(null);
  // J and K move within the list the moderator last picked in, as shown.
  const [working, setWorking] = useState<ListName>('pending');
  /** The selected question as it last stood in that list (J and K go on from there once it left). */
  const lastSeen = useRef<{ list: ListName; question: Question } | null>(null);
  const [mode, setMode] = useState<RowMode>('view');
  const [help, setHelp] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [undo, setUndo] = useState<UndoEntry | null>(null);
  const [undoing, setUndoing] = useState(false);
  const [undone, setUndone] = useState<string | null>(null);
  const [removed, setRemoved] = useState<RemovedClassroom[] | null>(null);
  const searchRef = useRef<HTMLInputElement>(null);
  const questionsNow = useRef(state.questions);
  questionsNow.current = state.questions;

  const lists = useMemo(() => ({ pending, approved }), [pending, approved]);
  useEffect(() => {
    const here = lists[working].find((q) => q.id === selectedId);
    if (here) lastSeen.current = { list: working, question: here };
  }, [lists, working, selectedId]);
  /** A list with the selected question put back where it stood, in the order shown. */
  const placed = useCallback(
    (list: ListName): string[] | null => {
      const seen = lastSeen.current;
      if (!seen || seen.list !== list || seen.question.id !== selectedId) return null;
      const base = list === 'pending' ? pendingQueue : approvedQueue;
      const others = lists[list].filter((q) => q.id !== seen.question.id);
      return shown(base([...others, seen.question]), { ...view, category: 'all', search: '' }).map(
        (q) => q.id,
      );
    },
    [lists, selectedId, view],
  );
  useEffect(() => {
    const first = pending[0] ?? approved[0];
    if (selectedId === null && first) setSelectedId(first.id);
  }, [selectedId, pending, approved]);

  const pick = useCallback((id: string, list: ListName) => {
    setSelectedId(id);
    setWorking(list);
  }, []);

  /** What the keys act on: the selected question, only while it is shown. */
  const selected =
    pending.find((q) => q.id === selectedId) ?? approved.find((q) => q.id === selectedId) ?? null;

  /** Runs a request; a refusal is told in words. Resolves whether it went through. */
  const run = useCallback(
    async (action: () => Promise<unknown>): Promise<boolean> => {
      setError(null);
      try {
        await action();
        return true;
      } catch (err) {
        setError(t('mod.actionFailed', { reason: errorText(err) }));
        return false;
      }
    },
    [t, errorText],
  );

  const refreshRemoved = useCallback(async () => {
    try {
      setRemoved((await request('participant.removed', {})).classrooms);
    } catch {
      // Offline: the list stays as it was and is read again on the next change.
    }
  }, [request]);

  const moderate = useCallback(
    (data: ModerateQuestion, before: Question) =>
      run(async () => {
        const queueBefore = approvedQueue(questionsNow.current).map((q) => q.id);
        const { question } = await request('question.moderate', data);
        setMode('view');
        // An action that cannot be taken back leaves the last one that can on the button.
        const entry = undoOf(data, before, question, queueBefore);
        if (entry) {
          setUndo(entry);
          setUndone(null);
        }
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
          void moderate({ action: 'pin', questionId: q.id, pinned: !q.pinned }, q);
          return;
        case 'approve':
        case 'reject':
        case 'answering':
        case 'answered':
          void moderate({ action, questionId: q.id }, q);
      }
    },
    [moderate],
  );

  const backToTriage = useCallback(
    (q: Question) =>
      void moderate({ action: q.status === 'merged' ? 'unmerge' : 'reopen', questionId: q.id }, q),
    [moderate],
  );

  const undoable =
    undo && stillUndoable(undo, state.questions, removed?.map((c) => c.classroomId) ?? null)
      ? undo
      : null;

  const undoLast = useCallback(async () => {
    const entry = undoable;
    if (!entry || undoing) return;
    setUndoing(true);
    let back: Question | null = null;
    const ok = await run(async () => {
      for (const s of entry.steps) {
        if (s.type === 'question.moderate') {
          back = (await request('question.moderate', s.data)).question;
        } else if (s.type === 'question.reorder') {
          const ids = reorderAfterUndo(s.questionId, s.queueBefore, questionsNow.current);
          await request('question.reorder', { orderedQuestionIds: ids });
        } else {
          await request('participant.reinstate', s.data);
          await refreshRemoved();
        }
      }
    });
    setUndoing(false);
    if (!ok) return;
    setUndo(null);
    setUndone(t('mod.undone', { what: undoWhat(t, entry) }));
    // The question undone is the one the moderator works on next.
    const status = (back as Question | null)?.status;
    if (entry.question && status) {
      if (status === 'pending') pick(entry.question.id, 'pending');
      else if (QUEUE_STATUSES.includes(status)) pick(entry.question.id, 'approved');
    }
  }, [undoable, undoing, run, request, refreshRemoved, t, pick]);

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
    async (classroomId: string) => {
      const name =
        state.presence?.participants.find((p) => p.classroomId === classroomId)?.name ?? '';
      if (await run(() => request('participant.remove', { classroomId }))) {
        await refreshRemoved();
        setUndo(undoOfRemoval(classroomId, name));
        setUndone(null);
      }
    },
    [request, run, refreshRemoved, state.presence],
  );
  const reinstate = useCallback(
    async (classroomId: string) => {
      if (await run(() => request('participant.reinstate', { classroomId }))) {
        await refreshRemoved();
      }
    },
    [request, run, refreshRemoved],
  );

  // The removed classrooms: read at start, and again when a classroom leaves
  // (another moderator may have removed it).
  const connected = (state.presence?.participants ?? [])
    .map((p) => p.classroomId)
    .filter((id): id is string => id !== null)
    .sort()
    .join();
  const lastConnected = useRef<string[] | null>(null);
  useEffect(() => {
    const now = connected ? connected.split(',') : [];
    if (lastConnected.current?.every((id) => now.includes(id))) {
      lastConnected.current = now;
      return;
    }
    const timer = setTimeout(() => {
      lastConnected.current = now;
      void refreshRemoved();
    }, 500);
    return () => clearTimeout(timer);
  }, [connected, refreshRemoved]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (mode !== 'view') return;
      const action = moderatorAction(keyLike(e));
      if (!action) return;
      e.preventDefault();
      switch (action) {
        case 'next':
        case 'previous': {
          // An empty list hands J and K to the other one.
          const list: ListName =
            lists[working].length > 0 ? working : working === 'pending' ? 'approved' : 'pending';
          const ids = lists[list].map((q) => q.id);
          const to = step(ids, selectedId, action === 'next' ? 1 : -1, placed(list));
          if (to) pick(to, list);
          return;
        }
        case 'help':
          setHelp((h) => !h);
          return;
        case 'search':
          searchRef.current?.focus();
          return;
        case 'undo':
          void undoLast();
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
  }, [
    mode,
    lists,
    working,
    placed,
    selectedId,
    selected,
    pick,
    act,
    undoLast,
    onStage,
    offStage,
    state.hands,
    state.stage,
  ]);

  const mergeTargets = (q: Question) =>
    [...allApproved, ...allPending].filter((x) => x.id !== q.id && x.status !== 'answered');

  const row = (list: ListName) => (q: Question) => (
    <QuestionRow
      key={q.id}
      question={q}
      selected={q.id === selectedId}
      mode={q.id === selectedId ? mode : 'view'}
      mergeTargets={mergeTargets(q)}
      onSelect={() => {
        if (q.id !== selectedId) setMode('view');
        pick(q.id, list);
      }}
      onAction={(a) => act(q, a)}
      onSave={(text) => void moderate({ action: 'edit', questionId: q.id, text }, q)}
      onMerge={(into) =>
        void moderate({ action: 'merge', questionId: q.id, intoQuestionId: into }, q)
      }
      onCancel={() => setMode('view')}
    />
  );

  const speakerVideo = remotes.find(
    (r) => r.producer.role === 'speaker' && r.producer.kind === 'video',
  );
  const filtered = isFiltered(view);

  return (
    <div className="studio studio--moderator" data-testid="moderator-view">
      <Header state={state} network={network}>
        <SessionTimer event={state.event} ping={() => request('ping', {})} />
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
          <UndoBar entry={undoable} busy={undoing} done={undone} onUndo={() => void undoLast()} />
          <TriageToolbar
            view={view}
            onChange={setView}
            shownCount={pending.length + approved.length}
            total={allPending.length + allApproved.length}
            searchRef={searchRef}
          />
          <QueuePanel
            list="pending"
            title={t('mod.pending', { n: pending.length })}
            empty={t(filtered && allPending.length > 0 ? 'mod.noMatch' : 'mod.noPending')}
            questions={pending}
            row={row('pending')}
          />
          <QueuePanel
            list="approved"
            title={t('mod.approved', { n: approved.length })}
            empty={t(filtered && allApproved.length > 0 ? 'mod.noMatch' : 'mod.noApproved')}
            questions={approved}
            row={row('approved')}
          />
          <HandledList questions={done} onBack={backToTriage} />
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
          <BackstageBox />
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
          <ClassroomsPanel presence={state.presence} onRemove={(id) => void remove(id)} />
          <RemovedClassrooms removed={removed} onReinstate={(id) => void reinstate(id)} />
        </aside>
      </main>
    </div>
  );
}
