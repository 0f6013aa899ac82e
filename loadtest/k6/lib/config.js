// Every knob of the k6 scripts, read from k6's __ENV: `k6 run -e KEY=VALUE`
// (or the environment), the same under the Node runner. Defaults run a short
// test against a server started on this machine (npm start).
// k6 evaluates this module once per VU: keep it free of state.

function env(key, fallback) {
  const v = __ENV[key];
  return v === undefined || v === '' ? fallback : v;
}

function number(key, fallback) {
  const raw = env(key, String(fallback));
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new Error(`${key}=${raw} is not a number`);
  return n;
}

export const config = {
  /** The control-api as classrooms reach it (the reverse proxy's URL in production). */
  baseUrl: env('BASE_URL', 'http://127.0.0.1:8080').replace(/\/$/, ''),
  /** Operator credential (Bearer): setup() creates the event, its classrooms and their links with it. */
  operatorToken: env('OPERATOR_TOKEN', ''),
  /** Classrooms joining over WebSocket. */
  classrooms: number('CLASSROOMS', 50),
  /** Seconds over which they join (ramping-vus from 0 to CLASSROOMS). */
  rampSeconds: number('RAMP_SECONDS', 20),
  /** Seconds they all stay after the ramp. */
  holdSeconds: number('HOLD_SECONDS', 20),
  /** Share of classrooms that ask one question, 0..1. */
  askShare: number('ASK_SHARE', 0.3),
  /** Approved questions each classroom upvotes at most. */
  upvotes: number('UPVOTES', 3),
  /** A classroom upvotes a question it sees approved after a random wait up to this (ms). */
  upvoteSpreadMs: number('UPVOTE_SPREAD_MS', 2000),
  /** The moderator approves each new question after this long (ms). */
  approveDelayMs: number('APPROVE_DELAY_MS', 0),
  /** Classrooms enrolled per second through REST while the others are connected; 0: none. */
  enrolRate: number('ENROL_RATE', 1),
  /** Thresholds: the run fails when a p95 exceeds these (ms). */
  joinP95Ms: number('JOIN_P95_MS', 1000),
  questionP95Ms: number('QUESTION_P95_MS', 500),
  upvoteP95Ms: number('UPVOTE_P95_MS', 500),
  moderationP95Ms: number('MODERATION_P95_MS', 500),
  enrolP95Ms: number('ENROL_P95_MS', 1000),
  /** Keep the test event at the end (1) instead of ending it. */
  keepEvent: env('KEEP_EVENT', '0') === '1',
};

/** When the classrooms' and moderator's sessions close: the end of the hold, from a scenario's start. */
export function sessionEnd(scenarioStartTime) {
  return scenarioStartTime + (config.rampSeconds + config.holdSeconds) * 1000;
}
