/*
 * slots.c -- candidate slots and free_slots.
 *
 * The expansion of weekly hours into candidate starts lives here once:
 * patsvc.candidate_slots returns it, free_slots tests it, next_available
 * (nextavail.c) merges the cursors of many hours rows earliest first.
 * Wall-clock times are converted as "timestamp AT TIME ZONE zone" does
 * (zone.c).  Each local date
 * is checked once for a UTC offset change; days without one (nearly all) are
 * plain arithmetic from local midnight.
 *
 * free_slots is a sweep: the provider's bookings and time off in the window
 * are read once, then every candidate (inside availability by construction)
 * is tested in memory with the rules the trigger applies (rule 1 with
 * buffers, rule 2 time off, rule 3 capacity), against the bookings near it
 * only (a window moving with the candidates over the bookings by held_from).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "catalog/namespace.h"
#include "utils/acl.h"
#include "utils/lsyscache.h"
#include "parser/scansup.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "utils/datetime.h"
#include "utils/rangetypes.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "core/core.h"
#include "scheduling/scheduling.h"
#include "scheduling/scan.h"
#include "scheduling/slots.h"

PG_FUNCTION_INFO_V1(patsvc_candidate_slots);
PG_FUNCTION_INFO_V1(patsvc_free_slots_sweep);

/* sort_times(): the starts of a day or of a window sorted in place, the
 * comparison inlined (a qsort through a comparison function took a tenth of
 * a free_slots call) */
#define ST_SORT sort_times
#define ST_ELEMENT_TYPE TimestampTz
#define ST_COMPARE(a, b) ((*(a) > *(b)) - (*(a) < *(b)))
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

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

/* ---- time zones: "AT TIME ZONE name" in C ------------------------------ */

/* Per local date of the window: UTC instant of local midnight, and whether
 * the UTC offset is the same all day (then a slot is midnight + wall time). */
struct ZoneDay
{
	bool		known;
	bool		regular;
	TimestampTz midnight;
};

static const ZoneDay *
zone_day(SlotZone *z, DateADT d)
{
	ZoneDay    *zd;

	Assert(d >= z->first_day && d <= z->days_last);
	if (z->days == NULL)
		z->days = palloc0(sizeof(ZoneDay) * (z->days_last - z->first_day + 1));
	zd = &z->days[d - z->first_day];
	if (!zd->known)
	{
		TimestampTz m0 = sched_zone_to_utc(&z->zone, (Timestamp) d * USECS_PER_DAY);
		TimestampTz m1 = sched_zone_to_utc(&z->zone, (Timestamp) (d + 1) * USECS_PER_DAY);

		zd->midnight = m0;
		zd->regular = (m1 - m0 == USECS_PER_DAY);
		if (zd->regular && z->zone.tz != NULL)
		{
			pg_time_t	t = timestamptz_to_time_t(m0) - 1;
			long int	before_off,
						after_off;
			int			before_dst,
						after_dst;
			pg_time_t	boundary;

			if (pg_next_dst_boundary(&t, &before_off, &before_dst, &boundary, &after_off, &after_dst, z->zone.tz) != 0 &&
				boundary <= timestamptz_to_time_t(m1) + 1)
				zd->regular = false;
		}
		zd->known = true;
	}
	return zd;
}

static void
zone_prepare(SlotZone *z, TimestampTz w0, TimestampTz w1)
{
	z->first_day = sched_zone_local_date(&z->zone, w0) - 1;
	z->last_day = sched_zone_local_date(&z->zone, w1);
	z->days_last = z->last_day + 1;	/* the morning of a night shift begun on last_day */
	z->days = NULL;
}

/* ---- weekly hours and their slots ------------------------------------- */

/*
 * The hours rows come from the trigger's per-backend cache of weekly hours
 * (rules_provider_hours in cache.c), so the search and the trigger read the
 * same rows the same way.  They are copied into a WeeklyHours array kept per
 * backend and reused by the next call, so a search over many providers does
 * not map fresh memory each time; it is only scratch space.
 */
