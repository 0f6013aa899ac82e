import { type SessionOptions, useLiveSession } from '@amphi/app-kit';
import type {
  EventStatus,
  LiveState,
  Question,
  QuestionCategory,
  Self,
  Stage,
} from '@amphi/protocol';
import {
  type OutgoingQuestion,
  ownHandRaised,
  type QualityReport,
  type RemoteMedia,
  SignalingError,
  type StatusInfo,
} from '@amphi/sdk';
import { useCallback, useEffect, useMemo } from 'react';
import { forcedHls } from './useHlsFallback.ts';

/** The classroom's session: it receives the speakers only (over LL-HLS alone with `?path=hls`). */
export const CLASSROOM_SESSION: SessionOptions = {
  media: forcedHls() ? false : { consume: (p) => p.role === 'speaker' },
};

export interface ClassroomState {
  status: StatusInfo;
  quality: QualityReport | null;
  self: Self | null;
  eventTitle: string;
  eventStatus: EventStatus | null;
  /** The event as the join snapshot described it (start time, speakers): the waiting screen's. */
  event: LiveState['event'] | null;
  /** The speaker talking now (participant id), once the server has said. */
  activeSpeaker: string | null;
  questions: Question[];
  upvoted: ReadonlySet<string>;
  handRaised: boolean;
  stage: Stage | null;
  remotes: RemoteMedia[];
  audioOnly: boolean;
  /** 'unavailable' without a media plane; otherwise the last media error's code. */
  mediaError: string | null;
  /** Refused for good (bad link, removed, event closed). */
  fatal: SignalingError | null;
  /** Questions sent from this screen; queued ones leave when the line is back. */
  outbox: readonly OutgoingQuestion[];
}

const KEY = (eventId: string) => `amphi.mine.${eventId}`;

/** The class's own questions as this tab last saw them: the after-session screen survives a reload. */
export function remembered(eventId: string): Question[] {
  try {
    return JSON.parse(sessionStorage.getItem(KEY(eventId)) ?? '[]') as Question[];
  } catch {
    return [];
  }
}

/**
 * The classroom's view of the `LiveSession` (app-kit's `useLiveSession`): what
 * its screens read, and its actions. The state itself is the sdk's.
 */
export function useClassroom() {
  const { session, snapshot } = useLiveSession();
  const { view, media } = snapshot;

  const state = useMemo<ClassroomState>(
    () => ({
      status: snapshot.link,
      quality: snapshot.quality,
      self: view?.self ?? null,
      eventTitle: view?.event.title ?? '',
      eventStatus: view?.event.status ?? null,
      event: view?.event ?? null,
      activeSpeaker: view?.activeSpeaker ?? null,
      questions: view?.questions ?? [],
      upvoted: snapshot.upvoted,
      handRaised: view ? ownHandRaised(view) : false,
      stage: view?.stage ?? null,
      remotes: media.remotes,
      audioOnly: media.audioOnly,
      mediaError: media.available ? media.error : 'unavailable',
      fatal: snapshot.fatal,
      outbox: snapshot.outbox,
    }),
    [snapshot, view, media],
  );

  useEffect(() => {
    if (!view) return;
    const mine = view.questions.filter((q) => q.classroomId === view.self.classroomId);
    sessionStorage.setItem(KEY(view.event.id), JSON.stringify(mine));
  }, [view]);

  const need = useCallback(() => {
    if (!session) throw new SignalingError('DISCONNECTED', 'not connected yet');
    return session;
  }, [session]);

  const ask = useCallback(
    (text: string, category: QuestionCategory) => need().ask(text, category),
    [need],
  );
  const upvote = useCallback((questionId: string) => need().upvote(questionId), [need]);
  const toggleHand = useCallback(
    async () => need().setHand(!state.handRaised),
    [need, state.handRaised],
  );
  /** Consent: accept sends the previewed camera and microphone; decline stops them. */
  const respondStage = useCallback(
    (accept: boolean, preview: MediaStream | null) =>
      need().respondStage(accept, preview?.getTracks() ?? []),
    [need],
  );
  const leaveStage = useCallback(() => need().leaveStage(), [need]);
  const setAudioOnly = useCallback((audioOnly: boolean) => need().setAudioOnly(audioOnly), [need]);
  const retryNow = useCallback(() => session?.retryNow(), [session]);

  return { state, ask, upvote, toggleHand, respondStage, leaveStage, setAudioOnly, retryNow };
}

export type Classroom = ReturnType<typeof useClassroom>;
