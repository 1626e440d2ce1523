-- Record requests (records): the clocks of access (30 days), amendment and
-- accounting (60 days) across month ends and leap years, the one extension
-- and its refusals, the worklists, the answers and their SQLSTATEs, the
-- hold placed at receipt and released by the answer, a destruction run that
-- skips the patient while the request is open, the free accounting, merges.
-- In a database of its own: requests place retention holds and merges write the
-- merge audit, both append-only, which the later files of the shared database
-- (registry, retention) must not see.
SELECT current_database() AS regress_db \gset
SET client_min_messages = warning;
DROP DATABASE IF EXISTS regress_records_requests;
RESET client_min_messages;
CREATE DATABASE regress_records_requests;
\c regress_records_requests
SET client_min_messages = warning;
CREATE EXTENSION patsvc CASCADE;
RESET client_min_messages;
SET search_path = public, patsvc;
\set VERBOSITY default
\set SHOW_CONTEXT never
SET TimeZone = 'UTC';
SET DateStyle = ISO, YMD;

INSERT INTO patients (id, name) VALUES (701, 'Ann Access'), (702, 'Bob Amend'), (703, 'Cy Count'), (704, 'Dee Dup'),
                                       (705, 'Eve Keep');

-- ---- the clocks: calendar days from receipt ------------------------------------------
SELECT receive_access_request(701, '2024-01-31') AS a_leap,                 -- + 30: 2024-03-01 (29 days in Feb)
       receive_access_request(701, '2023-01-31', form => 'paper') AS a_common, -- + 30: 2023-03-02
       receive_amendment_request(702, 'allergy to penicillin is wrong', '2024-02-29') AS m_leap,   -- + 60: 2024-04-29
       receive_accounting_request(703, '2023-12-31') AS c_new_year,          -- + 60: 2024-02-29
       receive_access_request(701, '2025-12-31', scope => 'date_range', scope_dates => '[2025-01-01,2025-07-01)',
                              requester => 'personal_representative', requester_name => 'Lia Access (daughter, POA)')
         AS a_year_end \gset
SELECT id, kind, received_on, first_due_on, due_on, status, requester, scope, form
  FROM record_requests ORDER BY id;
SELECT request_clock_days('access') AS access_days, request_clock_days('amendment') AS amendment_days,
       request_clock_days('accounting') AS accounting_days, request_clock_days('other') AS unknown_kind;

-- ---- the hold: placed at receipt for access and amendment, on every protected record of the patient
SELECT q.id, h.case_reference, h.patient_id, h.reason, h.released_at IS NULL AS active
  FROM record_requests q JOIN retention_holds h ON h.hold_id = ANY (q.hold_ids) ORDER BY q.id;
SELECT count(*) AS accounting_holds FROM retention_holds WHERE case_reference = request_case_reference(:c_new_year);

-- ---- the extension: once, on or before the first due date, at most 30 days after it ----
-- after the first due date: refused
SELECT extend_record_request(:a_leap, '2024-03-20', 'records are in off-site storage', '2024-03-02');
-- the new date must be after the first due date and at most 30 days after it
SELECT extend_record_request(:a_leap, '2024-03-01', 'records are in off-site storage', '2024-02-20');
SELECT extend_record_request(:a_leap, '2024-04-01', 'records are in off-site storage', '2024-02-20');
SELECT extend_record_request(:a_leap, NULL, 'records are in off-site storage', '2024-02-20');
-- a written reason is required; the day is not before receipt nor in the future
SELECT extend_record_request(:a_leap, '2024-03-31', '  ', '2024-02-20');
SELECT extend_record_request(:a_leap, '2024-03-31', 'records are in off-site storage', '2024-01-30');
SELECT extend_record_request(:a_leap, '2024-03-31', 'records are in off-site storage', '2999-01-01');
-- on the first due date itself (the last day of the time limit): allowed, to the last day possible
SELECT extend_record_request(:a_leap, '2024-03-31', 'records are in off-site storage', '2024-03-01') AS new_due;
-- only once
SELECT extend_record_request(:a_leap, '2024-03-30', 'still in storage', '2024-03-01');
-- amendment across the leap day: first due 2024-04-29, at most 2024-05-29
SELECT extend_record_request(:m_leap, '2024-05-30', 'the physician is on leave', '2024-04-01');
SELECT extend_record_request(:m_leap, '2024-05-29', 'the physician is on leave', '2024-04-01') AS new_due;
SELECT id, status, first_due_on, extended_due_on, due_on, extension_reason, extended_on
  FROM record_requests WHERE id IN (:a_leap, :m_leap) ORDER BY id;
-- working on an extended request keeps it marked extended
SELECT start_record_request(:a_leap);
SELECT start_record_request(:a_common);
SELECT id, status FROM record_requests WHERE id IN (:a_leap, :a_common) ORDER BY id;

