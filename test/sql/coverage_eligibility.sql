-- Eligibility verifications: the X12 271 parser (the shipped sample, every
-- separator choice, several EB loops, rejections, malformed input that
-- stores nothing), manual entry, eligibility_on and its GUC, merging
-- patients moves verifications, privileges.
SET search_path = public, patsvc;
\set VERBOSITY default
\set SHOW_CONTEXT never
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';

INSERT INTO patients (id, name, birth_date) VALUES (1, 'John Smith', '1963-05-19'), (2, 'Ann Lee', '1980-01-01'),
  (3, 'John Smith dup', '1963-05-19');
INSERT INTO payers (id, name, x12_payer_id, payer_type) VALUES (1, 'ABC Company', '841610001', 'commercial'),
  (2, 'MassHealth', 'DMAMS', 'medicaid');
INSERT INTO coverages (id, patient_id, payer_id, member_id, valid, priority) VALUES
  (1, 1, 1, '123456789', '[2006-01-01,)', 1),
  (2, 1, 2, '100200300', '[2006-01-01,2007-01-01)', 2),
  (3, 2, 1, 'W999', '[2026-01-01,)', 1),
  (4, 3, 2, '100200399', '[2008-01-01,)', 2);

-- the shipped sample: an active plan, a $10.00 in-network copay per visit
\set demo `cat test/fixtures/x12/demo.271`
SELECT id, coverage_id, service_date, checked_by = session_user AS by_me, source, trace_number, active, plan_begin,
       plan_end, copay, coinsurance_percent, deductible, deductible_remaining, in_network, authorization_required,
       rejection_code, rejection_reason, raw_271 = :'demo' AS raw_kept
  FROM record_eligibility_271(1, :'demo', '2006-05-01');

-- ---- every separator choice: taken from ISA, never assumed ------------------
-- no line breaks; CR LF line breaks; element | component > repetition ! terminator newline;
-- element ~ and terminator * (swapped); tab-free control characters are fine too
SELECT v.label, r.active, r.copay, r.trace_number, r.plan_begin
  FROM (VALUES
    ('no line breaks', replace(:'demo', E'\n', '')),
    ('CR LF', replace(:'demo', E'\n', E'\r\n')),
    ('| > ! newline', translate(replace(:'demo', E'\n', ''), '*:^~', E'|>!\n')),
    ('~ as element, * as terminator', translate(:'demo', '*~', '~*')),
    ('+ : { '' (apostrophe)', translate(replace(:'demo', E'\n', ''), '*^~', '+{''')),
    ('control characters', translate(replace(:'demo', E'\n', ''), '*:^~', E'\x1d\x1f\x1e\x1c'))
  ) AS v(label, raw),
  LATERAL record_eligibility_271(1, v.raw, '2006-05-02') r;
-- the repetition separator is ISA11's: with ISA11 '!', EB03's '^' is no separator
SELECT record_eligibility_271(1, overlay(:'demo' placing '!' from 83 for 1), '2006-05-02');

-- ---- a 271 built for the tests: the envelope around body segments ------------
CREATE FUNCTION pg_temp.x271(body text[]) RETURNS text LANGUAGE sql AS $$
  SELECT 'ISA*03*9876543210*01*9876543210*30*000000005      *30*12345          *131031*1147*^*00501*000000907*1*T*:~' || E'\n'
      || 'GS*HB*000000005*54321*20131031*1147*1*X*005010X279A1~' || E'\n'
      || 'ST*271*0001*005010X279A1~' || E'\n'
      || 'BHT*0022*11*10001234*20260302*1319~' || E'\n'
      || 'HL*1**20*1~' || E'\n' || 'NM1*PR*2*ABC COMPANY*****PI*841610001~' || E'\n'
      || 'HL*2*1*21*1~' || E'\n' || 'NM1*1P*2*BONE AND JOINT CLINIC*****SV*2000035~' || E'\n'
      || 'HL*3*2*22*0~' || E'\n'
      || array_to_string(body, E'~\n') || E'~\n'
      || format('SE*%s*0001~', 8 + cardinality(body)) || E'\n'
      || 'GE*1*1~' || E'\n' || 'IEA*1*000000907~' || E'\n'
$$;

