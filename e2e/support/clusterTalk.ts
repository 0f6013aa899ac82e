import type { Page } from 'playwright-core';
import { expectDecoding } from './browser.ts';
import type { MediaCluster } from './mediaCluster.ts';
import { longestStill, readPicture } from './pictureWatch.ts';
import type { LiveSession } from './session.ts';

/** A talk on a media cluster: the speaker live, every class decoding, and which node holds what. */
export interface ClusterTalk {
  classes: Page[];
  /** The media node under each class, in the session's classroom order. */
  placed: (string | null)[];
  /** The node holding the event's origin (where the speaker publishes). */
  origin: string;
}

export async function goLiveOnCluster(
  session: LiveSession,
  cluster: MediaCluster,
): Promise<ClusterTalk> {
  const { ev } = session;
  const speaker = await session.open('studio', ev.tokens.speaker);
  await speaker.click('[data-testid="go-live"]:not([disabled])');
  const classes: Page[] = [];
  for (const token of ev.tokens.classrooms) classes.push(await session.open('viewer', token));
  for (const page of classes) await expectDecoding(page, 10);
  const placed = await Promise.all(
    ev.classroomIds.map((id) => cluster.registry.classroomNodeOf(ev.eventId, id)),
  );
  const origin = await cluster.registry.nodeOf(ev.eventId);
  if (!origin) throw new Error('the live talk has no origin node');
  return { classes, placed, origin };
}

/** The viewer's receive transport now (a move or a set-up anew changes it). */
export const recvTransportOf = (page: Page) =>
  page.evaluate('(() => window.__amphi?.media?.recvTransport?.id ?? null)()') as Promise<
    string | null
  >;

/** What the class in front showed across its move (see `pictureAcrossMove`). */
export interface PictureAcrossMove {
  end: number;
  /** Frames presented from the incident to `end`. */
  frames: number;
  /** The longest time the picture stood still meanwhile. */
  still: number;
  /** The first reading on another receive transport than `oldTransportId` (undefined: none). */
  swap: { at: number; transportId: string | null } | undefined;
}

/**
 * Lets the watched page's picture (watchPicture) go on 2 s on its new node,
 * then reads what it showed since the incident at `from`.
 */
export async function pictureAcrossMove(
  watched: Page,
  from: number,
  oldTransportId: string | null,
): Promise<PictureAcrossMove> {
  await new Promise((r) => setTimeout(r, 2_000));
  const end = Date.now();
  const watch = await readPicture(watched);
  return {
    end,
    frames: watch.frames.filter((t) => t >= from && t <= end).length,
    still: longestStill(watch.frames, from, end),
    swap: watch.samples.find((x) => x.at >= from && x.transportId !== oldTransportId),
  };
}
