import { describe, expect, it } from 'vitest';
import { LayerGuard, type LineReading, readLine } from './layerGuard.ts';

/**
 * A line read every 200 ms from `from` (ms) for `ms`: `perSecond` video
 * packets, `lossShare` of them lost, the picture `width` wide. The caps the
 * guard asked for, with when.
 */
function line(
  g: LayerGuard,
  at: { t: number; received: number; lost: number },
  ms: number,
  o: { perSecond: number; lossShare: number; width: number; random?: () => number },
): [number, number | null][] {
  const asked: [number, number | null][] = [];
  for (const end = at.t + ms; at.t < end; ) {
    at.t += 200;
    const n = o.perSecond / 5;
    let lost = 0;
    for (let i = 0; i < n; i++) if ((o.random ?? Math.random)() < o.lossShare) lost++;
    at.lost += lost;
    at.received += n - lost;
    const r: LineReading = { at: at.t, received: at.received, lost: at.lost, width: o.width };
    const cap = g.read(r);
    if (cap !== undefined) asked.push([at.t, cap]);
  }
  return asked;
}

/** A repeatable random source (a line's losses the same at each run). */
function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

describe("the class's layer guard", () => {
  it('steps down to the lowest layer within a few hundred ms of a full line dropping packets', () => {
    const g = new LayerGuard({ layers: 3 });
    const at = { t: 0, received: 0, lost: 0 };
    expect(line(g, at, 10_000, { perSecond: 80, lossShare: 0, width: 1280 })).toEqual([]);
    // The line falls to 500 kbit/s under an 800 kbit/s picture: about 35 % dropped.
    const asked = line(g, at, 1500, {
      perSecond: 80,
      lossShare: 0.35,
      width: 1280,
      random: seeded(1),
    });
    // Straight to the lowest layer, whose key frame gets through a full line's queue.
    expect(asked.map(([, cap]) => cap)).toEqual([0]);
    expect((asked[0] as [number, number])[0] - 10_000).toBeLessThanOrEqual(600);
    expect(g.lastReason).toBe('loss');
  });

  it('steps down before any loss when each frame comes spread at the line’s rate, not for frames handed on in a burst', () => {
    const g = new LayerGuard({ layers: 3 });
    let t = 0;
    const frames = { frames: 0, assembled: 0, assemblySeconds: 0 };
    /** 200 ms of a 20 frames a second picture: its 4 frames took `ms` in all from first packet to last. */
    const read = (ms: number) => {
      t += 200;
      frames.frames += 4;
      frames.assembled += 4;
      frames.assemblySeconds += ms / 1000;
      return g.read({ at: t, received: 0, lost: 0, width: 1280, ...frames });
    };
    // An open line (a few ms a frame), and a frame held 150 ms for a repair now and then.
    for (let i = 0; i < 100; i++) expect(read(i % 3 === 1 ? 150 + 12 : 16)).toBeUndefined();
    // 800 kbit/s through 500: each 5 kB frame takes 80 ms to come (1.6 of the line's time).
    expect(read(4 * 80)).toBeUndefined();
    expect(read(4 * 80)).toBe(0);
    expect(g.lastReason).toBe('busy');
  });

  it('does not move on a lossy line that is not full (5 % lost, NACK and RTX repair it)', () => {
    const g = new LayerGuard({ layers: 3 });
    const at = { t: 0, received: 0, lost: 0 };
    const o = { perSecond: 80, lossShare: 0.05, width: 1280, random: seeded(7) };
    expect(line(g, at, 120_000, o)).toEqual([]);
  });

  it('tries one layer up at a time after the hold, and waits twice as long when the line chokes again soon after', () => {
    const g = new LayerGuard({ layers: 3, holdMs: 10_000 });
    const at = { t: 0, received: 0, lost: 0 };
    line(g, at, 5000, { perSecond: 80, lossShare: 0, width: 1280 });
    const down = line(g, at, 1000, { perSecond: 80, lossShare: 0.4, width: 1280 });
    expect(down.map(([, c]) => c)).toEqual([0]);
    const downAt = (down[0] as [number, number])[0];
    // The lowest layer, steady: the middle one tried once the hold is over.
    const steady = line(g, at, 12_000, { perSecond: 20, lossShare: 0, width: 320 });
    expect(steady.map(([, c]) => c)).toEqual([1]);
    const upAt = (steady[0] as [number, number])[0];
    expect(upAt - downAt).toBeGreaterThanOrEqual(10_000);
    expect(upAt - downAt).toBeLessThanOrEqual(10_200);
    // It fits: the top one tried after another hold.
    const middle = line(g, at, 10_000, { perSecond: 40, lossShare: 0, width: 640 });
    expect(middle.map(([, c]) => c)).toEqual([null]);
    // The top layer chokes at once: down, and the next try waits 20 s.
    const again = line(g, at, 1500, { perSecond: 80, lossShare: 0.4, width: 1280 });
    expect(again.map(([, c]) => c)).toEqual([0]);
    const againAt = (again[0] as [number, number])[0];
    const later = line(g, at, 25_000, { perSecond: 20, lossShare: 0, width: 320 });
    expect(later).toHaveLength(1);
    expect((later[0] as [number, number])[0] - againAt).toBeGreaterThanOrEqual(20_000);
  });

  it('asks nothing on the lowest layer (the server holds the picture back then)', () => {
    const g = new LayerGuard({ layers: 3 });
    const at = { t: 0, received: 0, lost: 0 };
    line(g, at, 2000, { perSecond: 80, lossShare: 0, width: 1280 });
    // The server's estimate already chose the middle layer: down from there.
    const fromMiddle = line(g, at, 1000, { perSecond: 40, lossShare: 0.5, width: 640 });
    expect(fromMiddle.map(([, c]) => c)).toEqual([0]);
    expect(line(g, at, 3000, { perSecond: 20, lossShare: 0.5, width: 320 })).toEqual([]);
    const g2 = new LayerGuard({ layers: 3 });
    line(g2, at, 2000, { perSecond: 80, lossShare: 0, width: 1280 });
    expect(line(g2, at, 3000, { perSecond: 20, lossShare: 0.5, width: 320 })).toEqual([]);
  });

  it('reads the picture alone: bandwidth probes lost on a thin line do not step an open picture down', () => {
    const g = new LayerGuard({ layers: 3 });
    const asked: (number | null)[] = [];
    for (let i = 1; i <= 50; i++) {
      // 10 s of an open picture (80 packets a second, none lost) and its sound,
      // with mediasoup-client's probator beside it: probes, a third of them lost.
      const report = [
        {
          type: 'inbound-rtp',
          kind: 'video',
          mid: '0',
          packetsReceived: 16 * i,
          packetsLost: 0,
          frameWidth: 1280,
        },
        { type: 'inbound-rtp', kind: 'audio', mid: '1', packetsReceived: 10 * i, packetsLost: 0 },
        {
          type: 'inbound-rtp',
          kind: 'video',
          mid: 'probator',
          packetsReceived: 20 * i,
          packetsLost: 10 * i,
          frameWidth: 0,
        },
        { type: 'candidate-pair', nominated: true, state: 'succeeded' },
      ];
      const reading = readLine(report, i * 200);
      expect(reading).toMatchObject({ received: 16 * i, lost: 0, width: 1280 });
      const cap = g.read(reading);
      if (cap !== undefined) asked.push(cap);
    }
    expect(asked).toEqual([]);
  });
});
