import type { types } from 'mediasoup';
import type { Broadcast } from './Broadcast.ts';

/**
 * Joins a classroom whose media goes, as RTP (SRTP when a suite is given), to
 * a fixed address: what test sinks, benchmarks and load tools stand in for a
 * classroom with. It receives everything a classroom may, already resumed.
 * Returns the local port the classroom's media comes from.
 */
export async function joinPlainReceiver(
  broadcast: Broadcast,
  classroomId: string,
  remote: { ip: string; port: number; srtp?: types.SrtpCryptoSuite },
): Promise<{ localPort: number }> {
  const session = await broadcast.join(classroomId, 'classroom');
  const transport = await session.createPlainTransport(remote);
  for (const producer of broadcast.producersFor(classroomId)) {
    const consumer = await broadcast.consume(classroomId, {
      transportId: transport.id,
      producerId: producer.id,
      rtpCapabilities: broadcast.rtpCapabilities,
    });
    await session.resumeConsumer(consumer.id);
  }
  return { localPort: transport.localPort };
}
