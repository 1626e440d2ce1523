-- Per-backend caches (code set releases, scheduling lookups, the
-- hardened-mode list of protected tables) are dropped by one trigger
-- function, attached by each area to the tables its caches read.
CREATE FUNCTION @extschema@.cache_changed() RETURNS trigger
  AS 'MODULE_PATHNAME', 'patsvc_cache_changed' LANGUAGE C;
COMMENT ON FUNCTION @extschema@.cache_changed() IS
  'trigger of the tables patsvc''s per-backend caches read: sends a relcache invalidation of the table, so every backend drops what it cached from it (statement triggers *_changed for ordinary writes, ENABLE REPLICA row triggers for rows applied by logical replication); only on tables of patsvc''s schema (PS001)';