-- several EB loops: what a front office needs is picked from 20 benefits
SELECT service_date, trace_number, active, plan_begin, plan_end, copay, coinsurance_percent, deductible,
       deductible_remaining, in_network, authorization_required
  FROM record_eligibility_271(3, pg_temp.x271(ARRAY[
    'TRN*1*P-7781*9841610001', 'TRN*2*T-0042*9877281234', 'NM1*IL*1*LEE*ANN****MI*W999',
    'DTP*346*D8*20260101', 'DTP*347*D8*20261231',
    'EB*1*IND*30**GOLD PPO', 'EB*1*IND*98',
    'EB*C*IND*30***23*1500.00*****Y', 'EB*C*FAM*30***23*3000.00*****Y', 'EB*C*IND*30***29*1250.5*****Y',
    'EB*C*IND*30***24*249.50*****Y', 'EB*C*IND*30***23*5000.00*****N',
    'EB*B*IND*1^33^98*PR**27*25.00****Y*Y', 'EB*B*IND*98***27*60.00****Y*N', 'EB*B*FAM*98***27*25.00*****Y',
    'EB*B*IND*AL***27*5.00*****Y', 'EB*B*IND*30***27*40.00*****Y', 'EB*B*IND*1***27*15.00*****U',
    'EB*A*IND*98*****.2****Y', 'EB*A*IND*98*****.4****N',
    'EB*F*IND*98***22***VS*20', 'DTP*292*RD8*20260101-20261231',
    'EB*X', 'EB*L', 'LS*2120', 'NM1*P3*1*JONES*MARCUS****SV*0202034', 'DTP*346*D8*20250101', 'LE*2120',
    'EB*D*IND*MH', 'EB*R*IND*88']), '2026-03-02');
-- an office visit code (EB13, component separator from ISA16) is an office benefit; so is the plan's DTP*291 range
SELECT service_date, active, plan_begin, plan_end, copay, in_network, authorization_required
  FROM record_eligibility_271(3, pg_temp.x271(ARRAY['DTP*291*RD8*20260101-20260630', 'EB*1**30*********Y', 'EB*B**30***27*35.00*****Y',
                                                    'EB*B**1***27*20.00****N*Y*HC:99213']), '2026-03-03');
-- inactive; and the date of service taken from DTP*307 when none is given
SELECT service_date, active, copay, trace_number
  FROM record_eligibility_271(3, pg_temp.x271(ARRAY['TRN*2*T-0043*9877281234', 'DTP*307*D8*20260305', 'EB*6**30']));
-- no date anywhere: the date of service is today
SELECT service_date = current_date AS today
  FROM record_eligibility_271(3, pg_temp.x271(ARRAY['EB*1**30']));

-- ---- rejections (AAA) are stored as such, with their reason ----------------
SELECT service_date, active, copay, rejection_code, rejection_reason, trace_number
  FROM record_eligibility_271(3, pg_temp.x271(ARRAY['TRN*2*T-0044*9877281234', 'NM1*IL*1*LEE*ANN****MI*W998', 'AAA*N**72*C']), '2026-03-06');
SELECT rejection_code, rejection_reason
  FROM record_eligibility_271(3, pg_temp.x271(ARRAY['AAA*Y**42*P']), '2026-03-06');
SELECT rejection_code, rejection_reason
  FROM record_eligibility_271(3, pg_temp.x271(ARRAY['AAA*N**75']), '2026-03-06');

