import type { Page } from 'playwright-core';
import { expectDecoding } from './browser.ts';
import type { MediaCluster } from './mediaCluster.ts';
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
