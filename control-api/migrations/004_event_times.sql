-- When an event went live and when it ended, as the server saw it: the one
-- clock every studio's timer reads (speakers and moderators showed times
-- apart when each counted from its own go-live or its own page load).
alter table events add column started_at timestamptz;
alter table events add column ended_at timestamptz;
-- Events already live or over keep a time, if not an exact one.
update events set started_at = least(starts_at, now()) where status in ('live', 'ended');
update events set ended_at = now() where status in ('ended', 'cancelled');
