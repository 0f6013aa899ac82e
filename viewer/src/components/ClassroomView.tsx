import { useLiveSession } from '@amphi/app-kit';
import type { JoinParams, RemoteMedia } from '@amphi/sdk';
import { type ReactNode, useEffect, useRef } from 'react';
import { useI18n } from '../i18n.tsx';
import { remembered, useClassroom } from '../useClassroom.ts';
import { useOwnQuestions } from '../useOwnQuestions.ts';
import { AfterSession } from './AfterSession.tsx';
import { AskForm } from './AskForm.tsx';
import { ConnectionPath } from './ConnectionPath.tsx';
import { QuestionList } from './QuestionList.tsx';
import { RemovedNotice } from './RemovedNotice.tsx';
import { Shortcuts } from './Shortcuts.tsx';
import { SpeakerTile } from './SpeakerTile.tsx';
import { StageConsent } from './StageConsent.tsx';
import { StatusBanner } from './StatusBanner.tsx';

function bySpeaker(remotes: RemoteMedia[]): RemoteMedia[][] {
  const groups = new Map<string, RemoteMedia[]>();
  for (const r of remotes) {
    const key = `${r.producer.participantId}:${r.producer.source === 'screen' ? 'screen' : 'camera'}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()];
}

function toggleFullScreen(): void {
  if (document.fullscreenElement) void document.exitFullscreen();
  else void document.documentElement.requestFullscreen().catch(() => {});
}

export function ClassroomView({ params }: { params: JoinParams }) {
  const { t, toggle, lang, errorText } = useI18n();
  const c = useClassroom();
  const { state } = c;
  const { session } = useLiveSession();
  const askInput = useRef<HTMLTextAreaElement>(null);
  const over = state.fatal?.code === 'EVENT_CLOSED' || state.eventStatus === 'ended';
  // The next day the link has expired and the socket says so, not that the event
  // is over; the server still lets the link read the class's questions of an
  // event that is over, so ask it: its answer says which case this is.
  const expired = state.fatal?.code === 'TOKEN_EXPIRED';
  const own = useOwnQuestions(params.token, over || expired);

  const actions = useRef(c);
  actions.current = c;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      if (target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) return;
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      const key = e.key.toLowerCase();
      if (key === 'f') toggleFullScreen();
      else if (key === 'q') {
        e.preventDefault();
        askInput.current?.focus();
      } else if (key === 'h') void actions.current.toggleHand().catch(() => {});
      else if (key === 'a') void actions.current.setAudioOnly(!actions.current.state.audioOnly);
      else if (key === 'l') toggle();
      else return;
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [toggle]);

  useEffect(() => {
    document.title = state.eventTitle ? `${state.eventTitle} — Amphi` : t('app.title');
  }, [state.eventTitle, t]);

  if (own && (over || own.status !== 'failed')) {
    let after: ReactNode;
    if (own.status === 'loaded') {
      after = <AfterSession questions={own.questions} source="server" />;
    } else if (own.status === 'loading') {
      after = <AfterSession questions={[]} source="loading" />;
    } else {
      // What this tab still has: the live state, or the copy kept for a reload.
      const mine = state.self
        ? state.questions.filter((q) => q.classroomId === state.self?.classroomId)
        : remembered(params.eventId);
      after = <AfterSession questions={mine} source="local" />;
    }
    return <main className="app">{after}</main>;
  }
  if (state.fatal?.code === 'FORBIDDEN' && session) {
    return (
      <main className="app">
        <RemovedNotice socketUrl={session.signaling.url} />
      </main>
    );
  }
  if (state.fatal) {
    return (
      <main className="app">
        <p className="panel error big" role="alert">
          {state.fatal.code === 'FORBIDDEN'
            ? t('app.removed')
            : state.fatal.code === 'TOKEN_REVOKED'
              ? t('app.revoked')
              : t('app.refused', { reason: errorText(state.fatal) })}
        </p>
      </main>
    );
  }

  const speakers = bySpeaker(state.remotes);
  // The link to the server or the media is gone: what is on screen is the last frame.
  const transport = state.quality?.sample.transport;
  const lineLost =
    state.status.status === 'reconnecting' ||
    state.quality?.quality === 'offline' ||
    transport === 'disconnected' ||
    transport === 'failed';
  return (
    <div className="app">
      <header className="top">
        <div className="titles">
          <h1>{state.eventTitle || t('app.loading')}</h1>
          {state.self && <p className="classroom">{state.self.name}</p>}
        </div>
        {state.eventStatus && (
          <span
            className={`pill pill-${state.eventStatus}`}
            data-testid="event-status"
            data-status={state.eventStatus}
          >
            {t(`event.status.${state.eventStatus}`)}
          </span>
        )}
        <button
          type="button"
          onClick={toggle}
          aria-label={t('lang.label')}
          aria-keyshortcuts="L"
          lang={lang === 'fr' ? 'en' : 'fr'}
        >
          {t('lang.switch')}
        </button>
        <button type="button" onClick={toggleFullScreen} aria-keyshortcuts="F">
          {t('screen.full')}
        </button>
      </header>
      <StatusBanner
        <ConnectionPath media={session?.media ?? null} />
        status={state.status}
        quality={state.quality}
        onRetry={c.retryNow}
        onAudioOnly={state.audioOnly ? null : () => void c.setAudioOnly(true)}
      />
      <main className="layout">
        <section className="stage-area">
          {speakers.length === 0 ? (
            <div className="tile waiting">
              <p>
                {state.mediaError === 'unavailable'
                  ? t('net.mediaUnavailable')
                  : t('video.waiting')}
              </p>
            </div>
          ) : (
            // A panel's speakers side by side: the whole panel fits the big screen.
            <div className={`speakers ${speakers.length > 1 ? 'speakers--panel' : ''}`}>
              {speakers.map((group) => (
                <SpeakerTile
                  key={group[0]?.producer.producerId}
                  media={group}
                  audioOnly={state.audioOnly}
                  frozen={lineLost}
                />
              ))}
            </div>
          )}
          <div className="controls">
            <button
              type="button"
              className={`big-button ${state.handRaised ? 'active' : ''}`}
              aria-pressed={state.handRaised}
              onClick={() => void c.toggleHand().catch(() => {})}
              aria-keyshortcuts="H"
              data-testid="hand"
            >
              {state.handRaised ? t('hand.lower') : t('hand.raise')}
            </button>
            <button
              type="button"
              className="big-button secondary"
              aria-pressed={state.audioOnly}
              onClick={() => void c.setAudioOnly(!state.audioOnly).catch(() => {})}
              aria-keyshortcuts="A"
            >
              {state.audioOnly ? t('net.video') : t('net.audioOnly')}
            </button>
          </div>
          {state.handRaised && <p className="note">{t('hand.raised')}</p>}
          {state.stage?.status === 'live' && (
            <p className="note live" data-testid="on-stage">
              {t('stage.live')}{' '}
              <button type="button" onClick={() => void c.leaveStage().catch(() => {})}>
                {t('stage.leave')}
              </button>
            </p>
          )}
        </section>
        <aside className="side">
          <AskForm onAsk={c.ask} outbox={state.outbox} inputRef={askInput} />
          <QuestionList
            questions={state.questions}
            classroomId={state.self?.classroomId ?? null}
            upvoted={state.upvoted}
            onUpvote={(id) => void c.upvote(id).catch(() => {})}
          />
        </aside>
      </main>
      <Shortcuts />
      {state.stage?.status === 'invited' && <StageConsent onRespond={c.respondStage} />}
    </div>
  );
}
