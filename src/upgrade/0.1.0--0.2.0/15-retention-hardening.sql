-- 15: retention hardening (issue 16): patient facts only move later by any
-- path and every change is logged; unlogged tables are not protectable and a
-- protected table cannot become unlogged (basic mode: the DDL guard).

CREATE OR REPLACE FUNCTION @extschema@._facts_guard() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  -- definer (it logs through _log, which the roles writing facts are not granted): only on its table
  IF TG_RELID <> '@extschema@.retention_patient_facts'::pg_catalog.regclass THEN
    RAISE EXCEPTION 'trigger function @extschema@._facts_guard() cannot run on table "%"', TG_TABLE_NAME
      USING ERRCODE = 'PS001', DETAIL = 'It works only on @extschema@.retention_patient_facts, where patsvc attaches it.',
            HINT = pg_catalog.format('Drop trigger "%s" from table "%s".', TG_NAME, TG_TABLE_NAME);
  END IF;
  -- Deleting a fact and recording it again, or making it unknown and then known,
  -- would move it earlier by another path: a fact once known stays, and only moves later.
  IF TG_OP = 'DELETE' OR NEW.patient_id <> OLD.patient_id
     OR NEW.birth_date < OLD.birth_date OR NEW.death_date < OLD.death_date OR NEW.last_encounter < OLD.last_encounter
     OR (NEW.birth_date IS NULL AND OLD.birth_date IS NOT NULL)
     OR (NEW.death_date IS NULL AND OLD.death_date IS NOT NULL)
     OR (NEW.last_encounter IS NULL AND OLD.last_encounter IS NOT NULL) THEN
    RAISE EXCEPTION 'this change of retention facts could shorten retention'
      USING ERRCODE = 'PS304',
            DETAIL = 'Birth, death and last-encounter dates, once recorded, may only move later; they are never deleted or made unknown again, and the patient id cannot change.',
            HINT = 'Record a later date.';
  END IF;
  -- rows written in replica mode (a restore, a subscriber's apply) were logged where they were written
  IF pg_catalog.current_setting('session_replication_role') = 'replica' THEN
    NULL;
  ELSIF TG_OP = 'INSERT' THEN
    PERFORM @extschema@._log('facts recorded', NULL, NULL,
                             pg_catalog.format('patient %s: birth %s, death %s, last encounter %s', NEW.patient_id,
                                               NEW.birth_date, NEW.death_date, NEW.last_encounter));
  ELSIF (NEW.birth_date, NEW.death_date, NEW.last_encounter)
        IS DISTINCT FROM (OLD.birth_date, OLD.death_date, OLD.last_encounter) THEN
    PERFORM @extschema@._log('facts changed', NULL, NULL,
                             pg_catalog.format('patient %s: birth %s -> %s, death %s -> %s, last encounter %s -> %s',
                                               NEW.patient_id, OLD.birth_date, NEW.birth_date, OLD.death_date,
                                               NEW.death_date, OLD.last_encounter, NEW.last_encounter));
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
COMMENT ON FUNCTION @extschema@._facts_guard() IS
  'trigger: a patient''s birth, death or last-encounter date, once recorded, only moves later (no delete, no return to unknown); every recording and change is logged';
CREATE OR REPLACE TRIGGER patsvc_facts_guard BEFORE INSERT OR UPDATE OR DELETE ON @extschema@.retention_patient_facts
  FOR EACH ROW EXECUTE FUNCTION @extschema@._facts_guard();
ALTER TABLE @extschema@.retention_patient_facts ENABLE ALWAYS TRIGGER patsvc_facts_guard;
COMMENT ON TRIGGER patsvc_facts_guard ON @extschema@.retention_patient_facts IS
  'patient facts may only lengthen retention, and every change is logged';
COMMENT ON TABLE @extschema@.retention_patient_facts IS
  'the patient facts retention is counted from (birth, death, last encounter), keyed by the patient id as text; a missing fact keeps the records; a recorded one only moves later';

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
  IF (SELECT c.relpersistence FROM pg_catalog.pg_class c WHERE c.oid = tbl) = 'u' THEN
    RAISE EXCEPTION 'cannot protect unlogged table "%"', tbl USING ERRCODE = 'wrong_object_type',
      DETAIL = 'An unlogged table comes back empty after a crash and never reaches WAL or replicas.',
      HINT = 'Make it logged first: ALTER TABLE ... SET LOGGED.';
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
  unlogged regclass;
  created oid[] := ARRAY(SELECT c.objid FROM pg_catalog.pg_event_trigger_ddl_commands() c
                          WHERE c.command_tag = 'CREATE TRIGGER');
BEGIN
  -- retention's own tables are altered by patsvc's scripts only: a renamed
  -- registry or ledger would leave the checks below (and patsvc's functions)
  -- looking for it
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_event_trigger_ddl_commands() c
              WHERE NOT c.in_extension AND c.command_tag = 'ALTER TABLE'
                AND c.object_type IN ('table', 'table column', 'table constraint')
                AND pg_catalog.split_part(c.object_identity, '.', 1) = '@extschema@'
                AND pg_catalog.split_part(c.object_identity, '.', 2) IN
                    ('protected_tables', 'retention_holds', 'retention_events', 'retention_policies',
                     'retention_patient_facts', 'retention_archives', 'destruction_certificates',
                     'destruction_tokens')) THEN
    RAISE EXCEPTION 'cannot alter patsvc''s retention tables' USING ERRCODE = 'PS305',
      DETAIL = 'patsvc finds its registry, ledgers and holds by name; renaming or changing one would switch retention off.',
      HINT = 'Upgrade patsvc with ALTER EXTENSION patsvc UPDATE.';
  END IF;
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
  SELECT t.relid::regclass INTO unlogged FROM @extschema@.protected_tables t
    JOIN pg_catalog.pg_class c ON c.oid = t.relid WHERE c.relpersistence <> 'p' LIMIT 1;
  IF unlogged IS NOT NULL THEN
    RAISE EXCEPTION 'cannot make protected table "%" unlogged', unlogged USING ERRCODE = 'PS305',
      DETAIL = 'An unlogged table comes back empty after a crash and never reaches WAL, backups taken from it or replicas.',
      HINT = 'Keep protected tables logged.';
  END IF;
  IF broken IS NOT NULL THEN
    RAISE EXCEPTION 'cannot disable, rename or replace the retention triggers or columns of protected table "%"', broken
      USING ERRCODE = 'PS305',
            DETAIL = 'The patsvc guard triggers of a protected table must stay ENABLE ALWAYS, and its patient and anchor columns must keep their names.',
            HINT = 'Leave the patsvc_retention_* triggers and the protected columns as protect() found them.';
  END IF;
END $$;
COMMENT ON FUNCTION @extschema@._guard_ddl() IS
  'ddl_command_end event trigger: refuses DDL that disables, renames or re-points the guard triggers of protected tables, renames their patient and anchor columns or makes them unlogged, and replacing patsvc functions while records are protected';

-- (backups) Guard triggers made by 0.1.0 name their table by number in the WHEN
-- clause: name it, as protect() now does (CREATE OR REPLACE TRIGGER keeps the
-- trigger; the DDL guard above lets it be ENABLE ALWAYS again by the next command).
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
