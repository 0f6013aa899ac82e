-- The operator console (issue 15): operators sign in with their own account
-- instead of sharing the Bearer credential (kept for automation), and every
-- write they make is written down with their name.

-- A person who runs programmes. The password is kept only as an argon2id hash
-- (PHC string, salt and parameters included). An admin also manages accounts.
create table operator_accounts (
  id             uuid primary key,
  email          text not null,
  display_name   text not null,
  role           text not null check (role in ('admin', 'operator')),
  password_hash  text not null,
  disabled_at    timestamptz,
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now()
);
-- One account per address, whatever the case: « Anne@x.fr » is « anne@x.fr ».
create unique index operator_accounts_email on operator_accounts (lower(email));

-- A signed-in browser. The cookie carries a random id; only its SHA-256 is
-- stored, so that reading this table does not give anyone a session. The
-- CSRF token is the one every cookie-authenticated write must send back in a
-- header. Signing out deletes the row; an expired row admits nobody.
create table operator_sessions (
  id_hash       bytea primary key,
  account_id    uuid not null references operator_accounts (id) on delete cascade,
  csrf_token    text not null,
  created_at    timestamptz not null default now(),
  last_seen_at  timestamptz not null default now(),
  expires_at    timestamptz not null
);
create index operator_sessions_account on operator_sessions (account_id);
create index operator_sessions_expires on operator_sessions (expires_at);

-- Who did what from the console or the API: one row per write (and per
-- sign-in, sign-out, refused sign-in). `actor_account_id` is null for the
-- shared automation credential (actor_label 'automation') and for a refused
-- sign-in to an unknown address. Kept when an account goes (set null): the
-- label still says who it was.
create table operator_audit (
  id                bigserial primary key,
  actor_account_id  uuid references operator_accounts (id) on delete set null,
  actor_label       text not null,
  action            text not null,
  method            text,
  route             text,
  status_code       integer,
  event_id          uuid,
  details           jsonb not null default '{}',
  created_at        timestamptz not null default now()
);
create index operator_audit_created on operator_audit (created_at desc);
create index operator_audit_event on operator_audit (event_id, created_at);

-- Classroom join links issued from the console, so that they can be listed,
-- exported (CSV, printable sheet) and revoked. No token is stored: its claims
-- are, and the link is signed again from them when exported (the same jti,
-- the same expiry; revocation names the jti).
create table console_join_links (
  token_id      uuid primary key,
  event_id      uuid not null references events (id) on delete cascade,
  classroom_id  uuid not null references classrooms (id),
  name          text not null,
  issued_at     timestamptz not null,
  expires_at    timestamptz not null,
  issued_by     text not null,
  revoked_at    timestamptz
);
create index console_join_links_event on console_join_links (event_id, classroom_id);

-- Attendance as counts, for the after-event summary: when each enrolled
-- classroom was first and last seen connected, how often it came back after a
-- cut, whether its connection was reported degraded or bad, and which media
-- paths it used. No names, no questions: numbers per classroom, summed per
-- school.
create table classroom_attendance (
  event_id         uuid not null references events (id) on delete cascade,
  classroom_id     uuid not null references classrooms (id),
  first_seen_at    timestamptz not null,
  last_seen_at     timestamptz not null,
  reconnects       integer not null default 0,
  degraded_seen    boolean not null default false,
  bad_seen         boolean not null default false,
  paths            text[] not null default '{}',
  primary key (event_id, classroom_id)
);
