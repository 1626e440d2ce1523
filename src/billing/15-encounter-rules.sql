-- ---- encounter rules: status transitions, drafts only are edited -----------

CREATE FUNCTION @extschema@.encounter_transition_legal(from_status text, to_status text) RETURNS boolean
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
  SELECT (from_status, to_status) IN (('draft', 'final'), ('final', 'submitted'), ('submitted', 'paid'),
                                      ('submitted', 'denied'), ('draft', 'void'), ('final', 'void'),
                                      ('submitted', 'void'), ('denied', 'void'))
$$;
COMMENT ON FUNCTION @extschema@.encounter_transition_legal(text, text) IS
  'the one list of legal encounter status changes: draft -> final -> submitted -> paid or denied; draft, final, submitted and denied -> void';

CREATE FUNCTION @extschema@.diagnosis_letter(seq integer) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
  SELECT CASE WHEN seq BETWEEN 1 AND 12 THEN pg_catalog.chr(64 + seq) END
$$;
COMMENT ON FUNCTION @extschema@.diagnosis_letter(integer) IS
  'the CMS-1500 box 21 letter of a diagnosis position: 1 -> A ... 12 -> L; NULL outside 1..12';

-- The encounter's header: inserted as a draft; status moves only along legal
-- transitions; once not a draft, only the status (and patient_id, which a
-- merge of duplicate patients moves) may change; only drafts are deleted.
CREATE FUNCTION @extschema@.encounters_enforce() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM @extschema@._trigger_bound(TG_RELID, TG_NAME, 'encounters_enforce', '@extschema@.encounters'::pg_catalog.regclass);
  IF TG_OP = 'DELETE' THEN
    IF OLD.status <> 'draft' THEN
      RAISE EXCEPTION USING ERRCODE = 'PS601',
        MESSAGE = format('encounter %s is %s and cannot be deleted', OLD.id, OLD.status),
        HINT = 'Only a draft encounter is deleted; set a final, submitted or denied one to void (patsvc.set_encounter_status).';
    END IF;
    RETURN OLD;
  END IF;
  IF TG_OP = 'INSERT' THEN
    IF NEW.status <> 'draft' THEN
      RAISE EXCEPTION USING ERRCODE = 'PS602',
        MESSAGE = format('an encounter cannot be created as %s', NEW.status),
        HINT = 'Create it as a draft, add its diagnoses and lines, then finalize it with patsvc.finalize_encounter.';
    END IF;
    NEW.finalized_at := NULL;
    RETURN NEW;
  END IF;
  IF NEW.status IS DISTINCT FROM OLD.status THEN
    IF NOT @extschema@.encounter_transition_legal(OLD.status, NEW.status) THEN
      RAISE EXCEPTION USING ERRCODE = 'PS602',
        MESSAGE = format('encounter %s cannot go from %s to %s', OLD.id, OLD.status, NEW.status),
        HINT = 'Legal changes: draft -> final -> submitted -> paid or denied; draft, final, submitted or denied -> void.';
    END IF;
  END IF;
  IF OLD.status <> 'draft'
     AND to_jsonb(NEW) - '{status,patient_id}'::text[] IS DISTINCT FROM to_jsonb(OLD) - '{status,patient_id}'::text[] THEN
    RAISE EXCEPTION USING ERRCODE = 'PS601',
      MESSAGE = format('encounter %s is %s: only its status can change', OLD.id, OLD.status),
      HINT = 'Void it (patsvc.set_encounter_status) and bill a new encounter.';
  END IF;
  IF NEW.status = 'final' AND OLD.status = 'draft' THEN
    NEW.finalized_at := pg_catalog.now();
  ELSIF OLD.status = 'draft' THEN
    NEW.finalized_at := NULL;
  END IF;
  RETURN NEW;
END $$;
COMMENT ON FUNCTION @extschema@.encounters_enforce() IS
  'trigger on encounters: created as draft (PS602), legal status changes only (PS602), nothing but the status changes once not a draft and only drafts are deleted (PS601); stamps finalized_at';
