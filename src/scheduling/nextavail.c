/*
 * nextavail.c -- next_available in C.  The weekly hours of all asked
 * providers are read in one query; each hours row becomes a cursor over its
 * candidate slots (slots.c, the expansion patsvc.candidate_slots returns),
 * and a heap merges the cursors earliest first, ties by provider.  Each
 * merged candidate is probed with the trigger's rules (probe mode) and the
 * search stops as soon as max_results slots are free: only the cursors'
 * first slots and the slots actually probed are ever computed.
 *
 * Where many candidates are taken (a fully booked morning: 32 probes said
 * no), the bookings of all asked providers are read in bulk for the next 2
 * hours (one rescanned index scan per provider; again later, after 32 more
 * refusals it did not foresee, for twice as long, up to a day); a
 * candidate those bookings already refuse (rules 1 and 3, decided exactly as
 * the trigger decides them) is skipped without a probe.  The bulk read keeps
 * index entries only (provider, held time, tid); a booking's row (status,
 * start, type) is read when a candidate overlaps its entry, so a refused
 * provider costs one index descent and one row, not every row of the span.
 * Every slot returned has passed the full probe.
 *
 * next_available itself is C too (no plpgsql wrapper): the type's code from
 * book()'s per-backend cache, the same errors in the same order.
 *
 * The asked resources' time off and holds are read in bulk too, from the
 * first candidate on, for a span that doubles with each read (2 days, then
 * 4, ...: a handful of reads in a 92-day search).  A resource refuses a
 * start for every provider alike, so when it refuses the earliest candidate
 * the search computes the first start the blocked time leaves free (a held
 * time of the type's length that no blocked time overlaps) and every cursor
 * jumps there as it comes up, without a probe and without visiting the
 * refused candidates one by one: the cost grows with the providers and the
 * blocked runs passed, not with their product.  Holds a group slot of the
 * same type may share (capacity > 1) refuse every start but their own, and
 * are tested one by one.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/itup.h"
#include "access/relscan.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/binaryheap.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/rangetypes.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "core/core.h"
#include "scheduling/scheduling.h"
#include "scheduling/scan.h"
#include "scheduling/slots.h"

PG_FUNCTION_INFO_V1(patsvc_next_available_c);

#define SEARCH_DAYS 92
/* taken candidates probed one by one before the bookings are read in bulk */
#define PROBES_BEFORE_BULK 32
/* time span (from the first candidate's held start) the bulk read covers: the first, the longest */
#define BULK_FIRST_SPAN (INT64CONST(2) * USECS_PER_HOUR)
#define BULK_SPAN USECS_PER_DAY

/* what is known of a bulk-read booking's row */
typedef enum EntryState
{
	ENTRY_UNREAD,				/* only its index entry */
	ENTRY_HOLDS,				/* visible, holding time: starts and type read */
	ENTRY_NONE					/* invisible to the search, or not holding time */
} EntryState;

/*
 * A booking of the bulk read as its index entry shows it (provider, held
 * time); its row is read, for its status, start and type, only when a
 * candidate's held time overlaps the entry's.
 */
typedef struct BulkEntry
{
	int64		provider;
	TimestampTz from;
	TimestampTz until;
	ItemPointerData tid;
	EntryState	state;
	TimestampTz starts;
	int64		type;
} BulkEntry;

/* Bookings of all asked providers held in [lo, hi), by provider, then held_from. */
typedef struct BulkBusy
{
	bool		loaded;
	TimestampTz lo;
	TimestampTz hi;
	int64		span;
	BulkEntry  *rows;
	int			n;
	int			cap;
	Busy	   *overlapping;	/* scratch: the rows one candidate overlaps */
	int			overlapping_cap;
	Relation	heap;			/* reading rows by their entries' tids, once opened */
	IndexFetchTableData *fetch;
	TupleTableSlot *slot;
} BulkBusy;

/* the first span of the resources' bulk read; each next read covers twice the last */
#define RES_FIRST_SPAN (INT64CONST(2) * USECS_PER_DAY)

/* Blocked time of the asked resources: held [from, until) no start may overlap. */
typedef struct Blocked
{
	TimestampTz from;
	TimestampTz until;
	TimestampTz starts;			/* group holds: the start they share */
} Blocked;

