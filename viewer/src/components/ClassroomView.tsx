import { useLiveSession } from '@amphi/app-kit';
import type { JoinParams, RemoteMedia } from '@amphi/sdk';
import { type ReactNode, type RefObject, useCallback, useEffect, useRef, useState } from 'react';
import { useI18n } from '../i18n.tsx';
import { remembered, useClassroom } from '../useClassroom.ts';
import { useHlsFallback } from '../useHlsFallback.ts';
import { useLayerGuard } from '../useLayerGuard.ts';
import { useOwnQuestions } from '../useOwnQuestions.ts';
import { usePictureHeld } from '../usePictureHeld.ts';
import { AfterSession } from './AfterSession.tsx';
import { AnsweringOverlay } from './AnsweringOverlay.tsx';
import { AskForm } from './AskForm.tsx';
import { ConnectionPath } from './ConnectionPath.tsx';
import { HlsPlayer } from './HlsPlayer.tsx';
import { QuestionList } from './QuestionList.tsx';
import { RemovedNotice } from './RemovedNotice.tsx';
import { Shortcuts } from './Shortcuts.tsx';
import { SpeakerTile } from './SpeakerTile.tsx';
import { StageConsent } from './StageConsent.tsx';
import { StageSelf } from './StageSelf.tsx';
import { StatusBanner } from './StatusBanner.tsx';
import { UNMUTE_ALL } from './useAutoplaySound.ts';
import { WaitingScreen } from './WaitingScreen.tsx';

