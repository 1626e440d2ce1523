/*
 * rules.c -- the scheduling rules, one function per rule, shared by the
 * trigger (enforce: per-key locks, then a check against the latest
 * snapshot, errors raised) and by the slot search (probe: no locks, the
 * statement's snapshot, a yes/no answer).
 *
 * Race freedom (rule 5): before checking a key (provider, patient, resource)
 * the writer takes a transaction-scoped advisory-style lock on it (on its
 * hash bucket, see lock_key).  A second
 * writer of the same key waits until the first commits or aborts, then
 * checks with a fresh snapshot that sees the first one's row.  Under
 * REPEATABLE READ / SERIALIZABLE a conflict visible only in that fresh
 * snapshot is reported as 40001, so a retry sees it and gets 23P01.
 *
 * Every function here runs inside SPI, as the owner of patsvc.appointments.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "nodes/parsenodes.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "patsvc.h"
#include "scheduling/scheduling.h"

/* locktag_field4 of patsvc's advisory-style locks: 0x5300 + dimension */
#define LOCK_FIELD4_BASE 0x5300
typedef enum Dimension
{
	DIM_PROVIDER = 1,
	DIM_PATIENT = 2,
	DIM_RESOURCE = 3
} Dimension;


typedef struct RulePlan
{
	const char *sql;
	int			nargs;
	Oid			types[5];
	SPIPlanPtr	plan;
} RulePlan;

/* $2 = held_from - max hold, $3 = held_until, $4 = held_from, $5 = self */
static RulePlan plan_provider = {
	"SELECT id, starts_at, held_from, held_until, type_id FROM patsvc.appointments"
	" WHERE provider_id = $1 AND held_from > $2 AND held_from < $3 AND held_until > $4"
	" AND " NOT_HOLDING " AND id <> $5 ORDER BY held_from",
	5, {INT8OID, TIMESTAMPTZOID, TIMESTAMPTZOID, TIMESTAMPTZOID, INT8OID}
};
/* $2 = starts_at - max hold, $3 = ends_at, $4 = starts_at, $5 = self */
static RulePlan plan_patient = {
	"SELECT id, starts_at, ends_at FROM patsvc.appointments"
	" WHERE patient_id = $1 AND starts_at > $2 AND starts_at < $3 AND ends_at > $4"
	" AND " NOT_HOLDING " AND id <> $5 ORDER BY starts_at LIMIT 1",
	5, {INT8OID, TIMESTAMPTZOID, TIMESTAMPTZOID, TIMESTAMPTZOID, INT8OID}
};
static RulePlan plan_resource = {
	"SELECT a.id, a.starts_at, r.held_from, r.held_until, a.type_id"
	" FROM patsvc.appointment_resources r JOIN patsvc.appointments a ON a.id = r.appointment_id"
	" WHERE r.resource_id = $1 AND r.held_from > $2 AND r.held_from < $3 AND r.held_until > $4"
	" AND a." NOT_HOLDING " AND r.appointment_id <> $5 ORDER BY r.held_from",
	5, {INT8OID, TIMESTAMPTZOID, TIMESTAMPTZOID, TIMESTAMPTZOID, INT8OID}
};
/*
 * Rule 2 for the provider in one query: the first weekly hours covering the
 * visit (wall-clock hours of the local date of the start, in the location's
 * zone; no row: outside availability) joined with the first time off
 * overlapping it (NULL: none).
 */
