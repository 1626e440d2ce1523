-- A canonical description of everything extension patsvc owns in this
-- database: one line per fact, sorted, no OIDs.  test/ops/ops_upgrade.sh prints
-- it for a fresh install and for an upgraded one and diffs the two.
\pset format unaligned
\pset tuples_only on
WITH members AS (
  SELECT d.classid, d.objid
  FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
  WHERE d.refclassid = 'pg_extension'::regclass AND e.extname = 'patsvc' AND d.deptype = 'e'
), rels AS (
  SELECT c.* FROM pg_class c JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = c.oid
), facts(line) AS (
  -- every member, with its comment
  SELECT 'member ' || pg_describe_object(m.classid, m.objid, 0) || ' comment=' ||
         coalesce(quote_literal(d.description), 'none')
  FROM members m LEFT JOIN pg_description d ON d.classoid = m.classid AND d.objoid = m.objid AND d.objsubid = 0
  UNION ALL  -- functions: whole definition, owner-independent privileges
  SELECT 'function ' || p.oid::regprocedure || E'\n' || pg_get_functiondef(p.oid) ||
         ' acl=' || coalesce(p.proacl::text, 'default') || ' parallel=' || p.proparallel::text ||
         ' cost=' || p.procost || ' rows=' || p.prorows
  FROM pg_proc p JOIN members m ON m.classid = 'pg_proc'::regclass AND m.objid = p.oid
  WHERE p.prokind <> 'a'
  UNION ALL
  SELECT 'aggregate ' || p.oid::regprocedure || ' ' || a.aggtransfn::text || ' ' || a.aggtranstype::regtype ||
         ' ' || a.aggfinalfn::text || ' acl=' || coalesce(p.proacl::text, 'default')
  FROM pg_proc p JOIN pg_aggregate a ON a.aggfnoid = p.oid
  JOIN members m ON m.classid = 'pg_proc'::regclass AND m.objid = p.oid
  UNION ALL  -- relations
  SELECT 'relation ' || c.oid::regclass || ' kind=' || c.relkind::text || ' persistence=' || c.relpersistence::text ||
         ' rls=' || c.relrowsecurity || '/' || c.relforcerowsecurity || ' options=' ||
         coalesce(c.reloptions::text, '') || ' acl=' || coalesce(c.relacl::text, 'default') ||
         ' replident=' || c.relreplident::text
  FROM rels c
  UNION ALL  -- columns
  SELECT 'column ' || c.oid::regclass || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) ||
         ' notnull=' || a.attnotnull || ' identity=' || a.attidentity::text || ' generated=' || a.attgenerated::text ||
         ' default=' || coalesce(pg_get_expr(ad.adbin, ad.adrelid), '') || ' collation=' || a.attcollation::regcollation ||
         ' storage=' || a.attstorage::text || ' acl=' || coalesce(a.attacl::text, 'default') ||
         ' comment=' || coalesce(quote_literal(col_description(c.oid, a.attnum)), 'none')
  FROM rels c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_attrdef ad ON ad.adrelid = c.oid AND ad.adnum = a.attnum
  UNION ALL  -- constraints of tables and domains
  SELECT 'constraint ' || coalesce(con.conrelid::regclass::text, con.contypid::regtype::text) || ' ' ||
         con.conname || ' ' || pg_get_constraintdef(con.oid) || ' deferrable=' || con.condeferrable ||
         ' comment=' || coalesce(quote_literal(obj_description(con.oid, 'pg_constraint')), 'none')
  FROM pg_constraint con
  WHERE con.conrelid IN (SELECT oid FROM rels)
     OR con.contypid IN (SELECT objid FROM members WHERE classid = 'pg_type'::regclass)
  UNION ALL  -- indexes (members only through their table)
  SELECT 'index ' || pg_get_indexdef(i.indexrelid) || ' comment=' ||
         coalesce(quote_literal(obj_description(i.indexrelid, 'pg_class')), 'none')
  FROM pg_index i WHERE i.indrelid IN (SELECT oid FROM rels)
  UNION ALL  -- triggers on patsvc's tables
  SELECT 'trigger ' || pg_get_triggerdef(t.oid) || ' enabled=' || t.tgenabled::text || ' comment=' ||
         coalesce(quote_literal(obj_description(t.oid, 'pg_trigger')), 'none')
  FROM pg_trigger t WHERE t.tgrelid IN (SELECT oid FROM rels) AND NOT t.tgisinternal
  UNION ALL  -- row-level security policies
  SELECT 'policy ' || pol.polrelid::regclass || ' ' || pol.polname || ' cmd=' || pol.polcmd::text ||
         ' permissive=' || pol.polpermissive || ' roles=' || pol.polroles::regrole[]::text ||
         ' using=' || coalesce(pg_get_expr(pol.polqual, pol.polrelid), '') ||
         ' check=' || coalesce(pg_get_expr(pol.polwithcheck, pol.polrelid), '')
  FROM pg_policy pol WHERE pol.polrelid IN (SELECT oid FROM rels)
  UNION ALL  -- views
  SELECT 'view ' || c.oid::regclass || E'\n' || pg_get_viewdef(c.oid) FROM rels c WHERE c.relkind IN ('v', 'm')
  UNION ALL  -- sequences
  SELECT 'sequence ' || s.seqrelid::regclass || ' ' || s.seqtypid::regtype || ' start=' || s.seqstart ||
         ' inc=' || s.seqincrement || ' min=' || s.seqmin || ' max=' || s.seqmax || ' cache=' || s.seqcache ||
         ' cycle=' || s.seqcycle
  FROM pg_sequence s WHERE s.seqrelid IN (SELECT oid FROM rels)
  UNION ALL  -- types
  SELECT 'type ' || t.oid::regtype || ' type=' || t.typtype::text || ' len=' || t.typlen || ' byval=' || t.typbyval ||
         ' align=' || t.typalign::text || ' storage=' || t.typstorage::text || ' in=' || t.typinput || ' out=' || t.typoutput ||
         ' recv=' || t.typreceive || ' send=' || t.typsend || ' base=' || t.typbasetype::regtype ||
         ' notnull=' || t.typnotnull || ' default=' || coalesce(t.typdefault, '') ||
         ' acl=' || coalesce(t.typacl::text, 'default') ||
         ' labels=' || coalesce((SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = t.oid), '')
  FROM pg_type t JOIN members m ON m.classid = 'pg_type'::regclass AND m.objid = t.oid
  UNION ALL  -- operators
  SELECT 'operator ' || o.oid::regoperator || ' proc=' || o.oprcode || ' com=' || o.oprcom::regoperator ||
         ' neg=' || o.oprnegate::regoperator || ' rest=' || o.oprrest || ' join=' || o.oprjoin ||
         ' merges=' || o.oprcanmerge || ' hashes=' || o.oprcanhash
  FROM pg_operator o JOIN members m ON m.classid = 'pg_operator'::regclass AND m.objid = o.oid
  UNION ALL  -- operator classes with their members
  SELECT 'opclass ' || am.amname || ' ' || oc.opcname || ' for ' || oc.opcintype::regtype || ' default=' ||
         oc.opcdefault || ' ops=' || coalesce((
           SELECT string_agg(ao.amopstrategy || ':' || ao.amopopr::regoperator, ',' ORDER BY ao.amopstrategy)
           FROM pg_amop ao WHERE ao.amopfamily = oc.opcfamily AND ao.amoplefttype = oc.opcintype), '') ||
         ' procs=' || coalesce((
           SELECT string_agg(ap.amprocnum || ':' || ap.amproc::regprocedure, ',' ORDER BY ap.amprocnum)
           FROM pg_amproc ap WHERE ap.amprocfamily = oc.opcfamily AND ap.amproclefttype = oc.opcintype), '')
  FROM pg_opclass oc JOIN pg_am am ON am.oid = oc.opcmethod
  JOIN members m ON m.classid = 'pg_opclass'::regclass AND m.objid = oc.oid
  UNION ALL  -- casts
  SELECT 'cast ' || c.castsource::regtype || ' -> ' || c.casttarget::regtype || ' func=' ||
         coalesce(nullif(c.castfunc, 0)::regprocedure::text, '-') || ' ctx=' || c.castcontext::text || ' method=' || c.castmethod::text
  FROM pg_cast c JOIN members m ON m.classid = 'pg_cast'::regclass AND m.objid = c.oid
  UNION ALL  -- event triggers
  SELECT 'event trigger ' || et.evtname || ' on ' || et.evtevent || ' ' || et.evtfoid::regprocedure ||
         ' enabled=' || et.evtenabled::text || ' tags=' || coalesce(et.evttags::text, '')
  FROM pg_event_trigger et JOIN members m ON m.classid = 'pg_event_trigger'::regclass AND m.objid = et.oid
  UNION ALL  -- initial privileges recorded for pg_dump
  SELECT 'init_privs ' || pg_describe_object(ip.classoid, ip.objoid, ip.objsubid) || ' ' || ip.privtype::text || ' ' ||
         ip.initprivs::text
  FROM pg_init_privs ip JOIN members m ON m.classid = ip.classoid AND m.objid = ip.objoid
  UNION ALL  -- what pg_dump dumps of the extension's tables, and with which filter
  SELECT 'config_dump ' || cfg.relid::regclass || ' where=' || coalesce(cfg.cond, '')
  FROM pg_extension e, unnest(e.extconfig, e.extcondition) AS cfg(relid, cond) WHERE e.extname = 'patsvc'
  UNION ALL
  SELECT 'extension version=' || extversion || ' schema=' || extnamespace::regnamespace || ' relocatable=' ||
         extrelocatable FROM pg_extension WHERE extname = 'patsvc'
)
SELECT line FROM facts ORDER BY line COLLATE "C";
