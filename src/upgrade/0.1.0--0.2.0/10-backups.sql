-- 10: backups keep everything (issue 9, section 1).

-- Tables are named by regclass, not by number: pg_dump writes the name, a
-- restore finds the restored table.
ALTER TABLE @extschema@.retention_archives
  ALTER COLUMN relid TYPE pg_catalog.regclass, ALTER COLUMN archive_relid TYPE pg_catalog.regclass;
ALTER TABLE @extschema@.protected_tables ALTER COLUMN relid TYPE pg_catalog.regclass;
ALTER TABLE @extschema@.retention_holds ALTER COLUMN relid TYPE pg_catalog.regclass;

-- Ready-made policies: marked, fixed in time, unchangeable, not dumped.  A
-- ready-made policy that a 0.1.0 database changed by hand becomes the clinic's own.
ALTER TABLE @extschema@.retention_policies ADD COLUMN ready_made boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN @extschema@.retention_policies.ready_made IS
  'shipped with patsvc (the install script''s rows): never changed or dropped by hand, not dumped by pg_dump (every install has them)';
ALTER TABLE @extschema@.retention_policies DISABLE TRIGGER patsvc_policy_guard;
UPDATE @extschema@.retention_policies r SET ready_made = true, created_at = timestamptz '2026-12-01 00:00+00'
  FROM (VALUES
  -- Texas Medical Board, 22 TAC section 165.1(b): 7 years after last treatment; minors until age 21
  -- or 7 years after last treatment, whichever is longer.
  ('tx_physician', 'physician medical record', '7 years', 'last_encounter', NULL, 21, 'compliance',
   '22 TAC 165.1(b) (Texas Medical Board)'),
  -- New York, 8 NYCRR section 29.2(a)(3): 6 years; minors at least 6 years and until one year past
  -- age 21 (i.e. age 22), whichever is later.
  ('ny_physician', 'physician medical record', '6 years', 'last_encounter', NULL, 22, 'compliance',
   '8 NYCRR 29.2(a)(3) (New York Board of Regents)'),
  -- Florida Board of Medicine, F.A.C. 64B8-10.002: 5 years after the last patient contact.
  ('fl_physician', 'physician medical record', '5 years', 'last_encounter', NULL, NULL, 'compliance',
   'Fla. Admin. Code 64B8-10.002 (Florida Board of Medicine)'),
  -- Arizona, A.R.S. section 12-2297: 6 years after last care; minors 6 years or until 21, later
  -- (marked "verify" in the project reference).
  ('az_provider', 'provider medical record', '6 years', 'last_encounter', NULL, 21, 'compliance',
   'A.R.S. 12-2297 (Arizona)'),
  -- HIPAA documentation (policies, notices, authorizations, complaints, accountings): 6 years from
  -- creation or last-in-effect date: 45 CFR 164.316(b)(2)(i) and 164.530(j)(2).
  ('hipaa_documentation', 'HIPAA documentation', '6 years', 'creation', NULL, NULL, 'compliance',
   '45 CFR 164.316(b)(2)(i), 164.530(j)(2)')
) AS p(policy_name, record_class, period, anchor, majority_age, minors_until_age, mode, source)
 WHERE r.policy_name = p.policy_name AND r.record_class = p.record_class AND r.period = p.period::interval
   AND r.anchor = p.anchor AND r.majority_age IS NOT DISTINCT FROM p.majority_age::integer
   AND r.minors_until_age IS NOT DISTINCT FROM p.minors_until_age::integer AND r.mode = p.mode AND r.source = p.source;
ALTER TABLE @extschema@.retention_policies ENABLE ALWAYS TRIGGER patsvc_policy_guard;

CREATE OR REPLACE FUNCTION @extschema@._policy_guard() RETURNS trigger
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  used boolean := EXISTS (SELECT 1 FROM @extschema@.protected_tables t WHERE t.policy_name = OLD.policy_name);
  shorter boolean;
BEGIN
  IF OLD.ready_made THEN
    RAISE EXCEPTION 'policy "%" is ready-made and cannot be changed or dropped', OLD.policy_name
      USING ERRCODE = 'PS304', DETAIL = 'Ready-made policies state a law as patsvc ships it; a release updates them.',
            HINT = 'Create a policy of your own with patsvc.create_policy() and protect tables with it.';
  END IF;
  IF TG_OP = 'DELETE' THEN
    IF used THEN
      RAISE EXCEPTION 'policy "%" is in use by protected tables', OLD.policy_name
        USING ERRCODE = 'PS304', DETAIL = 'Dropping the policy would end the retention of their records.',
              HINT = 'Keep the policy; create a new one for new tables.';
    END IF;
    PERFORM @extschema@._log('policy dropped', NULL, NULL, OLD.policy_name);
    RETURN OLD;
  END IF;
  shorter := NEW.policy_name <> OLD.policy_name OR NEW.anchor <> OLD.anchor
     OR NEW.majority_age IS DISTINCT FROM OLD.majority_age
     OR extract(year FROM NEW.period) * 12 + extract(month FROM NEW.period)
        < extract(year FROM OLD.period) * 12 + extract(month FROM OLD.period)
     OR extract(day FROM NEW.period) < extract(day FROM OLD.period)
     OR coalesce(NEW.minors_until_age, 0) < coalesce(OLD.minors_until_age, 0)
     OR (OLD.mode = 'compliance' AND NEW.mode <> 'compliance');
  IF shorter AND OLD.mode = 'compliance' AND used THEN
    RAISE EXCEPTION 'compliance policy "%" cannot be shortened, re-anchored or relaxed', OLD.policy_name
      USING ERRCODE = 'PS304',
            DETAIL = 'Protected tables use this policy; a compliance policy may only be lengthened.',
            HINT = 'Lengthen the period or the minors age only.';
  END IF;
  PERFORM @extschema@._log('policy changed', NULL, NULL,
                           format('%s: period %s -> %s, minors until %s -> %s, mode %s -> %s', OLD.policy_name,
                                  OLD.period, NEW.period, OLD.minors_until_age, NEW.minors_until_age, OLD.mode, NEW.mode));
  RETURN NEW;
