import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface Vp8ClipOptions {
  width?: number;
  height?: number;
  fps?: number;
  kbps?: number;
  /** A key frame every this many frames, besides the first (the speaker also answers PLIs). */
  keyFrameInterval?: number;
  seconds?: number;
}

export interface Vp8Clip {
  fps: number;
  frames: { data: Buffer; keyFrame: boolean }[];
}

/**
 * A pre-encoded VP8 test pattern (FFmpeg, libvpx in real-time mode), made
 * once and cached: the synthetic speaker sends it without spending CPU on
 * encoding, which on this machine belongs to the server under test.
 */
export async function loadVp8Clip(opts: Vp8ClipOptions = {}): Promise<Vp8Clip> {
  const o = {
    width: 320,
    height: 240,
    fps: 15,
    kbps: 300,
    keyFrameInterval: 60,
    seconds: 8,
    ...opts,
  };
  const key = createHash('sha1').update(JSON.stringify(o)).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), 'amphi-loadtest');
  const file = join(dir, `clip-${key}.ivf`);
  let ivf: Buffer;
  try {
    ivf = await readFile(file);
  } catch {
    await mkdir(dir, { recursive: true });
    const part = `${file}.${process.pid}.part`;
    await execFileAsync('ffmpeg', [
      ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi'],
      ...['-i', `testsrc2=size=${o.width}x${o.height}:rate=${o.fps}`, '-t', String(o.seconds)],
      ...['-c:v', 'libvpx', '-b:v', `${o.kbps}k`, '-g', String(o.keyFrameInterval)],
      ...['-deadline', 'realtime', '-cpu-used', '8', '-auto-alt-ref', '0', '-lag-in-frames', '0'],
      ...['-f', 'ivf', part],
    ]);
    await rename(part, file);
    ivf = await readFile(file);
  }
  return { fps: o.fps, frames: parseIvf(ivf) };
}

/** The frames of an IVF file (32-byte file header, then 12-byte frame headers). */
export function parseIvf(ivf: Buffer): { data: Buffer; keyFrame: boolean }[] {
  if (ivf.toString('latin1', 0, 4) !== 'DKIF') throw new Error('not an IVF file');
  const headerLength = ivf.readUInt16LE(6);
  const frames: { data: Buffer; keyFrame: boolean }[] = [];
  for (let i = headerLength; i + 12 <= ivf.length; ) {
    const size = ivf.readUInt32LE(i);
    const data = ivf.subarray(i + 12, i + 12 + size);
    frames.push({ data, keyFrame: ((data[0] as number) & 0x01) === 0 });
    i += 12 + size;
  }
  if (!frames[0]?.keyFrame) throw new Error('the clip does not start with a key frame');
  return frames;
}
