\echo
\echo '=== 7b. Billing: the clinic day''s claim, as the CMS-1500 boxes and as an X12 837P ==='
SET search_path = public, patsvc;
SET TimeZone = 'UTC';
SET datestyle = ISO, YMD;
-- The practice's billing identity, once (837P 2010AA and box 33: name, tax id, a street address
-- with a 9-digit ZIP); claims of a billing NPI without it are refused (PS642)
INSERT INTO claim_providers (npi, entity_type, name, tax_id, taxonomy, address_line1, city, state, zip)
SELECT DISTINCT e.billing_npi, 'organization', 'Harbor Family Practice', '043219876', '207Q00000X',
       '100 Harbor St', 'Boston', 'MA', '021101234'
  FROM encounters e WHERE e.status = 'final'
ON CONFLICT (npi) DO NOTHING;
-- The encounter finalized at check-out (demo/70-billing.sql)
SELECT id AS encounter FROM encounters WHERE status = 'final' ORDER BY finalized_at DESC, id DESC LIMIT 1 \gset
-- A claim needs the patient's full registration (name, date of birth, address: 837P 2010BA);
-- Ann was booked under a display name only, so the claim is refused before anything is written
SELECT claim_837p(ARRAY[:encounter], 'HARBORFP', 'Harbor Family Practice', 'CLEARHOUSE01', 'Clearing House Inc',
                  'Dana Biller', '6175550100', 'T');
-- The front desk completes her registration from her Medicare card and intake form
SELECT update_patient(e.patient_id, '{"family_name": "Lee", "given_name": "Ann", "birth_date": "1948-04-12",
                      "sex": "female", "address_line1": "12 Beacon St", "city": "Boston", "state": "MA",
                      "zip": "02108"}')
  FROM encounters e WHERE e.id = :encounter;
SELECT p.mrn, p.family_name, p.given_name, p.birth_date, p.city, p.state
  FROM patients p JOIN encounters e ON e.patient_id = p.id WHERE e.id = :encounter;
-- Its claim box by box: insured, patient, diagnoses A-L, lines with pointer letters and NDC, totals
SELECT jsonb_pretty(claim_json(:encounter)) AS cms1500;
-- The same claim as an 837P test interchange (ISA15 T): the clearinghouse's test channel; nothing changes
\pset format unaligned
\pset tuples_only on
SELECT claim_837p(ARRAY[:encounter], 'HARBORFP', 'Harbor Family Practice', 'CLEARHOUSE01', 'Clearing House Inc',
                  'Dana Biller', '6175550100', 'T');
\pset format aligned
\pset tuples_only off
-- Sent for real (ISA15 P): the encounter becomes submitted, and is not sent twice by mistake
SELECT length(claim_837p(ARRAY[:encounter], 'HARBORFP', 'Harbor Family Practice', 'CLEARHOUSE01', 'Clearing House Inc',
                         'Dana Biller', '6175550100', 'P')) > 0 AS sent;
SELECT id, status FROM encounters WHERE id = :encounter;
SELECT claim_837p(ARRAY[:encounter], 'HARBORFP', 'Harbor Family Practice', 'CLEARHOUSE01', 'Clearing House Inc',
                  'Dana Biller', '6175550100', 'P');
