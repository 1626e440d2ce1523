/*
 * typecache.c -- per-backend cache of patsvc.appointment_types.
 *
 * Every write to patsvc.appointments needs its type's duration, buffers,
 * capacity and required resource kinds; reading them with SPI for each row
 * was one query of about eight.  The cache lives in CacheMemoryContext and
 * is dropped by a relcache invalidation of appointment_types: the statement
 * trigger appointment_types_changed sends one for every change (plain row
 * changes send none), to every backend at commit and to this backend at the
 * end of the changing command.  Entries are read with the latest snapshot:
 * the invalidation is sent after the change became visible, so a reload
 * after it never caches old values.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "patsvc.h"
#include "scheduling/scheduling.h"

typedef struct CachedType
{
	int64		id;				/* hash key */
	ApptType	type;			/* kinds allocated in type_cxt */
} CachedType;

static MemoryContext type_cxt = NULL;
static HTAB *type_cache = NULL;
static Oid	types_relid = InvalidOid;
static bool types_valid = false;
static uint64 types_generation = 0;	/* bumped by every invalidation */
static SPIPlanPtr type_plan = NULL;

static void
types_relcache_callback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == types_relid)
	{
		types_valid = false;
		types_generation++;
	}
}

/* Drop every entry (after an invalidation) and make sure the callback is registered. */
static void
reset_type_cache(void)
{
	HASHCTL		ctl;

	if (type_cxt == NULL)
	{
		CacheRegisterRelcacheCallback(types_relcache_callback, (Datum) 0);
		type_cxt = AllocSetContextCreate(CacheMemoryContext, "patsvc appointment types",
										 ALLOCSET_SMALL_SIZES);
	}
	MemoryContextReset(type_cxt);
	ctl.keysize = sizeof(int64);
	ctl.entrysize = sizeof(CachedType);
	ctl.hcxt = type_cxt;
	type_cache = hash_create("patsvc appointment types", 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	types_relid = get_relname_relid("appointment_types", get_namespace_oid(PATSVC_SCHEMA, false));
	types_valid = true;
}

static SPIPlanPtr
get_type_plan(void)
{
	if (type_plan == NULL)
	{
		Oid			argtypes[1] = {INT8OID};
		SPIPlanPtr	p = SPI_prepare("SELECT duration_minutes, buffer_before_minutes, buffer_after_minutes,"
									" capacity, required_resource_kinds"
									" FROM " PATSVC_SCHEMA ".appointment_types WHERE id = $1", 1, argtypes);

		if (p == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		SPI_keepplan(p);
		type_plan = p;
	}
	return type_plan;
}

/* Reads one type (inside SPI); false when it does not exist. */
static bool
read_type(int64 type_id, ApptType *type)
{
	Datum		v[1] = {Int64GetDatum(type_id)};
	int			rc = SPI_execute_snapshot(get_type_plan(), v, NULL, GetLatestSnapshot(),
										  InvalidSnapshot, true, false, 1);
	TupleDesc	desc = SPI_tuptable ? SPI_tuptable->tupdesc : NULL;
	bool		isnull;
	Datum	   *elems;
	bool	   *enulls;
	MemoryContext old;

	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
		return false;
	type->duration_min = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], desc, 1, &isnull));
	type->before_min = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], desc, 2, &isnull));
	type->after_min = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], desc, 3, &isnull));
	type->capacity = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], desc, 4, &isnull));
	deconstruct_array(DatumGetArrayTypeP(SPI_getbinval(SPI_tuptable->vals[0], desc, 5, &isnull)),
					  TEXTOID, -1, false, TYPALIGN_INT, &elems, &enulls, &type->nkinds);
	old = MemoryContextSwitchTo(type_cxt);
	type->kinds = palloc(sizeof(char *) * Max(type->nkinds, 1));
	for (int i = 0; i < type->nkinds; i++)
		type->kinds[i] = enulls[i] ? "" : TextDatumGetCString(elems[i]);
	MemoryContextSwitchTo(old);
	return true;
}

/* Copy for the caller: an invalidation during its checks must not free what it uses. */
static void
copy_type(const ApptType *from, ApptType *to)
{
	*to = *from;
	to->kinds = palloc(sizeof(char *) * Max(from->nkinds, 1));
	for (int i = 0; i < from->nkinds; i++)
		to->kinds[i] = pstrdup(from->kinds[i]);
}

void
rules_load_type(int64 type_id, ApptType *type)
{
	CachedType *entry;
	ApptType	loaded;
	uint64		generation;
	bool		found;

	if (!types_valid)
		reset_type_cache();
	entry = hash_search(type_cache, &type_id, HASH_FIND, NULL);
	if (entry != NULL)
	{
		copy_type(&entry->type, type);
		return;
	}
	generation = types_generation;
	if (!read_type(type_id, &loaded))
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_UNKNOWN_REFERENCE),
				 errmsg("appointment type %lld does not exist", (long long) type_id),
				 errhint("Use the id of a row of patsvc.appointment_types.")));
	copy_type(&loaded, type);
	/* an invalidation that arrived while reading: do not keep what was read */
	if (generation != types_generation || !types_valid)
		return;
	entry = hash_search(type_cache, &type_id, HASH_ENTER, &found);
	entry->type = loaded;
}

/*
 * Statement trigger on patsvc.appointment_types: any change tells every
 * backend (at commit) and this one (at the end of the command) to drop its
 * cached types.
 */
PG_FUNCTION_INFO_V1(patsvc_appointment_types_changed);
Datum
patsvc_appointment_types_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "patsvc_appointment_types_changed: not called as a trigger");
	CacheInvalidateRelcache(trigdata->tg_relation);
	return PointerGetDatum(NULL);
}
