/*
 * slots.c -- free_slots as a sweep: the provider's bookings and time off in
 * the window are read once, then every candidate slot of the weekly hours
 * (patsvc.candidate_slots, inside availability by construction) is tested
 * in memory against them with the same rules the trigger applies (rule 1
 * with buffers, rule 2 time off, rule 3 capacity).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/rangetypes.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "patsvc.h"
#include "scheduling/scheduling.h"

PG_FUNCTION_INFO_V1(patsvc_free_slots_sweep);

typedef struct Busy
{
	TimestampTz starts;
	TimestampTz from;
	TimestampTz until;
	int64		type;
} Busy;

typedef struct Span
{
	TimestampTz from;
	TimestampTz until;
} Span;

static void
run(SPIPlanPtr plan, Datum *values)
{
	int			rc = SPI_execute_plan(plan, values, NULL, true, 0);

	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute failed: %s", SPI_result_code_string(rc));
}

static TimestampTz
ts_col(uint64 row, int attno)
{
	bool		isnull;

	return DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, attno, &isnull));
}

static TimestampTz *
load_candidates(int64 provider, Datum window, int64 type_id, int *n)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[3] = {INT8OID, TSTZRANGEOID, INT8OID};
	Datum		v[3] = {Int64GetDatum(provider), window, Int64GetDatum(type_id)};
	TimestampTz *out;

	run(patsvc_kept_plan(&plan, "SELECT lower(s) FROM patsvc.candidate_slots($1, $2, $3) s ORDER BY 1", 3, types), v);
	*n = (int) SPI_processed;
	out = palloc(sizeof(TimestampTz) * Max(*n, 1));
	for (int i = 0; i < *n; i++)
		out[i] = ts_col(i, 1);
	return out;
}

/* time-holding bookings of the provider whose held time may touch [lo, hi) */
static Busy *
load_busy(int64 provider, TimestampTz lo, TimestampTz hi, int *n)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[4] = {INT8OID, TIMESTAMPTZOID, TIMESTAMPTZOID, TIMESTAMPTZOID};
	Datum		v[4] = {Int64GetDatum(provider), TimestampTzGetDatum(lo - SCHED_MAX_HELD_USECS),
	TimestampTzGetDatum(hi), TimestampTzGetDatum(lo)};
	Busy	   *out;

	run(patsvc_kept_plan(&plan, "SELECT starts_at, held_from, held_until, type_id FROM patsvc.appointments"
							 " WHERE provider_id = $1 AND held_from > $2 AND held_from < $3 AND held_until > $4"
							 " AND " NOT_HOLDING, 4, types), v);
	*n = (int) SPI_processed;
	out = palloc(sizeof(Busy) * Max(*n, 1));
	for (int i = 0; i < *n; i++)
	{
		bool		isnull;

		out[i].starts = ts_col(i, 1);
		out[i].from = ts_col(i, 2);
		out[i].until = ts_col(i, 3);
		out[i].type = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 4, &isnull));
	}
	return out;
}

static Span *
load_time_off(int64 provider, TimestampTz lo, TimestampTz hi, int *n)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[3] = {INT8OID, TIMESTAMPTZOID, TIMESTAMPTZOID};
	Datum		v[3] = {Int64GetDatum(provider), TimestampTzGetDatum(lo), TimestampTzGetDatum(hi)};
	Span	   *out;

	run(patsvc_kept_plan(&plan, "SELECT lower(during), upper(during) FROM patsvc.time_off"
							 " WHERE provider_id = $1 AND during && tstzrange($2, $3)", 3, types), v);
	*n = (int) SPI_processed;
	out = palloc(sizeof(Span) * Max(*n, 1));
	for (int i = 0; i < *n; i++)
	{
		out[i].from = ts_col(i, 1);
		out[i].until = ts_col(i, 2);
	}
	return out;
}

/* rules 1-3 for the provider, as check_provider_overlap and check_provider_time_off */
static bool
slot_free(const ApptRow *row, const ApptType *type, const Busy *busy, int nbusy, const Span *off, int noff)
{
	int			same_slot = 0;

	for (int i = 0; i < noff; i++)
		if (off[i].from < row->ends && off[i].until > row->starts)
			return false;
	for (int i = 0; i < nbusy; i++)
	{
		if (!(busy[i].from < row->held_until && busy[i].until > row->held_from))
			continue;
		if (type->capacity > 1 && busy[i].type == row->type && busy[i].starts == row->starts)
			same_slot++;
		else
			return false;
	}
	return same_slot < type->capacity;
}

/*
 * patsvc.free_slots_sweep(provider, search_window, type_id) returns setof
 * tstzrange; patsvc.free_slots validates its arguments and calls it.
 */
Datum
patsvc_free_slots_sweep(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int64		provider = PG_GETARG_INT64(0);
	Datum		window = PG_GETARG_DATUM(1);
	int64		type_id = PG_GETARG_INT64(2);
	TypeCacheEntry *rangetype = lookup_type_cache(TSTZRANGEOID, TYPECACHE_RANGE_INFO);
	ApptType	type;
	TimestampTz *cand;
	Busy	   *busy;
	Span	   *off;
	int			ncand,
				nbusy,
				noff;
	Oid			save_userid;
	int			save_sec;
	MemoryContext caller = CurrentMemoryContext;

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(sched_appointments_owner(), save_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_NOFORCE_RLS);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	rules_load_type(type_id, &type);
	cand = load_candidates(provider, window, type_id, &ncand);
	if (ncand > 0)
	{
		TimestampTz lo = cand[0] - (int64) type.before_min * USECS_PER_MINUTE;
		TimestampTz hi = cand[ncand - 1] + (int64) (type.duration_min + type.after_min) * USECS_PER_MINUTE;

		busy = load_busy(provider, lo, hi, &nbusy);
		off = load_time_off(provider, cand[0], hi, &noff);
		for (int i = 0; i < ncand; i++)
		{
			ApptRow		row = {0};

			row.provider = provider;
			row.type = type_id;
			row.starts = cand[i];
			rules_derive_times(&row, &type);
			if (!slot_free(&row, &type, busy, nbusy, off, noff))
				continue;
			{
				MemoryContext spi = MemoryContextSwitchTo(caller);
				RangeBound	lower = {TimestampTzGetDatum(row.starts), false, true, true};
				RangeBound	upper = {TimestampTzGetDatum(row.ends), false, false, false};
				Datum		value = RangeTypePGetDatum(make_range(rangetype, &lower, &upper, false));
				bool		isnull = false;

				tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &value, &isnull);
				MemoryContextSwitchTo(spi);
			}
		}
	}
	SPI_finish();
	SetUserIdAndSecContext(save_userid, save_sec);
	return (Datum) 0;
}
