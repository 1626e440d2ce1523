-- What a clinic's database does, printed so two databases can be compared
-- (the original and its restored copy, test/ops/ops_dump_restore.sh): every line
-- must be the same.  Changes are made and printed; the caller throws the
-- database away afterwards.  Errors print their SQLSTATE and message only.
\set VERBOSITY sqlstate
\set ON_ERROR_STOP 0
SET search_path = public, patsvc;
SET TimeZone = 'UTC';
SET DateStyle = ISO, YMD;
-- retention: what is kept until when, what is due, who is held
SELECT v.id, s.patient_id, s.anchor_date, s.retain_until, s.held
FROM retention_status('public.visit_notes') s JOIN public.visit_notes v ON v.ctid = s.row_ctid ORDER BY v.id;
SELECT count(*) AS due FROM retention_due('public.visit_notes');
SELECT retained_until('public.visit_notes', 'MRN-300', '2024-05-20');
-- protected rows cannot be deleted or truncated, held or not
DELETE FROM public.visit_notes WHERE id = 4;
DELETE FROM public.visit_notes WHERE id = 1;
TRUNCATE public.visit_notes;
SELECT count(*) AS notes FROM public.visit_notes;
-- the chain of certificates checks out; a new destruction continues it
SELECT * FROM verify_certificates();
SELECT destroy_due('public.visit_notes', authorized_by => 'HIM manager',
                   method => 'deleted') AS next_certificate;
SELECT certificate_id, previous_hash = lag(certificate_hash) OVER (ORDER BY certificate_id) AS chained,
       record_count, archive_table FROM destruction_certificates ORDER BY certificate_id;
SELECT * FROM verify_certificates();
SELECT id FROM public.visit_notes ORDER BY id;
SELECT id FROM public.visit_notes_archive ORDER BY id;
-- holds: the malpractice hold is still in force
SELECT hold_id, patient_id, case_reference, released_at IS NOT NULL AS released FROM retention_holds ORDER BY hold_id;
-- scheduling: the same double booking is refused, hours and time off still known
SELECT book(7, 1, '2027-03-15 13:10Z', 'visit');
SELECT book(7, 1, '2027-03-15 11:30Z', 'visit');
SELECT book(7, 2, '2027-03-17 09:00Z', 'visit');
SELECT book(8, 2, '2027-03-15 10:00Z', 'echo', '{2}');
SELECT book(8, 1, '2027-03-16 15:00Z', 'visit') AS new_booking;
SELECT * FROM free_slots(1, '[2027-03-15 12:00Z, 2027-03-15 16:00Z)', 'visit');
SELECT * FROM next_available('{1,2}', '2027-03-15 14:00Z', 'visit', '{}', 3);
SELECT appointment_id, resource_id, held_from, held_until FROM appointment_resources ORDER BY 1, 2;
SELECT reminder, appointment, channel, due_at FROM claim_due_reminders('2027-03-16 00:00Z', 10);
SELECT cancel(id, 'restored and cancelled') FROM appointments WHERE patient_id = 8;
SELECT count(*) AS offers FROM waitlist_offers;
-- code sets
SELECT icd10cm_billable('R05', '2021-06-01') AS r05_2021, icd10cm_billable('R05', '2022-06-01') AS r05_2022,
       hcpcs_active('A7011', '2020-06-01') AS a7011;
-- consents: in force on dates; check-in refused without consent to treat, allowed with it; evidence kept
SELECT consent_in_force(1, 'treatment', '2027-03-15') AS ann, consent_in_force(3, 'treatment', '2027-03-15') AS cid,
       consent_in_force(1, 'release-of-information', '2027-03-02') AS roi_ended,
       consent_in_force(4, 'telehealth', '2026-03-31') AS tele_before, consent_in_force(4, 'telehealth', '2026-04-01') AS tele_revoked;
