import type { Fmp4Fragment } from './Fmp4Fragmenter.ts';

export type LlHlsPart = { bytes: Buffer; durationSeconds: number; independent: boolean };

type Segment = {
  msn: number;
  parts: LlHlsPart[];
  /** Media time of its first frame (s): its EXT-X-PROGRAM-DATE-TIME with the clock anchor. */
  mediaStart: number;
  complete: boolean;
};

export type LlHlsWindowOptions = {
  /** Key frames come this often: each starts a segment. */
  segmentSeconds: number;
  /** PART-TARGET: FFmpeg's fragment duration. */
  partSeconds: number;
  /** Complete segments kept; older ones are dropped, bytes and all. */
  keepSegments: number;
  /** The first segment's media sequence number (default 0). */
  firstMsn?: number;
};

/**
 * The live edge of one egress, in memory: segments made of parts (fMP4
 * fragments), a new segment at each independent part, the oldest dropped as
 * new ones complete: nothing is kept longer than the window. Renders the
 * LL-HLS media playlist and answers blocking reloads (waitFor).
 */
export class LlHlsWindow {
  readonly #options: LlHlsWindowOptions;
  readonly #segments: Segment[] = [];
  readonly #waiters = new Set<() => void>();
  /**
   * Wall-clock ms at media time 0: the earliest any fragment says. FFmpeg holds
   * the first seconds while it probes the streams, then writes them at once:
   * those fragments come late, the ones after on time.
   */
  #clockAnchor = Number.POSITIVE_INFINITY;
  /** Wall-clock ms at media time 0 by the source's own clock (RtpSourceClock), once known. */
  #sourceAnchor: number | undefined;
  #closed = false;

  constructor(options: LlHlsWindowOptions) {
    this.#options = options;
  }

