-- The claim scrubber, table-driven: one valid encounter, then one case per
-- rule (and cases that must not fire), each a change to a fresh copy of the
-- valid encounter and the exact set of rule ids claim_problems must report.
-- Every rule of claim_rules() has a case (checked at the end).
SET search_path = public, patsvc;
\set VERBOSITY default
\set SHOW_CONTEXT never
SET TimeZone = 'UTC';
SET DateStyle = ISO;
\i test/lib/billing_setup.sql

-- visits of each type on the date of service; then the mri type needs a prior
-- authorization and the specialist type a referral
INSERT INTO appointments (id, patient_id, provider_id, type_id, starts_at)
VALUES (1, 1, 1, 1, '2020-11-10 15:00Z'), (2, 1, 1, 2, '2020-11-10 16:00Z'), (3, 1, 1, 3, '2020-11-10 17:00Z');
INSERT INTO appointment_type_requirements (type_id, requires_authorization, service_code) VALUES (2, true, 'G0008');
INSERT INTO appointment_type_requirements (type_id, requires_referral) VALUES (3, true);
INSERT INTO referrals (id, patient_id, referring_npi, to_specialty, visits_allowed, valid, referral_number)
VALUES (1, 1, '1356320139', 'endocrinology', 3, '[2020-11-01,2021-02-01)', 'R-77');
INSERT INTO authorizations (id, patient_id, payer_id, coverage_id, auth_number, service_codes, visits_approved, valid)
VALUES (1, 1, 1, 1, 'PA-2020-114', '{G0008}', 2, '[2020-11-01,2021-02-01)');

-- The valid encounter: Ann, 2020-11-10, office, Medicare; diagnoses A E11.9,
-- B R05; line 1 flu shot administration G0008 -> A; line 2 dexamethasone J1100
-- with its NDC, column two of the PTP edit G0008/J1100 (indicator 1) bypassed
-- by XU, 8 units (MUE 20 per date of service) -> B, A.
CREATE FUNCTION pg_temp.valid_encounter() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  enc bigint;
BEGIN
  INSERT INTO encounters (patient_id, appointment_id, service_date, rendering_npi, billing_npi, place_of_service, coverage_id)
  VALUES (1, NULL, '2020-11-10', '1234567893', '1234567893', '11', 1) RETURNING id INTO enc;
  INSERT INTO encounter_diagnoses (encounter_id, seq, code) VALUES (enc, 1, 'E11.9'), (enc, 2, 'R05');
  INSERT INTO encounter_lines (encounter_id, line, code, pointers, units) VALUES (enc, 1, 'G0008', '{1}', 1);
  INSERT INTO encounter_lines (encounter_id, line, code, modifiers, pointers, units, ndc, drug_quantity, drug_unit)
  VALUES (enc, 2, 'J1100', '{XU}', '{2,1}', 8, '00009-0047-01', 2, 'ML');
  RETURN enc;
END $$;

