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

CREATE OR REPLACE FUNCTION @extschema@.protect(tbl regclass, policy text, patient_column name, anchor_column name DEFAULT NULL)
  RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  p @extschema@.retention_policies := @extschema@._policy(policy);
  kind "char";
BEGIN
  SELECT c.relkind INTO kind FROM pg_catalog.pg_class c WHERE c.oid = tbl;
  IF (SELECT c.relpersistence FROM pg_catalog.pg_class c WHERE c.oid = tbl) = 't' THEN
    RAISE EXCEPTION 'cannot protect temporary table "%"', tbl USING ERRCODE = 'wrong_object_type',
      DETAIL = 'A temporary table disappears at the end of the session, whatever its retention.',
      HINT = 'Protect permanent tables.';
  END IF;
  IF kind NOT IN ('r', 'p') THEN
    RAISE EXCEPTION '"%" is not a table', tbl USING ERRCODE = 'wrong_object_type',
      HINT = 'Protect ordinary or partitioned tables.';
  END IF;
  IF EXISTS (SELECT 1 FROM @extschema@.protected_tables t WHERE t.relid = tbl) THEN
    RAISE EXCEPTION 'table "%" is already protected', tbl USING ERRCODE = 'PS308',
      DETAIL = 'A protection is never changed or lifted.', HINT = 'Look it up in patsvc.protected_tables.';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid = tbl AND a.attname = patient_column
                 AND a.attnum > 0 AND NOT a.attisdropped) THEN
    RAISE EXCEPTION 'column "%" does not exist in table "%"', patient_column, tbl USING ERRCODE = 'undefined_column',
      HINT = 'Name the column holding the patient id.';
  END IF;
  IF p.anchor IN ('creation', 'column') AND anchor_column IS NULL THEN
    RAISE EXCEPTION 'policy "%" counts from a date column of the record, but no anchor column was given', policy
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Pass anchor_column => the date (or timestamp) column to count from.';
  END IF;
  IF anchor_column IS NOT NULL AND NOT EXISTS (
       SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid = tbl AND a.attname = anchor_column
          AND a.attnum > 0 AND NOT a.attisdropped
          AND a.atttypid IN ('date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype)) THEN
    RAISE EXCEPTION 'column "%" of table "%" is not a date or timestamp column', anchor_column, tbl
      USING ERRCODE = 'invalid_parameter_value', HINT = 'The anchor column must be of type date, timestamp or timestamptz.';
  END IF;
  -- AFTER ROW, so a plain DELETE costs no tuple lock per row; the WHEN clause skips the
  -- call while patsvc.destroy_due() itself deletes (the error of an AFTER trigger undoes
  -- the whole statement all the same).  The table is named, not numbered, in the WHEN
  -- clause: pg_dump writes it by name, so a restored trigger points at the restored table.
  EXECUTE format('CREATE TRIGGER patsvc_retention_guard AFTER DELETE OR UPDATE OF %s ON %s FOR EACH ROW '
                 'WHEN (NOT @extschema@.is_destroying(%L::pg_catalog.regclass)) '
                 'EXECUTE FUNCTION @extschema@.retention_guard_row(%L, %L)',
                 concat_ws(', ', quote_ident(patient_column), quote_ident(anchor_column)), tbl, tbl::text,
                 patient_column, coalesce(anchor_column, ''));
  EXECUTE format('CREATE TRIGGER patsvc_retention_no_truncate BEFORE TRUNCATE ON %s FOR EACH STATEMENT '
                 'EXECUTE FUNCTION @extschema@.retention_guard_truncate()', tbl);
  EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER patsvc_retention_guard', tbl);
  EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER patsvc_retention_no_truncate', tbl);
  EXECUTE format('COMMENT ON TRIGGER patsvc_retention_guard ON %s IS %L', tbl,
                 'patsvc retention: rows leave only through patsvc.destroy_due(); retention may not be shortened');
  EXECUTE format('COMMENT ON TRIGGER patsvc_retention_no_truncate ON %s IS %L', tbl, 'patsvc retention: no TRUNCATE');
  INSERT INTO @extschema@.protected_tables (relid, policy_name, patient_column, anchor_column)
  VALUES (tbl, p.policy_name, patient_column, anchor_column);
  PERFORM @extschema@._log('table protected', tbl::text, NULL, format('policy %s', p.policy_name));
END $$;

CREATE OR REPLACE FUNCTION @extschema@._guard_ddl() RETURNS event_trigger
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  broken regclass;
  created oid[] := ARRAY(SELECT c.objid FROM pg_catalog.pg_event_trigger_ddl_commands() c
                          WHERE c.command_tag = 'CREATE TRIGGER');
BEGIN
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_event_trigger_ddl_commands() c
              WHERE NOT c.in_extension AND c.object_type = 'function' AND c.schema_name = '@extschema@')
     AND EXISTS (SELECT 1 FROM @extschema@.protected_tables) THEN
    RAISE EXCEPTION 'cannot replace or alter functions of patsvc while records are protected' USING ERRCODE = 'PS305',
      DETAIL = 'patsvc''s functions enforce retention; changing them would switch the protection off.',
      HINT = 'Upgrade patsvc with ALTER EXTENSION patsvc UPDATE.';
  END IF;
  -- A guard trigger that exists must be ENABLE ALWAYS and call its patsvc function;
  -- one that does not exist yet is tolerated (a restore registers the table with the
  -- data, then creates its triggers, then enables them ALWAYS), as is the trigger the
  -- current CREATE TRIGGER command made (it is set ALWAYS by the next command).
  SELECT t.relid::regclass INTO broken FROM @extschema@.protected_tables t
   WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_trigger g
                  WHERE g.tgrelid = t.relid AND g.tgname IN ('patsvc_retention_guard', 'patsvc_retention_no_truncate')
                    AND ((g.tgenabled <> 'A' AND g.oid <> ALL (created))
                         OR g.tgfoid <> CASE g.tgname WHEN 'patsvc_retention_guard'
                                          THEN '@extschema@.retention_guard_row()'::pg_catalog.regprocedure
                                          ELSE '@extschema@.retention_guard_truncate()'::pg_catalog.regprocedure END))
      OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                      WHERE a.attrelid = t.relid AND a.attname = t.patient_column AND NOT a.attisdropped)
      OR (t.anchor_column IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                      WHERE a.attrelid = t.relid AND a.attname = t.anchor_column AND NOT a.attisdropped))
   LIMIT 1;
  IF broken IS NOT NULL THEN
    RAISE EXCEPTION 'cannot disable, rename or replace the retention triggers or columns of protected table "%"', broken
      USING ERRCODE = 'PS305',
            DETAIL = 'The patsvc guard triggers of a protected table must stay ENABLE ALWAYS, and its patient and anchor columns must keep their names.',
            HINT = 'Leave the patsvc_retention_* triggers and the protected columns as protect() found them.';
  END IF;
END $$;

-- Guard triggers made by 0.1.0 name their table by number in the WHEN clause:
-- name it, as protect() now does (CREATE OR REPLACE TRIGGER keeps the trigger).
DO $$
DECLARE
  t record;
BEGIN
  FOR t IN SELECT p.relid, p.patient_column, p.anchor_column FROM @extschema@.protected_tables p LOOP
    EXECUTE pg_catalog.format(
      'CREATE OR REPLACE TRIGGER patsvc_retention_guard AFTER DELETE OR UPDATE OF %s ON %s FOR EACH ROW '
      'WHEN (NOT @extschema@.is_destroying(%L::pg_catalog.regclass)) '
      'EXECUTE FUNCTION @extschema@.retention_guard_row(%L, %L)',
      pg_catalog.concat_ws(', ', pg_catalog.quote_ident(t.patient_column), pg_catalog.quote_ident(t.anchor_column)),
      t.relid, t.relid::text, t.patient_column, coalesce(t.anchor_column, ''));
    EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE ALWAYS TRIGGER patsvc_retention_guard', t.relid);
  END LOOP;
END $$;

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