/* Time off and holds of the asked resources touching [lo, hi). */
typedef struct ResBusy
{
	bool		loaded;
	TimestampTz lo;
	TimestampTz hi;
	int64		span;
	Blocked    *runs;			/* merged, disjoint, sorted: refuse every start */
	int			nruns;
	int			next;			/* first run not wholly before the last start asked */
	Blocked    *group;			/* same-type holds of a group type, by from */
	int			ngroup;
} ResBusy;

/* (start, provider) order of two cursors' current slots */
static int
cmp_slot(const SlotCursor *x, const SlotCursor *y)
{
	if (x->current != y->current)
		return x->current < y->current ? -1 : 1;
	return x->hours->provider < y->hours->provider ? -1 : x->hours->provider > y->hours->provider;
}

/* binaryheap keeps the greatest on top: the earliest slot is the greatest */
static int
heap_order(Datum a, Datum b, void *arg)
{
	const SlotCursor *cursors = arg;

	return cmp_slot(&cursors[DatumGetInt32(b)], &cursors[DatumGetInt32(a)]);
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

/* the row a booking of this provider at this start would be */
static void
make_row(int64 provider, TimestampTz starts, int64 type_id, const ApptType *type, const ApptRow *with_resources,
		 ApptRow *row)
{
	memset(row, 0, sizeof(ApptRow));
	row->provider = provider;
	row->type = type_id;
	row->starts = starts;
	row->nresources = with_resources->nresources;
	row->resources = with_resources->resources;
	rules_derive_times(row, type);
}

static void
bulk_add(BulkBusy *bulk, int64 provider, TimestampTz from, TimestampTz until, ItemPointer tid)
{
	BulkEntry  *e;

	if (bulk->n == bulk->cap)
	{
		bulk->cap = Max(bulk->cap * 2, 256);
		bulk->rows = bulk->rows == NULL ? palloc(sizeof(BulkEntry) * bulk->cap)
			: repalloc(bulk->rows, sizeof(BulkEntry) * bulk->cap);
	}
	e = &bulk->rows[bulk->n++];
	e->provider = provider;
	e->from = from;
	e->until = until;
	e->tid = *tid;
	e->state = ENTRY_UNREAD;
}

static TimestampTz
entry_ts(IndexScanDesc scan, AttrNumber att)
{
	bool		isnull;
	Datum		d = index_getattr(scan->xs_itup, att, scan->xs_itupdesc, &isnull);

	return isnull ? DT_NOBEGIN : DatumGetTimestampTz(d);
}

/*
 * The index entries of the asked providers' bookings whose held time may
 * touch [from, from + span), as the probe's scan reads them
 * (check_provider_overlap: the provider index from held_from - 24 hours,
 * rows ending too early skipped on the entry), one rescanned index scan per
 * provider and no row read: a row is read when a candidate overlaps its
 * entry (entry_holds).  The span starts at 2 hours and doubles at each read,
 * up to a day.
 */
static void
bulk_load(BulkBusy *bulk, const int64 *provs, int nprovs, TimestampTz from)
{
	SchedScan	s;

	bulk->span = bulk->loaded ? Min(bulk->span * 2, BULK_SPAN) : BULK_FIRST_SPAN;
	bulk->lo = from;
	bulk->hi = from + bulk->span;
	bulk->n = 0;
	bulk->loaded = true;
	sched_rels_open();
	for (int i = 0; i < nprovs; i++)
	{
		SchedBounds b = {bulk->lo - SCHED_MAX_HELD_USECS, bulk->hi, sched_rels.a_held_until, bulk->lo};
		ItemPointer tid;

		if (i == 0)
			sched_scan_begin(&s, SR_APPOINTMENTS, SR_APPOINTMENTS_PROVIDER, GetActiveSnapshot(), provs[i], &b);
		else
			sched_scan_rescan(&s, provs[i], &b);
		if (s.end_in_index == 0)
			elog(ERROR, "index appointments_provider_held does not carry held_until");
		while ((tid = index_getnext_tid(s.scan, ForwardScanDirection)) != NULL)
		{
			TimestampTz until = entry_ts(s.scan, s.end_in_index);

			if (until > bulk->lo)
				bulk_add(bulk, provs[i], entry_ts(s.scan, 2), until, tid);
		}
	}
	if (nprovs > 0)
		sched_scan_end(&s);
}

/*
 * Whether the entry's booking holds time for the search: its row read by
 * its tid with the search's snapshot (the index scan's), following a HOT
 * chain as the scan would, once.  Every version reachable from an entry has
 * the entry's held time (see sched_scan_next); a tid whose row was removed
 * after the entry was read can only hold a row the snapshot does not see.
 */
static bool
entry_holds(BulkBusy *bulk, BulkEntry *e)
{
	bool		call_again = false,
				all_dead = false;

	if (e->state != ENTRY_UNREAD)
		return e->state == ENTRY_HOLDS;
	if (bulk->fetch == NULL)
	{
		bulk->heap = table_open(sched_rels.oid[SR_APPOINTMENTS], AccessShareLock);
		bulk->fetch = table_index_fetch_begin(bulk->heap);
		bulk->slot = table_slot_create(bulk->heap, NULL);
	}
	e->state = ENTRY_NONE;
	if (table_index_fetch_tuple(bulk->fetch, &e->tid, GetActiveSnapshot(), bulk->slot, &call_again, &all_dead) &&
		slot_status_holds_time(bulk->slot, sched_rels.a_status))
	{
		e->state = ENTRY_HOLDS;
		e->starts = slot_ts(bulk->slot, sched_rels.a_starts);
		e->type = slot_int8(bulk->slot, sched_rels.a_type);
	}
	return e->state == ENTRY_HOLDS;
}

static void
bulk_end(BulkBusy *bulk)
{
	if (bulk->fetch == NULL)
		return;
	table_index_fetch_end(bulk->fetch);
	ExecDropSingleTupleTableSlot(bulk->slot);
	table_close(bulk->heap, NoLock);
	bulk->fetch = NULL;
}

/* the asked providers, sorted, each once */
static int64 *
distinct_providers(ArrayType *providers, int *n)
{
	Datum	   *ids;
	bool	   *nulls;
	int			nids;
	int64	   *out;

	deconstruct_array(providers, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &ids, &nulls, &nids);
	out = palloc(sizeof(int64) * Max(nids, 1));
	*n = 0;
	for (int i = 0; i < nids; i++)
		if (!nulls[i])
			out[(*n)++] = DatumGetInt64(ids[i]);
	*n = patsvc_sort_distinct(out, *n);
	return out;
}

/* true when the bulk-read bookings refuse the slot (so would the probe) */
static bool
bulk_refuses(BulkBusy *bulk, const ApptRow *row, const ApptType *type)
{
	int			lo = 0,
				hi,
				n = 0;

	if (!bulk->loaded || row->held_from < bulk->lo || row->held_until > bulk->hi)
		return false;
	hi = bulk->n;
	while (lo < hi)				/* first row of the provider */
	{
		int			mid = lo + (hi - lo) / 2;

		if (bulk->rows[mid].provider < row->provider)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < bulk->n && bulk->rows[lo].provider == row->provider; lo++)
	{
		BulkEntry  *e = &bulk->rows[lo];

		if (e->from >= row->held_until || e->until <= row->held_from || !entry_holds(bulk, e))
			continue;
		if (n == bulk->overlapping_cap)
		{
			bulk->overlapping_cap = Max(bulk->overlapping_cap * 2, 16);
			bulk->overlapping = bulk->overlapping == NULL ? palloc(sizeof(Busy) * bulk->overlapping_cap)
				: repalloc(bulk->overlapping, sizeof(Busy) * bulk->overlapping_cap);
		}
		bulk->overlapping[n].provider = e->provider;
		bulk->overlapping[n].starts = e->starts;
		bulk->overlapping[n].from = e->from;
		bulk->overlapping[n].until = e->until;
		bulk->overlapping[n].type = e->type;
		n++;
	}
	return !slots_provider_free(row, type, bulk->overlapping, n);
}

static int
cmp_blocked(const void *a, const void *b)
{
	const Blocked *x = a,
			   *y = b;

	return x->from < y->from ? -1 : x->from > y->from;
}

static TimestampTz
spi_ts(uint64 row, int attno, bool *isnull)
{
	return DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, attno, isnull));
}