static WeeklyHours *hours_buf = NULL;
static int	hours_cap = 0;

/* the zones met so far in one load, one per location */
typedef struct ZoneSet
{
	SlotZone  **zones;
	int			nzones;
	TimestampTz w0;
	TimestampTz w1;
} ZoneSet;

static SlotZone *
zone_of(ZoneSet *set, int64 location, const SchedZone *zone)
{
	SlotZone   *z;

	for (int i = 0; i < set->nzones; i++)
		if (set->zones[i]->location == location)
			return set->zones[i];
	set->zones = set->nzones == 0 ? palloc(sizeof(SlotZone *))
		: repalloc(set->zones, sizeof(SlotZone *) * (set->nzones + 1));
	z = set->zones[set->nzones++] = palloc(sizeof(SlotZone));
	z->location = location;
	z->zone = *zone;
	zone_prepare(z, set->w0, set->w1);
	return z;
}

static WeeklyHours *
hours_slot(int n)
{
	if (n == hours_cap)
	{
		hours_cap = Max(hours_cap * 2, 64);
		hours_buf = hours_buf == NULL
			? MemoryContextAlloc(TopMemoryContext, sizeof(WeeklyHours) * hours_cap)
			: repalloc(hours_buf, sizeof(WeeklyHours) * hours_cap);
	}
	return &hours_buf[n];
}

/*
 * Hours rows of the providers (each provider once, NULLs skipped), zones
 * prepared for [w0, w1), in the caller's memory context; the array is valid
 * until the next call.
 */
WeeklyHours *
slots_load_hours(ArrayType *providers, TimestampTz w0, TimestampTz w1, int *n)
{
	ZoneSet		set = {NULL, 0, w0, w1};
	Datum	   *ids;
	bool	   *nulls;
	int			nids,
				count = 0;
	int64	   *sorted;
	int			nsorted = 0;

	deconstruct_array(providers, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &ids, &nulls, &nids);
	sorted = palloc(sizeof(int64) * Max(nids, 1));
	for (int i = 0; i < nids; i++)
		if (!nulls[i])
			sorted[nsorted++] = DatumGetInt64(ids[i]);
	nsorted = patsvc_sort_distinct(sorted, nsorted);
	for (int i = 0; i < nsorted; i++)
	{
		SchedHours *rows;
		int			nrows;

		nrows = rules_provider_hours(sorted[i], &rows);
		for (int r = 0; r < nrows; r++)
		{
			WeeklyHours *h = hours_slot(count++);

			h->provider = sorted[i];
			h->weekday = rows[r].weekday;
			h->starts = rows[r].starts_local;
			h->ends = rows[r].ends_local;
			h->valid_from = rows[r].valid_from;
			h->valid_until = rows[r].valid_until;
			h->zone = zone_of(&set, rows[r].location, &rows[r].zone);
		}
		pfree(rows);
	}
	pfree(sorted);
	*n = count;
	return hours_buf;
}

static int
iso_weekday(DateADT d)
{
	int			w = j2day(d + POSTGRES_EPOCH_JDATE);	/* 0 = Sunday */

	return w == 0 ? 7 : w;
}

/* first date >= d on the ISO weekday */
static DateADT
next_weekday(DateADT d, int weekday)
{
	return d + (weekday - iso_weekday(d) + 7) % 7;
}

void
slot_cursor_init(SlotCursor *c, const WeeklyHours *h, int32 duration_min, TimestampTz w0, TimestampTz w1)
{
	/* as SQL: whole seconds (rounded) of the hours, whole minutes, whole slots */
	int64		seconds = (h->ends - h->starts + USECS_PER_SEC / 2) / USECS_PER_SEC;

	c->hours = h;
	c->w0 = w0;
	c->w1 = w1;
	c->step = (int64) duration_min * USECS_PER_MINUTE;
	c->nslots = (int) ((seconds / SECS_PER_MINUTE) / duration_min);
	c->day = Max(h->zone->first_day, h->valid_from);
	c->day = c->day > h->zone->last_day ? DATEVAL_NOEND : next_weekday(c->day, h->weekday);
	c->k = 0;
	c->irregular = NULL;
	c->facts_day = DATEVAL_NOBEGIN;
}

