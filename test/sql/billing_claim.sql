-- Claim output: claim_json (the CMS-1500 boxes) and claim_837p (X12
-- 005010X222A1), read back: envelopes and their counts, loops, pointers,
-- NDC form, the shipped samples' structure, refusals, production mode.
SET search_path = public, patsvc;
\set VERBOSITY default
\set SHOW_CONTEXT never
SET TimeZone = 'UTC';
SET DateStyle = ISO;

-- ---- setup: code sets of the date of service (2020-11-02), practice, patients, coverage
\set f `cat test/fixtures/icd10cm-order-2021-sample.txt`
SELECT import_icd10cm_order('FY2021', '2020-10-01', '2021-09-30', :'f') > 0 AS icd10cm_loaded;
\set h `cat test/fixtures/hcpcs-2020-anweb-sample.txt`
\encoding WIN1252
SELECT import_hcpcs('2020', '2020-01-01', '2020-12-31', :'h') > 0 AS hcpcs_loaded;
\encoding UTF8

INSERT INTO providers (id, name, npi) VALUES (901, 'Jim Hendrix', '1122333341'), (902, 'Ann Lee', '1497758544');
INSERT INTO claim_providers (npi, entity_type, name, given_name, tax_id, taxonomy, address_line1, city, state, zip)
VALUES ('1234567893', 'organization', 'Associates in Medicine', NULL, '587654321', '207Q00000X',
        '1313 Las Vegas Boulevard', 'Las Vegas', 'NV', '891090001'),
       ('1122333341', 'person', 'Hendrix', 'Jim', NULL, '208D00000X', NULL, NULL, NULL, NULL),
       ('1003000126', 'person', 'Referrer', 'Rita', NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO patients (id, name, family_name, given_name, middle_name, birth_date, sex,
                      address_line1, city, state, zip)
VALUES (901, 'Steve Vaughn', 'Vaughn', 'Steve', 'R', '1943-05-01', 'male', '236 Diamond St', 'Las Vegas', 'NV', '89109'),
       (902, 'Ted Smith', 'Smith', 'Ted', NULL, '2012-05-01', 'male', '236 N Main St', 'Miami', 'FL', '33413'),
       (903, 'Una Ortiz', 'Ortiz', 'Una', NULL, '1980-02-03', 'female', '9 Elm St', 'Reno', 'NV', '89501');
INSERT INTO payers (id, name, x12_payer_id, payer_type)
VALUES (901, 'R&R Health Plan', 'PLANID12345', 'commercial'),
       (902, 'Medicare Part B', 'SMNV0', 'medicare'),
       (903, 'Self pay', NULL, 'self_pay');
INSERT INTO coverages (id, patient_id, payer_id, member_id, group_number, subscriber_relationship,
                       subscriber_family, subscriber_given, subscriber_birth_date, subscriber_sex, valid, priority)
VALUES (901, 901, 902, '1EG4TE5MK73', NULL, '18', NULL, NULL, NULL, NULL, '[2020-01-01,)', 1),
       (902, 902, 901, 'JS00111223333', '2222-SJ', '19', 'Smith', 'Jane', '1975-03-04', 'female', '[2020-01-01,)', 1),
       (903, 903, 903, NULL, NULL, '18', NULL, NULL, NULL, NULL, '[2020-01-01,)', 1);
INSERT INTO authorizations (id, patient_id, payer_id, coverage_id, auth_number, service_codes, visits_approved, valid)
VALUES (901, 901, 902, 901, 'AUTH901', '{99214,J1100}', 5, '[2020-10-01,2020-12-31]'),
       (902, 902, 901, 902, 'AUTH902J', '{J1100}', 1, '[2020-10-01,2020-12-31]');
INSERT INTO referrals (id, patient_id, referring_npi, to_specialty, reasons, visits_allowed, valid, referral_number)
VALUES (901, 901, '1003000126', 'endocrinology', '{E11.9}', 3, '[2020-10-01,2020-12-31]', 'REF-77');
SELECT count(record_consent(p, 'treatment', '2020-10-01 10:00Z')) AS consents FROM unnest('{901,903}'::bigint[]) p;
SELECT record_consent(902, 'treatment', '2020-10-01 10:00Z', 'guardian', 'Jane Smith', 'parent') > 0 AS minor_consent;

-- 901: Medicare, the patient is the subscriber, referral, an authorization for every line, a drug line
-- 902: a child on a parent's plan; the authorization covers only the drug (line-level REF*G1)
-- 903: twelve diagnoses, pointers to the last ones
-- 904: a draft; 905: self-pay
INSERT INTO encounters (id, patient_id, service_date, rendering_npi, billing_npi, referring_npi, place_of_service,
                        coverage_id, authorization_id, referral_id)
VALUES (901, 901, '2020-11-02', '1122333341', '1234567893', '1003000126', '11', 901, 901, 901),
       (902, 902, '2020-11-02', '1234567893', '1234567893', NULL, '11', 902, 902, NULL),
       (903, 901, '2020-11-03', '1122333341', '1234567893', NULL, '11', 901, NULL, NULL),
       (904, 901, '2020-11-04', '1122333341', '1234567893', NULL, '11', 901, NULL, NULL),
       (905, 903, '2020-11-02', '1122333341', '1234567893', NULL, '11', 903, NULL, NULL),
       (906, 901, '2020-11-05', '1122333341', '1234567893', NULL, '11', 901, NULL, NULL);
INSERT INTO encounter_diagnoses (encounter_id, seq, code)
VALUES (901, 1, 'E11.9'), (901, 2, 'I10'), (901, 3, 'Z00.00'),
       (902, 1, 'J44.9'), (902, 2, 'R05'),
       (904, 1, 'I10'), (905, 1, 'I10'),
       (906, 1, 'E11.9'), (906, 3, 'I10');
INSERT INTO encounter_diagnoses (encounter_id, seq, code)
SELECT 903, n, c FROM unnest('{E11.9,I10,J44.9,R05,J45.909,R00.0,R06.02,J45.20,R04.2,R06.2,R07.1,Z00.00}'::text[])
  WITH ORDINALITY AS d(c, n);
INSERT INTO encounter_lines (encounter_id, line, code, modifiers, pointers, units, charge, ndc, drug_quantity, drug_unit)
VALUES (901, 1, '99214', '{25}', '{1,2}', 1, 120.00, NULL, NULL, NULL),
       (901, 2, 'J1100', '{}', '{1}', 1, 53.37, '00026-0635-12', 10, 'ML'),
       (902, 1, '99213', '{}', '{1,2}', 1, 80.00, NULL, NULL, NULL),
       (902, 2, 'J1100', '{}', '{1}', 2, 20.50, '0026-0635-12', 2, 'ML'),
       (903, 1, '99215', '{25,59}', '{9,10,11,12}', 1, 200.00, NULL, NULL, NULL),
       (903, 2, 'G0008', '{}', '{12}', 1, 25.00, NULL, NULL, NULL),
       (904, 1, '99213', '{}', '{1}', 1, 80.00, NULL, NULL, NULL),
       (905, 1, '99213', '{}', '{1}', 1, 80.00, NULL, NULL, NULL),
       (906, 2, '99213', '{}', '{3,1}', 1, 80.00, NULL, NULL, NULL);
SELECT e, finalize_encounter(e) IS NOT NULL AS final FROM unnest('{901,902,903,905}'::bigint[]) e;

-- ---- reading an interchange back -------------------------------------------
-- segments in order: position, id, elements (e[1] is the first element);
-- the separators are read from the ISA segment itself
CREATE FUNCTION pg_temp.x12(t text) RETURNS TABLE (pos int, id text, e text[]) LANGUAGE sql AS $$
  SELECT n::int, s[1], s[2:]
    FROM (SELECT pg_catalog.string_to_array(seg, substr(t, 4, 1)) AS s, n
            FROM regexp_split_to_table(btrim(t, E'\n'), '\' || substr(t, 106, 1) || E'\n?') WITH ORDINALITY AS r(seg, n)
           WHERE seg <> '') x $$;
-- the segments with the claim (CLM) and transaction set (ST) each belongs to
CREATE FUNCTION pg_temp.x12_claims(t text) RETURNS TABLE (pos int, id text, e text[], st int, clm int) LANGUAGE sql AS $$
  SELECT pos, id, e, (count(*) FILTER (WHERE id = 'ST') OVER w)::int, (count(*) FILTER (WHERE id = 'CLM') OVER w)::int
    FROM pg_temp.x12(t) WINDOW w AS (ORDER BY pos) $$;
-- which elements (1-based) a segment fills: its shape
CREATE FUNCTION pg_temp.filled(e text[]) RETURNS int[] LANGUAGE sql AS $$
  SELECT array_agg(i ORDER BY i) FROM generate_subscripts(e, 1) i WHERE e[i] <> '' $$;

CREATE TEMP TABLE claim_files (name text PRIMARY KEY, t text);
INSERT INTO claim_files
SELECT 'test', claim_837p('{903,901,902}', 'SUBMITTER1', 'Associates in Medicine', 'RECEIVER1', 'XYZ Receiver',
                          'Bud Holly', '8017268899', 'T', '2020-11-05 10:30Z');
-- the interchange as written (its control number, from a sequence, shown as NNNNNNNNN)
\a
\t on
SELECT replace(replace(t, (SELECT e[13] FROM pg_temp.x12(t) WHERE id = 'ISA'), 'NNNNNNNNN'),
               '*' || ltrim((SELECT e[13] FROM pg_temp.x12(t) WHERE id = 'ISA'), '0') || '*X*', '*N*X*') AS interchange
  FROM claim_files WHERE name = 'test';
\t off
\a

-- envelopes: ISA fixed width (106 characters with its terminator), separators declared there;
-- ISA13 = IEA02, GS06 = GE02 (the same number), GE01 = transaction sets, IEA01 = groups
SELECT length(split_part(t, E'\n', 1)) AS isa_length,
       (SELECT e[11] || e[16] FROM pg_temp.x12(t) WHERE id = 'ISA') AS repetition_component,
       (SELECT e[13] FROM pg_temp.x12(t) WHERE id = 'ISA') = (SELECT e[2] FROM pg_temp.x12(t) WHERE id = 'IEA') AS isa13_is_iea02,
       (SELECT e[13]::bigint FROM pg_temp.x12(t) WHERE id = 'ISA') = (SELECT e[6]::bigint FROM pg_temp.x12(t) WHERE id = 'GS') AS isa13_is_gs06,
       (SELECT e[6] FROM pg_temp.x12(t) WHERE id = 'GS') = (SELECT e[2] FROM pg_temp.x12(t) WHERE id = 'GE') AS gs06_is_ge02,
       (SELECT e[1]::int FROM pg_temp.x12(t) WHERE id = 'GE') = (SELECT count(*) FROM pg_temp.x12(t) WHERE id = 'ST') AS ge01_counts_st,
       (SELECT e[1]::int FROM pg_temp.x12(t) WHERE id = 'IEA') = (SELECT count(*) FROM pg_temp.x12(t) WHERE id = 'GS') AS iea01_counts_gs
  FROM claim_files WHERE name = 'test';
-- each transaction set: SE01 counts its segments ST..SE, SE02 = ST02, ST03 the version
SELECT st.e[2] AS st02, se.e[2] AS se02, se.e[1]::int AS se01, se.pos - st.pos + 1 AS segments, st.e[3] AS version
  FROM claim_files f, pg_temp.x12(f.t) st
  JOIN LATERAL (SELECT * FROM pg_temp.x12(f.t) s WHERE s.id = 'SE' AND s.pos > st.pos ORDER BY s.pos LIMIT 1) se ON true
 WHERE f.name = 'test' AND st.id = 'ST';
-- hierarchy: HL ids count up from 1 in a transaction set, parents come first; a
-- subscriber (22) has children (HL04 1) exactly when a patient (23) follows
SELECT h.e[1] AS hl, h.e[2] AS parent, h.e[3] AS level, h.e[4] AS children,
       (SELECT p.e[3] FROM pg_temp.x12_claims(f.t) p WHERE p.id = 'HL' AND p.e[1] = h.e[2] AND p.st = h.st AND p.pos < h.pos) AS parent_level,
       h.e[4] = CASE WHEN EXISTS (SELECT FROM pg_temp.x12_claims(f.t) c WHERE c.id = 'HL' AND c.e[2] = h.e[1] AND c.st = h.st)
                     THEN '1' ELSE '0' END AS children_right
  FROM claim_files f, pg_temp.x12_claims(f.t) h
 WHERE f.name = 'test' AND h.id = 'HL' ORDER BY h.pos;
-- claims: CLM02 is the sum of the lines' SV102; one HI, 12 codes at most, the principal ABK and
-- the others ABF; every SV107 pointer (1-4 of them) at one of the claim's HI codes
SELECT clm.e[1] AS clm01, clm.e[2] AS clm02,
       (SELECT sum(split_part(s.e[2], '*', 1)::numeric) FROM pg_temp.x12_claims(f.t) s WHERE s.id = 'SV1' AND s.clm = clm.clm) AS sum_sv102,
       (SELECT count(*) FROM pg_temp.x12_claims(f.t) s WHERE s.id = 'HI' AND s.clm = clm.clm) AS hi_segments,
       (SELECT cardinality(s.e) FROM pg_temp.x12_claims(f.t) s WHERE s.id = 'HI' AND s.clm = clm.clm) AS hi_codes,
       (SELECT bool_and(split_part(c, ':', 1) = CASE WHEN o = 1 THEN 'ABK' ELSE 'ABF' END)
          FROM pg_temp.x12_claims(f.t) s, unnest(s.e) WITH ORDINALITY AS u(c, o) WHERE s.id = 'HI' AND s.clm = clm.clm) AS abk_then_abf,
       (SELECT bool_and(string_to_array(s.e[7], ':')::int[] <@ (SELECT array_agg(i) FROM generate_series(1, 12) i)
                        AND (SELECT max(p::int) FROM unnest(string_to_array(s.e[7], ':')) p)
                            <= (SELECT cardinality(h.e) FROM pg_temp.x12_claims(f.t) h WHERE h.id = 'HI' AND h.clm = clm.clm)
                        AND cardinality(string_to_array(s.e[7], ':')) BETWEEN 1 AND 4)
          FROM pg_temp.x12_claims(f.t) s WHERE s.id = 'SV1' AND s.clm = clm.clm) AS pointers_at_hi,
       (SELECT string_agg(s.e[7], ' ' ORDER BY s.pos) FROM pg_temp.x12_claims(f.t) s WHERE s.id = 'SV1' AND s.clm = clm.clm) AS sv107
  FROM claim_files f, pg_temp.x12_claims(f.t) clm
 WHERE f.name = 'test' AND clm.id = 'CLM' ORDER BY clm.pos;
-- drug lines: LIN*N4 with an 11-digit NDC (5-4-2, no hyphens) right after the line's DTP*472
-- (or its REF), then CTP with quantity and unit
SELECT lin.clm, lin.e[2] AS qualifier, lin.e[3] AS ndc, lin.e[3] ~ '^[0-9]{11}$' AS eleven_digits,
       (SELECT string_agg(p.id, ' ' ORDER BY p.pos) FROM pg_temp.x12_claims(f.t) p
         WHERE p.pos BETWEEN lin.pos - 3 AND lin.pos + 1) AS around,
       ctp.e[4] AS quantity, ctp.e[5] AS unit
  FROM claim_files f, pg_temp.x12_claims(f.t) lin
  JOIN pg_temp.x12_claims((SELECT t FROM claim_files WHERE name = 'test')) ctp ON ctp.pos = lin.pos + 1
 WHERE f.name = 'test' AND lin.id = 'LIN' ORDER BY lin.pos;
-- authorizations: claim level when it covers every line (901), line level when it covers some (902)
SELECT r.clm, r.e[1] AS qualifier, r.e[2] AS number,
       (SELECT p.id FROM pg_temp.x12_claims(f.t) p WHERE p.pos = r.pos - 1) AS after
  FROM claim_files f, pg_temp.x12_claims(f.t) r
 WHERE f.name = 'test' AND r.id = 'REF' AND r.e[1] IN ('G1', '9F') ORDER BY r.pos;

-- a draft may have a gap in its diagnoses (the scrubber refuses it when finalizing): its preview
-- letters them A, B and points line 2 (LX 1) at B for seq 3
SELECT claim_json(906)->'diagnoses' AS box21, claim_json(906)->'lines'->0->'pointers' AS box24e,
       claim_json(906)->'lines'->0->'line' AS line;

-- ---- the shipped samples' structure ----------------------------------------
\set s1 `cat test/data/x12/demo.example1.837`
\set s2 `cat test/data/x12/demo.drug.example10.1.837`
INSERT INTO claim_files VALUES ('sample', :'s1'), ('drug sample', :'s2');
-- the samples read back like ours: envelopes agree with their counts
SELECT name, (SELECT e[1]::int FROM pg_temp.x12(t) WHERE id = 'SE')
             = (SELECT max(pos) FILTER (WHERE id = 'SE') - max(pos) FILTER (WHERE id = 'ST') + 1 FROM pg_temp.x12(t)) AS se01_right
  FROM claim_files ORDER BY name;
-- which elements each kind of segment fills, ours against the samples' (the samples use the
-- ICD-9 qualifiers BK/BF; same shape otherwise)
WITH shapes AS (
  SELECT f.name, s.id || CASE WHEN s.id IN ('NM1', 'REF', 'DTP', 'PRV', 'PER') THEN '*' || s.e[1] WHEN s.id = 'HL' THEN '*' || s.e[3]
                              WHEN s.id = 'SBR' THEN '*' || coalesce(nullif(s.e[2], ''), 'other') ELSE '' END AS segment,
         pg_temp.filled(s.e) AS filled
    FROM claim_files f, pg_temp.x12(f.t) s
)
SELECT segment, (SELECT string_agg(DISTINCT filled::text, ' ') FROM shapes x WHERE x.segment = s.segment AND x.name = 'test') AS ours,
       (SELECT string_agg(DISTINCT filled::text, ' ') FROM shapes x WHERE x.segment = s.segment AND x.name <> 'test') AS samples
  FROM (SELECT DISTINCT segment FROM shapes) s
 WHERE segment IN (SELECT segment FROM shapes WHERE name = 'test')
   AND segment IN (SELECT segment FROM shapes WHERE name <> 'test')
 ORDER BY segment;

-- ---- claim_json: the same fields, as the CMS-1500 boxes ----------------------
SELECT jsonb_pretty(claim_json(901));
-- box by box it agrees with the 837P: total (28 / CLM02), pointers (24E / SV107), NDC (24 shaded / LIN03)
SELECT j->>'total_charge' AS box28, j->'lines'->0->'pointers' AS line1_24e, j->'lines'->1->'drug'->>'ndc' AS line2_ndc,
       j->>'prior_authorization' AS box23, j->'lines'->1->>'authorization' AS line2_authorization
  FROM unnest('{901,902}'::bigint[]) e, claim_json(e) j;
SELECT claim_json(999999);
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- ---- refusals: nothing is written, nothing changes --------------------------
\set env '''SUBMITTER1'', ''Associates in Medicine'', ''RECEIVER1'', ''XYZ Receiver'', ''Bud Holly'', ''8017268899'''
SELECT claim_837p('{901,904}', :env);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT claim_837p('{901,999999}', :env);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT claim_837p('{905}', :env);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT claim_837p('{901,901}', :env);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT claim_837p('{}', :env);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT claim_837p('{901,NULL}', :env);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT claim_837p('{901}', :env, usage_indicator => 'X');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT claim_837p('{901}', 'SUBMITTER-ID-TOO-LONG', 'A', 'B', 'C', 'D', '8017268899');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT claim_837p('{901}', 'S*1', 'A', 'B', 'C', 'D', '8017268899');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT claim_837p('{901}', 'S1', 'A', 'B', 'C', 'D', '555-1234');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT claim_837p('{901}', 'S1', NULL, 'B', 'C', 'D', '8017268899');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT claim_837p('{901}', :env, 'T', 'infinity');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- a value holding a separator (ISA16 ':' in an address), a billing provider without tax id,
-- a payer without payer id: named by encounter, segment and element
UPDATE patients SET address_line2 = 'Apt 4: rear' WHERE id = 901;
SELECT claim_837p('{902,901}', :env);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
UPDATE patients SET address_line2 = NULL WHERE id = 901;
UPDATE claim_providers SET tax_id = NULL WHERE npi = '1234567893';
SELECT claim_837p('{901}', :env);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
UPDATE claim_providers SET tax_id = '587654321' WHERE npi = '1234567893';
UPDATE payers SET x12_payer_id = NULL WHERE id = 902;
SELECT claim_837p('{901}', :env);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
UPDATE payers SET x12_payer_id = 'SMNV0' WHERE id = 902;
-- a patient without an address; a referring provider known by NPI only
UPDATE patients SET address_line1 = NULL WHERE id = 902;
SELECT claim_837p('{902}', :env);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
UPDATE patients SET address_line1 = '236 N Main St' WHERE id = 902;
DELETE FROM claim_providers WHERE npi = '1003000126'::npi;
SELECT claim_837p('{901}', :env);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO claim_providers (npi, entity_type, name, given_name) VALUES ('1003000126', 'person', 'Referrer', 'Rita');
SELECT id, status FROM encounters WHERE id BETWEEN 901 AND 905 ORDER BY id;

-- ---- privileges: the biller sends claims, the front desk does not ------------
CREATE ROLE regress_claim_biller IN ROLE patsvc_biller;
CREATE ROLE regress_claim_desk IN ROLE patsvc_front_desk;
SET ROLE regress_claim_desk;
SELECT claim_json(901);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT claim_837p('{901}', :env);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) FROM claim_providers;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET ROLE;

