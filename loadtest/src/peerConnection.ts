import { PeerConnection } from 'node-datachannel';

/**
 * A libdatachannel peer connection as every simulated participant uses it:
 * no STUN or TURN (mediasoup gives its candidates in signaling, ICE-lite),
 * host candidates only.
 */
export function newPeerConnection(name: string): PeerConnection {
  return new PeerConnection(name, { iceServers: [] });
}
