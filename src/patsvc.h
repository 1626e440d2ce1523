/*
 * patsvc.h -- declarations shared by every part of patsvc.
 *
 * patsvc's own SQLSTATEs live in class "PS".  Each concern owns a range and
 * declares its codes in its own header (src/codes/codes.h: PS1xx,
 * src/scheduling: PS2xx, src/retention: PS3xx); the README lists them all.
 */
#ifndef PATSVC_H
#define PATSVC_H

#include "postgres.h"

#define PATSVC_SCHEMA "patsvc"

#include "executor/spi.h"
#include "fmgr.h"
#include "nodes/parsenodes.h"
#include "utils/relcache.h"

/*
 * patsvc's own SQLSTATEs that belong to no single concern (range PS0xx).
 * PS001: a patsvc trigger function fired on a table it was not made for.
 */
#define ERRCODE_PATSVC_WRONG_TRIGGER_TABLE	MAKE_SQLSTATE('P','S','0','0','1')

/*
 * Trigger functions bound to their tables.  patsvc_trigger_bound raises
 * PS001 unless the function was called as a trigger on one of the tables of
 * patsvc's schema named in tables (a NULL-terminated list); fn is the SQL
 * name of the trigger function, for the message.  The schema's OID is
 * looked up once and forgotten when pg_namespace changes, so the check is a
 * comparison and a few strcmp per row.  Nothing else (column names, types)
 * is trusted before it passes.
 */
extern Oid	patsvc_schema_oid(void);

/* The relation of that name in patsvc's schema; InvalidOid when there is none. */
extern Oid	patsvc_relid(const char *name);
extern bool patsvc_is_own_table(Relation rel, const char *const *tables);
extern void patsvc_trigger_bound(FunctionCallInfo fcinfo, const char *fn, const char *const *tables);
extern void patsvc_refuse_trigger_table(FunctionCallInfo fcinfo, const char *fn, const char *allowed);

/*
 * SECURITY DEFINER functions that stand in for a privilege on a table check
 * that the role calling them (the outer user: current_user before any
 * SECURITY DEFINER function) holds it, beyond EXECUTE; 42501 otherwise, with
 * hint.  privilege is its name for the message (DELETE), mode the AclMode.
 */
extern void patsvc_require_table_privilege(Oid relid, AclMode mode, const char *privilege, const char *fn,
										   const char *hint);

/*
 * The plan in *slot, prepared on first use (generic: patsvc's queries are
 * index lookups whatever the values) and kept for the backend's life.
 */
extern SPIPlanPtr patsvc_kept_plan(SPIPlanPtr *slot, const char *sql, int nargs, const Oid *types);

/*
 * Retention: installs the hardened-mode hooks when patsvc is loaded through
 * shared_preload_libraries; does nothing otherwise (src/retention/hooks.c).
 */
extern void patsvc_retention_init(void);

#endif							/* PATSVC_H */
