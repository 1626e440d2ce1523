-- Registration: demographics checked and normalized, medical record numbers
-- with a check digit, history of changes, likely duplicates refused inside
-- the insert unless confirmed (each kind of match, and near-misses that are
-- different people).
SET search_path = public, patsvc;
\set VERBOSITY default
\set SHOW_CONTEXT never
SET TimeZone = 'UTC';
-- ids and MRNs from 1 (the output shows them): start from an empty registry
SET client_min_messages = warning;
TRUNCATE patients, consents, patient_guardians, patient_changes, patient_distinct_pairs, patient_merges, reminders, waitlist_offers, waitlist, appointments, appointment_resources RESTART IDENTITY CASCADE;
RESET client_min_messages;
SELECT setval('patsvc.patient_mrn_seq', 1, false) AS mrn_from;

-- a patient, fields as the front desk types them
SELECT patient_id > 0 AS registered, patient_mrn ~ '^P[0-9]{9}$' AS mrn_shape
  FROM register_patient('Smith', 'William', '1980-03-04', 'male', middle_name => 'James',
                        address_line1 => '1 Main St', city => 'Boston', state => 'ma', zip => '021151234',
                        mobile_phone => '+1 (617) 555-0142', email => 'Bill.Smith@Example.ORG',
                        preferred_language => 'EN-us');
SELECT name, state, zip, mobile_phone, email, preferred_language, family_phonetic, given_phonetic,
       mrn_canonical(mrn) = mrn AS canonical
  FROM patients WHERE family_name = 'Smith';
SELECT id AS bill_id, mrn AS bill_mrn FROM patients WHERE family_name = 'Smith' \gset

-- lookups by MRN in the forms staff type
SELECT patient_by_mrn(lower(:'bill_mrn')) = :bill_id AS lower_case,
       patient_by_mrn(substr(:'bill_mrn', 1, 4) || '-' || substr(:'bill_mrn', 5, 3) || ' ' || substr(:'bill_mrn', 8)) = :bill_id AS with_dash_and_space;
-- a mistyped MRN: the check digit catches it and says what it should be
SELECT patient_by_mrn(substr(:'bill_mrn', 1, 9) || ((substr(:'bill_mrn', 10, 1)::int + 1) % 10)::text);
SELECT patient_by_mrn('Z000000000');
SELECT patient_by_mrn('ext 12/34');
SELECT mrn_canonical('');

-- likely duplicates, each kind: refused with ids, MRNs and why (no other data)
SELECT * FROM register_patient('Smith', 'William', '1980-03-04', 'male');            -- same name and birth date
SELECT * FROM register_patient('Smyth', 'Bill', '1980-03-04', 'male');               -- sound-alike and nickname
SELECT * FROM register_patient('Smith-Jones', 'William', '1980-03-04', 'male');      -- hyphenated family name
SELECT * FROM register_patient('Smith', 'Wiliam', '1980-04-03', 'male');             -- day and month swapped, a typo
SELECT * FROM register_patient('Smith', 'William', '1981-03-04', 'male');            -- one digit off
SELECT * FROM register_patient('Brown', 'William', '1980-03-04', 'male', zip => '02115'); -- family name changed, same ZIP
SELECT * FROM register_patient('Smitt', 'Willem', '1980-02-04', 'male', email => 'bill.smith@example.org'); -- same e-mail, close birth date
-- near-misses that are different people: registered without a word
SELECT patient_mrn IS NOT NULL AS twin FROM register_patient('Smith', 'Mark', '1980-03-04', 'male', mobile_phone => '617 555 0142');   -- same phone, other given name
SELECT patient_mrn IS NOT NULL AS father FROM register_patient('Smith', 'William', '1955-03-04', 'male');  -- same name, 25 years apart
SELECT patient_mrn IS NOT NULL AS son FROM register_patient('Smith', 'William', '2006-03-04', 'male');
SELECT patient_mrn IS NOT NULL AS stranger FROM register_patient('Jones', 'Mary', '1980-03-04', 'female');  -- same birth date
SELECT patient_mrn IS NOT NULL AS cousin FROM register_patient('Smith', 'Williamina', '1980-03-05', 'female'); -- close date, a woman

-- confirmed as a different person: registered, recorded with the user, and the pair is never shown again
SELECT patient_mrn IS NOT NULL AS registered FROM register_patient('Smyth', 'Bill', '1980-03-04', 'male', confirm_new => true);
SELECT distinct_confirmed_by = session_user AS by_me, distinct_confirmed_at IS NOT NULL AS stamped
  FROM patients WHERE family_name = 'Smyth';
SELECT count(*) AS pairs FROM patient_distinct_pairs;
SELECT id AS smyth_id FROM patients WHERE family_name = 'Smyth' \gset
SELECT update_patient(:smyth_id, '{"mobile_phone": "(617) 555-0199"}');

