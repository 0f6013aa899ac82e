import { randomInt } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { PipeEndpoint, PipeHeartbeat, PipeProducer } from '@amphi/protocol';
import type { types } from 'mediasoup';

/** Where a node's pipes listen, and how their liveness is judged. */
export type PipeOptions = {
  /** Address the pipe transports bind to (0.0.0.0 behind NAT, or the host's own). */
  listenIp: string;
  /** Address the other node sends to when it differs from listenIp (NAT, 0.0.0.0). */
  announcedAddress?: string;
  /** A fixed port for this pipe (one pipe per port), or else a range to pick from. */
  port?: number;
  portRange?: { min: number; max: number };
  /** SRTP suite of the pipe (both ends must use the same). */
  cryptoSuite?: types.SrtpCryptoSuite;
  /** Heartbeat packets are sent this often. */
  heartbeatMs?: number;
  /** A link that has received nothing this long is reported dead. */
  deadAfterMs?: number;
};

export type PipeLinkEvents = {
  /** Nothing arrived through the pipe for `silentMs`: the other node or the path is gone. */
  dead: [{ silentMs: number }];
  /** Packets arrive again after `dead`. */
  alive: [];
  close: [{ reason: string }];
};

const HEARTBEAT_PT = 101;

/**
 * One end of a pipe between two hosts: a mediasoup PipeTransport on a router,
 * SRTP-protected in both directions, connected to the other end's transport.
 * Producers cross it as pipe consumers on the sending end and pipe producers
 * (same ids) on the receiving end, as mediasoup's pipeToRouter does within a
 * host. Each end also sends a heartbeat stream of its own (a DirectTransport
 * producer, two packets a second): the other end counts the RTP it decrypts
 * and reports the link dead when nothing arrived for a while, whether speakers
 * are silent or not. Closing the link closes the transport, and with it every
 * pipe consumer and pipe producer it carries.
 */
export class PipeLink extends EventEmitter<PipeLinkEvents> {
  readonly transport: types.PipeTransport;
  readonly #heartbeatTransport: types.DirectTransport;
  readonly #heartbeat: types.Producer;
  readonly #options: PipeOptions;
  #heartbeatOut: Promise<PipeHeartbeat> | undefined;
  #beatTimer: NodeJS.Timeout | undefined;
  #watchTimer: NodeJS.Timeout | undefined;
  #connected = false;
  #dead = false;
  #closed = false;

  static async open(router: types.Router, options: PipeOptions): Promise<PipeLink> {
    if (
      !options.announcedAddress &&
      (options.listenIp === '0.0.0.0' || options.listenIp === '::')
    ) {
      // The other node would be told to send to "any address".
      throw new Error('a pipe listening on every address needs an announcedAddress');
    }
    const transport = await router.createPipeTransport({
      listenInfo: {
        protocol: 'udp',
        ip: options.listenIp,
        ...(options.announcedAddress ? { announcedAddress: options.announcedAddress } : {}),
        ...(options.port ? { port: options.port } : {}),
        ...(options.portRange && !options.port ? { portRange: options.portRange } : {}),
      },
      enableSrtp: true,
      // Between hosts a lost packet is worth resending: the pipe answers NACKs.
      enableRtx: true,
      appData: { role: 'pipe' },
    });
    try {
      const heartbeatTransport = await router.createDirectTransport({
        maxMessageSize: 262144,
        appData: { role: 'pipe' },
      });
      transport.observer.once('close', () => heartbeatTransport.close());
      const heartbeat = await heartbeatTransport.produce({
        kind: 'video',
        rtpParameters: {
          codecs: [{ mimeType: 'video/VP8', payloadType: HEARTBEAT_PT, clockRate: 90000 }],
          encodings: [{ ssrc: randomInt(1, 0xffffffff) }],
        },
        appData: { role: 'pipe-heartbeat' },
      });
      return new PipeLink(transport, heartbeatTransport, heartbeat, options);
    } catch (error) {
      transport.close();
      throw error;
    }
  }

  private constructor(
    transport: types.PipeTransport,
    heartbeatTransport: types.DirectTransport,
    heartbeat: types.Producer,
    options: PipeOptions,
  ) {
    super();
    this.transport = transport;
    this.#heartbeatTransport = heartbeatTransport;
    this.#heartbeat = heartbeat;
    this.#options = options;
    // The router went (broadcast closed, worker died): the link is gone with it.
    transport.observer.once('close', () => this.close('transport closed'));
  }

