-- ---- backups --------------------------------------------------------------
-- Every scheduling table (the registry's: src/registry/10-registry.sql) holds the clinic's data: pg_dump dumps all its rows,
-- and the sequences behind them (identity columns, series numbers), so a
-- restore gives back the same ids and goes on numbering after them.  A restore
-- runs with session_replication_role = replica (README, "Replicas and
-- backups"): appointments_enforce and the reminders trigger do not fire, so
-- restored bookings are kept as they were and derived rows (resource holds,
-- reminders) come from their own tables, neither doubled nor lost.
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['resources', 'availability', 'time_off',
                           'appointment_types', 'appointments', 'waitlist', 'waitlist_offers',
                           'reminder_rules', 'reminders'] LOOP
    PERFORM pg_catalog.pg_extension_config_dump(('@extschema@.' || t)::pg_catalog.regclass, '');
    PERFORM pg_catalog.pg_extension_config_dump(
              pg_catalog.pg_get_serial_sequence('@extschema@.' || t, 'id')::pg_catalog.regclass, '');
  END LOOP;
  PERFORM pg_catalog.pg_extension_config_dump('@extschema@.appointment_resources', '');
  PERFORM pg_catalog.pg_extension_config_dump('@extschema@.series_id_seq', '');
END $$;
