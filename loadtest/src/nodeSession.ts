import { LiveSession } from '@amphi/sdk';
import WebSocket from 'ws';

/**
 * A participant's live session from Node (the simulator's classrooms, its
 * speakers and moderator, the tests'): the sdk's signaling over the `ws`
 * package, and no browser media: the caller sends and receives its RTP itself
 * (libdatachannel), or none.
 */
export function nodeLiveSession(o: { baseUrl: string; eventId: string; token: string }) {
  return new LiveSession({
    baseUrl: o.baseUrl,
    eventId: o.eventId,
    token: o.token,
    media: false,
    signaling: { WebSocket: WebSocket as unknown as typeof globalThis.WebSocket },
  });
}
