-- ===== posting to the payments ledger =====
-- Every posting goes through these functions (SECURITY DEFINER: no role
-- writes ledger_entries itself), each checking its rule once and appending
-- with ledger_append.  Postings that read a balance first (charges,
-- adjustments, transfers, refunds, reversals) serialize on ledger_locks.

-- An amount as a posting takes it: given, finite, in cents, positive.
CREATE FUNCTION @extschema@.ledger_amount(amount numeric, what text) RETURNS numeric(12,2)
  LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF amount IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = format('a %s needs an amount', what),
      HINT = 'Give the amount in dollars and cents, e.g. 25.00.';
  ELSIF amount IN ('NaN', 'Infinity', '-Infinity') OR abs(amount) >= 1e10 OR amount <> round(amount, 2) THEN
    RAISE EXCEPTION USING ERRCODE = '22P02', MESSAGE = format('%s is not an amount of money', amount),
      HINT = 'Give dollars and cents (two decimals at most), less than 10,000,000,000.';
  ELSIF amount <= 0 THEN
    RAISE EXCEPTION USING ERRCODE = 'PS661', MESSAGE = format('a %s of %s cannot be posted', what, amount),
      DETAIL = 'Amounts posted are positive; money given back is a refund of the payment it came from.',
      HINT = 'Give a positive amount; use patsvc.post_refund(payment, amount, method) to give money back, patsvc.reverse_entry(id, reason) to cancel an entry posted in error.';
  END IF;
  RETURN amount;
END $$;
COMMENT ON FUNCTION @extschema@.ledger_amount(numeric, text) IS
  'internal: a posting''s amount, checked: given (22023), in cents and finite (22P02), positive (PS661); what names the posting in the message';

-- A payment method, checked.
CREATE FUNCTION @extschema@.ledger_method(method text) RETURNS text
  LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF method IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'a payment or refund needs its method',
      HINT = 'Give one of cash, check, card, eft, other.';
  ELSIF method NOT IN ('cash', 'check', 'card', 'eft', 'other') THEN
    RAISE EXCEPTION USING ERRCODE = '22P02', MESSAGE = format('%s is not a payment method', quote_literal(method)),
      HINT = 'Give one of cash, check, card, eft, other.';
  END IF;
  RETURN method;
END $$;
COMMENT ON FUNCTION @extschema@.ledger_method(text) IS 'internal: a payment method, checked: cash, check, card, eft, other (22023 missing, 22P02 other)';

-- A responsibility, checked.
CREATE FUNCTION @extschema@.ledger_responsibility(responsibility text) RETURNS text
  LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF responsibility IS NULL OR responsibility NOT IN ('payer', 'patient') THEN
    RAISE EXCEPTION USING ERRCODE = '22P02',
      MESSAGE = format('%s is not a responsibility', coalesce(quote_literal(responsibility), 'NULL')),
      HINT = 'Give payer (what the insurance owes) or patient (what the patient owes).';
  END IF;
  RETURN responsibility;
END $$;
COMMENT ON FUNCTION @extschema@.ledger_responsibility(text) IS 'internal: payer or patient, checked (22P02)';

-- A CARC group and reason code, checked (X12 CAS01 and CAS02).
CREATE FUNCTION @extschema@.ledger_carc(carc_group text, carc_reason text) RETURNS void
  LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF carc_group IS NULL OR carc_group NOT IN ('CO', 'PR', 'OA', 'PI') THEN
    RAISE EXCEPTION USING ERRCODE = '22P02',
      MESSAGE = format('%s is not a claim adjustment group code', coalesce(quote_literal(carc_group), 'NULL')),
      HINT = 'Give CO (contractual obligation), PR (patient responsibility), OA (other adjustment) or PI (payer initiated).';
  ELSIF carc_reason IS NULL OR carc_reason !~ '^[A-Z0-9]{1,3}$' THEN
    RAISE EXCEPTION USING ERRCODE = '22P02',
      MESSAGE = format('%s is not a claim adjustment reason code', coalesce(quote_literal(carc_reason), 'NULL')),
      HINT = 'Give a CARC of one to three capital letters or digits, e.g. 45 (charge exceeds fee schedule), 1 (deductible), 2 (coinsurance), 3 (copay).';
  END IF;
