-- ===== retention and destruction (src/retention) =====
-- Records of a protected table live as long as their policy says, then
-- leave only through patsvc.destroy_due(), which issues a certificate.

-- ---- periods --------------------------------------------------------------
CREATE FUNCTION @extschema@.retention_period(text) RETURNS interval
  AS 'MODULE_PATHNAME', 'patsvc_retention_period' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.retention_period(text) IS
  'a retention period from text such as ''7 years'' or ''6 years 6 months'': every number needs its unit (years, months, days); a bare number raises 22P02';
CREATE FUNCTION @extschema@.retention_period(integer, text) RETURNS interval
  AS 'MODULE_PATHNAME', 'patsvc_retention_period_n_unit' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.retention_period(integer, text) IS
  'a retention period from a number and its unit (years, months or days), e.g. retention_period(7, ''years'')';
CREATE FUNCTION @extschema@.is_calendar_period(interval) RETURNS boolean
  AS 'MODULE_PATHNAME', 'patsvc_is_calendar_period' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.is_calendar_period(interval) IS
  'true when the interval is made only of months and days, none negative, not zero: what a retention policy may hold';

CREATE FUNCTION @extschema@.enforcement_level() RETURNS text
  AS 'MODULE_PATHNAME', 'patsvc_enforcement_level' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.enforcement_level() IS
  'hardened when patsvc was loaded through shared_preload_libraries (executor, utility and object-access hooks active), basic otherwise (triggers and event triggers only)';

-- ---- policies -------------------------------------------------------------
CREATE TABLE @extschema@.retention_policies (
  policy_name      text PRIMARY KEY CHECK (policy_name ~ '^[a-z][a-z0-9_]*$'),
  record_class     text NOT NULL CHECK (btrim(record_class) <> ''),
  period           interval NOT NULL CHECK (@extschema@.is_calendar_period(period)),
  anchor           text NOT NULL CHECK (anchor IN ('creation', 'last_encounter', 'majority', 'death', 'column')),
  majority_age     integer CHECK (majority_age BETWEEN 1 AND 30),
  minors_until_age integer CHECK (minors_until_age BETWEEN 1 AND 40),
  mode             text NOT NULL CHECK (mode IN ('governance', 'compliance')),
  source           text NOT NULL CHECK (btrim(source) <> ''),
  created_at       timestamptz NOT NULL DEFAULT now(),
  ready_made       boolean NOT NULL DEFAULT false,
  CHECK ((anchor = 'majority') = (majority_age IS NOT NULL))
);
REVOKE ALL ON @extschema@.retention_policies FROM PUBLIC;
GRANT SELECT ON @extschema@.retention_policies TO PUBLIC;
COMMENT ON TABLE @extschema@.retention_policies IS
  'retention policies: how long a record class is kept, counted from which anchor; compliance policies may be lengthened, never shortened or dropped while tables use them';
COMMENT ON COLUMN @extschema@.retention_policies.period IS 'years/months/days after the anchor (calendar arithmetic)';
COMMENT ON COLUMN @extschema@.retention_policies.anchor IS
  'creation (a creation-date column of the record), last_encounter (patient''s last encounter, or the record''s anchor column if later), majority (birth date + majority_age), death (patient''s death date), column (a date column of the record)';
COMMENT ON COLUMN @extschema@.retention_policies.minors_until_age IS
  'minors rule: keep at least until the patient reaches this age, or period after the anchor, whichever is later';
COMMENT ON COLUMN @extschema@.retention_policies.mode IS
  'governance: a separately granted patsvc.destroy_early() may destroy early with a reason; compliance: nobody may';
COMMENT ON COLUMN @extschema@.retention_policies.source IS 'the law or rule the policy implements';
COMMENT ON COLUMN @extschema@.retention_policies.ready_made IS
  'shipped with patsvc (the install script''s rows): never changed or dropped by hand, not dumped by pg_dump (every install has them)';

-- ---- the log of policy, protection and hold events -----------------------
CREATE TABLE @extschema@.retention_events (
  event_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  happened_at timestamptz NOT NULL DEFAULT now(),
  actor      text NOT NULL DEFAULT session_user,
  event      text NOT NULL,
  table_name text,
  hold_id    bigint,
  detail     text
);
REVOKE ALL ON @extschema@.retention_events FROM PUBLIC;
COMMENT ON TABLE @extschema@.retention_events IS
  'append-only log, written by patsvc alone: policies created, changed, dropped; patient facts recorded and changed; tables protected; archives set; holds placed and released; records destroyed (one event per certificate, which verify_certificates matches) and early destructions';

CREATE FUNCTION @extschema@.create_policy(policy_name text, record_class text, period text, anchor text,
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

-- Compliance policies: lengthened only; never shortened, re-anchored or dropped while used.
CREATE FUNCTION @extschema@._policy_guard() RETURNS trigger
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

-- Ready-made policies for real rules (see README; the longest applicable rule wins).
INSERT INTO @extschema@.retention_policies
  (policy_name, record_class, period, anchor, majority_age, minors_until_age, mode, source, created_at, ready_made)
SELECT p.policy_name, p.record_class, p.period::interval, p.anchor, p.majority_age::integer, p.minors_until_age::integer, p.mode,
       p.source, timestamptz '2026-12-01 00:00+00', true
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
) AS p(policy_name, record_class, period, anchor, majority_age, minors_until_age, mode, source);

-- ---- patient facts --------------------------------------------------------
CREATE TABLE @extschema@.retention_patient_facts (
  patient_id     text PRIMARY KEY,
  birth_date     date,
  death_date     date,
  last_encounter date,
  CHECK (death_date >= birth_date),
  CHECK (last_encounter >= birth_date)
);
REVOKE ALL ON @extschema@.retention_patient_facts FROM PUBLIC;
COMMENT ON TABLE @extschema@.retention_patient_facts IS
  'the patient facts retention is counted from (birth, death, last encounter), keyed by the patient id as text; a missing fact keeps the records; a recorded one only moves later';

CREATE FUNCTION @extschema@._facts_guard() RETURNS trigger
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
CREATE TRIGGER patsvc_facts_guard BEFORE INSERT OR UPDATE OR DELETE ON @extschema@.retention_patient_facts
  FOR EACH ROW EXECUTE FUNCTION @extschema@._facts_guard();
ALTER TABLE @extschema@.retention_patient_facts ENABLE ALWAYS TRIGGER patsvc_facts_guard;
COMMENT ON TRIGGER patsvc_facts_guard ON @extschema@.retention_patient_facts IS
  'patient facts may only lengthen retention, and every change is logged';

