import type { Question } from '@amphi/protocol';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useI18n } from '../../i18n.tsx';
import { useLocalMedia } from '../../media/useLocalMedia.ts';
import { keepProgram, sourceAt } from '../../program.ts';
import { speakerTurn } from '../../questions.ts';
import type { PublishedTrack, StudioSession } from '../../session/types.ts';
import { keyLike, speakerAction } from '../../shortcuts.ts';
import { ConfirmButton } from '../ConfirmButton.tsx';
import { Header } from '../Header.tsx';
import { SessionTimer } from '../SessionTimer.tsx';
import { StagePanel } from '../StagePanel.tsx';
import { VideoTile } from '../VideoTile.tsx';
import { CoSpeakers } from './CoSpeakers.tsx';
import { DevicePanel } from './DevicePanel.tsx';
import { QuestionQueue } from './QuestionQueue.tsx';
import { SourcePreviews } from './SourcePreviews.tsx';

type AirState = 'off' | 'starting' | 'live';

/** The speaker's studio: sources, program, microphone, live, questions, stage, co-speakers. */
export function SpeakerView({ session }: { session: StudioSession }) {
  const { t, errorText } = useI18n();
  const { state, network, remotes, publish, request } = session;
  const media = useLocalMedia({
    camera: (n) => t('speaker.camera', { n }),
    screen: t('speaker.screen'),
  });
  const [programId, setProgramId] = useState<string | null>(null);
  const [air, setAir] = useState<AirState>('off');
  const [muted, setMuted] = useState(false);
  const [error, setError] = useState<string | null>(null);
  /** What ending the live did: the session ended, or went on with the other speakers. */
  const [ended, setEnded] = useState<'ended' | 'leftAir' | null>(null);
  const over = state.event.status === 'ended' || state.event.status === 'cancelled';
  const video = useRef<PublishedTrack | null>(null);
  const audio = useRef<PublishedTrack | null>(null);

  const sourceKey = media.sources.map((s) => s.id).join('|');
  // biome-ignore lint/correctness/useExhaustiveDependencies: keyed on the source ids
  useEffect(() => {
    setProgramId((current) => keepProgram(media.sources, current));
  }, [sourceKey]);

  const programTrack = (programId && media.streams.get(programId)?.getVideoTracks()[0]) || null;

  // Program switch: the same producer sends another track (replaceTrack, no renegotiation).
  useEffect(() => {
    if (programTrack && video.current) {
      video.current
        .replaceTrack(programTrack)
        .catch((err: unknown) => setError(t('speaker.publishError', { reason: errorText(err) })));
    }
  }, [programTrack, t, errorText]);

  useEffect(() => {
    if (media.micTrack && audio.current) {
      audio.current
        .replaceTrack(media.micTrack)
        .catch((err: unknown) => setError(t('speaker.publishError', { reason: errorText(err) })));
    }
  }, [media.micTrack, t, errorText]);

  // Mute: the microphone sends silence (DTX keeps it near zero bits) without a new producer.
  useEffect(() => {
    if (media.micTrack) media.micTrack.enabled = !muted;
  }, [muted, media.micTrack]);

  const goLive = useCallback(async () => {
    if (!programTrack) return;
    setAir('starting');
    setError(null);
    try {
      video.current = await publish(programTrack, 'camera');
      if (media.micTrack) audio.current = await publish(media.micTrack, 'camera');
      // The picture goes out first: classrooms read « En direct » once it is there.
      await request('event.setStatus', { status: 'live' });
      setAir('live');
      setEnded(null);
    } catch (err) {
      const closing = [video.current, audio.current];
      video.current = null;
      audio.current = null;
      await Promise.all(closing.map((p) => p?.close().catch(() => {})));
      setAir('off');
      setError(t('speaker.publishError', { reason: errorText(err) }));
    }
  }, [programTrack, media.micTrack, publish, request, t, errorText]);

  const end = useCallback(async () => {
    const closing = [video.current, audio.current];
    video.current = null;
    audio.current = null;
    await Promise.all(closing.map((p) => p?.close().catch(() => {})));
    setAir('off');
    try {
      // Ends it for every classroom, unless other speakers of a panel are still on air.
      const { status } = await request('event.setStatus', { status: 'ended' });
      setEnded(status === 'ended' ? 'ended' : 'leftAir');
    } catch (err) {
      setError(t('mod.actionFailed', { reason: errorText(err) }));
    }
  }, [request, t, errorText]);

  const markQuestion = useCallback(
    (question: Question, action: 'answering' | 'answered') => {
      request('question.moderate', { action, questionId: question.id }).catch((err: unknown) =>
        setError(t('mod.actionFailed', { reason: errorText(err) })),
      );
    },
    [request, t, errorText],
  );

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const action = speakerAction(keyLike(e));
      if (!action) return;
      if (action.kind === 'program') {
        const source = sourceAt(media.sources, action.index);
        if (source) {
          e.preventDefault();
          setProgramId(source.id);
        }
      } else if (action.kind === 'mute') {
        e.preventDefault();
        setMuted((m) => !m);
      } else {
        const { next, answering } = speakerTurn(state.questions);
        const question = action.kind === 'nextQuestion' ? next : answering;
        if (question) {
          e.preventDefault();
          markQuestion(question, action.kind === 'nextQuestion' ? 'answering' : 'answered');
        }
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [media.sources, state.questions, markQuestion]);

  const programLabel = media.sources.find((s) => s.id === programId)?.label ?? '';

  return (
    <div className="studio studio--speaker" data-testid="speaker-view">
      <Header state={state} network={network}>
        <span
          className={`onair ${air === 'live' ? 'onair--live' : ''}`}
          data-testid="air-state"
          data-state={air}
        >
          {air === 'live'
            ? t('speaker.live')
            : air === 'starting'
              ? t('speaker.starting')
              : t('speaker.offAir')}
        </span>
        <SessionTimer event={state.event} ping={() => request('ping', {})} />
      </Header>
      <main id="main" className="speaker-grid">
        <div className="speaker-grid__main">
          <section className="panel program" aria-labelledby="program-title">
            <h2 id="program-title">
              {t('speaker.program')}
              {programLabel && <span className="program__source"> — {programLabel}</span>}
            </h2>
            {programTrack ? (
              <VideoTile
                source={programTrack}
                label={t('speaker.program')}
                testId="program-video"
              />
            ) : (
              <p className="empty" data-testid="program-video-empty">
                {t('speaker.programEmpty')}
              </p>
            )}
            <div className="controls">
              {air === 'live' ? (
                <ConfirmButton
                  label={t('speaker.end')}
                  question={t('speaker.confirmEnd')}
                  confirmLabel={t('speaker.end')}
                  onConfirm={() => void end()}
                  testId="end-live"
                />
              ) : (
                <button
                  type="button"
                  className="primary"
                  disabled={air === 'starting' || over || !programTrack || !network.mediaAvailable}
                  onClick={() => void goLive()}
                  data-testid="go-live"
                >
                  {air === 'starting' ? t('speaker.starting') : t('speaker.goLive')}
                </button>
              )}
              <button
                type="button"
                aria-pressed={muted}
                className={muted ? 'danger' : ''}
                onClick={() => setMuted((m) => !m)}
                aria-keyshortcuts="M"
                disabled={!media.micTrack}
                data-testid="mute"
              >
                {muted ? t('speaker.unmute') : t('speaker.mute')}
              </button>
              {muted && (
                <span className="tag tag--warn" role="status">
                  {t('speaker.muted')}
                </span>
              )}
              <span className="hint">{t('speaker.simulcast')}</span>
            </div>
            {ended && (
              <p className="notice" role="status" data-testid="speaker-ended">
                {t(ended === 'ended' ? 'speaker.ended' : 'speaker.leftAir')}
              </p>
            )}
            {error && (
              <p className="alert" role="alert" data-testid="speaker-error">
                {error}
              </p>
            )}
            <p className="hint">{t('speaker.shortcuts')}</p>
          </section>
          <SourcePreviews
            sources={media.sources}
            streams={media.streams}
            programId={programId}
            onSelect={setProgramId}
            onShareScreen={media.streams.has('screen') ? null : () => void media.shareScreen()}
            onStopScreen={media.stopScreen}
          />
          <details className="panel-details" open={media.permission !== 'granted'}>
            <summary>{t('speaker.devices')}</summary>
            <DevicePanel media={media} />
          </details>
        </div>
        <aside className="speaker-grid__side">
          <QuestionQueue questions={state.questions} onMark={markQuestion} />
          <StagePanel stage={state.stage} remotes={remotes} withAudio />
          <CoSpeakers remotes={remotes} selfId={state.self.participantId} />
        </aside>
      </main>
    </div>
  );
}