-- ---- malformed input: a clear error naming segment and element; nothing stored
SELECT count(*) AS before_malformed FROM eligibility_verifications \gset
\set demo270 `cat test/fixtures/x12/demo.270`
SELECT record_eligibility_271(1, :'demo270', '2006-05-01');
SELECT record_eligibility_271(1, 'hello', '2006-05-01');
SELECT record_eligibility_271(1, 'ISA*00*short~', '2006-05-01');
SELECT record_eligibility_271(1, overlay(:'demo' placing 'X' from 18 for 1), '2006-05-01');
SELECT record_eligibility_271(1, overlay(:'demo' placing '*' from 83 for 1), '2006-05-01');
SELECT record_eligibility_271(1, overlay(:'demo' placing 'A' from 105 for 1), '2006-05-01');
SELECT record_eligibility_271(1, rtrim(:'demo', E'~\n'), '2006-05-01');
SELECT record_eligibility_271(1, replace(:'demo', 'GS*HB', 'GS*HS'), '2006-05-01');
SELECT record_eligibility_271(1, replace(:'demo', 'ST*271*4321*005010X279A1', 'ST*271*4321*004010X092A1'), '2006-05-01');
SELECT record_eligibility_271(1, replace(:'demo', 'SE*22*4321', 'SE*21*4321'), '2006-05-01');
SELECT record_eligibility_271(1, replace(:'demo', 'SE*22*4321', 'SE*22*4322'), '2006-05-01');
SELECT record_eligibility_271(1, replace(:'demo', 'GE*1*1~', 'ST*271*4322*005010X279A1~' || E'\n' || 'GE*1*1~'), '2006-05-01');
SELECT record_eligibility_271(1, replace(:'demo', 'IEA*1*000000907~', 'IEA*1*000000907~' || E'\n' || 'GS*HB*1~'), '2006-05-01');
SELECT record_eligibility_271(1, replace(:'demo', 'IEA*1*000000907~', ''), '2006-05-01');
SELECT record_eligibility_271(1, replace(:'demo', 'IEA*1*000000907', 'IEA*1*000000908'), '2006-05-01');
SELECT record_eligibility_271(1, replace(:'demo', 'GE*1*1~', 'REF*EJ*1~' || E'\n' || 'GE*1*1~'), '2006-05-01');
SELECT record_eligibility_271(1, replace(:'demo', 'DMG*', 'dmg*'), '2006-05-01');
SELECT record_eligibility_271(1, replace(:'demo', '*27*10.00*', '*27*1O.00*'), '2006-05-01');
SELECT record_eligibility_271(1, replace(:'demo', '*27*10.00*', '*27*-10.00*'), '2006-05-01');
SELECT record_eligibility_271(1, replace(:'demo', '*27*10.00*', '*27*12345678901.00*'), '2006-05-01');
SELECT record_eligibility_271(1, replace(:'demo', '*27*10.00*****Y', '*27*10.00*****X'), '2006-05-01');
SELECT record_eligibility_271(1, replace(:'demo', 'DTP*346*D8*20060101', 'DTP*346*D8*20060231'), '2006-05-01');
SELECT record_eligibility_271(1, replace(:'demo', 'DTP*346*D8*20060101', 'DTP*346*D6*20060101'), '2006-05-01');
SELECT record_eligibility_271(1, replace(:'demo', 'DTP*346*D8*20060101', 'DTP*346*RD8*20060101-20051231'), '2006-05-01');
SELECT record_eligibility_271(3, pg_temp.x271(ARRAY['DTP*346*D8*20260101', 'DTP*347*D8*20251231', 'EB*1**30']), '2026-03-06');
SELECT record_eligibility_271(1, replace(:'demo', 'TRN*2*', 'TRN*3*'), '2006-05-01');
SELECT record_eligibility_271(1, replace(:'demo', 'EB*1**30**', 'EB***30**'), '2006-05-01');
SELECT record_eligibility_271(3, pg_temp.x271(ARRAY['AAA*N**99*C']), '2026-03-06');
SELECT record_eligibility_271(3, pg_temp.x271(ARRAY['AAA*N**72*Q']), '2026-03-06');
SELECT record_eligibility_271(3, pg_temp.x271(ARRAY['AAA*X**72']), '2026-03-06');
SELECT record_eligibility_271(3, pg_temp.x271(ARRAY['EB*A**98*****1.5']), '2026-03-06');
SELECT record_eligibility_271(3, pg_temp.x271(ARRAY['EB*B**98***27*10****Q']), '2026-03-06');
SELECT record_eligibility_271(3, pg_temp.x271(ARRAY['EB*B**98^ABC']), '2026-03-06');
SELECT record_eligibility_271(3, pg_temp.x271(ARRAY['EB*B**1***27*20.00******XX:99213']), '2026-03-06');
SELECT record_eligibility_271(3, pg_temp.x271(ARRAY['EB*B**1***27*20.00******HC']), '2026-03-06');
SELECT count(*) - :before_malformed AS stored_by_malformed FROM eligibility_verifications;

-- ---- the coverage and the date of service ----------------------------------
SELECT record_eligibility_271(99, :'demo', '2006-05-01');
SELECT record_eligibility_271(2, :'demo', '2007-01-01');
SELECT record_eligibility_271(NULL, :'demo');
SELECT record_eligibility_271(1, NULL);
SELECT record_eligibility_271(1, :'demo', 'infinity');

-- ---- manual entry (phone, portal) -------------------------------------------
SELECT id, coverage_id, service_date, checked_by, source, trace_number, active, copay, coinsurance_percent, deductible,
       deductible_remaining, in_network, authorization_required, plan_begin, plan_end, raw_271, note
  FROM record_eligibility_manual(2, '2006-05-01', true, ' Maria at the front desk ', copay => 5, coinsurance_percent => 20,
                                 deductible => 500, deductible_remaining => 125.50, in_network => true,
                                 authorization_required => false, plan_begin => '2006-01-01', plan_end => '2006-12-31',
                                 reference => 'CALL-2231', note => 'MassHealth provider line, agent Tom');
