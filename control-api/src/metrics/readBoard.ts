import type { WorkerMonitor } from '@amphi/media-server';
import type { EventBoard, MediaNodeLoad } from '@amphi/protocol';
import type { CatalogStore } from '../catalog/CatalogStore.ts';
import { AppError } from '../errors.ts';
import type { LiveHub } from '../live/LiveHub.ts';
import type { StageService } from '../live/StageService.ts';
import { boardCounts } from './participantCounts.ts';
import type { QuestionFigures } from './QuestionFigures.ts';

export interface BoardSources {
  catalog: CatalogStore;
  hub: LiveHub;
  stage: StageService;
  figures: QuestionFigures;
  /** The media workers of this process, when the media plane runs in it. */
  media?: WorkerMonitor | undefined;
  /** This instance's id: its in-process media node is named after it. */
  instanceId: string;
}

/**
 * An event's live board, from the sources the metrics read: presence across
 * every instance (the same counting as `amphi_participants`, for one event),
 * the queue in PostgreSQL (as `amphi_questions`), the stage, and the worker
 * monitor's sample (as `amphi_media_worker_*`). NOT_FOUND for an unknown event.
 */
export async function readBoard(sources: BoardSources, eventId: string): Promise<EventBoard> {
  const event = await sources.catalog.getEvent(eventId);
  if (!event) throw new AppError('NOT_FOUND', `no event ${eventId}`);
  const presence = sources.hub.presence(eventId);
  const [byStatus, rate, stage, hands, media] = await Promise.all([
    sources.figures.byStatus(eventId),
    sources.figures.perMinute(eventId),
    sources.stage.stage(eventId),
    sources.stage.hands(eventId),
    mediaNodes(sources),
  ]);
  const speakersConnected = new Set(
    presence.filter((p) => p.role === 'speaker').map((p) => p.name),
  );
  return {
    eventId,
    title: event.title,
    status: event.status,
    at: new Date().toISOString(),
    ...boardCounts(presence),
    questions: { byStatus, lastMinute: rate.lastMinute, perMinute: rate.perMinute },
    stage,
    speakers: event.speakers.map((s) => ({
      name: s.name,
      connected: speakersConnected.has(s.name),
    })),
    hands: hands.length,
    media,
  };
}

async function mediaNodes(sources: BoardSources): Promise<MediaNodeLoad[]> {
  if (!sources.media || sources.media.closed) return [];
  const samples = await sources.media.sample();
  return [
    {
      nodeId: sources.instanceId,
      kind: 'in-process',
      workers: samples.map((s) => ({
        index: s.index,
        pid: s.pid,
        classrooms: s.classrooms,
        consumers: s.consumers,
        routers: s.routers,
        cpuPercent: s.cpuPercent,
        bitrateInBps: s.bitrateInBps,
        bitrateOutBps: s.bitrateOutBps,
        lossIn: s.lossIn,
        lossOut: s.lossOut,
        restarts: s.restarts,
      })),
    },
  ];
}
