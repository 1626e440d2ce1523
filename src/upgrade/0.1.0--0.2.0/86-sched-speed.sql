-- patsvc 0.1.0 -> 0.2.0, issue 17 (speed): claim_due_reminders reads the due reminders in its
-- ORDER BY (due_at, id) from the index instead of sorting all of them, and is plpgsql with a
-- kept generic plan instead of a SQL function planned on every call; the same definition as
-- src/scheduling/40-waitlist-reminders.sql (CREATE OR REPLACE keeps its grants and comment).
-- The consent gate, the merged-patient guard and the last-encounter feed on appointments are
-- checked by appointments_enforce (C) in 0.2.0: their triggers and functions are gone from the
-- fragments that create them (73-consent-gate.sql, 75-patient-references.sql, 93-registry-facts.sql).
DROP INDEX @extschema@.reminders_due;
CREATE INDEX reminders_due ON @extschema@.reminders (due_at, id) WHERE claimed_at IS NULL;
COMMENT ON INDEX @extschema@.reminders_due IS 'unclaimed reminders in the order claim_due_reminders takes them';

CREATE OR REPLACE FUNCTION @extschema@.claim_due_reminders(now timestamptz, max integer)
  RETURNS TABLE(reminder bigint, appointment bigint, channel text, due_at timestamptz, starts_at timestamptz)
  LANGUAGE plpgsql
  -- plpgsql keeps the plan (a SQL function was planned again on every call: 1 ms of a 1.3 ms
  -- claim); generic, because with LIMIT max unknown the plan cache judged the generic plan
  -- dearer and planned every call again.  The plan: the due reminders in index order
  -- (reminders_due), each visit by its primary key, whatever max is.
  SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH due AS (
    SELECT r.id FROM @extschema@.reminders r
      JOIN @extschema@.appointments a ON a.id OPERATOR(pg_catalog.=) r.appointment_id
     WHERE r.claimed_at IS NULL AND r.due_at OPERATOR(pg_catalog.<=) claim_due_reminders.now
       AND a.status OPERATOR(pg_catalog.=) ANY ('{proposed,pending,booked,waitlist}'::text[])
       AND a.starts_at OPERATOR(pg_catalog.=) r.for_start AND a.starts_at OPERATOR(pg_catalog.>) claim_due_reminders.now
     ORDER BY r.due_at, r.id
     LIMIT claim_due_reminders.max
     FOR UPDATE OF r SKIP LOCKED
     FOR SHARE OF a)
  UPDATE @extschema@.reminders r SET claimed_at = pg_catalog.clock_timestamp(), claimed_by = session_user
    FROM due, @extschema@.reminder_rules rr, @extschema@.appointments a
   WHERE r.id OPERATOR(pg_catalog.=) due.id AND rr.id OPERATOR(pg_catalog.=) r.rule_id
     AND a.id OPERATOR(pg_catalog.=) r.appointment_id
  RETURNING r.id, r.appointment_id, rr.channel, r.due_at, a.starts_at;
END $$;
