-- Cryptographic erase: encrypted columns of a protected table under per-patient keys;
-- destroying a patient's last encrypted record destroys the key, so the ciphertext left in
-- copies (dumps, WAL, archives) can no longer be read.
SET search_path = public, patsvc;
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;

SELECT create_policy('test_crypto', 'visit notes', '1 year', 'column', 'governance', 'test');
CREATE TABLE crypto_notes (id int PRIMARY KEY, mrn text NOT NULL, seen date NOT NULL,
                           diagnosis bytea, notes bytea, plain_note text);
-- only protected tables, only bytea columns other than the patient and anchor columns
SELECT encrypt_columns('crypto_notes', ARRAY['diagnosis']);
SELECT protect('crypto_notes', 'test_crypto', 'mrn', 'seen');
SELECT seal('crypto_notes', 'CRY-A', 'x');
SELECT encrypt_columns('crypto_notes', ARRAY['plain_note']);
SELECT encrypt_columns('crypto_notes', ARRAY['nope']);
SELECT encrypt_columns('crypto_notes', ARRAY['diagnosis', 'notes']);
SELECT column_name FROM encrypted_columns WHERE relid = 'crypto_notes'::regclass ORDER BY 1;

-- write with seal(), read with unseal() (a view is the recipe)
INSERT INTO crypto_notes
SELECT v.id, v.mrn, v.seen, seal('crypto_notes', v.mrn, v.dx), seal('crypto_notes', v.mrn, v.note), 'clear'
  FROM (VALUES (1, 'CRY-A', DATE '2000-01-10', 'J45.909 asthma', 'uses inhaler'),
               (2, 'CRY-A', DATE '2000-02-10', 'E11.9 diabetes', 'diet advice'),
               (3, 'CRY-B', CURRENT_DATE, 'I10 hypertension', 'recheck in 3 months'),
               (4, 'CRY-C', DATE '2000-03-10', 'F32.9 depression', 'referred')) v(id, mrn, seen, dx, note);
CREATE VIEW crypto_notes_plain AS
  SELECT id, mrn, seen, unseal('crypto_notes', mrn, diagnosis) AS diagnosis, unseal('crypto_notes', mrn, notes) AS notes
    FROM crypto_notes;
SELECT id, mrn, diagnosis, notes FROM crypto_notes_plain ORDER BY id;
-- the stored values are ciphertext: no plaintext inside, format byte 1, a fresh IV each time
SELECT id, position(convert_to('asthma', 'UTF8') IN diagnosis) = 0 AS no_plaintext, get_byte(diagnosis, 0) AS format,
       length(diagnosis) AS bytes FROM crypto_notes WHERE id = 1;
