import type { types } from 'mediasoup';
import type { Broadcast, ProducerDescription } from '../Broadcast.ts';
import { KEY_FRAME_REQUEST_DELAY_MS } from '../mediaCodecs.ts';

/** The RTP an ingest expects: VP8 simulcast by SSRC (low to high) and Opus. */
export const INGEST_RTP = {
  videoPayloadType: 101,
  audioPayloadType: 100,
  videoSsrcs: [0x1a1a0001, 0x1a1a0002, 0x1a1a0003],
  audioSsrc: 0x1a1a00a0,
} as const;

/** The VP8 an ingest receives (and a test's plain RTP camera sends): NACK and PLI answered. */
export const INGEST_VP8: types.RtpCodecParameters = {
  mimeType: 'video/VP8',
  payloadType: INGEST_RTP.videoPayloadType,
  clockRate: 90000,
  rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }],
};

/**
 * Plain RTP into a broadcast's origin, standing in for a speaker: FFmpeg (or
 * any RTP source) sends to videoPort / audioPort and classrooms receive it
 * like a browser speaker's simulcast. The source's address is learnt from its
 * first packet (comedia), so nothing is needed from it beforehand.
 */
export class RtpIngest {
  readonly videoPort: number;
  readonly audioPort: number;
  readonly producers: ProducerDescription[];
  readonly #transports: types.PlainTransport[];

  static async create(
    broadcast: Broadcast,
    options: {
      participantId: string;
      listenIp: string;
      simulcastLayers?: number;
      /** Receive buffer of the ingest sockets: the worker's input, where overload shows first. */
      socketBufferSize?: number;
    },
  ): Promise<RtpIngest> {
    const transports: types.PlainTransport[] = [];
    const producers = await broadcast.publishOnOrigin(async (router) => {
      const open = async () => {
        const t = await router.createPlainTransport({
          listenInfo: {
            protocol: 'udp',
            ip: options.listenIp,
            ...(options.socketBufferSize ? { recvBufferSize: options.socketBufferSize } : {}),
          },
          rtcpMux: true,
          comedia: true,
        });
        transports.push(t);
        return t;
      };
      const video = await open();
      const audio = await open();
      const layers = INGEST_RTP.videoSsrcs.slice(0, options.simulcastLayers ?? 3);
      return Promise.all([
        video.produce({
          kind: 'video',
          keyFrameRequestDelay: KEY_FRAME_REQUEST_DELAY_MS,
          rtpParameters: {
            codecs: [INGEST_VP8],
            encodings: layers.map((ssrc) => ({ ssrc })),
          },
        }),
        audio.produce({
          kind: 'audio',
          rtpParameters: {
            codecs: [
              {
                mimeType: 'audio/opus',
                payloadType: INGEST_RTP.audioPayloadType,
                clockRate: 48000,
                channels: 2,
              },
            ],
            encodings: [{ ssrc: INGEST_RTP.audioSsrc }],
          },
        }),
      ]);
    }, options.participantId);
    const [video, audio] = transports;
    if (!video || !audio) throw new Error('ingest transports missing');
    return new RtpIngest(video, audio, producers);
  }

  private constructor(
    video: types.PlainTransport,
    audio: types.PlainTransport,
    producers: ProducerDescription[],
  ) {
    this.#transports = [video, audio];
    this.videoPort = video.tuple.localPort;
    this.audioPort = audio.tuple.localPort;
    this.producers = producers;
  }

  get videoProducerId(): string {
    return this.#producer('video');
  }

  get audioProducerId(): string {
    return this.#producer('audio');
  }

  close(): void {
    for (const t of this.#transports) t.close();
  }

  #producer(kind: types.MediaKind): string {
    const p = this.producers.find((d) => d.kind === kind);
    if (!p) throw new Error(`ingest has no ${kind} producer`);
    return p.id;
  }
}