END $$;
COMMENT ON FUNCTION @extschema@.ledger_carc(text, text) IS
  'internal: a claim adjustment group (CO, PR, OA, PI) and reason code (CARC), checked (22P02)';

-- Serializes checked postings on one encounter or one payment (ledger_locks).
CREATE FUNCTION @extschema@.ledger_lock(subject text, subject_id bigint) RETURNS void
  LANGUAGE sql
  SET search_path = pg_catalog, pg_temp
AS $$
  INSERT INTO @extschema@.ledger_locks AS l (subject, subject_id) VALUES (subject, subject_id)
  ON CONFLICT (subject, subject_id) DO UPDATE SET postings = l.postings OPERATOR(pg_catalog.+) 1
$$;
COMMENT ON FUNCTION @extschema@.ledger_lock(text, bigint) IS
  'internal: bumps the ledger_locks row of an encounter or a payment, so that postings checking its balance run one after the other (40001 under REPEATABLE READ and SERIALIZABLE when another one committed first)';

-- The one INSERT into the ledger.
CREATE FUNCTION @extschema@.ledger_append(e @extschema@.ledger_entries) RETURNS bigint
  LANGUAGE sql
  SET search_path = pg_catalog, pg_temp
AS $$
  INSERT INTO @extschema@.ledger_entries (patient_id, encounter_id, appointment_id, kind, responsibility, amount,
      entry_date, method, reference, carc_group, carc_reason, expected_copay, refund_of, reverses, note)
  VALUES (e.patient_id, e.encounter_id, e.appointment_id, e.kind, e.responsibility, e.amount,
      CURRENT_DATE, e.method, NULLIF(pg_catalog.btrim(e.reference), ''), e.carc_group, e.carc_reason,
      e.expected_copay, e.refund_of, e.reverses, NULLIF(pg_catalog.btrim(e.note), ''))
  RETURNING id
$$;
COMMENT ON FUNCTION @extschema@.ledger_append(@extschema@.ledger_entries) IS
  'internal: appends one entry (dated today in the session''s time zone; posted_by and posted_at by default), returns its id';

-- An encounter a posting names, or PS664.
CREATE FUNCTION @extschema@.ledger_encounter(encounter bigint) RETURNS @extschema@.encounters
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  e @extschema@.encounters;
BEGIN
  SELECT * INTO e FROM @extschema@.encounters WHERE id = encounter;
  IF NOT FOUND THEN
    PERFORM @extschema@.unknown_encounter(encounter);
  END IF;
  RETURN e;
END $$;
COMMENT ON FUNCTION @extschema@.ledger_encounter(bigint) IS 'internal: the encounter a posting names (PS607 if there is none)';

-- A ledger entry a refund or a reversal names, or PS664.
CREATE FUNCTION @extschema@.ledger_entry(entry bigint) RETURNS @extschema@.ledger_entries
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  e @extschema@.ledger_entries;
BEGIN
  SELECT * INTO e FROM @extschema@.ledger_entries WHERE id = entry;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'PS664',
      MESSAGE = format('ledger entry %s does not exist', coalesce(entry::text, 'NULL')),
      HINT = 'Give the id of an entry of patsvc.ledger_entries.';
  END IF;
  RETURN e;
END $$;
COMMENT ON FUNCTION @extschema@.ledger_entry(bigint) IS 'internal: the ledger entry a refund or a reversal names (PS664 if there is none)';

-- Which encounter an entry counts for: its own, or for a copay collected at
-- check-in (and its refunds and reversals) the first encounter of its
-- appointment once there is one.  The one place this rule is written.
CREATE VIEW @extschema@.ledger_entries_by_encounter AS
SELECT l.*, coalesce(l.encounter_id,
                     (SELECT min(e.id) FROM @extschema@.encounters e WHERE e.appointment_id = l.appointment_id)) AS for_encounter
  FROM @extschema@.ledger_entries l;