SELECT set_status(id, 'checked-in') FROM appointments WHERE patient_id = 3 AND type_id = 1 AND status = 'booked';
SELECT set_status(id, 'checked-in') FROM appointments WHERE patient_id = 1 AND status = 'arrived';
SELECT id, patient_id, consent_type, signed_by, signer_relationship, valid_from, valid_until, revoked_on
FROM consents ORDER BY id;
DELETE FROM consents WHERE patient_id = 1;
SELECT revoke_consent(id, 'again') FROM consents WHERE revoked_at IS NOT NULL;
-- merged duplicates: the MRN resolves to the survivor, a merged patient takes nothing new, the audit is kept
SELECT id, merged_into IS NOT NULL AS merged, patient_by_mrn(mrn) AS mrn_finds FROM patients WHERE family_name = 'Okafor' ORDER BY id;
SELECT survivor, duplicate, reason, moved FROM patient_merges ORDER BY id;
SELECT record_consent(id, 'telehealth', '2026-03-04 09:00Z') FROM patients WHERE merged_into IS NOT NULL;
UPDATE patient_merges SET reason = 'restored';
-- coverage: in force by priority, the verification good for a visit, the same priority twice refused
SELECT id, patient_id, payer_id, member_id, priority FROM coverage_on(3, '2026-06-01');
SELECT coverage_id, source, trace_number, active, copay FROM eligibility_on(1, '2026-03-10');
INSERT INTO coverages (patient_id, payer_id, member_id, valid, priority)
SELECT 1, payer_id, 'X-2', '[2026-06-01,)', 1 FROM coverages WHERE patient_id = 1;
-- booking requirements: the MRI's authorization has one visit left; the second MRI is refused (PS543)
SELECT a.auth_number, a.visits_approved, a.visits_used, r.referral_number, r.visits_used AS referral_used
  FROM authorization_visits a, referral_visits r WHERE a.auth_number = 'ABC-PA-1' AND r.referral_number = 'REF-1';
SELECT book(1, 1, '2027-03-18 13:00Z', 'mri') IS NOT NULL AS mri_booked;
SELECT book(1, 1, '2027-03-19 13:00Z', 'mri');
SELECT count(*) AS mri_records, count(*) FILTER (WHERE NOT given_back) AS in_use FROM appointment_authorizations;
-- encrypted columns read back (in a restored copy: with the key vault imported)
SELECT id, mrn, unseal('public.lab_results', mrn, result) AS result, unseal('public.lab_results', mrn, comment) AS comment
FROM public.lab_results ORDER BY id;
-- the payments ledger: balances as posted, append-only (PS660), refunds bounded (PS662)
SELECT kind, amount, patient_change FROM ledger_entries ORDER BY id;
SELECT b.* FROM patients p, patient_balance(p.id) b WHERE p.given_name = 'Margaret';
UPDATE ledger_entries SET amount = 1 WHERE kind = 'refund';
SELECT post_refund((SELECT min(id) FROM ledger_entries WHERE kind = 'patient_payment'), 25.01, 'check');
-- records: the disclosure and access logs keep their ready-made protection (made by CREATE
-- EXTENSION, not dumped): both guards in place, every way out but destroy_due() refused
SELECT relid, policy_name, anchor_column, protected_at, protected_by FROM protected_tables WHERE ready_made ORDER BY relid::text;
SELECT tgrelid::regclass AS log, tgname, tgenabled FROM pg_trigger
 WHERE tgrelid IN ('patsvc.disclosure_log'::regclass, 'patsvc.access_log'::regclass) AND NOT tgisinternal
 ORDER BY tgrelid::regclass::text, tgname;
DELETE FROM disclosure_log;
DELETE FROM access_log;
SET session_replication_role = replica;
DELETE FROM access_log;
RESET session_replication_role;
TRUNCATE disclosure_log;
SELECT d.patient_id, r.retain_until FROM disclosure_log d
  JOIN retention_status('patsvc.disclosure_log') r ON r.row_ctid = d.ctid ORDER BY d.id;
SELECT destroy_due('patsvc.access_log', authorized_by => 'Privacy Officer', method => 'deleted') AS nothing_due;
SELECT (SELECT count(*) FROM disclosure_log) AS disclosures, (SELECT count(*) FROM access_log) AS accesses;
