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

CREATE TRIGGER patsvc_policy_guard BEFORE UPDATE OR DELETE ON @extschema@.retention_policies
  FOR EACH ROW EXECUTE FUNCTION @extschema@._policy_guard();
ALTER TABLE @extschema@.retention_policies ENABLE ALWAYS TRIGGER patsvc_policy_guard;
COMMENT ON TRIGGER patsvc_policy_guard ON @extschema@.retention_policies IS
  'compliance policies in use may only be lengthened; every change is logged';

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
