import type { types } from 'mediasoup';
import type { Broadcast } from '../src/Broadcast.ts';
import type { RtpSink } from './sink/RtpSink.ts';

/**
 * How a benchmark classroom receives:
 * - plain: an RTP sink that sends nothing back; its consumers drop transport-cc
 *   and REMB (what joinPlainReceiver gives).
 * - browser: consumers negotiate transport-cc as a browser does, and the sink
 *   answers with transport-wide feedback and receiver reports over SRTCP, so
 *   the worker stamps every packet and runs send-side bandwidth estimation
 *   for the classroom.
 */
export type ConsumerKind = 'plain' | 'browser';

const TRANSPORT_CC_URI =
  'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01';

/** Joins one classroom whose media goes to a sink port; every consumer resumed. */
export async function joinSinkClassroom(
  broadcast: Broadcast,
  sink: RtpSink,
  classroomId: string,
  opts: {
    kind: ConsumerKind;
    ip: string;
    port: number;
    srtp: types.SrtpCryptoSuite;
    /** Browser kind: a floor under the transport's bandwidth estimate, bits/s. */
    minOutgoingBitrate?: number;
  },
): Promise<void> {
  const session = await broadcast.join(classroomId, 'classroom');
  const transport = await session.createPlainTransport({
    ip: opts.ip,
    port: opts.port,
    srtp: opts.srtp,
    bandwidthFeedback: opts.kind === 'browser',
    ...(opts.kind === 'browser' && opts.minOutgoingBitrate
      ? { minOutgoingBitrate: opts.minOutgoingBitrate }
      : {}),
  });
  const consumers = [];
  for (const producer of broadcast.producersFor(classroomId)) {
    consumers.push(
      await broadcast.consume(classroomId, {
        transportId: transport.id,
        producerId: producer.id,
        rtpCapabilities: broadcast.rtpCapabilities,
      }),
    );
  }
  if (opts.kind === 'browser') {
    const twccExtId = consumers
      .flatMap((c) => c.rtpParameters.headerExtensions ?? [])
      .find((h) => h.uri === TRANSPORT_CC_URI)?.id;
    if (!twccExtId) throw new Error(`${classroomId}: no transport-cc negotiated`);
    if (!transport.srtpParameters || !transport.remoteSrtpParameters) {
      throw new Error(`${classroomId}: a browser-like classroom needs SRTP`);
    }
    // Registered before the consumers resume, so the first packet is reported too.
    await sink.answer({
      dstPort: opts.port,
      srcPort: transport.localPort,
      twccExtId,
      suite: opts.srtp,
      txKeyBase64: transport.remoteSrtpParameters.keyBase64,
      rxKeyBase64: transport.srtpParameters.keyBase64,
      media: consumers.map((c) => ({
        ssrc: c.rtpParameters.encodings?.[0]?.ssrc ?? 0,
        clockRate: c.rtpParameters.codecs[0]?.clockRate ?? 90000,
      })),
    });
  }
  for (const c of consumers) await session.resumeConsumer(c.id);
}
