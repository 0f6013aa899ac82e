import { ClassroomPeer } from '../../../loadtest/src/ClassroomPeer.ts';
import type { Vp8Clip } from '../../../loadtest/src/media/vp8Clip.ts';
import { SyntheticSpeaker } from '../../../loadtest/src/SyntheticSpeaker.ts';
import type { MediaNodeRegistry } from '../../src/rtc/remote/MediaNodeRegistry.ts';
import type { SeededEvent } from './harness.ts';

/**
 * The people of a talk on media nodes, as the cluster tests make them: a
 * speaker publishing the clip (SyntheticSpeaker), classrooms receiving it
 * over real WebRTC and counting its frames (ClassroomPeer), and the node the
 * registry placed each classroom on. close() closes every one made.
 */
export class ClusterTalk {
  readonly #baseUrl: string;
  readonly #registry: MediaNodeRegistry;
  readonly #clip: Vp8Clip;
  readonly #speakers: SyntheticSpeaker[] = [];
  readonly #peers: ClassroomPeer[] = [];

  constructor(baseUrl: string, registry: MediaNodeRegistry, clip: Vp8Clip) {
    this.#baseUrl = baseUrl;
    this.#registry = registry;
    this.#clip = clip;
  }

  /** The event's speaker, publishing (camera and microphone) once this resolves. */
  async speak(ev: SeededEvent): Promise<SyntheticSpeaker> {
    const speaker = await startSpeaker(this.#baseUrl, ev, this.#clip);
    this.#speakers.push(speaker);
    return speaker;
  }

  /** Classroom `i` of the event, not joined yet; its delay read against `speaker`'s capture clock. */
  classroom(ev: SeededEvent, i: number, speaker: SyntheticSpeaker | null): ClassroomPeer {
    const peer = new ClassroomPeer({
      index: i,
      baseUrl: this.#baseUrl,
      eventId: ev.eventId,
      token: ev.tokens.classrooms[i] as string,
      capture: speaker ? speaker.captureClock : () => null,
      serverSharesClock: true,
    });
    this.#peers.push(peer);
    return peer;
  }

  /** Each classroom's node, as every control-api instance reads it ('?': none). */
  placements(ev: SeededEvent): Promise<string[]> {
    return Promise.all(
      ev.classroomIds.map(
        async (id) => (await this.#registry.classroomNodeOf(ev.eventId, id)) ?? '?',
      ),
    );
  }

  close(): void {
    for (const p of this.#peers.splice(0)) p.close();
    for (const s of this.#speakers.splice(0)) s.close();
  }
}

/** The event's speaker publishing `clip` (camera and microphone); closed if its start fails. */
export async function startSpeaker(
  baseUrl: string,
  ev: SeededEvent,
  clip: Vp8Clip,
): Promise<SyntheticSpeaker> {
  const speaker = new SyntheticSpeaker({
    baseUrl,
    eventId: ev.eventId,
    token: ev.tokens.speaker,
    clip,
  });
  try {
    await speaker.start();
  } catch (err) {
    speaker.close();
    throw err;
  }
  return speaker;
}
