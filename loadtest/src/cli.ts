// npm run loadtest -- --classrooms N --duration S [--join-rate R] [--target URL --operator-token T]
//
// N real WebRTC classrooms watching a synthetic speaker, on a local Amphi
// started for the run (default) or on a deployment (--target). Prints a
// summary, writes JSON and a self-contained HTML report, and ends with one line:
//   loadtest classrooms=N joined=J first_frame_p95_ms=X delay_p95_ms=Y loss_pct=Z
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { htmlReport } from './htmlReport.ts';
import { LocalServer } from './LocalServer.ts';
import { loadVp8Clip } from './media/vp8Clip.ts';
import { runSimulation } from './Simulation.ts';
import { lastLine, resultJson, summarize } from './summary.ts';

const USAGE = `usage: npm run loadtest -- --classrooms N --duration S [options]
  --classrooms N         classrooms joining (default 10)
  --duration S           seconds every classroom watches once the last one has joined (default 30)
  --join-rate R          classrooms starting to join per second (default 5: 300 in one minute)
  --ask-share F          share of classrooms that ask a question (default 0.2)
  --upvote-share F       share that upvote a question (default 0.3)
  --hand-share F         share that raise their hand (default 0.1)
  --target URL           a deployment instead of a local server (its operator API)
  --operator-token T     its operator token (or AMPHI_OPERATOR_TOKEN)
  --max-duration S       hard bound of the whole run (default ramp + duration + 120, at most 3600)
  --workers N            mediasoup workers of the local server (default one per core)
  --key-frame-delay MS   the local server's key-frame request delay (default media-server's)
  --out FILE.json        where the JSON goes (the HTML beside it, .html)`;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function num(
  v: string | undefined,
  def: number,
  name: string,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
) {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max)
    fail(`--${name} must be a number in [${min}, ${max}]`);
  return n;
}

