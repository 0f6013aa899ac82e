import WebSocket from 'ws';
import {
  MediaClient,
  type MediaClientOptions,
  type ReachState,
  SignalingClient,
} from '../../src/index.ts';
import { EVENT_ID, StandInServer } from './standInServer.ts';

/**
 * A classroom's clients (signaling over ws, media) on a fresh stand-in
 * server, started without media (the stand-in offers none), with what the
 * media client says gathered: its errors' codes (else messages) and its
 * reach states, in order. close() closes the clients, then the server.
 */
export interface StandInClassroom {
  server: StandInServer;
  media: MediaClient;
  errors: string[];
  reaches: ReachState[];
  close(): void;
}

export async function standInClassroom(
  options: Partial<MediaClientOptions> = {},
): Promise<StandInClassroom> {
  const server = await StandInServer.start();
  const signaling = new SignalingClient({
    baseUrl: server.baseUrl,
    eventId: EVENT_ID,
    token: 'tok',
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
  });
  const media = new MediaClient(signaling, { reachMemory: null, reportQuality: false, ...options });
  const close = () => {
    media.close();
    signaling.close();
    server.close();
  };
  const errors: string[] = [];
  media.on('error', (err) => errors.push((err as { code?: string }).code ?? err.message));
  const reaches: ReachState[] = [];
  media.on('reach', (r) => reaches.push(r));
  try {
    await signaling.connect();
    await media.start(null);
  } catch (err) {
    close();
    throw err;
  }
  return { server, media, errors, reaches, close };
}

/** Waits until `test` holds, up to `ms`; else throws with `what` (the state to show). */
export async function until(test: () => boolean, ms: number, what: () => string): Promise<void> {
  for (const deadline = Date.now() + ms; !test(); ) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