static RulePlan plan_availability = {
	"SELECT av.location_id, t.id, lower(t.during), upper(t.during) FROM"
	" (SELECT a.location_id FROM patsvc.availability a JOIN patsvc.locations l ON l.id = a.location_id,"
	" LATERAL (SELECT ($2 AT TIME ZONE l.time_zone)::date AS d) ld"
	" WHERE a.provider_id = $1 AND ($4::bigint IS NULL OR a.location_id = $4)"
	" AND a.weekday = extract(isodow FROM ld.d)"
	" AND ld.d BETWEEN a.valid_from AND a.valid_until"
	" AND ((ld.d + a.starts_local) AT TIME ZONE l.time_zone) <= $2"
	" AND ((ld.d + a.ends_local) AT TIME ZONE l.time_zone) >= $3"
	" ORDER BY a.id LIMIT 1) av"
	" LEFT JOIN LATERAL (SELECT o.id, o.during FROM patsvc.time_off o"
	" WHERE o.provider_id = $1 AND o.during && tstzrange($2, $3) ORDER BY lower(o.during) LIMIT 1) t ON true",
	4, {INT8OID, TIMESTAMPTZOID, TIMESTAMPTZOID, INT8OID}
};
static RulePlan plan_resource_off = {
	"SELECT id, lower(during), upper(during) FROM patsvc.time_off"
	" WHERE resource_id = $1 AND during && tstzrange($2, $3) ORDER BY lower(during) LIMIT 1",
	3, {INT8OID, TIMESTAMPTZOID, TIMESTAMPTZOID}
};
static RulePlan plan_holds_delete = {
	"DELETE FROM patsvc.appointment_resources WHERE appointment_id = $1", 1, {INT8OID}
};
static RulePlan plan_holds_insert = {
	"INSERT INTO patsvc.appointment_resources (appointment_id, resource_id, held_from, held_until)"
	" SELECT $1, r, $3, $4 FROM unnest($2::bigint[]) r",
	4, {INT8OID, INT8ARRAYOID, TIMESTAMPTZOID, TIMESTAMPTZOID}
};

static SPIPlanPtr
get_plan(RulePlan *cp)
{
	return patsvc_kept_plan(&cp->plan, cp->sql, cp->nargs, cp->types);
}

/* Run a check query: enforce mode reads the latest committed state. */
static void
run_query(RulePlan *cp, Datum *values, const char *nulls, RuleMode mode, long limit)
{
	int			rc;

	if (mode == RULES_ENFORCE)
		rc = SPI_execute_snapshot(get_plan(cp), values, nulls, GetLatestSnapshot(),
								  InvalidSnapshot, false, false, limit);
	else
		rc = SPI_execute_plan(get_plan(cp), values, nulls, true, limit);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute failed for \"%s\": %s", cp->sql, SPI_result_code_string(rc));
}

static Datum
col(int row, int attno, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, attno, isnull);
}

static int64
col_int8(int row, int attno)
{
	bool		isnull;
	Datum		d = col(row, attno, &isnull);

	return isnull ? 0 : DatumGetInt64(d);
}

static TimestampTz
col_ts(int row, int attno)
{
	bool		isnull;
	Datum		d = col(row, attno, &isnull);

	return isnull ? 0 : DatumGetTimestampTz(d);
}

/* timestamptz_to_str returns a static buffer: copy it, messages use two */
static const char *
ts_text(TimestampTz t)
{
	return pstrdup(timestamptz_to_str(t));
}

/*
 * Keys are hashed into LOCK_BUCKETS locks per dimension, so a transaction
 * that writes many rows (COPY, INSERT ... SELECT) holds at most
 * 3 * LOCK_BUCKETS locks; two keys sharing a bucket only wait for each other.
 */
#define LOCK_BUCKET_BITS 9
#define LOCK_BUCKETS (1 << LOCK_BUCKET_BITS)

static uint32
lock_bucket(int64 key)
{
	return (uint32) (((uint64) key * UINT64CONST(0x9E3779B97F4A7C15)) >> (64 - LOCK_BUCKET_BITS));
}

static void
lock_key(Dimension dim, int64 key)
{
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, lock_bucket(key), 0, LOCK_FIELD4_BASE + dim);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);
}

static int
cmp_bucket(const void *a, const void *b)
{
	uint32		x = lock_bucket(*(const int64 *) a),
				y = lock_bucket(*(const int64 *) b);

	return x < y ? -1 : x > y;
}

/* provider, patient, then resources in bucket order: one global order */
static void
lock_keys(const ApptRow *row, bool check_patient)
{
	if (!row->overbook)
		lock_key(DIM_PROVIDER, row->provider);
	if (check_patient)
		lock_key(DIM_PATIENT, row->patient);
	if (row->nresources > 0)
	{
		int64	   *sorted = palloc(sizeof(int64) * row->nresources);

		memcpy(sorted, row->resources, sizeof(int64) * row->nresources);
		qsort(sorted, row->nresources, sizeof(int64), cmp_bucket);
		for (int i = 0; i < row->nresources; i++)
			lock_key(DIM_RESOURCE, sorted[i]);
		pfree(sorted);
	}
}

