/*
 * nextavail.c -- next_available in C: the weekly hours of all asked
 * providers are read once, expanded day by day in each location's time zone
 * (the same wall-clock arithmetic as patsvc.candidate_slots), sorted by start,
 * and probed in that order with the trigger's rules (probe mode) until
 * enough slots are found.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgtime.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/rangetypes.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "patsvc.h"
#include "scheduling/scheduling.h"

PG_FUNCTION_INFO_V1(patsvc_next_available_c);

#define SEARCH_DAYS 92

typedef struct Hours
{
	int64		provider;
	int			weekday;		/* ISO 1..7 */
	TimeADT		starts;
	TimeADT		ends;
	DateADT		valid_from;
	DateADT		valid_until;
	pg_tz	   *tz;
} Hours;

typedef struct Candidate
{
	TimestampTz starts;
	int64		provider;
} Candidate;

static Hours *
load_hours(ArrayType *providers, int *n)
{
	static SPIPlanPtr plan = NULL;
	Datum		v[1] = {PointerGetDatum(providers)};
	Hours	   *out;
	int			rc;

	static const Oid types[1] = {INT8ARRAYOID};

	patsvc_kept_plan(&plan, "SELECT a.provider_id, a.weekday, a.starts_local, a.ends_local, a.valid_from,"
					 " a.valid_until, l.time_zone FROM patsvc.availability a"
					 " JOIN patsvc.locations l ON l.id = a.location_id WHERE a.provider_id = ANY ($1)",
					 1, types);
	rc = SPI_execute_plan(plan, v, NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute failed: %s", SPI_result_code_string(rc));
	*n = (int) SPI_processed;
	out = palloc(sizeof(Hours) * Max(*n, 1));
	for (int i = 0; i < *n; i++)
	{
		HeapTuple	t = SPI_tuptable->vals[i];
		TupleDesc	d = SPI_tuptable->tupdesc;
		bool		isnull;
		char	   *zone;

		out[i].provider = DatumGetInt64(SPI_getbinval(t, d, 1, &isnull));
		out[i].weekday = DatumGetInt16(SPI_getbinval(t, d, 2, &isnull));
		out[i].starts = DatumGetTimeADT(SPI_getbinval(t, d, 3, &isnull));
		out[i].ends = DatumGetTimeADT(SPI_getbinval(t, d, 4, &isnull));
		out[i].valid_from = DatumGetDateADT(SPI_getbinval(t, d, 5, &isnull));
		out[i].valid_until = DatumGetDateADT(SPI_getbinval(t, d, 6, &isnull));
		zone = TextDatumGetCString(SPI_getbinval(t, d, 7, &isnull));
		out[i].tz = pg_tzset(zone);
		if (out[i].tz == NULL)
			elog(ERROR, "time zone \"%s\" of a location is not known", zone);
	}
	return out;
}

/* local wall-clock timestamp -> instant, as "timestamp AT TIME ZONE zone" */
static TimestampTz
local_to_utc(Timestamp local, pg_tz *tz)
{
	struct pg_tm tm;
	fsec_t		fsec;
	int			offset;
	TimestampTz result;

	if (timestamp2tm(local, NULL, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR, (errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE), errmsg("timestamp out of range")));
	offset = DetermineTimeZoneOffset(&tm, tz);
	if (tm2timestamp(&tm, fsec, &offset, &result) != 0)
		ereport(ERROR, (errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE), errmsg("timestamp out of range")));
	return result;
}

/* local date (days since 2000-01-01) of an instant in a zone */
static DateADT
utc_to_local_date(TimestampTz t, pg_tz *tz)
{
	struct pg_tm tm;
	fsec_t		fsec;
	int			offset;

	if (timestamp2tm(t, &offset, &tm, &fsec, NULL, tz) != 0)
		ereport(ERROR, (errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE), errmsg("timestamp out of range")));
	return date2j(tm.tm_year, tm.tm_mon, tm.tm_mday) - POSTGRES_EPOCH_JDATE;
}

static int
iso_weekday(DateADT d)
{
	int			w = j2day(d + POSTGRES_EPOCH_JDATE);	/* 0 = Sunday */

	return w == 0 ? 7 : w;
}