  get targetDuration(): number {
    return Math.max(1, Math.ceil(this.#options.segmentSeconds));
  }

  /** Segments and parts held now (the count a test checks stays bounded). */
  get size(): { segments: number; parts: number; bytes: number } {
    let parts = 0;
    let bytes = 0;
    for (const s of this.#segments) {
      parts += s.parts.length;
      for (const p of s.parts) bytes += p.bytes.length;
    }
    return { segments: this.#segments.length, parts, bytes };
  }

  /** Seconds of media held now (every part's duration). */
  get heldSeconds(): number {
    let seconds = 0;
    for (const s of this.#segments) for (const p of s.parts) seconds += p.durationSeconds;
    return seconds;
  }

  /** PART-HOLD-BACK: how far behind the live edge a player starts (three parts, as the spec advises). */
  get partHoldBack(): number {
    return this.#options.partSeconds * 3;
  }

  /**
   * Resolves true once `seconds` of media are held (a player can start the
   * hold-back behind the edge), false after `timeoutMs` or when the window closes.
   */
  waitForHeld(seconds: number, timeoutMs: number): Promise<boolean> {
    return this.#waitUntil(() => this.heldSeconds >= seconds - 0.01, timeoutMs);
  }

  /** The first segment's media sequence number. */
  get firstMsn(): number {
    return this.#options.firstMsn ?? 0;
  }

  /** The last part's position, or undefined before the first. */
  get last(): { msn: number; part: number } | undefined {
    const s = this.#segments.at(-1);
    return s ? { msn: s.msn, part: s.parts.length - 1 } : undefined;
  }

  /**
   * Dates the playlist by the source's clock: the wall time its media time 0
   * was sent (see RtpSourceClock). Without it, by FFmpeg's output.
   */
  sourceClock(anchorMs: number | undefined): void {
    if (anchorMs !== undefined) this.#sourceAnchor = anchorMs;
  }

  /** How far FFmpeg's output trails the source (ms): its decode, encode and fragmenting. */
  get pipelineDelayMs(): number | undefined {
    if (this.#sourceAnchor === undefined || !Number.isFinite(this.#clockAnchor)) return undefined;
    return Math.round(this.#clockAnchor - this.#sourceAnchor);
  }

  /** `receivedAt`: when the fragment's last byte arrived (the media is that old at most). */
  add(fragment: Fmp4Fragment, receivedAt = Date.now()): void {
    if (this.#closed) return;
    // Its last frame was current at the latest when the fragment arrived.
    this.#clockAnchor = Math.min(
      this.#clockAnchor,
      receivedAt - (fragment.startSeconds + fragment.durationSeconds) * 1000,
    );
    const part: LlHlsPart = {
      bytes: fragment.bytes,
      durationSeconds: fragment.durationSeconds,
      independent: fragment.independent,
    };
    const current = this.#segments.at(-1);
    if (!current || (fragment.independent && current.parts.length > 0)) {
      if (current) current.complete = true;
      this.#segments.push({
        msn: current ? current.msn + 1 : (this.#options.firstMsn ?? 0),
        parts: [part],
        mediaStart: fragment.startSeconds,
        complete: false,
      });
      while (this.#segments.filter((s) => s.complete).length > this.#options.keepSegments) {
        this.#segments.shift();
      }
    } else {
      current.parts.push(part);
    }
    for (const wake of [...this.#waiters]) wake();
  }

  part(msn: number, index: number): LlHlsPart | undefined {
    return this.#segments.find((s) => s.msn === msn)?.parts[index];
  }

  /** A complete segment's bytes: its parts back to back. */
  segment(msn: number): Buffer | undefined {
    const s = this.#segments.find((x) => x.msn === msn && x.complete);
    return s ? Buffer.concat(s.parts.map((p) => p.bytes)) : undefined;
  }

  /** Whether part `index` of segment `msn` exists (or that segment is already complete). */
  has(msn: number, index: number): boolean {
    const last = this.last;
    if (!last) return false;
    return msn < last.msn || (msn === last.msn && index <= last.part);
  }

  /**
   * Blocking playlist reload: resolves true once the part exists, false after
   * `timeoutMs` or when the window closes.
   */
  waitFor(msn: number, index: number, timeoutMs: number): Promise<boolean> {
    return this.#waitUntil(() => this.has(msn, index), timeoutMs);
  }

  #waitUntil(test: () => boolean, timeoutMs: number): Promise<boolean> {
    if (test()) return Promise.resolve(true);
    if (this.#closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
        resolve(ok);
      };
      const wake = () => {
        if (this.#closed) done(false);
        else if (test()) done(true);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      this.#waiters.add(wake);
    });
  }

  /**
   * The media playlist. `prefix` goes before every media URI (the egress's
   * unguessable path). Parts are listed for the last three segments, as the
   * spec asks for at least; older segments by their whole URI.
   */
  playlist(prefix: string): string {
    const o = this.#options;
    const lines = [
      '#EXTM3U',
      '#EXT-X-VERSION:9',
      `#EXT-X-TARGETDURATION:${this.targetDuration}`,
      `#EXT-X-PART-INF:PART-TARGET=${o.partSeconds.toFixed(3)}`,
      `#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=${this.partHoldBack.toFixed(3)}`,
      `#EXT-X-MEDIA-SEQUENCE:${this.#segments[0]?.msn ?? 0}`,
      `#EXT-X-MAP:URI="${prefix}init.mp4"`,
    ];
    const withParts = this.#segments.slice(-3);
    for (const s of this.#segments) {
      const programDateTime = (this.#sourceAnchor ?? this.#clockAnchor) + s.mediaStart * 1000;
      lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(programDateTime).toISOString()}`);
      if (withParts.includes(s)) {
        s.parts.forEach((p, i) => {
          lines.push(
            `#EXT-X-PART:DURATION=${p.durationSeconds.toFixed(5)},URI="${prefix}p/${s.msn}.${i}.m4s"${p.independent ? ',INDEPENDENT=YES' : ''}`,
          );
        });
      }
      if (s.complete) {
        const duration = s.parts.reduce((sum, p) => sum + p.durationSeconds, 0);
        lines.push(`#EXTINF:${duration.toFixed(5)},`, `${prefix}s/${s.msn}.m4s`);
      }
    }
    return `${lines.join('\n')}\n`;
  }

  /** Drops every byte and wakes every waiting request (answered as gone). */
  close(): void {
    this.#closed = true;
    this.#segments.length = 0;
    for (const wake of [...this.#waiters]) wake();
  }
}
