/**
 * Reads the source's clock from the video RTP on its way to FFmpeg (through
 * the egress's UdpRelay): each packet's timestamp against the wall time it
 * arrived. Its anchor is the wall time of the stream's first RTP timestamp
 * (media time 0 for FFmpeg, which starts each stream's clock at its first
 * packet), taken from the packet that came soonest: what the speaker's frames
 * were sent at, as the media server forwarded them. The playlist's
 * EXT-X-PROGRAM-DATE-TIME is dated from it (FFmpeg keeps the input's
 * timestamps, `-copyts`), so a player's delay counts FFmpeg's own (decode,
 * encode, fragment), which dating from FFmpeg's output would hide.
 */
export class RtpSourceClock {
  readonly #clockRate: number;
  #first: number | undefined;
  #last = 0;
  #unwrapped = 0;
  #anchor = Number.POSITIVE_INFINITY;

  constructor(clockRate: number) {
    this.#clockRate = clockRate;
  }

  /** Wall-clock ms of the stream's media time 0; undefined before its first packet. */
  get anchor(): number | undefined {
    return Number.isFinite(this.#anchor) ? this.#anchor : undefined;
  }

  /** Reads one packet that arrived at `at` (ms); false for what FFmpeg must not get. */
  read(msg: Buffer, at: number): boolean {
    if (msg.length < 12 || msg[0] === undefined || msg[0] >> 6 !== 2) return true;
    const pt = (msg[1] ?? 0) & 0x7f;
    // RTCP (rtcp-mux): kept from FFmpeg, whose RTP reader would otherwise
    // re-time the stream by the sender reports' NTP clock (the media server's
    // own, not the wall's): the video's timestamps stay its RTP clock's,
    // counted from the first packet, which is what the anchor is.
    if (pt >= 64 && pt <= 95) return false;
    const ts = msg.readUInt32BE(4);
    if (this.#first === undefined) {
      this.#first = ts;
      this.#last = ts;
    }
    this.#unwrapped += (ts - this.#last) | 0;
    this.#last = ts;
    this.#anchor = Math.min(this.#anchor, at - (this.#unwrapped / this.#clockRate) * 1000);
    return true;
  }
}