COMMENT ON VIEW @extschema@.ledger_entries_by_encounter IS
  'ledger entries with the encounter each counts for (for_encounter): its own, or for a copay collected at check-in the first encounter of its appointment; NULL: on the patient''s account';
COMMENT ON COLUMN @extschema@.ledger_entries_by_encounter.for_encounter IS
  'the encounter the entry counts for; NULL: money on the patient''s account (a credit when negative)';
REVOKE ALL ON @extschema@.ledger_entries_by_encounter FROM PUBLIC;

-- What an encounter owes now, per responsibility: its own entries, and the
-- copays collected at check-in for its appointment when it is the first
-- encounter of that appointment (the rule of ledger_entries_by_encounter,
-- written here per encounter so that both parts read an index).
CREATE FUNCTION @extschema@.encounter_balance(encounter bigint, OUT patient_due numeric(12,2), OUT payer_due numeric(12,2),
                                              OUT total_due numeric(12,2))
  LANGUAGE plpgsql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  e @extschema@.encounters := @extschema@.ledger_encounter(encounter);
BEGIN
  SELECT coalesce(sum(s.patient_change), 0), coalesce(sum(s.payer_change), 0),
         coalesce(sum(s.patient_change + s.payer_change), 0)
    INTO patient_due, payer_due, total_due
    FROM (SELECT l.patient_change, l.payer_change FROM @extschema@.ledger_entries l WHERE l.encounter_id = e.id
          UNION ALL
          SELECT l.patient_change, l.payer_change FROM @extschema@.ledger_entries l
           WHERE l.appointment_id = e.appointment_id AND l.encounter_id IS NULL
             AND e.id = (SELECT min(x.id) FROM @extschema@.encounters x WHERE x.appointment_id = e.appointment_id)) s;
END $$;
COMMENT ON FUNCTION @extschema@.encounter_balance(bigint) IS
  'what an encounter owes now: patient_due (the patient''s part), payer_due (the payer''s), total_due; negative: a credit (overpaid); PS607 for an unknown encounter';

-- ---- charges --------------------------------------------------------------
-- Whether the patient pays an encounter alone: no coverage, or a self-pay one.
CREATE FUNCTION @extschema@.ledger_self_pay(e @extschema@.encounters) RETURNS boolean
  LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT e.coverage_id IS NULL
      OR EXISTS (SELECT FROM @extschema@.coverages c JOIN @extschema@.payers p ON p.id OPERATOR(pg_catalog.=) c.payer_id
                  WHERE c.id OPERATOR(pg_catalog.=) e.coverage_id AND p.payer_type OPERATOR(pg_catalog.=) 'self_pay')
$$;
COMMENT ON FUNCTION @extschema@.ledger_self_pay(@extschema@.encounters) IS
  'internal: true when an encounter is the patient''s to pay alone (no coverage, or a coverage of a self_pay payer): its charge is posted to the patient';

-- The charge of a final encounter: the sum of its lines' charges, the
-- payer's responsibility when the encounter has a coverage, the patient's
-- when it has none or a self-pay one.  Once per encounter (again only after its charge is reversed).
CREATE FUNCTION @extschema@.post_charges(encounter bigint) RETURNS bigint
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  e @extschema@.encounters := @extschema@.ledger_encounter(encounter);
  total numeric;
  entry @extschema@.ledger_entries;