END $$;
COMMENT ON FUNCTION @extschema@._policy_guard() IS
  'trigger: refuses changing or dropping a ready-made policy, and shortening, re-anchoring, relaxing or dropping a compliance policy in use; logs every change';

CREATE OR REPLACE FUNCTION @extschema@._certificate_chain() RETURNS trigger
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  last @extschema@.destruction_certificates;
BEGIN
  LOCK TABLE @extschema@.destruction_certificates IN SHARE ROW EXCLUSIVE MODE;
  SELECT * INTO last FROM @extschema@.destruction_certificates c ORDER BY c.certificate_id DESC LIMIT 1;
  -- A certificate that arrives already chained onto the last one (a restore of a
  -- dump: rows in chain order) is kept as it is: number, hashes and all.
  IF NEW.certificate_id > coalesce(last.certificate_id, 0)
     AND NEW.previous_hash = coalesce(last.certificate_hash, repeat('0', 64))
     AND NEW.certificate_hash = @extschema@.certificate_hash(NEW.previous_hash, NEW) THEN
    IF NEW.certificate_id > (SELECT s.last_value FROM @extschema@.destruction_certificates_seq s) THEN
      PERFORM setval('@extschema@.destruction_certificates_seq', NEW.certificate_id);
    END IF;
    RETURN NEW;
  END IF;
  NEW.certificate_id := nextval('@extschema@.destruction_certificates_seq');
  NEW.previous_hash := coalesce(last.certificate_hash, repeat('0', 64));
  NEW.certificate_hash := @extschema@.certificate_hash(NEW.previous_hash, NEW);
  RETURN NEW;
END $$;
COMMENT ON FUNCTION @extschema@._certificate_chain() IS
  'trigger: numbers a new certificate and links it into the hash chain; a row already chained onto the last certificate (a restored one) is kept as it is';


-- ---- backups --------------------------------------------------------------
-- pg_dump dumps every retention table and sequence; of the policies only the
-- clinic's own (every install has the ready-made ones).  Tables are named by
-- regclass, so a restore points registrations, holds and archives at the
-- restored tables; certificates keep their numbers and hashes (_certificate_chain).
DO $$
DECLARE
  t text;
BEGIN
  PERFORM pg_catalog.pg_extension_config_dump('@extschema@.retention_policies', 'WHERE NOT ready_made');
  FOREACH t IN ARRAY ARRAY['retention_events', 'retention_patient_facts', 'protected_tables', 'retention_holds',
                           'destruction_tokens', 'destruction_certificates', 'retention_archives',
                           'destruction_token_sets_seq', 'destruction_certificates_seq'] LOOP
    PERFORM pg_catalog.pg_extension_config_dump(('@extschema@.' || t)::pg_catalog.regclass, '');
  END LOOP;
  PERFORM pg_catalog.pg_extension_config_dump(
            pg_catalog.pg_get_serial_sequence('@extschema@.retention_events', 'event_id')::pg_catalog.regclass, '');
  PERFORM pg_catalog.pg_extension_config_dump(
            pg_catalog.pg_get_serial_sequence('@extschema@.retention_holds', 'hold_id')::pg_catalog.regclass, '');
END $$;

-- ---- backups --------------------------------------------------------------
-- Every scheduling table holds the clinic's data: pg_dump dumps all its rows,
-- and the sequences behind them (identity columns, series numbers), so a
-- restore gives back the same ids and goes on numbering after them.  A restore
-- runs with session_replication_role = replica (README, "Replicas and
-- backups"): appointments_enforce and the reminders trigger do not fire, so
-- restored bookings are kept as they were and derived rows (resource holds,
-- reminders) come from their own tables, neither doubled nor lost.
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['providers', 'locations', 'resources', 'patients', 'availability', 'time_off',
                           'appointment_types', 'appointments', 'waitlist', 'waitlist_offers',
                           'reminder_rules', 'reminders'] LOOP
    PERFORM pg_catalog.pg_extension_config_dump(('@extschema@.' || t)::pg_catalog.regclass, '');
    PERFORM pg_catalog.pg_extension_config_dump(
              pg_catalog.pg_get_serial_sequence('@extschema@.' || t, 'id')::pg_catalog.regclass, '');
  END LOOP;
  PERFORM pg_catalog.pg_extension_config_dump('@extschema@.appointment_resources', '');
  PERFORM pg_catalog.pg_extension_config_dump('@extschema@.series_id_seq', '');
END $$;
