/*
 * cache.c -- per-backend caches of patsvc.appointment_types, of the kinds
 * of patsvc.resources, of each provider's weekly hours (patsvc.availability
 * with the time zone of patsvc.locations), of whether a type has
 * patsvc.reminder_rules and of whether a provider or resource has any
 * patsvc.time_off.
 *
 * Every write to patsvc.appointments needs its type's duration, buffers,
 * capacity and required resource kinds, the kinds of its resources and its
 * provider's hours; reading them with SPI for each row cost more than the
 * checks themselves.  They are row caches of the core (src/core/rowcache.h):
 * trigger cache_changed() on each table they read drops them.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "core/core.h"
#include "core/rowcache.h"
#include "scheduling/scheduling.h"

typedef struct CachedType
{
	int64		id;				/* hash key */
	ApptType	type;			/* kinds allocated in the cache's context */
} CachedType;

typedef struct CachedResource
{
	int64		id;				/* hash key */
	char	   *kind;			/* allocated in the cache's context */
} CachedResource;

typedef struct CachedHours
{
	int64		provider;		/* hash key */
	int			n;
	SchedHours *rows;			/* allocated in the cache's context */
} CachedHours;

static RowCache types = {
	.relname = "appointment_types",
	.sql = "SELECT duration_minutes, buffer_before_minutes, buffer_after_minutes,"
	" capacity, required_resource_kinds FROM " PATSVC_SCHEMA ".appointment_types WHERE id = $1",
	.entrysize = sizeof(CachedType),
	.nelem = 64,
	.limit = 1,
};

static RowCache resources = {
	.relname = "resources",
	.sql = "SELECT kind FROM " PATSVC_SCHEMA ".resources WHERE id = $1",
	.entrysize = sizeof(CachedResource),
	.nelem = 256,
	.limit = 1,
};

/* weekly hours of a provider with the zone of each location, in id order */
static RowCache hours = {
	.relname = "availability",
	.relname2 = "locations",
	.sql = "SELECT a.id, a.location_id, a.weekday, a.starts_local, a.ends_local, a.valid_from, a.valid_until,"
	" l.time_zone FROM " PATSVC_SCHEMA ".availability a JOIN " PATSVC_SCHEMA ".locations l ON l.id = a.location_id"
	" WHERE a.provider_id = $1 ORDER BY a.id",
	.entrysize = sizeof(CachedHours),
	.nelem = 256,
	.limit = 0,
};

/* a yes/no fact about an id */
typedef struct CachedFlag
{
	int64		id;				/* hash key */
	bool		set;
} CachedFlag;

/* does an appointment type have reminder rules? */
static RowCache reminder_types = {
	.relname = "reminder_rules",
	.sql = "SELECT 1 FROM " PATSVC_SCHEMA ".reminder_rules WHERE type_id = $1",
	.entrysize = sizeof(CachedFlag),
	.nelem = 64,
	.limit = 1,
};

/* does an appointment type require consent to treat before check-in?  (75-consent-gate.sql) */
static RowCache consent_types = {
	.relname = "appointment_types",
	.sql = "SELECT 1 FROM " PATSVC_SCHEMA ".appointment_types WHERE id = $1 AND requires_consent_to_treat",
	.entrysize = sizeof(CachedFlag),
	.nelem = 64,
	.limit = 1,
};

/* does a provider, a resource, have any time off?  (most have none: no scan) */
static RowCache provider_time_off = {
	.relname = "time_off",
	.sql = "SELECT 1 FROM " PATSVC_SCHEMA ".time_off WHERE provider_id = $1",
	.entrysize = sizeof(CachedFlag),
	.nelem = 256,
	.limit = 1,
};

static RowCache resource_time_off = {
	.relname = "time_off",
	.sql = "SELECT 1 FROM " PATSVC_SCHEMA ".time_off WHERE resource_id = $1",
	.entrysize = sizeof(CachedFlag),
	.nelem = 256,
	.limit = 1,
};

/* Reads one type (inside SPI) into a CachedType; false when it does not exist. */
static bool
read_type(int64 type_id, void *entry)
{
	ApptType   *type = &((CachedType *) entry)->type;
	TupleDesc	desc;
	HeapTuple	row;
	bool		isnull;
	Datum	   *elems;
	bool	   *enulls;
	MemoryContext old;

	if (!row_cache_read(&types, type_id))
		return false;
	desc = SPI_tuptable->tupdesc;
	row = SPI_tuptable->vals[0];
	type->duration_min = DatumGetInt32(SPI_getbinval(row, desc, 1, &isnull));
	type->before_min = DatumGetInt32(SPI_getbinval(row, desc, 2, &isnull));
	type->after_min = DatumGetInt32(SPI_getbinval(row, desc, 3, &isnull));
	type->capacity = DatumGetInt32(SPI_getbinval(row, desc, 4, &isnull));
	deconstruct_array(DatumGetArrayTypeP(SPI_getbinval(row, desc, 5, &isnull)),
					  TEXTOID, -1, false, TYPALIGN_INT, &elems, &enulls, &type->nkinds);
	old = MemoryContextSwitchTo(types.cxt);
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
	CachedType	scratch;
	CachedType *entry = row_cache_lookup(&types, type_id, read_type, &scratch);

	if (entry == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_UNKNOWN_REFERENCE),
				 errmsg("appointment type %lld does not exist", (long long) type_id),
				 errhint("Use the id of a row of patsvc.appointment_types.")));
	copy_type(&entry->type, type);
}

/* Reads the kind of one resource (inside SPI) into a CachedResource; false when it does not exist. */
static bool
read_resource(int64 resource, void *entry)
{
	bool		isnull;
	Datum		kind;

	if (!row_cache_read(&resources, resource))
		return false;
	kind = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	((CachedResource *) entry)->kind = MemoryContextStrdup(resources.cxt, isnull ? "" : TextDatumGetCString(kind));
	return true;
}

