\echo
\echo '=== 1. Morning: the biller types codes; the database checks their shape ==='
SET search_path = public, patsvc;
-- Well-formed codes in any case and spacing come out canonical
SELECT 'e119'::icd10cm AS dx, ' t360x1a '::icd10cm AS poisoning, 'j1100'::hcpcs AS drug;
-- A trailing dot is a typo a claim scrubber would bounce: refused here, with the rule and the form
SELECT 'I10.'::icd10cm;
-- is_valid_* answers without raising, for screens that validate as you type
SELECT v, is_valid_icd10cm(v) FROM (VALUES ('E11.9'), ('E1'), ('1A00')) AS t(v);

\echo
\echo '=== 2. The rest of the claim: procedures, modifiers, drugs, providers, the patient ==='
-- Each kind of code has its own type; input is forgiving about case, spaces and separators
SELECT '0dtj4zz'::icd10pcs AS inpatient_proc, '3074f'::cpt AS quality_measure, cpt_category('3074F'),
       'lt'::code_modifier AS side, '1234-5678-90'::ndc AS drug, '1eg4-te5-mk73'::mbi AS medicare_id;
-- NDCs come in three 10-digit layouts; claims need 11 digits, 5-4-2, without hyphens
SELECT v AS on_the_package, v::ndc AS canonical, ndc_to_837(v::ndc) AS sent_on_the_837
FROM (VALUES ('1234-5678-90'), ('12345-678-90'), ('12345-6789-0')) AS t(v);
-- An NPI carries a check digit: a typo is caught, and the hint says which digit would be right
SELECT '1234567890'::npi;
SELECT npi_check_digit('123456789') AS check_digit, '1234567893'::npi AS fixed;
-- Ten digits without hyphens could be any of the three layouts: refused rather than guessed
SELECT '1234567890'::ndc;
-- CPT Category II codes end in F, never a leading letter
SELECT 'F3074'::cpt;
-- MBI letters never include S, L, O, I, B or Z (they look like digits)
SELECT '1EG4TE5ML73'::mbi;
-- ICD-10-PCS leaves out I and O for the same reason
SELECT '0LB5OZZ'::icd10pcs;
-- Where in the book: chapters and sections
SELECT c AS dx, icd10cm_category(c) AS category, icd10cm_chapter(c) AS chapter
FROM (VALUES ('C4A.0'::icd10cm), ('O9A.119'), ('U07.1'), ('S72.001A')) AS t(c);
SELECT '0DTJ4ZZ'::icd10pcs AS proc, icd10pcs_section_name('0DTJ4ZZ') AS section;
-- A bulk load through the text cast validates every row: one bad row and nothing is inserted
CREATE TEMP TABLE demo_claim_line (dx icd10cm, proc cpt, mods code_modifier[], drug ndc, rendering npi);
INSERT INTO demo_claim_line
SELECT * FROM (VALUES ('e11.9', '99213', '{25}'::code_modifier[], '1234-5678-90', '1234567893'),
                      ('I10',   '99214', '{}',                   NULL,           '1234567894')) AS t;
SELECT count(*) AS lines_loaded FROM demo_claim_line;