CREATE TRIGGER encounters_enforce BEFORE INSERT OR UPDATE OR DELETE ON @extschema@.encounters
  FOR EACH ROW EXECUTE FUNCTION @extschema@.encounters_enforce();
COMMENT ON TRIGGER encounters_enforce ON @extschema@.encounters IS
  'status transitions and the lock on non-draft encounters';

-- Becoming final: the scrubber's errors refuse it, whoever writes the status.
-- AFTER the row is written, so the scrubber reads the encounter as it is now.
CREATE FUNCTION @extschema@.encounters_scrub_on_final() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  problems text;
BEGIN
  PERFORM @extschema@._trigger_bound(TG_RELID, TG_NAME, 'encounters_scrub_on_final', '@extschema@.encounters'::pg_catalog.regclass);
  SELECT string_agg(format('%s%s: %s', p.rule, CASE WHEN p.line IS NOT NULL THEN format(' (line %s)', p.line) ELSE '' END,
                           p.message), E'\n' ORDER BY p.line NULLS FIRST, p.rule)
    INTO problems
    FROM @extschema@.claim_errors_now(NEW.id) p;
  IF problems IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'PS603',
      MESSAGE = format('encounter %s cannot be finalized: the claim has errors', NEW.id),
      DETAIL = problems,
      HINT = 'Fix the problems listed (patsvc.claim_problems(encounter) lists them with their rules), then finalize again.';
  END IF;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION @extschema@.encounters_scrub_on_final() IS
  'trigger on encounters: refuses an encounter becoming final while the scrubber finds an error (PS603, every problem in the detail)';
CREATE TRIGGER encounters_scrub_on_final AFTER UPDATE OF status ON @extschema@.encounters
  FOR EACH ROW WHEN (NEW.status = 'final' AND OLD.status = 'draft')
  EXECUTE FUNCTION @extschema@.encounters_scrub_on_final();
COMMENT ON TRIGGER encounters_scrub_on_final ON @extschema@.encounters IS
  'runs the claim scrubber when a draft becomes final';

-- Diagnoses and lines are written only while their encounter is a draft; the
-- encounter row is locked FOR SHARE, so a finalize waits for the writer.
CREATE FUNCTION @extschema@.encounter_require_draft(encounter bigint) RETURNS void
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  st text;
BEGIN
  SELECT e.status INTO st FROM @extschema@.encounters e WHERE e.id = encounter FOR SHARE;
  IF FOUND AND st <> 'draft' THEN
    RAISE EXCEPTION USING ERRCODE = 'PS601',
      MESSAGE = format('encounter %s is %s: its diagnoses and lines cannot change', encounter, st),
      HINT = 'Only a draft encounter is edited; void it (patsvc.set_encounter_status) and bill a new encounter.';
  END IF;
END $$;
COMMENT ON FUNCTION @extschema@.encounter_require_draft(bigint) IS
  'internal: PS601 unless the encounter is a draft (a missing one is left to the foreign key); locks it FOR SHARE';

CREATE FUNCTION @extschema@.encounter_diagnoses_enforce() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM @extschema@._trigger_bound(TG_RELID, TG_NAME, 'encounter_diagnoses_enforce', '@extschema@.encounter_diagnoses'::pg_catalog.regclass);
  IF TG_OP <> 'INSERT' THEN
    PERFORM @extschema@.encounter_require_draft(OLD.encounter_id);
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  IF TG_OP = 'INSERT' OR NEW.encounter_id <> OLD.encounter_id THEN
    PERFORM @extschema@.encounter_require_draft(NEW.encounter_id);
  END IF;
  RETURN NEW;
END $$;
COMMENT ON FUNCTION @extschema@.encounter_diagnoses_enforce() IS
  'trigger on encounter_diagnoses: only a draft encounter''s diagnoses change (PS601)';
CREATE TRIGGER encounter_diagnoses_enforce BEFORE INSERT OR UPDATE OR DELETE ON @extschema@.encounter_diagnoses
  FOR EACH ROW EXECUTE FUNCTION @extschema@.encounter_diagnoses_enforce();
