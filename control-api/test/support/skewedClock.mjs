// Preloaded into a test's control-api process (NODE_OPTIONS=--import): its
// host's wall clock, Date.now(), off by AMPHI_TEST_CLOCK_SKEW_MS, as on a host
// whose clock drifted. Timers and performance.now() are left as they are.
const skew = Number(process.env.AMPHI_TEST_CLOCK_SKEW_MS ?? 0);
const hostNow = Date.now;
Date.now = () => hostNow() + skew;
