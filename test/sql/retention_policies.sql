-- Retention periods, anchors and policies (no table protected here).
SET search_path = public, patsvc;
\set VERBOSITY default
\set SHOW_CONTEXT never
SET datestyle = ISO, YMD;
SET intervalstyle = postgres;

-- periods need units; calendar arithmetic, never 365-day years
SELECT retention_period('7 years') AS seven, retention_period(' 6 years 6 months ') AS six_and_half,
       retention_period('1 year 2 months 3 days') AS mixed, retention_period(30, 'days') AS thirty_days,
       retention_period('10 YEARS') AS upper_case;
SELECT retention_period('7');                   -- a bare number: seven what?
SELECT retention_period('7 years 6');           -- a trailing bare number
SELECT retention_period('7 fortnights');
SELECT retention_period('seven years');
SELECT retention_period('');
SELECT retention_period('0 days');
SELECT retention_period(7, 'parsecs');
SELECT retention_period(-1, 'years');
SELECT retention_period('1001 years');
DO $$ BEGIN PERFORM patsvc.retention_period('7');
EXCEPTION WHEN invalid_text_representation THEN RAISE NOTICE 'bare number: SQLSTATE %', SQLSTATE; END $$;
-- a policy cannot hold a clock interval either ('7' as an interval is 7 seconds)
SELECT is_calendar_period('7'::interval) AS seven_seconds, is_calendar_period('7 years') AS seven_years,
       is_calendar_period('-1 month') AS negative, is_calendar_period('0 days') AS zero;

-- anchors: adult after last encounter, minor reaching majority, death, majority anchor, record column
SELECT compute_retain_until('last_encounter', '7 years', NULL, 21, '1980-06-15', NULL, '2015-03-10', NULL) AS adult_tx,
       compute_retain_until('last_encounter', '7 years', NULL, 21, '2010-06-15', NULL, '2015-03-10', NULL) AS minor_tx_until_21,
       compute_retain_until('last_encounter', '7 years', NULL, 21, '2000-06-15', NULL, '2015-03-10', NULL) AS minor_tx_7_years_later,
       compute_retain_until('last_encounter', '6 years', NULL, 22, '2010-06-15', NULL, '2015-03-10', NULL) AS minor_ny_until_22,
       compute_retain_until('death', '2 years', NULL, NULL, '1930-01-01', '2020-08-31', '2020-08-01', NULL) AS after_death,
       compute_retain_until('majority', '3 years', 18, NULL, '2010-06-15', NULL, NULL, NULL) AS majority_plus_3,
       compute_retain_until('column', '6 years', NULL, NULL, NULL, NULL, NULL, '2019-04-30') AS from_column;
-- last encounter: the later of the patient's last encounter and the record's own date
SELECT compute_retain_until('last_encounter', '5 years', NULL, NULL, NULL, NULL, '2015-01-01', '2016-02-02') AS record_later,
       compute_retain_until('last_encounter', '5 years', NULL, NULL, NULL, NULL, '2017-01-01', '2016-02-02') AS patient_later;
-- leap days: Feb 29 + whole years lands on Feb 28 in common years, Feb 29 in leap years
SELECT compute_retain_until('column', '7 years', NULL, NULL, NULL, NULL, NULL, '2016-02-29') AS plus_7,
       compute_retain_until('column', '8 years', NULL, NULL, NULL, NULL, NULL, '2016-02-29') AS plus_8,
       compute_retain_until('column', '1 month', NULL, NULL, NULL, NULL, NULL, '2016-01-31') AS jan31_plus_month,
       compute_retain_until('last_encounter', '1 year', NULL, 18, '2004-02-29', NULL, '2020-01-01', NULL) AS leapling_turns_18;
-- unknown facts: no date (the record is kept)
SELECT compute_retain_until('death', '2 years', NULL, NULL, '1930-01-01', NULL, '2020-01-01', NULL) AS alive,
       compute_retain_until('last_encounter', '7 years', NULL, 21, NULL, NULL, '2015-03-10', NULL) AS minors_rule_no_birth_date,
       compute_retain_until('last_encounter', '7 years', NULL, NULL, NULL, NULL, NULL, NULL) AS no_encounter;

