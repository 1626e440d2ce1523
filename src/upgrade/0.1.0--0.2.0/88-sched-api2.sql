-- patsvc 0.1.0 -> 0.2.0, issue 17 (the API costs what its writes cost): appointments_enforce (C,
-- src/scheduling/reminders.c) writes the reminders of booked and moved appointments; the AFTER
-- trigger reminders_schedule, whose WHEN PostgreSQL prepared for every INSERT statement, and its
-- plpgsql function are gone.  The reminders are written before their appointment row, so the
-- foreign key to appointments is checked at commit.  The same definitions as
-- src/scheduling/10-model.sql and 40-waitlist-reminders.sql.
DROP TRIGGER reminders_schedule ON @extschema@.appointments;
DROP FUNCTION @extschema@.reminders_schedule();
ALTER TABLE @extschema@.reminders ALTER CONSTRAINT reminders_appointment_id_fkey DEFERRABLE INITIALLY DEFERRED;
COMMENT ON FUNCTION @extschema@.appointment_gets_reminders(text, bigint) IS
  'true if an appointment in this status (one that holds time) and of this type (one with reminder rules: per-backend cache, dropped by trigger reminder_rules_changed) gets reminders: trigger appointments_enforce writes them when such an appointment is booked or moved';
COMMENT ON FUNCTION @extschema@.appointments_enforce() IS
  'trigger: derives times, checks status transitions, overbook authorization, overlap, hours, time off and capacity under per-key locks; writes the reminders of booked and moved appointments';
-- claim_due_reminders in C (src/scheduling/claim.c): the same statement as one kept generic plan,
-- without plpgsql's SET plan_cache_mode and RETURN QUERY (CREATE OR REPLACE keeps grants and comment)
CREATE OR REPLACE FUNCTION @extschema@.claim_due_reminders(now timestamptz, max integer)
  RETURNS TABLE(reminder bigint, appointment bigint, channel text, due_at timestamptz, starts_at timestamptz)
  AS 'MODULE_PATHNAME', 'patsvc_claim_due_reminders' LANGUAGE C VOLATILE;
