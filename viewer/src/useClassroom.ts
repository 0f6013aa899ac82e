import type {
  EventStatus,
  JoinResult,
  Question,
  QuestionCategory,
  Self,
  Stage,
} from '@amphi/protocol';
import type { JoinParams } from '@amphi/sdk';
import {
  type LocalProducer,
  MediaClient,
  type QualityReport,
  type RemoteMedia,
  SignalingClient,
  SignalingError,
  type StatusInfo,
} from '@amphi/sdk';
import { useCallback, useEffect, useRef, useState } from 'react';

declare global {
  interface Window {
    /** Debug hook for the end-to-end tests and support: the live clients. */
    __amphi?: { signaling: SignalingClient; media: MediaClient };
  }
}

export interface ClassroomState {
  status: StatusInfo;
  quality: QualityReport | null;
  self: Self | null;
  eventTitle: string;
  eventStatus: EventStatus | null;
  questions: Question[];
  upvoted: ReadonlySet<string>;
  handRaised: boolean;
  stage: Stage | null;
  remotes: RemoteMedia[];
  audioOnly: boolean;
  mediaError: string | null;
  /** Refused for good (bad link, removed, event closed). */
  fatal: SignalingError | null;
}

const initial: ClassroomState = {
  status: { status: 'connecting', attempt: 0, nextRetryAt: null, error: null },
  quality: null,
  self: null,
  eventTitle: '',
  eventStatus: null,
  questions: [],
  upvoted: new Set(),
  handRaised: false,
  stage: null,
  remotes: [],
  audioOnly: false,
  mediaError: null,
  fatal: null,
};

/** The class's own questions, kept in this tab only so the after-session screen survives a reload. */
function remember(eventId: string, questions: Question[], classroomId: string | null): void {
  const mine = questions.filter((q) => q.classroomId === classroomId);
  sessionStorage.setItem(`amphi.mine.${eventId}`, JSON.stringify(mine));
}
export function remembered(eventId: string): Question[] {
  try {
    return JSON.parse(sessionStorage.getItem(`amphi.mine.${eventId}`) ?? '[]') as Question[];
  } catch {
    return [];
  }
}

function upsert(list: Question[], q: Question): Question[] {
  const i = list.findIndex((x) => x.id === q.id);
  if (i < 0) return [...list, q];
  const next = [...list];
  next[i] = q;
  return next;
}

