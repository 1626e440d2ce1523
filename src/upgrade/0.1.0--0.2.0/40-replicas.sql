-- 0.1.0 -> 0.2.0, replicas and scheduled jobs: the new comment of
-- scheduling_cache_changed (src/scheduling/10-model.sql).
COMMENT ON FUNCTION @extschema@.scheduling_cache_changed() IS
  'trigger of the tables the per-backend caches read (appointment_types, resources, availability, locations, reminder_rules, time_off; patients and providers for the known referenced rows): invalidates the per-backend caches; statement triggers *_changed for every write, row triggers replica_changed for rows applied by logical replication';


-- The rest: 41-replicas.sql and 42-scheduled-jobs.sql, links to
-- src/scheduling/50-replicas.sql and src/retention/scheduled-jobs.sql.
