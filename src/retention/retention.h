/*
 * retention.h -- retention and destruction of protected records.
 *
 * A protected table's rows leave only through patsvc.destroy_due() (or, in
 * governance mode, patsvc.destroy_early()).  Both set a backend-local
 * "destroying" flag around their own DELETEs; the guard triggers (basic
 * mode) and the executor/utility/object-access hooks (hardened mode, when
 * patsvc is in shared_preload_libraries) honour it and nothing else.
 */
#ifndef PATSVC_RETENTION_H
#define PATSVC_RETENTION_H

#include "postgres.h"

#include "executor/spi.h"
#include "nodes/nodes.h"

/* SQLSTATEs: src/errcodes.txt (ERRCODE_PATSVC_*, range PS3xx), through core/core.h */
#include "core/core.h"


/* Name prefix of the guard triggers protect() creates. */
#define RETENTION_TRIGGER_PREFIX "patsvc_retention_"

/* true while patsvc.destroy_due()/destroy_early() deletes from relid (or a partition of it) */
extern bool retention_destroying(Oid relid);

/* every mode: the executor hook that spares patsvc's own destroying statements the guard (retention.c) */
extern void retention_install_destroy_hook(void);

/* Called from _PG_init (src/retention/area.mk): the destroy hook always, the hardened-mode hooks when preloaded. */
extern void retention_init(void);

/* isolation.c: at REPEATABLE READ / SERIALIZABLE, fail (40001) when holds or facts changed since the snapshot */
extern void retention_check_snapshot(void);

/* Is relid registered in patsvc.protected_tables (registry and its primary key given)? */
extern bool retention_registry_has(Oid registry, Oid registry_pkey, Oid relid);

/*
 * ledgers.c: patsvc's ledgers (certificates, tokens, events, holds) take rows
 * only from patsvc's own C code, which permits one kind of write to one
 * ledger around the one statement it runs (ledger_execute), the way the
 * destroying flag scopes deletes; from patsvc's install and update scripts;
 * and from a restore (a superuser in replica mode writing a ledger that held
 * no row before the statement).  The ledger trigger (every mode) and the
 * hardened executor hook ask ledger_write_allowed().  A ledger is named by
 * one letter, which is also its kind in the hardened cache.
 */
#define LEDGER_CERTIFICATES 'c'		/* destruction_certificates */
#define LEDGER_TOKENS		't'		/* destruction_tokens */
#define LEDGER_EVENTS		'e'		/* retention_events */
#define LEDGER_HOLDS		'h'		/* retention_holds */

extern char ledger_of_name(const char *relname);
extern bool ledger_write_allowed(char ledger, Oid relid, CmdType op);
extern void ledger_refuse_write(char ledger, CmdType op);
extern int	ledger_execute(char ledger, CmdType op, SPIPlanPtr plan, Datum *values, const char *nulls, long tcount);
extern void ledger_log(const char *event, const char *table_name, bool has_hold, int64 hold_id, const char *detail);
extern char *retention_qualified_name(Oid relid);

/* Owner of patsvc's retention tables (retention.c) */
extern Oid	retention_tables_owner(void);

/* hardened mode: the hooks (hooks.c) */
extern bool retention_hooks_installed;
extern void retention_install_hooks(void);

#endif							/* PATSVC_RETENTION_H */
