import type {
  ProducerInfo,
  ProducerSource,
  RequestData,
  RequestResult,
  RequestType,
} from '@amphi/protocol';
import type { StudioState } from '../live/liveState.ts';

/** What the views need from a session; `useStudioSession` implements it over `@amphi/sdk`. */

export type LinkStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';
export type Quality = 'good' | 'degraded' | 'bad' | 'offline';

/** Everything the network indicator shows, honestly: link, media and measured quality. */
export interface NetworkView {
  status: LinkStatus;
  /** Retries since the link was last open. */
  attempt: number;
  /** When the next reconnection try starts (ms since epoch). */
  nextRetryAt: number | null;
  /** Browser's own view of the network. */
  online: boolean;
  quality: Quality | null;
  rttMs: number | null;
  lossRate: number | null;
  /** False when the server answered without media (MEDIA_UNAVAILABLE) or media failed to start. */
  mediaAvailable: boolean;
}

export type Request = <T extends RequestType>(
  type: T,
  data: RequestData<T>,
) => Promise<RequestResult<T>>;

/** A track someone else sends that this studio receives. */
export interface RemoteTrack {
  producer: ProducerInfo;
  track: MediaStreamTrack;
}

/** One of this studio's producers. */
export interface PublishedTrack {
  /** Sends another track in its place: no renegotiation, no gap for classrooms. */
  replaceTrack(track: MediaStreamTrack): Promise<void>;
  /** The sender's WebRTC stats (`outbound-rtp`: what classrooms get); null between reconnections. */
  getStats(): Promise<RTCStatsReport | null>;
  close(): Promise<void>;
}

export interface StudioSession {
  state: StudioState;
  network: NetworkView;
  remotes: RemoteTrack[];
  request: Request;
  /** Camera video goes out in three simulcast layers. */
  publish(track: MediaStreamTrack, source: ProducerSource): Promise<PublishedTrack>;
}