BEGIN
  PERFORM @extschema@.ledger_lock('encounter', e.id);
  IF e.status IN ('draft', 'void') THEN
    RAISE EXCEPTION USING ERRCODE = 'PS666', MESSAGE = format('encounter %s is %s: its charges cannot be posted', e.id, e.status),
      HINT = 'Charges are posted when the encounter is finalized (patsvc.finalize_encounter).';
  END IF;
  IF EXISTS (SELECT FROM @extschema@.ledger_entries c
              WHERE c.encounter_id = e.id AND c.kind = 'charge' AND c.reverses IS NULL
                AND NOT EXISTS (SELECT FROM @extschema@.ledger_entries r WHERE r.reverses = c.id)) THEN
    RAISE EXCEPTION USING ERRCODE = 'PS667', MESSAGE = format('the charges of encounter %s are posted already', e.id),
      HINT = 'To post them again, reverse the charge first with patsvc.reverse_entry(id, reason).';
  END IF;
  SELECT sum(l.charge) INTO total FROM @extschema@.encounter_lines l WHERE l.encounter_id = e.id;
  IF coalesce(total, 0) <= 0 THEN
    RAISE EXCEPTION USING ERRCODE = 'PS666', MESSAGE = format('encounter %s has no charge to post', e.id),
      HINT = 'Give its lines their charges (patsvc.encounter_lines.charge) before it is finalized.';
  END IF;
  entry.patient_id := e.patient_id;
  entry.encounter_id := e.id;
  entry.kind := 'charge';
  entry.responsibility := CASE WHEN @extschema@.ledger_self_pay(e) THEN 'patient' ELSE 'payer' END;
  entry.amount := total;
  RETURN @extschema@.ledger_append(entry);
END $$;
COMMENT ON FUNCTION @extschema@.post_charges(bigint) IS
  'posts the charge of a finalized encounter (sum of its lines'' charges) to the payer when it has a coverage, to the patient when it has none or a self-pay one; called when an encounter becomes final; PS666 draft, void or no charge, PS667 posted already';

-- Encounters post their charge when they become final, and reverse it when
-- they are voided.
CREATE FUNCTION @extschema@.ledger_encounter_status() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  c bigint;
BEGIN
  PERFORM @extschema@._trigger_bound(TG_RELID, TG_NAME, 'ledger_encounter_status', '@extschema@.encounters'::pg_catalog.regclass);
  IF NEW.status = 'final' THEN
    PERFORM @extschema@.post_charges(NEW.id);
  ELSIF NEW.status = 'void' THEN
    FOR c IN SELECT l.id FROM @extschema@.ledger_entries l
              WHERE l.encounter_id = NEW.id AND l.kind = 'charge' AND l.reverses IS NULL
                AND NOT EXISTS (SELECT FROM @extschema@.ledger_entries r WHERE r.reverses = l.id) LOOP
      PERFORM @extschema@.reverse_entry(c, 'encounter voided');
    END LOOP;
  END IF;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION @extschema@.ledger_encounter_status() IS
  'trigger: an encounter that becomes final posts its charge (post_charges); one that is voided has its charge reversed (payments stay, as a credit)';
CREATE TRIGGER ledger_charges AFTER UPDATE OF status ON @extschema@.encounters
  FOR EACH ROW WHEN (NEW.status IS DISTINCT FROM OLD.status AND NEW.status IN ('final', 'void'))
  EXECUTE FUNCTION @extschema@.ledger_encounter_status();
COMMENT ON TRIGGER ledger_charges ON @extschema@.encounters IS
  'an encounter that becomes final posts its charge to the payments ledger; voided, its charge is reversed';

-- ---- payments -------------------------------------------------------------
-- The copay the eligibility verification for the visit's date asks for (the
-- primary coverage's; NULL when no verification in force says).
CREATE FUNCTION @extschema@.expected_copay(appointment bigint) RETURNS numeric(12,2)
  LANGUAGE plpgsql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  a record;
  copay numeric;
BEGIN
  SELECT ap.patient_id, (ap.starts_at AT TIME ZONE coalesce(lo.time_zone, current_setting('TimeZone')))::date AS visit_date
    INTO a
    FROM @extschema@.appointments ap LEFT JOIN @extschema@.locations lo ON lo.id = ap.location_id
   WHERE ap.id = appointment;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'PS664',
      MESSAGE = format('appointment %s does not exist', coalesce(appointment::text, 'NULL')),
      HINT = 'Give the id of an appointment (patsvc.appointments).';
  END IF;
  SELECT v.copay INTO copay
    FROM @extschema@.eligibility_on(a.patient_id, a.visit_date) v
    JOIN @extschema@.coverages c ON c.id = v.coverage_id
   WHERE v.active
   ORDER BY c.priority, v.checked_at DESC
   LIMIT 1;
  RETURN copay;
