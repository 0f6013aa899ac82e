-- Join links an operator revoked. A join token is stateless (signed, with an
-- expiry); this table is the one thing that ends a link before its expiry.
-- Admission (REST and the WebSocket upgrade) refuses a token whose id (`jti`)
-- is here, and the instances close the sockets opened with it. Holds no
-- personal data: a token id, its event, when.
create table join_link_revocations (
  token_id    uuid primary key,
  event_id    uuid not null references events (id) on delete cascade,
  revoked_at  timestamptz not null default now()
);
create index join_link_revocations_event on join_link_revocations (event_id);
