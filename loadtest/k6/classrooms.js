// A national event's control plane under load, as k6 sees it (k6 modules only):
//  - classrooms join over WebSocket at a ramp (ramping-vus, 0 -> CLASSROOMS over
//    RAMP_SECONDS), stay HOLD_SECONDS, a share asks one question each, and
//    each upvotes the approved questions it sees;
//  - a moderator approves every new question;
//  - an operator enrols classrooms through REST meanwhile (constant-arrival-rate).
// setup() creates the event, its classrooms and links; teardown() ends it.
// Thresholds fail the run (k6 exit code 99) when a p95 passes its limit.
//   k6 run -e BASE_URL=http://127.0.0.1:8080 -e OPERATOR_TOKEN=… loadtest/k6/classrooms.js
//   npm run loadtest:k6 -- -e BASE_URL=… -e OPERATOR_TOKEN=… loadtest/k6/classrooms.js
// (loadtest/k6/README.md lists every variable.)
import { check } from 'k6';
import exec from 'k6/execution';
import { Counter, Rate, Trend } from 'k6/metrics';
import { config, sessionEnd } from './lib/config.js';
import { createTestEvent, enrolClassroom, setEventStatus } from './lib/operator.js';
import { delay, joinEvent, wsUrl } from './lib/signaling.js';

/** From opening the socket to the answer to `join` (upgrade, token, the live state). */
const joinLatency = new Trend('join_latency', true);
const joinOk = new Rate('join_ok');
/** question.submit: written to PostgreSQL, then acknowledged. */
const questionLatency = new Trend('question_latency', true);
/** From asking to seeing one's own question approved (the moderator's action included). */
const approvedLatency = new Trend('question_approved_latency', true);
const upvoteLatency = new Trend('upvote_latency', true);
const moderationLatency = new Trend('moderation_latency', true);
const questionsAsked = new Counter('questions_asked');
const questionsApproved = new Counter('questions_approved');
const upvotesSent = new Counter('upvotes_sent');
const enrolOk = new Rate('enrol_ok');

const windowSeconds = config.rampSeconds + config.holdSeconds;

const scenarios = {
  classrooms: {
    executor: 'ramping-vus',
    exec: 'classroom',
    startVUs: 0,
    stages: [
      { duration: `${config.rampSeconds}s`, target: config.classrooms },
      { duration: `${config.holdSeconds}s`, target: config.classrooms },
    ],
    // Each classroom's one session ends at the end of the hold: give it time to close.
    gracefulRampDown: '10s',
    gracefulStop: '10s',
  },
  moderator: {
    executor: 'per-vu-iterations',
    exec: 'moderator',
    vus: 1,
    iterations: 1,
    maxDuration: `${windowSeconds}s`,
    gracefulStop: '10s',
  },
};
if (config.enrolRate > 0) {
  scenarios.enrolment = {
    executor: 'constant-arrival-rate',
    exec: 'enrol',
    rate: config.enrolRate,
    timeUnit: '1s',
    duration: `${windowSeconds}s`,
    preAllocatedVUs: Math.max(2, Math.ceil(config.enrolRate)),
    maxVUs: Math.max(10, Math.ceil(config.enrolRate * 5)),
  };
}

const thresholds = {
  join_latency: [`p(95)<${config.joinP95Ms}`],
  join_ok: ['rate>0.99'],
  question_latency: [`p(95)<${config.questionP95Ms}`],
  upvote_latency: [`p(95)<${config.upvoteP95Ms}`],
  moderation_latency: [`p(95)<${config.moderationP95Ms}`],
  checks: ['rate>0.99'],
};
if (config.askShare > 0) {
  thresholds.questions_asked = ['count>0'];
  thresholds.questions_approved = ['count>0'];
}
if (config.enrolRate > 0) {
  thresholds['http_req_duration{scenario:enrolment}'] = [`p(95)<${config.enrolP95Ms}`];
  thresholds.enrol_ok = ['rate>0.99'];
}

export const options = {
  // Two REST requests per classroom before the test starts.
  setupTimeout: `${Math.max(60, Math.ceil(config.classrooms / 5))}s`,
  scenarios,
  thresholds,
};

export function setup() {
  return createTestEvent(config.classrooms);
}

export function teardown(data) {
  if (!config.keepEvent) setEventStatus(data.eventId, 'ended');
}