/* starts of the cursor's day: midnight + wall time, or one by one and sorted
 * on an offset change day (a shifted nonexistent time can pass a later one);
 * a night shift runs into the next local date, which must be regular too */
static bool
day_regular(SlotCursor *c)
{
	const WeeklyHours *h = c->hours;

	if (c->facts_day != c->day)
	{
		const ZoneDay *zd = zone_day(h->zone, c->day);

		c->facts_day = c->day;
		c->facts_regular = zd->regular && (h->ends <= USECS_PER_DAY || zone_day(h->zone, c->day + 1)->regular);
		c->facts_first = zd->midnight + h->starts;
	}
	return c->facts_regular;
}

static TimestampTz
day_slot(SlotCursor *c, int k)
{
	const WeeklyHours *h = c->hours;
	Timestamp	local0 = (Timestamp) c->day * USECS_PER_DAY + h->starts;

	if (day_regular(c))
		return c->facts_first + k * c->step;
	if (k == 0)
	{
		if (c->irregular == NULL)
			c->irregular = palloc(sizeof(TimestampTz) * Max(c->nslots, 1));
		for (int i = 0; i < c->nslots; i++)
			c->irregular[i] = sched_zone_to_utc(&h->zone->zone, local0 + i * c->step);
		sort_times(c->irregular, c->nslots);
	}
	return c->irregular[k];
}

bool
slot_cursor_next(SlotCursor *c)
{
	const WeeklyHours *h = c->hours;

	while (c->day <= h->zone->last_day && c->day <= h->valid_until)
	{
		if (c->k < c->nslots)
		{
			TimestampTz s = day_slot(c, c->k++);

			if (s >= c->w1)
				break;			/* every later slot is later still */
			if (s < c->w0)
				continue;
			c->current = s;
			return true;
		}
		c->day += 7;
		c->k = 0;
	}
	c->day = DATEVAL_NOEND;		/* done */
	return false;
}

/*
 * Moves the cursor to its first candidate at or after t (as calling
 * slot_cursor_next until then would): on a day without an offset change the
 * slot is computed, not stepped to, and whole days before t are skipped.
 */
bool
slot_cursor_seek(SlotCursor *c, TimestampTz t)
{
	const WeeklyHours *h = c->hours;

	while (c->day <= h->zone->last_day && c->day <= h->valid_until)
	{
		if (c->k < c->nslots && day_regular(c))
		{
			TimestampTz first = c->facts_first;	/* set by day_regular */

			if (t > first + c->k * c->step)
			{
				int64		k = (t - first + c->step - 1) / c->step;

				if (k >= c->nslots)
				{
					c->day += 7;
					c->k = 0;
					continue;
				}
				c->k = (int) k;
			}
			return slot_cursor_next(c);
		}
		if (!slot_cursor_next(c))
			return false;
		if (c->current >= t)
			return true;
	}
	c->day = DATEVAL_NOEND;
	return false;
}

TimestampTz *
slots_expand(const WeeklyHours *hours, int nhours, int32 duration_min, TimestampTz w0, TimestampTz w1, int *n)
{
	int			cap = 64,
				m = 0;
	TimestampTz *out = palloc(sizeof(TimestampTz) * cap);

	for (int i = 0; i < nhours; i++)
	{
		SlotCursor	c;

		slot_cursor_init(&c, &hours[i], duration_min, w0, w1);
		while (slot_cursor_next(&c))
		{
			if (m == cap)
			{
				cap *= 2;
				out = repalloc(out, sizeof(TimestampTz) * cap);
			}
			out[m++] = c.current;
		}
	}
	sort_times(out, m);
	*n = 0;
	for (int i = 0; i < m; i++)
		if (i == 0 || out[i] != out[i - 1])
			out[(*n)++] = out[i];
	return out;
}

