-- Payers and coverages: every rule and its SQLSTATE, the same-priority
-- overlap (PS502), coverage_on by priority, self-pay, Medicare MBIs, a
-- child on a parent's plan, merging patients moves coverages, privileges.
SET search_path = public, patsvc;
\set VERBOSITY default
\set SHOW_CONTEXT never
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET client_min_messages = warning;
TRUNCATE patients, payers RESTART IDENTITY CASCADE;
RESET client_min_messages;

INSERT INTO patients (id, name, birth_date) VALUES (1, 'Ann', '1980-04-02'), (2, 'Bob', '2015-07-09'),
  (3, 'Cid', '1950-01-30'), (4, 'Dee', '1990-12-12');

-- ---- payers -----------------------------------------------------------------
INSERT INTO payers (name, x12_payer_id, payer_type) VALUES
  ('Medicare Part B (Novitas JL)', '12502', 'medicare'),
  ('  Aetna  ', ' 60054 ', 'commercial'),
  ('MassHealth', 'dmams', 'medicaid'),
  ('Self-pay', NULL, 'self_pay'),
  ('Blue Cross', NULL, 'commercial')
RETURNING id, name, x12_payer_id, payer_type;
-- refused, each with its reason (PS506)
INSERT INTO payers (name, payer_type) VALUES (' ', 'commercial');
INSERT INTO payers (name, payer_type) VALUES ('Tricare', 'military');
INSERT INTO payers (name, x12_payer_id, payer_type) VALUES ('Cash', '99999', 'self_pay');
INSERT INTO payers (name, x12_payer_id, payer_type) VALUES ('Odd', 'AB CD', 'commercial');
INSERT INTO payers (name, x12_payer_id, payer_type) VALUES ('Short', 'A', 'commercial');

-- ---- coverages: the patient as subscriber ----------------------------------
-- Ann: Aetna primary for 2026, MassHealth secondary open-ended
INSERT INTO coverages (patient_id, payer_id, member_id, group_number, valid, priority)
VALUES (1, 2, ' W123456789 ', 'GRP-0042', '[2026-01-01,2027-01-01)', 1),
       (1, 3, '100200300', NULL, '[2026-03-01,)', 2)
RETURNING id, patient_id, payer_id, member_id, group_number, subscriber_relationship, valid, priority;
SELECT id, payer_id, priority FROM coverage_on(1, '2026-06-15');
SELECT id, payer_id, priority FROM coverage_on(1, '2026-02-01');
SELECT id, payer_id, priority FROM coverage_on(1, '2027-01-01');
SELECT count(*) AS none_before FROM coverage_on(1, '2025-12-31');
SELECT count(*) AS null_args FROM coverage_on(1, NULL);

-- ---- the same priority never twice on one day (PS502) ----------------------
INSERT INTO coverages (patient_id, payer_id, member_id, valid, priority)
VALUES (1, 5, 'XYZ1', '[2026-12-31,2027-06-01)', 1);
-- back to back is fine: the first ends (exclusive) where the next begins
INSERT INTO coverages (patient_id, payer_id, member_id, valid, priority)
VALUES (1, 5, 'XYZ1', '[2027-01-01,2028-01-01)', 1) RETURNING id, valid, priority;
-- another patient, or another priority, does not conflict
INSERT INTO coverages (patient_id, payer_id, member_id, valid, priority)
VALUES (4, 5, 'XYZ2', '[2026-01-01,)', 1), (1, 5, 'XYZ1', '[2026-01-01,2026-02-01)', 3) RETURNING id, patient_id, priority;
-- a change into an overlap is refused too, and a refused row changes nothing
UPDATE coverages SET valid = '[2026-01-01,2027-02-01)' WHERE id = 1;
UPDATE coverages SET priority = 1 WHERE id = 2;
SELECT id, valid, priority FROM coverages WHERE patient_id = 1 ORDER BY id;
-- two rows of one statement overlapping each other
INSERT INTO coverages (patient_id, payer_id, member_id, valid, priority)
VALUES (4, 2, 'Q1', '[2020-01-01,2021-01-01)', 2), (4, 2, 'Q2', '[2020-06-01,2020-07-01)', 2);
SELECT count(*) AS dee_secondary FROM coverages WHERE patient_id = 4 AND priority = 2;
-- ending a coverage, then adding its successor, is the way to switch plans
UPDATE coverages SET valid = daterange(lower(valid), '2026-09-01') WHERE id = 2;
INSERT INTO coverages (patient_id, payer_id, member_id, valid, priority)
VALUES (1, 5, 'NEW-2', '[2026-09-01,)', 2) RETURNING id, valid, priority;

