-- 50: the ledgers take rows from patsvc alone (issue 16, item 6).  Certificates,
-- their tokens, the event log and holds are written only by patsvc's own C code
-- (src/retention/ledgers.c), its scripts, or a restore; every event is written by
-- patsvc (a trigger logs changes of policies, facts, protections and archives;
-- _log is gone); holds are placed and released by C functions; each certificate
-- comes with the record of its destruction in the event log, which
-- verify_certificates() matches.  Certificates issued before this update get
-- that record here ('certificate carried over').
COMMENT ON TABLE @extschema@.retention_events IS
  'append-only log, written by patsvc alone: policies created, changed, dropped; patient facts recorded and changed; tables protected; archives set; holds placed and released; records destroyed (one event per certificate, which verify_certificates matches) and early destructions';

CREATE OR REPLACE FUNCTION @extschema@.create_policy(policy_name text, record_class text, period text, anchor text,
                                          mode text, source text, minors_until_age integer DEFAULT NULL,
                                          majority_age integer DEFAULT NULL) RETURNS text
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  INSERT INTO @extschema@.retention_policies
    (policy_name, record_class, period, anchor, mode, source, minors_until_age, majority_age)
  VALUES ($1, $2, @extschema@.retention_period($3), $4, $5, $6, $7, $8);
  RETURN $1;
END $$;
COMMENT ON FUNCTION @extschema@.create_policy(text, text, text, text, text, text, integer, integer) IS
  'creates a retention policy (logged); the period is text with units (''7 years''), a bare number is refused';

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
  RETURN NEW;
END $$;
COMMENT ON FUNCTION @extschema@._policy_guard() IS
  'trigger: refuses changing or dropping a ready-made policy, and shortening, re-anchoring, relaxing or dropping a compliance policy in use (patsvc_log_change logs every change)';

CREATE OR REPLACE FUNCTION @extschema@._facts_guard() RETURNS trigger
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
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
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
COMMENT ON FUNCTION @extschema@._facts_guard() IS
  'trigger: a patient''s birth, death or last-encounter date, once recorded, only moves later (no delete, no return to unknown); patsvc_log_change logs every recording and change';

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
END $$;
COMMENT ON FUNCTION @extschema@.protect(regclass, text, name, name) IS
  'puts a table under a retention policy (logged): its rows can then only be removed by patsvc.destroy_due() once eligible and unheld; for good';

CREATE OR REPLACE FUNCTION @extschema@.set_archive(tbl regclass, archive regclass) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM @extschema@._protected(tbl);
  IF EXISTS (SELECT 1 FROM @extschema@.retention_archives a WHERE a.relid = tbl) THEN
    RAISE EXCEPTION 'table "%" already has an archive', tbl USING ERRCODE = 'PS313',
      DETAIL = 'The archive of a protected table is set once.', HINT = 'Look it up in patsvc.retention_archives.';
  END IF;
  IF (SELECT array_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) ORDER BY a.attnum)
        FROM pg_catalog.pg_attribute a WHERE a.attrelid = tbl AND a.attnum > 0 AND NOT a.attisdropped)
     IS DISTINCT FROM
     (SELECT array_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) ORDER BY a.attnum)
        FROM pg_catalog.pg_attribute a WHERE a.attrelid = archive AND a.attnum > 0 AND NOT a.attisdropped) THEN
    RAISE EXCEPTION 'archive "%" does not match table "%"', archive, tbl USING ERRCODE = 'PS313',
      DETAIL = 'An archive needs the same columns, with the same types, in the same order.',
      HINT = 'Create it with CREATE TABLE archive (LIKE tbl), or a foreign table of the same shape.';
  END IF;
  INSERT INTO @extschema@.retention_archives (relid, archive_relid) VALUES (tbl, archive);
END $$;
COMMENT ON FUNCTION @extschema@.set_archive(regclass, regclass) IS
  'from now on, destroy_due() copies the rows it destroys into this archive table (same columns) in the same statement, and records a sha256 of them in the certificate';

CREATE OR REPLACE FUNCTION @extschema@.place_hold(case_reference text, reason text, patient_id text DEFAULT NULL,
                                       tbl regclass DEFAULT NULL) RETURNS bigint
  AS 'MODULE_PATHNAME', 'patsvc_place_hold' LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION @extschema@.place_hold(text, text, text, regclass) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.place_hold(text, text, text, regclass) IS
  'places a legal hold on a patient''s records (all protected tables), on a table, or on a patient in a table; returns the hold id; logged; the only way a hold is placed';