-- ready-made policies, each with its source
SELECT policy_name, record_class, period, anchor, minors_until_age, mode, source
FROM retention_policies ORDER BY policy_name;

-- creating policies: the period must carry units
SELECT create_policy('test_bare', 'test records', '7', 'last_encounter', 'governance', 'test');
\set VERBOSITY terse
SELECT create_policy('test_anchor', 'test records', '7 years', 'whenever', 'governance', 'test');
INSERT INTO retention_policies (policy_name, record_class, period, anchor, mode, source)
VALUES ('test_seconds', 'test records', '7', 'column', 'governance', 'test');
\set VERBOSITY default
SELECT create_policy('test_gov', 'test records', '3 years', 'column', 'governance', 'test rule');
SELECT create_policy('test_comp', 'test records', '5 years', 'column', 'compliance', 'test rule', minors_until_age => 19);
-- compliance: not used by any table yet, so it may still change; governance always may
UPDATE retention_policies SET period = '4 years' WHERE policy_name = 'test_comp';
UPDATE retention_policies SET period = '2 years' WHERE policy_name = 'test_gov';
SELECT policy_name, period FROM retention_policies WHERE policy_name LIKE 'test\_%' ORDER BY 1;
-- once a table depends on it: lengthen yes; shorten, relax, re-anchor or drop no
-- (protected tables are for good: they live in their own schema, away from other tests)
CREATE SCHEMA ret_p;
CREATE TABLE ret_p.rec (id int PRIMARY KEY, patient text NOT NULL, written date NOT NULL);
SELECT protect('ret_p.rec', 'test_comp', 'patient', 'written');
UPDATE retention_policies SET period = '6 years' WHERE policy_name = 'test_comp';
UPDATE retention_policies SET period = '5 years' WHERE policy_name = 'test_comp';
UPDATE retention_policies SET period = '5 years 11 months 40 days' WHERE policy_name = 'test_comp';
UPDATE retention_policies SET minors_until_age = 18 WHERE policy_name = 'test_comp';
UPDATE retention_policies SET minors_until_age = NULL WHERE policy_name = 'test_comp';
UPDATE retention_policies SET mode = 'governance' WHERE policy_name = 'test_comp';
UPDATE retention_policies SET anchor = 'creation' WHERE policy_name = 'test_comp';
DELETE FROM retention_policies WHERE policy_name = 'test_comp';
UPDATE retention_policies SET minors_until_age = 25 WHERE policy_name = 'test_comp';
SELECT policy_name, period, minors_until_age, mode FROM retention_policies WHERE policy_name = 'test_comp';
-- an unused governance policy can go
DELETE FROM retention_policies WHERE policy_name = 'test_gov';
-- every change is in the log
SELECT event, detail FROM retention_events WHERE detail LIKE 'test\_%' ORDER BY event_id;

-- patient facts may only lengthen retention
INSERT INTO retention_patient_facts VALUES ('P-FACT-1', '1990-01-01', NULL, '2015-01-01');
UPDATE retention_patient_facts SET last_encounter = '2014-12-31' WHERE patient_id = 'P-FACT-1';
UPDATE retention_patient_facts SET birth_date = '1989-01-01' WHERE patient_id = 'P-FACT-1';
UPDATE retention_patient_facts SET last_encounter = '2016-01-01', death_date = '2020-01-01' WHERE patient_id = 'P-FACT-1';
UPDATE retention_patient_facts SET death_date = '2019-01-01' WHERE patient_id = 'P-FACT-1';
SELECT * FROM retention_patient_facts WHERE patient_id = 'P-FACT-1';

-- ready-made policies are the law as shipped: not changed, not dropped (even lengthened),
-- and not dumped (every install has them; pg_dump's filter reads ready_made)
SELECT policy_name, ready_made, created_at FROM retention_policies WHERE ready_made ORDER BY 1;
UPDATE retention_policies SET period = '10 years' WHERE policy_name = 'fl_physician';
DELETE FROM retention_policies WHERE policy_name = 'az_provider';
SELECT c.relname, x.cond FROM pg_extension e, unnest(e.extconfig, e.extcondition) x(relid, cond)
JOIN pg_class c ON c.oid = x.relid WHERE e.extname = 'patsvc' AND c.relname = 'retention_policies';
