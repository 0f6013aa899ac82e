// npm run bench:key-frame-delay -w @amphi/loadtest -- [--classrooms 300] [--delays 1000,500,300]
//
// The key-frame request delay of the speakers' producers, side by side in one
// run: for each delay a local Amphi is started with it and the same classrooms
// join at the same rate. What a classroom waits for (join → first complete key
// frame) against what the speaker pays for it (key frames per second and video
// bitrate while classrooms join, against the clip alone). Writes
// bench/results/key-frame-delay.json; ends with one line.
import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LocalServer } from '../src/LocalServer.ts';
import { loadVp8Clip } from '../src/media/vp8Clip.ts';
import { runSimulation } from '../src/Simulation.ts';
import { percentile, round } from '../src/stats.ts';
import { lastLine, type Summary, summarize } from '../src/summary.ts';

const { values } = parseArgs({
  options: {
    classrooms: { type: 'string', default: '300' },
    'join-rate': { type: 'string', default: '5' },
    duration: { type: 'string', default: '10' },
    delays: { type: 'string', default: '1000,500,300' },
  },
});
const classrooms = Number(values.classrooms);
const joinRate = Number(values['join-rate']);
const durationS = Number(values.duration);
const delays = String(values.delays).split(',').map(Number);
if (
  !(classrooms >= 1 && joinRate > 0 && durationS >= 1) ||
  delays.some((d) => !Number.isInteger(d) || d < 0 || d > 10_000)
) {
  process.stderr.write('usage: --classrooms N --join-rate R --duration S --delays 1000,500,300\n');
  process.exit(2);
}

interface Row {
  delayMs: number;
  loadAvg1Before: number;
  summary: Summary;
  /** Join → media connected p95, and connected → first key frame p95: set-up against waiting. */
  connectedP95Ms: number | null;
  keyFrameWaitP95Ms: number | null;
  line: string;
}

const clip = await loadVp8Clip();
const rows: Row[] = [];
for (const delayMs of delays) {
  const loadAvg1Before = round(loadavg()[0] as number, 2) as number;
  process.stderr.write(
    `key-frame request delay ${delayMs} ms: ${classrooms} classrooms (load ${loadAvg1Before})\n`,
  );
  const server = await LocalServer.start({ keyFrameRequestDelayMs: delayMs });
  try {
    const result = await runSimulation({
      baseUrl: server.url,
      operatorToken: server.operatorToken,
      classrooms,
      durationS,
      joinRate,
      askShare: 0.2,
      upvoteShare: 0.3,
      handShare: 0.1,
      clip,
      serverPid: server.pid,
      keyFrameRequestDelayMs: delayMs,
      maxDurationS: Math.ceil(classrooms / joinRate + durationS + 120),
      log: (l) => process.stderr.write(`  ${l}\n`),
    });
    const summary = summarize(result);
    const c = result.classrooms;
    const nums = (v: (number | null)[]) => v.filter((x): x is number => x !== null);
    rows.push({
      delayMs,
      loadAvg1Before,
      summary,
      connectedP95Ms: round(percentile(nums(c.map((x) => x.connectedMs)), 95)),
      keyFrameWaitP95Ms: round(
        percentile(
          nums(
            c.map((x) =>
              x.firstFrameMs !== null && x.connectedMs !== null
                ? x.firstFrameMs - x.connectedMs
                : null,
            ),
          ),
          95,
        ),
      ),
      line: lastLine(summary),
    });
    process.stderr.write(`  ${lastLine(summary)}\n`);
  } finally {
    await server.stop();
  }
}

const base = rows[0] as Row;
const ratio = (a: number | null, b: number | null) =>
  a === null || b === null || b === 0 ? 'na' : `${(a / b).toFixed(2)}×`;
const fmt = (v: number | null) => (v === null ? 'na' : String(v));
const out = [
  '| key-frame request delay | first frame p50 / p95 (ms) | × first row | connected p95 → key frame wait p95 (ms) | delay p95 (ms) | loss % | speaker: requests / answered | key frames/s joining | × first row | video kb/s joining (clip alone) | overshoot | key-frame share of video bytes joining | key frames/s watching | machine busy % (load before) |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map((r) => {
    const s = r.summary;
    const u = s.speaker;
    return `| ${r.delayMs} ms | ${fmt(s.firstFrameMs.p50)} / ${fmt(s.firstFrameMs.p95)} | ${ratio(s.firstFrameMs.p95, base.summary.firstFrameMs.p95)} | ${fmt(r.connectedP95Ms)} → ${fmt(r.keyFrameWaitP95Ms)} | ${fmt(s.delayMs.p95)} | ${fmt(s.lossPct)} | ${u.keyFrameRequests} / ${u.keyFramesOnRequest} | ${fmt(u.joining.keyFramesPerS)} | ${ratio(u.joining.keyFramesPerS, base.summary.speaker.joining.keyFramesPerS)} | ${fmt(u.joining.videoKbps)} (${u.clipKbps}) | ${u.joiningOvershootPct === null ? 'na' : `${u.joiningOvershootPct >= 0 ? '+' : ''}${u.joiningOvershootPct} %`} | ${fmt(u.joining.keyFrameSharePct)} % | ${fmt(u.watching.keyFramesPerS)} | ${fmt(s.server.machineBusyMeanPct)} (${r.loadAvg1Before}) |`;
  }),
  ...rows.map((r) => `delay ${r.delayMs} ms: ${r.line}`),
  `key-frame-delay classrooms=${classrooms} join_rate=${joinRate} ${rows
    .map(
      (r) =>
        `d${r.delayMs}: first_frame_p95_ms=${fmt(r.summary.firstFrameMs.p95)} key_frames_per_s=${fmt(r.summary.speaker.joining.keyFramesPerS)} key_frame_share_pct=${fmt(r.summary.speaker.joining.keyFrameSharePct)}`,
    )
    .join(' ')}`,
];
const file = fileURLToPath(new URL('./results/key-frame-delay.json', import.meta.url));
await mkdir(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
await writeFile(
  file,
  `${JSON.stringify(
    {
      at: new Date().toISOString(),
      classrooms,
      joinRate,
      durationS,
      rows: rows.map(({ summary, delayMs, ...r }) => ({
        keyFrameRequestDelayMs: delayMs,
        ...r,
        firstFrameMs: summary.firstFrameMs,
        frameDelayMs: summary.delayMs,
        lossPct: summary.lossPct,
        speaker: summary.speaker,
        machineBusyMeanPct: summary.server.machineBusyMeanPct,
        simulatorStalls: summary.simulatorStalls,
      })),
    },
    null,
    2,
  )}\n`,
);
process.stdout.write(`${out.join('\n')}\njson: ${file}\n`);
process.exit(0);