-- ---- Medicare: the member id is an MBI (PS503), stored canonical ----------
INSERT INTO coverages (patient_id, payer_id, member_id, valid, priority)
VALUES (3, 1, '1eg4-te5-mk73', '[2015-01-01,)', 1) RETURNING id, member_id;
INSERT INTO coverages (patient_id, payer_id, member_id, valid, priority)
VALUES (3, 1, '123456789A', '[2015-01-01,)', 2);
INSERT INTO coverages (patient_id, payer_id, member_id, valid, priority)
VALUES (3, 1, '1EG4-TE5-MK7S', '[2015-01-01,)', 2);

-- ---- self-pay: no member id, the patient is the subscriber -----------------
INSERT INTO coverages (patient_id, payer_id, valid, priority) VALUES (3, 4, '[2015-01-01,)', 2) RETURNING id, member_id, subscriber_relationship;
INSERT INTO coverages (patient_id, payer_id, member_id, valid, priority) VALUES (3, 4, 'X1', '[2015-01-01,)', 3);
INSERT INTO coverages (patient_id, payer_id, valid, priority, subscriber_relationship, subscriber_family, subscriber_given,
                       subscriber_birth_date) VALUES (3, 4, '[2015-01-01,)', 3, '01', 'Doe', 'Jan', '1950-01-01');

-- ---- a subscriber other than the patient -----------------------------------
-- Bob (born 2015) on his mother's plan: relationship 19, the patient is the child
INSERT INTO coverages (patient_id, payer_id, member_id, valid, priority, subscriber_relationship, subscriber_family,
                       subscriber_given, subscriber_birth_date, subscriber_sex)
VALUES (2, 2, 'W555', '[2026-01-01,)', 1, '19', 'Smith', 'Jane', '1984-02-29', 'female')
RETURNING id, subscriber_relationship, subscriber_family, subscriber_given, subscriber_birth_date, subscriber_sex;
-- the direction inverted (the subscriber younger than the "child") is refused
INSERT INTO coverages (patient_id, payer_id, member_id, valid, priority, subscriber_relationship, subscriber_family,
                       subscriber_given, subscriber_birth_date)
VALUES (1, 2, 'W556', '[2026-01-01,)', 3, '19', 'Smith', 'Bob', '2015-07-09');
-- missing subscriber, subscriber named for self, unknown relationship, bad sex, future birth
INSERT INTO coverages (patient_id, payer_id, member_id, valid, priority, subscriber_relationship)
VALUES (2, 2, 'W555', '[2026-01-01,)', 2, '01');
INSERT INTO coverages (patient_id, payer_id, member_id, valid, priority, subscriber_family)
VALUES (2, 2, 'W555', '[2026-01-01,)', 2, 'Smith');
INSERT INTO coverages (patient_id, payer_id, member_id, valid, priority, subscriber_relationship)
VALUES (2, 2, 'W555', '[2026-01-01,)', 2, '20');
INSERT INTO coverages (patient_id, payer_id, member_id, valid, priority, subscriber_relationship, subscriber_family,
                       subscriber_given, subscriber_birth_date, subscriber_sex)
VALUES (2, 2, 'W555', '[2026-01-01,)', 2, 'g8', 'Smith', 'Al', '1960-01-01', 'M');
INSERT INTO coverages (patient_id, payer_id, member_id, valid, priority, subscriber_relationship, subscriber_family,
                       subscriber_given, subscriber_birth_date)
VALUES (2, 2, 'W555', '[2026-01-01,)', 2, 'G8', 'Smith', 'Al', '2999-01-01');
-- lower-case g8 is read as G8
INSERT INTO coverages (patient_id, payer_id, member_id, valid, priority, subscriber_relationship, subscriber_family,
                       subscriber_given, subscriber_birth_date)
VALUES (2, 2, 'W557', '[2026-01-01,)', 2, 'g8', 'Smith', 'Al', '1960-01-01') RETURNING id, subscriber_relationship;

