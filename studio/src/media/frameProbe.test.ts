import { describe, expect, it } from 'vitest';
import { keepProgram, type VideoSource } from '../program.ts';
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