CREATE OR REPLACE FUNCTION @extschema@.release_hold(hold bigint, reason text) RETURNS void
  AS 'MODULE_PATHNAME', 'patsvc_release_hold' LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION @extschema@.release_hold(bigint, text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.release_hold(bigint, text) IS
  'releases an active legal hold, with a reason, recording the session user as released_by; logged; the only way a hold ends';

CREATE FUNCTION @extschema@._certify(tbl regclass, record_class text, policy_name text, policy_mode text,
                                     records_from_year integer, records_to_year integer, method text,
                                     authorized_by text, witness text, statement text, early_reason text,
                                     archive_table text, archive_sha256 text) RETURNS bigint
  AS 'MODULE_PATHNAME', 'patsvc_certify' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION @extschema@._certify(regclass, text, text, text, integer, integer, text, text, text, text, text, text, text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@._certify(regclass, text, text, text, integer, integer, text, text, text, text, text, text, text) IS
  'issues the certificate of the destruction running in this session (for the token set it stored, their number as the record count) and records the destruction in patsvc.retention_events; once per run, refused outside patsvc.destroy_due() (internal)';

CREATE OR REPLACE FUNCTION @extschema@._destroy(tbl regclass, as_of date DEFAULT CURRENT_DATE, authorized_by text DEFAULT NULL,
                                     method text DEFAULT NULL, witness text DEFAULT NULL,
                                     batch_size integer DEFAULT 10000, dry_run boolean DEFAULT false,
                                     early_patient text DEFAULT NULL, early_reason text DEFAULT NULL)
  RETURNS bigint LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  t @extschema@.protected_tables := @extschema@._protected(tbl);
  p @extschema@.retention_policies := @extschema@._policy(t.policy_name);
  early boolean := early_patient IS NOT NULL OR early_reason IS NOT NULL;
  cond text;
  leaf oid;
  nblocks bigint;
  step bigint;
  lo bigint;
  batch record;
  total bigint := 0;
  first_anchor date;
  last_anchor date;
  cutoff date;
  q text;
  fast_delete text;
  digests text := '';
  archive regclass := (SELECT a.archive_relid FROM @extschema@.retention_archives a WHERE a.relid = tbl);
  cert bigint;
  shredded bigint;
BEGIN
  IF coalesce(btrim(authorized_by), '') = '' OR coalesce(btrim(method), '') = '' THEN
    RAISE EXCEPTION 'destruction needs authorized_by and method' USING ERRCODE = 'invalid_parameter_value',
      HINT = 'Name who authorized the destruction and the method (e.g. ''deleted, vacuumed'').';
  END IF;
  IF as_of IS NULL OR batch_size IS NULL OR batch_size < 1 THEN
    RAISE EXCEPTION 'invalid as_of or batch_size' USING ERRCODE = 'invalid_parameter_value',
      HINT = 'Give a date and a positive batch size.';
  END IF;
  IF as_of > CURRENT_DATE THEN
    RAISE EXCEPTION 'as_of % is in the future', as_of USING ERRCODE = 'invalid_parameter_value',
      DETAIL = 'Records cannot be destroyed as if it were a later day.', HINT = 'Use today''s date or an earlier one.';
  END IF;
  IF early THEN
    IF p.mode <> 'governance' THEN
      RAISE EXCEPTION 'policy "%" is in compliance mode: no early destruction', p.policy_name USING ERRCODE = 'PS306',
        DETAIL = 'Compliance-mode records are kept until their retention ends, whoever asks.',
        HINT = 'Wait until the records are eligible and use patsvc.destroy_due().';
    END IF;
    IF early_patient IS NULL OR coalesce(btrim(early_reason), '') = '' THEN
      RAISE EXCEPTION 'early destruction needs a patient and a reason' USING ERRCODE = 'invalid_parameter_value',
        HINT = 'Pass the patient whose records go and why they must go before their retention ends.';
    END IF;
  END IF;
  -- Any other DELETE trigger or rule could act while the destroying flag is set: refuse.
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_trigger g
              WHERE g.tgrelid IN (SELECT relid FROM pg_catalog.pg_partition_tree(tbl) UNION SELECT tbl)
                AND NOT g.tgisinternal AND (g.tgtype::integer & 8) <> 0
                AND g.tgfoid <> '@extschema@.retention_guard_row()'::pg_catalog.regprocedure)
     OR EXISTS (SELECT 1 FROM pg_catalog.pg_rewrite r
                 WHERE r.ev_class IN (SELECT relid FROM pg_catalog.pg_partition_tree(tbl) UNION SELECT tbl)
                   AND r.rulename <> '_RETURN') THEN
    RAISE EXCEPTION 'table "%" has other DELETE triggers or rules', tbl USING ERRCODE = 'PS312',
      DETAIL = 'They would run inside the destruction with its rights.',
      HINT = 'Drop the other DELETE triggers and rules of the protected table first.';
  END IF;

  -- One destruction per table at a time; holds and patient facts cannot change under us.
  PERFORM pg_catalog.pg_advisory_xact_lock(1347572803, tbl::oid::integer);
  LOCK TABLE @extschema@.retention_holds, @extschema@.retention_patient_facts IN SHARE MODE;

  cutoff := @extschema@.anchor_cutoff(p.period, as_of);
  cond := CASE WHEN early THEN format('t.%I::text = $9 AND NOT a.held', t.patient_column)
               ELSE 'a.retain_until <= $6 AND NOT a.held' END;
  IF dry_run THEN
    EXECUTE format('SELECT count(*) FROM (%s) s', @extschema@._status_query(tbl, tbl, cond)) INTO total
      USING p.anchor, p.period, p.majority_age, p.minors_until_age, t.relid, as_of, NULL::tid, NULL::tid, early_patient;
    RAISE NOTICE 'dry run: % record(s) of "%" would be destroyed', total, tbl;
    RETURN NULL;
  END IF;

  FOR leaf IN SELECT pt.relid FROM pg_catalog.pg_partition_tree(tbl) pt WHERE pt.isleaf
              UNION SELECT tbl::oid WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_partition_tree(tbl) pt WHERE pt.isleaf)
  LOOP
    -- Batches are block ranges (TID range scans), about batch_size rows each.
    nblocks := pg_catalog.pg_relation_size(leaf) / pg_catalog.current_setting('block_size')::bigint;
    SELECT greatest(1, batch_size / greatest(1, CASE WHEN c.relpages > 0 AND c.reltuples > 0
                                                     THEN c.reltuples / c.relpages ELSE 50 END)::bigint)
      INTO step FROM pg_catalog.pg_class c WHERE c.oid = leaf;
    fast_delete := @extschema@._destroy_fast_batch(tbl, leaf, early);
    IF fast_delete IS NOT NULL THEN
      SELECT r.n, r.lo_anchor, r.hi_anchor, NULL::text AS digest INTO batch
        FROM @extschema@._destroy_ranges(leaf, fast_delete, t.relid, cutoff, nblocks, step) r;
      total := total + batch.n;
      first_anchor := least(first_anchor, batch.lo_anchor);
      last_anchor := greatest(last_anchor, batch.hi_anchor);
      CONTINUE;
    END IF;
    lo := 0;
    q := @extschema@._destroy_batch_query(tbl, leaf, early);
    WHILE lo < nblocks LOOP
      EXECUTE q INTO batch
        USING p.anchor, p.period, p.majority_age, p.minors_until_age, t.relid, as_of,
              format('(%s,0)', lo)::tid, format('(%s,0)', lo + step)::tid, early_patient, cutoff;
      IF batch.n > 0 THEN
        total := total + batch.n;
        digests := digests || batch.digest;
        first_anchor := least(first_anchor, batch.lo_anchor);
        last_anchor := greatest(last_anchor, batch.hi_anchor);
      END IF;
      lo := lo + step;
    END LOOP;
  END LOOP;

  IF total = 0 THEN
    RAISE NOTICE 'nothing to destroy in "%"', tbl;
    RETURN NULL;
  END IF;
  -- the tokens, then the certificate naming them (their number is its record count) and the
  -- record of the destruction in the event log: written by patsvc's C code alone
  PERFORM @extschema@._store_tokens(total::integer);
  -- cryptographic erase: the keys of patients whose last encrypted record went (crypto.c)
  shredded := @extschema@._shred_keys(tbl);
  cert := @extschema@._certify(tbl, p.record_class, p.policy_name, p.mode,
            extract(year FROM first_anchor)::integer, extract(year FROM last_anchor)::integer, method, authorized_by,
            witness,
            CASE WHEN early THEN 'destroyed before the end of retention under a governance policy, for the reason recorded'
                 ELSE 'destroyed in the normal course of business, under the retention schedule' END
            || CASE WHEN shredded > 0
                    THEN format('; the keys of %s patient(s) were destroyed with their last encrypted records (cryptographic erase)', shredded)
                    ELSE '' END,
            early_reason, archive::text,
            CASE WHEN archive IS NOT NULL THEN encode(sha256(convert_to(digests, 'UTF8')), 'hex') END);
  RETURN cert;