-- the same check on updates
SELECT id AS mark_id FROM patients WHERE given_name = 'Mark' \gset
SELECT update_patient(:mark_id, '{"given_name": "William"}');
SELECT update_patient(:mark_id, '{"given_name": "William"}', confirm_distinct => true);
SELECT given_name, distinct_confirmed_by = session_user AS by_me FROM patients WHERE id = :mark_id;

-- every change is kept: who, when, old and new values of what changed
SELECT update_patient(:bill_id, '{"city": "Cambridge", "address_line2": "Apt 2"}');
SELECT changed_by = session_user AS by_me, old_values, new_values
  FROM patient_changes WHERE patient_id = :bill_id ORDER BY id;

-- malformed fields: 22P02 with a hint, nothing written
SELECT count(*) AS before FROM patients \gset
SELECT * FROM register_patient('Doe', 'Jane', '1990-01-01', 'femal');
SELECT * FROM register_patient('Doe', 'Jane', '1990-01-01', 'female', home_phone => '055 555 1234');
SELECT * FROM register_patient('Doe', 'Jane', '1990-01-01', 'female', home_phone => '617 555 014');
SELECT * FROM register_patient('Doe', 'Jane', '1990-01-01', 'female', home_phone => '617-555-0142 ext 3');
SELECT * FROM register_patient('Doe', 'Jane', '1990-01-01', 'female', zip => '1234');
SELECT * FROM register_patient('Doe', 'Jane', '1990-01-01', 'female', email => 'jane@');
SELECT * FROM register_patient('Doe', 'Jane', '1990-01-01', 'female', email => 'jane doe@example.org');
SELECT * FROM register_patient('Doe', 'Jane', '1990-01-01', 'female', state => 'XX');
SELECT * FROM register_patient('Doe', 'Jane', '1990-01-01', 'female', preferred_language => 'english!');
SELECT * FROM register_patient('D0e', 'Jane', '1990-01-01', 'female');
SELECT * FROM register_patient('Doe', '  ', '1990-01-01', 'female');
SELECT * FROM register_patient('Doe', 'Jane', NULL, 'female');
-- impossible dates: PS411
SELECT * FROM register_patient('Doe', 'Jane', '2999-01-01', 'female');
SELECT * FROM register_patient('Doe', 'Jane', '1850-01-01', 'female');
SELECT update_patient(:bill_id, '{"deceased_date": "1970-01-01"}');
SELECT update_patient(:bill_id, '{"deceased_date": "2999-01-01"}');
-- update_patient's own errors
SELECT update_patient(:bill_id, '{"shoe_size": 11}');
SELECT update_patient(:bill_id, '[1]');
SELECT update_patient(-1, '{}');
SELECT count(*) = :before AS nothing_written FROM patients;

-- a bare name (as other systems and older code write it) gets an MRN and is not matched
INSERT INTO patients (id, name) VALUES (900001, 'Legacy Name'), (900002, 'Legacy Name');
SELECT count(DISTINCT mrn) AS distinct_mrns FROM patients WHERE id IN (900001, 900002);

-- guardians: who may act for a patient (a minor's parents)
SELECT patient_id AS kid FROM register_patient('Lopez', 'Mateo', '2019-08-09', 'male') \gset
SELECT add_guardian(:kid, 'Mia Lopez', 'parent', phone => '+1 617-555-0111') > 0 AS guardian;
SELECT name, relationship, phone, valid_until FROM patient_guardians WHERE patient_id = :kid;
SELECT add_guardian(:kid, 'Mia Lopez', 'aunt');
SELECT add_guardian(:kid, 'Mia Lopez', 'parent', phone => '555-0111');
SELECT add_guardian(-5, 'Mia Lopez', 'parent');

-- the matching helpers
SELECT round(jaro_winkler('Martha', 'Marhta')::numeric, 3) AS jw, round(jaro_winkler('Dixon', 'Dicksonx')::numeric, 3) AS jw2,
       name_phonetic('Smith') = name_phonetic('Smyth') AS same_sound, name_phonetic('Schmidt') AS schmidt;
-- Latin letters with diacritics compare as their base letters (precomposed or decomposed); other scripts as they are
SELECT jaro_winkler('José', 'JOSE') AS jose, jaro_winkler(E'Jose\u0301', 'José') AS decomposed,
       name_phonetic('Müller') = name_phonetic('Muller') AS muller, name_phonetic('Dvořák') AS dvorak,
       jaro_winkler('Straße', 'Strasse') AS strasse, jaro_winkler('Nguyễn', 'Nguyen') < 1 AS beyond_latin_a,
       jaro_winkler('李', '李') AS han;

-- leave no rows behind (the next files use their own patients)
SET client_min_messages = warning;
TRUNCATE patients, consents, patient_guardians, patient_changes, patient_distinct_pairs, patient_merges, reminders, waitlist_offers, waitlist, appointments, appointment_resources RESTART IDENTITY CASCADE;
RESET client_min_messages;