/* ---- bounds and rights, checked once per call before any work ---------- */

/* a day of margin either side for local dates and zone offsets, and more */
#define SLOTS_TIME_MARGIN	(INT64CONST(3) * USECS_PER_DAY)

static char *
window_text(RangeType *window)
{
	Oid			out;
	bool		isvarlena;

	if (window == NULL)
		return pstrdup("NULL");
	getTypeOutputInfo(TSTZRANGEOID, &out, &isvarlena);
	return OidOutputFunctionCall(out, RangeTypePGetDatum(window));
}

void
slots_check_time(TimestampTz t, int64 span, const char *what)
{
	/* compared without overflow: span is at most a window, t a valid timestamptz */
	if (TIMESTAMP_NOT_FINITE(t) ||
		t < MIN_TIMESTAMP + SLOTS_TIME_MARGIN || t >= END_TIMESTAMP - span - SLOTS_TIME_MARGIN)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("%s %s is not a time a schedule can be searched at", what, timestamptz_to_str(t)),
				 errdetail("Schedules are searched between 4713 BC and 294276 AD, a few days inside the limits of timestamptz; infinity is not a time."),
				 errhint("Give %s as a finite date and time, such as '2027-03-01 08:00'.", what)));
}

void
slots_check_window(RangeType *window, TimestampTz *w0, TimestampTz *w1)
{
	TypeCacheEntry *rt = lookup_type_cache(TSTZRANGEOID, TYPECACHE_RANGE_INFO);
	RangeBound	lower = {0},
				upper = {0};
	bool		empty = true;

	if (window != NULL)
		range_deserialize(rt, window, &lower, &upper, &empty);
	if (empty || lower.infinite || upper.infinite ||
		TIMESTAMP_NOT_FINITE(DatumGetTimestampTz(lower.val)) || TIMESTAMP_NOT_FINITE(DatumGetTimestampTz(upper.val)) ||
		/* upper - lower could overflow int64; upper - 400 days cannot */
		DatumGetTimestampTz(upper.val) - SLOTS_MAX_WINDOW_DAYS * USECS_PER_DAY > DatumGetTimestampTz(lower.val))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("search window %s is not a bounded range of at most %d days",
						window_text(window), SLOTS_MAX_WINDOW_DAYS),
				 errhint("Give a window like tstzrange('2027-03-01', '2027-03-29').")));
	*w0 = DatumGetTimestampTz(lower.val);
	*w1 = DatumGetTimestampTz(upper.val);
	slots_check_time(*w0, *w1 - *w0, "search window start");
}

void
slots_check_array(ArrayType *arr, int max, const char *what, const char *function)
{
	int			n = ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr));

	if (n > max)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s has %d elements, more than the %d %s.%s accepts", what, n, max, PATSVC_SCHEMA, function),
				 errhint("Split the work into calls of at most %d %s.", max, what)));
}

void
slots_require_select(const char *table, const char *function)
{
	Oid			rel = patsvc_relid(table);

	if (!OidIsValid(rel))
		elog(ERROR, "table %s.%s is missing", PATSVC_SCHEMA, table);
	if (pg_class_aclcheck(rel, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for function %s.%s", PATSVC_SCHEMA, function),
				 errdetail("%s.%s shows what table %s.%s holds, to roles that may read it.",
						   PATSVC_SCHEMA, function, PATSVC_SCHEMA, table),
				 errhint("Grant SELECT on %s.%s to the role, or to a role it is a member of.", PATSVC_SCHEMA, table)));
}

PG_FUNCTION_INFO_V1(patsvc_check_search_window);

/* patsvc.check_search_window(tstzrange): the window rule of every search, as SQL */
Datum
patsvc_check_search_window(PG_FUNCTION_ARGS)
{
	TimestampTz w0,
				w1;

	slots_check_window(PG_ARGISNULL(0) ? NULL : PG_GETARG_RANGE_P(0), &w0, &w1);
	PG_RETURN_VOID();
}