CREATE TEMP TABLE scrub_cases (n serial, rule text, change text, expect text[]);
-- change: SQL run on a fresh valid encounter, %1$s is its id
INSERT INTO scrub_cases (rule, change, expect) VALUES
  ('(none)', 'SELECT 1', '{}'),
  ('EN001', 'UPDATE encounters SET rendering_npi = NULL WHERE id = %1$s', '{EN001}'),
  ('EN002', 'UPDATE encounters SET billing_npi = NULL WHERE id = %1$s', '{EN002}'),
  ('EN003', 'UPDATE encounters SET referral_id = 1 WHERE id = %1$s', '{EN003}'),
  ('(none)', 'UPDATE encounters SET referral_id = 1, referring_npi = ''1356320139'' WHERE id = %1$s', '{}'),
  ('EN004', 'UPDATE encounters SET service_date = current_date + 1 WHERE id = %1$s', '{DX004,EN004,PR003}'),
  ('EN005', 'UPDATE encounters SET place_of_service = NULL WHERE id = %1$s', '{EN005}'),
  ('EN006', 'DELETE FROM encounter_lines WHERE encounter_id = %1$s', '{DX008,EN006}'),
  ('CV001', 'UPDATE encounters SET coverage_id = NULL WHERE id = %1$s', '{CV001}'),
  ('CV002', 'UPDATE encounters SET coverage_id = 2 WHERE id = %1$s', '{CV002}'),
  ('CV002', 'UPDATE encounters SET service_date = ''2020-10-15'' WHERE id = %1$s; UPDATE coverages SET valid = ''[2020-11-01,)'' WHERE id = 1', '{CV002}'),
  ('CV003', 'UPDATE encounters SET patient_id = 3, coverage_id = 3 WHERE id = %1$s', '{CV003}'),
  ('AU001', 'UPDATE encounters SET appointment_id = 2 WHERE id = %1$s', '{AU001}'),
  ('(none)', 'UPDATE encounters SET appointment_id = 2, authorization_id = 1 WHERE id = %1$s', '{}'),
  ('AU002', 'UPDATE encounters SET appointment_id = 3 WHERE id = %1$s', '{AU002}'),
  ('(none)', 'UPDATE encounters SET appointment_id = 3, referral_id = 1, referring_npi = ''1356320139'' WHERE id = %1$s', '{}'),
  ('DX001', 'DELETE FROM encounter_diagnoses WHERE encounter_id = %1$s', '{DX001,PT004}'),
  ('DX002', 'UPDATE encounter_diagnoses SET code = ''E11'' WHERE encounter_id = %1$s AND seq = 2', '{DX002}'),
  ('DX003', 'UPDATE encounter_diagnoses SET code = ''K21.9'' WHERE encounter_id = %1$s AND seq = 2', '{DX003}'),
  ('DX004', 'UPDATE encounters SET service_date = ''2020-06-01'' WHERE id = %1$s', '{DX004}'),
  ('DX005', 'INSERT INTO encounter_diagnoses VALUES (%1$s, 3, ''E119''); UPDATE encounter_lines SET pointers = ''{1,3}'' WHERE encounter_id = %1$s AND line = 1', '{DX005}'),
  ('DX006', 'UPDATE encounter_diagnoses SET code = ''Y93.01'' WHERE encounter_id = %1$s AND seq = 1; UPDATE encounter_lines SET pointers = ''{2,1}'' WHERE encounter_id = %1$s', '{DX006}'),
  ('DX007', 'INSERT INTO encounter_diagnoses VALUES (%1$s, 4, ''R00.0''); UPDATE encounter_lines SET pointers = ''{1,4}'' WHERE encounter_id = %1$s AND line = 1', '{DX007}'),
  ('DX008', 'INSERT INTO encounter_diagnoses VALUES (%1$s, 3, ''R00.0'')', '{DX008}'),
  ('PT001', 'UPDATE encounter_lines SET pointers = ''{}'' WHERE encounter_id = %1$s AND line = 1', '{PT001}'),
  ('PT002', 'INSERT INTO encounter_diagnoses VALUES (%1$s, 3, ''R00.0''), (%1$s, 4, ''R00.1''), (%1$s, 5, ''R00.2''); UPDATE encounter_lines SET pointers = ''{1,2,3,4,5}'' WHERE encounter_id = %1$s AND line = 1', '{PT002}'),
  ('PT003', 'UPDATE encounter_lines SET pointers = ''{1,13}'' WHERE encounter_id = %1$s AND line = 1', '{PT003}'),
  ('PT003', 'UPDATE encounter_lines SET pointers = ''{1,0}'' WHERE encounter_id = %1$s AND line = 1', '{PT003}'),
  ('PT004', 'UPDATE encounter_lines SET pointers = ''{1,3}'' WHERE encounter_id = %1$s AND line = 1', '{PT004}'),
  ('PT005', 'UPDATE encounter_lines SET pointers = ''{1,1}'' WHERE encounter_id = %1$s AND line = 1', '{PT005}'),
  ('PT006', 'INSERT INTO encounter_diagnoses VALUES (%1$s, 3, ''Y93.01''); UPDATE encounter_lines SET pointers = ''{3,1}'' WHERE encounter_id = %1$s AND line = 1', '{PT006}'),
  ('(none)', 'INSERT INTO encounter_diagnoses VALUES (%1$s, 3, ''Y93.01''); UPDATE encounter_lines SET pointers = ''{1,3}'' WHERE encounter_id = %1$s AND line = 1', '{}'),
  ('PR001', 'INSERT INTO encounter_lines (encounter_id, line, code, pointers, charge) VALUES (%1$s, 3, ''A9999'', ''{1}'', 10)', '{PR001}'),
  ('PR002', 'INSERT INTO encounter_lines (encounter_id, line, code, pointers, charge) VALUES (%1$s, 3, ''G0515'', ''{1}'', 10)', '{PR002}'),
  ('PR003', 'UPDATE encounters SET service_date = ''2021-02-01'' WHERE id = %1$s', '{PR003}'),
  ('LN001', 'UPDATE encounter_lines SET units = 0.5 WHERE encounter_id = %1$s AND line = 1', '{LN001}'),
  ('LN002', 'UPDATE encounter_lines SET charge = -0.01 WHERE encounter_id = %1$s AND line = 1', '{LN002}'),
  ('LN003', 'UPDATE encounter_lines SET modifiers = ''{XU,XU}'' WHERE encounter_id = %1$s AND line = 2', '{LN003}'),
  ('LN004', 'UPDATE encounter_lines SET ndc = NULL, drug_quantity = NULL, drug_unit = NULL WHERE encounter_id = %1$s AND line = 2', '{LN004}'),
  ('LN005', 'UPDATE encounter_lines SET drug_quantity = NULL WHERE encounter_id = %1$s AND line = 2', '{LN005}'),
  ('LN005', 'UPDATE encounter_lines SET drug_quantity = 0 WHERE encounter_id = %1$s AND line = 2', '{LN005}'),
  ('LN005', 'UPDATE encounter_lines SET drug_unit = NULL WHERE encounter_id = %1$s AND line = 2', '{LN005}'),
  ('NC001', 'UPDATE encounter_lines SET modifiers = ''{}'' WHERE encounter_id = %1$s AND line = 2', '{NC001}'),
  ('NC001', 'UPDATE encounter_lines SET modifiers = ''{GA}'' WHERE encounter_id = %1$s AND line = 2', '{NC001}'),
  ('(none)', 'UPDATE encounter_lines SET modifiers = ''{GA,59}'' WHERE encounter_id = %1$s AND line = 2', '{}'),
  ('NC001', 'INSERT INTO encounter_lines (encounter_id, line, code, modifiers, pointers, charge, ndc, drug_quantity, drug_unit) VALUES (%1$s, 3, ''J0129'', ''{59}'', ''{1}'', 40, ''00003-2187-10'', 1, ''UN'')', '{NC001}'),
  ('(none)', 'INSERT INTO encounter_lines (encounter_id, line, code, pointers, charge) VALUES (%1$s, 3, ''A0021'', ''{1}'', 10)', '{}'),
  ('NC001', 'UPDATE encounters SET service_date = ''2020-05-01'', coverage_id = 1 WHERE id = %1$s; INSERT INTO encounter_lines (encounter_id, line, code, pointers, charge) VALUES (%1$s, 3, ''A0021'', ''{1}'', 10)', '{DX004,NC001}'),
  ('(none)', 'INSERT INTO encounter_lines (encounter_id, line, code, pointers, charge) VALUES (%1$s, 3, ''A0021'', ''{1}'', 10), (%1$s, 4, ''A0080'', ''{1}'', 10)', '{}'),
  ('MU001', 'UPDATE encounter_lines SET units = 2 WHERE encounter_id = %1$s AND line = 1', '{MU001}'),
  ('(none)', 'INSERT INTO encounter_lines (encounter_id, line, code, pointers, units) VALUES (%1$s, 3, ''G0008'', ''{2}'', 1)', '{}'),
  ('MU002', 'INSERT INTO encounter_lines (encounter_id, line, code, modifiers, pointers, units, ndc, drug_quantity, drug_unit) VALUES (%1$s, 3, ''J1100'', ''{XU}'', ''{1}'', 13, ''00009-0047-01'', 3, ''ML'')', '{MU002}'),
  ('(none)', 'INSERT INTO encounter_lines (encounter_id, line, code, modifiers, pointers, units, ndc, drug_quantity, drug_unit) VALUES (%1$s, 3, ''J1100'', ''{XU}'', ''{1}'', 12, ''00009-0047-01'', 3, ''ML'')', '{}'),
  ('MU002', 'INSERT INTO encounter_lines (encounter_id, line, code, pointers, units, charge) VALUES (%1$s, 3, ''Q2034'', ''{1}'', 2, 20)', '{MU002}');