/* candidates of one hours row starting in [w0, w1) */
static void
expand(const Hours *h, int32 duration_min, TimestampTz w0, TimestampTz w1, Candidate **cand, int *n, int *cap)
{
	int64		step = (int64) duration_min * USECS_PER_MINUTE;
	int			nslots = (int) ((h->ends - h->starts) / step);
	DateADT		first = utc_to_local_date(w0, h->tz) - 1;
	DateADT		last = utc_to_local_date(w1, h->tz);

	for (DateADT d = first; d <= last; d++)
	{
		Timestamp	local0 = (Timestamp) d * USECS_PER_DAY + h->starts;
		TimestampTz s0,
					e0;
		bool		linear;

		if (iso_weekday(d) != h->weekday || d < h->valid_from || d > h->valid_until)
			continue;
		s0 = local_to_utc(local0, h->tz);
		e0 = local_to_utc((Timestamp) d * USECS_PER_DAY + h->ends, h->tz);
		if (e0 <= w0 || s0 >= w1)
			continue;
		/* no UTC offset change inside the hours: slots are plain arithmetic */
		linear = (e0 - s0) == (h->ends - h->starts);
		for (int k = 0; k < nslots; k++)
		{
			TimestampTz s = linear ? s0 + k * step : local_to_utc(local0 + k * step, h->tz);

			if (s < w0 || s >= w1)
				continue;
			if (*n == *cap)
			{
				*cap *= 2;
				*cand = repalloc(*cand, sizeof(Candidate) * *cap);
			}
			(*cand)[*n].starts = s;
			(*cand)[(*n)++].provider = h->provider;
		}
	}
}

static int
cmp_candidate(const void *a, const void *b)
{
	const Candidate *x = a,
			   *y = b;

	if (x->starts != y->starts)
		return x->starts < y->starts ? -1 : 1;
	return x->provider < y->provider ? -1 : x->provider > y->provider;
}

static void
read_resources(ArrayType *arr, ApptRow *row)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	deconstruct_array(arr, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &nulls, &n);
	row->resources = palloc(sizeof(int64) * Max(n, 1));
	for (int i = 0; i < n; i++)
		if (!nulls[i])
			row->resources[row->nresources++] = DatumGetInt64(elems[i]);
}

/*
 * patsvc.next_available_c(providers, after, type_id, resources, max_results)
 * returns table(provider, slot); patsvc.next_available checks the arguments.
 */
Datum
patsvc_next_available_c(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ArrayType  *providers = PG_GETARG_ARRAYTYPE_P(0);
	TimestampTz after = PG_GETARG_TIMESTAMPTZ(1);
	int64		type_id = PG_GETARG_INT64(2);
	ArrayType  *resources = PG_GETARG_ARRAYTYPE_P(3);
	int32		max_results = PG_GETARG_INT32(4);
	TypeCacheEntry *rangetype = lookup_type_cache(TSTZRANGEOID, TYPECACHE_RANGE_INFO);
	MemoryContext caller = CurrentMemoryContext;
	ApptType	type;
	Hours	   *hours;
	int			nhours,
				found = 0;
	Oid			save_userid;
	int			save_sec;

	InitMaterializedSRF(fcinfo, 0);
	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(sched_appointments_owner(), save_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_NOFORCE_RLS);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	rules_load_type(type_id, &type);
	hours = load_hours(providers, &nhours);
	for (int day = 0; day < SEARCH_DAYS && found < max_results && nhours > 0; day++)
	{
		TimestampTz w0 = after + (int64) day * USECS_PER_DAY;
		TimestampTz w1 = w0 + USECS_PER_DAY;
		int			cap = 64,
					n = 0;
		Candidate  *cand = palloc(sizeof(Candidate) * cap);

		for (int i = 0; i < nhours; i++)
			expand(&hours[i], type.duration_min, w0, w1, &cand, &n, &cap);
		qsort(cand, n, sizeof(Candidate), cmp_candidate);
		for (int i = 0; i < n && found < max_results; i++)
		{
			ApptRow		row = {0};

			if (i > 0 && cmp_candidate(&cand[i - 1], &cand[i]) == 0)
				continue;
			row.provider = cand[i].provider;
			row.type = type_id;
			row.starts = cand[i].starts;
			read_resources(resources, &row);
			rules_derive_times(&row, &type);
			if (!rules_check(&row, &type, RULES_PROBE, false))
				continue;
			{
				MemoryContext spi = MemoryContextSwitchTo(caller);
				RangeBound	lower = {TimestampTzGetDatum(row.starts), false, true, true};
				RangeBound	upper = {TimestampTzGetDatum(row.ends), false, false, false};
				Datum		values[2] = {Int64GetDatum(row.provider),
				RangeTypePGetDatum(make_range(rangetype, &lower, &upper, false))};
				bool		nulls[2] = {false, false};

				tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
				MemoryContextSwitchTo(spi);
				found++;
			}
		}
		pfree(cand);
	}
	SPI_finish();
	SetUserIdAndSecContext(save_userid, save_sec);
	return (Datum) 0;
}