-- ---- the other rules (PS501) ----------------------------------------------
INSERT INTO coverages (patient_id, payer_id, member_id, valid, priority) VALUES (4, 99, 'A1', '[2026-01-01,)', 3);
INSERT INTO coverages (patient_id, payer_id, member_id, valid, priority) VALUES (4, 2, 'A1', '[2026-01-01,)', 4);
INSERT INTO coverages (patient_id, payer_id, member_id, valid, priority) VALUES (4, 2, 'A1', '(,2026-01-01)', 3);
INSERT INTO coverages (patient_id, payer_id, member_id, valid, priority) VALUES (4, 2, 'A1', 'empty', 3);
INSERT INTO coverages (patient_id, payer_id, member_id, valid, priority) VALUES (4, 2, 'A1', '[2026-01-01,infinity)', 3);
INSERT INTO coverages (patient_id, payer_id, valid, priority) VALUES (4, 2, '[2026-01-01,)', 3);
INSERT INTO coverages (patient_id, payer_id, member_id, valid, priority) VALUES (4, 2, 'A 1', '[2026-01-01,)', 3);
INSERT INTO coverages (patient_id, payer_id, member_id, group_number, valid, priority) VALUES (4, 2, 'A1', 'G*1', '[2026-01-01,)', 3);
INSERT INTO coverages (patient_id, payer_id, member_id, valid, priority) VALUES (NULL, 2, 'A1', '[2026-01-01,)', 3);
INSERT INTO coverages (patient_id, payer_id, member_id, valid, priority) VALUES (77, 2, 'A1', '[2026-01-01,)', 3);
-- a coverage stays with its patient
UPDATE coverages SET patient_id = 4 WHERE id = 1;
-- a payer's type is fixed once it has coverages
UPDATE payers SET payer_type = 'medicaid' WHERE id = 2;
UPDATE payers SET name = 'Aetna Better Health' WHERE id = 2 RETURNING id, name;
SELECT count(*) AS coverages FROM coverages;

-- ---- merging patients moves coverages --------------------------------------
INSERT INTO patients (id, name, birth_date) VALUES (5, 'Ann dup', '1980-04-02'), (6, 'Dee dup', '1990-12-12');
INSERT INTO coverages (patient_id, payer_id, member_id, valid, priority) VALUES (5, 3, 'M5', '[2020-01-01,2021-01-01)', 2)
RETURNING id AS ann_dup_coverage \gset
SELECT merge_patients(1, 5, 'same person: registered twice') > 0 AS merged;
SELECT patient_id FROM coverages WHERE id = :ann_dup_coverage;
-- a merged patient takes no new coverage (PS422)
INSERT INTO coverages (patient_id, payer_id, member_id, valid, priority) VALUES (5, 3, 'M5', '[2030-01-01,)', 3);
-- a duplicate whose coverage overlaps the survivor's of the same priority: nothing merges (PS502)
INSERT INTO coverages (patient_id, payer_id, member_id, valid, priority) VALUES (6, 5, 'XYZ2', '[2026-01-01,)', 1);
SELECT merge_patients(4, 6, 'same person');
SELECT patient_id, count(*) FROM coverages WHERE patient_id IN (4, 6) GROUP BY 1 ORDER BY 1;

-- ---- privileges -------------------------------------------------------------
SET ROLE patsvc_front_desk;
INSERT INTO coverages (patient_id, payer_id, member_id, valid, priority) VALUES (4, 3, 'FD1', '[2026-01-01,)', 3) RETURNING id, priority;
SELECT count(*) > 0 AS front_desk_reads FROM coverage_on(4, '2026-06-01');
INSERT INTO payers (name, payer_type) VALUES ('Front desk payer', 'commercial');
RESET ROLE;
SET ROLE patsvc_biller;
SELECT count(*) > 0 AS biller_reads FROM coverage_on(4, '2026-06-01');
UPDATE coverages SET group_number = 'X' WHERE id = 1;
RESET ROLE;
SET ROLE patsvc_admin;
INSERT INTO payers (name, payer_type) VALUES ('Admin payer', 'commercial') RETURNING name;
UPDATE payers SET payer_type = 'medicaid' WHERE id = 2;
SELECT count(*) FROM coverages;
RESET ROLE;
SET ROLE patsvc_scheduler;
SELECT count(*) FROM coverage_on(4, '2026-06-01');
RESET ROLE;

-- the trigger functions refuse other tables (PS001)
CREATE TABLE public.fake_coverages (LIKE coverages);
CREATE TRIGGER t BEFORE INSERT ON public.fake_coverages FOR EACH ROW EXECUTE FUNCTION coverages_overlap();
INSERT INTO public.fake_coverages (id, patient_id, payer_id, valid, priority) VALUES (1, 1, 1, '[2026-01-01,)', 1);
DROP TABLE public.fake_coverages;

-- nothing of this file stays behind (the merge audit goes only in replica mode, as restores write)
SET session_replication_role = replica;
DELETE FROM patient_merges;
RESET session_replication_role;
SET client_min_messages = warning;
TRUNCATE patients, payers, patient_changes RESTART IDENTITY CASCADE;
RESET client_min_messages;
SELECT setval('patsvc.patient_mrn_seq', 1, false) AS mrn_reset;