/*
 * A conflict seen in the latest snapshot but not in the transaction's own
 * one came from a transaction that committed after ours started: under
 * REPEATABLE READ or SERIALIZABLE that is a serialization failure.
 */
static void
raise_if_invisible_to_xact(RulePlan *cp, Datum *values, const char *nulls, int64 blocking)
{
	int			rc;

	if (!IsolationUsesXactSnapshot())
		return;
	rc = SPI_execute_snapshot(get_plan(cp), values, nulls, GetTransactionSnapshot(),
							  InvalidSnapshot, false, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute failed for \"%s\": %s", cp->sql, SPI_result_code_string(rc));
	for (uint64 i = 0; i < SPI_processed; i++)
		if (col_int8(i, 1) == blocking)
			return;
	ereport(ERROR,
			(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
			 errmsg("could not serialize access due to a concurrent booking"),
			 errdetail("Appointment %lld was committed by a concurrent transaction after this one took its snapshot.",
					   (long long) blocking),
			 errhint("Retry the transaction: it will then see the concurrent booking.")));
}

void
rules_derive_times(ApptRow *row, const ApptType *type)
{
	if (TIMESTAMP_NOT_FINITE(row->starts))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("appointment start must be a finite time"),
				 errhint("Give starts_at as a date and time.")));
	row->ends = row->starts + (int64) type->duration_min * USECS_PER_MINUTE;
	row->held_from = row->starts - (int64) type->before_min * USECS_PER_MINUTE;
	row->held_until = row->ends + (int64) type->after_min * USECS_PER_MINUTE;
}

/* Same group slot: a capacity > 1 type shares one start among its patients. */
static bool
same_group_slot(const ApptRow *row, const ApptType *type, int64 other_type, TimestampTz other_start)
{
	return type->capacity > 1 && other_type == row->type && other_start == row->starts;
}

static void
raise_overlap(const char *dimension, int64 key, int64 blocking, TimestampTz from, TimestampTz until)
{
	ereport(ERROR,
			(errcode(ERRCODE_EXCLUSION_VIOLATION),
			 errmsg("double booking refused: %s %lld is already booked at that time", dimension, (long long) key),
			 errdetail("Rule 1 (no overlap, buffers included): appointment %lld holds this %s from %s to %s.",
					   (long long) blocking, dimension, ts_text(from), ts_text(until)),
			 errhint("Choose another time (see patsvc.free_slots or patsvc.next_available)%s.",
					 strcmp(dimension, "provider") == 0
					 ? ", or overbook with patsvc.book_overbook if you hold that privilege" : "")));
}

/* Rules 1 and 3 for the provider; group slots count against capacity. */
static bool
check_provider_overlap(const ApptRow *row, const ApptType *type, RuleMode mode)
{
	Datum		v[5] = {Int64GetDatum(row->provider), TimestampTzGetDatum(row->held_from - SCHED_MAX_HELD_USECS),
	TimestampTzGetDatum(row->held_until), TimestampTzGetDatum(row->held_from), Int64GetDatum(row->id)};
	int			same_slot = 0;
	int64		last_group = 0;

	run_query(&plan_provider, v, NULL, mode, 0);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		int64		other = col_int8(i, 1);

		if (same_group_slot(row, type, col_int8(i, 5), col_ts(i, 2)))
		{
			same_slot++;
			last_group = other;
			continue;
		}
		if (mode == RULES_PROBE)
			return false;
		{
			TimestampTz from = col_ts(i, 3),
						until = col_ts(i, 4);

			raise_if_invisible_to_xact(&plan_provider, v, NULL, other);
			raise_overlap("provider", row->provider, other, from, until);
		}
	}
	if (same_slot < type->capacity)
		return true;
	if (mode == RULES_PROBE)
		return false;
	raise_if_invisible_to_xact(&plan_provider, v, NULL, last_group);
	ereport(ERROR,
			(errcode(ERRCODE_PATSVC_CAPACITY_FULL),
			 errmsg("group slot at %s of provider %lld is full", ts_text(row->starts), (long long) row->provider),
			 errdetail("Rule 3 (capacity): %d of %d places are taken in this slot.", same_slot, type->capacity),
			 errhint("Choose another slot, or overbook with patsvc.book_overbook if you hold that privilege.")));
	pg_unreachable();
}