static void
blocked_add(Blocked **v, int *n, int *cap, TimestampTz from, TimestampTz until, TimestampTz starts)
{
	if (*n == *cap)
	{
		*cap = Max(16, *cap * 2);
		*v = *v ? repalloc(*v, sizeof(Blocked) * *cap) : palloc(sizeof(Blocked) * *cap);
	}
	(*v)[*n].from = from;
	(*v)[*n].until = until;
	(*v)[*n].starts = starts;
	(*n)++;
}

/*
 * Reads the resources' time off and time-holding holds touching [lo, lo +
 * span), the rows check_resource_time_off and check_resource_overlap read
 * (same snapshot: the probe's, the statement's).  A time off range becomes
 * [lower, upper), or [lower, upper + 1 microsecond) when upper is
 * inclusive: a held time [f, u) overlaps it exactly when it overlaps that.
 */
static void
res_load(ResBusy *rb, ArrayType *resources, int64 type_id, const ApptType *type, TimestampTz lo)
{
	static SPIPlanPtr off_plan = NULL,
				hold_plan = NULL;
	Oid			types[4] = {INT8ARRAYOID, TIMESTAMPTZOID, TIMESTAMPTZOID, TIMESTAMPTZOID};
	Datum		v[4];
	Blocked    *all = NULL;
	int			nall = 0,
				cap = 0,
				gcap = 0;

	if (rb->loaded)
	{
		pfree(rb->runs);
		if (rb->group)
			pfree(rb->group);
		rb->span *= 2;
	}
	else
		rb->span = RES_FIRST_SPAN;
	rb->group = NULL;
	rb->ngroup = 0;
	rb->lo = lo;
	rb->hi = lo + rb->span;
	v[0] = PointerGetDatum(resources);
	v[1] = TimestampTzGetDatum(rb->lo);
	v[2] = TimestampTzGetDatum(rb->hi);
	if (SPI_execute_plan(patsvc_kept_plan(&off_plan, "SELECT lower(during), upper(during), upper_inc(during)"
										  " FROM patsvc.time_off WHERE resource_id = ANY ($1)"
										  " AND during && tstzrange($2, $3)", 3, types), v, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute failed");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		lnull,
					unull,
					incnull;
		TimestampTz from = spi_ts(i, 1, &lnull);
		TimestampTz until = spi_ts(i, 2, &unull);
		bool		inc = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 3, &incnull));

		if (lnull)
			from = DT_NOBEGIN;
		if (unull || until == DT_NOEND)
			until = DT_NOEND;
		else if (inc)
			until++;
		blocked_add(&all, &nall, &cap, from, until, 0);
	}
	SPI_freetuptable(SPI_tuptable);
	v[1] = TimestampTzGetDatum(rb->lo - SCHED_MAX_HELD_USECS);
	v[2] = TimestampTzGetDatum(rb->hi);
	v[3] = TimestampTzGetDatum(rb->lo);
	if (SPI_execute_plan(patsvc_kept_plan(&hold_plan, "SELECT h.held_from, h.held_until, a.starts_at, a.type_id"
										  " FROM patsvc.appointment_resources h JOIN patsvc.appointments a ON a.id = h.appointment_id"
										  " WHERE h.resource_id = ANY ($1) AND h.held_from > $2 AND h.held_from < $3"
										  " AND h.held_until > $4 AND a." NOT_HOLDING, 4, types), v, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute failed");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		TimestampTz from = spi_ts(i, 1, &isnull);
		TimestampTz until = spi_ts(i, 2, &isnull);
		TimestampTz starts = spi_ts(i, 3, &isnull);
		int64		other = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 4, &isnull));

		if (type->capacity > 1 && other == type_id)
			blocked_add(&rb->group, &rb->ngroup, &gcap, from, until, starts);
		else
			blocked_add(&all, &nall, &cap, from, until, 0);
	}
	SPI_freetuptable(SPI_tuptable);
	if (nall > 0)
		qsort(all, nall, sizeof(Blocked), cmp_blocked);
	if (rb->ngroup > 0)
		qsort(rb->group, rb->ngroup, sizeof(Blocked), cmp_blocked);
	rb->runs = palloc(sizeof(Blocked) * Max(nall, 1));
	rb->nruns = 0;
	for (int i = 0; i < nall; i++)		/* merge overlapping and touching runs */
	{
		if (rb->nruns > 0 && all[i].from <= rb->runs[rb->nruns - 1].until)
			rb->runs[rb->nruns - 1].until = Max(rb->runs[rb->nruns - 1].until, all[i].until);
		else
			rb->runs[rb->nruns++] = all[i];
	}
	if (all)
		pfree(all);
	rb->next = 0;
	rb->loaded = true;
}

