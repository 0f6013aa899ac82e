import { describe, expect, it } from 'vitest';
import { judgeProgram, keepProgram, STALL_MS, type VideoSource } from '../program.ts';
import { readOutboundVideo } from './frameProbe.ts';

describe('what classrooms receive, from the sender’s stats', () => {
  it('sums the frames of the simulcast layers and reports the largest one sent', () => {
    const report = [
      {
        type: 'outbound-rtp',
        kind: 'video',
        rid: 'r0',
        framesEncoded: 100,
        frameWidth: 320,
        frameHeight: 180,
        framesPerSecond: 15,
      },
      {
        type: 'outbound-rtp',
        kind: 'video',
        rid: 'r2',
        framesEncoded: 90,
        frameWidth: 1280,
        frameHeight: 720,
        framesPerSecond: 30,
      },
      {
        type: 'outbound-rtp',
        kind: 'video',
        rid: 'r1',
        framesEncoded: 95,
        active: false,
        frameWidth: 640,
        frameHeight: 360,
      },
      { type: 'outbound-rtp', kind: 'audio', packetsSent: 500 },
      { type: 'media-source', kind: 'video', width: 1280, height: 720 },
    ];
    expect(readOutboundVideo(report)).toEqual({
      framesEncoded: 285,
      width: 1280,
      height: 720,
      fps: 30,
      layers: 2,
    });
  });

  it('says nothing is sent when no layer has encoded a frame (a depth camera)', () => {
    const report = [{ type: 'outbound-rtp', kind: 'video', rid: 'r0', framesEncoded: 0 }];
    expect(readOutboundVideo(report)).toMatchObject({ framesEncoded: 0, width: null, layers: 0 });
  });
});

describe('the program never falls back to an unusable source', () => {
  const sources: VideoSource[] = [
    { id: 'cam:depth', kind: 'camera', label: 'Caméra 1' },
    { id: 'cam:colour', kind: 'camera', label: 'Caméra 2' },
  ];
  it('moves off a source found unusable, to the first usable camera', () => {
    const bad = (id: string) => id === 'cam:depth';
    expect(keepProgram(sources, null, bad)).toBe('cam:colour');
    expect(keepProgram(sources, 'cam:depth', bad)).toBe('cam:colour');
    expect(keepProgram(sources, 'cam:depth')).toBe('cam:depth');
  });
});

describe('on the air, a program that sends nothing is taken back', () => {
  const sources: VideoSource[] = [
    { id: 'cam:a', kind: 'camera', label: 'Caméra 1' },
    { id: 'cam:frozen', kind: 'camera', label: 'Caméra 2' },
  ];
  const base = {
    framesLastSecond: 0,
    stalledMs: STALL_MS,
    sinceSwitchMs: STALL_MS,
    programId: 'cam:frozen',
    lastGood: 'cam:a',
    sources,
  };
  it('goes back to the last source that sent, once nothing went out for 2 s after the switch', () => {
    expect(judgeProgram(base)).toEqual({ kind: 'revert', to: 'cam:a' });
    expect(judgeProgram({ ...base, sinceSwitchMs: 500 })).toEqual({ kind: 'wait' });
    expect(judgeProgram({ ...base, stalledMs: 1000 })).toEqual({ kind: 'wait' });
    expect(judgeProgram({ ...base, framesLastSecond: 25 })).toEqual({ kind: 'sending' });
  });
  it('warns when there is nothing to go back to', () => {
    expect(judgeProgram({ ...base, lastGood: null })).toEqual({ kind: 'stalled' });
    expect(judgeProgram({ ...base, lastGood: 'cam:frozen' })).toEqual({ kind: 'stalled' });
    expect(judgeProgram({ ...base, lastGood: 'cam:unplugged' })).toEqual({ kind: 'stalled' });
  });
});