SELECT record_eligibility_manual(99, '2006-05-01', true, 'Maria');
SELECT record_eligibility_manual(2, '2008-05-01', true, 'Maria');
SELECT record_eligibility_manual(2, NULL, true, 'Maria');
SELECT record_eligibility_manual(2, '2006-05-01', NULL, 'Maria');
SELECT record_eligibility_manual(2, '2006-05-01', true, ' ');
SELECT record_eligibility_manual(2, '2006-05-01', true, 'Maria', copay => -5);
SELECT record_eligibility_manual(2, '2006-05-01', true, 'Maria', deductible => 100, deductible_remaining => 150);
SELECT record_eligibility_manual(2, '2006-05-01', true, 'Maria', coinsurance_percent => 120);
SELECT record_eligibility_manual(2, '2006-05-01', true, 'Maria', plan_begin => '2006-12-31', plan_end => '2006-01-01');

-- ---- eligibility_on: the latest verification good for the date --------------
-- John on 2006-05-20: primary from the 271 recorded last (for 05-02), secondary by phone
SELECT coverage_id, service_date, source, active, copay FROM eligibility_on(1, '2006-05-20');
-- good for 30 days from the date of service by default: on 05-30 both hold, on 05-31 the primary's
-- (made for 05-02) only, on 06-01 none
SELECT eligibility_valid_days() AS default_days;
SELECT coverage_id, service_date FROM eligibility_on(1, '2006-05-30');
SELECT coverage_id, service_date FROM eligibility_on(1, '2006-05-31');
SELECT coverage_id, service_date FROM eligibility_on(1, '2006-06-01');
SET patsvc.eligibility_valid_days = 10;
SELECT coverage_id, service_date FROM eligibility_on(1, '2006-05-11');
SELECT coverage_id, service_date FROM eligibility_on(1, '2006-05-12');
SET patsvc.eligibility_valid_days = 0;
SET patsvc.eligibility_valid_days = 'a week';
RESET patsvc.eligibility_valid_days;
-- not before the date of service it was made for
SELECT count(*) AS before_service FROM eligibility_on(1, '2006-04-30');
-- Ann on 2026-03-06: the latest answer is a rejection (the office sees it and calls)
SELECT coverage_id, service_date, active, rejection_code FROM eligibility_on(2, '2026-03-06');
SELECT count(*) AS nobody FROM eligibility_on(99, '2026-03-06');

-- ---- merging patients moves coverages and their verifications -------------
SELECT coverage_id AS dup_verified FROM record_eligibility_manual(4, '2026-02-01', true, 'Maria', copay => 0);
SELECT merge_patients(1, 3, 'same person: registered twice') > 0 AS merged;
SELECT coverage_id, service_date, source FROM eligibility_on(1, '2026-02-10');
SELECT count(*) AS dup_left FROM eligibility_on(3, '2026-02-10');

-- ---- privileges --------------------------------------------------------------
SET ROLE patsvc_front_desk;
SELECT coverage_id, active FROM record_eligibility_271(3, pg_temp.x271(ARRAY['EB*1**30']), '2026-03-07');
SELECT coverage_id, active FROM record_eligibility_manual(3, '2026-03-08', false, 'Maria');
SELECT count(*) AS front_desk_reads FROM eligibility_on(2, '2026-03-08');
INSERT INTO eligibility_verifications (coverage_id, service_date, checked_by, source, active) VALUES (3, '2026-03-09', 'me', 'manual', true);
UPDATE eligibility_verifications SET active = true;
RESET ROLE;
SET ROLE patsvc_biller;
SELECT coverage_id, active FROM eligibility_on(2, '2026-03-08');
SELECT record_eligibility_manual(3, '2026-03-08', true, 'Biller');
RESET ROLE;
SET ROLE patsvc_scheduler;
SELECT count(*) FROM eligibility_on(2, '2026-03-08');
RESET ROLE;

-- the verification recorded last wins, even when made for an earlier date of service:
-- Ann's plan confirmed active again by phone (for 03-07) after the 03-08 answer
SELECT service_date, source, active FROM record_eligibility_manual(3, '2026-03-07', true, 'Maria', note => 'payer corrected its answer');
SELECT service_date, source, active, note FROM eligibility_on(2, '2026-03-08');

-- nothing of this file stays behind (the merge audit goes only in replica mode, as restores write)
SET session_replication_role = replica;
DELETE FROM patient_merges;
RESET session_replication_role;
SET client_min_messages = warning;
TRUNCATE patients, payers, patient_changes RESTART IDENTITY CASCADE;
RESET client_min_messages;
SELECT setval('patsvc.patient_mrn_seq', 1, false) AS mrn_reset;
