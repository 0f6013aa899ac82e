import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDebianPackages } from './debian-packages.mjs';

// The tuned worker replaces libwebrtc's transport-cc send history (a std::map)
// with a ring (scripts/worker-patches/send_time_history.*). Both are built here
// beside a driver that plays the transport-feedback adapter's calls from a
// seeded random sequence (packets sent, reported received or lost, late,
// aged out, sequence numbers wrapping), and must answer the same, call for call.

const here = path.dirname(fileURLToPath(import.meta.url));
const patches = path.join(here, 'worker-patches');
const worker = path.join(
  path.dirname(
    createRequire(path.join(here, '..', 'media-server', 'package.json')).resolve(
      'mediasoup/package.json',
    ),
  ),
  'worker',
);
const libwebrtc = path.join(worker, 'deps', 'libwebrtc', 'libwebrtc');
const SEEDS = 40;

let dir: string;
const bins: Record<'upstream' | 'ring', string> = { upstream: '', ring: '' };

function build(variant: 'upstream' | 'ring'): string {
  const out = path.join(dir, variant);
  // Amphi's header is found first when the ring is built.
  const ringHeader = path.join(dir, 'ring-include');
  execFileSync(
    'g++',
    [
      '-std=c++17',
      '-O1',
      '-g',
      '-fsanitize=address,undefined',
      '-fno-sanitize-recover=all',
      '-DMS_LITTLE_ENDIAN',
      `-I${path.join(patches, 'check')}`,
      ...(variant === 'ring' ? [`-I${ringHeader}`] : []),
      `-I${path.join(worker, 'include')}`,
      `-I${path.join(worker, 'deps', 'libwebrtc')}`,
      `-I${libwebrtc}`,
      `-I${path.join(dir, 'fbs')}`,
      '-o',
      out,
      path.join(patches, 'check', 'send_time_history_check.cc'),
      variant === 'ring'
        ? path.join(patches, 'send_time_history.cc')
        : path.join(libwebrtc, 'modules', 'congestion_controller', 'rtp', 'send_time_history.cc'),
      path.join(libwebrtc, 'modules', 'rtp_rtcp', 'include', 'rtp_rtcp_defines.cc'),
      path.join(libwebrtc, 'api', 'transport', 'network_types.cc'),
    ],
    { stdio: 'pipe' },
  );
  return out;
}

beforeAll(() => {
  ensureDebianPackages(['build-essential', 'flatbuffers-compiler', 'libabsl-dev']);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'send-time-history-'));
  // The worker's headers include its generated FlatBuffers ones.
  const schemas = fs
    .readdirSync(path.join(worker, 'fbs'))
    .filter((f) => f.endsWith('.fbs'))
    .map((f) => path.join(worker, 'fbs', f));
  execFileSync('flatc', [
    '--cpp',
    '--cpp-field-case-style',
    'lower',
    '--reflect-names',
    '--scoped-enums',
    '--filename-suffix',
    '',
    '-o',
    path.join(dir, 'fbs', 'FBS'),
    ...schemas,
  ]);
  const ringHeader = path.join(dir, 'ring-include', 'modules', 'congestion_controller', 'rtp');
  fs.mkdirSync(ringHeader, { recursive: true });
  fs.copyFileSync(
    path.join(patches, 'send_time_history.h'),
    path.join(ringHeader, 'send_time_history.h'),
  );
  bins.upstream = build('upstream');
  bins.ring = build('ring');
}, 300_000);

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('the send history ring answers as libwebrtc’s map', () => {
  it(`gives the same answers for ${SEEDS} random sequences`, () => {
    let lines = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const run = (bin: string) =>
        execFileSync(bin, [String(seed)], { encoding: 'utf8', maxBuffer: 64 << 20 });
      const upstream = run(bins.upstream);
      const ring = run(bins.ring);
      lines += upstream.split('\n').length;
      if (ring !== upstream) {
        const a = upstream.split('\n');
        const b = ring.split('\n');
        const at = a.findIndex((l, i) => l !== b[i]);
        expect(`seed ${seed}, line ${at}: ${b[at]}`).toBe(`seed ${seed}, line ${at}: ${a[at]}`);
      }
    }
    // Enough happened to compare: every sequence is tens of thousands of answers.
    expect(lines).toBeGreaterThan(SEEDS * 20_000);
  }, 120_000);

  it('holds packets reported lost beyond the ring, and finds them when they arrive late', () => {
    // Seeds with loss and the 60 s history: a lost packet stays while the ring
    // moves past it (kRingSlots), then a late report finds it.
    let lateFound = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const out = execFileSync(bins.ring, [String(seed)], {
        encoding: 'utf8',
        maxBuffer: 64 << 20,
      });
      lateFound += out
        .split('\n')
        .filter(
          (l) => /^late 1 behind (\d+)/.exec(l)?.[1] && Number(/behind (\d+)/.exec(l)?.[1]) > 512,
        ).length;
    }
    expect(lateFound).toBeGreaterThan(0);
  }, 120_000);
});