END $$;
COMMENT ON FUNCTION @extschema@.expected_copay(bigint) IS
  'the copay to collect for an appointment: that of the latest good eligibility verification (active coverage) of the first coverage in force on the visit''s local date (patsvc.eligibility_on); NULL when none says';

-- The front desk collects the copay at check-in: what the verification
-- expects is shown and recorded beside what was collected.
CREATE FUNCTION @extschema@.collect_copay(appointment bigint, amount numeric, method text, reference text DEFAULT NULL,
                                          OUT entry_id bigint, OUT expected_copay numeric(12,2), OUT collected numeric(12,2))
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  a record;
  entry @extschema@.ledger_entries;
BEGIN
  expected_copay := @extschema@.expected_copay(appointment);
  SELECT ap.patient_id, ap.status INTO a FROM @extschema@.appointments ap WHERE ap.id = appointment;
  IF a.status IN ('cancelled', 'noshow', 'entered-in-error') THEN
    RAISE EXCEPTION USING ERRCODE = 'PS669',
      MESSAGE = format('appointment %s is %s: no copay is collected for it', appointment, a.status),
      HINT = 'Collect the copay of a visit that takes place; money the patient leaves anyway is a payment on account (patsvc.post_patient_payment).';
  END IF;
  entry.patient_id := a.patient_id;
  entry.appointment_id := appointment;
  entry.kind := 'copay';
  entry.responsibility := 'patient';
  entry.amount := @extschema@.ledger_amount(amount, 'copay');
  entry.method := @extschema@.ledger_method(method);
  entry.reference := reference;
  entry.expected_copay := expected_copay;
  entry_id := @extschema@.ledger_append(entry);
  collected := entry.amount;
END $$;
COMMENT ON FUNCTION @extschema@.collect_copay(bigint, numeric, text, text) IS
  'records the copay collected at check-in for an appointment (method cash, check, card, eft, other; a check number or card reference), with the copay the eligibility verification expects (expected_copay); counts for the appointment''s encounter; PS669 for a cancelled or no-show visit';

-- Any other money from the patient: for an encounter, or on account.
CREATE FUNCTION @extschema@.post_patient_payment(patient bigint, amount numeric, method text, reference text DEFAULT NULL,
                                                 encounter bigint DEFAULT NULL, note text DEFAULT NULL) RETURNS bigint
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  entry @extschema@.ledger_entries;
BEGIN
  IF NOT EXISTS (SELECT FROM @extschema@.patients WHERE id = patient) THEN
    RAISE EXCEPTION USING ERRCODE = 'PS664', MESSAGE = format('patient %s does not exist', coalesce(patient::text, 'NULL')),
      HINT = 'Give the id of a registered patient (patsvc.patients).';
  END IF;
  IF encounter IS NOT NULL AND (@extschema@.ledger_encounter(encounter)).patient_id <> patient THEN
    RAISE EXCEPTION USING ERRCODE = 'PS664', MESSAGE = format('encounter %s is not an encounter of patient %s', encounter, patient),
      HINT = 'Give an encounter of this patient, or none for a payment on account.';
  END IF;
  entry.patient_id := patient;
  entry.encounter_id := encounter;
  entry.kind := 'patient_payment';
  entry.responsibility := 'patient';
  entry.amount := @extschema@.ledger_amount(amount, 'patient payment');
  entry.method := @extschema@.ledger_method(method);
  entry.reference := reference;
  entry.note := note;
  RETURN @extschema@.ledger_append(entry);
END $$;
COMMENT ON FUNCTION @extschema@.post_patient_payment(bigint, numeric, text, text, bigint, text) IS
  'posts a payment of the patient (cash, check, card, eft, other) for an encounter of theirs, or on account (encounter NULL: a credit until it is used); more than owed stays as a credit';

