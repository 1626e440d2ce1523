\echo
\echo '=== 7c. Payments: the copay at check-in, a remittance, the balance ==='
SET search_path = public, patsvc;
SET TimeZone = 'UTC';
SET DateStyle = ISO;
-- Margaret checks in for her visit of 2027-03-18: the front desk sees the copay her plan's 271
-- said (10.00), collects it by card, and it is on the ledger (with what was expected beside it)
SELECT a.id AS margaret_visit, a.patient_id AS margaret FROM appointments a JOIN patients p ON p.id = a.patient_id
 WHERE p.given_name = 'Margaret' AND a.starts_at = '2027-03-18 18:00Z' \gset
SELECT expected_copay(:margaret_visit) AS copay_to_collect;
SELECT entry_id, expected_copay, collected FROM collect_copay(:margaret_visit, 10.00, 'card', 'AUTH 044812');
-- Until her visit is billed the copay is a credit on her account
SELECT * FROM patient_balance(:margaret);

-- Ann's superbill of 2020-11-10 (section 7) was finalized (and sent as a claim in 7b): its charge went to the ledger then,
-- the payer's responsibility (Medicare)
SELECT id AS ann_enc FROM encounters WHERE patient_id = 1 AND service_date = '2020-11-10' AND status IN ('final', 'submitted') \gset
SELECT id, kind, responsibility, amount, entry_date = current_date AS posted_today FROM ledger_entries
 WHERE encounter_id = :ann_enc ORDER BY id;
-- Medicare's remittance (835) for the claim: allowed 48.00, paid 80 % (38.40); the 5.00 above the
-- fee schedule is written off (CO-45, contractual), the 20 % coinsurance (PR-2, 9.60) is Ann's
SELECT post_payer_payment(:ann_enc, 38.40, 'EFT 1512345678') AS payer_payment;
SELECT post_adjustment(:ann_enc, 5.00, 'CO', '45', note => '835 CLP 1: charge exceeds fee schedule') AS write_off;
SELECT transfer_responsibility(:ann_enc, 9.60, 'patient', 'PR', '2') AS coinsurance_to_ann;
-- a patient responsibility is not written off: it moves to the patient (PS670)
SELECT post_adjustment(:ann_enc, 9.60, 'PR', '2');
SELECT * FROM encounter_balance(:ann_enc);
-- Ann pays 20.00 at the desk: 9.60 for this visit, the rest stays as a credit, not lost
SELECT post_patient_payment(1, 20.00, 'cash', encounter => :ann_enc) AS ann_paid \gset
SELECT encounter_id, service_date, charged, payer_paid, adjusted, transferred_to_patient, patient_paid,
       refunded, payer_due, patient_due FROM patient_statement(1, '2030-01-01');
-- the rules: a payment is never negative (a refund is), a refund at most what was paid, the
-- ledger is append-only (a wrong entry is reversed, never edited)
SELECT post_patient_payment(1, -10.40, 'cash');
SELECT post_refund(:ann_paid, 25.00, 'cash');
SELECT post_refund(:ann_paid, 10.40, 'cash', note => 'credit returned') AS refund;
UPDATE ledger_entries SET amount = 0 WHERE id = :ann_paid;
SELECT * FROM encounter_balance(:ann_enc);
-- The office's follow-up: what the patients and the payers owe, by age
SELECT * FROM ledger_aging('2030-01-01');
