/*
 * core.h -- the small core every area of patsvc builds on (src/core/).
 *
 * Areas (codes, registry, scheduling, retention, ...) include this header and
 * their own; never another area's internals (a code type is used through
 * src/codes/codes.h, its public header).  What lives here:
 *   catalog.c   patsvc's schema and relations; trigger functions bound to
 *               patsvc's tables (PS001); the privilege a SECURITY DEFINER
 *               function stands in for
 *   spi.c       SPI connect/finish that report errors properly, plans kept
 *               for the backend's life, running as a table's owner
 *   keyscan.c   the rows of a table whose key equals an int64, read through
 *               an index straight (no SPI, no plan)
 *   rowcache.c  per-backend caches of rows by bigint id, dropped by relcache
 *               invalidations (rowcache.h)
 *   invalidate.c the one cache-invalidation trigger function, cache_changed(),
 *               and the one relcache callback patsvc registers, which calls
 *               every area's listener
 *   sort.c      int64 sorting and de-duplication
 *   checkdigit.c the Luhn check digit (NPI, medical record numbers)
 * patsvc's own SQLSTATEs (class PS) are generated from src/errcodes.txt into
 * errcodes.h, included here: every area uses them by name.
 */
#ifndef PATSVC_CORE_H
#define PATSVC_CORE_H

#include "postgres.h"

#define PATSVC_SCHEMA "patsvc"

#include "executor/spi.h"
#include "fmgr.h"
#include "nodes/parsenodes.h"
#include "utils/inval.h"
#include "utils/relcache.h"

#include "errcodes.h"			/* generated from src/errcodes.txt */

/* ---- catalog.c ------------------------------------------------------------ */

/* OID of patsvc's schema (InvalidOid without the extension), cached until pg_namespace changes. */
extern Oid	patsvc_schema_oid(void);

/* The relation of that name in patsvc's schema; InvalidOid when there is none. */
extern Oid	patsvc_relid(const char *name);
/* the owner of one of patsvc's tables (the extension's owner): code that
 * reads or writes a table as its owner asks here; a missing table is an error */
extern Oid	patsvc_table_owner(const char *name);

/*
 * Trigger functions bound to their tables.  patsvc_trigger_bound raises
 * PS001 unless the function was called as a trigger on one of the tables of
 * patsvc's schema named in tables (a NULL-terminated list; NULL itself: any
 * table of patsvc's schema, which only the extension creates); fn is the SQL
 * name of the trigger function, for the message.  Nothing else (column
 * names, types) is trusted before it passes.
 */
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

/* ---- invalidate.c: relcache listeners --------------------------------------- */

/*
 * Has fn called (with arg 0) on every relcache invalidation this backend
 * processes, like CacheRegisterRelcacheCallback(fn, 0), but through the one
 * callback patsvc registers: PostgreSQL has room for only MAX_RELCACHE_CALLBACKS
 * (10) in a backend, shared by every library loaded.  Listening twice with
 * the same fn is a no-op, so callers need no "registered" flag of their own.
 */
extern void patsvc_listen_relcache(RelcacheCallbackFunction fn);

/* ---- rowcache.c: column numbers --------------------------------------------- */

/*
 * The column numbers of a table's columns by name, looked up once and again
 * only after a relcache invalidation (not per row): a trigger declares a
 * static PatsvcColumns {names, count} and reads attnums[i] for names[i].
 * A missing column is an internal error (the install script made the table).
 */
#define PATSVC_MAX_COLUMNS 32
typedef struct PatsvcColumns
{
	const char *const *names;
	int			count;
	int			optional_from;	/* > 0: names from this index on may be missing (attnum 0), as a
								 * column a later version adds, in a database not yet updated */
	Oid			relid;			/* the cache's own state */
	uint64		epoch;
	int			attnums[PATSVC_MAX_COLUMNS];
} PatsvcColumns;

extern const int *patsvc_columns(PatsvcColumns *cols, Relation rel);

/*
 * A number that changes with every relcache invalidation this backend
 * processes (any table's DDL, a trigger or rule added or dropped, a
 * cache_changed() trigger): what was checked of a relation's definition
 * holds while it stays the same.
 */
extern uint64 patsvc_relcache_epoch(void);

/* ---- insert.c ------------------------------------------------------------- */

/*
 * One row inserted into one of patsvc's tables as
 *   INSERT INTO table (names...) VALUES (values...) RETURNING returning
 * would insert it, run as the caller, without SPI or an executor plan.
 * A function declares a static PatsvcDirectInsert {table, names, types,
 * count, returning} (types: the given values' types, the columns' own or
 * their domains' base types) and calls patsvc_direct_insert; on
 * PATSVC_INSERT_UNSUPPORTED (the table has statement triggers, rules,
 * row-level security, ...) nothing was done and it runs that statement.
 */
typedef enum PatsvcInsertResult
{
	PATSVC_INSERT_DONE,			/* inserted, *returned set */
	PATSVC_INSERT_SKIPPED,		/* a BEFORE ROW trigger returned NULL */
	PATSVC_INSERT_UNSUPPORTED	/* run the statement instead */
} PatsvcInsertResult;