/** One classroom's live session: signaling, media, questions, hand and stage. */
export function useClassroom(params: JoinParams) {
  const [state, setState] = useState<ClassroomState>(initial);
  const clients = useRef<{ signaling: SignalingClient; media: MediaClient } | null>(null);
  const stageProducers = useRef<LocalProducer[]>([]);
  const stageTracks = useRef<MediaStreamTrack[]>([]);
  const patch = useCallback((p: Partial<ClassroomState>) => setState((s) => ({ ...s, ...p })), []);

  const stopStageMedia = useCallback(() => {
    for (const p of stageProducers.current) void p.close();
    stageProducers.current = [];
    for (const t of stageTracks.current) t.stop();
    stageTracks.current = [];
  }, []);

  useEffect(() => {
    const signaling = new SignalingClient({
      baseUrl: location.origin,
      eventId: params.eventId,
      token: params.token,
    });
    const media = new MediaClient(signaling, { consume: (p) => p.role === 'speaker' });
    clients.current = { signaling, media };
    window.__amphi = { signaling, media };

    const restore = (join: JoinResult) => {
      const mine = join.self.classroomId;
      setState((s) => ({
        ...s,
        self: join.self,
        eventTitle: join.state.event.title,
        eventStatus: join.state.event.status,
        questions: join.state.questions,
        handRaised: join.state.hands.some((h) => h.classroomId === mine),
        stage: join.state.stage?.classroomId === mine ? join.state.stage : null,
        mediaError: join.routerRtpCapabilities ? null : 'unavailable',
      }));
      remember(params.eventId, join.state.questions, mine);
    };
    const offs = [
      signaling.on('status', (status) =>
        setState((s) => ({
          ...s,
          status,
          fatal: status.status === 'closed' && status.error ? status.error : s.fatal,
        })),
      ),
      signaling.on('joined', (join) => restore(join)),
      signaling.onEvent('question.updated', (q) =>
        setState((s) => {
          const questions = upsert(s.questions, q);
          remember(params.eventId, questions, s.self?.classroomId ?? null);
          return { ...s, questions };
        }),
      ),
      signaling.onEvent('question.removed', ({ questionId }) =>
        setState((s) => ({
          ...s,
          // The class keeps seeing its own questions (with their new status when told).
          questions: s.questions.filter(
            (q) => q.id !== questionId || q.classroomId === s.self?.classroomId,
          ),
        })),
      ),
      signaling.onEvent('questions.reordered', ({ ranks }) =>
        setState((s) => {
          const byId = new Map(ranks.map((r) => [r.questionId, r.rank]));
          return {
            ...s,
            questions: s.questions.map((q) =>
              byId.has(q.id) ? { ...q, rank: byId.get(q.id) ?? q.rank } : q,
            ),
          };
        }),
      ),
      signaling.onEvent('hand.updated', ({ classroomId, raised }) =>
        setState((s) => (classroomId === s.self?.classroomId ? { ...s, handRaised: raised } : s)),
      ),
      signaling.onEvent('stage.updated', ({ stage }) =>
        setState((s) => {
          const mine = stage && stage.classroomId === s.self?.classroomId ? stage : null;
          if (!mine) stopStageMedia();
          return { ...s, stage: mine, handRaised: mine ? false : s.handRaised };
        }),
      ),
      signaling.onEvent('event.updated', ({ status }) =>
        patch({ eventStatus: status as EventStatus }),
      ),
      media.on('remotes', (remotes) => patch({ remotes })),
      media.on('quality', (quality) => patch({ quality })),
      media.on('ready', () => patch({ mediaError: null })),
      media.on('error', (err) => {
        console.warn('media error', err);
        patch({ mediaError: err instanceof SignalingError ? err.code : err.message });
      }),
    ];
    signaling
      .connect()
      .then((join) => media.start(join))
      .catch((err: unknown) => {
        if (err instanceof SignalingError && err.code === 'MEDIA_UNAVAILABLE') {
          patch({ mediaError: 'unavailable' });
        }
      });
    return () => {
      for (const off of offs) off();
      stopStageMedia();
      media.close();
      signaling.close();
      clients.current = null;
    };
  }, [params.eventId, params.token, patch, stopStageMedia]);

  const ask = useCallback(
    async (text: string, category: QuestionCategory) => {
      const c = clients.current;
      if (!c) throw new SignalingError('DISCONNECTED', 'not connected');
      const idempotencyKey = crypto.randomUUID().replace(/-/g, '');
      const { question } = await c.signaling.request('question.submit', {
        idempotencyKey,
        text,
        category,
      });
      setState((s) => {
        const questions = upsert(s.questions, question);
        remember(params.eventId, questions, s.self?.classroomId ?? null);
        return { ...s, questions };
      });
    },
    [params.eventId],
  );

  const upvote = useCallback(async (questionId: string) => {
    const c = clients.current;
    if (!c) return;
    try {
      const { question } = await c.signaling.request('question.upvote', { questionId });
      setState((s) => ({
        ...s,
        questions: upsert(s.questions, question),
        upvoted: new Set([...s.upvoted, questionId]),
      }));
    } catch (err) {
      if (err instanceof SignalingError && err.code === 'ALREADY_UPVOTED') {
        setState((s) => ({ ...s, upvoted: new Set([...s.upvoted, questionId]) }));
      } else throw err;
    }
  }, []);

  const toggleHand = useCallback(async () => {
    const c = clients.current;
    if (!c) return;
    if (state.handRaised) {
      await c.signaling.request('hand.lower', {});
      patch({ handRaised: false });
    } else {
      await c.signaling.request('hand.raise', {});
      patch({ handRaised: true });
    }
  }, [state.handRaised, patch]);

  /** Consent: accept sends the previewed camera and microphone; decline stops them. */
  const respondStage = useCallback(
    async (accept: boolean, preview: MediaStream | null) => {
      const c = clients.current;
      if (!c) return;
      const { stage } = await c.signaling.request('stage.respond', { accept });
      patch({ stage });
      if (!accept || !preview) {
        for (const t of preview?.getTracks() ?? []) t.stop();
        return;
      }
      stageTracks.current = preview.getTracks();
      for (const track of preview.getTracks()) {
        stageProducers.current.push(
          await c.media.produce(track, { source: 'stage', simulcast: false }),
        );
      }
    },
    [patch],
  );

  const leaveStage = useCallback(async () => {
    const c = clients.current;
    stopStageMedia();
    patch({ stage: null });
    await c?.signaling.request('stage.leave', {});
  }, [patch, stopStageMedia]);

  const setAudioOnly = useCallback(
    async (audioOnly: boolean) => {
      await clients.current?.media.setAudioOnly(audioOnly);
      patch({ audioOnly });
    },
    [patch],
  );

  const retryNow = useCallback(() => clients.current?.signaling.retryNow(), []);

  return { state, ask, upvote, toggleHand, respondStage, leaveStage, setAudioOnly, retryNow };
}

export type Classroom = ReturnType<typeof useClassroom>;
