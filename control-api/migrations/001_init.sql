-- Amphi control plane: catalogue (events, speakers, schools, classrooms,
-- enrolments), the question queue with its audit log, hands and the stage.

create table speakers (
  id            uuid primary key,
  name          text not null,
  job           text not null,
  organisation  text not null,
  bio           text,
  created_at    timestamptz not null default now()
);

create table events (
  id                uuid primary key,
  title             text not null,
  theme_week        text,
  format            text not null check (format in ('solo_45', 'panel_55')),
  duration_minutes  integer not null check (duration_minutes > 0),
  starts_at         timestamptz not null,
  status            text not null default 'scheduled'
                    check (status in ('scheduled', 'live', 'ended', 'cancelled')),
  created_at        timestamptz not null default now()
);
create index events_starts_at on events (starts_at);

create table event_speakers (
  event_id    uuid not null references events (id) on delete cascade,
  speaker_id  uuid not null references speakers (id),
  position    integer not null,
  primary key (event_id, speaker_id)
);

create table schools (
  id          uuid primary key,
  name        text not null,
  town        text not null,
  academie    text not null,
  region      text not null,
  overseas    boolean not null default false,
  created_at  timestamptz not null default now()
);

create table classrooms (
  id          uuid primary key,
  school_id   uuid not null references schools (id),
  label       text not null,
  level       text not null,
  created_at  timestamptz not null default now()
);
create index classrooms_school on classrooms (school_id);

create table classroom_enrolments (
  event_id      uuid not null references events (id) on delete cascade,
  classroom_id  uuid not null references classrooms (id),
  enrolled_at   timestamptz not null default now(),
  primary key (event_id, classroom_id)
);

-- Pupils who register on their own (watching from home, or a class that
-- registers pupil by pupil). The least personal data that does the job.
create table student_enrolments (
  id            uuid primary key,
  event_id      uuid not null references events (id) on delete cascade,
  display_name  text not null,
  level         text not null,
  school_id     uuid references schools (id),
  classroom_id  uuid references classrooms (id),
  enrolled_at   timestamptz not null default now()
);
create index student_enrolments_event on student_enrolments (event_id);

create table questions (
  id                uuid primary key,
  event_id          uuid not null references events (id) on delete cascade,
  classroom_id      uuid not null references classrooms (id),
  idempotency_key   text not null,
  text              text not null check (char_length(text) between 1 and 500),
  original_text     text not null,
  category          text not null
                    check (category in ('job_reality', 'training_path', 'human_side', 'other')),
  status            text not null default 'pending'
                    check (status in ('pending', 'approved', 'rejected', 'merged', 'answering', 'answered')),
  merged_into_id    uuid references questions (id),
  pinned            boolean not null default false,
  rank              double precision,
  upvotes           integer not null default 0 check (upvotes >= 0),
  asked_before_event boolean not null default false,
  created_at        timestamptz not null default now(),
  updated_at        timestamptz not null default now(),
  -- A retried submission (same classroom, same key) never creates a second row.
  unique (event_id, classroom_id, idempotency_key),
  check ((status = 'merged') = (merged_into_id is not null))
);
create index questions_event_status on questions (event_id, status);
-- At most one question per event is being answered.
create unique index questions_one_answering on questions (event_id) where status = 'answering';

create table question_upvotes (
  question_id   uuid not null references questions (id) on delete cascade,
  classroom_id  uuid not null references classrooms (id),
  created_at    timestamptz not null default now(),
  primary key (question_id, classroom_id)
);

-- Audit log of every moderator decision.
create table moderation_actions (
  id            bigserial primary key,
  event_id      uuid not null references events (id) on delete cascade,
  question_id   uuid references questions (id) on delete cascade,
  classroom_id  uuid references classrooms (id),
  actor_role    text not null,
  actor_name    text not null,
  action        text not null,
  details       jsonb not null default '{}',
  created_at    timestamptz not null default now()
);
create index moderation_actions_event on moderation_actions (event_id, created_at);

create table raised_hands (
  event_id      uuid not null references events (id) on delete cascade,
  classroom_id  uuid not null references classrooms (id),
  raised_at     timestamptz not null default now(),
  primary key (event_id, classroom_id)
);

-- At most one classroom on stage per event.
create table stage (
  event_id      uuid primary key references events (id) on delete cascade,
  classroom_id  uuid not null references classrooms (id),
  status        text not null check (status in ('invited', 'live')),
  since         timestamptz not null default now()
);

-- Classrooms a moderator removed from an event: their join link stops working.
create table classroom_removals (
  event_id      uuid not null references events (id) on delete cascade,
  classroom_id  uuid not null references classrooms (id),
  removed_at    timestamptz not null default now(),
  primary key (event_id, classroom_id)
);