-- the same checks as plain SQL joins (the benchmark's reference): must find the same problems
\set ECHO none
\i test/lib/ref_claim_problems.sql
\set ECHO all

-- each case on a fresh valid encounter, in a subtransaction rolled back after it
CREATE FUNCTION pg_temp.run_case(change text, OUT reported text[], OUT same_as_sql boolean, OUT messages text)
LANGUAGE plpgsql AS $$
DECLARE
  enc bigint := pg_temp.valid_encounter();
BEGIN
  BEGIN
    EXECUTE format(change, enc);
    SELECT (SELECT coalesce(array_agg(concat(p.line, ':', p.rule) ORDER BY 1), '{}') FROM claim_problems(enc) p)
         = (SELECT coalesce(array_agg(concat(r.line, ':', r.rule) ORDER BY 1), '{}') FROM ref_claim_problems r
             WHERE r.encounter_id = enc)
      INTO same_as_sql;
    SELECT coalesce(array_agg(DISTINCT p.rule ORDER BY p.rule), '{}'),
           string_agg(concat(p.rule, ' ', p.severity, coalesce(' line ' || p.line, ''), ': ',
                             regexp_replace(p.message, '\d{4}-\d\d-\d\d', 'DATE', 'g')), E'\n' ORDER BY p.rule, p.line, p.message)
      INTO reported, messages FROM claim_problems(enc) p;
    RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'roll back the case';
  EXCEPTION WHEN raise_exception THEN
    NULL;
  END;
  DELETE FROM encounters WHERE id = enc;
END $$;

SELECT c.n, c.rule, r.reported = c.expect AS as_expected, r.same_as_sql, r.reported, r.messages
FROM scrub_cases c, LATERAL pg_temp.run_case(c.change) r ORDER BY c.n;

-- every rule has a case that makes it fire
SELECT r.rule AS rule_without_a_case FROM claim_rules() r
WHERE NOT EXISTS (SELECT FROM scrub_cases c WHERE c.rule = r.rule);
SELECT rule, severity, description FROM claim_rules() ORDER BY rule;

-- finalizing: refused with every problem in the detail, nothing changed; then fixed
SELECT pg_temp.valid_encounter() AS enc \gset
UPDATE encounter_diagnoses SET code = 'E11' WHERE encounter_id = :enc AND seq = 2;
UPDATE encounter_lines SET pointers = '{1,4}' WHERE encounter_id = :enc AND line = 1;
SELECT finalize_encounter(:enc);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT status, finalized_at FROM encounters WHERE id = :enc;
-- fixed; a warning (an unpointed diagnosis) does not stop it
UPDATE encounter_diagnoses SET code = 'R05' WHERE encounter_id = :enc AND seq = 2;
UPDATE encounter_lines SET pointers = '{1}' WHERE encounter_id = :enc AND line = 1;
INSERT INTO encounter_diagnoses VALUES (:enc, 3, 'R00.0');
SELECT rule, severity FROM claim_problems(:enc);
SELECT finalize_encounter(:enc) IS NOT NULL AS finalized;
SELECT status, finalized_at IS NOT NULL AS stamped FROM encounters WHERE id = :enc;
SELECT * FROM claim_problems(-1);
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- the NCCI caches follow the tables: an edit deleted, an MUE changed
SELECT pg_temp.valid_encounter() AS enc2 \gset
UPDATE encounter_lines SET modifiers = '{}' WHERE encounter_id = :enc2 AND line = 2;
SELECT rule FROM claim_problems(:enc2);
DELETE FROM ncci_ptp WHERE column_one = 'G0008' AND column_two = 'J1100';
SELECT rule FROM claim_problems(:enc2);
UPDATE mue SET mue_value = 5 WHERE code = 'J1100';
SELECT rule, message FROM claim_problems(:enc2);

\i test/lib/billing_cleanup.sql
