// The synthetic speaker's own process (see SpeakerProcess): its sending keeps
// its pace whatever the classrooms cost the simulator's event loop, as a real
// speaker's browser would. Talks to its parent over IPC.
import { loadVp8Clip } from './media/vp8Clip.ts';
import { type SpeakerUplink, SyntheticSpeaker } from './SyntheticSpeaker.ts';

export type ToSpeaker =
  | { type: 'start'; baseUrl: string; eventId: string; token: string }
  | { type: 'close' }
  /** Drops its signaling socket as a cut line would (tests of the recovery). */
  | { type: 'drop' };
export type FromSpeaker =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { type: 'sr'; ntpMs: number; rtpTimestamp: number; uplink: SpeakerUplink };

const send = (m: FromSpeaker) => process.send?.(m);
let speaker: SyntheticSpeaker | null = null;

process.on('message', (m: ToSpeaker) => {
  if (m.type === 'close') {
    speaker?.close();
    process.exit(0);
  }
  if (m.type === 'drop') {
    speaker?.session.signaling.dropConnection();
    return;
  }
  void (async () => {
    try {
      const s = new SyntheticSpeaker({
        baseUrl: m.baseUrl,
        eventId: m.eventId,
        token: m.token,
        clip: await loadVp8Clip(),
        onSenderReport: (sr) => send({ type: 'sr', ...sr, uplink: s.uplink }),
      });
      speaker = s;
      await s.start();
      send({ type: 'ready' });
    } catch (err) {
      send({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
    }
  })();
});
// The parent gone, so is the speaker.
process.on('disconnect', () => {
  speaker?.close();
  process.exit(0);
});