-- ---- the worklists --------------------------------------------------------------------
-- due from as_of to as_of + within, both days included; overdue strictly before as_of
SELECT id, due_on FROM record_requests_due('2024-02-29', '7 days');
SELECT id, due_on FROM record_requests_due('2024-02-22', '7 days');
SELECT id, due_on FROM record_requests_due('2023-03-02', '0 days');
SELECT id, due_on FROM record_requests_overdue('2023-03-02');
SELECT id, due_on FROM record_requests_overdue('2023-03-03');
SELECT id, due_on FROM record_requests_overdue('2024-04-01');
SELECT count(*) FROM record_requests_due('2024-02-22', '-1 day');

-- ---- answers ------------------------------------------------------------------------------
-- an answer that does not fit the kind (PS704), an unknown request (PS701)
SELECT accept_amendment(:a_common, '2023-02-10');
SELECT fulfill_record_request(:m_leap, '2024-03-10');
SELECT deny_record_request(:c_new_year, 'no ground', answered_on => '2024-01-10');
SELECT deny_record_request(:a_common, 'psychotherapy notes', true, 'I disagree', '2023-02-10');
SELECT deny_record_request(:m_leap, 'accurate and complete', true, answered_on => '2024-03-10');
SELECT fulfill_record_request(999999, '2024-03-10');
-- an access denial says whether review is available; a ground is required
SELECT deny_record_request(:a_common, 'psychotherapy notes', answered_on => '2023-02-10');
SELECT deny_record_request(:a_common, '', false, answered_on => '2023-02-10');
-- answered before receipt or in the future (PS708)
SELECT fulfill_record_request(:a_common, '2023-01-30');
SELECT fulfill_record_request(:a_common, '2999-01-01');
-- denied, with review; the hold is released
SELECT deny_record_request(:a_common, 'information compiled for a legal proceeding (164.524(a)(1)(ii))', false,
                           answered_on => '2023-02-10');
-- a closed request does not change (PS703)
SELECT fulfill_record_request(:a_common, '2023-02-11');
SELECT withdraw_record_request(:a_common, 'patient changed their mind', '2023-02-11');
-- the amendment denied with the statement of disagreement kept
SELECT deny_record_request(:m_leap, 'the record is accurate and complete (164.526(a)(2)(iv))',
                           disagreement => 'I had a rash after amoxicillin in 2019; the allergy is real.',
                           answered_on => '2024-05-20');
-- the representative's request withdrawn
SELECT withdraw_record_request(:a_year_end, '', '2026-01-05');
SELECT withdraw_record_request(:a_year_end, 'the daughter no longer needs the copies', '2026-01-05');
SELECT id, kind, status, answered_on, denial_ground, review_available, disagreement, withdrawn_reason
  FROM record_requests ORDER BY id;
-- every hold of a closed request is released, with the request as the reason
SELECT q.id, h.released_at IS NOT NULL AS released, h.release_reason
  FROM record_requests q JOIN retention_holds h ON h.hold_id = ANY (q.hold_ids) ORDER BY q.id;

-- ---- input checks ----------------------------------------------------------------------
SELECT receive_access_request(799, '2024-01-02');
SELECT receive_access_request(701, '2999-01-01');
SELECT receive_access_request(701, '2024-01-02', requester => 'neighbour');
SELECT receive_access_request(701, '2024-01-02', requester => 'third_party');
SELECT receive_access_request(701, '2024-01-02', scope => 'date_range');
SELECT receive_access_request(701, '2024-01-02', scope => 'record_classes', record_classes => '{}');
SELECT receive_access_request(701, '2024-01-02', form => 'named_format');
SELECT receive_access_request(701, '2024-01-02', form => 'fax');
SELECT receive_access_request(701, '2024-01-02', fee => -1);
SELECT receive_amendment_request(702, ' ', '2024-01-02');

-- ---- an open request holds the patient's records from destruction ------------------
SELECT create_policy('records_test_notes', 'test visit notes', '1 year', 'column', 'governance', 'records test');
CREATE TABLE records_test_notes (id int PRIMARY KEY, patient_id bigint NOT NULL, written date NOT NULL, note text);
SELECT protect('records_test_notes', 'records_test_notes', 'patient_id', 'written');
INSERT INTO records_test_notes VALUES (1, 705, '2020-03-01', 'old note of Eve'), (2, 704, '2020-03-01', 'old note of Dee');
SELECT receive_access_request(705, '2024-06-03', 'third_party', 'Acme Life Insurance', '9 Elm St, Hartford CT',
                              scope => 'record_classes', record_classes => '{visit notes,labs}',
                              form => 'named_format', format_name => 'PDF by secure e-mail', fee => 6.50) AS a_eve \gset
