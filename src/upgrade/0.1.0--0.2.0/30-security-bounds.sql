-- patsvc 0.1.0 -> 0.2.0, security part 2 (issue 10): what the reading functions reveal,
-- and bounded work.  Same definitions as the install script (src/scheduling/20-api.sql,
-- src/retention/*.sql); CREATE OR REPLACE keeps each function's privileges.

-- one window rule (C, slots.c) for every function taking a search window
CREATE OR REPLACE FUNCTION @extschema@.check_search_window(search_window tstzrange) RETURNS void
  AS 'MODULE_PATHNAME', 'patsvc_check_search_window' LANGUAGE C IMMUTABLE;
COMMENT ON FUNCTION @extschema@.check_search_window(tstzrange) IS
  'raises 22023 unless the window is non-empty, bounded, of finite times and at most 400 days long (22008 at the limits of timestamptz): the one window rule candidate_slots, free_slots and free_slots_sweep apply';

-- the schedule readers check bounds and SELECT rights in C; their comments say so
COMMENT ON FUNCTION @extschema@.slot_is_free(bigint, timestamptz, bigint, bigint[]) IS
  'would a booking at this start pass the provider and resource rules now (advice: the trigger decides when booking); needs SELECT on patsvc.appointments (42501), at most 100 resources and a finite start (22023, 22008)';
COMMENT ON FUNCTION @extschema@.candidate_slots(bigint, tstzrange, bigint) IS
  'slots of the provider''s weekly hours (type length, back to back) starting in the window, earliest first, expanded per local date in each location''s time zone (as (date + time) AT TIME ZONE zone); the expansion free_slots and next_available use; window as check_search_window (22023), needs SELECT on patsvc.availability (42501)';
COMMENT ON FUNCTION @extschema@.free_slots_sweep(bigint, tstzrange, bigint) IS
  'free_slots with a type id: candidate slots tested in memory against the provider''s bookings and time off read once; window as check_search_window (22023), needs SELECT on patsvc.appointments (42501)';
COMMENT ON FUNCTION @extschema@.next_available_sweep(bigint[], timestamptz, bigint, bigint[], integer) IS
  'next_available with a type id: the candidate slots of all hours rows merged earliest first, probed until max_results are free; at most 1000 providers, 100 resources and 1000 results, a finite start (22023, 22008), needs SELECT on patsvc.appointments (42501)';

-- a waitlist window follows the same rule
CREATE OR REPLACE FUNCTION @extschema@.join_waitlist(patient bigint, provider bigint, appointment_type text, search_window tstzrange)
  RETURNS bigint LANGUAGE sql
AS $$
  SELECT @extschema@.check_search_window(search_window);
  INSERT INTO @extschema@.waitlist (patient_id, provider_id, type_id, search_window)
  VALUES (patient, provider, @extschema@.appointment_type_id(appointment_type), search_window)
  RETURNING id
$$;
COMMENT ON FUNCTION @extschema@.join_waitlist(bigint, bigint, text, tstzrange) IS
  'puts a patient on the waitlist of a provider for a type and window (the window rule of check_search_window: 22023); returns the waitlist id';

-- retention: status as the caller (row-level security), facts only to those who may read them
CREATE OR REPLACE FUNCTION @extschema@.row_retention_status(relid oid, patient_id text, anchor_value text,
                                                 OUT retain_until date, OUT held boolean, OUT policy_name text)
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF NOT (pg_catalog.has_table_privilege('@extschema@.retention_patient_facts', 'SELECT')
          AND pg_catalog.has_table_privilege('@extschema@.retention_holds', 'SELECT')) THEN
    RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'permission denied for function row_retention_status',
      DETAIL = 'It shows the retention dates and holds of any patient id.',
      HINT = 'It is the guard trigger''s: to call it directly a role needs SELECT on patsvc.retention_patient_facts and patsvc.retention_holds.';
  END IF;
  SELECT @extschema@.compute_retain_until(p.anchor, p.period, p.majority_age, p.minors_until_age,
                                          f.birth_date, f.death_date, f.last_encounter, $3::date),
         EXISTS (SELECT 1 FROM @extschema@.retention_holds h
                  WHERE h.released_at IS NULL AND (h.relid IS NULL OR h.relid = t.relid)
                    AND (h.patient_id IS NULL OR h.patient_id = $2)),
         p.policy_name
    INTO retain_until, held, policy_name
    FROM @extschema@.protected_tables t
    JOIN @extschema@.retention_policies p ON p.policy_name = t.policy_name
    LEFT JOIN @extschema@.retention_patient_facts f ON f.patient_id = $2
   WHERE t.relid IN (SELECT $1 UNION ALL SELECT a.relid FROM pg_catalog.pg_partition_ancestors($1) a)
     AND pg_catalog.has_table_privilege(session_user, $1, 'SELECT, UPDATE, DELETE');
END $$;
COMMENT ON FUNCTION @extschema@.row_retention_status(oid, text, text) IS
  'retain-until date, hold and policy of a row of a protected table (or of a partition of one), from its patient id and anchor value (for the guard trigger, which calls it as the owner; needs a privilege on the table, and SELECT on retention_patient_facts and retention_holds: 42501)';

CREATE OR REPLACE FUNCTION @extschema@.retention_status(tbl regclass)
  RETURNS TABLE (row_ctid tid, patient_id text, anchor_date date, retain_until date, held boolean)
  AS 'MODULE_PATHNAME', 'patsvc_retention_status' LANGUAGE C STABLE STRICT
  SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.retention_status(regclass) IS
  'every row of a protected table the caller may read (SELECT on it; its row-level security applies: 42501) by ctid, with its patient id, anchor date, retain-until date (first day it may be destroyed; NULL: unknown, kept) and hold';

CREATE OR REPLACE FUNCTION @extschema@.retained_until(tbl regclass, patient_id text, anchor_value date DEFAULT NULL) RETURNS date
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  result date;
BEGIN
  -- the answer follows from a patient's birth, death and last-encounter dates, for any patient id
  IF NOT (pg_catalog.has_table_privilege(tbl, 'SELECT')
          AND pg_catalog.has_table_privilege('@extschema@.retention_patient_facts', 'SELECT')) THEN
    RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'permission denied for function retained_until',
      DETAIL = 'It shows dates computed from a patient''s birth, death and last-encounter dates.',
      HINT = 'Grant the role SELECT on patsvc.retention_patient_facts and on the table.';
  END IF;
  SELECT @extschema@.compute_retain_until(p.anchor, p.period, p.majority_age, p.minors_until_age,
                                          f.birth_date, f.death_date, f.last_encounter, $3)
    INTO result
    FROM @extschema@.protected_tables t
    JOIN @extschema@.retention_policies p ON p.policy_name = t.policy_name
    LEFT JOIN @extschema@.retention_patient_facts f ON f.patient_id = $2
   WHERE t.relid = $1;
  RETURN result;
END $$;
COMMENT ON FUNCTION @extschema@.retained_until(regclass, text, date) IS
  'first date a record of this table for this patient (with this anchor value) may be destroyed; NULL when unknown; needs SELECT on the table and on patsvc.retention_patient_facts (42501)';

-- an infinite as_of is refused instead of looping for ever
CREATE OR REPLACE FUNCTION @extschema@.anchor_cutoff(period interval, as_of date) RETURNS date
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
DECLARE d date;
BEGIN
  -- infinity +/- anything is infinity: the loops below would never end
  IF NOT pg_catalog.isfinite(as_of) THEN
    RAISE EXCEPTION USING ERRCODE = '22008', MESSAGE = pg_catalog.format('as_of %s is not a finite date', as_of),
      HINT = 'Give a calendar date such as CURRENT_DATE.';
  END IF;
  d := (as_of - period)::date;
  WHILE (d + period)::date > as_of LOOP
    d := d - 1;
  END LOOP;
  WHILE ((d + 1) + period)::date <= as_of LOOP
    d := d + 1;
  END LOOP;
  RETURN d;
END $$;
COMMENT ON FUNCTION @extschema@.anchor_cutoff(interval, date) IS
  'the last anchor date whose anchor + period is on or before as_of (calendar arithmetic); 22008 for an infinite as_of';