SELECT seal('crypto_notes', 'CRY-A', 'same') <> seal('crypto_notes', 'CRY-A', 'same') AS fresh_iv;
SELECT count(*) AS keys FROM patient_keys WHERE patient_id LIKE 'CRY-%';
-- another patient's ciphertext, or an altered value, is refused
SELECT unseal('crypto_notes', 'CRY-B', diagnosis) FROM crypto_notes WHERE id = 1;
SELECT unseal('crypto_notes', 'CRY-A', set_byte(diagnosis, 19, get_byte(diagnosis, 19) # 1)) FROM crypto_notes WHERE id = 1;
SELECT unseal('crypto_notes', 'CRY-A', '\x0102'::bytea);
-- the key table and the registrations are written by patsvc alone
INSERT INTO patient_keys (patient_id, key) VALUES ('CRY-X', decode(repeat('00', 64), 'hex'));
UPDATE patient_keys SET created_at = now() WHERE patient_id = 'CRY-A';
DELETE FROM patient_keys WHERE patient_id = 'CRY-A';
TRUNCATE patient_keys;
DELETE FROM encrypted_columns WHERE relid = 'crypto_notes'::regclass;
TRUNCATE encrypted_columns;
SELECT _shred_keys('crypto_notes');

-- keep A's ciphertext as a backup would
SELECT diagnosis AS a_backup FROM crypto_notes WHERE id = 1 \gset
-- C is held: its record and key stay
SELECT place_hold('CRY-CASE', 'crypto test hold', patient_id => 'CRY-C') AS hold \gset
SELECT destroy_due('crypto_notes', authorized_by => 'test', method => 'deleted') AS cert \gset
SELECT record_count, statement FROM destruction_certificates WHERE certificate_id = :cert;
SELECT patient_id FROM patient_keys WHERE patient_id LIKE 'CRY-%' ORDER BY 1;
SELECT event, table_name, detail FROM retention_events
 WHERE event LIKE 'patient key%' ORDER BY event_id DESC LIMIT 1;
SELECT bool_and(ok) AS chain_ok FROM verify_certificates();
-- A's old ciphertext is unreadable: the key is gone
SELECT unseal('crypto_notes', 'CRY-A', :'a_backup'::bytea);
-- B and C unaffected
SELECT id, mrn, diagnosis, notes FROM crypto_notes_plain ORDER BY id;

-- shred_patient only when nothing of the patient is kept
SELECT shred_patient('CRY-B', 'test');
SELECT shred_patient('CRY-C', 'test');
SELECT release_hold(:hold, 'crypto test done');
SELECT shred_patient('CRY-C', 'test');
SELECT shred_patient('CRY-A', 'test');          -- no key left: false
SELECT shred_patient('CRY-Z', NULL);
-- a key made and never used (its INSERT failed in another transaction) is shredded
SELECT seal('crypto_notes', 'CRY-Z', 'orphan') IS NOT NULL AS sealed;
SELECT shred_patient('CRY-Z', 'never stored');
SELECT event, table_name, detail FROM retention_events
 WHERE event LIKE 'patient key%' ORDER BY event_id DESC LIMIT 1;

-- a returning patient gets a new key: the old ciphertext stays unreadable
INSERT INTO crypto_notes VALUES (5, 'CRY-A', CURRENT_DATE, seal('crypto_notes', 'CRY-A', 'Z00.00 checkup'), NULL, NULL);
SELECT diagnosis FROM crypto_notes_plain WHERE id = 5;
SELECT unseal('crypto_notes', 'CRY-A', :'a_backup'::bytea);

-- the key vault: every current key, for a backup kept apart; importing adds only missing keys
SELECT jsonb_array_length(convert_from(export_patient_keys(), 'UTF8')::jsonb) =
       (SELECT count(*) FROM patient_keys) AS vault_complete;
SELECT import_patient_keys(export_patient_keys()) AS added;
SELECT import_patient_keys('not json'::bytea);

-- cryptographic erase needs READ COMMITTED
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT shred_patient('CRY-Q', 'test');
ROLLBACK;

-- a caller without rights on the table may not seal or unseal
CREATE ROLE crypto_nobody;
GRANT EXECUTE ON FUNCTION seal(regclass, text, text), unseal(regclass, text, bytea) TO crypto_nobody;
SET ROLE crypto_nobody;
SELECT seal('crypto_notes', 'CRY-B', 'x');
SELECT unseal('crypto_notes', 'CRY-A', '\x01'::bytea);
RESET ROLE;
REVOKE ALL ON FUNCTION seal(regclass, text, text), unseal(regclass, text, bytea) FROM crypto_nobody;
DROP ROLE crypto_nobody;

-- a merge of duplicate patients moves the duplicate's records to the survivor: their
-- encrypted values are re-sealed under the survivor's key
INSERT INTO patients (id, family_name, given_name, birth_date, sex, mrn)
VALUES (870001, 'Cryptomerge', 'Quentin', '1960-01-02', 'male', 'EXT870001'),
       (870002, 'Cryptomerge-Dup', 'Quintus', '1961-03-04', 'male', 'EXT870002');
-- (registered in patient_references rather than a foreign key: later files truncate patients)
CREATE TABLE crypto_labs (id int PRIMARY KEY, patient_id bigint NOT NULL, taken date NOT NULL, result bytea);
INSERT INTO patient_references (relid, column_name, note) VALUES ('crypto_labs', 'patient_id', 'crypto test');
SELECT protect('crypto_labs', 'test_crypto', 'patient_id', 'taken');
SELECT encrypt_columns('crypto_labs', ARRAY['result']);
INSERT INTO crypto_labs VALUES (1, 870001, CURRENT_DATE, seal('crypto_labs', '870001', 'LDL 130')),
                               (2, 870002, CURRENT_DATE, seal('crypto_labs', '870002', 'HbA1c 6.1')),
                               (3, 870002, CURRENT_DATE, NULL);
SELECT merge_patients(870001, 870002, 'registered twice') IS NOT NULL AS merged;
SELECT id, patient_id, unseal('crypto_labs', patient_id::text, result) AS result FROM crypto_labs ORDER BY id;
SELECT event, detail FROM retention_events WHERE event = 'encrypted values re-sealed' ORDER BY event_id DESC LIMIT 1;
-- the trigger works on patients only
CREATE TABLE pg_temp.not_patients (id bigint, merged_into bigint);
CREATE TRIGGER attack AFTER UPDATE ON pg_temp.not_patients FOR EACH ROW EXECUTE FUNCTION patsvc._crypto_merge_rekey();
INSERT INTO pg_temp.not_patients VALUES (1, NULL);
UPDATE pg_temp.not_patients SET merged_into = 2;

-- clean up what can be removed (protected records, keys and registrations stay)
DROP VIEW crypto_notes_plain;
