import type { types } from 'mediasoup';

/** How often a transport's pictures are looked at. */
const EVERY_MS = 1000;
/** How often the line is probed while a picture is held. */
const PROBE_EVERY_MS = 2000;
/**
 * What the probes ask the line for: a little over the lowest simulcast layer
 * (the speakers send it at about 150 kbit/s; the voice is not counted). Two
 * close values, in turn: each change of the transport's ceiling makes GoogCC
 * probe up to it.
 */
const PROBE_BPS = [200_000, 210_000] as const;

/**
 * Brings a class's picture back as soon as its line allows, after a line
 * too thin for even the lowest layer.
 *
 * While the send-side estimate sits under the lowest layer, mediasoup sends
 * the class only the voice and holds the picture back. The estimate can then
 * only grow from what it sees delivered: the voice, and GoogCC's probe every
 * 5 s in an application-limited state at twice the estimate. A class whose
 * line came back to 500 kbit/s waited 6-17 s for its picture that way.
 * Instead, while a picture is held, the transport's ceiling is moved every
 * 2 s (transport.setMaxOutgoingBitrate between two close values a little over
 * what the lowest layer needs): each raise of the ceiling makes GoogCC send a
 * short probe cluster up to it (ProbeController's mid-call and allocation
 * probes, about a kilobyte), and a probe that gets through sets the estimate
 * at once, so the server sends the picture again. A probe no larger keeps a
 * voice-only line (64 kbit/s) usable: the probe queues behind the voice for
 * a moment, then the line is left to the voice. Once the picture flows, the
 * ceiling goes (0: unlimited), which probes the line once more up to what the
 * talk's layers need and lets the estimate climb at once.
 * No worker patch: only the transport's public settings.
 */
export class HeldPictureProbe {
  readonly #transport: types.WebRtcTransport;
  readonly #consumers = new Set<types.Consumer>();
  #timer: ReturnType<typeof setInterval> | null = null;
  /** Checks in a row that found a picture held. */
  #heldChecks = 0;
  #probedAt = 0;
  /** The ceiling set now (0: none). */
  #ceiling = 0;
  #closed = false;

  private constructor(transport: types.WebRtcTransport) {
    this.#transport = transport;
    transport.observer.on('newconsumer', (consumer) => this.#watch(consumer));
    transport.observer.once('close', () => this.close());
  }

  /** Watches the video consumers the transport will carry; ends with the transport. */
  static attach(transport: types.WebRtcTransport): HeldPictureProbe {
    return new HeldPictureProbe(transport);
  }

  /** How many probes it asked for (tests). */
  probes = 0;

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#consumers.clear();
  }

  #watch(consumer: types.Consumer): void {
    if (consumer.kind !== 'video' || (consumer.type !== 'simulcast' && consumer.type !== 'svc'))
      return;
    this.#consumers.add(consumer);
    consumer.observer.once('close', () => this.#consumers.delete(consumer));
    this.#timer ??= setInterval(() => void this.#check().catch(() => {}), EVERY_MS);
  }

  async #check(): Promise<void> {
    if (this.#closed || this.#transport.closed) return;
    const held = [...this.#consumers].some(
      (c) => !c.closed && !c.paused && !c.producerPaused && c.currentLayers === undefined,
    );
    if (!held) {
      this.#heldChecks = 0;
      if (this.#ceiling !== 0) await this.#setCeiling(0);
      return;
    }
    // Held on two checks in a row (not a consumer just resumed, waiting for its key frame).
    this.#heldChecks++;
    if (this.#heldChecks < 2 || Date.now() - this.#probedAt < PROBE_EVERY_MS) return;
    this.#probedAt = Date.now();
    this.probes++;
    await this.#setCeiling(PROBE_BPS[this.probes % PROBE_BPS.length] as number);
  }

  async #setCeiling(bps: number): Promise<void> {
    this.#ceiling = bps;
    await this.#transport.setMaxOutgoingBitrate(bps);
  }
}
