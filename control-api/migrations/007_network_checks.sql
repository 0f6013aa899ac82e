-- The network check a teacher runs from the class's link before a talk
-- (viewer /viewer/check/, routes/networkChecks.ts): the latest result per
-- classroom, so that operators know beforehand how many classes will need the
-- TURN relay or the LL-HLS fallback. Network facts about a classroom only: no
-- address, no user agent string, no person; a check older than the retention
-- period (RETENTION_DAYS) is no longer shown and is deleted (docs/privacy.md).

create table network_checks (
  classroom_id   uuid primary key references classrooms (id) on delete cascade,
  -- The event whose link the check was run from (the verdict holds for the classroom).
  event_id       uuid references events (id) on delete set null,
  checked_at     timestamptz not null default now(),
  level          text not null check (level in ('ready', 'relay', 'fallback', 'impossible')),
  path           text check (path in ('udp', 'tcp', 'turn-udp', 'turn-tcp', 'turn-tls', 'hls')),
  downlink_kbps  double precision,
  -- What the browser measured (protocol NetworkCheckReport) and the verdict (NetworkVerdict).
  report         jsonb not null,
  verdict        jsonb not null
);

create index network_checks_checked_at on network_checks (checked_at);
