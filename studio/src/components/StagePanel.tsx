import type { Stage } from '@amphi/protocol';
import { useI18n } from '../i18n.tsx';
import type { RemoteTrack } from '../session/types.ts';
import { AudioSink } from './AudioSink.tsx';
import { VideoTile } from './VideoTile.tsx';

interface Props {
  stage: Stage | null;
  remotes: readonly RemoteTrack[];
  /** The speaker hears the class; a moderator may keep it silent. */
  withAudio: boolean;
}

/** The classroom on stage, seen (and heard by the speaker). */
export function StagePanel({ stage, remotes, withAudio }: Props) {
  const { t } = useI18n();
  const feed = remotes.filter(
    (r) =>
      r.producer.source === 'stage' &&
      (stage === null ||
        r.producer.classroomId === null ||
        r.producer.classroomId === stage.classroomId),
  );
  const video = feed.find((r) => r.producer.kind === 'video')?.track ?? null;
  const audio = feed.find((r) => r.producer.kind === 'audio')?.track ?? null;
  return (
    <section className="panel stage" aria-labelledby="stage-title" data-testid="stage-panel">
      <h2 id="stage-title">{t('speaker.stage')}</h2>
      {stage === null ? (
        <p className="empty">{t('speaker.stageEmpty')}</p>
      ) : stage.status === 'invited' ? (
        <p>{t('speaker.stageInvited', { name: stage.classroomName })}</p>
      ) : (
        <>
          <p className="stage__name">{stage.classroomName}</p>
          {video ? (
            <VideoTile source={video} label={stage.classroomName} testId="stage-video" />
          ) : (
            <p className="empty">{t('speaker.stageWaitingVideo')}</p>
          )}
          {withAudio && <AudioSink track={audio} testId="stage-audio" />}
        </>
      )}
    </section>
  );
}
