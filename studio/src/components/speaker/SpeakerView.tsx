import type { Question } from '@amphi/protocol';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useI18n } from '../../i18n.tsx';
import { useLocalMedia } from '../../media/useLocalMedia.ts';
import { useOutbound, useSourceChecks } from '../../media/useMediaChecks.ts';
import { judgeProgram, keepProgram, sourceAt } from '../../program.ts';
import { speakerTurn } from '../../questions.ts';
import type { PublishedTrack, StudioSession } from '../../session/types.ts';
import { keyLike, speakerAction } from '../../shortcuts.ts';
import { BackstageBox } from '../BackstageBox.tsx';
import { ConfirmButton } from '../ConfirmButton.tsx';
import { Header } from '../Header.tsx';
import { SessionTimer } from '../SessionTimer.tsx';
import { StagePanel } from '../StagePanel.tsx';
import { VideoTile } from '../VideoTile.tsx';
import { CoSpeakers } from './CoSpeakers.tsx';
import { DevicePanel } from './DevicePanel.tsx';
import { QuestionQueue } from './QuestionQueue.tsx';
import { ReadyCheck } from './ReadyCheck.tsx';
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
  /** A source refused or taken off the air because it gave classrooms no picture. */
  const [warning, setWarning] = useState<string | null>(null);
  /** The program sender's stats while on the air (null off air). */
  const [programStats, setProgramStats] = useState<(() => Promise<RTCStatsReport | null>) | null>(
    null,
  );
  /** What ending the live did: the session ended, or went on with the other speakers. */
  const [ended, setEnded] = useState<'ended' | 'leftAir' | null>(null);
  const over = state.event.status === 'ended' || state.event.status === 'cancelled';
  const video = useRef<PublishedTrack | null>(null);
  const audio = useRef<PublishedTrack | null>(null);

  const checks = useSourceChecks(media.sources, media.streams);
  /** Sources seen sending nothing on the air (the test may have passed, the camera froze since). */
  const [failed, setFailed] = useState<ReadonlySet<string>>(new Set());
  const unusable = useCallback(
    (id: string) => failed.has(id) || checks.get(id)?.state === 'unusable',
    [checks, failed],
  );
  const labelOf = useCallback(
    (id: string | null) => media.sources.find((s) => s.id === id)?.label ?? '',
    [media.sources],
  );

  const sourceKey = media.sources.map((s) => s.id).join('|');
  const unusableKey = media.sources
    .filter((s) => unusable(s.id))
    .map((s) => s.id)
    .join('|');
  // biome-ignore lint/correctness/useExhaustiveDependencies: keyed on the source ids and verdicts
  useEffect(() => {
    setProgramId((current) => keepProgram(media.sources, current, unusable));
  }, [sourceKey, unusableKey]);

  /**
   * Puts a source on the program, once its test showed it encodes: a camera
   * whose frames no encoder takes would freeze every classroom.
   */
  const choose = useCallback(
    (id: string) => {
      const check = checks.get(id)?.state;
      if (unusable(id)) {
        setWarning(t('speaker.sourceRefused', { label: labelOf(id) }));
      } else if (check === 'testing' || check === undefined) {
        setWarning(t('speaker.sourceTesting', { label: labelOf(id) }));
      } else {
        setWarning(null);
        setProgramId(id);
      }
    },
    [checks, unusable, labelOf, t],
  );

  const programTrack = (programId && media.streams.get(programId)?.getVideoTracks()[0]) || null;

  // Program switch: the same producer sends another track (replaceTrack, no renegotiation).
  useEffect(() => {
    if (programTrack && video.current) {
      video.current
        .replaceTrack(programTrack)
        .catch((err: unknown) => setError(t('speaker.publishError', { reason: errorText(err) })));
    }
  }, [programTrack, t, errorText]);

  // On the air, WebRTC's own stats say whether classrooms get a picture. A
  // source that encodes nothing for 2 s after a switch is taken back off the
  // program, and the previous one put back.
  const outbound = useOutbound(air === 'live' ? programStats : null);
  const lastGood = useRef<string | null>(null);
  const switchedAt = useRef(Date.now());
  // biome-ignore lint/correctness/useExhaustiveDependencies: a switch restarts the watch
  useEffect(() => {
    switchedAt.current = Date.now();
  }, [programId]);
  useEffect(() => {
    if (!outbound || !programId) return;
    const verdict = judgeProgram({
      framesLastSecond: outbound.frames,
      stalledMs: outbound.stalledMs,
      sinceSwitchMs: Date.now() - switchedAt.current,
      programId,
      lastGood: lastGood.current,
      sources: media.sources,
    });
    if (verdict.kind === 'sending') {
      lastGood.current = programId;
    } else if (verdict.kind === 'revert') {
      setFailed((f) => new Set(f).add(programId));
      setWarning(
        t('speaker.sourceReverted', { label: labelOf(programId), previous: labelOf(verdict.to) }),
      );
      setProgramId(verdict.to);
    } else if (verdict.kind === 'stalled') {
      setWarning(t('speaker.sourceStalled', { label: labelOf(programId) }));
    }
  }, [outbound, programId, media.sources, labelOf, t]);

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

  /** Takes the programme off the air: both producers closed, their figures gone. */
  const closeProducers = useCallback(async () => {
    const closing = [video.current, audio.current];
    video.current = null;
    audio.current = null;
    setProgramStats(null);
    await Promise.all(closing.map((p) => p?.close().catch(() => {})));
    setAir('off');
  }, []);

  const goLive = useCallback(async () => {
    if (!programTrack) return;
    setAir('starting');
    setError(null);
    try {
      const published = await publish(programTrack, 'camera');
      video.current = published;
      setProgramStats(() => () => published.getStats());
      if (media.micTrack) audio.current = await publish(media.micTrack, 'camera');
      // The picture goes out first: classrooms read « En direct » once it is there.
      await request('event.setStatus', { status: 'live' });
      setAir('live');
      setEnded(null);
    } catch (err) {
      await closeProducers();
      setError(t('speaker.publishError', { reason: errorText(err) }));
    }
  }, [programTrack, media.micTrack, publish, request, t, errorText, closeProducers]);

  const end = useCallback(async () => {
    await closeProducers();
    try {
      // Ends it for every classroom, unless other speakers of a panel are still on air.
      const { status } = await request('event.setStatus', { status: 'ended' });
      setEnded(status === 'ended' ? 'ended' : 'leftAir');
    } catch (err) {
      setError(t('mod.actionFailed', { reason: errorText(err) }));
    }
  }, [request, t, errorText, closeProducers]);

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
          choose(source.id);
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
  }, [media.sources, state.questions, markQuestion, choose]);

  const programLabel = labelOf(programId);
  const programCheck = programId ? (checks.get(programId) ?? null) : null;
  const programReady =
    programCheck?.state === 'ok' || programCheck?.state === 'unknown'
      ? programId !== null && !unusable(programId)
      : false;
  const settings = programTrack?.getSettings();
  const planned =
    settings?.width && settings.height
      ? { width: settings.width, height: settings.height, fps: settings.frameRate ?? null }
      : null;

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
        {state.presence && (
          <span className="watching" data-testid="classrooms-watching" role="status">
            {t('speaker.watching', { count: state.presence.counts.classroom })}
          </span>
        )}
        <SessionTimer event={state.event} ping={() => request('ping', {})} />
      </Header>
      <main id="main" className="speaker-grid">
        <div className="speaker-grid__main">
          <section
            className={`panel program ${air === 'live' ? 'program--live' : ''}`}
            aria-labelledby="program-title"
            data-testid="program"
            data-live={air === 'live'}
          >
            <h2 id="program-title">
              {air === 'live' ? (
                <span className="tag tag--live" data-testid="program-on-air">
                  {t('speaker.onProgram')}
                </span>
              ) : (
                t('speaker.programOff')
              )}
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
                  disabled={
                    air === 'starting' ||
                    over ||
                    !programTrack ||
                    !programReady ||
                    !network.mediaAvailable
                  }
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
            {warning && (
              <p className="alert" role="alert" data-testid="source-warning">
                {warning}
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
            onAir={air === 'live'}
            checks={checks}
            failed={failed}
            onSelect={choose}
            onShareScreen={media.streams.has('screen') ? null : () => void media.shareScreen()}
            onStopScreen={media.stopScreen}
          />
          <details className="panel-details" open={media.permission !== 'granted'}>
            <summary>{t('speaker.devices')}</summary>
            <DevicePanel media={media} />
          </details>
        </div>
        <aside className="speaker-grid__side">
          {/* Checks, then the class on stage: both in view without scrolling on a 1280×800 laptop. */}
          <ReadyCheck
            onAir={air === 'live'}
            micTrack={media.micTrack}
            muted={muted}
            hasMic={media.micTrack !== null}
            camera={programCheck}
            planned={planned}
            outbound={outbound}
            startsAt={state.event.startsAt}
          />
          <StagePanel stage={state.stage} remotes={remotes} withAudio />
          <BackstageBox />
          <QuestionQueue questions={state.questions} onMark={markQuestion} />
          <CoSpeakers remotes={remotes} selfId={state.self.participantId} />
        </aside>
      </main>
    </div>
  );
}