END $$;
REVOKE ALL ON FUNCTION @extschema@._destroy(regclass, date, text, text, text, integer, boolean, text, text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@._destroy(regclass, date, text, text, text, integer, boolean, text, text) IS
  'implementation of destroy_due() and destroy_early() (internal: its DELETEs succeed only inside them)';

CREATE FUNCTION @extschema@._destruction_record(c @extschema@.destruction_certificates) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT pg_catalog.format('certificate %s: %s records destroyed, certificate hash %s',
                                 c.certificate_id, c.record_count, c.certificate_hash) $$;
COMMENT ON FUNCTION @extschema@._destruction_record(@extschema@.destruction_certificates) IS
  'the detail of the ''records destroyed'' event patsvc writes with each certificate (number, record count, certificate hash), which verify_certificates() looks for (internal)';
REVOKE ALL ON FUNCTION @extschema@._destruction_record(@extschema@.destruction_certificates) FROM PUBLIC;

CREATE OR REPLACE FUNCTION @extschema@.verify_certificates(OUT certificate_id bigint, OUT ok boolean, OUT problem text)
  RETURNS SETOF record LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  AS $$ SELECT v.certificate_id, v.problem IS NULL, v.problem
          FROM (SELECT c.certificate_id,
                       CASE WHEN c.previous_hash <> coalesce(lag(c.certificate_hash) OVER w, repeat('0', 64))
                              THEN 'previous_hash does not match the certificate before it (one was removed or reordered)'
                            WHEN c.certificate_hash <> @extschema@.certificate_hash(c.previous_hash, c)
                              THEN 'certificate_hash does not match its content (it was altered)'
                            WHEN k.tokens <> c.record_count OR k.tokens_sha256 <> c.tokens_sha256
                              THEN 'the record tokens do not match the certificate (they were altered or removed)'
                            WHEN r.n IS NULL
                              THEN 'no destruction is recorded for it in patsvc.retention_events (patsvc did not issue it, or it was rewritten)'
                            WHEN r.n > 1
                              THEN 'its destruction is recorded more than once in patsvc.retention_events' END AS problem
                  FROM @extschema@.destruction_certificates c
                  LEFT JOIN LATERAL @extschema@.token_set_digest(c.token_set) k ON true
                  LEFT JOIN (SELECT e.table_name, e.detail, count(*) AS n FROM @extschema@.retention_events e
                              WHERE e.event IN ('records destroyed', 'certificate carried over')
                              GROUP BY e.table_name, e.detail) r
                         ON r.table_name = c.table_name AND r.detail = @extschema@._destruction_record(c)
                WINDOW w AS (ORDER BY c.certificate_id)
                UNION ALL
                -- a destruction recorded without its certificate: the certificate was removed
                SELECT d.id, 'the certificate is missing: patsvc.retention_events records its destruction'
                  FROM (SELECT substring(e.detail FROM '^certificate ([0-9]+):')::bigint AS id
                          FROM @extschema@.retention_events e
                         WHERE e.event IN ('records destroyed', 'certificate carried over')) d
                 WHERE NOT EXISTS (SELECT 1 FROM @extschema@.destruction_certificates c WHERE c.certificate_id = d.id)) v
         ORDER BY v.certificate_id, v.problem $$;
COMMENT ON FUNCTION @extschema@.verify_certificates() IS
  'recomputes the certificate hash chain and the sha256 of each certificate''s tokens, and matches each certificate with the record of its destruction in the event log: one row per certificate (and per destruction whose certificate is missing), ok = false with the problem where one was altered, removed, reordered or not issued by patsvc';

-- ---- ledgers are written by patsvc alone ---------------------------------
-- Certificates, tokens, events and holds take rows only from patsvc's own C code
-- (destroy_due/destroy_early, place_hold/release_hold, the event triggers below), from
-- patsvc's install and update scripts, and from a restore (a superuser in replica mode,
-- into a table that held no row before the statement): src/retention/ledgers.c.
CREATE FUNCTION @extschema@._ledger_guard() RETURNS trigger
  AS 'MODULE_PATHNAME', 'patsvc_ledger_guard' LANGUAGE C;
