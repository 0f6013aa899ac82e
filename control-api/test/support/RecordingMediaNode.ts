import { EventEmitter } from 'node:events';
import type {
  AdoptedMedia,
  ConsumerOptions,
  ProducerInfo,
  RtpCapabilities,
  TransportDirection,
  TransportOptions,
} from '@amphi/protocol';
import { AppError } from '../../src/errors.ts';
import type {
  ConsumeParams,
  MediaNode,
  MediaNodeEvents,
  MediaParticipant,
  ProduceParams,
} from '../../src/rtc/MediaNode.ts';

const fingerprint = Array.from({ length: 32 }, () => 'AB').join(':');

/**
 * A media node that records what signaling asked of it and fakes the answers,
 * reporting its producers opening and closing as a real node does. Only for
 * testing signaling's role checks on media messages; real media is tested
 * against the media-server.
 */
export class RecordingMediaNode extends EventEmitter<MediaNodeEvents> implements MediaNode {
  closed = false;
  readonly calls: { op: string; participantId?: string; detail?: unknown }[] = [];
  readonly producers = new Map<string, ProducerInfo & { eventId: string }>();
  #n = 0;

  ops(): string[] {
    return this.calls.map((c) => c.op);
  }

  async getRouterRtpCapabilities(): Promise<RtpCapabilities> {
    this.calls.push({ op: 'getRouterRtpCapabilities' });
    return { codecs: [{ kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 }] };
  }
  async createWebRtcTransport(
    who: MediaParticipant,
    direction: TransportDirection,
  ): Promise<TransportOptions> {
    this.calls.push({
      op: 'createWebRtcTransport',
      participantId: who.participantId,
      detail: direction,
    });
    return {
      transportId: `t${++this.#n}`,
      direction,
      iceParameters: { usernameFragment: 'u', password: 'p' },
      iceCandidates: [],
      dtlsParameters: {
        role: 'auto',
        fingerprints: [{ algorithm: 'sha-256', value: fingerprint }],
      },
    };
  }
  async connectTransport(who: MediaParticipant): Promise<void> {
    this.calls.push({ op: 'connectTransport', participantId: who.participantId });
  }
  async produce(who: MediaParticipant, params: ProduceParams): Promise<{ producerId: string }> {
    this.calls.push({
      op: 'produce',
      participantId: who.participantId,
      detail: params.appData.source,
    });
    const producerId = `p${++this.#n}`;
    const producer: ProducerInfo = {
      producerId,
      participantId: who.participantId,
      role: who.role,
      name: who.name,
      kind: params.kind,
      source: params.appData.source,
      classroomId: who.classroomId,
    };
    this.producers.set(producerId, { eventId: who.eventId, ...producer });
    this.emit('produceradded', { eventId: who.eventId, producer });
    return { producerId };
  }
  async consume(who: MediaParticipant, params: ConsumeParams): Promise<ConsumerOptions> {
    this.calls.push({ op: 'consume', participantId: who.participantId, detail: params.producerId });
    const p = this.producers.get(params.producerId);
    return {
      consumerId: `c${++this.#n}`,
      producerId: params.producerId,
      kind: p?.kind ?? 'video',
      rtpParameters: { codecs: [{ mimeType: 'video/VP8', payloadType: 96, clockRate: 90000 }] },
      paused: true,
    };
  }
  async resumeConsumer(who: MediaParticipant): Promise<void> {
    this.calls.push({ op: 'resumeConsumer', participantId: who.participantId });
  }
  async setPreferredLayers(who: MediaParticipant): Promise<void> {
    this.calls.push({ op: 'setPreferredLayers', participantId: who.participantId });
  }
  async setAudioOnly(who: MediaParticipant, audioOnly: boolean): Promise<void> {
    this.calls.push({ op: 'setAudioOnly', participantId: who.participantId, detail: audioOnly });
  }
  async closeProducer(who: MediaParticipant, producerId: string): Promise<void> {
    this.calls.push({ op: 'closeProducer', participantId: who.participantId, detail: producerId });
    this.#close(producerId);
  }
  async closeTransport(who: MediaParticipant, transportId: string): Promise<void> {
    this.calls.push({
      op: 'closeTransport',
      participantId: who.participantId,
      detail: transportId,
    });
  }
  async closeParticipant(who: MediaParticipant): Promise<void> {
    this.calls.push({ op: 'closeParticipant', participantId: who.participantId });
    for (const [id, p] of this.producers)
      if (p.participantId === who.participantId) this.#close(id);
  }
  async detachParticipant(who: MediaParticipant): Promise<void> {
    this.calls.push({ op: 'detachParticipant', participantId: who.participantId });
  }
  async adoptParticipant(who: MediaParticipant): Promise<AdoptedMedia> {
    this.calls.push({ op: 'adoptParticipant', participantId: who.participantId });
    throw new AppError('RESUME_UNKNOWN', 'this fake node keeps no detached media');
  }
  async listProducers(eventId: string): Promise<ProducerInfo[]> {
    return [...this.producers.values()]
      .filter((p) => p.eventId === eventId)
      .map(({ eventId: _e, ...p }) => p);
  }
  async closeEvent(eventId: string): Promise<void> {
    this.calls.push({ op: 'closeEvent', detail: eventId });
    for (const [id, p] of this.producers) if (p.eventId === eventId) this.#close(id);
  }
  async close(): Promise<void> {
    this.closed = true;
  }
  #close(producerId: string): void {
    const p = this.producers.get(producerId);
    if (!p) return;
    this.producers.delete(producerId);
    const { eventId, ...producer } = p;
    this.emit('producerclosed', { eventId, producer });
  }
}
