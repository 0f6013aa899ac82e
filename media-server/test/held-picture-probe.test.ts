import { EventEmitter } from 'node:events';
import type { types } from 'mediasoup';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HeldPictureProbe } from '../src/HeldPictureProbe.ts';

// When the probe moves the transport's ceiling. What it brings (the picture
// back within seconds of the line's return, the voice kept on a 64 kbit/s
// line) is measured with real browsers on a shaped line in
// e2e/test/reach-quality.test.ts; here only the rule: probe while a picture is
// held back, never while it flows or is paused on purpose, and lift the ceiling
// once it flows again.

class FakeConsumer {
  readonly observer = new EventEmitter();
  kind = 'video';
  type = 'simulcast';
  closed = false;
  paused = false;
  producerPaused = false;
  currentLayers: { spatialLayer: number } | undefined = { spatialLayer: 2 };
}

class FakeTransport {
  readonly observer = new EventEmitter();
  closed = false;
  readonly ceilings: number[] = [];
  async setMaxOutgoingBitrate(bps: number) {
    this.ceilings.push(bps);
  }
}

describe('probing the line while a picture is held back', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('moves the ceiling every 2 s while held, and lifts it once the picture flows', async () => {
    const transport = new FakeTransport();
    const probe = HeldPictureProbe.attach(transport as unknown as types.WebRtcTransport);
    const video = new FakeConsumer();
    const audio = new FakeConsumer();
    audio.kind = 'audio';
    audio.type = 'simple';
    transport.observer.emit('newconsumer', video);
    transport.observer.emit('newconsumer', audio);
    await vi.advanceTimersByTimeAsync(6000);
    expect(transport.ceilings).toEqual([]);
    // The estimate fell under the lowest layer: the server holds the picture back.
    video.currentLayers = undefined;
    await vi.advanceTimersByTimeAsync(1000);
    // One check is not enough (a consumer just resumed waits for its key frame).
    expect(transport.ceilings).toEqual([]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(transport.ceilings).toHaveLength(1);
    // Then one probe every 2 s.
    await vi.advanceTimersByTimeAsync(4000);
    expect(transport.ceilings).toHaveLength(3);
    expect(new Set(transport.ceilings).size).toBe(2);
    // Probes a little over the lowest layer (about 150 kbit/s), no more.
    expect(Math.min(...transport.ceilings)).toBeGreaterThanOrEqual(180_000);
    expect(Math.max(...transport.ceilings)).toBeLessThanOrEqual(250_000);
    // The line allows it again: the picture flows, the ceiling goes.
    video.currentLayers = { spatialLayer: 0 };
    await vi.advanceTimersByTimeAsync(1000);
    expect(transport.ceilings.at(-1)).toBe(0);
    const count = transport.ceilings.length;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(transport.ceilings).toHaveLength(count);
    expect(probe.probes).toBe(3);
    transport.observer.emit('close');
  });

  it('does not probe for a picture paused on purpose (the voice alone, the speaker off camera)', async () => {
    const transport = new FakeTransport();
    HeldPictureProbe.attach(transport as unknown as types.WebRtcTransport);
    const video = new FakeConsumer();
    transport.observer.emit('newconsumer', video);
    video.currentLayers = undefined;
    video.paused = true;
    await vi.advanceTimersByTimeAsync(10_000);
    video.paused = false;
    video.producerPaused = true;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(transport.ceilings).toEqual([]);
    // Closed with its transport: no timer left behind.
    transport.observer.emit('close');
    video.producerPaused = false;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(transport.ceilings).toEqual([]);
  });
});