-- ---- protected tables -----------------------------------------------------
CREATE TABLE @extschema@.protected_tables (
  relid          regclass PRIMARY KEY,
  policy_name    text NOT NULL REFERENCES @extschema@.retention_policies,
  patient_column name NOT NULL,
  anchor_column  name,
  protected_at   timestamptz NOT NULL DEFAULT now(),
  protected_by   text NOT NULL DEFAULT session_user
);
REVOKE ALL ON @extschema@.protected_tables FROM PUBLIC;
GRANT SELECT ON @extschema@.protected_tables TO PUBLIC;
COMMENT ON TABLE @extschema@.protected_tables IS
  'tables whose rows are under retention (append-only: a protection is never lifted)';

CREATE TRIGGER patsvc_policy_guard BEFORE UPDATE OR DELETE ON @extschema@.retention_policies
  FOR EACH ROW EXECUTE FUNCTION @extschema@._policy_guard();
ALTER TABLE @extschema@.retention_policies ENABLE ALWAYS TRIGGER patsvc_policy_guard;
COMMENT ON TRIGGER patsvc_policy_guard ON @extschema@.retention_policies IS
  'compliance policies in use may only be lengthened; every change is logged';

-- ---- holds ----------------------------------------------------------------
CREATE TABLE @extschema@.retention_holds (
  hold_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  patient_id     text,
  relid          regclass,
  case_reference text NOT NULL CHECK (btrim(case_reference) <> ''),
  reason         text NOT NULL CHECK (btrim(reason) <> ''),
  placed_by      text NOT NULL DEFAULT session_user,
  placed_at      timestamptz NOT NULL DEFAULT now(),
  released_by    text,
  released_at    timestamptz,
  release_reason text,
  CHECK (patient_id IS NOT NULL OR relid IS NOT NULL),
  CHECK ((released_at IS NULL) = (release_reason IS NULL))
);
CREATE INDEX retention_holds_active_patient ON @extschema@.retention_holds (patient_id) WHERE released_at IS NULL;
COMMENT ON INDEX @extschema@.retention_holds_active_patient IS 'active holds by patient (the hold check of guards and destructions)';
REVOKE ALL ON @extschema@.retention_holds FROM PUBLIC;
COMMENT ON TABLE @extschema@.retention_holds IS
  'legal holds, by patient (all protected tables), by table, or both; a held record is never deletable nor destroyed';

CREATE FUNCTION @extschema@._hold_guard() RETURNS trigger
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF TG_OP = 'DELETE' OR OLD.released_at IS NOT NULL OR NEW.released_at IS NULL
     OR (NEW.patient_id, NEW.relid, NEW.case_reference, NEW.reason, NEW.placed_by, NEW.placed_at)
        IS DISTINCT FROM (OLD.patient_id, OLD.relid, OLD.case_reference, OLD.reason, OLD.placed_by, OLD.placed_at) THEN
    RAISE EXCEPTION 'hold % can only be released, once', OLD.hold_id
      USING ERRCODE = 'PS305', DETAIL = 'Holds are never deleted or edited; releasing one records who, when and why.',
            HINT = 'Use patsvc.release_hold().';
  END IF;
  RETURN NEW;
END $$;
COMMENT ON FUNCTION @extschema@._hold_guard() IS 'trigger: a hold is never deleted or edited, only released once';
CREATE TRIGGER patsvc_hold_guard BEFORE UPDATE OR DELETE ON @extschema@.retention_holds
  FOR EACH ROW EXECUTE FUNCTION @extschema@._hold_guard();
ALTER TABLE @extschema@.retention_holds ENABLE ALWAYS TRIGGER patsvc_hold_guard;
COMMENT ON TRIGGER patsvc_hold_guard ON @extschema@.retention_holds IS 'holds are only released, never deleted';

-- ---- retain-until ---------------------------------------------------------
CREATE FUNCTION @extschema@.retention_anchor_date(anchor text, majority_age integer, birth_date date,
                                                  death_date date, last_encounter date, anchor_value date)
  RETURNS date LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT CASE $1
          WHEN 'creation' THEN $6
          WHEN 'column' THEN $6
          WHEN 'last_encounter' THEN greatest($5, $6)
          WHEN 'majority' THEN ($3 OPERATOR(pg_catalog.+) pg_catalog.make_interval(years => $2))::date
          WHEN 'death' THEN $4 END $$;
COMMENT ON FUNCTION @extschema@.retention_anchor_date(text, integer, date, date, date, date) IS
  'the date a record''s retention is counted from, given the policy anchor kind, the patient facts and the record''s anchor column (NULL: unknown)';

CREATE FUNCTION @extschema@.compute_retain_until(anchor text, period interval, majority_age integer,
                                                 minors_until_age integer, birth_date date, death_date date,
                                                 last_encounter date, anchor_value date)
  RETURNS date LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT CASE
          WHEN @extschema@.retention_anchor_date($1, $3, $5, $6, $7, $8) IS NULL THEN NULL
          WHEN $4 IS NOT NULL AND $5 IS NULL THEN NULL
          ELSE greatest(
                 (@extschema@.retention_anchor_date($1, $3, $5, $6, $7, $8) OPERATOR(pg_catalog.+) $2)::date,
                 ($5 OPERATOR(pg_catalog.+) pg_catalog.make_interval(years => $4))::date)
        END $$;
COMMENT ON FUNCTION @extschema@.compute_retain_until(text, interval, integer, integer, date, date, date, date) IS
  'first date a record may be destroyed: anchor + period (calendar arithmetic), and with a minors rule not before the patient reaches minors_until_age; NULL when a needed fact is unknown';

CREATE FUNCTION @extschema@.is_held(relid oid, patient_id text) RETURNS boolean
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  AS $$ SELECT EXISTS (SELECT 1 FROM @extschema@.retention_holds h
                        WHERE h.released_at IS NULL
                          AND (h.relid IS NULL OR h.relid = $1)
                          AND (h.patient_id IS NULL OR h.patient_id = $2)) $$;