-- An encounter that money of the payer or an adjustment is posted against:
-- its charge must be posted.
CREATE FUNCTION @extschema@.ledger_charged_encounter(encounter bigint) RETURNS @extschema@.encounters
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  e @extschema@.encounters := @extschema@.ledger_encounter(encounter);
BEGIN
  IF NOT EXISTS (SELECT FROM @extschema@.ledger_entries WHERE encounter_id = e.id AND kind = 'charge') THEN
    RAISE EXCEPTION USING ERRCODE = 'PS666', MESSAGE = format('encounter %s has no charge posted', e.id),
      HINT = 'Finalize the encounter first (patsvc.finalize_encounter): payer payments, adjustments and transfers are posted against its charge.';
  END IF;
  RETURN e;
END $$;
COMMENT ON FUNCTION @extschema@.ledger_charged_encounter(bigint) IS
  'internal: the encounter a payer payment, adjustment or transfer names, which must have its charge posted (PS607, PS666)';

CREATE FUNCTION @extschema@.post_payer_payment(encounter bigint, amount numeric, reference text DEFAULT NULL,
                                               method text DEFAULT 'eft', note text DEFAULT NULL) RETURNS bigint
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  e @extschema@.encounters := @extschema@.ledger_charged_encounter(encounter);
  entry @extschema@.ledger_entries;
BEGIN
  entry.patient_id := e.patient_id;
  entry.encounter_id := e.id;
  entry.kind := 'payer_payment';
  entry.responsibility := 'payer';
  entry.amount := @extschema@.ledger_amount(amount, 'payer payment');
  entry.method := @extschema@.ledger_method(method);
  entry.reference := reference;
  entry.note := note;
  RETURN @extschema@.ledger_append(entry);
END $$;
COMMENT ON FUNCTION @extschema@.post_payer_payment(bigint, numeric, text, text, text) IS
  'posts what a payer paid on an encounter (an 835 claim payment or by hand; reference: the EFT trace or check number); more than the payer owes stays as a credit';

-- The balance of one responsibility of an encounter, after serializing on it.
CREATE FUNCTION @extschema@.ledger_locked_due(e @extschema@.encounters, responsibility text) RETURNS numeric
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  b record;
BEGIN
  PERFORM @extschema@.ledger_lock('encounter', e.id);
  b := @extschema@.encounter_balance(e.id);
  RETURN CASE responsibility WHEN 'patient' THEN b.patient_due ELSE b.payer_due END;
END $$;
COMMENT ON FUNCTION @extschema@.ledger_locked_due(@extschema@.encounters, text) IS
  'internal: what the payer or the patient owes on an encounter, read after taking its ledger lock (so no concurrent adjustment or transfer reads the same balance)';

-- A write-off (CO, OA, PI) of part of a responsibility's balance.
CREATE FUNCTION @extschema@.post_adjustment(encounter bigint, amount numeric, carc_group text, carc_reason text,
                                            responsibility text DEFAULT 'payer', note text DEFAULT NULL) RETURNS bigint
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  e @extschema@.encounters := @extschema@.ledger_charged_encounter(encounter);
  entry @extschema@.ledger_entries;
  due numeric;
BEGIN
  entry.amount := @extschema@.ledger_amount(amount, 'adjustment');
  entry.responsibility := @extschema@.ledger_responsibility(responsibility);
  PERFORM @extschema@.ledger_carc(carc_group, carc_reason);
  IF carc_group = 'PR' THEN
    RAISE EXCEPTION USING ERRCODE = 'PS670',
      MESSAGE = format('a patient responsibility (PR-%s) is not written off', carc_reason),
      DETAIL = 'Group PR moves the amount from the payer to the patient; it is not an adjustment of what is owed.',
      HINT = format('Post it with patsvc.transfer_responsibility(%s, %s, ''patient'', ''PR'', %L).', e.id, amount, carc_reason);
  END IF;
  due := @extschema@.ledger_locked_due(e, entry.responsibility);
  IF entry.amount > due THEN
    RAISE EXCEPTION USING ERRCODE = 'PS668',
      MESSAGE = format('an adjustment of %s exceeds what the %s owes on encounter %s (%s)', entry.amount, entry.responsibility, e.id, due),
      HINT = 'Adjust at most the balance of that responsibility; money paid beyond it is a credit, not an adjustment.';
  END IF;
  entry.patient_id := e.patient_id;
  entry.encounter_id := e.id;
  entry.kind := 'adjustment';
  entry.carc_group := carc_group;
  entry.carc_reason := carc_reason;
  entry.note := note;
  RETURN @extschema@.ledger_append(entry);
