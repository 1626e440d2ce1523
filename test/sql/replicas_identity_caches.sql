-- Replicas (README "Replicas and backups"): per-node identity ranges
-- (set_identity_range) and the triggers that keep every backend's caches right
-- when rows are applied by logical replication.  The publisher/subscriber and
-- standby tests themselves are test/ops/replicas_logical_replication.sh and replicas_hot_standby.sh.
SET search_path = public, patsvc;
\set VERBOSITY default
\set SHOW_CONTEXT never
SET TimeZone = 'UTC';

-- Cache invalidation: statement triggers for ordinary writes, row triggers for rows
-- the apply worker applies (ENABLE REPLICA: they fire only with
-- session_replication_role = replica).  None on appointments: a booking fires none.
SELECT c.relname, t.tgname, t.tgenabled, (t.tgtype & 1) = 1 AS for_each_row
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE c.relnamespace = 'patsvc'::regnamespace AND NOT t.tgisinternal
   AND (t.tgname LIKE '%changed' AND t.tgname NOT LIKE 'references_changed%' OR t.tgname = 'patsvc_registry_changed')
 ORDER BY 1, 2;

-- Identity ranges: refused when empty or not positive
SELECT set_identity_range(0, 10);
SELECT set_identity_range(10, 10);
SELECT set_identity_range(NULL, 10);
SELECT has_function_privilege('public', 'set_identity_range(bigint,bigint)', 'EXECUTE') AS public_may_run_it;

BEGIN;
-- every identity column and sequence of patsvc, each starting at the range's first id
SELECT count(*) >= 17 AS all_sequences, min(next_value), max(next_value) FROM set_identity_range(5000001, 6000000);
SELECT bool_and(s.seqmin = 5000001 AND s.seqmax = 6000000 AND NOT s.seqcycle AND s.seqincrement = 1) AS all_in_range
  FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid WHERE c.relnamespace = 'patsvc'::regnamespace;
SELECT sequence_name FROM set_identity_range(5000001, 6000000)
 WHERE sequence_name::text IN ('appointments_id_seq', 'series_id_seq', 'destruction_certificates_seq',
                               'destruction_token_sets_seq', 'retention_events_event_id_seq', 'retention_holds_hold_id_seq')
 ORDER BY sequence_name::text;
INSERT INTO locations (name, time_zone) VALUES ('Branch', 'UTC'), ('Branch 2', 'UTC') RETURNING id;
-- run again: a sequence inside the range goes on from where it is
SELECT next_value FROM set_identity_range(5000001, 6000000) WHERE sequence_name = 'locations_id_seq'::regclass;
INSERT INTO locations (name, time_zone) VALUES ('Branch 3', 'UTC') RETURNING id;
-- a range runs out instead of reusing ids
SELECT next_value FROM set_identity_range(7000001, 7000002) WHERE sequence_name = 'locations_id_seq'::regclass;
INSERT INTO locations (name, time_zone) VALUES ('a', 'UTC'), ('b', 'UTC') RETURNING id;
INSERT INTO locations (name, time_zone) VALUES ('c', 'UTC');
ROLLBACK;

-- destroy_due_all (the nightly pg_cron recipe) says who authorized it, or does not run
SELECT * FROM destroy_due_all(NULL, 'deleted');
SELECT * FROM destroy_due_all('pg_cron nightly job', ' ');