-- ---- production mode (as the biller): final encounters become submitted ------
-- control numbers: one per interchange, from the sequence, whatever the mode
SELECT (SELECT e[13]::bigint FROM pg_temp.x12(t) WHERE id = 'ISA') AS isa13 FROM claim_files WHERE name = 'test' \gset
SET ROLE regress_claim_biller;
SELECT claim_json(901)->>'total_charge' AS biller_reads_json;
SELECT (SELECT e[13]::bigint FROM pg_temp.x12(claim_837p('{901,902}', :env, 'P', '2020-11-06 09:00Z')) WHERE id = 'ISA')
       - :isa13 > 0 AS next_control_number,
       (SELECT e[15] FROM pg_temp.x12(claim_837p('{903}', :env, 'T')) WHERE id = 'ISA') AS test_usage;
RESET ROLE;
SELECT id, status FROM encounters WHERE id BETWEEN 901 AND 903 ORDER BY id;
-- sent already: refused, unless resent (a resent claim stays submitted, a final one among them becomes submitted)
SELECT claim_837p('{901}', :env, 'P');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT (SELECT count(*) FROM pg_temp.x12(claim_837p('{901,903}', :env, 'P', resend => true)) WHERE id = 'CLM') AS claims_resent;
SELECT id, status FROM encounters WHERE id BETWEEN 901 AND 903 ORDER BY id;

-- ---- cleanup ------------------------------------------------------------------
DROP ROLE regress_claim_biller, regress_claim_desk;
SET session_replication_role = replica;
DELETE FROM consents;
DELETE FROM ledger_entries;  -- append-only (posted when the encounters became final)
RESET session_replication_role;
SET client_min_messages = warning;
TRUNCATE encounters, claim_providers, authorizations, referrals, coverages, payers, consents, patients, providers CASCADE;
RESET client_min_messages;
DELETE FROM hcpcs_release WHERE release = '2020';
DELETE FROM icd10cm_release WHERE release = 'FY2021';
