\echo
\echo '=== 8. Records: a patient asks for copies, a life insurer gets them, the privacy clocks run ==='
SET search_path = public, patsvc;
SET datestyle = ISO, YMD;
-- The front desk's application names its user once per session; every chart it opens is logged
SELECT set_app_user('front.desk.maria');
SELECT log_access(1, 'check-in', 'demographics screen');
SELECT set_app_user('dr.adams');
SELECT log_access(1, 'treatment', 'visit note');

-- The clinic's chart notes are under retention: 1 year after they were written (a demo policy)
SELECT create_policy('demo_chart_notes', 'chart notes (demo)', '1 year', 'column', 'governance', 'demo only');
CREATE TABLE demo_chart_notes (id int PRIMARY KEY, patient_id bigint NOT NULL REFERENCES patients, written date NOT NULL, note text);
SELECT protect('demo_chart_notes', 'demo_chart_notes', 'patient_id', 'written');
INSERT INTO demo_chart_notes VALUES (1, 1, current_date - 800, 'Ann: asthma review'), (2, 2, current_date - 800, 'Bo: sprained ankle');

-- Forty days ago Ann asked for copies of her visit notes and labs, sent to her life insurer
SELECT receive_access_request(1, current_date - 40, 'third_party', 'Acme Life Insurance', '9 Elm St, Hartford CT',
                              scope => 'record_classes', record_classes => '{visit notes,labs}',
                              form => 'named_format', format_name => 'PDF by secure e-mail', fee => 6.50) AS ann_request \gset
-- Due 30 days after receipt; while it is open, Ann's protected records are on hold
SELECT id, received_on, first_due_on, due_on, status FROM record_requests WHERE id = :ann_request;
SELECT h.case_reference, h.patient_id, h.reason FROM record_requests q JOIN retention_holds h ON h.hold_id = ANY (q.hold_ids)
 WHERE q.id = :ann_request;
-- The worklist twelve days ago showed it due within the week
SELECT id, patient_id, due_on FROM record_requests_due(current_date - 12);
-- Twelve days ago (before the first due date) the clinic extended it once, with the reason it wrote to Ann
SELECT extend_record_request(:ann_request, current_date + 15, 'the 2019 notes are in off-site storage', current_date - 12);
-- A second extension, or one after the due date, is refused
SELECT extend_record_request(:ann_request, current_date + 19, 'still waiting', current_date - 5);

-- Tonight's destruction run: Bo's old note goes, Ann's is skipped while her request is open
SELECT destroy_due('demo_chart_notes', authorized_by => 'HIM manager', method => 'deleted; VACUUM') IS NOT NULL AS certified;
SELECT id, patient_id, note FROM demo_chart_notes;

-- Today the copies went out: fulfilling the request logs the disclosure to the insurer and releases the hold
SELECT set_app_user('records.clerk.rosa');
SELECT fulfill_record_request(:ann_request);
SELECT status, answered_on, disclosure_id IS NOT NULL AS disclosure_logged FROM record_requests WHERE id = :ann_request;
-- Treatment and payment disclosures are logged too, but the accounting leaves them out
SELECT record_disclosure(1, 'Blue Cross', 'claim for the visit of last month', 'payment', current_date - 30,
                         excluded_as => 'payment') > 0 AS logged;
SELECT record_disclosure(1, 'State immunization registry', 'flu vaccine given', 'public health reporting (164.512(b))',
                         current_date - 20, 'Boston MA') > 0 AS logged;

-- Ann asks for an accounting of disclosures: the first in 12 months is free; the accounting
SELECT receive_accounting_request(1) AS ann_accounting \gset
SELECT free, fee, accounting_since, due_on FROM record_requests WHERE id = :ann_accounting;
SELECT disclosed_on, recipient_name, recipient_address, description, purpose, disclosed_by FROM disclosures(1);
SELECT fulfill_record_request(:ann_accounting);

-- The next destruction run takes Ann's old note (the hold is released); the disclosure log stays
SELECT destroy_due('demo_chart_notes', authorized_by => 'HIM manager', method => 'deleted; VACUUM') IS NOT NULL AS certified;
SELECT count(*) AS notes_left FROM demo_chart_notes;
SELECT count(*) AS ann_disclosures_kept FROM disclosure_log WHERE patient_id = 1;
-- The log cannot be edited, by anyone
UPDATE disclosure_log SET recipient_name = 'nobody' WHERE patient_id = 1;

-- "Who looked at my record?": the privacy officer's answer
SELECT to_char(accessed_at, 'YYYY-MM-DD') AS day, session_role, app_user, purpose, detail FROM access_history(1);
RESET patsvc.app_user;
