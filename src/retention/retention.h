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


/*
 * The C files of the area, by concern:
 *   tables.c        retention's own tables, listed once (below)
 *   periods.c       retention periods: text with units -> interval
 *   guards.c        the guard triggers of protected tables and ledgers
 *   destroy.c       the destroying flag, destroy_due/destroy_early, the
 *                   executor hook sparing their DELETEs, the fast batches
 *   tokens.c        random tokens of certificates, their sha256, token sets
 *   certificates.c  issuing the certificate of a destruction
 *   status.c        retention status of rows, enforcement level
 *   ledgers.c       ledgers written by patsvc alone, the event log, holds
 *   isolation.c     snapshot check of destructions
 *   hooks.c         hardened mode
 *   visits.c        fulfilled visits as last encounters (scheduling's hook)
 * The arithmetic of retention (retain-until, anchor dates, cutoffs) is SQL's
 * alone: src/retention/10-periods.sql.
 */

/* Name prefix of the guard triggers protect() creates. */
#define RETENTION_TRIGGER_PREFIX "patsvc_retention_"

/* destroy.c: true while patsvc.destroy_due()/destroy_early() deletes from relid (or a partition of it) */
extern bool retention_destroying(Oid relid);

/* destroy.c: the table a destruction running in this session destroys from (InvalidOid: none) */
extern Oid	retention_destroy_relid(void);

/* every mode: the executor hook that spares patsvc's own destroying statements the guard (destroy.c) */
extern void retention_install_destroy_hook(void);

/* visits.c: fulfilled visits move the patient's last encounter (scheduling's hook; called by retention_init) */
extern void retention_listen_to_visits(void);

/* Called from _PG_init (src/retention/area.mk): the destroy hook always, the hardened-mode hooks when preloaded. */
extern void retention_init(void);

/* isolation.c: at REPEATABLE READ / SERIALIZABLE, fail (40001) when holds or facts changed since the snapshot */
extern void retention_check_snapshot(void);

/* guards.c: is relid registered in patsvc.protected_tables (registry and its primary key given)? */
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

/*
 * tables.c: retention's own tables in patsvc's schema, listed once; each with
 * its ledger letter (0: not a ledger patsvc alone writes) and flags.
 */
#define RT_APPEND_ONLY	0x01	/* rows never changed or removed (append_only_guard, hooks) */
#define RT_SEALED		0x02	/* never truncated (retention_guard_truncate, hooks) */
#define RT_LOGGED		0x04	/* every change logged in retention_events (_log_change) */
#define RT_BY_PATSVC	0x08	/* written by patsvc's C code alone: has a ledger letter (_ledger_guard) */
#define RT_ALL_FLAGS	0x0f

typedef struct RetentionTable
{
	const char *name;
	char		ledger;			/* LEDGER_*, or 0 */
	int			flags;			/* RT_* but RT_BY_PATSVC, which follows from ledger */
} RetentionTable;

extern int	retention_table_count(void);
extern const RetentionTable *retention_table_at(int i);
extern const RetentionTable *retention_table_named(const char *relname);
extern const char *const *retention_table_names(int flags);

extern char ledger_of_name(const char *relname);
extern bool ledger_write_allowed(char ledger, Oid relid, CmdType op);
extern void ledger_refuse_write(char ledger, CmdType op);
extern int	ledger_execute(char ledger, CmdType op, SPIPlanPtr plan, Datum *values, const char *nulls, long tcount);
extern void ledger_log(const char *event, const char *table_name, bool has_hold, int64 hold_id, const char *detail);
extern char *retention_qualified_name(Oid relid);

/* Owner of patsvc's retention tables (tables.c) */
extern Oid	retention_tables_owner(void);

/*
 * tokens.c: the token set _store_tokens() stored for the destruction running
 * in this session, which its certificate (certificates.c) names; forgotten
 * when the run ends.
 */
typedef struct PendingTokens
{
	bool		valid;
	int64		token_set;
	int64		tokens;
	char		sha256[64 + 1];
} PendingTokens;

extern const PendingTokens *retention_pending_tokens(void);
extern void retention_forget_tokens(void);

/* hardened mode: the hooks (hooks.c) */
extern bool retention_hooks_installed;
extern void retention_install_hooks(void);

#endif							/* PATSVC_RETENTION_H */
