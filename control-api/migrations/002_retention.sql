-- Retention of personal data (docs/privacy.md). Past the retention period, or
-- on an operator's request, personal data is erased in place: the rows stay so
-- that questions asked / answered and enrolments can still be counted per
-- event, but the free text and the names in them are emptied and `erased_at`
-- says when.

alter table questions add column erased_at timestamptz;
-- An erased question has an empty text; any other still needs 1 to 500 characters.
alter table questions drop constraint questions_text_check;
alter table questions add constraint questions_text_check
  check (erased_at is not null or char_length(text) between 1 and 500);

alter table student_enrolments add column erased_at timestamptz;
alter table moderation_actions add column erased_at timestamptz;

-- When the event's personal data was last erased as a whole (by the retention
-- purge or on request); the purge takes up an event again only if this is
-- before its retention deadline (data may have come in after an early erasure).
alter table events add column personal_data_erased_at timestamptz;
