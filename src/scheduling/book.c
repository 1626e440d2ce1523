/*
 * book.c -- patsvc.book(): one INSERT into patsvc.appointments, run as the
 * caller; the trigger appointments_enforce decides, exactly as for an INSERT
 * written by hand.
 *
 * The row is written by core's patsvc_direct_insert (the caller's
 * privileges checked by the executor's function, defaults, the domain of
 * priority, every row trigger, constraint and index), not through SPI and an
 * INSERT plan: starting an executor for one row cost about as much as the
 * row's index entries.  The type's code is resolved from a per-backend
 * cache (code -> id).
 *
 * Behaviour stays that of
 *   INSERT INTO patsvc.appointments (patient_id, provider_id, starts_at, type_id, resources, priority)
 *   VALUES ($1, $2, $3, patsvc.appointment_type_id($4), $5, $6) RETURNING id
 * run as the caller.  The type's code is resolved here only when the
 * statement's call of appointment_type_id() would succeed and see every row:
 * the caller holds EXECUTE on appointment_type_id and SELECT on
 * appointment_types, and no row-level security applies to appointment_types;
 * otherwise, and for a code no type has, book() runs the statement by code
 * through SPI, which raises what the plpgsql function raised, in the same
 * order (PS208 after the row's id was drawn).  The privileges on
 * appointments themselves are checked by patsvc_direct_insert with the
 * executor's own check (column privileges included), before anything is
 * drawn; a table the direct path does not handle (statement triggers, rules,
 * row-level security) gets the statement by id through SPI.
 */
#include "postgres.h"

#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/rls.h"
#include "utils/syscache.h"

#include "core/core.h"
#include "scheduling/scheduling.h"

PG_FUNCTION_INFO_V1(patsvc_book);

#define BOOK_NARGS 6
#define BOOK_COLUMNS "INSERT INTO " PATSVC_SCHEMA ".appointments" \
	" (patient_id, provider_id, starts_at, type_id, resources, priority)"

/* the type's id given ($4 bigint) */
static SPIPlanPtr insert_plan = NULL;
/* the type's code given ($4 text), resolved by appointment_type_id() in the statement */
static SPIPlanPtr insert_by_code_plan = NULL;
static SPIPlanPtr type_plan = NULL;

/* ---- code -> id of patsvc.appointment_types --------------------------------
 * Dropped by any relcache invalidation of appointment_types (trigger
 * cache_changed sends one for every change, to this backend at the end of
 * the changing command, to the others at commit; a rolled back change's is
 * processed here at the rollback).  Filled only from lookups with a fresh
 * snapshot (READ COMMITTED): a change committed after it was read is followed
 * by its invalidation.  Under a transaction snapshot (REPEATABLE READ,
 * SERIALIZABLE) a missed code is read with that snapshot and not kept.
 */
#define TYPE_CODE_KEYLEN 64				/* longer codes are looked up each time */

typedef struct CachedTypeCode
{
	char		code[TYPE_CODE_KEYLEN]; /* hash key */
	int64		id;
} CachedTypeCode;

static HTAB *type_codes = NULL;
static MemoryContext type_codes_cxt = NULL;
static Oid	type_codes_relid = InvalidOid;
static uint64 type_codes_generation = 0;

static void
type_codes_invalidate(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == type_codes_relid)
	{
		type_codes = NULL;
		type_codes_relid = InvalidOid;
		type_codes_generation++;
	}
}