/* Rule 1 for the patient: the visits themselves may not overlap (never overridable). */
static bool
check_patient_overlap(const ApptRow *row, RuleMode mode)
{
	Datum		v[5] = {Int64GetDatum(row->patient), TimestampTzGetDatum(row->starts - SCHED_MAX_HELD_USECS),
	TimestampTzGetDatum(row->ends), TimestampTzGetDatum(row->starts), Int64GetDatum(row->id)};

	run_query(&plan_patient, v, NULL, mode, 1);
	if (SPI_processed == 0)
		return true;
	if (mode == RULES_PROBE)
		return false;
	{
		int64		other = col_int8(0, 1);
		TimestampTz from = col_ts(0, 2),
					until = col_ts(0, 3);

		raise_if_invisible_to_xact(&plan_patient, v, NULL, other);
		raise_overlap("patient", row->patient, other, from, until);
	}
	pg_unreachable();
}

/* Rule 1 for each resource; the patients of one group slot share its room. */
static bool
check_resource_overlap(const ApptRow *row, const ApptType *type, int64 resource, RuleMode mode)
{
	Datum		v[5] = {Int64GetDatum(resource), TimestampTzGetDatum(row->held_from - SCHED_MAX_HELD_USECS),
	TimestampTzGetDatum(row->held_until), TimestampTzGetDatum(row->held_from), Int64GetDatum(row->id)};

	run_query(&plan_resource, v, NULL, mode, 0);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		int64		other = col_int8(i, 1);

		if (same_group_slot(row, type, col_int8(i, 5), col_ts(i, 2)))
			continue;
		if (mode == RULES_PROBE)
			return false;
		{
			TimestampTz from = col_ts(i, 3),
						until = col_ts(i, 4);

			raise_if_invisible_to_xact(&plan_resource, v, NULL, other);
			raise_overlap("room/resource", resource, other, from, until);
		}
	}
	return true;
}

/* Rule 2: outside the provider's time off (row 0 of the availability query). */
static bool
check_provider_time_off(const ApptRow *row, RuleMode mode)
{
	bool		isnull;

	(void) col(0, 2, &isnull);
	if (isnull)
		return true;
	if (mode == RULES_PROBE)
		return false;
	ereport(ERROR,
			(errcode(ERRCODE_PATSVC_PROVIDER_TIME_OFF),
			 errmsg("provider %lld is off from %s to %s", (long long) row->provider,
					ts_text(col_ts(0, 3)), ts_text(col_ts(0, 4))),
			 errdetail("Rule 2 (time off): time off %lld overlaps the visit from %s to %s.",
					   (long long) col_int8(0, 2), ts_text(row->starts), ts_text(row->ends)),
			 errhint("Book outside the provider's time off (patsvc.time_off).")));
	pg_unreachable();
}

/* Rule 2: inside weekly hours, in the location's time zone (sets the location), and not off. */
static bool
check_availability(ApptRow *row, RuleMode mode)
{
	Datum		v[4] = {Int64GetDatum(row->provider), TimestampTzGetDatum(row->starts),
	TimestampTzGetDatum(row->ends), Int64GetDatum(row->location)};
	char		nulls[4] = {' ', ' ', ' ', row->has_location ? ' ' : 'n'};

	run_query(&plan_availability, v, nulls, mode, 1);
	if (SPI_processed == 1)
	{
		row->location = col_int8(0, 1);
		row->has_location = true;
		return check_provider_time_off(row, mode);
	}
	if (mode == RULES_PROBE)
		return false;
	ereport(ERROR,
			(errcode(ERRCODE_PATSVC_OUTSIDE_AVAILABILITY),
			 errmsg("provider %lld does not work from %s to %s", (long long) row->provider,
					ts_text(row->starts), ts_text(row->ends)),
			 errdetail("Rule 2 (availability): no weekly hours of this provider%s cover the whole visit in the location's time zone.",
					   row->has_location ? " at the given location" : ""),
			 errhint("Book inside the provider's hours (patsvc.availability, patsvc.free_slots).")));
	pg_unreachable();
}