END $$;
COMMENT ON FUNCTION @extschema@.post_adjustment(bigint, numeric, text, text, text, text) IS
  'posts an adjustment (a write-off: CARC group CO, OA or PI with its reason code) of the payer''s or the patient''s balance of an encounter, at most that balance (PS668); PR is a transfer to the patient (PS670)';

-- Responsibility moving between payer and patient (a PR adjustment of a
-- remittance, a denial billed to the patient, coverage found later).
CREATE FUNCTION @extschema@.transfer_responsibility(encounter bigint, amount numeric, to_responsibility text DEFAULT 'patient',
                                                    carc_group text DEFAULT NULL, carc_reason text DEFAULT NULL,
                                                    note text DEFAULT NULL) RETURNS bigint
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  e @extschema@.encounters := @extschema@.ledger_charged_encounter(encounter);
  entry @extschema@.ledger_entries;
  from_responsibility text;
  due numeric;
BEGIN
  entry.amount := @extschema@.ledger_amount(amount, 'transfer');
  entry.responsibility := @extschema@.ledger_responsibility(to_responsibility);
  IF carc_group IS NOT NULL OR carc_reason IS NOT NULL THEN
    PERFORM @extschema@.ledger_carc(carc_group, carc_reason);
  END IF;
  from_responsibility := CASE entry.responsibility WHEN 'patient' THEN 'payer' ELSE 'patient' END;
  due := @extschema@.ledger_locked_due(e, from_responsibility);
  IF entry.amount > due THEN
    RAISE EXCEPTION USING ERRCODE = 'PS668',
      MESSAGE = format('a transfer of %s exceeds what the %s owes on encounter %s (%s)', entry.amount, from_responsibility, e.id, due),
      HINT = format('Transfer at most the %s''s balance of the encounter.', from_responsibility);
  END IF;
  entry.patient_id := e.patient_id;
  entry.encounter_id := e.id;
  entry.kind := 'transfer';
  entry.carc_group := carc_group;
  entry.carc_reason := carc_reason;
  entry.note := note;
  RETURN @extschema@.ledger_append(entry);
END $$;
COMMENT ON FUNCTION @extschema@.transfer_responsibility(bigint, numeric, text, text, text, text) IS
  'moves an amount of an encounter''s balance to the patient (from the payer: a PR deductible, coinsurance or copay of a remittance, a denial) or to the payer (from the patient), at most what the other owes (PS668); CARC optional';

-- ---- refunds and reversals ------------------------------------------------
-- What is left to refund of a payment, after serializing on it.
CREATE FUNCTION @extschema@.ledger_refundable(payment @extschema@.ledger_entries) RETURNS numeric
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM @extschema@.ledger_lock('entry', payment.id);
  IF EXISTS (SELECT FROM @extschema@.ledger_entries WHERE reverses = payment.id) THEN
    RETURN 0.00;
  END IF;
  RETURN (payment.amount + coalesce((SELECT sum(amount) FROM @extschema@.ledger_entries WHERE refund_of = payment.id), 0))::numeric(12,2);
END $$;
COMMENT ON FUNCTION @extschema@.ledger_refundable(@extschema@.ledger_entries) IS
  'internal: what is left of a payment to refund (its amount less its refunds not reversed; 0 when it is reversed), read after taking its ledger lock';

CREATE FUNCTION @extschema@.post_refund(payment bigint, amount numeric, method text, reference text DEFAULT NULL,
                                        note text DEFAULT NULL) RETURNS bigint
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  p @extschema@.ledger_entries := @extschema@.ledger_entry(payment);
  entry @extschema@.ledger_entries;
  refundable numeric;
