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

/**
 * The classroom's clients on a fresh stand-in server, connected but with
 * media not started (a test starts it, or sees its start refused);
 * `prepare` sets the stand-in up before the classroom connects.
 */
export async function standInClients(
  options: Partial<MediaClientOptions> = {},
  prepare?: (server: StandInServer) => void,
): Promise<StandInClassroom> {
  const server = await StandInServer.start();
  prepare?.(server);
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
  } catch (err) {
    close();
    throw err;
  }
  return { server, media, errors, reaches, close };
}

export async function standInClassroom(
  options: Partial<MediaClientOptions> = {},
): Promise<StandInClassroom> {
  const classroom = await standInClients(options);
  try {
    await classroom.media.start(null);
  } catch (err) {
    classroom.close();
    throw err;
  }
  return classroom;
}

/** Waits until `test` holds, up to `ms`; else throws with `what` (the state to show). */
export async function until(test: () => boolean, ms: number, what: () => string): Promise<void> {
  for (const deadline = Date.now() + ms; !test(); ) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