static bool
check_resource_time_off(const ApptRow *row, int64 resource, RuleMode mode)
{
	Datum		v[3] = {Int64GetDatum(resource), TimestampTzGetDatum(row->held_from), TimestampTzGetDatum(row->held_until)};

	run_query(&plan_resource_off, v, NULL, mode, 1);
	if (SPI_processed == 0)
		return true;
	if (mode == RULES_PROBE)
		return false;
	ereport(ERROR,
			(errcode(ERRCODE_PATSVC_RESOURCE_TIME_OFF),
			 errmsg("room/resource %lld is blocked from %s to %s", (long long) resource,
					ts_text(col_ts(0, 2)), ts_text(col_ts(0, 3))),
			 errdetail("Rule 2 (time off): blocked time %lld overlaps the time the appointment holds, %s to %s.",
					   (long long) col_int8(0, 1), ts_text(row->held_from), ts_text(row->held_until)),
			 errhint("Choose another time or another resource of the same kind.")));
	pg_unreachable();
}

static ArrayType *
int8_array(const int64 *values, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));

	for (int i = 0; i < n; i++)
		d[i] = Int64GetDatum(values[i]);
	return construct_array(d, n, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

static const char *
kinds_text(const ApptType *type)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int k = 0; k < type->nkinds; k++)
		appendStringInfo(&buf, "%s%s", k ? ", " : "", type->kinds[k]);
	return buf.data;
}

/* Every resource exists and the type's required kinds are all present. */
static bool
check_resource_kinds(const ApptRow *row, const ApptType *type, RuleMode mode)
{
	char	  **kinds;
	int			nexisting = 0;

	if (row->nresources == 0 && type->nkinds == 0)
		return true;
	kinds = palloc(sizeof(char *) * Max(row->nresources, 1));
	for (int i = 0; i < row->nresources; i++)
		if ((kinds[nexisting] = rules_resource_kind(row->resources[i])) != NULL)
			nexisting++;
	if (nexisting < row->nresources)
	{
		if (mode == RULES_PROBE)
			return false;
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_UNKNOWN_REFERENCE),
				 errmsg("appointment names a resource that does not exist"),
				 errdetail("%d resources were given, %d of them exist.", row->nresources, nexisting),
				 errhint("Use ids of rows of patsvc.resources.")));
	}
	for (int k = 0; k < type->nkinds; k++)
	{
		bool		found = false;

		for (int i = 0; i < nexisting && !found; i++)
			found = strcmp(kinds[i], type->kinds[k]) == 0;
		if (found)
			continue;
		if (mode == RULES_PROBE)
			return false;
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_MISSING_RESOURCE),
				 errmsg("appointment needs a resource of kind %s", type->kinds[k]),
				 errdetail("Its appointment type requires resources of kinds: %s.", kinds_text(type)),
				 errhint("Add a resource of kind %s to the appointment's resources.", type->kinds[k])));
	}
	return true;
}

bool
rules_check(ApptRow *row, const ApptType *type, RuleMode mode, bool check_patient)
{
	if (mode == RULES_ENFORCE)
		lock_keys(row, check_patient);
	if (!(mode == RULES_PROBE && row->nresources == 0) && !check_resource_kinds(row, type, mode))
		return false;
	if (!row->overbook)
	{
		if (!check_availability(row, mode) ||
			!check_provider_overlap(row, type, mode))
			return false;
	}
	if (check_patient && !check_patient_overlap(row, mode))
		return false;
	for (int i = 0; i < row->nresources; i++)
		if (!check_resource_time_off(row, row->resources[i], mode) ||
			!check_resource_overlap(row, type, row->resources[i], mode))
			return false;
	return true;
}

void
rules_replace_holds(int64 appointment, bool had_holds, const ApptRow *row)
{
	int			rc;

	if (had_holds)
	{
		Datum		del[1] = {Int64GetDatum(appointment)};

		rc = SPI_execute_plan(get_plan(&plan_holds_delete), del, NULL, false, 0);
		if (rc != SPI_OK_DELETE)
			elog(ERROR, "SPI_execute failed: %s", SPI_result_code_string(rc));
	}
	if (row == NULL || row->nresources == 0)
		return;
	{
		Datum		ins[4] = {Int64GetDatum(appointment),
			PointerGetDatum(int8_array(row->resources, row->nresources)),
		TimestampTzGetDatum(row->held_from), TimestampTzGetDatum(row->held_until)};

		rc = SPI_execute_plan(get_plan(&plan_holds_insert), ins, NULL, false, 0);
		if (rc != SPI_OK_INSERT)
			elog(ERROR, "SPI_execute failed: %s", SPI_result_code_string(rc));
	}
}
