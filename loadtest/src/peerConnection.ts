import type { ProducerInfo, TransportOptions } from '@amphi/protocol';
import type { SignalingClient } from '@amphi/sdk';
import { PeerConnection } from 'node-datachannel';
import { CLASSROOM_RTP_CAPABILITIES } from './media/capabilities.ts';
import { localDtls, type MediaSection, recvOffer } from './media/sdp.ts';

/**
 * A libdatachannel peer connection as every simulated participant uses it:
 * no STUN or TURN (mediasoup gives its candidates in signaling, ICE-lite),
 * host candidates only.
 */
export function newPeerConnection(name: string): PeerConnection {
  return new PeerConnection(name, { iceServers: [] });
}

/** A consumer made on a receive transport: its SDP media section in the offer. */
export type ConsumedSection = MediaSection & { consumerId: string; producerId: string };

/**
 * Consumes each of `producers` on receive transport `transportId`, in order,
 * with a classroom's capabilities: one section each (the consumer's mid, else
 * its place), as acceptReceiveOffer takes them. A refused consume throws; the
 * consumers made before it stay on the transport.
 */
export async function consumeSections(
  signaling: SignalingClient,
  transportId: string,
  producers: readonly ProducerInfo[],
): Promise<ConsumedSection[]> {
  const sections: ConsumedSection[] = [];
  for (const p of producers) {
    const c = await signaling.request('media.consume', {
      transportId,
      producerId: p.producerId,
      rtpCapabilities: CLASSROOM_RTP_CAPABILITIES,
    });
    sections.push({
      mid: c.rtpParameters.mid ?? String(sections.length),
      kind: c.kind,
      rtpParameters: c.rtpParameters,
      consumerId: c.consumerId,
      producerId: p.producerId,
    });
  }
  return sections;
}

/**
 * Receives what the server offers on a receive transport: answers its offer
 * (one section per consumer), connects the transport with the answer's DTLS
 * role and fingerprint, then resumes every consumer (created paused).
 */
export async function acceptReceiveOffer(
  pc: PeerConnection,
  signaling: SignalingClient,
  t: TransportOptions,
  sections: (MediaSection & { consumerId: string })[],
  answerMs = 5_000,
): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const answer = await new Promise<string>((resolve, reject) => {
    // A set-up waiting on it forever would leave its classroom black, never tried again.
    timer = setTimeout(() => reject(new Error('no local answer to the offer')), answerMs);
    pc.onLocalDescription((sdp, type) => {
      if (type === 'answer') resolve(sdp);
    });
    pc.setRemoteDescription(
      recvOffer(
        {
          iceParameters: t.iceParameters,
          iceCandidates: t.iceCandidates,
          dtlsParameters: t.dtlsParameters,
        },
        sections,
      ),
      'offer',
    );
  }).finally(() => clearTimeout(timer));
  await signaling.request('media.connectTransport', {
    transportId: t.transportId,
    dtlsParameters: localDtls(answer),
  });
  for (const c of sections)
    await signaling.request('media.resumeConsumer', { consumerId: c.consumerId });
}
