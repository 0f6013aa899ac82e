-- The programme teachers choose from (issue 15): what a talk is about and for
-- which classes, whether teachers may enrol now, the speakers' study paths,
-- and the enrolments teachers make themselves from the public portal.

-- School levels the talk is meant for (the classroom levels: '4e', '3e', '2nde'...).
-- Empty: not said (events created before this migration).
alter table events add column levels text[] not null default '{}';
-- Teachers may enrol classes from the portal only while this is true; an
-- operator opens and closes it. Existing events stay closed.
alter table events add column enrolment_open boolean not null default false;
-- One or two sentences for the catalogue, then what the talk covers (the
-- preparation dossier's first part).
alter table events add column summary text;
alter table events add column description text;
create index events_levels on events using gin (levels);

-- The speaker's study path (parcours d'études): « Bac S, puis BTS ... ».
alter table speakers add column study_path text;

-- Who enrolled a classroom in an event: an operator (import, API) or a teacher
-- from the portal, and then the teacher's contact e-mail, for the event's
-- practical information. The e-mail is personal data: the retention purge and
-- erasure on request empty it (docs/privacy.md) and stamp erased_at.
alter table classroom_enrolments add column enrolled_by text not null default 'operator'
  check (enrolled_by in ('operator', 'teacher'));
alter table classroom_enrolments add column contact_email text;
alter table classroom_enrolments add column erased_at timestamptz;
-- Classrooms a teacher names from the portal are found again by school and
-- label, whatever the case: « 4e b » is « 4e B ».
create index classrooms_school_label on classrooms (school_id, lower(label));