static ArrayType *
one_provider(int64 provider)
{
	Datum		d = Int64GetDatum(provider);

	return construct_array(&d, 1, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

/* candidate starts of one provider's hours in the window, sorted and distinct */
static TimestampTz *
load_candidates(int64 provider, TimestampTz w0, TimestampTz w1, int32 duration_min, int *n)
{
	int			nhours;
	WeeklyHours *hours = slots_load_hours(one_provider(provider), w0, w1, &nhours);

	return slots_expand(hours, nhours, duration_min, w0, w1, n);
}

static Datum
slot_range(TypeCacheEntry *rangetype, TimestampTz starts, TimestampTz ends)
{
	RangeBound	lower = {TimestampTzGetDatum(starts), false, true, true};
	RangeBound	upper = {TimestampTzGetDatum(ends), false, false, false};

	return RangeTypePGetDatum(make_range(rangetype, &lower, &upper, false));
}

/*
 * patsvc.candidate_slots(provider, search_window, type_id) returns setof
 * tstzrange: the provider's slots of the type starting in the window,
 * earliest first; none for an unknown type.
 */
Datum
patsvc_candidate_slots(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int64		provider = PG_GETARG_INT64(0);
	Datum		window = PG_GETARG_DATUM(1);
	int64		type_id = PG_GETARG_INT64(2);
	TypeCacheEntry *rangetype = lookup_type_cache(TSTZRANGEOID, TYPECACHE_RANGE_INFO);
	MemoryContext caller = CurrentMemoryContext;
	static SPIPlanPtr plan = NULL;
	static const Oid types[1] = {INT8OID};
	Datum		v[1] = {Int64GetDatum(type_id)};
	TimestampTz w0,
				w1;

	slots_check_window(DatumGetRangeTypeP(window), &w0, &w1);
	slots_require_select("availability", "candidate_slots");
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	patsvc_spi_connect();
	run(patsvc_kept_plan(&plan, "SELECT duration_minutes FROM patsvc.appointment_types WHERE id = $1", 1, types), v);
	if (SPI_processed == 1)
	{
		bool		isnull;
		int32		duration = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		int			n;
		TimestampTz *cand = load_candidates(provider, w0, w1, duration, &n);
		MemoryContext spi = MemoryContextSwitchTo(caller);

		for (int i = 0; i < n; i++)
		{
			Datum		value = slot_range(rangetype, cand[i], cand[i] + (int64) duration * USECS_PER_MINUTE);
			bool		isnull = false;

			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &value, &isnull);
		}
		MemoryContextSwitchTo(spi);
	}
	patsvc_spi_finish();
	return (Datum) 0;
}

/*
 * Time-holding bookings of the providers whose held time may touch [lo, hi),
 * read as the probe reads them (check_provider_overlap: the provider index
 * from held_from - 24 hours, rows ending too early skipped on the index
 * entry before any heap fetch, time-holding statuses, the active snapshot),
 * one index scan per provider, rescanned: no query to plan.  provs sorted
 * and distinct; rows by provider, then held_from.
 */
Busy *
slots_scan_busy(const int64 *provs, int nprovs, TimestampTz lo, TimestampTz hi, int *n)
{
	SchedScan	s;
	int			cap = 64;
	Busy	   *rows = palloc(sizeof(Busy) * cap);

	*n = 0;
	sched_rels_open();
	for (int i = 0; i < nprovs; i++)
	{
		SchedBounds b = {lo - SCHED_MAX_HELD_USECS, hi, sched_rels.a_held_until, lo};
		TupleTableSlot *slot;

		if (i == 0)
			sched_scan_begin(&s, SR_APPOINTMENTS, SR_APPOINTMENTS_PROVIDER, GetActiveSnapshot(), provs[i], &b);
		else
			sched_scan_rescan(&s, provs[i], &b);
		while ((slot = sched_scan_next(&s)) != NULL)
		{
			Busy	   *r;

			if (slot_ts(slot, sched_rels.a_held_until) <= lo ||
				!slot_status_holds_time(slot, sched_rels.a_status))
				continue;
			if (*n == cap)
			{
				cap *= 2;
				rows = repalloc(rows, sizeof(Busy) * cap);
			}
			r = &rows[(*n)++];
			r->provider = provs[i];
			r->starts = slot_ts(slot, sched_rels.a_starts);
			r->from = slot_ts(slot, sched_rels.a_held_from);
			r->until = slot_ts(slot, sched_rels.a_held_until);
			r->type = slot_int8(slot, sched_rels.a_type);
		}
	}
	if (nprovs > 0)
		sched_scan_end(&s);
	return rows;
}

/* the provider's time off touching [lo, hi); none read when the provider has none at all
 * (the per-backend flag check_provider_time_off consults first) */
static Span *
load_time_off(int64 provider, TimestampTz lo, TimestampTz hi, int *n)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[3] = {INT8OID, TIMESTAMPTZOID, TIMESTAMPTZOID};
	Datum		v[3] = {Int64GetDatum(provider), TimestampTzGetDatum(lo), TimestampTzGetDatum(hi)};
	Span	   *out;

	*n = 0;
	if (!rules_has_time_off(false, provider))
		return NULL;
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

/* rules 1 and 3 for the provider against its bookings, as check_provider_overlap */
bool
slots_provider_free(const ApptRow *row, const ApptType *type, const Busy *busy, int nbusy)
{
	int			same_slot = 0;

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

/* rule 2 time off for the provider, as check_provider_time_off */
static bool
not_off(const ApptRow *row, const Span *off, int noff)
{
	for (int i = 0; i < noff; i++)
		if (off[i].from < row->ends && off[i].until > row->starts)
			return false;
	return true;
}

/* the free slot at row into the call's result, in the caller's memory */
static void
emit_slot(ReturnSetInfo *rsinfo, MemoryContext caller, TypeCacheEntry *rangetype, const ApptRow *row)
{
	MemoryContext spi = MemoryContextSwitchTo(caller);
	Datum		value = slot_range(rangetype, row->starts, row->ends);
	bool		isnull = false;

	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &value, &isnull);
	MemoryContextSwitchTo(spi);
}

/*
 * The sweep (inside SPI, as the owner of appointments): the provider's
 * candidates of the type in [w0, w1), each tested in memory against the
 * bookings and time off read once, the free ones into the call's result.
 */
static void
sweep_free_slots(ReturnSetInfo *rsinfo, MemoryContext caller, int64 provider, int64 type_id,
				 TimestampTz w0, TimestampTz w1)
{
	TypeCacheEntry *rangetype = lookup_type_cache(TSTZRANGEOID, TYPECACHE_RANGE_INFO);
	ApptType	type;
	TimestampTz *cand;
	Busy	   *busy;
	Span	   *off;
	int			ncand = 0,
				nbusy,
				noff,
				first = 0;		/* first booking that may still overlap a candidate */
	TimestampTz lo,
				hi;

	rules_load_type(type_id, &type);
	cand = load_candidates(provider, w0, w1, type.duration_min, &ncand);
	if (ncand == 0)
		return;
	lo = cand[0] - (int64) type.before_min * USECS_PER_MINUTE;
	hi = cand[ncand - 1] + (int64) (type.duration_min + type.after_min) * USECS_PER_MINUTE;
	busy = slots_scan_busy(&provider, 1, lo, hi, &nbusy);
	off = load_time_off(provider, cand[0], hi, &noff);
	for (int i = 0; i < ncand; i++)
	{
		ApptRow		row = {0};
		int			last;

		row.provider = provider;
		row.type = type_id;
		row.starts = cand[i];
		rules_derive_times(&row, &type);
		/* bookings by held_from; each held at most 24 hours: those held from a day
		 * before this candidate on are the only ones that may overlap it, and
		 * candidates come earliest first */
		while (first < nbusy && busy[first].from <= row.held_from - SCHED_MAX_HELD_USECS)
			first++;
		for (last = first; last < nbusy && busy[last].from < row.held_until; last++)
			;
		if (not_off(&row, off, noff) && slots_provider_free(&row, &type, &busy[first], last - first))
			emit_slot(rsinfo, caller, rangetype, &row);
	}
}

/* free_slots_sweep and free_slots: rights, then the sweep as the owner of appointments */
static void
free_slots_call(FunctionCallInfo fcinfo, const char *function, int64 provider, int64 type_id,
				TimestampTz w0, TimestampTz w1)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext caller = CurrentMemoryContext;
	PatsvcSavedUser saved;

	slots_require_select("appointments", function);
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	patsvc_become_owner(sched_appointments_owner(), &saved);
	patsvc_spi_connect();
	sweep_free_slots(rsinfo, caller, provider, type_id, w0, w1);
	patsvc_spi_finish();
	patsvc_restore_user(&saved);
}