typedef struct PatsvcDirectInsert
{
	const char *table;
	const char *const *names;
	const Oid  *types;
	int			count;
	const char *returning;
	/* the cache's own state, per relcache generation */
	Oid			relid;
	uint64		epoch;
	MemoryContext cxt;
	int			attnums[PATSVC_MAX_COLUMNS];
	Oid			domains[PATSVC_MAX_COLUMNS];
	void	   *domain_extra[PATSVC_MAX_COLUMNS];
	struct Bitmapset *given;
	int			returning_attnum;
	int		   *source;			/* per column: given value i + 1, default -(d + 1), 0 NULL */
	int			ndefaults;
	struct ExprState **default_states;	/* prepared once, like the predicates */
	int			npredicates;	/* partial indexes' predicates, prepared */
	Oid			predicate_index[PATSVC_MAX_COLUMNS];
	struct ExprState *predicate_state[PATSVC_MAX_COLUMNS];
} PatsvcDirectInsert;

extern PatsvcInsertResult patsvc_direct_insert(PatsvcDirectInsert *di, const Datum *values, const bool *nulls,
											   Datum *returned, bool *returned_null);

/* In a BEFORE ROW trigger: is this the row patsvc_direct_insert is inserting? (onconflict.c asks) */
struct TriggerData;
extern bool patsvc_direct_insert_fired_by(struct TriggerData *td);

/* ---- onconflict.c --------------------------------------------------------- */

/*
 * Could the INSERT whose BEFORE ROW trigger fired (td) have an ON CONFLICT
 * clause?  False for patsvc_direct_insert's row, and when no statement with
 * one has started and not ended in this backend (conservative: true in the
 * transaction that loaded the library, and after an error until the
 * transaction ends).
 */
extern bool patsvc_on_conflict_possible(struct TriggerData *td);

/* _PG_init: installs those hooks */
extern void core_init(void);

/* ---- keyscan.c ------------------------------------------------------------ */

/*
 * The rows of patsvc's table whose key equals key, through index (NULL: the
 * table's primary key) whose first column is that key, read in snapshot:
 *   PatsvcKeyScan ks;
 *   patsvc_key_scan_begin(&ks, "appointments", "appointments_authorization", &cols, id, snapshot);
 *   while (patsvc_key_scan_next(&ks))
 *       ... patsvc_key_scan_column(&ks, i, &isnull) is column cols.names[i] of the row ...
 *   patsvc_key_scan_end(&ks);
 */
typedef struct PatsvcKeyScan
{
	Relation	heap;
	Relation	index;
	struct IndexScanDescData *scan;
	struct TupleTableSlot *slot;
	const int  *col;
} PatsvcKeyScan;

extern void patsvc_key_scan_begin(PatsvcKeyScan *ks, const char *table, const char *index, PatsvcColumns *cols,
								  int64 key, Snapshot snapshot);
extern bool patsvc_key_scan_next(PatsvcKeyScan *ks);
extern Datum patsvc_key_scan_column(PatsvcKeyScan *ks, int which, bool *isnull);
extern void patsvc_key_scan_end(PatsvcKeyScan *ks);

/* ---- spi.c ---------------------------------------------------------------- */

/* SPI_connect / SPI_finish; a failure is reported as an internal error (XX000) naming SPI's reason. */
extern void patsvc_spi_connect(void);
extern void patsvc_spi_finish(void);

/*
 * The plan in *slot, prepared on first use (generic: patsvc's queries are
 * index lookups whatever the values) and kept for the backend's life.
 */
extern SPIPlanPtr patsvc_kept_plan(SPIPlanPtr *slot, const char *sql, int nargs, const Oid *types);

/*
 * Running as a table's owner, as the foreign-key triggers do: patsvc reads
 * and writes its internal tables with the owner's rights (callers need no
 * privilege on them), row-level security forced on them does not apply.
 * Every patsvc_become_owner is followed by patsvc_restore_user with the same
 * PatsvcSavedUser; on error, the transaction's abort restores the user.
 */
typedef struct PatsvcSavedUser
{
	Oid			userid;
	int			sec_context;
} PatsvcSavedUser;

extern void patsvc_become_owner(Oid owner, PatsvcSavedUser *saved);
extern void patsvc_restore_user(const PatsvcSavedUser *saved);

/* ---- sort.c --------------------------------------------------------------- */

/* qsort comparator for int64 (and TimestampTz, an int64) */
extern int	patsvc_cmp_int64(const void *a, const void *b);

/* Sorts values and drops duplicates in place; returns how many are left. */
extern int	patsvc_sort_distinct(int64 *values, int n);

/* ---- fileline.c ---------------------------------------------------------- */

/*
 * Refuses an imported file at line lineno (sqlerrcode: the importer's own
 * SQLSTATE): "malformed line N in <kind>: <what fmt says>", how the line
 * begins (excerpt, or NULL), that nothing was imported, the layout as hint.
 * Importers wrap it in their own variadic helper.
 */
extern void patsvc_bad_file_line_va(int sqlerrcode, const char *kind, int lineno, const char *excerpt,
									const char *layout, const char *fmt, va_list args)
			pg_attribute_printf(6, 0) pg_attribute_noreturn();

/* ---- checkdigit.c --------------------------------------------------------- */

/*
 * The Luhn check digit of n digits (characters '0'..'9'), sum being the
 * contribution of digits that stand in front of them (0 for none).
 */
extern int	patsvc_luhn_check_digit(const char *digits, int n, int sum);

#endif							/* PATSVC_CORE_H */
