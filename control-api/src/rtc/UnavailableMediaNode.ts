import { EventEmitter } from 'node:events';
import type { ProducerInfo, RtpCapabilities } from '@amphi/protocol';
import { AppError } from '../errors.ts';
import type { MediaNode, MediaNodeEvents } from './MediaNode.ts';

const unavailable = () =>
  Promise.reject(
    new AppError('MEDIA_UNAVAILABLE', 'media is not available on this server right now'),
  );

/**
 * The media node when none is configured: questions, hands and presence work,
 * every media request answers MEDIA_UNAVAILABLE.
 */
export class UnavailableMediaNode extends EventEmitter<MediaNodeEvents> implements MediaNode {
  closed = false;
  getRouterRtpCapabilities(): Promise<RtpCapabilities> {
    return unavailable();
  }
  createWebRtcTransport = unavailable;
  connectTransport = unavailable;
  produce = unavailable;
  consume = unavailable;
  resumeConsumer = unavailable;
  setPreferredLayers = unavailable;
  setAudioOnly = unavailable;
  closeProducer = unavailable;
  closeTransport = unavailable;
  async closeParticipant(): Promise<void> {}
  async detachParticipant(): Promise<void> {}
  adoptParticipant = unavailable;
  async listProducers(): Promise<ProducerInfo[]> {
    return [];
  }
  async closeEvent(): Promise<void> {}
  async close(): Promise<void> {
    this.closed = true;
  }
}