/*
 * patsvc.free_slots_sweep(provider, search_window, type_id) returns setof
 * tstzrange: free_slots with a type id (STRICT).
 */
Datum
patsvc_free_slots_sweep(PG_FUNCTION_ARGS)
{
	TimestampTz w0,
				w1;

	slots_check_window(PG_GETARG_RANGE_P(1), &w0, &w1);
	free_slots_call(fcinfo, "free_slots_sweep", PG_GETARG_INT64(0), PG_GETARG_INT64(2), w0, w1);
	return (Datum) 0;
}

/*
 * The id of the appointment type with this code, as appointment_type_id()
 * gives it (PS208 when no type has it).  From book()'s per-backend cache of
 * codes when the caller sees every row of appointment_types (SELECT on it, no
 * row security); otherwise appointment_type_id() itself runs, as the caller,
 * and raises what it raises.
 */
int64
slots_type_of_code(text *code)
{
	static SPIPlanPtr plan = NULL;
	static const Oid types[1] = {TEXTOID};
	Oid			table = patsvc_relid("appointment_types");
	char	   *name = text_to_cstring(code);
	Datum		v[1] = {PointerGetDatum(code)};
	int64		id;
	bool		isnull;

	patsvc_spi_connect();
	if (OidIsValid(table) && pg_class_aclcheck(table, GetUserId(), ACL_SELECT) == ACLCHECK_OK &&
		check_enable_rls(table, InvalidOid, true) == RLS_NONE)
	{
		if (!sched_type_id_of_code(name, &id))
			ereport(ERROR,
					(errcode(ERRCODE_PATSVC_UNKNOWN_REFERENCE),
					 errmsg("appointment type %s does not exist", name),
					 errhint("Use a code of patsvc.appointment_types.")));
	}
	else
	{
		run(patsvc_kept_plan(&plan, "SELECT " PATSVC_SCHEMA ".appointment_type_id($1)", 1, types), v);
		id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	}
	patsvc_spi_finish();
	return id;
}

PG_FUNCTION_INFO_V1(patsvc_free_slots);

/*
 * patsvc.free_slots(provider, search_window, appointment_type) returns setof
 * tstzrange, not STRICT: the type's code first (PS208), then the window
 * (22023, NULL too), then the rights (42501); a NULL provider or type finds
 * nothing.
 */
Datum
patsvc_free_slots(PG_FUNCTION_ARGS)
{
	bool		known = !PG_ARGISNULL(0) && !PG_ARGISNULL(2);
	int64		type_id = PG_ARGISNULL(2) ? 0 : slots_type_of_code(PG_GETARG_TEXT_PP(2));
	TimestampTz w0,
				w1;

	slots_check_window(PG_ARGISNULL(1) ? NULL : PG_GETARG_RANGE_P(1), &w0, &w1);
	if (!known)
	{
		InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
		return (Datum) 0;
	}
	free_slots_call(fcinfo, "free_slots", PG_GETARG_INT64(0), type_id, w0, w1);
	return (Datum) 0;
}