/* The kind of a resource (palloc'd in the caller's context), NULL when it does not exist. */
char *
rules_resource_kind(int64 resource)
{
	CachedResource scratch;
	CachedResource *entry = row_cache_lookup(&resources, resource, read_resource, &scratch);

	return entry == NULL ? NULL : pstrdup(entry->kind);
}

/* Copy for the caller (see copy_type); a resolved zone lives as long as the backend. */
static int
copy_hours(const CachedHours *from, SchedHours **to)
{
	*to = palloc(sizeof(SchedHours) * Max(from->n, 1));
	for (int i = 0; i < from->n; i++)
		(*to)[i] = from->rows[i];
	return from->n;
}

/* Reads the hours of one provider (inside SPI) into a CachedHours, allocated
 * in the cache's context; none is an answer too (cached as 0 rows). */
static bool
read_hours(int64 provider, void *e)
{
	CachedHours *entry = e;
	MemoryContext old;

	(void) row_cache_read(&hours, provider);
	old = MemoryContextSwitchTo(hours.cxt);
	entry->n = (int) SPI_processed;
	entry->rows = palloc(sizeof(SchedHours) * Max(entry->n, 1));
	for (int i = 0; i < entry->n; i++)
	{
		HeapTuple	t = SPI_tuptable->vals[i];
		TupleDesc	d = SPI_tuptable->tupdesc;
		SchedHours *h = &entry->rows[i];
		bool		isnull;

		h->id = DatumGetInt64(SPI_getbinval(t, d, 1, &isnull));
		h->location = DatumGetInt64(SPI_getbinval(t, d, 2, &isnull));
		h->weekday = DatumGetInt16(SPI_getbinval(t, d, 3, &isnull));
		h->starts_local = DatumGetTimeADT(SPI_getbinval(t, d, 4, &isnull));
		h->ends_local = DatumGetTimeADT(SPI_getbinval(t, d, 5, &isnull));
		/* a night shift (22:00 to 06:00) ends on the next local date */
		h->overnight = h->ends_local <= h->starts_local;
		if (h->overnight)
			h->ends_local += USECS_PER_DAY;
		h->valid_from = DatumGetDateADT(SPI_getbinval(t, d, 6, &isnull));
		h->valid_until = DatumGetDateADT(SPI_getbinval(t, d, 7, &isnull));
		sched_zone_resolve(&h->zone, TextDatumGetCString(SPI_getbinval(t, d, 8, &isnull)), h->location);
	}
	MemoryContextSwitchTo(old);
	return true;
}

/*
 * The weekly hours of a provider (palloc'd copies in the caller's context,
 * in id order); 0 when it has none.  Connects to SPI only to load.
 */
int
rules_provider_hours(int64 provider, SchedHours **rows)
{
	CachedHours scratch;

	return copy_hours(row_cache_lookup(&hours, provider, read_hours, &scratch), rows);
}

/* Whether the cache's query finds a row for id (inside SPI), read as the
 * owner of patsvc.appointments (callers need no access to its table). */
static bool
read_flag_as_owner(RowCache *c, int64 id, void *entry)
{
	PatsvcSavedUser saved;

	patsvc_become_owner(sched_appointments_owner(), &saved);
	((CachedFlag *) entry)->set = row_cache_read(c, id);
	patsvc_restore_user(&saved);
	return true;
}

static bool
read_reminders(int64 type, void *entry)
{
	return read_flag_as_owner(&reminder_types, type, entry);
}

static bool
read_consent_type(int64 type, void *entry)
{
	/* a database not yet updated to 0.2.0 (the library is) has no such requirement */
	if (get_attnum(patsvc_relid("appointment_types"), "requires_consent_to_treat") == InvalidAttrNumber)
	{
		((CachedFlag *) entry)->set = false;
		return true;
	}
	return read_flag_as_owner(&consent_types, type, entry);
}

bool
rules_type_requires_consent(int64 type)
{
	CachedFlag	scratch;

	return ((CachedFlag *) row_cache_lookup(&consent_types, type, read_consent_type, &scratch))->set;
}

static bool
read_provider_time_off(int64 provider, void *entry)
{
	return read_flag_as_owner(&provider_time_off, provider, entry);
}

static bool
read_resource_time_off(int64 resource, void *entry)
{
	return read_flag_as_owner(&resource_time_off, resource, entry);
}

/* Has the type reminder rules (per-backend cache, dropped by trigger reminder_rules_changed)? */
bool
rules_type_has_reminders(int64 type)
{
	CachedFlag	scratch;

	return ((CachedFlag *) row_cache_lookup(&reminder_types, type, read_reminders, &scratch))->set;
}

/*
 * patsvc.appointment_gets_reminders(status, type_id): does an appointment
 * in this status and of this type get reminders (it holds time, and its
 * type has reminder rules)?  The condition appointments_enforce schedules
 * reminders on (reminders.c).
 */
PG_FUNCTION_INFO_V1(patsvc_appointment_gets_reminders);
Datum
patsvc_appointment_gets_reminders(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(status_text_holds_time(PG_GETARG_TEXT_PP(0)) && rules_type_has_reminders(PG_GETARG_INT64(1)));
}

/* Has the provider (resource when is_resource) any row in patsvc.time_off? */
bool
rules_has_time_off(bool is_resource, int64 id)
{
	CachedFlag	scratch;
	CachedFlag *entry = is_resource
		? row_cache_lookup(&resource_time_off, id, read_resource_time_off, &scratch)
		: row_cache_lookup(&provider_time_off, id, read_provider_time_off, &scratch);

	return entry->set;
}