  get closed(): boolean {
    return this.#closed;
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** True from `dead` until packets arrive again. */
  get dead(): boolean {
    return this.#dead;
  }

  /** What the other end needs to send here. */
  get endpoint(): PipeEndpoint {
    const { tuple, srtpParameters } = this.transport;
    if (!srtpParameters) throw new Error('pipe transport without SRTP');
    return {
      ip: this.#options.announcedAddress ?? tuple.localAddress ?? this.#options.listenIp,
      port: tuple.localPort,
      srtpParameters,
    };
  }

  /** The producer id the other end will create for this end's heartbeat, and its RTP. */
  heartbeat(): Promise<PipeHeartbeat> {
    this.#heartbeatOut ??= this.transport
      .consume({ producerId: this.#heartbeat.id })
      .then((consumer) => ({ id: this.#heartbeat.id, rtpParameters: consumer.rtpParameters }));
    return this.#heartbeatOut;
  }

  /** Connects to the other end and starts the heartbeat both ways. */
  async connect(remote: PipeEndpoint, remoteHeartbeat: PipeHeartbeat): Promise<void> {
    if (this.#connected) throw new Error('pipe already connected');
    await this.transport.connect({
      ip: remote.ip,
      port: remote.port,
      srtpParameters: remote.srtpParameters,
    });
    // The other end's heartbeat arrives as a producer nobody consumes: it is counted, not sent on.
    await this.transport.produce({
      id: remoteHeartbeat.id,
      kind: 'video',
      rtpParameters: remoteHeartbeat.rtpParameters as types.RtpParameters,
      appData: { role: 'pipe-heartbeat' },
    });
    this.#connected = true;
    this.#startHeartbeat();
    this.#startWatch();
  }

  /** Sends a producer of this router through the pipe; the other end produces it with `receive`. */
  async send(
    producerId: string,
    meta: { participantId: string; source: PipeProducer['source'] },
  ): Promise<{ consumer: types.Consumer; producer: PipeProducer }> {
    const consumer = await this.transport.consume({ producerId });
    return {
      consumer,
      producer: {
        id: producerId,
        kind: consumer.kind,
        rtpParameters: consumer.rtpParameters,
        paused: consumer.producerPaused,
        ...meta,
      },
    };
  }

  /** Produces here what the other end sends (same id, its pipe consumer's RTP parameters). */
  receive(producer: PipeProducer): Promise<types.Producer> {
    return this.transport.produce({
      id: producer.id,
      kind: producer.kind,
      rtpParameters: producer.rtpParameters as types.RtpParameters,
      paused: producer.paused,
      appData: { participantId: producer.participantId, source: producer.source, pipe: true },
    });
  }

  close(reason = 'closed'): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#beatTimer);
    clearInterval(this.#watchTimer);
    this.#heartbeatTransport.close();
    this.transport.close();
    this.emit('close', { reason });
  }

  #startHeartbeat(): void {
    const ssrc = this.#heartbeat.rtpParameters.encodings?.[0]?.ssrc ?? 1;
    let seq = randomInt(0, 0xffff);
    const started = performance.now();
    this.#beatTimer = setInterval(() => {
      if (this.#heartbeat.closed) return;
      seq = (seq + 1) & 0xffff;
      const timestamp = Math.round((performance.now() - started) * 90) >>> 0;
      this.#heartbeat.send(heartbeatPacket(seq, timestamp, ssrc));
    }, this.#options.heartbeatMs ?? 500);
    this.#beatTimer.unref();
  }

  /** Reads the RTP the pipe decrypted: SRTP that fails to decrypt, or strangers' packets, count for nothing. */
  #startWatch(): void {
    const deadAfterMs = this.#options.deadAfterMs ?? 3000;
    let lastBytes = -1;
    let lastChange = performance.now();
    this.#watchTimer = setInterval(
      async () => {
        const stats = await this.transport.getStats().catch(() => undefined);
        const bytes = stats?.[0]?.rtpBytesReceived;
        if (this.#closed || bytes === undefined) return;
        const now = performance.now();
        if (bytes !== lastBytes) {
          lastBytes = bytes;
          lastChange = now;
          if (this.#dead) {
            this.#dead = false;
            this.emit('alive');
          }
        } else if (!this.#dead && now - lastChange >= deadAfterMs) {
          this.#dead = true;
          this.emit('dead', { silentMs: Math.round(now - lastChange) });
        }
      },
      Math.max(100, Math.min(1000, deadAfterMs / 4)),
    );
    this.#watchTimer.unref();
  }
}

/**
 * A VP8 packet flagged as a key frame: a pipe consumer forwards nothing else
 * until it has seen one, and the heartbeat must pass at once.
 */
function heartbeatPacket(seq: number, timestamp: number, ssrc: number): Buffer {
  const packet = Buffer.alloc(12 + 3);
  packet[0] = 0x80;
  packet[1] = HEARTBEAT_PT;
  packet.writeUInt16BE(seq, 2);
  packet.writeUInt32BE(timestamp, 4);
  packet.writeUInt32BE(ssrc, 8);
  // VP8 payload descriptor: X=1, S=1, partition 0; no extensions; key-frame bit (P=0).
  packet[12] = 0x90;
  packet[13] = 0x00;
  packet[14] = 0x00;
  return packet;
}
