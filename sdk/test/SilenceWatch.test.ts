import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SilenceWatch } from '../src/SilenceWatch.ts';

// A path cut mid-talk is known by its silence: the receive transport's
// packets stop moving. Said once per silence, never while they move (a line
// that loses packets still gets some), never while there is nothing to watch.

describe('SilenceWatch', () => {
  let watch: SilenceWatch | null = null;
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => {
    watch?.close();
    vi.useRealTimers();
  });

  /** A watch over `counter()`, every 250 ms, silent after 1.5 s; its calls. */
  function start(counter: () => number | null): number[] {
    const said: number[] = [];
    watch = new SilenceWatch({
      read: async () => counter(),
      silenceMs: 1500,
      intervalMs: 250,
      onSilent: () => said.push(Date.now()),
    });
    return said;
  }

  it('says so once when the packets stop, 1.5 to 1.75 s after the last one moved', async () => {
    let packets = 0;
    let flowing = true;
    const said = start(() => (flowing ? ++packets : packets));
    await vi.advanceTimersByTimeAsync(5000);
    expect(said).toEqual([]);
    const cut = Date.now();
    flowing = false;
    await vi.advanceTimersByTimeAsync(5000);
    expect(said).toHaveLength(1);
    expect((said[0] as number) - cut).toBeGreaterThanOrEqual(1500);
    expect((said[0] as number) - cut).toBeLessThanOrEqual(1750);
    // Moving again, then cut again: said again.
    flowing = true;
    await vi.advanceTimersByTimeAsync(1000);
    expect(said).toHaveLength(1);
    flowing = false;
    await vi.advanceTimersByTimeAsync(2000);
    expect(said).toHaveLength(2);
  });

  it('stays quiet on a line that loses packets but still gets some (a gap under 1.5 s)', async () => {
    let packets = 0;
    let tick = 0;
    // Nothing for 1.25 s out of every 1.5 s: a very lossy line, not a cut one.
    const said = start(() => (tick++ % 6 === 0 ? ++packets : packets));
    await vi.advanceTimersByTimeAsync(20_000);
    expect(said).toEqual([]);
  });

  it('counts nothing while there is nothing to watch, and starts again from when there is', async () => {
    let watching = false;
    const said = start(() => (watching ? 7 : null));
    await vi.advanceTimersByTimeAsync(5000);
    expect(said).toEqual([]);
    watching = true;
    const from = Date.now();
    await vi.advanceTimersByTimeAsync(1000);
    expect(said).toEqual([]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(said).toHaveLength(1);
    expect((said[0] as number) - from).toBeGreaterThanOrEqual(1500);
    // A counter that is watched again (a new transport) may be said silent again.
    watching = false;
    await vi.advanceTimersByTimeAsync(500);
    watching = true;
    await vi.advanceTimersByTimeAsync(2000);
    expect(said).toHaveLength(2);
  });

  it('stops reading once closed', async () => {
    const read = vi.fn(async () => 1);
    watch = new SilenceWatch({ read, silenceMs: 1500, intervalMs: 250, onSilent: () => {} });
    await vi.advanceTimersByTimeAsync(1000);
    const calls = read.mock.calls.length;
    watch.close();
    await vi.advanceTimersByTimeAsync(5000);
    expect(read.mock.calls.length).toBe(calls);
    expect(watch.closed).toBe(true);
  });
});
