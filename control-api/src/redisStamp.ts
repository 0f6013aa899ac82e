/**
 * A Lua function for any script that reads Redis's own clock: `now()` is
 * milliseconds on it. Reservations, drain words and resumes are reckoned on
 * this one clock, whichever instance ran the script.
 */
export const REDIS_NOW_LUA = `
local function now()
  local t = redis.call('time')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end`;

/**
 * A Lua function for the scripts that order words said through several
 * control-api instances (a participant's resumes, an operator's drain and
 * undrain): `next_stamp(last)` is more than `last` (a number, or nil when
 * none) and at least Redis's own clock in milliseconds. One clock orders
 * them, Redis's, never an instance's: two hosts 30 s apart would have the
 * later word lose to the earlier. Floored by that clock, a stamp drawn after
 * a Redis restart (`last` lost with it) still comes after every one drawn
 * before, as long as Redis's clock does not go back.
 */
export const NEXT_STAMP_LUA = `${REDIS_NOW_LUA}
local function next_stamp(last)
  return math.max((tonumber(last) or 0) + 1, now())
end`;
