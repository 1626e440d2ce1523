-- find_patients: what the front desk types (names in any order or "family,
-- given", prefixes, a birth date, an MRN, a phone, an e-mail) to ranked
-- candidates: each query form, the ranking, sound-alike names, nicknames,
-- typos, the birth date filter, no result, malformed input.
SET search_path = public, patsvc;
\set VERBOSITY default
\set SHOW_CONTEXT never
SET TimeZone = 'UTC';
-- ids and MRNs from 1 (the output shows them): start from an empty registry
SET client_min_messages = warning;
TRUNCATE patients, consents, patient_guardians, patient_changes, patient_distinct_pairs, patient_merges, reminders, waitlist_offers, waitlist, appointments, appointment_resources RESTART IDENTITY CASCADE;
RESET client_min_messages;
SELECT setval('patsvc.patient_mrn_seq', 1, false) AS mrn_from;

SELECT patient_id, patient_mrn FROM register_patient('Smith', 'William', '1980-03-04', 'male',
  mobile_phone => '(617) 555-0142', email => 'Bill.Smith@Example.ORG');                          -- 1
SELECT patient_id FROM register_patient('Smith', 'Joan', '1980-01-02', 'female');               -- 2
SELECT patient_id FROM register_patient('Smyth', 'John', '1975-05-06', 'male');                 -- 3
SELECT patient_id FROM register_patient('Johnson', 'Smith', '1990-01-02', 'male');              -- 4
SELECT patient_id FROM register_patient('Smithers', 'Joanna', '1980-01-02', 'female', confirm_new => true); -- 5
SELECT patient_id FROM register_patient('Garcia', 'Maria', '1962-02-01', 'female',
  home_phone => '212 555 0100', mrn => 'ABC-123');                                             -- 6
SELECT patient_id FROM register_patient('O''Brien', 'Katherine', '2001-12-11', 'female');       -- 7
SELECT patient_id FROM register_patient('Nguyen', 'Thomas', '1980-01-02', 'male');              -- 8

-- names in any order, prefixes ("jo" is John, Joan, Joanna); of equal matches, the
-- reading in the order typed (family name first) first
SELECT * FROM find_patients('smith jo');
SELECT * FROM find_patients('JO SMITH');
-- comma form: family name before the comma, given after (Johnson Smith is not "smith, jo")
SELECT * FROM find_patients('smith, jo');
-- a lone name is a family name: equal, then prefix, then sound-alike
SELECT * FROM find_patients('smith');
-- with a birth date: only that day (or its day and month swapped, ranked lower)
SELECT * FROM find_patients('smith jo 1/2/1980');
SELECT * FROM find_patients('smith jo 01/02/1980');
SELECT * FROM find_patients('smith jo 1980-01-02');
SELECT * FROM find_patients('smith jo 1-2-80');
SELECT * FROM find_patients('smith jo', birth_date => '1980-01-02');
SELECT * FROM find_patients('smith 2/1/1980');
-- a birth date alone: everyone born that day
SELECT patient_id, why FROM find_patients('1/2/1980');
-- sound-alike, nickname, typo
SELECT * FROM find_patients('smyth joan');
SELECT * FROM find_patients('smith bill');
SELECT * FROM find_patients('smith wiltiam 3/4/1980');
SELECT * FROM find_patients('smith wiltiam');  -- a typo that does not sound alike needs the birth date
SELECT * FROM find_patients('smiht willaim 3/4/1980');
SELECT * FROM find_patients('obrien kate');
SELECT * FROM find_patients('o''brien k 12/11/01');
-- identifiers: MRN (as staff type it), another system's MRN, phone in any punctuation, e-mail
SELECT * FROM find_patients('p-0000-0001-8');
SELECT * FROM find_patients('abc123');
SELECT * FROM find_patients('(617) 555-0142');
SELECT * FROM find_patients('+1 617.555.0142');
SELECT * FROM find_patients('2125550100');
SELECT * FROM find_patients('bill.smith@example.org');
-- everything typed must match: an identifier with the wrong name or birth date finds nobody
SELECT * FROM find_patients('garcia 2125550100');
SELECT * FROM find_patients('jones 2125550100');
SELECT * FROM find_patients('P000000018 1/1/1990');
-- ranking across kinds: identifier, then name and birth date, then name only
SELECT patient_id, score, why FROM find_patients('smith jo', max_results => 2);
SELECT (SELECT score FROM find_patients('p000000018')) > (SELECT score FROM find_patients('smith william 3/4/1980')) AS mrn_first,
       (SELECT score FROM find_patients('smith william 3/4/1980')) > (SELECT max(score) FROM find_patients('smith william')) AS dob_next,
       (SELECT score FROM find_patients('smith wil')) > (SELECT score FROM find_patients('smyth william')) AS prefix_over_sound,
       (SELECT score FROM find_patients('smyth william')) > (SELECT score FROM find_patients('smyth bill')) AS sound_over_nickname,
       (SELECT score FROM find_patients('smith bill 3/4/1980')) > (SELECT score FROM find_patients('smith wiltiam 3/4/1980')) AS nickname_over_typo;
-- no result
SELECT * FROM find_patients('zyzzyva');
SELECT * FROM find_patients('smith jo 7/7/1977');
SELECT * FROM find_patients('P000000026 smith');
SELECT * FROM find_patients('nobody@example.org');
SELECT * FROM find_patients('(617) 555-0199');

-- malformed input: errors name what was typed, never a patient
SELECT * FROM find_patients('');
SELECT * FROM find_patients('   ');
SELECT * FROM find_patients(NULL);
SELECT * FROM find_patients('smith', max_results => 0);
SELECT * FROM find_patients('smith', max_results => 101);
SELECT * FROM find_patients('smith 2/30/1980');
SELECT * FROM find_patients('smith 13/1/1980');
SELECT * FROM find_patients('smith 1980-02-30');
SELECT * FROM find_patients('smith 1/2/1980', birth_date => '1980-03-04');
SELECT * FROM find_patients('P000000019');
SELECT * FROM find_patients('smith 12:30');
SELECT * FROM find_patients(', smith');
SELECT * FROM find_patients('a b c d e');
SELECT * FROM find_patients(repeat('smith ', 40));

-- reading a typed date: month first, ISO, two-digit years (the latest not
-- after this year), NULL when not shaped like a date, 22007 for no such day
SELECT tok, _find_date(tok) FROM unnest(ARRAY['1/2/1980', '01.02.1980', '1-2-80', '12/31/99', '2/29/2000', '1980-1-2',
  '1/2/198', '1/2/19800', '123/4/1980', '1980/01/02', '1/2-1980', 'jo', '']) tok;
SELECT _find_date('1/2/' || to_char(CURRENT_DATE + 366, 'YY')) = make_date(extract(year FROM CURRENT_DATE + 366)::int - 100, 1, 2) AS next_year_is_last_century,
       _find_date('1/2/' || to_char(CURRENT_DATE, 'YY')) = make_date(extract(year FROM CURRENT_DATE)::int, 1, 2) AS this_year_is_this_century;
SELECT _find_date('2/29/1900');
SELECT _find_date('0000-01-01');

-- scoring a candidate's names (_find_best_reading, one call per candidate):
-- every name must match; the highest sum of levels, then the reading in typed
-- order; a lone name has no given level; no matching reading gives NULL
SELECT _find_level('smi', 'SM', NULL, 'Smith', 'SM0') AS prefix, _find_level('bill', 'PL', 'william will', 'William', 'ALM') AS nickname,
       _find_level('smiht', 'SMT', NULL, 'Smith', 'SM0') AS typo, _find_level('jo', NULL, NULL, NULL, NULL) AS no_name;
SELECT _find_best_reading('{smith,john}', '{SM0,JN}', '{john,smith}', '{JN,SM0}', '{NULL,NULL}', '{1,0}',
                          'Smith', 'SM0', 'John', 'JN') AS typed_order_first,
       _find_best_reading('{john,smith}', '{JN,SM0}', '{smith,john}', '{SM0,JN}', '{NULL,NULL}', '{1,0}',
                          'Smith', 'SM0', 'John', 'JN') AS better_sum_wins,
       _find_best_reading('{john,john}', '{JN,JN}', '{jo,j}', '{J,J}', '{NULL,NULL}', '{0,1}',
                          'John', 'JN', 'Johnson', 'JNSN') AS equal_sums_typed_order,
       _find_best_reading('{smith}', '{SM0}', '{NULL}', '{NULL}', '{NULL}', '{1}', 'Smithers', 'SM0R', 'Ann', 'AN') AS lone_name,
       _find_best_reading('{jones}', '{JNS}', '{ann}', '{AN}', '{NULL}', '{1}', 'Smith', 'SM0', 'Ann', 'AN') AS family_must_match,
       _find_best_reading('{smith}', '{SM0}', '{ann,bob}', '{AN,PP}', '{NULL}', '{1}', 'Smith', 'SM0', 'Ann', 'AN') AS arrays_of_one_length;

-- who may search: the roles that read patients; the search runs with the caller's rights
SELECT r.rolname, has_function_privilege(r.rolname, 'patsvc.find_patients(text, date, integer)', 'EXECUTE') AS may_search
  FROM pg_roles r WHERE r.rolname LIKE 'patsvc\_%' ORDER BY 1;
SELECT prosecdef FROM pg_proc WHERE oid IN ('patsvc.find_patients(text, date, integer)'::regprocedure,
                                            'patsvc._find_patients(text, date, integer)'::regprocedure);
SET ROLE patsvc_admin;
SELECT * FROM find_patients('smith');
RESET ROLE;
-- the indexes the search uses
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM patients
 WHERE lower(family_name) ~>=~ 'smi' AND lower(family_name) ~<~ 'smj' AND lower(given_name) ~>=~ 'jo' AND lower(given_name) ~<~ 'jp';
EXPLAIN (COSTS OFF) SELECT id FROM patients WHERE family_phonetic = 'SM0' AND given_phonetic = 'JN';
RESET enable_seqscan;

-- leave no rows behind (the next files use their own patients)
SET client_min_messages = warning;
TRUNCATE patients, consents, patient_guardians, patient_changes, patient_distinct_pairs, patient_merges, reminders, waitlist_offers, waitlist, appointments, appointment_resources RESTART IDENTITY CASCADE;
RESET client_min_messages;
