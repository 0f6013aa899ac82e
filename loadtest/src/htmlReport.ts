import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { SimulationResult } from './Simulation.ts';
import { histogram } from './stats.ts';
import type { Summary } from './summary.ts';

const require = createRequire(import.meta.url);
const DELAY_BUCKET_MS = 5;
const DELAY_BUCKETS = 100;
const FIRST_FRAME_BUCKET_MS = 50;
const FIRST_FRAME_BUCKETS = 40;

/** JSON that may sit inside a <script> element. */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

const esc = (s: string) =>
  s.replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string,
  );

/**
 * One self-contained HTML page (Chart.js inlined, no network): the headline
 * figures, then charts of join times per classroom, join → first frame and
 * delay distributions, loss and joins over time, the server's CPU and memory
 * over time and the speaker's uplink (key frames, bitrate) over time, then
 * the summary table. Its first 1280 × 800 holds the figures and every chart.
 */
export async function htmlReport(r: SimulationResult, s: Summary, last: string): Promise<string> {
  // The UMD build sits beside the package's main entry (dist/), which is all `exports` lets resolve.
  const chartJs = await readFile(
    join(dirname(require.resolve('chart.js')), 'chart.umd.min.js'),
    'utf8',
  );
  const t0 = Math.min(...r.classrooms.map((c) => c.startedAt).filter((x) => x > 0));
  const joins = r.classrooms
    .filter((c) => c.startedAt > 0)
    .map((c) => ({
      x: Math.round((c.startedAt - t0) / 100) / 10,
      connected: c.connectedMs,
      rtp: c.firstRtpMs,
      frame: c.firstFrameMs,
    }));
  const delays = r.classrooms.flatMap((c) => c.video.delays);
  const data = {
    joins,
    delayHist: histogram(delays, DELAY_BUCKET_MS, DELAY_BUCKETS),
    delayLabels: Array.from({ length: DELAY_BUCKETS }, (_, i) =>
      i === DELAY_BUCKETS - 1 ? `≥${i * DELAY_BUCKET_MS}` : `${i * DELAY_BUCKET_MS}`,
    ),
    firstFrameHist: histogram(
      r.classrooms.flatMap((c) => (c.firstFrameMs === null ? [] : [c.firstFrameMs])),
      FIRST_FRAME_BUCKET_MS,
      FIRST_FRAME_BUCKETS,
    ),
    firstFrameLabels: Array.from({ length: FIRST_FRAME_BUCKETS }, (_, i) =>
      i === FIRST_FRAME_BUCKETS - 1
        ? `≥${i * FIRST_FRAME_BUCKET_MS}`
        : `${i * FIRST_FRAME_BUCKET_MS}`,
    ),
    timeline: r.timeline,
    server: r.server,
    clipKbps: r.options.clipKbps,
  };
  const rows: [string, string][] = [
    ['Classrooms / joined (media + frames)', `${s.classrooms} / ${s.joined}`],
    ['Join rate', `${r.options.joinRate} per second; then ${r.options.durationS} s watching`],
    ['Signaling join p50 / p95', `${s.signalingJoinMs.p50} / ${s.signalingJoinMs.p95} ms`],
    ['Join → first RTP p50 / p95', `${s.firstRtpMs.p50} / ${s.firstRtpMs.p95} ms`],
    [
      'Join → first complete key frame p50 / p95 / max',
      `${s.firstFrameMs.p50} / ${s.firstFrameMs.p95} / ${s.firstFrameMs.max} ms`,
    ],
    [
      'Join → first complete key frame p50 / p95, classrooms whose join saw no simulator stall > 100 ms',
      `${s.firstFrameOutsideStallsMs.p50} / ${s.firstFrameOutsideStallsMs.p95} ms (${s.firstFrameOutsideStallsMs.classrooms} of ${s.classrooms})`,
    ],
    [
      'Capture → frame complete p50 / p95 / p99 / max',
      `${s.delayMs.p50} / ${s.delayMs.p95} / ${s.delayMs.p99} / ${s.delayMs.max} ms`,
    ],
    ['Server SR → frame complete p50 / p95', `${s.serverHopMs.p50} / ${s.serverHopMs.p95} ms`],
    [
      "Speaker's key frames per second / video kb/s / key frames' share, joining → watching",
      `${s.speaker.joining.keyFramesPerS} / ${s.speaker.joining.videoKbps} / ${s.speaker.joining.keyFrameSharePct} % → ${s.speaker.watching.keyFramesPerS} / ${s.speaker.watching.videoKbps} / ${s.speaker.watching.keyFrameSharePct} % (the clip alone ${s.speaker.clipKbps} kb/s; key-frame request delay ${s.speaker.keyFrameRequestDelayMs ?? 'unknown'} ms; ${s.speaker.keyFramesOnRequest} of ${s.speaker.keyFrameRequests} requests answered)`,
    ],
    ['Video loss', `${s.lossPct} %`],
    ['Jitter mean / p95', `${s.jitterMs.mean} / ${s.jitterMs.p95} ms`],
    ['Freezes (count, total)', `${s.freezes}, ${s.freezeS} s`],
    ['Frames per second per classroom', `${s.framesPerClassroomPerS}`],
    [
      'Questions / upvotes / hands / approvals',
      `${s.questions} / ${s.upvotes} / ${s.hands} / ${s.moderatorApprovals}`,
    ],
    [
      'Media workers CPU mean / max, RSS max',
      `${s.server.mediaCpuMeanPct} / ${s.server.mediaCpuMaxPct} % of a core, ${s.server.mediaRssMaxMb} MB`,
    ],
    [
      'control-api CPU mean; simulator CPU mean',
      `${s.server.apiCpuMeanPct} %; ${s.server.simulatorCpuMeanPct} %`,
    ],
    [
      'Whole machine busy (mean); simulator event-loop stalls > 100 ms',
      `${s.server.machineBusyMeanPct} % of all cores; ${s.simulatorStalls.over100ms} s (longest ${s.simulatorStalls.maxMs} ms), ${s.simulatorStalls.freezesInThem} of the ${s.freezes} freezes in or just after them`,
    ],
    [
      'Media set up again (reconnections, speaker back); failed set-ups',
      `${s.mediaSetupsAgain}; ${s.mediaErrors}`,
    ],
    ['Errors', s.errors.map((e) => `${e.count} × ${e.message}`).join('; ') || 'none'],
  ];
  const ms = (v: number | null) => (v === null ? '–' : `${Math.round(v)} ms`);
  // The figures the issue sets goals for, and the speaker's cost, before the detail.
  const tiles: [string, string][] = [
    ['classrooms joined', `${s.joined} / ${s.classrooms}`],
    ['join → first key frame, p95', ms(s.firstFrameMs.p95)],
    ['capture → frame, p95', ms(s.delayMs.p95)],
    ['video loss', s.lossPct === null ? '–' : `${s.lossPct.toFixed(2)} %`],
    [`freezes, ${Math.round(s.freezeS)} s in all`, `${s.freezes}`],
    [
      `speaker key frames, joining (delay ${s.speaker.keyFrameRequestDelayMs ?? '?'} ms)`,
      `${s.speaker.joining.keyFramesPerS ?? '–'} /s`,
    ],
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Amphi load test: ${s.classrooms} classrooms</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:16px 24px;color:#1d2430;background:#fff}
h1{font-size:20px;margin:0 0 2px} .sub{color:#5a6576;margin:0 0 10px;font-size:13px}
table{border-collapse:collapse;margin:20px 0} td{padding:3px 12px 3px 0;border-bottom:1px solid #e4e8ee}
td:first-child{color:#5a6576} code{background:#f2f4f7;padding:4px 8px;display:inline-block;margin-bottom:12px}
.tiles{display:grid;grid-template-columns:repeat(6,1fr);gap:12px;margin:0 0 12px}
.tile{border:1px solid #e4e8ee;border-radius:6px;padding:6px 10px} .tile b{display:block;font-size:18px;white-space:nowrap}
.tile span{color:#5a6576;font-size:12px;line-height:1.25;display:block}
.grid{display:grid;grid-template-columns:repeat(3,1fr);gap:14px} .card{border:1px solid #e4e8ee;border-radius:6px;padding:10px;min-width:0}
.card h2{font-size:13px;margin:0 0 4px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis} canvas{width:100%!important;height:232px!important}
</style></head><body>
<h1>Amphi load test: ${s.classrooms} classrooms</h1>
<p class="sub">${esc(r.startedAt)} · ${esc(r.options.baseUrl)} · real WebRTC classrooms (libdatachannel: ICE, DTLS, SRTP) · delays on one clock from the sender reports</p>
<code>${esc(last)}</code>
<div class="tiles">${tiles.map(([k, v]) => `<div class="tile"><b>${esc(v)}</b><span>${esc(k)}</span></div>`).join('')}</div>
<div class="grid">
<div class="card"><h2>Join times per classroom</h2><canvas id="joins"></canvas></div>
<div class="card"><h2>Join → first complete key frame (${FIRST_FRAME_BUCKET_MS} ms buckets)</h2><canvas id="firstframe"></canvas></div>
<div class="card"><h2>Capture → complete frame (${DELAY_BUCKET_MS} ms buckets, every frame)</h2><canvas id="delay"></canvas></div>
<div class="card"><h2>Loss, delay, joins and the simulator's own stalls</h2><canvas id="loss"></canvas></div>
<div class="card"><h2>Server CPU and memory</h2><canvas id="cpu"></canvas></div>
<div class="card"><h2>The speaker's uplink: bitrate and key frames</h2><canvas id="uplink"></canvas></div>
</div>
<table>${rows.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join('')}</table>
<script>${chartJs}</script>
<script>
const data = ${scriptJson(data)};
Chart.defaults.animation = false;
Chart.defaults.font.size = 11;
Chart.defaults.plugins.legend.labels.boxWidth = 12;
Chart.defaults.plugins.legend.labels.padding = 6;
const pts = (key) => data.joins.filter((j) => j[key] !== null).map((j) => ({ x: j.x, y: j[key] }));
// Seconds into the run on a linear axis (round ticks, gaps where a starved machine skipped a reading).
const series = (rows, f) => rows.map((p) => ({ x: p.t, y: f(p) }));
const seconds = { type: 'linear', min: 0, title: { display: true, text: 's into the run' } };
const right = (text, extra) => ({ position: 'right', min: 0, title: { display: true, text }, grid: { display: false }, ...extra });
new Chart(document.getElementById('joins'), { type: 'scatter', data: { datasets: [
  { label: 'media connected', data: pts('connected'), pointRadius: 2 },
  { label: 'first RTP', data: pts('rtp'), pointRadius: 2 },
  { label: 'first complete key frame', data: pts('frame'), pointRadius: 2 } ] },
  options: { scales: { x: { ...seconds, title: { display: true, text: 'join started (s into the run)' } }, y: { min: 0, title: { display: true, text: 'ms after it started' } } } } });
new Chart(document.getElementById('firstframe'), { type: 'bar', data: { labels: data.firstFrameLabels,
  datasets: [{ label: 'classrooms', data: data.firstFrameHist }] },
  options: { plugins: { legend: { display: false } }, scales: { x: { title: { display: true, text: 'ms after it started joining' } }, y: { title: { display: true, text: 'classrooms' } } } } });
// Log scale: a starved second's late frames pile in the last bucket, which would flatten the rest.
new Chart(document.getElementById('delay'), { type: 'bar', data: { labels: data.delayLabels,
  datasets: [{ label: 'frames', data: data.delayHist }] },
  options: { plugins: { legend: { display: false } }, scales: { x: { title: { display: true, text: 'ms' } }, y: { type: 'logarithmic', title: { display: true, text: 'frames (log scale)' } } } } });
const tl = data.timeline;
new Chart(document.getElementById('loss'), { type: 'line', data: { datasets: [
  { label: 'loss %', data: series(tl, (p) => p.lossPct), yAxisID: 'y', pointRadius: 0 },
  { label: 'delay p95 ms', data: series(tl, (p) => p.delayP95Ms), yAxisID: 'y2', pointRadius: 0 },
  { label: 'simulator stall ms', data: series(tl, (p) => p.loopLagMaxMs), yAxisID: 'y2', pointRadius: 0, borderDash: [4, 3] },
  { label: 'freezes', data: series(tl, (p) => p.freezes), yAxisID: 'y1', pointRadius: 0, borderDash: [2, 2] },
  { label: 'classrooms joined', data: series(tl, (p) => p.joined), yAxisID: 'y1', pointRadius: 0 } ] },
  options: { scales: { x: seconds, y: { min: 0, suggestedMax: 1, title: { display: true, text: 'loss %' } },
    y1: right('classrooms · freezes'), y2: right('ms') } } });
const sv = data.server;
new Chart(document.getElementById('cpu'), { type: 'line', data: { datasets: [
  { label: 'mediasoup workers CPU %', data: series(sv, (p) => p.mediaCpuPct), pointRadius: 0 },
  { label: 'control-api CPU %', data: series(sv, (p) => p.apiCpuPct), pointRadius: 0 },
  { label: 'simulator CPU %', data: series(sv, (p) => p.simulatorCpuPct), pointRadius: 0 },
  { label: 'machine busy % (all cores)', data: series(sv, (p) => p.machineBusyPct), pointRadius: 0, borderDash: [4, 3] },
  { label: 'workers RSS MB', data: series(sv, (p) => p.mediaRssMb), yAxisID: 'y1', pointRadius: 0 } ] },
  options: { scales: { x: seconds, y: { min: 0, title: { display: true, text: '% of one core' } }, y1: right('MB') } } });
new Chart(document.getElementById('uplink'), { type: 'line', data: { datasets: [
  { label: 'video kb/s', data: series(tl, (p) => p.speakerVideoKbps), pointRadius: 0 },
  { label: 'in key frames, kb/s', data: series(tl, (p) => p.speakerKeyFrameKbps), pointRadius: 0 },
  { label: 'the clip alone, kb/s', data: series(tl, () => data.clipKbps), pointRadius: 0, borderDash: [4, 3] },
  { label: 'key frames/s', data: series(tl, (p) => p.speakerKeyFrames), yAxisID: 'y1', pointRadius: 0, stepped: true },
  { label: 'classrooms joined', data: series(tl, (p) => p.joined), yAxisID: 'y2', pointRadius: 0 } ] },
  options: { scales: { x: seconds, y: { min: 0, title: { display: true, text: 'kb/s' } },
    y1: right('key frames/s'), y2: { display: false, min: 0 } } } });
</script></body></html>
`;
}