/** The speaker's uplink while classrooms join, against the watching that follows. */
function speakerLine(s: ReturnType<typeof summarize>): string {
  const u = s.speaker;
  return `speaker key_frame_request_delay_ms=${u.keyFrameRequestDelayMs ?? 'unknown'} requests=${u.keyFrameRequests} answered=${u.keyFramesOnRequest} joining: key_frames_per_s=${u.joining.keyFramesPerS} key_frame_share_pct=${u.joining.keyFrameSharePct} video_kbps=${u.joining.videoKbps} (clip ${u.clipKbps}, ${u.joiningOvershootPct === null ? 'na' : `${u.joiningOvershootPct >= 0 ? '+' : ''}${u.joiningOvershootPct}`} %) watching: key_frames_per_s=${u.watching.keyFramesPerS} key_frame_share_pct=${u.watching.keyFrameSharePct} video_kbps=${u.watching.videoKbps}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      classrooms: { type: 'string' },
      duration: { type: 'string' },
      'join-rate': { type: 'string' },
      'ask-share': { type: 'string' },
      'upvote-share': { type: 'string' },
      'hand-share': { type: 'string' },
      target: { type: 'string' },
      'operator-token': { type: 'string' },
      'max-duration': { type: 'string' },
      workers: { type: 'string' },
      'key-frame-delay': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const classrooms = num(values.classrooms, 10, 'classrooms', 1, 5000);
  const durationS = num(values.duration, 30, 'duration', 1, 3600);
  const joinRate = num(values['join-rate'], 5, 'join-rate', 0.01, 1000);
  const rampS = (classrooms - 1) / joinRate;
  const maxDurationS = num(
    values['max-duration'],
    Math.min(3600, Math.ceil(rampS + durationS + 120)),
    'max-duration',
    10,
    3600,
  );
  const log = (line: string) => process.stderr.write(`${line}\n`);

  let server: LocalServer | null = null;
  let baseUrl: string;
  let operatorToken: string;
  if (values.target) {
    baseUrl = values.target;
    const token = values['operator-token'] ?? process.env.AMPHI_OPERATOR_TOKEN;
    if (!token) fail('--target needs --operator-token (or AMPHI_OPERATOR_TOKEN)');
    operatorToken = token;
  } else {
    log('starting a local Amphi server (control-api, embedded PostgreSQL, mediasoup workers)');
    const workers = values.workers ? num(values.workers, 2, 'workers', 1, 64) : undefined;
    const keyFrameDelay = values['key-frame-delay']
      ? num(values['key-frame-delay'], 0, 'key-frame-delay', 0, 10_000)
      : undefined;
    server = await LocalServer.start({
      ...(workers ? { workers } : {}),
      ...(keyFrameDelay === undefined ? {} : { keyFrameRequestDelayMs: keyFrameDelay }),
    });
    baseUrl = server.url;
    operatorToken = server.operatorToken;
    // Whatever ends this process, the server it started goes with it.
    const started = server;
    process.on('exit', () => started.signalStop());
  }
  // Ctrl-C: the run's finally blocks clean up (event cancelled, links revoked).
  const abort = new AbortController();
  let interrupted = false;
  process.on('SIGINT', () => {
    // A second Ctrl-C does not wait for the clean-up.
    if (interrupted) process.exit(130);
    interrupted = true;
    log('interrupted: stopping and cleaning up (Ctrl-C again to quit at once)');
    abort.abort();
  });

  try {
    const clip = await loadVp8Clip();
    const result = await runSimulation({
      baseUrl,
      operatorToken,
      classrooms,
      durationS,
      joinRate,
      askShare: num(values['ask-share'], 0.2, 'ask-share', 0, 1),
      upvoteShare: num(values['upvote-share'], 0.3, 'upvote-share', 0, 1),
      handShare: num(values['hand-share'], 0.1, 'hand-share', 0, 1),
      clip,
      ...(server
        ? { serverPid: server.pid, keyFrameRequestDelayMs: server.keyFrameRequestDelayMs }
        : {}),
      maxDurationS,
      signal: abort.signal,
      log,
    });
    const summary = summarize(result);
    const line = lastLine(summary);
    const out = resolve(
      values.out ??
        fileURLToPath(new URL(`../bench/results/loadtest-${classrooms}.json`, import.meta.url)),
    );
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, `${JSON.stringify(resultJson(result, summary))}\n`);
    const html = `${out.replace(/\.json$/, '')}.html`;
    await writeFile(html, await htmlReport(result, summary, line));
    const s = summary;
    process.stdout.write(
      [
        `| classrooms | joined | join→first RTP p95 | join→first frame p50/p95 | delay p50/p95/p99 | server hop p95 | loss % | jitter mean | freezes | fps/class | media CPU mean/max % | media RSS MB |`,
        '|---|---|---|---|---|---|---|---|---|---|---|---|',
        `| ${s.classrooms} | ${s.joined} | ${s.firstRtpMs.p95} | ${s.firstFrameMs.p50}/${s.firstFrameMs.p95} | ${s.delayMs.p50}/${s.delayMs.p95}/${s.delayMs.p99} | ${s.serverHopMs.p95} | ${s.lossPct} | ${s.jitterMs.mean} | ${s.freezes} (${s.freezeS} s) | ${s.framesPerClassroomPerS} | ${s.server.mediaCpuMeanPct}/${s.server.mediaCpuMaxPct} | ${s.server.mediaRssMaxMb} |`,
        `first_frame_outside_simulator_stalls: classrooms=${s.firstFrameOutsideStallsMs.classrooms} p50_ms=${s.firstFrameOutsideStallsMs.p50} p95_ms=${s.firstFrameOutsideStallsMs.p95}`,
        `machine_busy=${s.server.machineBusyMeanPct}% simulator_stalls_over_100ms=${s.simulatorStalls.over100ms}s freezes_in_stalls=${s.simulatorStalls.freezesInThem}/${s.freezes} media_set_up_again=${s.mediaSetupsAgain} media_errors=${s.mediaErrors} questions=${s.questions} upvotes=${s.upvotes} hands=${s.hands} approvals=${s.moderatorApprovals} errors=${s.errors.map((e) => `${e.count}x ${e.message}`).join('; ') || 'none'} cleanup=${JSON.stringify(result.cleanUp)}${interrupted ? ' (interrupted)' : ''}`,
        speakerLine(s),
        `json: ${out}`,
        `html: ${html}`,
        line,
        '',
      ].join('\n'),
    );
  } finally {
    await server?.stop();
  }
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`loadtest failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