/*
 * 0 when the resources' blocked time leaves the row's held time free, as far
 * as the bulk read knows (the probe still checks); otherwise a start before
 * which every start is refused alike (> row->starts).  Rows are asked in
 * start order.
 */
static TimestampTz
res_refuses(ResBusy *rb, ArrayType *resources, int64 type_id, const ApptType *type, const ApptRow *row,
			TimestampTz until)
{
	int64		before = row->starts - row->held_from;
	int64		length = row->held_until - row->held_from;
	TimestampTz from = row->held_from;

	if (!rb->loaded || row->held_from < rb->lo || row->held_until > rb->hi)
		res_load(rb, resources, type_id, type, row->held_from);
	for (;;)
	{
		while (rb->next < rb->nruns && rb->runs[rb->next].until <= from)
			rb->next++;
		if (rb->next == rb->nruns || rb->runs[rb->next].from >= from + length)
			break;
		/* refused up to the run's end: the next start whose held time begins there */
		if (rb->runs[rb->next].until >= until - before)
			return until;		/* past the search */
		from = rb->runs[rb->next].until;
	}
	if (from != row->held_from)
		return from + before;
	if (rb->ngroup > 0)
	{
		int			lo = 0,
					hi = rb->ngroup;

		while (lo < hi)			/* first hold that may overlap (held at most 24 hours) */
		{
			int			mid = lo + (hi - lo) / 2;

			if (rb->group[mid].from <= row->held_from - SCHED_MAX_HELD_USECS)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < rb->ngroup && rb->group[lo].from < row->held_until; lo++)
			if (rb->group[lo].until > row->held_from && rb->group[lo].starts != row->starts)
				return row->starts + 1;
	}
	return 0;
}