COMMENT ON FUNCTION @extschema@._ledger_guard() IS
  'BEFORE INSERT (and UPDATE) row trigger of patsvc''s certificates, tokens, events and holds: refuses every row patsvc''s own functions did not write (a restore by a superuser in replica mode into an empty table excepted)';
REVOKE ALL ON FUNCTION @extschema@._ledger_guard() FROM PUBLIC;
DO $$
DECLARE
  l record;
BEGIN
  FOR l IN SELECT * FROM (VALUES
    ('destruction_certificates', 'INSERT', 'certificates are issued by destroy_due() and destroy_early() alone'),
    ('destruction_tokens', 'INSERT', 'tokens are drawn by the destruction that issues their certificate'),
    ('retention_events', 'INSERT', 'events are written by patsvc alone'),
    ('retention_holds', 'INSERT OR UPDATE', 'holds are placed by place_hold() and released by release_hold() alone'))
    AS v(t, ops, why)
  LOOP
    EXECUTE pg_catalog.format('CREATE TRIGGER patsvc_by_patsvc_only BEFORE %s ON @extschema@.%I
                                 FOR EACH ROW EXECUTE FUNCTION @extschema@._ledger_guard()', l.ops, l.t);
    EXECUTE pg_catalog.format('ALTER TABLE @extschema@.%I ENABLE ALWAYS TRIGGER patsvc_by_patsvc_only', l.t);
    EXECUTE pg_catalog.format('COMMENT ON TRIGGER patsvc_by_patsvc_only ON @extschema@.%I IS %L', l.t, l.why);
  END LOOP;
END $$;

-- The event log's entries for changes of the other retention tables, written by a trigger
-- (so there is an event for every change, and none without one).
CREATE FUNCTION @extschema@._log_change() RETURNS trigger
  AS 'MODULE_PATHNAME', 'patsvc_log_change' LANGUAGE C;
COMMENT ON FUNCTION @extschema@._log_change() IS
  'AFTER row trigger of retention_policies, retention_patient_facts, protected_tables and retention_archives: logs each change in patsvc.retention_events (rows inserted in replica mode, and facts changed there, were logged where they were written)';
REVOKE ALL ON FUNCTION @extschema@._log_change() FROM PUBLIC;
DO $$
DECLARE
  l record;
BEGIN
  FOR l IN SELECT * FROM (VALUES
    ('retention_policies', 'INSERT OR UPDATE OR DELETE', 'logs policies created, changed and dropped'),
    ('retention_patient_facts', 'INSERT OR UPDATE', 'logs patient facts recorded and changed'),
    ('protected_tables', 'INSERT', 'logs tables protected'),
    ('retention_archives', 'INSERT', 'logs archives set'))
    AS v(t, ops, why)
  LOOP
    EXECUTE pg_catalog.format('CREATE TRIGGER patsvc_log_change AFTER %s ON @extschema@.%I
                                 FOR EACH ROW EXECUTE FUNCTION @extschema@._log_change()', l.ops, l.t);
    EXECUTE pg_catalog.format('ALTER TABLE @extschema@.%I ENABLE ALWAYS TRIGGER patsvc_log_change', l.t);
    EXECUTE pg_catalog.format('COMMENT ON TRIGGER patsvc_log_change ON @extschema@.%I IS %L', l.t, l.why);
  END LOOP;
END $$;

-- nothing writes events through _log any more (a privacy officer could have called it)
DROP FUNCTION @extschema@._log(text, text, bigint, text);

-- certificates issued before this update: the update records their destruction as
-- it finds them (it cannot tell more), so verify_certificates() matches them too
INSERT INTO @extschema@.retention_events (event, table_name, detail)
SELECT 'certificate carried over', c.table_name, @extschema@._destruction_record(c)
  FROM @extschema@.destruction_certificates c ORDER BY c.certificate_id;
