-- ---- backups --------------------------------------------------------------
-- pg_dump dumps every retention table and sequence; of the policies only the
-- clinic's own (every install has the ready-made ones), and of the protections only the
-- clinic's own (CREATE EXTENSION makes the ready-made ones, triggers included).  Tables are named by
-- regclass, so a restore points registrations, holds and archives at the
-- restored tables; certificates keep their numbers and hashes (_certificate_chain).
DO $$
DECLARE
  t text;
BEGIN
  PERFORM pg_catalog.pg_extension_config_dump('@extschema@.retention_policies', 'WHERE NOT ready_made');
  PERFORM pg_catalog.pg_extension_config_dump('@extschema@.protected_tables', 'WHERE NOT ready_made');
  FOREACH t IN ARRAY ARRAY['retention_events', 'retention_patient_facts', 'retention_holds',
                           'destruction_tokens', 'destruction_certificates', 'retention_archives',
                           'destruction_token_sets_seq', 'destruction_certificates_seq'] LOOP
    PERFORM pg_catalog.pg_extension_config_dump(('@extschema@.' || t)::pg_catalog.regclass, '');
  END LOOP;
  PERFORM pg_catalog.pg_extension_config_dump(
            pg_catalog.pg_get_serial_sequence('@extschema@.retention_events', 'event_id')::pg_catalog.regclass, '');
  PERFORM pg_catalog.pg_extension_config_dump(
            pg_catalog.pg_get_serial_sequence('@extschema@.retention_holds', 'hold_id')::pg_catalog.regclass, '');
END $$;
