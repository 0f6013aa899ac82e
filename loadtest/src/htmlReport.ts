import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { SimulationResult } from './Simulation.ts';
import { histogram } from './stats.ts';
import type { Summary } from './summary.ts';

const require = createRequire(import.meta.url);
const DELAY_BUCKET_MS = 5;
const DELAY_BUCKETS = 100;

/** JSON that may sit inside a <script> element. */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

const esc = (s: string) =>
  s.replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string,
  );

/**
 * One self-contained HTML page (Chart.js inlined, no network): the summary
 * table, join times per classroom, the delay distribution, loss and joins over
 * time, the server's CPU and memory over time, and the speaker's uplink (key
 * frames, bitrate) over time.
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
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Amphi load test: ${s.classrooms} classrooms</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d2430;background:#fff}
h1{font-size:20px;margin:0 0 4px} .sub{color:#5a6576;margin:0 0 16px}
table{border-collapse:collapse;margin:0 0 20px} td{padding:3px 12px 3px 0;border-bottom:1px solid #e4e8ee}
td:first-child{color:#5a6576} code{background:#f2f4f7;padding:4px 8px;display:inline-block;margin-bottom:16px}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:20px} .card{border:1px solid #e4e8ee;border-radius:6px;padding:12px}
.card h2{font-size:15px;margin:0 0 8px} canvas{width:100%!important;height:260px!important}
</style></head><body>
<h1>Amphi load test: ${s.classrooms} classrooms</h1>
<p class="sub">${esc(r.startedAt)} · ${esc(r.options.baseUrl)} · real WebRTC classrooms (libdatachannel: ICE, DTLS, SRTP) · delays on one clock from the sender reports</p>
<code>${esc(last)}</code>
<table>${rows.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join('')}</table>
<div class="grid">
<div class="card"><h2>Join times per classroom (ms after it started joining)</h2><canvas id="joins"></canvas></div>
<div class="card"><h2>Delay, capture → complete frame (all frames, ${DELAY_BUCKET_MS} ms buckets)</h2><canvas id="delay"></canvas></div>
<div class="card"><h2>Loss, delay p95, classrooms joined and the simulator's own stalls over time</h2><canvas id="loss"></canvas></div>
<div class="card"><h2>Server CPU and memory over time</h2><canvas id="cpu"></canvas></div>
<div class="card"><h2>The speaker's uplink: key frames and video bitrate over time</h2><canvas id="uplink"></canvas></div>
</div>
<script>${chartJs}</script>
<script>
const data = ${scriptJson(data)};
Chart.defaults.animation = false;
const pts = (key) => data.joins.filter((j) => j[key] !== null).map((j) => ({ x: j.x, y: j[key] }));
new Chart(document.getElementById('joins'), { type: 'scatter', data: { datasets: [
  { label: 'media connected', data: pts('connected'), pointRadius: 2 },
  { label: 'first RTP', data: pts('rtp'), pointRadius: 2 },
  { label: 'first complete key frame', data: pts('frame'), pointRadius: 2 } ] },
  options: { scales: { x: { title: { display: true, text: 'join started (s into the run)' } }, y: { title: { display: true, text: 'ms' } } } } });
new Chart(document.getElementById('delay'), { type: 'bar', data: { labels: data.delayLabels,
  datasets: [{ label: 'frames', data: data.delayHist }] },
  options: { scales: { x: { title: { display: true, text: 'ms' } } } } });
const tl = data.timeline.map((p) => p.t);
new Chart(document.getElementById('loss'), { type: 'line', data: { labels: tl, datasets: [
  { label: 'loss %', data: data.timeline.map((p) => p.lossPct), yAxisID: 'y', pointRadius: 0 },
  { label: 'delay p95 ms', data: data.timeline.map((p) => p.delayP95Ms), yAxisID: 'y2', pointRadius: 0 },
  { label: 'simulator event-loop stall ms', data: data.timeline.map((p) => p.loopLagMaxMs), yAxisID: 'y2', pointRadius: 0, borderDash: [4, 3] },
  { label: 'freezes', data: data.timeline.map((p) => p.freezes), yAxisID: 'y1', pointRadius: 0, borderDash: [2, 2] },
  { label: 'classrooms joined', data: data.timeline.map((p) => p.joined), yAxisID: 'y1', pointRadius: 0 } ] },
  options: { scales: { x: { title: { display: true, text: 's' } }, y: { min: 0, title: { display: true, text: 'loss %' } },
    y1: { position: 'right', min: 0, title: { display: true, text: 'classrooms, freezes' } },
    y2: { position: 'right', min: 0, title: { display: true, text: 'ms' }, grid: { display: false } } } } });
new Chart(document.getElementById('cpu'), { type: 'line', data: { labels: data.server.map((p) => p.t), datasets: [
  { label: 'mediasoup workers CPU %', data: data.server.map((p) => p.mediaCpuPct), pointRadius: 0 },
  { label: 'control-api CPU %', data: data.server.map((p) => p.apiCpuPct), pointRadius: 0 },
  { label: 'simulator CPU %', data: data.server.map((p) => p.simulatorCpuPct), pointRadius: 0 },
  { label: 'whole machine busy % (all cores)', data: data.server.map((p) => p.machineBusyPct), pointRadius: 0, borderDash: [4, 3] },
  { label: 'workers RSS MB', data: data.server.map((p) => p.mediaRssMb), yAxisID: 'y1', pointRadius: 0 } ] },
  options: { scales: { x: { title: { display: true, text: 's' } }, y: { min: 0, title: { display: true, text: '% of one core (machine: of all)' } },
    y1: { position: 'right', min: 0, title: { display: true, text: 'MB' } } } } });
new Chart(document.getElementById('uplink'), { type: 'line', data: { labels: tl, datasets: [
  { label: 'video kb/s', data: data.timeline.map((p) => p.speakerVideoKbps), pointRadius: 0 },
  { label: 'of which key frames, kb/s', data: data.timeline.map((p) => p.speakerKeyFrameKbps), pointRadius: 0 },
  { label: 'the clip alone, kb/s', data: data.timeline.map(() => data.clipKbps), pointRadius: 0, borderDash: [4, 3] },
  { label: 'key frames per second', data: data.timeline.map((p) => p.speakerKeyFrames), yAxisID: 'y1', pointRadius: 0, stepped: true },
  { label: 'classrooms joined', data: data.timeline.map((p) => p.joined), yAxisID: 'y2', pointRadius: 0 } ] },
  options: { scales: { x: { title: { display: true, text: 's' } }, y: { min: 0, title: { display: true, text: 'kb/s' } },
    y1: { position: 'right', min: 0, title: { display: true, text: 'key frames/s' } },
    y2: { display: false, min: 0 } } } });
</script></body></html>
`;
}
