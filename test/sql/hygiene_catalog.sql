-- Catalog hygiene of the whole extension; runs last (Makefile: REGRESS_LAST).  Every
-- query below lists offenders, so the expected output is the list of
-- deliberate exceptions (usually none).

-- 1. Every member of the extension has a COMMENT.
SELECT pg_describe_object(d.classid, d.objid, 0) AS member_without_comment
FROM pg_depend d JOIN pg_extension e ON d.refobjid = e.oid AND d.refclassid = 'pg_extension'::regclass
WHERE e.extname = 'patsvc' AND d.deptype = 'e'
  AND NOT EXISTS (SELECT 1 FROM pg_description c
                  WHERE c.classoid = d.classid AND c.objoid = d.objid AND c.objsubid = 0)
  -- a table's row type and an array type are described by their table / element
  AND NOT (d.classid = 'pg_type'::regclass AND EXISTS (
        SELECT 1 FROM pg_type t WHERE t.oid = d.objid AND (t.typrelid <> 0 OR t.typelem <> 0)))
  -- sequences behind identity/serial columns
  AND NOT (d.classid = 'pg_class'::regclass AND EXISTS (
        SELECT 1 FROM pg_class s JOIN pg_depend o ON o.objid = s.oid AND o.deptype IN ('a', 'i')
        WHERE s.oid = d.objid AND s.relkind = 'S'))
ORDER BY 1;

-- Triggers on patsvc's own tables are not extension members: check them too.
SELECT tgrelid::regclass AS tbl, tgname AS trigger_without_comment
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
WHERE c.relnamespace = 'patsvc'::regnamespace AND NOT t.tgisinternal
  AND obj_description(t.oid, 'pg_trigger') IS NULL
ORDER BY 1, 2;

-- 2. What PUBLIC may touch among patsvc's tables and views: only reference
--    data without patient information may appear here.
SELECT c.relname AS readable_by_public, string_agg(DISTINCT a.privilege_type, ', ') AS privileges
FROM pg_class c, aclexplode(c.relacl) a
WHERE c.relnamespace = 'patsvc'::regnamespace AND a.grantee = 0
GROUP BY c.relname ORDER BY 1;

-- 3. SECURITY DEFINER functions pin search_path to pg_catalog, pg_temp.
SELECT p.oid::regprocedure AS definer_without_pinned_search_path
FROM pg_proc p
WHERE p.pronamespace = 'patsvc'::regnamespace AND p.prosecdef
  AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false)
ORDER BY 1;

-- 4. Every installable version can reach the default version.
SELECT source AS version_without_update_path
FROM pg_extension_update_paths('patsvc') p, pg_available_extensions a
WHERE a.name = 'patsvc' AND p.target = a.default_version AND p.source <> p.target AND p.path IS NULL;

-- 5. Every table and sequence of patsvc is dumped by pg_dump (pg_extension_config_dump):
--    a table missing there is lost by a backup.
--    The one deliberate exception is patsvc.patient_keys: the keys of encrypted columns must
--    NOT travel with the data backups, or an old backup would restore a shredded patient's
--    key (cryptographic erase); they are backed up apart with export_patient_keys().
SELECT c.oid::regclass AS not_dumped_by_pg_dump
FROM pg_class c, pg_extension e
WHERE e.extname = 'patsvc' AND c.relnamespace = 'patsvc'::regnamespace AND c.relkind IN ('r', 'p', 'S')
  AND NOT c.oid = ANY (e.extconfig)
  AND c.oid <> 'patsvc.patient_keys'::regclass
ORDER BY 1;
-- ... and patient_keys is indeed not dumped.
SELECT 'patsvc.patient_keys'::regclass = ANY (e.extconfig) AS patient_keys_dumped
FROM pg_extension e WHERE e.extname = 'patsvc';
