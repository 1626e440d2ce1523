\echo
\echo '=== 1. Morning: the biller types codes; the database checks their shape ==='
SET search_path = public, patsvc;
-- Well-formed codes in any case and spacing come out canonical
SELECT 'e119'::icd10cm AS dx, ' t360x1a '::icd10cm AS poisoning, 'j1100'::hcpcs AS drug;
-- A trailing dot is a typo a claim scrubber would bounce: refused here, with the rule and the form
SELECT 'I10.'::icd10cm;
-- is_valid_* answers without raising, for screens that validate as you type
SELECT v, is_valid_icd10cm(v) FROM (VALUES ('E11.9'), ('E1'), ('1A00')) AS t(v);