function bySpeaker(remotes: RemoteMedia[]): RemoteMedia[][] {
  const groups = new Map<string, RemoteMedia[]>();
  for (const r of remotes) {
    const key = `${r.producer.participantId}:${r.producer.source === 'screen' ? 'screen' : 'camera'}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()];
}

/** Full screen is the picture (and the question over it), not the page. */
function toggleFullScreen(screen: RefObject<HTMLElement | null>): void {
  if (document.fullscreenElement) void document.exitFullscreen();
  else
    void (screen.current ?? document.documentElement)
      .requestFullscreen()
      .catch((err: unknown) => console.warn(`full screen refused: ${String(err)}`));
}

export function ClassroomView({ params }: { params: JoinParams }) {
  const { t, toggle, lang, errorText } = useI18n();
  const c = useClassroom();
  const { session } = useLiveSession();
  // The ladder's last rung: no WebRTC got through, the picture comes over LL-HLS.
  const hls = useHlsFallback(session);
  const { state } = c;
  // Said in the banner when the line cannot carry the picture (the server holds it back).
  const watchingPicture =
    !state.audioOnly && !hls && state.remotes.some((r) => r.producer.kind === 'video');
  const pictureHeld = usePictureHeld(session?.media ?? null, watchingPicture);
  // A line that chokes steps the picture down at once, before the server's estimate falls.
  const layerGuard = useLayerGuard(session?.media ?? null, watchingPicture);
  const askInput = useRef<HTMLTextAreaElement>(null);
  const screen = useRef<HTMLDivElement>(null);
  // Tiles whose sound the browser holds back until a gesture: one button for all.
  const [soundBlocked, setSoundBlocked] = useState<ReadonlySet<string>>(new Set());
  const onSoundBlocked = useCallback((id: string, blocked: boolean) => {
    setSoundBlocked((prev) => {
      if (prev.has(id) === blocked) return prev;
      const next = new Set(prev);
      if (blocked) next.add(id);
      else next.delete(id);
      return next;
    });
  }, []);
  const onHlsSoundBlocked = useCallback(
    (blocked: boolean) => onSoundBlocked('hls', blocked),
    [onSoundBlocked],
  );
  // On stage: the camera and microphone the class accepted to send, and its mute.
  const [stageStream, setStageStream] = useState<MediaStream | null>(null);
  const [micMuted, setMicMuted] = useState(false);
  const onStage = state.stage?.status === 'live';
  useEffect(() => {
    if (!onStage) {
      setStageStream(null);
      setMicMuted(false);
    }
  }, [onStage]);
  const toggleMic = useCallback(() => {
    setMicMuted((was) => {
      // A disabled track sends silence: the speaker stops hearing the class at once.
      for (const track of stageStream?.getAudioTracks() ?? []) track.enabled = was;
      return !was;
    });
  }, [stageStream]);
  const respondStage = useCallback(
    async (accept: boolean, preview: MediaStream | null) => {
      await c.respondStage(accept, preview);
      if (accept) setStageStream(preview);
    },
    [c.respondStage],
  );
  const over = state.fatal?.code === 'EVENT_CLOSED' || state.eventStatus === 'ended';
  // The next day the link has expired and the socket says so, not that the event
  // is over; the server still lets the link read the class's questions of an
  // event that is over, so ask it: its answer says which case this is.
  const expired = state.fatal?.code === 'TOKEN_EXPIRED';
  const own = useOwnQuestions(params.token, over || expired);

  const actions = useRef({ ...c, toggleMic, onStage, hls });
  actions.current = { ...c, toggleMic, onStage, hls };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      if (target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) return;
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      const key = e.key.toLowerCase();
      if (key === 'f') toggleFullScreen(screen);
      else if (key === 'm' && actions.current.onStage) actions.current.toggleMic();
      else if (key === 'q') {
        e.preventDefault();
        askInput.current?.focus();
      } else if (key === 'h') {
        if (!actions.current.hls) void actions.current.toggleHand().catch(() => {});
      } else if (key === 'a') void actions.current.setAudioOnly(!actions.current.state.audioOnly);
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
  // The fallback carries the first speaker camera (media-server HlsEgress): its name on the tile.
  const hlsName = hls
    ? (session?.snapshot.view?.producers.find(
        (p) => p.role === 'speaker' && p.source === 'camera' && p.kind === 'video',
      )?.name ?? null)
    : null;
  const answering = state.questions.find((q) => q.status === 'answering') ?? null;
  // The link to the server or the media is gone: what is on screen is the last frame.
  const transport = state.quality?.sample.transport;
  const lineLost =
    state.status.status === 'reconnecting' ||
    state.quality?.quality === 'offline' ||
    transport === 'disconnected' ||
    transport === 'failed';
  return (
    <div className="app app--classroom">
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
        <ConnectionPath media={session?.media ?? null} hls={hls} />
        <button
          type="button"
          onClick={toggle}
          aria-label={t('lang.label')}
          aria-keyshortcuts="L"
          lang={lang === 'fr' ? 'en' : 'fr'}
        >
          {t('lang.switch')}
        </button>
        <button
          type="button"
          aria-pressed={state.audioOnly}
          onClick={() => void c.setAudioOnly(!state.audioOnly).catch(() => {})}
          aria-keyshortcuts="A"
        >
          {state.audioOnly ? t('net.video') : t('net.audioOnly')}
        </button>
        <button type="button" onClick={() => toggleFullScreen(screen)} aria-keyshortcuts="F">
          {t('screen.full')}
        </button>
      </header>
      <StatusBanner
        status={state.status}
        quality={state.quality}
        onRetry={c.retryNow}
        onAudioOnly={state.audioOnly ? null : () => void c.setAudioOnly(true)}
        pictureHeld={pictureHeld}
      />
      <main className="layout">
        <section className="stage-area">
          <div className="screen" ref={screen} data-testid="screen">
            {hls ? (
              <HlsPlayer
                eventId={params.eventId}
                token={params.token}
                onSoundBlocked={onHlsSoundBlocked}
                name={hlsName}
              />
            ) : speakers.length === 0 ? (
              <WaitingScreen
                event={state.event}
                checkLink={state.eventStatus === 'scheduled'}
                note={
                  state.mediaError === 'unavailable'
                    ? t('net.mediaUnavailable')
                    : t('video.waiting')
                }
              />
            ) : (
              // A panel's speakers side by side, the one talking enlarged.
              <div
                className={`speakers ${speakers.length > 1 ? 'speakers--panel' : ''}`}
                data-layer-cap={layerGuard.cap ?? 'none'}
                data-layer-reason={layerGuard.reason ?? 'none'}
              >
                {speakers.map((group) => {
                  const id = group[0]?.producer.producerId ?? '';
                  return (
                    <SpeakerTile
                      key={id}
                      media={group}
                      audioOnly={state.audioOnly}
                      frozen={lineLost}
                      active={
                        speakers.length > 1 &&
                        group[0]?.producer.participantId === state.activeSpeaker
                      }
                      onSoundBlocked={(blocked) => onSoundBlocked(id, blocked)}
                    />
                  );
                })}
              </div>
            )}
            {answering && <AnsweringOverlay question={answering} />}
          </div>
        </section>
        <aside className="side">
          <div className="controls">
            {soundBlocked.size > 0 && (
              <button
                type="button"
                className="big-button accept"
                onClick={() => window.dispatchEvent(new Event(UNMUTE_ALL))}
                data-testid="unmute-all"
              >
                {t('video.unmute')}
              </button>
            )}
            <button
              type="button"
              className={`big-button ${state.handRaised ? 'active' : ''}`}
              aria-pressed={state.handRaised}
              onClick={() => void c.toggleHand().catch(() => {})}
              disabled={hls && !state.handRaised}
              aria-keyshortcuts="H"
              data-testid="hand"
            >
              {state.handRaised ? t('hand.lower') : t('hand.raise')}
            </button>
          </div>
          {state.handRaised && <p className="note">{t('hand.raised')}</p>}
          {hls && (
            <p className="note" data-testid="hand-hls">
              {t('hand.hls')}
            </p>
          )}
          {onStage && (
            <StageSelf
              stream={stageStream}
              muted={micMuted}
              onToggleMute={toggleMic}
              onLeave={() => void c.leaveStage().catch(() => {})}
            />
          )}
          <QuestionList
            questions={state.questions}
            classroomId={state.self?.classroomId ?? null}
            upvoted={state.upvoted}
            onUpvote={(id) => void c.upvote(id).catch(() => {})}
          />
          <AskForm onAsk={c.ask} outbox={state.outbox} inputRef={askInput} />
          <Shortcuts onStage={onStage} />
        </aside>
      </main>
      {state.stage?.status === 'invited' && <StageConsent onRespond={respondStage} />}
    </div>
  );
}