static void
type_codes_open(Oid types_relid)
{
	HASHCTL		ctl;

	patsvc_listen_relcache(type_codes_invalidate);
	if (type_codes != NULL)
		return;
	if (type_codes_cxt == NULL)
		type_codes_cxt = AllocSetContextCreate(CacheMemoryContext, "patsvc type codes", ALLOCSET_SMALL_SIZES);
	MemoryContextReset(type_codes_cxt);
	ctl.keysize = TYPE_CODE_KEYLEN;
	ctl.entrysize = sizeof(CachedTypeCode);
	ctl.hcxt = type_codes_cxt;
	type_codes = hash_create("patsvc type codes", 64, &ctl, HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	type_codes_relid = types_relid;
}

/* The id of the type with this code, read as the caller; false when there is none. */
static bool
read_type_id(const char *code, int64 *id)
{
	static const Oid types[1] = {TEXTOID};
	Datum		v[1] = {CStringGetTextDatum(code)};
	bool		isnull;
	int			rc;

	bool		found;

	patsvc_spi_connect();
	rc = SPI_execute_plan(patsvc_kept_plan(&type_plan,
										   "SELECT t.id FROM " PATSVC_SCHEMA ".appointment_types t"
										   " WHERE t.code OPERATOR(pg_catalog.=) $1", 1, types),
						  v, NULL, false, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "book: type lookup failed: %s", SPI_result_code_string(rc));
	found = SPI_processed > 0;
	if (found)
		*id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	patsvc_spi_finish();
	return found && !isnull;
}

/*
 * The id of the type with this code; false when there is none:
 * then the statement by code raises appointment_type_id()'s PS208, after the
 * new row's id was drawn, as the plpgsql book() did.
 */
static bool
type_id_of_code(const char *code, Oid types_relid, int64 *id)
{
	bool		keep = strlen(code) < TYPE_CODE_KEYLEN;
	CachedTypeCode *entry;
	uint64		generation;

	type_codes_open(types_relid);
	if (keep && (entry = hash_search(type_codes, code, HASH_FIND, NULL)) != NULL)
	{
		*id = entry->id;
		return true;
	}
	generation = type_codes_generation;
	if (!read_type_id(code, id))
		return false;
	/* an invalidation during the read: it may be older than the change, keep nothing */
	if (keep && !IsolationUsesXactSnapshot() && generation == type_codes_generation && type_codes != NULL)
	{
		entry = hash_search(type_codes, code, HASH_ENTER, NULL);
		entry->id = *id;
	}
	return true;
}

/* scheduling.h: the id of the type with this code for book_overbook; false: none */
bool
sched_type_id_of_code(const char *code, int64 *id)
{
	return type_id_of_code(code, patsvc_relid("appointment_types"), id);
}

/* ---- the cached path's conditions ------------------------------------------ */

/* appointment_type_id(text), looked up again after any change to pg_proc */
static Oid	type_id_fn = InvalidOid;

static void
forget_type_id_function(Datum arg, int cacheid, uint32 hashvalue)
{
	type_id_fn = InvalidOid;
}

static Oid
type_id_function(void)
{
	static bool listening = false;
	Oid			argtypes[1] = {TEXTOID};

	if (!listening)
	{
		CacheRegisterSyscacheCallback(PROCOID, forget_type_id_function, (Datum) 0);
		listening = true;
	}
	if (!OidIsValid(type_id_fn))
		type_id_fn = GetSysCacheOid3(PROCNAMEARGSNSP, Anum_pg_proc_oid, CStringGetDatum("appointment_type_id"),
									 PointerGetDatum(buildoidvector(argtypes, 1)),
									 ObjectIdGetDatum(patsvc_schema_oid()));
	return type_id_fn;
}

/*
 * Would the statement's appointment_type_id() run without an error, and
 * would its SELECT see every row of appointment_types?
 */
static bool
lookup_is_plain(Oid types)
{
	Oid			user = GetUserId();
	Oid			fn;

	if (!OidIsValid(types))
		return false;
	fn = type_id_function();
	if (!OidIsValid(fn) || pg_proc_aclcheck(fn, user, ACL_EXECUTE) != ACLCHECK_OK)
		return false;
	if (pg_class_aclcheck(types, user, ACL_SELECT) != ACLCHECK_OK)
		return false;
	return check_enable_rls(types, InvalidOid, true) == RLS_NONE;
}

static SPIPlanPtr
book_plan(bool by_code)
{
	static const Oid by_id[BOOK_NARGS] = {INT8OID, INT8OID, TIMESTAMPTZOID, INT8OID, INT8ARRAYOID, TEXTOID};
	static const Oid by_name[BOOK_NARGS] = {INT8OID, INT8OID, TIMESTAMPTZOID, TEXTOID, INT8ARRAYOID, TEXTOID};

	if (by_code)
		return patsvc_kept_plan(&insert_by_code_plan,
								BOOK_COLUMNS " VALUES ($1, $2, $3, " PATSVC_SCHEMA ".appointment_type_id($4), $5, $6)"
								" RETURNING id", BOOK_NARGS, by_name);
	return patsvc_kept_plan(&insert_plan, BOOK_COLUMNS " VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
							BOOK_NARGS, by_id);
}

/* the row book() writes, straight into the table (core: patsvc_direct_insert) */
static const char *const book_columns[BOOK_NARGS] = {
	"patient_id", "provider_id", "starts_at", "type_id", "resources", "priority"
};
static const Oid book_types[BOOK_NARGS] = {INT8OID, INT8OID, TIMESTAMPTZOID, INT8OID, INT8ARRAYOID, TEXTOID};
static PatsvcDirectInsert book_insert = {"appointments", book_columns, book_types, BOOK_NARGS, "id"};

/*
 * patsvc.book(patient, provider, starts_at, appointment_type, resources,
 * priority): the new appointment's id (NULL if no row was inserted).
 */
Datum
patsvc_book(PG_FUNCTION_ARGS)
{
	Datum		values[BOOK_NARGS];
	bool		isnulls[BOOK_NARGS];
	char		nulls[BOOK_NARGS];
	Oid			types = patsvc_relid("appointment_types");
	bool		by_code = !lookup_is_plain(types);
	bool		isnull = true;
	Datum		id = (Datum) 0;
	int			rc;

	for (int i = 0; i < BOOK_NARGS; i++)
	{
		isnulls[i] = PG_ARGISNULL(i);
		nulls[i] = isnulls[i] ? 'n' : ' ';
		values[i] = isnulls[i] ? (Datum) 0 : PG_GETARG_DATUM(i);
	}
	if (!by_code && !PG_ARGISNULL(3))
	{
		int64		type_id;

		if (type_id_of_code(text_to_cstring(PG_GETARG_TEXT_PP(3)), types, &type_id))
			values[3] = Int64GetDatum(type_id);
		else
			by_code = true;
	}
	if (!by_code)
	{
		switch (patsvc_direct_insert(&book_insert, values, isnulls, &id, &isnull))
		{
			case PATSVC_INSERT_DONE:
				if (isnull)
					PG_RETURN_NULL();
				PG_RETURN_DATUM(id);
			case PATSVC_INSERT_SKIPPED:
				PG_RETURN_NULL();
			case PATSVC_INSERT_UNSUPPORTED:
				break;
		}
	}
	patsvc_spi_connect();
	rc = SPI_execute_plan(book_plan(by_code), values, nulls, false, 0);
	if (rc != SPI_OK_INSERT_RETURNING)
		elog(ERROR, "book: insert failed: %s", SPI_result_code_string(rc));
	if (SPI_processed > 0)
		id = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	patsvc_spi_finish();
	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(id);
}