REVOKE ALL ON FUNCTION @extschema@.is_held(oid, text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.is_held(oid, text) IS
  'true when an active hold covers this patient''s records in this table (internal)';

-- Used by the row guard trigger (which calls it as the owner of patsvc's tables): retain-until
-- and hold of one row.  It runs with its caller's rights: called directly it would tell any
-- patient's dates and holds, so it refuses roles that may not read the facts and holds.
CREATE FUNCTION @extschema@.row_retention_status(relid oid, patient_id text, anchor_value text,
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

-- ---- guard triggers (C) ---------------------------------------------------
CREATE FUNCTION @extschema@.retention_guard_row() RETURNS trigger
  AS 'MODULE_PATHNAME', 'patsvc_retention_guard_row' LANGUAGE C;
COMMENT ON FUNCTION @extschema@.retention_guard_row() IS
  'AFTER row trigger of protected tables: DELETE refused (with the eligibility date, or the hold) outside patsvc.destroy_due(); UPDATE of patient or anchor refused when it would shorten retention';
CREATE FUNCTION @extschema@.is_destroying(relid oid) RETURNS boolean
  AS 'MODULE_PATHNAME', 'patsvc_is_destroying' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.is_destroying(oid) IS
  'true while patsvc.destroy_due() or destroy_early() deletes from this table in this session (the WHEN clause of the guard trigger)';
CREATE FUNCTION @extschema@.retention_guard_truncate() RETURNS trigger
  AS 'MODULE_PATHNAME', 'patsvc_retention_guard_truncate' LANGUAGE C;
COMMENT ON FUNCTION @extschema@.retention_guard_truncate() IS 'statement trigger: TRUNCATE of a protected table is refused';
CREATE FUNCTION @extschema@.append_only_guard() RETURNS trigger
  AS 'MODULE_PATHNAME', 'patsvc_append_only_guard' LANGUAGE C;
COMMENT ON FUNCTION @extschema@.append_only_guard() IS 'row trigger of patsvc''s ledgers: UPDATE and DELETE refused';
CREATE TRIGGER patsvc_registry_changed AFTER INSERT OR UPDATE OR DELETE ON @extschema@.protected_tables
  FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.cache_changed();
ALTER TABLE @extschema@.protected_tables ENABLE ALWAYS TRIGGER patsvc_registry_changed;
COMMENT ON TRIGGER patsvc_registry_changed ON @extschema@.protected_tables IS 'reloads the hardened-mode cache';

-- ---- certificates of destruction -----------------------------------------
-- The random per-record tokens of a certificate (its token set), kept beside it in chunks of
-- 500, each row small enough to stay in its heap page: the certificate itself stays small,
-- and its hash covers the tokens' sha256.
CREATE SEQUENCE @extschema@.destruction_token_sets_seq;
REVOKE ALL ON SEQUENCE @extschema@.destruction_token_sets_seq FROM PUBLIC;
COMMENT ON SEQUENCE @extschema@.destruction_token_sets_seq IS 'token set numbers';
CREATE TABLE @extschema@.destruction_tokens (
  token_set     bigint NOT NULL,
  chunk         integer NOT NULL CHECK (chunk >= 0),
  record_tokens uuid[] NOT NULL,
  PRIMARY KEY (token_set, chunk)
);
-- Random tokens do not compress, and a chunk fits in a page: no TOAST.
ALTER TABLE @extschema@.destruction_tokens ALTER COLUMN record_tokens SET STORAGE PLAIN;
REVOKE ALL ON @extschema@.destruction_tokens FROM PUBLIC;
COMMENT ON TABLE @extschema@.destruction_tokens IS
  'the per-record tokens of each certificate of destruction (its token set, in numbered chunks), kept permanently, append-only';
COMMENT ON COLUMN @extschema@.destruction_tokens.chunk IS 'position of this chunk in the token set (tokens in chunk order, then array order)';
COMMENT ON COLUMN @extschema@.destruction_tokens.record_tokens IS
  'up to 500 random tokens (version-4 UUIDs from the strong random source), one per destroyed record: derived from nothing about the patient (45 CFR 164.514(c))';

-- All the tokens of a token set, in order.
CREATE FUNCTION @extschema@.certificate_tokens(token_set bigint) RETURNS uuid[]
  LANGUAGE sql STABLE STRICT SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  AS $$ SELECT pg_catalog.array_agg(u.token ORDER BY k.chunk, u.n)
          FROM @extschema@.destruction_tokens k, pg_catalog.unnest(k.record_tokens) WITH ORDINALITY u(token, n)
         WHERE k.token_set = $1 $$;
REVOKE ALL ON FUNCTION @extschema@.certificate_tokens(bigint) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.certificate_tokens(bigint) IS
  'the random per-record tokens of a certificate''s token set, in order (NULL when the set has none)';
CREATE FUNCTION @extschema@.token_set_digest(token_set bigint, OUT tokens bigint, OUT tokens_sha256 text)
  AS 'MODULE_PATHNAME', 'patsvc_token_set_digest' LANGUAGE C STABLE STRICT;
REVOKE ALL ON FUNCTION @extschema@.token_set_digest(bigint) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.token_set_digest(bigint) IS
  'the number of tokens of a token set and their sha256 (hex), read chunk by chunk: tokens_digest(certificate_tokens(token_set)) without building the array (used by verify_certificates)';

CREATE TABLE @extschema@.destruction_certificates (
  certificate_id  bigint PRIMARY KEY,
  destroyed_at    timestamptz NOT NULL,
  table_name      text NOT NULL,
  record_class    text NOT NULL,
  policy_name     text NOT NULL,
  policy_mode     text NOT NULL,
  record_count    bigint NOT NULL CHECK (record_count > 0),
  records_from_year integer,
  records_to_year integer,
  method          text NOT NULL CHECK (btrim(method) <> ''),
  authorized_by   text NOT NULL CHECK (btrim(authorized_by) <> ''),
  witness         text,
  executed_by     text NOT NULL,
  statement       text NOT NULL,
  early_reason    text,
  archive_table   text,
  archive_sha256  text,
  token_set       bigint NOT NULL UNIQUE,
  tokens_sha256   text NOT NULL,
  previous_hash   text NOT NULL,
  certificate_hash text NOT NULL
);
CREATE SEQUENCE @extschema@.destruction_certificates_seq;
REVOKE ALL ON @extschema@.destruction_certificates FROM PUBLIC;
REVOKE ALL ON SEQUENCE @extschema@.destruction_certificates_seq FROM PUBLIC;
COMMENT ON TABLE @extschema@.destruction_certificates IS
  'certificates of destruction, kept permanently, append-only, hash-chained; no PHI: counts, year ranges, random per-record tokens';
COMMENT ON SEQUENCE @extschema@.destruction_certificates_seq IS 'certificate numbers, drawn in chain order';
COMMENT ON COLUMN @extschema@.destruction_certificates.records_from_year IS
  'year of the earliest anchor date among the destroyed records (coarse on purpose: exact dates identify)';
COMMENT ON COLUMN @extschema@.destruction_certificates.token_set IS
  'the certificate''s random per-record tokens, one per destroyed record: patsvc.destruction_tokens.token_set (patsvc.certificate_tokens())';
COMMENT ON COLUMN @extschema@.destruction_certificates.tokens_sha256 IS
  'sha256 (hex) of the 16-byte values of the certificate''s tokens, in order (patsvc.tokens_digest); the certificate hash covers it';
COMMENT ON COLUMN @extschema@.destruction_certificates.archive_sha256 IS
  'when the table has an archive (patsvc.set_archive): sha256 over the per-batch sha256s (hex, concatenated) of the archived rows'' text, each batch''s rows sorted and joined by newlines';
COMMENT ON COLUMN @extschema@.destruction_certificates.previous_hash IS 'certificate_hash of the previous certificate (64 zeros for the first)';
COMMENT ON COLUMN @extschema@.destruction_certificates.certificate_hash IS
  'sha256 of previous_hash || the canonical text of this certificate (patsvc.certificate_text)';

CREATE FUNCTION @extschema@.tokens_digest(uuid[]) RETURNS text
  AS 'MODULE_PATHNAME', 'patsvc_tokens_digest' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.tokens_digest(uuid[]) IS
  'sha256 (hex) of the 16-byte values of the tokens, in order: how a certificate''s hash covers its tokens';

CREATE FUNCTION @extschema@.certificate_text(c @extschema@.destruction_certificates) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT pg_catalog.concat_ws('|', c.certificate_id,
                 pg_catalog.to_char(c.destroyed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                 c.table_name, c.record_class, c.policy_name, c.policy_mode, c.record_count,
                 coalesce(c.records_from_year::text, ''), coalesce(c.records_to_year::text, ''),
                 c.method, c.authorized_by, coalesce(c.witness, ''), c.executed_by, c.statement,
                 coalesce(c.early_reason, ''), coalesce(c.archive_table, ''), coalesce(c.archive_sha256, ''),
                 c.token_set, c.tokens_sha256) $$;
COMMENT ON FUNCTION @extschema@.certificate_text(@extschema@.destruction_certificates) IS
  'canonical text of a certificate, the input of its hash (fixed field order, UTC timestamps, the tokens by their set and sha256; their count is the record count)';

CREATE FUNCTION @extschema@.certificate_hash(previous_hash text, c @extschema@.destruction_certificates) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to($1 || @extschema@.certificate_text($2), 'UTF8')), 'hex') $$;
COMMENT ON FUNCTION @extschema@.certificate_hash(text, @extschema@.destruction_certificates) IS
  'sha256 (hex) of the previous hash followed by the canonical text of the certificate';

-- Chains a new certificate: numbers and hashes it under a lock so chain order is number order.
CREATE FUNCTION @extschema@._certificate_chain() RETURNS trigger
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
CREATE TRIGGER patsvc_certificate_chain BEFORE INSERT ON @extschema@.destruction_certificates
  FOR EACH ROW EXECUTE FUNCTION @extschema@._certificate_chain();
ALTER TABLE @extschema@.destruction_certificates ENABLE ALWAYS TRIGGER patsvc_certificate_chain;
COMMENT ON TRIGGER patsvc_certificate_chain ON @extschema@.destruction_certificates IS 'hash chain';

-- The record of a destruction in the event log (event 'records destroyed'), written with its
-- certificate by patsvc._certify(): it names the certificate by number, count and hash.
CREATE FUNCTION @extschema@._destruction_record(c @extschema@.destruction_certificates) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT pg_catalog.format('certificate %s: %s records destroyed, certificate hash %s',
                                 c.certificate_id, c.record_count, c.certificate_hash) $$;
COMMENT ON FUNCTION @extschema@._destruction_record(@extschema@.destruction_certificates) IS
  'the detail of the ''records destroyed'' event patsvc writes with each certificate (number, record count, certificate hash), which verify_certificates() looks for (internal)';

CREATE FUNCTION @extschema@.verify_certificates(OUT certificate_id bigint, OUT ok boolean, OUT problem text)
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

-- Ledgers are append-only in every mode: one function seals each of them.
CREATE FUNCTION @extschema@._seal_ledger(tbl regclass, why text) RETURNS void
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  -- why IS NULL: rows may change (through their own guard), the table is never truncated
  IF why IS NOT NULL THEN
    EXECUTE format('CREATE TRIGGER patsvc_append_only BEFORE UPDATE OR DELETE ON %s
                      FOR EACH ROW EXECUTE FUNCTION @extschema@.append_only_guard()', tbl);
    EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER patsvc_append_only', tbl);
    EXECUTE format('COMMENT ON TRIGGER patsvc_append_only ON %s IS %L', tbl, why);
  END IF;
  EXECUTE format('CREATE TRIGGER patsvc_no_truncate BEFORE TRUNCATE ON %s
                    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.retention_guard_truncate()', tbl);
  EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER patsvc_no_truncate', tbl);
  EXECUTE format('COMMENT ON TRIGGER patsvc_no_truncate ON %s IS %L', tbl, 'no TRUNCATE');
END $$;
REVOKE ALL ON FUNCTION @extschema@._seal_ledger(regclass, text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@._seal_ledger(regclass, text) IS
  'install script helper: ENABLE ALWAYS triggers refusing UPDATE/DELETE (when a reason is given) and TRUNCATE on a patsvc ledger (internal)';
SELECT @extschema@._seal_ledger(t, why) FROM (VALUES
  ('@extschema@.destruction_certificates'::regclass, 'certificates are kept permanently'),
  ('@extschema@.destruction_tokens'::regclass, 'the tokens of certificates are kept permanently'),
  ('@extschema@.retention_events'::regclass, 'the event log is append-only'),
  ('@extschema@.protected_tables'::regclass, 'a protection is never lifted'),
  ('@extschema@.retention_holds'::regclass, NULL)) AS l(t, why);

-- ---- protect --------------------------------------------------------------
CREATE FUNCTION @extschema@._policy(policy_name text) RETURNS @extschema@.retention_policies
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE p @extschema@.retention_policies;
BEGIN
  SELECT * INTO p FROM @extschema@.retention_policies r WHERE r.policy_name = $1;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'retention policy "%" does not exist', $1
      USING ERRCODE = 'PS310', HINT = 'Pick a policy from patsvc.retention_policies or create one with patsvc.create_policy().';
  END IF;
  RETURN p;
END $$;
COMMENT ON FUNCTION @extschema@._policy(text) IS 'the policy of that name, or PS310 (internal)';

CREATE FUNCTION @extschema@.protect(tbl regclass, policy text, patient_column name, anchor_column name DEFAULT NULL)
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

-- ---- status of rows -------------------------------------------------------
-- The query reading a protected table with each row's anchor date, retain-until and hold.
-- Identifiers are quoted by format(); values are parameters: $1 anchor kind, $2 period,
-- $3 majority age, $4 minors age, $5 relid.
-- The query reading a protected table (or one of its partitions, from_rel) with each row's
-- anchor date, retain-until and hold, filtered by cond (SQL text written by patsvc itself).
-- Identifiers are quoted by format(); values are parameters: $1 anchor kind, $2 period,
-- $3 majority age, $4 minors age, $5 protected relid, $6.. used by cond.
CREATE FUNCTION @extschema@._status_query(relid oid, from_rel oid, cond text) RETURNS text
  LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
  AS $$ SELECT format(
    'SELECT t.tableoid AS row_table, t.ctid AS row_ctid, t.%1$I::text AS patient_id, a.anchor_date, a.retain_until, a.held'
    '  FROM %2$s t LEFT JOIN @extschema@.retention_patient_facts f ON f.patient_id = t.%1$I::text'
    '  CROSS JOIN LATERAL (SELECT'
    '       @extschema@.retention_anchor_date($1, $3, f.birth_date, f.death_date, f.last_encounter, %3$s) AS anchor_date,'
    '       @extschema@.compute_retain_until($1, $2, $3, $4, f.birth_date, f.death_date, f.last_encounter, %3$s) AS retain_until,'
    '       (t.%1$I::text IN (SELECT h.patient_id FROM @extschema@.retention_holds h'
    '                          WHERE h.released_at IS NULL AND h.patient_id IS NOT NULL'
    '                            AND (h.relid IS NULL OR h.relid = $5))'
    '        OR EXISTS (SELECT 1 FROM @extschema@.retention_holds h'
    '                    WHERE h.released_at IS NULL AND h.patient_id IS NULL AND h.relid = $5)) AS held) a'
    ' WHERE %4$s',
    t.patient_column, $2::regclass,
    CASE WHEN t.anchor_column IS NULL THEN 'NULL::date' ELSE format('t.%I::date', t.anchor_column) END,
    $3)
  FROM @extschema@.protected_tables t WHERE t.relid = $1 $$;
COMMENT ON FUNCTION @extschema@._status_query(oid, oid, text) IS
  'the SQL reading a protected table with each row''s retention status (internal)';

CREATE FUNCTION @extschema@._protected(tbl regclass) RETURNS @extschema@.protected_tables
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE t @extschema@.protected_tables;
BEGIN
  SELECT * INTO t FROM @extschema@.protected_tables p WHERE p.relid = tbl;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'table "%" is not protected', tbl USING ERRCODE = 'PS307',
      HINT = 'Protect it first with patsvc.protect().';
  END IF;
  RETURN t;
END $$;
COMMENT ON FUNCTION @extschema@._protected(regclass) IS 'the protection of a table, or PS307 (internal)';

CREATE FUNCTION @extschema@.retention_status(tbl regclass)
  RETURNS TABLE (row_ctid tid, patient_id text, anchor_date date, retain_until date, held boolean)
  AS 'MODULE_PATHNAME', 'patsvc_retention_status' LANGUAGE C STABLE STRICT
  SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.retention_status(regclass) IS
  'every row of a protected table the caller may read (SELECT on it; its row-level security applies: 42501) by ctid, with its patient id, anchor date, retain-until date (first day it may be destroyed; NULL: unknown, kept) and hold';

CREATE FUNCTION @extschema@.retention_due(tbl regclass, as_of date DEFAULT CURRENT_DATE)
  RETURNS TABLE (row_ctid tid, patient_id text, anchor_date date, retain_until date)
  LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
  AS $$ SELECT s.row_ctid, s.patient_id, s.anchor_date, s.retain_until
          FROM @extschema@.retention_status($1) s
         WHERE s.retain_until <= $2 AND NOT s.held $$;
COMMENT ON FUNCTION @extschema@.retention_due(regclass, date) IS
  'rows of a protected table eligible for destruction on as_of and not held: what patsvc.destroy_due() would destroy';

CREATE FUNCTION @extschema@.retained_until(tbl regclass, patient_id text, anchor_value date DEFAULT NULL) RETURNS date
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

-- ---- holds ----------------------------------------------------------------
CREATE FUNCTION @extschema@.place_hold(case_reference text, reason text, patient_id text DEFAULT NULL,
                                       tbl regclass DEFAULT NULL) RETURNS bigint
  AS 'MODULE_PATHNAME', 'patsvc_place_hold' LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION @extschema@.place_hold(text, text, text, regclass) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.place_hold(text, text, text, regclass) IS
  'places a legal hold on a patient''s records (all protected tables), on a table, or on a patient in a table; returns the hold id; logged; the only way a hold is placed';

CREATE FUNCTION @extschema@.release_hold(hold bigint, reason text) RETURNS void
  AS 'MODULE_PATHNAME', 'patsvc_release_hold' LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION @extschema@.release_hold(bigint, text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.release_hold(bigint, text) IS
  'releases an active legal hold, with a reason, recording the session user as released_by; logged; the only way a hold ends';

-- ---- destruction ----------------------------------------------------------
-- The last anchor date d with d + period <= as_of.  d + period is monotone in d, so the
-- eligible anchors are exactly those <= this date: one comparison per row instead of
-- calendar arithmetic, with month ends and Feb 29 handled exactly.
CREATE FUNCTION @extschema@.anchor_cutoff(period interval, as_of date) RETURNS date
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

CREATE FUNCTION @extschema@.random_tokens(n integer) RETURNS uuid[]
  AS 'MODULE_PATHNAME', 'patsvc_random_tokens' LANGUAGE C VOLATILE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.random_tokens(integer) IS
  'n random version-4 UUIDs: the per-record tokens of a certificate, derived from nothing about the records';
CREATE FUNCTION @extschema@._token_chunks(OUT chunk integer, OUT tokens uuid[]) RETURNS SETOF record
  AS 'MODULE_PATHNAME', 'patsvc_token_chunks' LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION @extschema@._token_chunks() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@._token_chunks() IS
  'the chunks of random tokens patsvc._store_tokens() is drawing; refused outside it (internal)';
CREATE FUNCTION @extschema@._store_tokens(n integer, OUT token_set bigint, OUT tokens_sha256 text)
  AS 'MODULE_PATHNAME', 'patsvc_store_tokens' LANGUAGE C VOLATILE STRICT;
REVOKE ALL ON FUNCTION @extschema@._store_tokens(integer) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@._store_tokens(integer) IS
  'draws n random tokens, stores them as a new token set in patsvc.destruction_tokens (chunks of 500) and returns its id and their sha256; refused outside patsvc.destroy_due() (internal)';
CREATE FUNCTION @extschema@._certify(tbl regclass, record_class text, policy_name text, policy_mode text,
                                     records_from_year integer, records_to_year integer, method text,
                                     authorized_by text, witness text, statement text, early_reason text,
                                     archive_table text, archive_sha256 text) RETURNS bigint
  AS 'MODULE_PATHNAME', 'patsvc_certify' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION @extschema@._certify(regclass, text, text, text, integer, integer, text, text, text, text, text, text, text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@._certify(regclass, text, text, text, integer, integer, text, text, text, text, text, text, text) IS
  'issues the certificate of the destruction running in this session (for the token set it stored, their number as the record count) and records the destruction in patsvc.retention_events; once per run, refused outside patsvc.destroy_due() (internal)';

-- One batch of a destruction: deletes the eligible, unheld rows of a block range of one
-- leaf relation and returns their count and anchor-date range.
-- Eligibility and holds are evaluated on the row being deleted (t), so a row changed by a
-- concurrent transaction is re-checked on its new version under the row lock (EvalPlanQual);
-- a row whose patient changed meanwhile is kept.  Parameters as in _status_query, plus
-- $6 as_of, $7/$8 the block range, $9 the patient of an early destruction, $10 the last
-- anchor date whose anchor + period falls on or before as_of (policies without patient facts).
-- ---- archive before destroy --------------------------------------------------
CREATE TABLE @extschema@.retention_archives (
  relid         regclass PRIMARY KEY REFERENCES @extschema@.protected_tables,
  archive_relid regclass NOT NULL,
  set_at        timestamptz NOT NULL DEFAULT now(),
  set_by        text NOT NULL DEFAULT session_user
);
REVOKE ALL ON @extschema@.retention_archives FROM PUBLIC;
COMMENT ON TABLE @extschema@.retention_archives IS
  'protected tables whose rows are copied to an archive table (possibly a foreign table) by the same statement that destroys them; set once';
SELECT @extschema@._seal_ledger('@extschema@.retention_archives', 'an archive is set once');

CREATE FUNCTION @extschema@.set_archive(tbl regclass, archive regclass) RETURNS void
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

-- The end of a batch statement: count and anchor range, and with an archive, the insert
-- into it and the sha256 of the archived rows' text (sorted, newline-joined).
CREATE FUNCTION @extschema@._destroy_batch_tail(archive oid) RETURNS text
  LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
  AS $$ SELECT CASE WHEN $1 IS NULL THEN
    ' SELECT count(*) AS n, min(d.anchor_date) AS lo_anchor, max(d.anchor_date) AS hi_anchor, NULL::text AS digest FROM d'
  ELSE format(
    ', a AS (INSERT INTO %s SELECT (d.r).* FROM d)'
    ' SELECT count(*) AS n, min(d.anchor_date) AS lo_anchor, max(d.anchor_date) AS hi_anchor,'
    '        pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to('
    '          pg_catalog.string_agg(d.r::text, E''\n'' ORDER BY d.r::text), ''UTF8'')), ''hex'') AS digest FROM d',
    $1::regclass) END $$;
COMMENT ON FUNCTION @extschema@._destroy_batch_tail(oid) IS 'the end of the SQL of one destruction batch (internal)';

CREATE FUNCTION @extschema@._destroy_batch_query(relid oid, leaf oid, early boolean) RETURNS text
  LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
  AS $$ SELECT CASE WHEN NOT $3 AND p.anchor IN ('creation', 'column') AND p.minors_until_age IS NULL THEN
  -- the policy needs no patient facts: no join
  format(
    'WITH d AS (DELETE FROM ONLY %1$s t'
    '  WHERE t.ctid >= $7 AND t.ctid < $8'
    '    AND NOT (t.%2$I::text IN (SELECT h.patient_id FROM @extschema@.retention_holds h'
    '                               WHERE h.released_at IS NULL AND h.patient_id IS NOT NULL'
    '                                 AND (h.relid IS NULL OR h.relid = $5))'
    '             OR EXISTS (SELECT 1 FROM @extschema@.retention_holds h'
    '                         WHERE h.released_at IS NULL AND h.patient_id IS NULL AND h.relid = $5))'
    '    AND %3$s <= $10'
    '  RETURNING %3$s AS anchor_date%4$s)%5$s',
    $2::regclass, t.patient_column, format('t.%I::date', t.anchor_column),
    CASE WHEN a.archive_relid IS NOT NULL THEN ', t AS r' ELSE '' END, @extschema@._destroy_batch_tail(a.archive_relid))
  ELSE format(
    'WITH d AS (DELETE FROM ONLY %1$s t USING ('
    '    SELECT l.ctid AS c, l.%2$I::text AS pid, f.birth_date, f.death_date, f.last_encounter'
    '      FROM ONLY %1$s l LEFT JOIN @extschema@.retention_patient_facts f ON f.patient_id = l.%2$I::text'
    '     WHERE l.ctid >= $7 AND l.ctid < $8) s'
    '  WHERE t.ctid = s.c AND t.ctid >= $7 AND t.ctid < $8 AND s.pid = t.%2$I::text'
    '    AND NOT (t.%2$I::text IN (SELECT h.patient_id FROM @extschema@.retention_holds h'
    '                               WHERE h.released_at IS NULL AND h.patient_id IS NOT NULL'
    '                                 AND (h.relid IS NULL OR h.relid = $5))'
    '             OR EXISTS (SELECT 1 FROM @extschema@.retention_holds h'
    '                         WHERE h.released_at IS NULL AND h.patient_id IS NULL AND h.relid = $5))'
    '    AND %4$s'
    '  RETURNING @extschema@.retention_anchor_date($1, $3, s.birth_date, s.death_date, s.last_encounter, %3$s) AS anchor_date%5$s)%6$s',
    $2::regclass, t.patient_column,
    CASE WHEN t.anchor_column IS NULL THEN 'NULL::date' ELSE format('t.%I::date', t.anchor_column) END,
    CASE WHEN $3 THEN format('t.%I::text = $9', t.patient_column)
         ELSE format('@extschema@.compute_retain_until($1, $2, $3, $4, s.birth_date, s.death_date, s.last_encounter, %s) <= $6',
                     CASE WHEN t.anchor_column IS NULL THEN 'NULL::date' ELSE format('t.%I::date', t.anchor_column) END) END,
    CASE WHEN a.archive_relid IS NOT NULL THEN ', t AS r' ELSE '' END, @extschema@._destroy_batch_tail(a.archive_relid))
  END
  FROM @extschema@.protected_tables t JOIN @extschema@.retention_policies p ON p.policy_name = t.policy_name
  LEFT JOIN @extschema@.retention_archives a ON a.relid = t.relid
 WHERE t.relid = $1 $$;
COMMENT ON FUNCTION @extschema@._destroy_batch_query(oid, oid, boolean) IS
  'the SQL of one destruction batch (internal)';

-- The fast form of a batch, for the common case (the policy needs no patient facts, no
-- archive, not an early destruction): a RETURNING clause and a CTE cost as much per row as
-- the deletion itself, so the DELETE returns nothing; its last condition,
-- patsvc._destroying_anchor(anchor), notes the anchor date of each row it lets go (the
-- certificate states their range).  patsvc._destroy_ranges() runs it once per block range,
-- planned once per leaf.  The hold check is left out when no active hold covers the table:
-- _destroy holds a SHARE lock on retention_holds, so none can be placed until it commits.
-- Parameters: $1 the protected relid, $2/$3 the block range (TIDs), $4 the last anchor date
-- whose anchor + period falls on or before as_of.
CREATE FUNCTION @extschema@._destroy_fast_batch(relid oid, leaf oid, early boolean) RETURNS text
  LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
  AS $$ SELECT format('DELETE FROM ONLY %1$s t WHERE t.ctid >= $2 AND t.ctid < $3'
                      ' AND CASE WHEN t.%3$I::date <= $4%4$s THEN @extschema@._destroying_anchor(t.%3$I::date) ELSE false END',
                      $2::regclass, t.patient_column, t.anchor_column,
                      CASE WHEN EXISTS (SELECT 1 FROM @extschema@.retention_holds h
                                         WHERE h.released_at IS NULL AND (h.relid IS NULL OR h.relid = $1))
                           THEN format(' AND NOT (t.%1$I::text IN (SELECT h.patient_id FROM @extschema@.retention_holds h'
                                       '                            WHERE h.released_at IS NULL AND h.patient_id IS NOT NULL'
                                       '                              AND (h.relid IS NULL OR h.relid = $1))'
                                       '          OR EXISTS (SELECT 1 FROM @extschema@.retention_holds h'
                                       '                      WHERE h.released_at IS NULL AND h.patient_id IS NULL AND h.relid = $1))',
                                       t.patient_column)
                           ELSE '' END)
          FROM @extschema@.protected_tables t JOIN @extschema@.retention_policies p ON p.policy_name = t.policy_name
         WHERE t.relid = $1 AND NOT $3 AND p.anchor IN ('creation', 'column') AND p.minors_until_age IS NULL
           AND NOT EXISTS (SELECT 1 FROM @extschema@.retention_archives a WHERE a.relid = t.relid) $$;
COMMENT ON FUNCTION @extschema@._destroy_fast_batch(oid, oid, boolean) IS
  'the SQL of one destruction batch in its fast form (a DELETE without RETURNING that notes the anchor dates it destroys); NULL when the table needs the general form (internal)';

CREATE FUNCTION @extschema@._destroying_anchor(date) RETURNS boolean
  AS 'MODULE_PATHNAME', 'patsvc_destroying_anchor' LANGUAGE C VOLATILE STRICT;
REVOKE ALL ON FUNCTION @extschema@._destroying_anchor(date) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@._destroying_anchor(date) IS
  'last condition of a fast destruction batch: notes the anchor date of a row being destroyed and returns true; refused outside patsvc.destroy_due() (internal)';

CREATE FUNCTION @extschema@._destroy_ranges(leaf oid, delete_sql text, relid oid, cutoff date, nblocks bigint,
                                            step bigint, OUT n bigint, OUT lo_anchor date, OUT hi_anchor date)
  AS 'MODULE_PATHNAME', 'patsvc_destroy_ranges' LANGUAGE C VOLATILE STRICT;
REVOKE ALL ON FUNCTION @extschema@._destroy_ranges(oid, text, oid, date, bigint, bigint) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@._destroy_ranges(oid, text, oid, date, bigint, bigint) IS
  'runs a fast destruction batch (patsvc._destroy_fast_batch) once per block range of step blocks, planned once, and returns the rows deleted and their anchor-date range; refused outside patsvc.destroy_due() (internal)';

-- The implementation behind destroy_due() and destroy_early(): only these C wrappers call it,
-- with the destroying flag set for tbl; called directly, its DELETEs are refused.
CREATE FUNCTION @extschema@._destroy(tbl regclass, as_of date DEFAULT CURRENT_DATE, authorized_by text DEFAULT NULL,
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
  cert := @extschema@._certify(tbl, p.record_class, p.policy_name, p.mode,
            extract(year FROM first_anchor)::integer, extract(year FROM last_anchor)::integer, method, authorized_by,
            witness,
            CASE WHEN early THEN 'destroyed before the end of retention under a governance policy, for the reason recorded'
                 ELSE 'destroyed in the normal course of business, under the retention schedule' END,
            early_reason, archive::text,
            CASE WHEN archive IS NOT NULL THEN encode(sha256(convert_to(digests, 'UTF8')), 'hex') END);
  RETURN cert;
END $$;
REVOKE ALL ON FUNCTION @extschema@._destroy(regclass, date, text, text, text, integer, boolean, text, text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@._destroy(regclass, date, text, text, text, integer, boolean, text, text) IS
  'implementation of destroy_due() and destroy_early() (internal: its DELETEs succeed only inside them)';

CREATE FUNCTION @extschema@.destroy_due(tbl regclass, as_of date DEFAULT CURRENT_DATE, authorized_by text DEFAULT NULL,
                                        method text DEFAULT NULL, witness text DEFAULT NULL,
                                        batch_size integer DEFAULT 10000, dry_run boolean DEFAULT false)
  RETURNS bigint AS 'MODULE_PATHNAME', 'patsvc_destroy_due'
  LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION @extschema@.destroy_due(regclass, date, text, text, text, integer, boolean) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.destroy_due(regclass, date, text, text, text, integer, boolean) IS
  'destroys every record of a protected table eligible on as_of and not held, in batches, and returns the certificate id (NULL when nothing was due, and for a dry run, which only counts); the only way rows of a protected table are deleted';

CREATE FUNCTION @extschema@.destroy_early(tbl regclass, patient_id text, reason text, authorized_by text,
                                          method text, witness text DEFAULT NULL)
  RETURNS bigint AS 'MODULE_PATHNAME', 'patsvc_destroy_early'
  LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION @extschema@.destroy_early(regclass, text, text, text, text, text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.destroy_early(regclass, text, text, text, text, text) IS
  'governance mode only: destroys a patient''s unheld records of a protected table before their retention ends, with a mandatory reason; certificate and log entry; grant it separately from destroy_due()';

-- ---- event triggers: what basic mode can do against DDL -------------------
CREATE FUNCTION @extschema@._guard_drop() RETURNS event_trigger
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE what text;
BEGIN
  SELECT d.object_identity INTO what FROM pg_catalog.pg_event_trigger_dropped_objects() d
   WHERE d.object_type = 'trigger' AND d.object_identity LIKE 'patsvc\_retention\_%' LIMIT 1;
  IF what IS NOT NULL THEN
    RAISE EXCEPTION 'cannot drop protected records (%)', what USING ERRCODE = 'PS305',
      DETAIL = 'The command would drop a protected table or its retention guard (DROP TABLE, DROP SCHEMA ... CASCADE, DROP EXTENSION ... CASCADE, DROP TRIGGER).',
      HINT = 'Records of protected tables leave only through patsvc.destroy_due().';
  END IF;
END $$;
COMMENT ON FUNCTION @extschema@._guard_drop() IS
  'sql_drop event trigger: refuses any command that drops a protected table or its retention guard trigger';

CREATE FUNCTION @extschema@._guard_ddl() RETURNS event_trigger
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

CREATE EVENT TRIGGER patsvc_guard_drop ON sql_drop EXECUTE FUNCTION @extschema@._guard_drop();
ALTER EVENT TRIGGER patsvc_guard_drop ENABLE ALWAYS;
COMMENT ON EVENT TRIGGER patsvc_guard_drop IS 'patsvc retention: protected tables and their guards cannot be dropped';
CREATE EVENT TRIGGER patsvc_guard_ddl ON ddl_command_end
  WHEN TAG IN ('ALTER TABLE', 'ALTER TRIGGER', 'CREATE FUNCTION', 'ALTER FUNCTION', 'CREATE TRIGGER')
  EXECUTE FUNCTION @extschema@._guard_ddl();
ALTER EVENT TRIGGER patsvc_guard_ddl ENABLE ALWAYS;
COMMENT ON EVENT TRIGGER patsvc_guard_ddl IS 'patsvc retention: guard triggers stay ENABLE ALWAYS, patsvc functions stay as installed';

-- DROP EXTENSION patsvc CASCADE drops the event triggers above with it, so sql_drop never
-- fires: refuse it up front.  A ddl_command_start trigger sees only the text of the
-- top-level statement (current_query()), not which extension is dropped, so in basic mode
-- it lets through only a top-level DROP EXTENSION whose text cannot name patsvc; one that
-- names it, or one run from dynamic SQL (a function, DO, EXECUTE), is refused while tables
-- are protected.  Hardened mode leaves the decision to its hook, which sees the objects.
CREATE FUNCTION @extschema@._guard_drop_extension() RETURNS event_trigger
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  q text := pg_catalog.current_query();
BEGIN
  IF @extschema@.enforcement_level() = 'hardened' OR NOT EXISTS (SELECT 1 FROM @extschema@.protected_tables) THEN
    RETURN;
  END IF;
  IF q ~* 'patsvc' THEN
    RAISE EXCEPTION 'cannot drop extension patsvc while tables are protected' USING ERRCODE = 'PS305',
      DETAIL = 'Dropping patsvc would end the protection of every protected table and drop the certificates.',
      HINT = 'Protected records leave only through patsvc.destroy_due().';
  END IF;
  -- escaped identifiers (U&"...") could spell patsvc without its letters
  IF q !~* '^\s*drop\s+extension\s' OR q ~* 'u&' THEN
    RAISE EXCEPTION 'cannot tell which extension this DROP EXTENSION drops while tables are protected'
      USING ERRCODE = 'PS305',
      DETAIL = 'Without shared_preload_libraries, patsvc sees only the text of the statement the client sent, and that text is not a DROP EXTENSION naming its extensions plainly.',
      HINT = 'Run DROP EXTENSION as a statement of its own that names the extension; patsvc itself cannot be dropped while tables are protected.';
  END IF;
END $$;
COMMENT ON FUNCTION @extschema@._guard_drop_extension() IS
  'ddl_command_start event trigger (basic mode): refuses DROP EXTENSION naming patsvc, or run from dynamic SQL, while tables are protected';
CREATE EVENT TRIGGER patsvc_guard_drop_extension ON ddl_command_start WHEN TAG IN ('DROP EXTENSION')
  EXECUTE FUNCTION @extschema@._guard_drop_extension();
ALTER EVENT TRIGGER patsvc_guard_drop_extension ENABLE ALWAYS;
COMMENT ON EVENT TRIGGER patsvc_guard_drop_extension IS 'patsvc retention: no DROP EXTENSION patsvc while tables are protected';

-- ---- ledgers are written by patsvc alone ---------------------------------
-- Certificates, tokens, events and holds take rows only from patsvc's own C code
-- (destroy_due/destroy_early, place_hold/release_hold, the event triggers below), from
-- patsvc's install and update scripts, and from a restore (a superuser in replica mode,
-- into a table that held no row before the statement): src/retention/ledgers.c.
CREATE FUNCTION @extschema@._ledger_guard() RETURNS trigger
  AS 'MODULE_PATHNAME', 'patsvc_ledger_guard' LANGUAGE C;
COMMENT ON FUNCTION @extschema@._ledger_guard() IS
  'BEFORE INSERT (and UPDATE) row trigger of patsvc''s certificates, tokens, events and holds: refuses every row patsvc''s own functions did not write (a restore by a superuser in replica mode into an empty table excepted)';

-- The event log's entries for changes of the other retention tables, written by a trigger
-- (so there is an event for every change, and none without one).
CREATE FUNCTION @extschema@._log_change() RETURNS trigger
  AS 'MODULE_PATHNAME', 'patsvc_log_change' LANGUAGE C;
COMMENT ON FUNCTION @extschema@._log_change() IS
  'AFTER row trigger of retention_policies, retention_patient_facts, protected_tables and retention_archives: logs each change in patsvc.retention_events (rows inserted in replica mode, and facts changed there, were logged where they were written)';
-- The two row triggers of retention's tables, made by one loop: patsvc_by_patsvc_only
-- (BEFORE: only patsvc writes the ledgers) and patsvc_log_change (AFTER: every change logged).
DO $$
DECLARE
  l record;
BEGIN
  FOR l IN SELECT * FROM (VALUES
    ('patsvc_by_patsvc_only', 'BEFORE', 'destruction_certificates', 'INSERT', '_ledger_guard',
     'certificates are issued by destroy_due() and destroy_early() alone'),
    ('patsvc_by_patsvc_only', 'BEFORE', 'destruction_tokens', 'INSERT', '_ledger_guard',
     'tokens are drawn by the destruction that issues their certificate'),
    ('patsvc_by_patsvc_only', 'BEFORE', 'retention_events', 'INSERT', '_ledger_guard',
     'events are written by patsvc alone'),
    ('patsvc_by_patsvc_only', 'BEFORE', 'retention_holds', 'INSERT OR UPDATE', '_ledger_guard',
     'holds are placed by place_hold() and released by release_hold() alone'),
    ('patsvc_log_change', 'AFTER', 'retention_policies', 'INSERT OR UPDATE OR DELETE', '_log_change',
     'logs policies created, changed and dropped'),
    ('patsvc_log_change', 'AFTER', 'retention_patient_facts', 'INSERT OR UPDATE', '_log_change',
     'logs patient facts recorded and changed'),
    ('patsvc_log_change', 'AFTER', 'protected_tables', 'INSERT', '_log_change', 'logs tables protected'),
    ('patsvc_log_change', 'AFTER', 'retention_archives', 'INSERT', '_log_change', 'logs archives set'))
    AS v(tg, timing, t, ops, fn, why)
  LOOP
    EXECUTE pg_catalog.format('CREATE TRIGGER %I %s %s ON @extschema@.%I FOR EACH ROW EXECUTE FUNCTION @extschema@.%I()',
                              l.tg, l.timing, l.ops, l.t, l.fn);
    EXECUTE pg_catalog.format('ALTER TABLE @extschema@.%I ENABLE ALWAYS TRIGGER %I', l.t, l.tg);
    EXECUTE pg_catalog.format('COMMENT ON TRIGGER %I ON @extschema@.%I IS %L', l.tg, l.t, l.why);
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