COMMENT ON TRIGGER encounter_diagnoses_enforce ON @extschema@.encounter_diagnoses IS
  'only a draft encounter''s diagnoses change';

-- The procedure code of a line, canonical, and its kind: a letter first is
-- HCPCS Level II (J1100), a digit first is CPT (99213, 0042T); 22P02 otherwise.
CREATE FUNCTION @extschema@.procedure_code(code text, OUT canonical text, OUT kind text)
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF btrim(code) ~ '^[A-Za-z]' THEN
    canonical := code::@extschema@.hcpcs::text;
    kind := 'hcpcs';
  ELSE
    canonical := code::@extschema@.cpt::text;
    kind := 'cpt';
  END IF;
END $$;
COMMENT ON FUNCTION @extschema@.procedure_code(text) IS
  'a procedure code as written on a service line, canonical, with its kind: a letter first is HCPCS Level II, a digit first CPT; 22P02 (the code type''s message) when malformed';

-- The charge of a line written without one: the fee for the encounter's
-- payer, else the default fee, times the units.
CREATE FUNCTION @extschema@.line_default_charge(encounter bigint, code text, units numeric) RETURNS numeric
  LANGUAGE plpgsql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  fee numeric;
BEGIN
  SELECT f.amount INTO fee FROM @extschema@.fee_schedule f
   WHERE f.code = line_default_charge.code
     AND (f.payer_id IS NULL OR f.payer_id = (SELECT c.payer_id FROM @extschema@.encounters e
                                               JOIN @extschema@.coverages c ON c.id = e.coverage_id
                                              WHERE e.id = encounter))
   ORDER BY f.payer_id NULLS LAST LIMIT 1;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'PS605',
      MESSAGE = format('service line code %s has no charge and no fee in the fee schedule', code),
      HINT = 'Give the line''s charge, or add the code''s fee to patsvc.fee_schedule (for the payer, or with payer_id NULL for all).';
  END IF;
  RETURN round(fee * coalesce(units, 1), 2);
END $$;
COMMENT ON FUNCTION @extschema@.line_default_charge(bigint, text, numeric) IS
  'internal, for the trigger on encounter_lines: the fee of a code for the encounter''s payer (else the default fee) times the units; PS605 when the code has no fee; runs as the owner (the writer of a line need not read coverages or fees)';

CREATE FUNCTION @extschema@.encounter_lines_enforce() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  pc record;
BEGIN
  PERFORM @extschema@._trigger_bound(TG_RELID, TG_NAME, 'encounter_lines_enforce', '@extschema@.encounter_lines'::pg_catalog.regclass);
  IF TG_OP <> 'INSERT' THEN
    PERFORM @extschema@.encounter_require_draft(OLD.encounter_id);
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  IF TG_OP = 'INSERT' OR NEW.encounter_id <> OLD.encounter_id THEN
    PERFORM @extschema@.encounter_require_draft(NEW.encounter_id);
  END IF;
  pc := @extschema@.procedure_code(NEW.code);
  NEW.code := pc.canonical;
  NEW.procedure_kind := pc.kind;
  IF NEW.charge IS NULL THEN
    NEW.charge := @extschema@.line_default_charge(NEW.encounter_id, NEW.code, NEW.units);
  END IF;
  RETURN NEW;
END $$;
COMMENT ON FUNCTION @extschema@.encounter_lines_enforce() IS
  'trigger on encounter_lines: only a draft encounter''s lines change (PS601); the code is checked and made canonical, its kind derived (22P02); a missing charge comes from the fee schedule (PS605)';
CREATE TRIGGER encounter_lines_enforce BEFORE INSERT OR UPDATE OR DELETE ON @extschema@.encounter_lines
  FOR EACH ROW EXECUTE FUNCTION @extschema@.encounter_lines_enforce();
COMMENT ON TRIGGER encounter_lines_enforce ON @extschema@.encounter_lines IS
  'only a draft encounter''s lines change; canonical code and kind; default charge';
