import { useI18n } from '../../i18n.tsx';
import type { RemoteTrack } from '../../session/types.ts';
import { AudioSink } from '../AudioSink.tsx';
import { VideoTile } from '../VideoTile.tsx';

/** The other speakers of a 55 min panel, each from their own place, seen and heard. */
export function CoSpeakers({
  remotes,
  selfId,
}: {
  remotes: readonly RemoteTrack[];
  selfId: string;
}) {
  const { t } = useI18n();
  const byParticipant = new Map<
    string,
    { name: string; video?: MediaStreamTrack; audio?: MediaStreamTrack }
  >();
  for (const r of remotes) {
    if (r.producer.role !== 'speaker' || r.producer.participantId === selfId) continue;
    const entry = byParticipant.get(r.producer.participantId) ?? { name: r.producer.name };
    if (r.producer.kind === 'video') entry.video = r.track;
    else entry.audio = r.track;
    byParticipant.set(r.producer.participantId, entry);
  }
  const tiles = [...byParticipant.entries()];
  return (
    <section className="panel co-speakers" aria-labelledby="co-title">
      <h2 id="co-title">{t('speaker.coSpeakers')}</h2>
      {tiles.length === 0 ? (
        <p className="empty">{t('speaker.noCoSpeakers')}</p>
      ) : (
        <ul className="tiles">
          {tiles.map(([id, tracks], i) => {
            const label = tracks.name || t('speaker.coSpeaker', { n: i + 2 });
            return (
              <li key={id} className="tile" data-testid="co-speaker-tile" data-participant-id={id}>
                <VideoTile source={tracks.video ?? null} label={label} />
                <AudioSink track={tracks.audio ?? null} />
                <span className="tile__caption">{label}</span>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
