-- Replicas: what a logical-replication subscriber needs (README, "Replicas and backups").
--
-- The logical-replication apply worker runs with session_replication_role =
-- replica and fires only ROW triggers that are ENABLE REPLICA or ENABLE ALWAYS;
-- statement triggers fire there only for TRUNCATE (and for the COPY of a
-- table's initial synchronisation).  The statement triggers that drop the
-- per-backend caches (*_changed, codeset_changed) are ordinary ones, so a
-- replicated change of hours, types, time off ... left every session of the
-- subscriber with stale caches.  Below: an ENABLE REPLICA row trigger
-- replica_changed on each of these tables sends the same relcache invalidation
-- for every applied row (and for every row of the initial COPY, which runs in
-- replica mode too; a replicated TRUNCATE gives the table a new file, which
-- invalidates every backend's caches of it by itself).  They are on the
-- master-data tables only: a booking (patsvc.appointments) fires none.

DO $$
DECLARE
  t text;
BEGIN
  -- the scheduling caches (cache.c) and the referenced rows each backend knows (refs.c)
  FOREACH t IN ARRAY ARRAY['appointment_types', 'resources', 'availability', 'locations', 'time_off',
                           'reminder_rules'] LOOP
    EXECUTE pg_catalog.format('CREATE TRIGGER replica_changed AFTER INSERT OR UPDATE OR DELETE ON @extschema@.%I'
                              ' FOR EACH ROW EXECUTE FUNCTION @extschema@.cache_changed()', t);
    EXECUTE pg_catalog.format('ALTER TABLE @extschema@.%I ENABLE REPLICA TRIGGER replica_changed', t);
    EXECUTE pg_catalog.format('COMMENT ON TRIGGER replica_changed ON @extschema@.%I IS %L', t,
      'rows applied by logical replication (session_replication_role = replica) drop every backend''s caches of this table, as trigger '
      || t || '_changed does for ordinary writes');
  END LOOP;
  -- patients and providers: a replicated delete or re-key must make every backend forget the rows it knew
  FOREACH t IN ARRAY ARRAY['patients', 'providers'] LOOP
    EXECUTE pg_catalog.format('CREATE TRIGGER replica_changed AFTER UPDATE OR DELETE ON @extschema@.%I'
                              ' FOR EACH ROW EXECUTE FUNCTION @extschema@.cache_changed()', t);
    EXECUTE pg_catalog.format('ALTER TABLE @extschema@.%I ENABLE REPLICA TRIGGER replica_changed', t);
    EXECUTE pg_catalog.format('COMMENT ON TRIGGER replica_changed ON @extschema@.%I IS %L', t,
      'rows updated or deleted by logical replication (session_replication_role = replica) make every backend forget the '
      || t || ' it found present (referenced_key_guard does that for ordinary writes)');
  END LOOP;
  -- code sets (codeset_lookup.c)
  FOREACH t IN ARRAY ARRAY['icd10cm_release', 'icd10cm_code', 'hcpcs_release', 'hcpcs_code', 'hcpcs_modifier'] LOOP
    EXECUTE pg_catalog.format('CREATE TRIGGER codeset_replica_changed AFTER INSERT OR UPDATE OR DELETE ON @extschema@.%I'
                              ' FOR EACH ROW EXECUTE FUNCTION @extschema@.cache_changed()', t);
    EXECUTE pg_catalog.format('ALTER TABLE @extschema@.%I ENABLE REPLICA TRIGGER codeset_replica_changed', t);
    EXECUTE pg_catalog.format('COMMENT ON TRIGGER codeset_replica_changed ON @extschema@.%I IS %L', t,
      'rows applied by logical replication (session_replication_role = replica) drop every backend''s cached releases, as trigger codeset_changed does for ordinary writes');
  END LOOP;
END $$;
-- Identity ranges: each node that writes takes ids from its own range, so rows
-- it writes never collide with rows replicated from another node.
CREATE FUNCTION @extschema@.set_identity_range(first_id bigint, last_id bigint)
  RETURNS TABLE(sequence_name regclass, next_value bigint)
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  s record;
  restart bigint;
BEGIN
  IF first_id IS NULL OR last_id IS NULL OR first_id < 1 OR last_id <= first_id THEN
    RAISE EXCEPTION 'invalid identity range [%, %]', first_id, last_id USING ERRCODE = '22023',
      DETAIL = 'A range needs 1 <= first_id < last_id.',
      HINT = 'Give every node that writes its own range, e.g. node n: set_identity_range(n * 1000000000000000 + 1, (n + 1) * 1000000000000000).';
  END IF;
  FOR s IN
    WITH ext AS (
      SELECT d.objid FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
       WHERE d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass AND e.extname = 'patsvc'
         AND d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype = 'e')
    SELECT c.oid::pg_catalog.regclass AS seq, pg_catalog.pg_sequence_last_value(c.oid) AS last_value
      FROM pg_catalog.pg_class c
     WHERE c.relkind = 'S'
       AND (c.oid IN (SELECT objid FROM ext)
            OR EXISTS (SELECT 1 FROM pg_catalog.pg_depend o
                        WHERE o.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND o.objid = c.oid
                          AND o.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
                          AND o.deptype OPERATOR(pg_catalog.=) ANY (ARRAY['a', 'i']::"char"[])
                          AND o.refobjid IN (SELECT objid FROM ext)))
     ORDER BY c.oid::pg_catalog.regclass::pg_catalog.text
  LOOP
    -- a sequence already inside the range goes on from where it is (one at its end fails: RESTART
    -- above MAXVALUE); any other starts at the range's first id
    restart := CASE WHEN s.last_value >= first_id AND s.last_value <= last_id
                    THEN s.last_value + 1 ELSE first_id END;
    EXECUTE pg_catalog.format('ALTER SEQUENCE %s NO CYCLE MINVALUE %s MAXVALUE %s START WITH %s RESTART WITH %s',
                              s.seq, first_id, last_id, first_id, restart);
    sequence_name := s.seq;
    next_value := restart;
    RETURN NEXT;
  END LOOP;
END $$;
REVOKE ALL ON FUNCTION @extschema@.set_identity_range(bigint, bigint) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.set_identity_range(bigint, bigint) IS
  'per-node identity range for logical replication: every identity column and sequence of patsvc takes ids only from [first_id, last_id] (no cycle: an exhausted range fails with 2200H), going on from its current value when that lies in the range; run as the sequences'' owner on every node that writes, and again after a restore (pg_dump keeps sequence values, not their ranges); returns the next id of each';
