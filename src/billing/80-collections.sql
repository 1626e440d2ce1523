-- ===== collections: balances, the patient statement, aging =====

-- A date a report is as of: finite.
CREATE FUNCTION @extschema@.ledger_as_of(as_of date) RETURNS date
  LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF as_of IS NULL OR NOT isfinite(as_of) THEN
    RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = format('a report cannot be as of %s', coalesce(as_of::text, 'NULL')),
      HINT = 'Give a date, e.g. current_date.';
  END IF;
  RETURN as_of;
END $$;
COMMENT ON FUNCTION @extschema@.ledger_as_of(date) IS 'internal: the as_of date of a statement or an aging report, checked (finite, 22023)';

-- A patient a report names, or PS664.
CREATE FUNCTION @extschema@.ledger_patient(patient bigint) RETURNS bigint
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF NOT EXISTS (SELECT FROM @extschema@.patients WHERE id = patient) THEN
    RAISE EXCEPTION USING ERRCODE = 'PS664', MESSAGE = format('patient %s does not exist', coalesce(patient::text, 'NULL')),
      HINT = 'Give the id of a registered patient (patsvc.patients).';
  END IF;
  RETURN patient;
END $$;
COMMENT ON FUNCTION @extschema@.ledger_patient(bigint) IS 'internal: the patient a posting or a report names (PS664 if there is none)';

-- What a patient's account owes now, per responsibility.
CREATE FUNCTION @extschema@.patient_balance(patient bigint, OUT patient_due numeric(12,2), OUT payer_due numeric(12,2),
                                            OUT total_due numeric(12,2))
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT coalesce(pg_catalog.sum(l.patient_change), 0), coalesce(pg_catalog.sum(l.payer_change), 0),
         coalesce(pg_catalog.sum(l.patient_change OPERATOR(pg_catalog.+) l.payer_change), 0)
    FROM @extschema@.ledger_entries l
   WHERE l.patient_id OPERATOR(pg_catalog.=) @extschema@.ledger_patient(patient)
$$;
COMMENT ON FUNCTION @extschema@.patient_balance(bigint) IS
  'what a patient''s account owes now: patient_due (negative: a credit the patient has), payer_due (what the payers still owe on the patient''s encounters), total_due';

-- The statement: per encounter, what was charged, paid, adjusted, moved to
-- the patient, refunded, and what the patient and the payer still owe; a
-- last row (encounter_id NULL) for money on account.
CREATE FUNCTION @extschema@.patient_statement(patient bigint, as_of date DEFAULT CURRENT_DATE)
  RETURNS TABLE (encounter_id bigint, service_date date, charged numeric(12,2), payer_paid numeric(12,2),
                 adjusted numeric(12,2), transferred_to_patient numeric(12,2), patient_paid numeric(12,2),
                 refunded numeric(12,2), payer_due numeric(12,2), patient_due numeric(12,2))
  LANGUAGE plpgsql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
  as_of := @extschema@.ledger_as_of(as_of);
  RETURN QUERY
  SELECT l.for_encounter, e.service_date,
         coalesce(sum(l.amount) FILTER (WHERE l.kind = 'charge'), 0)::numeric(12,2),
         coalesce(sum(l.amount) FILTER (WHERE l.kind = 'payer_payment'), 0)::numeric(12,2),
         coalesce(sum(l.amount) FILTER (WHERE l.kind = 'adjustment'), 0)::numeric(12,2),
         coalesce(sum(l.patient_change) FILTER (WHERE l.kind = 'transfer'), 0)::numeric(12,2),
         coalesce(sum(l.amount) FILTER (WHERE l.kind IN ('copay', 'patient_payment')), 0)::numeric(12,2),
         coalesce(-sum(l.amount) FILTER (WHERE l.kind = 'refund'), 0)::numeric(12,2),
         sum(l.payer_change)::numeric(12,2), sum(l.patient_change)::numeric(12,2)
    FROM @extschema@.ledger_entries_by_encounter l
    LEFT JOIN @extschema@.encounters e ON e.id = l.for_encounter
   WHERE l.patient_id = @extschema@.ledger_patient(patient) AND l.entry_date <= as_of
   GROUP BY l.for_encounter, e.service_date
   ORDER BY l.for_encounter IS NULL, e.service_date, l.for_encounter;
END $$;
COMMENT ON FUNCTION @extschema@.patient_statement(bigint, date) IS
  'what a patient owes as of a date (entries posted up to it), per encounter: charged, payer_paid, adjusted, transferred_to_patient, patient_paid (copays and payments), refunded, payer_due, patient_due; the row with encounter_id NULL is money on account (negative patient_due: a credit); sum(patient_due) is the amount due';

-- Aging: each responsibility's balance per patient in four buckets by the
-- age of what it is for (the encounter''s service date; money on account by
-- the date it was posted).
CREATE FUNCTION @extschema@.ledger_aging(as_of date DEFAULT CURRENT_DATE)
  RETURNS TABLE (responsibility text, patient_id bigint, payer_id bigint, days_0_30 numeric(12,2), days_31_60 numeric(12,2),
                 days_61_90 numeric(12,2), over_90 numeric(12,2), total numeric(12,2))
  LANGUAGE plpgsql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
  as_of := @extschema@.ledger_as_of(as_of);
  RETURN QUERY
  WITH aged AS (
    SELECT r.responsibility, l.patient_id, CASE r.responsibility WHEN 'payer' THEN c.payer_id END AS payer_id,
           as_of - coalesce(e.service_date, l.entry_date) AS days,
           CASE r.responsibility WHEN 'patient' THEN l.patient_change ELSE l.payer_change END AS change
      FROM @extschema@.ledger_entries_by_encounter l
      LEFT JOIN @extschema@.encounters e ON e.id = l.for_encounter
      LEFT JOIN @extschema@.coverages c ON c.id = e.coverage_id
      CROSS JOIN (VALUES ('payer'), ('patient')) AS r(responsibility)
     WHERE l.entry_date <= as_of
  )
  SELECT b.* FROM (
    SELECT a.responsibility, a.patient_id, a.payer_id,
           coalesce(sum(a.change) FILTER (WHERE a.days <= 30), 0)::numeric(12,2) AS d0,
           coalesce(sum(a.change) FILTER (WHERE a.days BETWEEN 31 AND 60), 0)::numeric(12,2) AS d31,
           coalesce(sum(a.change) FILTER (WHERE a.days BETWEEN 61 AND 90), 0)::numeric(12,2) AS d61,
           coalesce(sum(a.change) FILTER (WHERE a.days > 90), 0)::numeric(12,2) AS d91,
           sum(a.change)::numeric(12,2) AS total
      FROM aged a
     GROUP BY a.responsibility, a.patient_id, a.payer_id) b
   WHERE b.d0 <> 0 OR b.d31 <> 0 OR b.d61 <> 0 OR b.d91 <> 0
   ORDER BY b.responsibility, b.patient_id, b.payer_id;
END $$;
COMMENT ON FUNCTION @extschema@.ledger_aging(date) IS
  'accounts receivable aging as of a date: per responsibility (payer, patient), patient and (payer rows) payer of the encounter''s coverage, the balance in days_0_30, days_31_60, days_61_90, over_90 (by the encounter''s service date; money on account by its posting date) and total; patients owing nothing left out; negative: a credit';
