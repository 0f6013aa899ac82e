/**
 * Which inbound streams of a receive transport's `getStats()` report are the
 * talk's: the picture's and the voice's, and nothing else.
 *
 * Why: mediasoup-client adds one more inbound-rtp entry to a receive
 * transport once it consumes video, its probator (mid 'probator', SSRC 1234):
 * the server's bandwidth probes, padding that never carries a frame. Summed
 * with the talk's streams, its packets lost on a thin line read as the class's
 * picture losing packets, and Chromium's key-frame requests on it (it never
 * gets a frame) as the speaker's.
 *
 * Kept self-contained (no names from outside its body) so that a test page
 * can run the very same rule inside the browser (`inboundKind.toString()`).
 */
export function inboundKind(entry: Record<string, unknown>): 'audio' | 'video' | null {
  // mediasoup-client's RTP_PROBATOR_MID (lib/ortc), which it does not export.
  if (entry.type !== 'inbound-rtp' || entry.mid === 'probator') return null;
  // Older Chromium named the kind `mediaType`.
  const kind = entry.kind ?? entry.mediaType;
  return kind === 'audio' || kind === 'video' ? kind : null;
}
