-- The payments ledger (billing): charges posted when an encounter becomes
-- final, payer payments, adjustments (CARC), transfers of responsibility,
-- patient payments and credits, refunds, reversals, the append-only guard,
-- balances, the statement, aging, every error, privileges.
SET search_path = public, patsvc;
\set VERBOSITY default
\set SHOW_CONTEXT never
SET TimeZone = 'UTC';
-- a refused statement: its SQLSTATE, message and hint (nothing is posted)
CREATE FUNCTION pg_temp.fails(stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  msg text;
  hint text;
BEGIN
  EXECUTE stmt;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT;
  RETURN SQLSTATE || ': ' || msg || CASE WHEN hint <> '' THEN E'\nHINT: ' || hint ELSE '' END;
END $$;

\i test/lib/billing_setup.sql
-- the same code set samples in force around today, so that encounters of the
-- last months pass the scrubber (aging counts days back from today)
SET client_min_messages = warning;
\encoding WIN1252
SELECT import_hcpcs('now', current_date - 400, current_date + 400, :'bl_h') > 0 AS hcpcs_now;
\encoding UTF8
SELECT import_icd10cm_order('now', current_date - 400, current_date + 400, :'bl_i') > 0 AS icd10cm_now;
RESET client_min_messages;
-- Dee pays for herself (a self-pay coverage), Eve is registered twice
INSERT INTO patients (id, name) VALUES (4, 'Dee'), (5, 'Eve');
INSERT INTO payers (id, name, payer_type) VALUES (3, 'Self pay', 'self_pay');
INSERT INTO coverages (id, patient_id, payer_id, valid, priority) VALUES (4, 4, 3, '[2020-01-01,)', 1);
SELECT record_consent(3, 'treatment', '2020-01-05 15:00Z') IS NOT NULL AS cid_consent,
       record_consent(4, 'treatment', '2020-01-05 15:00Z') IS NOT NULL AS dee_consent;
-- encounters (the superbill): Ann's visit 45 days ago billed to Medicare
-- (coverage 1: the payer's responsibility), Dee's visit 100 days ago
-- (self-pay: the patient's), Bob's visit today (Acme)
INSERT INTO encounters (id, patient_id, service_date, rendering_npi, billing_npi, place_of_service, coverage_id) VALUES
  (1, 1, current_date - 45, '1234567893', '1234567893', '11', 1),
  (2, 4, current_date - 100, '1234567893', '1234567893', '11', 4),
  (3, 2, current_date, '1234567893', '1234567893', '11', 2);
INSERT INTO encounter_diagnoses (encounter_id, seq, code) VALUES (1, 1, 'R05'), (2, 1, 'R05'), (3, 1, 'R05');
INSERT INTO encounter_lines (encounter_id, line, code, pointers, units, charge) VALUES
  (1, 1, '99213', '{1}', 1, 150.00), (1, 2, 'G0008', '{1}', 1, 20.00),
  (2, 1, '99212', '{1}', 1, 90.00),
  (3, 1, '99214', '{1}', 1, 200.00);

-- ---- charges: posted when the encounter becomes final ------------------------
SELECT finalize_encounter(1) IS NOT NULL AS finalized;
SELECT id, patient_id, encounter_id, kind, responsibility, amount, patient_change, payer_change,
       entry_date = current_date AS today, posted_by = session_user AS by_me
  FROM ledger_entries ORDER BY id;
SELECT * FROM encounter_balance(1);
-- once: a second posting, a draft, an unknown encounter
SELECT pg_temp.fails($$SELECT post_charges(1)$$);
SELECT pg_temp.fails($$SELECT post_charges(2)$$);
SELECT pg_temp.fails($$SELECT post_charges(99)$$);
SELECT finalize_encounter(2) IS NOT NULL AS finalized;   -- self-pay: the patient's
SELECT * FROM encounter_balance(2);

-- ---- the payer pays, writes off, and moves the rest to the patient -------------
SELECT post_payer_payment(1, 100.00, 'TRN-835-0001') AS payer_paid;
SELECT post_adjustment(1, 40.00, 'CO', '45', note => 'contractual write-off') AS written_off;
SELECT transfer_responsibility(1, 30.00, 'patient', 'PR', '2') AS coinsurance_to_patient;
SELECT * FROM encounter_balance(1);
-- the patient pays more than owed: the rest is a credit, not lost
SELECT post_patient_payment(1, 45.00, 'card', 'AUTH-123', encounter => 1) AS ann_paid \gset
SELECT * FROM encounter_balance(1);
SELECT * FROM patient_balance(1);
-- money on account (no encounter): a credit too
SELECT post_patient_payment(1, 20.00, 'cash') AS on_account \gset
SELECT * FROM patient_balance(1);

-- ---- refunds: of a payment, at most what is left of it -------------------------
SELECT post_refund(:ann_paid, 10.00, 'card', 'REFUND-1') AS refund \gset
SELECT amount, refund_of = :ann_paid AS of_the_payment, patient_change FROM ledger_entries WHERE id = :refund;
SELECT pg_temp.fails(format('SELECT post_refund(%s, 35.01, ''card'')', :ann_paid));        -- 35.00 left: PS662
SELECT post_refund(:ann_paid, 35.00, 'check') AS rest_refunded \gset
SELECT pg_temp.fails(format('SELECT post_refund(%s, 0.01, ''card'')', :ann_paid));         -- nothing left
SELECT pg_temp.fails($$SELECT post_refund(1, 5.00, 'card')$$);                 -- a charge is not a payment: PS663
SELECT pg_temp.fails($$SELECT post_refund(9999, 5.00, 'card')$$);              -- PS664
SELECT pg_temp.fails(format('SELECT post_refund(%s, -5.00, ''card'')', :ann_paid));        -- PS661
SELECT * FROM encounter_balance(1);

-- ---- reversals: corrections, once, never of a reversal ------------------------
SELECT pg_temp.fails(format('SELECT reverse_entry(%s, ''posted to the wrong patient'')', :ann_paid));   -- refunds standing: PS665
SELECT reverse_entry(:rest_refunded, 'check not sent') AS unrefund \gset
-- the reversed refund is refundable again
SELECT post_refund(:ann_paid, 35.00, 'card') IS NOT NULL AS refunded_again;
SELECT pg_temp.fails(format('SELECT reverse_entry(%s, ''again'')', :rest_refunded));        -- reversed already: PS665
SELECT pg_temp.fails(format('SELECT reverse_entry(%s, ''undo'')', :unrefund));              -- a reversal: PS665
SELECT pg_temp.fails(format('SELECT reverse_entry(%s, ''  '')', :on_account));              -- no reason: 22023
SELECT reverse_entry(:on_account, 'check returned') AS bounced \gset
SELECT kind, amount, reverses = :on_account AS reverses_it, note, patient_change FROM ledger_entries WHERE id = :bounced;
SELECT pg_temp.fails(format('SELECT post_refund(%s, 1.00, ''cash'')', :on_account));        -- a reversed payment has nothing left: PS662
SELECT * FROM patient_balance(1);

-- ---- the rules on amounts, codes and references --------------------------------
SELECT pg_temp.fails($$SELECT post_patient_payment(1, -20.00, 'cash')$$);       -- PS661: a payment is never negative
SELECT pg_temp.fails($$SELECT post_patient_payment(1, 0, 'cash')$$);            -- PS661
SELECT pg_temp.fails($$SELECT post_patient_payment(1, 10.005, 'cash')$$);       -- 22P02: fractions of a cent
SELECT pg_temp.fails($$SELECT post_patient_payment(1, 'NaN', 'cash')$$);        -- 22P02
SELECT pg_temp.fails($$SELECT post_patient_payment(1, 1e10, 'cash')$$);         -- 22P02: beyond numeric(12,2)
SELECT pg_temp.fails($$SELECT post_patient_payment(1, NULL, 'cash')$$);         -- 22023
SELECT pg_temp.fails($$SELECT post_patient_payment(1, 5.00, 'bitcoin')$$);      -- 22P02
SELECT pg_temp.fails($$SELECT post_patient_payment(1, 5.00, NULL)$$);           -- 22023
SELECT pg_temp.fails($$SELECT post_patient_payment(42, 5.00, 'cash')$$);        -- PS664
SELECT pg_temp.fails($$SELECT post_patient_payment(2, 5.00, 'cash', encounter => 1)$$);   -- PS664: not Bob's encounter
SELECT pg_temp.fails($$SELECT post_patient_payment(1, 5.00, 'cash', encounter => 99)$$);  -- PS607
SELECT pg_temp.fails($$SELECT post_payer_payment(3, 50.00)$$);                  -- PS666: no charge posted (a draft)
SELECT pg_temp.fails($$SELECT post_payer_payment(1, 0.00)$$);                   -- PS661
SELECT pg_temp.fails($$SELECT post_adjustment(1, 5.00, 'PR', '1')$$);           -- PS670: a transfer, not a write-off
SELECT pg_temp.fails($$SELECT post_adjustment(1, 5.00, 'XX', '45')$$);          -- 22P02
SELECT pg_temp.fails($$SELECT post_adjustment(1, 5.00, 'CO', '45x')$$);         -- 22P02
SELECT pg_temp.fails($$SELECT post_adjustment(1, 5.00, 'CO', NULL)$$);          -- 22P02
SELECT pg_temp.fails($$SELECT post_adjustment(1, 5.00, 'CO', '45', 'insurer')$$);   -- 22P02: responsibility
SELECT pg_temp.fails($$SELECT post_adjustment(1, 0.01, 'CO', '45')$$);          -- PS668: the payer owes nothing any more
SELECT pg_temp.fails($$SELECT post_adjustment(2, 90.01, 'OA', '23', 'patient')$$);  -- PS668: the patient owes 90.00
SELECT pg_temp.fails($$SELECT transfer_responsibility(2, 90.01, 'payer')$$);    -- PS668
SELECT pg_temp.fails($$SELECT transfer_responsibility(1, 5.00, 'patient', 'PR', NULL)$$);   -- 22P02
SELECT pg_temp.fails($$SELECT transfer_responsibility(1, -5.00)$$);             -- PS661

-- ---- append-only -------------------------------------------------------------
SELECT pg_temp.fails($$UPDATE ledger_entries SET amount = 1000 WHERE id = 1$$);
SELECT pg_temp.fails($$UPDATE ledger_entries SET note = 'fixed' WHERE id = 1$$);
SELECT pg_temp.fails($$DELETE FROM ledger_entries WHERE id = 1$$);
SELECT pg_temp.fails($$TRUNCATE ledger_entries$$);
SELECT count(*) AS entries, sum(amount) AS amounts FROM ledger_entries;

-- ---- voiding an encounter reverses its charge; payments stay, as a credit ------
SELECT set_encounter_status(2, 'void');
SELECT kind, amount, note FROM ledger_entries WHERE encounter_id = 2 ORDER BY id;
SELECT * FROM encounter_balance(2);
SELECT pg_temp.fails($$SELECT post_charges(2)$$);                               -- void: PS666

-- ---- the statement --------------------------------------------------------------
SELECT post_patient_payment(4, 12.50, 'check', '1042', encounter => 2) AS paid_on_void \gset
SELECT encounter_id, current_date - service_date AS days_ago, charged, payer_paid, adjusted, transferred_to_patient,
       patient_paid, refunded, payer_due, patient_due
  FROM patient_statement(1);
SELECT sum(patient_due) AS ann_owes FROM patient_statement(1);
SELECT (patient_balance(1)).patient_due AS same_as_balance;
-- Dee paid on the voided visit: a credit
SELECT encounter_id, current_date - service_date AS days_ago, charged, patient_paid, patient_due FROM patient_statement(4);
SELECT * FROM patient_statement(1, current_date - 1);   -- nothing posted yet then
SELECT pg_temp.fails($$SELECT * FROM patient_statement(42)$$);                   -- PS664
SELECT pg_temp.fails($$SELECT * FROM patient_statement(1, 'infinity')$$);        -- 22023

-- ---- aging ----------------------------------------------------------------------
SELECT finalize_encounter(3) IS NOT NULL AS bob_finalized;
INSERT INTO encounters (id, patient_id, service_date, rendering_npi, billing_npi, place_of_service, coverage_id)
VALUES (4, 3, current_date - 75, '1234567893', '1234567893', '11', 3);
INSERT INTO encounter_diagnoses (encounter_id, seq, code) VALUES (4, 1, 'R05');
INSERT INTO encounter_lines (encounter_id, line, code, pointers, units, charge) VALUES (4, 1, '99213', '{1}', 1, 150.00);
SELECT finalize_encounter(4) IS NOT NULL AS cid_finalized;
SELECT transfer_responsibility(4, 25.00, 'patient', 'PR', '1') AS cid_deductible;
SELECT * FROM ledger_aging();
SELECT * FROM ledger_aging(current_date + 20);   -- 20 days on, Bob's visit is still current, Cid's is over 90
SELECT pg_temp.fails($$SELECT * FROM ledger_aging('-infinity')$$);        -- 22023

-- ---- the copay at check-in ------------------------------------------------------
-- Ann's visit at 09:00 today in Boston; her Medicare verification for that day says a 10.00 copay
SELECT (now() AT TIME ZONE 'America/New_York')::date AS visit_day \gset
SELECT book(1, 1, (:'visit_day'::date + time '09:00') AT TIME ZONE 'America/New_York', 'visit') AS visit \gset
SELECT expected_copay(:visit) AS before_any_verification;
SELECT (record_eligibility_manual(1, :'visit_day', true, 'front desk', copay => 10.00)).active AS verified;
SELECT expected_copay(:visit) AS expected;
SELECT set_status(:visit, 'checked-in');
SELECT entry_id IS NOT NULL AS posted, expected_copay, collected FROM collect_copay(:visit, 15.00, 'card', 'AUTH-9');
SELECT kind, responsibility, amount, expected_copay, appointment_id = :visit AS for_visit, encounter_id, method, reference
  FROM ledger_entries WHERE kind = 'copay';
-- the visit's encounter, once started, counts the copay (encounters above were written with their ids)
SELECT setval(pg_get_serial_sequence('patsvc.encounters', 'id'), 100) AS encounters_from_101;
SELECT start_encounter(:visit) AS visit_enc \gset
INSERT INTO encounter_diagnoses (encounter_id, seq, code) VALUES (:visit_enc, 1, 'R05');
INSERT INTO encounter_lines (encounter_id, line, code, pointers, units, charge) VALUES (:visit_enc, 1, '99213', '{1}', 1, 120.00);
SELECT * FROM encounter_balance(:visit_enc);              -- a draft: only the copay, a credit
SELECT finalize_encounter(:visit_enc) IS NOT NULL AS finalized;
SELECT * FROM encounter_balance(:visit_enc);
-- 5.00 collected too much: given back, and the refund counts for the visit too
SELECT post_refund((SELECT id FROM ledger_entries WHERE kind = 'copay'), 5.00, 'card') IS NOT NULL AS refunded;
SELECT * FROM encounter_balance(:visit_enc);
SELECT encounter_id = :visit_enc AS the_visit, patient_paid, refunded, patient_due, payer_due
  FROM patient_statement(1) WHERE encounter_id = :visit_enc;
-- no copay for a visit that does not take place; the amount rules hold
SELECT book(1, 1, (current_date + 2) + time '15:00', 'visit') AS cancelled_visit \gset
SELECT cancel(:cancelled_visit, 'patient called');
SELECT pg_temp.fails(format('SELECT * FROM collect_copay(%s, 10.00, ''cash'')', :cancelled_visit));   -- PS669
SELECT pg_temp.fails(format('SELECT * FROM collect_copay(%s, -10.00, ''cash'')', :visit));            -- PS661
SELECT pg_temp.fails($$SELECT * FROM collect_copay(424242, 10.00, 'cash')$$);                       -- PS664
SELECT pg_temp.fails($$SELECT expected_copay(424242)$$);                                           -- PS664
SELECT pg_temp.fails($$SELECT * FROM encounter_balance(424242)$$);                                 -- PS607

-- ---- privileges -----------------------------------------------------------------
CREATE ROLE regress_ledger_desk IN ROLE patsvc_front_desk;
CREATE ROLE regress_ledger_biller IN ROLE patsvc_biller;
SET ROLE regress_ledger_desk;
SELECT post_patient_payment(2, 15.00, 'cash') IS NOT NULL AS desk_took_payment;
SELECT expected_copay(:visit) AS desk_sees_copay;
SELECT (patient_balance(2)).patient_due AS bob_credit;
SELECT pg_temp.fails($$SELECT count(*) FROM ledger_entries$$);                  -- 42501
SELECT pg_temp.fails($$SELECT post_adjustment(3, 5.00, 'CO', '45')$$);          -- 42501
SELECT pg_temp.fails($$SELECT ledger_aging()$$);                                -- 42501
RESET ROLE;
SET ROLE regress_ledger_biller;
SELECT post_adjustment(3, 5.00, 'CO', '45') IS NOT NULL AS biller_adjusted;
SELECT count(*) > 0 AS biller_reads FROM ledger_entries;
SELECT pg_temp.fails($$INSERT INTO ledger_entries (patient_id, kind, responsibility, amount, entry_date, method)
                       VALUES (2, 'patient_payment', 'patient', 5, current_date, 'cash')$$);   -- 42501: only through the functions
RESET ROLE;
DROP ROLE regress_ledger_desk, regress_ledger_biller;

-- ---- a merge moves a duplicate's entries to the patient kept ------------------------
SELECT post_patient_payment(5, 7.00, 'cash') AS eve_paid \gset
SELECT merge_patients(2, 5, 'same person') IS NOT NULL AS merged;
SELECT patient_id FROM ledger_entries WHERE id = :eve_paid;
SELECT pg_temp.fails($$SELECT post_patient_payment(5, 1.00, 'cash')$$);         -- PS422: merged

-- nothing of this file stays behind (billing_cleanup empties the ledger with
-- session_replication_role = replica, as restores write it: the guard does not fire)
SET session_replication_role = replica;
DELETE FROM patient_merges;
RESET session_replication_role;
\i test/lib/billing_cleanup.sql
SET client_min_messages = warning;
TRUNCATE ledger_locks, patient_changes, patient_merges RESTART IDENTITY;
RESET client_min_messages;
SELECT setval('patsvc.patient_mrn_seq', 1, false) AS mrn_reset;