BEGIN
  IF p.kind NOT IN ('copay', 'patient_payment', 'payer_payment') OR p.reverses IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'PS663',
      MESSAGE = format('ledger entry %s is a %s, not a payment', p.id, CASE WHEN p.reverses IS NULL THEN p.kind ELSE 'reversal' END),
      HINT = 'A refund gives back money of a copay, a patient payment or a payer payment: give that payment''s id.';
  END IF;
  entry.amount := -@extschema@.ledger_amount(amount, 'refund');
  refundable := @extschema@.ledger_refundable(p);
  IF -entry.amount > refundable THEN
    RAISE EXCEPTION USING ERRCODE = 'PS662',
      MESSAGE = format('a refund of %s exceeds what is left of payment %s (%s)', -entry.amount, p.id, refundable),
      DETAIL = CASE WHEN refundable = 0 AND EXISTS (SELECT FROM @extschema@.ledger_entries WHERE reverses = p.id)
                    THEN format('The payment of %s is reversed.', p.amount)
                    ELSE format('The payment was %s; %s of it is refunded already.', p.amount, p.amount - refundable) END,
      HINT = 'Refund at most what is left of the payment.';
  END IF;
  entry.patient_id := p.patient_id;
  entry.encounter_id := p.encounter_id;
  entry.appointment_id := p.appointment_id;
  entry.kind := 'refund';
  entry.responsibility := p.responsibility;
  entry.method := @extschema@.ledger_method(method);
  entry.reference := reference;
  entry.refund_of := p.id;
  entry.note := note;
  RETURN @extschema@.ledger_append(entry);
END $$;
COMMENT ON FUNCTION @extschema@.post_refund(bigint, numeric, text, text, text) IS
  'gives back money of a payment (copay, patient or payer payment): amount positive, posted negative, at most what is left of the payment (PS662); counts where the payment counts';

-- A correction: the entry again with the opposite amount, naming it.
CREATE FUNCTION @extschema@.reverse_entry(entry bigint, reason text) RETURNS bigint
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  e @extschema@.ledger_entries := @extschema@.ledger_entry(entry);
BEGIN
  IF coalesce(btrim(reason), '') = '' THEN
    RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'a reversal needs a reason',
      HINT = 'Say why the entry is reversed, e.g. ''posted to the wrong encounter'' or ''check returned''.';
  END IF;
  PERFORM @extschema@.ledger_lock('entry', e.id);
  IF e.kind = 'charge' THEN
    PERFORM @extschema@.ledger_lock('encounter', e.encounter_id);
  END IF;
  IF e.reverses IS NOT NULL OR EXISTS (SELECT FROM @extschema@.ledger_entries WHERE reverses = e.id) THEN
    RAISE EXCEPTION USING ERRCODE = 'PS665',
      MESSAGE = format('ledger entry %s %s', e.id, CASE WHEN e.reverses IS NULL THEN 'is reversed already' ELSE 'is a reversal' END),
      HINT = 'An entry is reversed once, and a reversal is not reversed: post the right entry instead.';
  END IF;
  IF EXISTS (SELECT FROM @extschema@.ledger_entries r WHERE r.refund_of = e.id AND r.reverses IS NULL
                AND NOT EXISTS (SELECT FROM @extschema@.ledger_entries x WHERE x.reverses = r.id)) THEN
    RAISE EXCEPTION USING ERRCODE = 'PS665',
      MESSAGE = format('payment %s has refunds and cannot be reversed', e.id),
      HINT = 'Reverse its refunds first (patsvc.reverse_entry), or keep the payment and its refunds.';
  END IF;
  e.amount := -e.amount;
  e.reverses := e.id;
  e.note := reason;
  RETURN @extschema@.ledger_append(e);
END $$;
COMMENT ON FUNCTION @extschema@.reverse_entry(bigint, text) IS
  'corrects an entry posted in error: appends its reversal (same kind and account, opposite amount, with the reason); once per entry, not of a reversal, not of a payment with refunds standing (PS665)';