static void
emit(ReturnSetInfo *rsinfo, MemoryContext caller, const ApptRow *row)
{
	TypeCacheEntry *rangetype = lookup_type_cache(TSTZRANGEOID, TYPECACHE_RANGE_INFO);
	MemoryContext spi = MemoryContextSwitchTo(caller);
	RangeBound	lower = {TimestampTzGetDatum(row->starts), false, true, true};
	RangeBound	upper = {TimestampTzGetDatum(row->ends), false, false, false};
	Datum		values[2] = {Int64GetDatum(row->provider),
	RangeTypePGetDatum(make_range(rangetype, &lower, &upper, false))};
	bool		nulls[2] = {false, false};

	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	MemoryContextSwitchTo(spi);
}

/* the bounds and rights of a search (README: Functions), before any work */
static void
check_search(const char *function, ArrayType *providers, TimestampTz after, ArrayType *resources,
			 int32 max_results)
{
	if (TIMESTAMP_NOT_FINITE(after))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("search start %s is not a finite time", timestamptz_to_str(after)),
				 errhint("Give after as a date and time.")));
	slots_check_time(after, (int64) SEARCH_DAYS * USECS_PER_DAY, "search start");
	slots_check_array(providers, SLOTS_MAX_PROVIDERS, "providers", function);
	slots_check_array(resources, SLOTS_MAX_RESOURCES, "resources", function);
	if (max_results < 1 || max_results > SLOTS_MAX_RESULTS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_results must be between 1 and %d, not %d", SLOTS_MAX_RESULTS, max_results),
				 errhint("Ask for 1 to %d results; search again after the last slot for more.", SLOTS_MAX_RESULTS)));
	slots_require_select("appointments", function);
}

/* a cursor per hours row at its first slot in [after, until), merged by a heap, earliest first */
static binaryheap *
start_cursors(SlotCursor *cursors, const WeeklyHours *hours, int nhours, int32 duration_min,
			  TimestampTz after, TimestampTz until)
{
	binaryheap *heap = binaryheap_allocate(Max(nhours, 1), heap_order, cursors);

	for (int i = 0; i < nhours; i++)
	{
		slot_cursor_init(&cursors[i], &hours[i], duration_min, after, until);
		if (slot_cursor_next(&cursors[i]))
			binaryheap_add_unordered(heap, Int32GetDatum(i));
	}
	binaryheap_build(heap);
	return heap;
}

/*
 * The search (see the top of this file) for next_available_sweep and
 * next_available; function names the caller in errors.
 */