SELECT destroy_due('records_test_notes', authorized_by => 'HIM manager', method => 'deleted') IS NOT NULL AS certified;
SELECT id, patient_id FROM records_test_notes ORDER BY id;   -- Eve's note is kept while her request is open
-- a DELETE of a held record is refused by retention (PS302)
DELETE FROM records_test_notes WHERE id = 1;
-- fulfilled to the third party: a disclosure is recorded, the hold released
SELECT fulfill_record_request(:a_eve, '2024-06-20', disclosed_by => 'R. Clerk');
SELECT q.status, q.disclosure_id IS NOT NULL AS disclosed, d.recipient_name, d.recipient_address, d.description,
       d.disclosed_on, d.disclosed_by, d.request_id = q.id AS answers_request
  FROM record_requests q JOIN disclosure_log d ON d.id = q.disclosure_id WHERE q.id = :a_eve;
SELECT disclosed_on, recipient_name, description, purpose FROM disclosures(705, '2018-01-01');
SELECT destroy_due('records_test_notes', authorized_by => 'HIM manager', method => 'deleted') IS NOT NULL AS certified;
SELECT count(*) AS notes_left FROM records_test_notes;
-- the disclosure log outlives the destroyed records
SELECT count(*) AS eve_disclosures_kept FROM disclosure_log WHERE patient_id = 705;

-- ---- the first accounting in 12 months is free (calendar months) -------------------
-- :c_new_year (2023-12-31) was free; one on 2024-12-30 is not (12 months back: 2023-12-30); one on 2024-12-31 is
SELECT accounting_is_free(703, '2024-12-30') AS free_2024_12_30, accounting_is_free(703, '2024-12-31') AS free_2024_12_31;
SELECT receive_accounting_request(703, '2024-06-01', fee => 0) AS c_second \gset
SELECT receive_accounting_request(703, '2025-06-01', fee => 12.00);   -- free again: a fee is refused (PS707)
SELECT receive_accounting_request(703, '2025-06-01') AS c_third \gset
SELECT receive_accounting_request(703, '2025-07-01', fee => 12.00) AS c_fourth \gset
SELECT id, received_on, free, fee, accounting_since, first_due_on FROM record_requests
 WHERE kind = 'accounting' ORDER BY id;
-- a withdrawn request does not use up the free one
SELECT withdraw_record_request(:c_fourth, 'asked by mistake', '2025-07-02');
SELECT accounting_is_free(703, '2026-06-02') AS free_after_withdrawn;
-- from Feb 29, 12 months back from 2025-02-28 is 2024-02-28: not free yet; on 2025-03-01 it is
SELECT accounting_is_free(702, '2024-02-29') AS free_no_requests;
SELECT receive_accounting_request(702, '2024-02-29', since => '2020-01-01') AS c_leap \gset
SELECT accounting_is_free(702, '2025-02-28') AS free_2025_02_28, accounting_is_free(702, '2025-03-01') AS free_2025_03_01;
SELECT withdraw_record_request(:c_leap, 'answered by phone', '2024-03-01');
SELECT fulfill_record_request(:c_new_year, '2024-02-29'), fulfill_record_request(:c_second, '2024-06-10'),
       fulfill_record_request(:c_third, '2025-06-10');

-- ---- a merge moves requests to the survivor and holds its records too -------------
SELECT receive_amendment_request(704, 'my address is wrong', '2024-07-01') AS m_dup \gset
SELECT merge_patients(705, 704, 'same person: Dee is Eve''s former name') IS NOT NULL AS merged;
SELECT id, patient_id, status FROM record_requests WHERE id = :m_dup;
SELECT h.patient_id, h.released_at IS NULL AS active FROM record_requests q
  JOIN retention_holds h ON h.hold_id = ANY (q.hold_ids) WHERE q.id = :m_dup ORDER BY h.hold_id;
-- no new request for the merged duplicate
SELECT receive_access_request(704, '2024-07-02');
SELECT accept_amendment(:m_dup, '2024-07-15');
SELECT fulfill_record_request(:a_leap, '2024-03-29');
SELECT count(*) AS active_holds_of_requests FROM retention_holds WHERE case_reference LIKE 'record request %' AND released_at IS NULL;

-- ---- privileges: records staff handle requests; others do not -------------------
SET ROLE patsvc_front_desk;
SELECT receive_access_request(701, '2024-01-02');
SELECT count(*) FROM record_requests;
RESET ROLE;
SET ROLE patsvc_records;
SELECT receive_access_request(701, '2024-08-01', form => 'paper') AS a_staff \gset
SELECT withdraw_record_request(:a_staff, 'duplicate of an earlier request', '2024-08-01');
UPDATE record_requests SET status = 'fulfilled' WHERE id = :a_staff;
RESET ROLE;

-- clean up (the disclosure log keeps its rows: it is append-only)
SET client_min_messages = warning;
TRUNCATE record_requests, patients CASCADE;
RESET client_min_messages;

\c :regress_db
DROP DATABASE regress_records_requests;