/** Whether the n-th classroom (0-based) asks a question: ASK_SHARE of them, spread evenly. */
function asks(n) {
  return Math.floor((n + 1) * config.askShare) > Math.floor(n * config.askShare);
}

/** One classroom's session: join, maybe ask, upvote what gets approved, leave at the end of the hold. */
export async function classroom(data) {
  const n = exec.scenario.iterationInTest;
  const end = sessionEnd(exec.scenario.startTime);
  // One session per classroom: a VU that comes back after its session waits for the
  // scenario to stop it (a second past the end: it is stopped before).
  if (n >= data.classrooms.length || Date.now() > end - 500) {
    await delay(Math.max(0, end - Date.now()) + 1000);
    return;
  }
  const me = data.classrooms[n];
  const upvoted = new Set();
  let asked = null;
  let session = null;

  const upvote = async (questionId) => {
    await delay(Math.random() * config.upvoteSpreadMs);
    if (!session || Date.now() > end) return;
    const r = await session.request('question.upvote', { questionId });
    upvoteLatency.add(r.ms);
    upvotesSent.add(1);
    check(r, { 'upvote accepted': (x) => x.ok });
  };
  const onEvent = (event, q) => {
    if (event !== 'question.updated' || q.status !== 'approved') return;
    if (q.classroomId === me.id) {
      if (asked && asked.id === q.id && !asked.seen) {
        asked.seen = true;
        approvedLatency.add(Date.now() - asked.at);
      }
      return;
    }
    if (upvoted.has(q.id) || upvoted.size >= config.upvotes) return;
    upvoted.add(q.id);
    upvote(q.id);
  };

  const joined = await joinEvent(wsUrl(config.baseUrl, data.eventId, me.token), {
    tags: { name: 'classroom socket' },
    onEvent,
  });
  joinOk.add(joined.session !== null);
  session = joined.session;
  if (!check(joined, { 'classroom joined': (j) => j.session !== null })) {
    console.warn(`classroom ${n + 1} could not join: ${JSON.stringify(joined.error)}`);
    return;
  }
  joinLatency.add(joined.ms);
  check(joined.join, { 'join sees the event live': (j) => j.result.state.event.status === 'live' });
  // The queue as the classroom finds it on joining: it upvotes from it too.
  for (const q of joined.join.result.state.questions) onEvent('question.updated', q);

  if (asks(n)) {
    // Somewhere in the first half of what is left of the session.
    await delay(Math.random() * Math.max(0, end - Date.now()) * 0.5);
    const at = Date.now();
    const r = await session.request('question.submit', {
      idempotencyKey: `k6-${me.id.slice(0, 8)}-${at}`,
      text: `Question de la classe ${n + 1} : comment êtes-vous arrivée à ce métier ?`,
      category: 'training_path',
    });
    questionLatency.add(r.ms);
    questionsAsked.add(1);
    if (check(r, { 'question stored': (x) => x.ok }))
      asked = { id: r.result.question.id, at, seen: false };
  }

  await delay(end - Date.now());
  session.close();
}

/** The moderator: approves every new question until the end of the hold. */
export async function moderator(data) {
  const end = sessionEnd(exec.scenario.startTime);
  let session = null;
  const approve = async (questionId) => {
    await delay(config.approveDelayMs);
    // A question pushed before the join's answer waits for it.
    while (!session && Date.now() < end) await delay(50);
    if (!session) return;
    const r = await session.request('question.moderate', { action: 'approve', questionId });
    moderationLatency.add(r.ms);
    if (check(r, { 'question approved': (x) => x.ok })) questionsApproved.add(1);
  };
  const joined = await joinEvent(wsUrl(config.baseUrl, data.eventId, data.moderatorToken), {
    tags: { name: 'moderator socket' },
    onEvent: (event, q) => {
      if (event === 'question.created' && q.status === 'pending') approve(q.id);
    },
  });
  session = joined.session;
  if (!check(joined, { 'moderator joined': (j) => j.session !== null })) return;
  await delay(end - Date.now());
  session.close();
}

/** The operator enrols one more classroom: create it, enrol it, issue its link. */
export async function enrol(data) {
  const label = `k6 live ${exec.scenario.iterationInTest + 1}`;
  const ok = await enrolClassroom(data.eventId, data.schoolId, label);
  enrolOk.add(ok);
  check(ok, { 'classroom enrolled live': (x) => x === true });
}
