/*
 * cache.c -- per-backend caches of patsvc.appointment_types and of the
 * kinds of patsvc.resources.
 *
 * Every write to patsvc.appointments needs its type's duration, buffers,
 * capacity and required resource kinds, and the kinds of its resources;
 * reading them with SPI for each row were two queries of about eight.  The
 * caches live in CacheMemoryContext and are dropped by a relcache
 * invalidation of their table: the statement trigger scheduling_cache_changed
 * sends one for every change (plain row changes send none), to every backend
 * at commit and to this backend at the end of the changing command.  Entries are read with the latest snapshot:
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

typedef struct CachedResource
{
	int64		id;				/* hash key */
	char	   *kind;			/* allocated in resource_cxt */
} CachedResource;

static MemoryContext resource_cxt = NULL;
static HTAB *resource_cache = NULL;
static Oid	resources_relid = InvalidOid;
static bool resources_valid = false;
static uint64 resources_generation = 0;
static SPIPlanPtr resource_plan = NULL;

static void
sched_relcache_callback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == types_relid)
	{
		types_valid = false;
		types_generation++;
	}
	if (relid == InvalidOid || relid == resources_relid)
	{
		resources_valid = false;
		resources_generation++;
	}
}

static void
register_callback_once(void)
{
	static bool registered = false;

	if (!registered)
	{
		CacheRegisterRelcacheCallback(sched_relcache_callback, (Datum) 0);
		registered = true;
	}
}

static Oid
sched_relid(const char *relname)
{
	return get_relname_relid(relname, get_namespace_oid(PATSVC_SCHEMA, false));
}

/* Drop every entry (after an invalidation) and make sure the callback is registered. */
static void
reset_type_cache(void)
{
	HASHCTL		ctl;

	register_callback_once();
	if (type_cxt == NULL)
	{
		type_cxt = AllocSetContextCreate(CacheMemoryContext, "patsvc appointment types",
										 ALLOCSET_SMALL_SIZES);
	}
	MemoryContextReset(type_cxt);
	ctl.keysize = sizeof(int64);
	ctl.entrysize = sizeof(CachedType);
	ctl.hcxt = type_cxt;
	type_cache = hash_create("patsvc appointment types", 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	types_relid = sched_relid("appointment_types");
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

static void
reset_resource_cache(void)
{
	HASHCTL		ctl;

	register_callback_once();
	if (resource_cxt == NULL)
		resource_cxt = AllocSetContextCreate(CacheMemoryContext, "patsvc resources",
											 ALLOCSET_SMALL_SIZES);
	MemoryContextReset(resource_cxt);
	ctl.keysize = sizeof(int64);
	ctl.entrysize = sizeof(CachedResource);
	ctl.hcxt = resource_cxt;
	resource_cache = hash_create("patsvc resources", 256, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	resources_relid = sched_relid("resources");
	resources_valid = true;
}

/* Reads one resource's kind (inside SPI, latest snapshot); NULL when it does not exist. */
static char *
read_resource_kind(int64 resource)
{
	Datum		v[1] = {Int64GetDatum(resource)};
	bool		isnull;
	Datum		kind;
	int			rc;

	if (resource_plan == NULL)
	{
		Oid			argtypes[1] = {INT8OID};
		SPIPlanPtr	p = SPI_prepare("SELECT kind FROM " PATSVC_SCHEMA ".resources WHERE id = $1", 1, argtypes);

		if (p == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		SPI_keepplan(p);
		resource_plan = p;
	}
	rc = SPI_execute_snapshot(resource_plan, v, NULL, GetLatestSnapshot(), InvalidSnapshot, true, false, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
		return NULL;
	kind = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? pstrdup("") : TextDatumGetCString(kind);
}

/* The kind of a resource (palloc'd in the caller's context), NULL when it does not exist. */
char *
rules_resource_kind(int64 resource)
{
	CachedResource *entry;
	uint64		generation;
	char	   *kind;
	bool		found;

	if (!resources_valid)
		reset_resource_cache();
	entry = hash_search(resource_cache, &resource, HASH_FIND, NULL);
	if (entry != NULL)
		return pstrdup(entry->kind);
	generation = resources_generation;
	kind = read_resource_kind(resource);
	if (kind == NULL || generation != resources_generation || !resources_valid)
		return kind;
	entry = hash_search(resource_cache, &resource, HASH_ENTER, &found);
	entry->kind = MemoryContextStrdup(resource_cxt, kind);
	return kind;
}

/*
 * Statement trigger on patsvc.appointment_types and patsvc.resources: any
 * change tells every backend (at commit) and this one (at the end of the
 * command) to drop its cached rows of that table.
 */
PG_FUNCTION_INFO_V1(patsvc_scheduling_cache_changed);
Datum
patsvc_scheduling_cache_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "patsvc_scheduling_cache_changed: not called as a trigger");
	CacheInvalidateRelcache(trigdata->tg_relation);
	return PointerGetDatum(NULL);
}