static void
search(FunctionCallInfo fcinfo, const char *function, ArrayType *providers, TimestampTz after,
	   int64 type_id, ArrayType *resources, int32 max_results)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TimestampTz until;
	MemoryContext caller = CurrentMemoryContext;
	ApptType	type;
	ApptRow		asked = {0};
	WeeklyHours *hours;
	SlotCursor *cursors;
	binaryheap *heap;
	int			nhours,
				found = 0,
				taken = 0;
	BulkBusy	bulk = {0};
	int64	   *provs = NULL;
	int			nprovs = 0;
	ResBusy		res = {0};
	TimestampTz skip_before = 0;	/* every start before it is refused by the resources */
	bool		have_last = false;
	TimestampTz last_start = 0;
	int64		last_provider = 0;
	PatsvcSavedUser saved;

	check_search(function, providers, after, resources, max_results);
	until = after + (int64) SEARCH_DAYS * USECS_PER_DAY;
	InitMaterializedSRF(fcinfo, 0);
	patsvc_become_owner(sched_appointments_owner(), &saved);
	patsvc_spi_connect();
	rules_load_type(type_id, &type);
	read_resources(resources, &asked);
	hours = slots_load_hours(providers, after, until, &nhours);
	cursors = palloc(sizeof(SlotCursor) * Max(nhours, 1));
	heap = start_cursors(cursors, hours, nhours, type.duration_min, after, until);
	while (found < max_results && !binaryheap_empty(heap))
	{
		int			i = DatumGetInt32(binaryheap_first(heap));
		TimestampTz starts = cursors[i].current;
		int64		provider = cursors[i].hours->provider;
		ApptRow		row;

		CHECK_FOR_INTERRUPTS();
		if (asked.nresources > 0 && starts < skip_before)
		{
			if (slot_cursor_seek(&cursors[i], skip_before))
				binaryheap_replace_first(heap, Int32GetDatum(i));
			else
				(void) binaryheap_remove_first(heap);
			continue;
		}
		if (slot_cursor_next(&cursors[i]))
			binaryheap_replace_first(heap, Int32GetDatum(i));
		else
			(void) binaryheap_remove_first(heap);
		if (have_last && starts == last_start && provider == last_provider)
			continue;
		have_last = true;
		last_start = starts;
		last_provider = provider;
		make_row(provider, starts, type_id, &type, &asked, &row);
		if (asked.nresources > 0)
		{
			TimestampTz next = res_refuses(&res, resources, type_id, &type, &row, until);

			if (next != 0)
			{
				skip_before = next;
				continue;
			}
		}
		if (bulk_refuses(&bulk, &row, &type))
			continue;
		if (!rules_check(&row, &type, RULES_PROBE, false))
		{
			if (++taken == PROBES_BEFORE_BULK)
			{
				if (provs == NULL)
					provs = distinct_providers(providers, &nprovs);
				bulk_load(&bulk, provs, nprovs, row.held_from);
				taken = 0;
			}
			continue;
		}
		emit(rsinfo, caller, &row);
		found++;
	}
	bulk_end(&bulk);
	patsvc_spi_finish();
	patsvc_restore_user(&saved);
}

/*
 * patsvc.next_available_sweep(providers, after, type_id, resources,
 * max_results) returns table(provider, slot), STRICT: next_available with
 * a type id.  Free slots starting in [after, after + 92 days), earliest
 * first, ties by provider; a slot two hours rows share is probed once.
 */
Datum
patsvc_next_available_c(PG_FUNCTION_ARGS)
{
	search(fcinfo, "next_available_sweep", PG_GETARG_ARRAYTYPE_P(0), PG_GETARG_TIMESTAMPTZ(1),
		   PG_GETARG_INT64(2), PG_GETARG_ARRAYTYPE_P(3), PG_GETARG_INT32(4));
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(patsvc_next_available);

/*
 * patsvc.next_available(providers, after, appointment_type, resources,
 * max_results), not STRICT: the type's code first (PS208), then max_results
 * (22023 when NULL or below 1); NULL resources are none; a NULL provider
 * list, start or type finds nothing.
 */
Datum
patsvc_next_available(PG_FUNCTION_ARGS)
{
	int64		type_id = PG_ARGISNULL(2) ? 0 : slots_type_of_code(PG_GETARG_TEXT_PP(2));

	if (PG_ARGISNULL(4) || PG_GETARG_INT32(4) < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_results must be at least 1"),
				 errhint("Ask for 1 or more results.")));
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		InitMaterializedSRF(fcinfo, 0);
		return (Datum) 0;
	}
	search(fcinfo, "next_available", PG_GETARG_ARRAYTYPE_P(0), PG_GETARG_TIMESTAMPTZ(1), type_id,
		   PG_ARGISNULL(3) ? construct_empty_array(INT8OID) : PG_GETARG_ARRAYTYPE_P(3),
		   PG_GETARG_INT32(4));
	return (Datum) 0;
}
