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
 * The checks read the tables with direct btree scans (scan.c), not SPI;
 * the trigger runs them as the owner of patsvc.appointments.
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "nodes/parsenodes.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/inval.h"
#include "utils/datetime.h"
#include "utils/rangetypes.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/typcache.h"
#include "utils/timestamp.h"

#include "core/core.h"
#include "scheduling/scan.h"
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

/* by primary key: the holds of an appointment are (each resource, its held_from, its id) */
static RulePlan plan_holds_delete = {
	"DELETE FROM patsvc.appointment_resources"
	" WHERE resource_id = ANY ($2) AND held_from = $3 AND appointment_id = $1",
	3, {INT8OID, INT8ARRAYOID, TIMESTAMPTZOID}
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

/* Rows that conflict with the row being checked, in index order. */
typedef struct Hit
{
	int64		id;
	TimestampTz starts;
	TimestampTz from;			/* held (provider, resource) or visit (patient) time */
	TimestampTz until;
	int64		type;
} Hit;

typedef struct Hits
{
	int			n;
	int			cap;
	Hit		   *v;
} Hits;

/* One conflict query: which dimension, the row checked, the resource. */
typedef enum HitKind
{
	HITS_PROVIDER,
	HITS_PATIENT,
	HITS_RESOURCE
} HitKind;

typedef struct HitQuery
{
	HitKind		kind;
	const ApptRow *row;
	int64		resource;
	int			limit;			/* 0: all */
} HitQuery;

static void
hits_add(Hits *h, int64 id, TimestampTz starts, TimestampTz from, TimestampTz until, int64 type)
{
	if (h->n == h->cap)
	{
		h->cap = Max(8, h->cap * 2);
		h->v = h->v ? repalloc(h->v, sizeof(Hit) * h->cap) : palloc(sizeof(Hit) * h->cap);
	}
	h->v[h->n].id = id;
	h->v[h->n].starts = starts;
	h->v[h->n].from = from;
	h->v[h->n].until = until;
	h->v[h->n].type = type;
	h->n++;
}

/* value > bound, false for NULL (as the SQL comparison it replaces) */
static bool
ts_after(TupleTableSlot *slot, AttrNumber att, TimestampTz bound)
{
	bool		isnull;
	Datum		d = slot_getattr(slot, att, &isnull);

	return !isnull && DatumGetTimestampTz(d) > bound;
}

/*
 * Time-holding appointments of one key whose range [from_att, end_att)
 * overlaps [lo, hi): index range from_att in (lo - max hold, hi), then
 * end_att > lo.  The row itself (its id) is left out.
 */
static void
find_appointment_hits(const HitQuery *q, SchedRel index, int64 key, AttrNumber from_att, AttrNumber end_att,
					  TimestampTz lo, TimestampTz hi, Snapshot snapshot, Hits *out)
{
	SchedBounds b = {lo - SCHED_MAX_HELD_USECS, hi, end_att, lo};
	SchedScan	s;
	TupleTableSlot *slot;

	sched_scan_begin(&s, SR_APPOINTMENTS, index, snapshot, key, &b);
	while ((q->limit == 0 || out->n < q->limit) && (slot = sched_scan_next(&s)) != NULL)
	{
		int64		id = slot_int8(slot, sched_rels.a_id);

		if (!ts_after(slot, end_att, lo) || id == q->row->id ||
			!slot_status_holds_time(slot, sched_rels.a_status))
			continue;
		hits_add(out, id, slot_ts(slot, sched_rels.a_starts), slot_ts(slot, from_att),
				 slot_ts(slot, end_att), slot_int8(slot, sched_rels.a_type));
	}
	sched_scan_end(&s);
}

/* The time-holding appointment with this id visible in the snapshot: its start and type. */
static bool
fetch_holding_appointment(int64 id, Snapshot snapshot, TimestampTz *starts, int64 *type)
{
	SchedScan	s;
	TupleTableSlot *slot;
	bool		found = false;

	sched_scan_begin(&s, SR_APPOINTMENTS, SR_APPOINTMENTS_PKEY, snapshot, id, NULL);
	while (!found && (slot = sched_scan_next(&s)) != NULL)
	{
		if (!slot_status_holds_time(slot, sched_rels.a_status))
			continue;
		*starts = slot_ts(slot, sched_rels.a_starts);
		*type = slot_int8(slot, sched_rels.a_type);
		found = true;
	}
	sched_scan_end(&s);
	return found;
}

/* Holds of one resource overlapping the row's held time, joined to their time-holding appointments. */
static void
find_resource_hits(const HitQuery *q, Snapshot snapshot, Hits *out)
{
	const ApptRow *row = q->row;
	SchedBounds b = {row->held_from - SCHED_MAX_HELD_USECS, row->held_until, sched_rels.h_held_until, row->held_from};
	SchedScan	s;
	TupleTableSlot *slot;

	sched_scan_begin(&s, SR_HOLDS, SR_HOLDS_PKEY, snapshot, q->resource, &b);
	while ((q->limit == 0 || out->n < q->limit) && (slot = sched_scan_next(&s)) != NULL)
	{
		int64		id = slot_int8(slot, sched_rels.h_appointment);
		TimestampTz starts;
		int64		type;

		if (!ts_after(slot, sched_rels.h_held_until, row->held_from) || id == row->id)
			continue;
		if (!fetch_holding_appointment(id, snapshot, &starts, &type))
			continue;
		hits_add(out, id, starts, slot_ts(slot, sched_rels.h_held_from),
				 slot_ts(slot, sched_rels.h_held_until), type);
	}
	sched_scan_end(&s);
}

static void
find_hits(const HitQuery *q, Snapshot snapshot, Hits *out)
{
	const ApptRow *row = q->row;

	out->n = 0;
	switch (q->kind)
	{
		case HITS_PROVIDER:
			find_appointment_hits(q, SR_APPOINTMENTS_PROVIDER, row->provider, sched_rels.a_held_from,
								  sched_rels.a_held_until, row->held_from, row->held_until, snapshot, out);
			break;
		case HITS_PATIENT:
			find_appointment_hits(q, SR_APPOINTMENTS_PATIENT, row->patient, sched_rels.a_starts,
								  sched_rels.a_ends, row->starts, row->ends, snapshot, out);
			break;
		case HITS_RESOURCE:
			find_resource_hits(q, snapshot, out);
			break;
	}
}

/*
 * The snapshot the checks read.  Enforce mode: the latest committed state
 * plus every earlier write of this transaction, including the rows this
 * statement wrote before (a CommandCounterIncrement, then a copy of the
 * latest snapshot carrying the new command id, as SPI_execute_snapshot gave
 * it).  Probe mode: the caller's active snapshot.  Undone by
 * pop_check_snapshot.
 */
static Snapshot
push_check_snapshot(RuleMode mode, Snapshot base)
{
	if (mode == RULES_PROBE)
		return GetActiveSnapshot();
	CommandCounterIncrement();
	PushCopiedSnapshot(base != InvalidSnapshot ? base : GetLatestSnapshot());
	UpdateActiveSnapshotCommandId();
	return GetActiveSnapshot();
}

static void
pop_check_snapshot(RuleMode mode)
{
	if (mode == RULES_ENFORCE)
		PopActiveSnapshot();
}

/*
 * A conflict seen in the latest snapshot but not in the transaction's own
 * one came from a transaction that committed after ours started: under
 * REPEATABLE READ or SERIALIZABLE that is a serialization failure.
 */
static void
raise_if_invisible_to_xact(const HitQuery *q, int64 blocking)
{
	Hits		hits = {0};

	if (!IsolationUsesXactSnapshot())
		return;
	find_hits(q, push_check_snapshot(RULES_ENFORCE, GetTransactionSnapshot()), &hits);
	PopActiveSnapshot();
	for (int i = 0; i < hits.n; i++)
		if (hits.v[i].id == blocking)
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
check_provider_overlap(const ApptRow *row, const ApptType *type, RuleMode mode, Snapshot snapshot)
{
	HitQuery	q = {HITS_PROVIDER, row, 0, 0};
	Hits		hits = {0};
	int			same_slot = 0;
	int64		last_group = 0;

	find_hits(&q, snapshot, &hits);
	for (int i = 0; i < hits.n; i++)
	{
		const Hit  *h = &hits.v[i];

		if (same_group_slot(row, type, h->type, h->starts))
		{
			same_slot++;
			last_group = h->id;
			continue;
		}
		if (mode == RULES_PROBE)
			return false;
		raise_if_invisible_to_xact(&q, h->id);
		raise_overlap("provider", row->provider, h->id, h->from, h->until);
	}
	if (same_slot < type->capacity)
		return true;
	if (mode == RULES_PROBE)
		return false;
	raise_if_invisible_to_xact(&q, last_group);
	ereport(ERROR,
			(errcode(ERRCODE_PATSVC_CAPACITY_FULL),
			 errmsg("group slot at %s of provider %lld is full", ts_text(row->starts), (long long) row->provider),
			 errdetail("Rule 3 (capacity): %d of %d places are taken in this slot.", same_slot, type->capacity),
			 errhint("Choose another slot, or overbook with patsvc.book_overbook if you hold that privilege.")));
	pg_unreachable();
}

/* Rule 1 for the patient: the visits themselves may not overlap (never overridable). */
static bool
check_patient_overlap(const ApptRow *row, RuleMode mode, Snapshot snapshot)
{
	HitQuery	q = {HITS_PATIENT, row, 0, 1};
	Hits		hits = {0};

	find_hits(&q, snapshot, &hits);
	if (hits.n == 0)
		return true;
	if (mode == RULES_PROBE)
		return false;
	raise_if_invisible_to_xact(&q, hits.v[0].id);
	raise_overlap("patient", row->patient, hits.v[0].id, hits.v[0].from, hits.v[0].until);
	pg_unreachable();
}

/* Rule 1 for each resource; the patients of one group slot share its room. */
static bool
check_resource_overlap(const ApptRow *row, const ApptType *type, int64 resource, RuleMode mode,
					   Snapshot snapshot)
{
	HitQuery	q = {HITS_RESOURCE, row, resource, 0};
	Hits		hits = {0};

	find_hits(&q, snapshot, &hits);
	for (int i = 0; i < hits.n; i++)
	{
		const Hit  *h = &hits.v[i];

		if (same_group_slot(row, type, h->type, h->starts))
			continue;
		if (mode == RULES_PROBE)
			return false;
		raise_if_invisible_to_xact(&q, h->id);
		raise_overlap("room/resource", resource, h->id, h->from, h->until);
	}
	return true;
}

/*
 * The first (by lower bound; unbounded below sorts last, as NULL does) time
 * off of a provider or resource overlapping [from, until).  Bounds that are
 * unbounded come back as 0, as the SQL query's NULLs did.
 */
typedef struct TimeOff
{
	bool		found;
	bool		lower_inf;
	int64		id;
	TimestampTz lower;
	TimestampTz upper;
} TimeOff;

static TypeCacheEntry *
tstzrange_typcache(void)
{
	static TypeCacheEntry *typcache = NULL;

	if (typcache == NULL)
		typcache = lookup_type_cache(TSTZRANGEOID, TYPECACHE_RANGE_INFO);
	return typcache;
}

static TimeOff
find_time_off(SchedRel index, int64 key, TimestampTz from, TimestampTz until, Snapshot snapshot)
{
	TypeCacheEntry *typcache = tstzrange_typcache();
	RangeBound	lb = {TimestampTzGetDatum(from), false, true, true},
				ub = {TimestampTzGetDatum(until), false, false, false};
	RangeType  *wanted = make_range(typcache, &lb, &ub, false);
	TimeOff		best = {0};
	SchedScan	s;
	TupleTableSlot *slot;

	sched_scan_begin(&s, SR_TIME_OFF, index, snapshot, key, NULL);
	while ((slot = sched_scan_next(&s)) != NULL)
	{
		bool		isnull;
		Datum		d = slot_getattr(slot, sched_rels.o_during, &isnull);
		RangeType  *during;
		RangeBound	l,
					u;
		bool		empty;

		if (isnull)
			continue;
		during = DatumGetRangeTypeP(d);
		if (!range_overlaps_internal(typcache, during, wanted))
			continue;
		range_deserialize(typcache, during, &l, &u, &empty);
		if (best.found && (l.infinite || (!best.lower_inf && DatumGetTimestampTz(l.val) >= best.lower)))
			continue;
		best.found = true;
		best.lower_inf = l.infinite;
		best.id = slot_int8(slot, sched_rels.o_id);
		best.lower = l.infinite ? 0 : DatumGetTimestampTz(l.val);
		best.upper = u.infinite ? 0 : DatumGetTimestampTz(u.val);
	}
	sched_scan_end(&s);
	return best;
}

/* Rule 2: outside the provider's time off. */
static bool
check_provider_time_off(const ApptRow *row, RuleMode mode, Snapshot snapshot)
{
	TimeOff		off;

	if (!rules_has_time_off(false, row->provider))
		return true;
	off = find_time_off(SR_TIME_OFF_PROVIDER, row->provider, row->starts, row->ends, snapshot);
	if (!off.found)
		return true;
	if (mode == RULES_PROBE)
		return false;
	ereport(ERROR,
			(errcode(ERRCODE_PATSVC_PROVIDER_TIME_OFF),
			 errmsg("provider %lld is off from %s to %s", (long long) row->provider,
					ts_text(off.lower), ts_text(off.upper)),
			 errdetail("Rule 2 (time off): time off %lld overlaps the visit from %s to %s.",
					   (long long) off.id, ts_text(row->starts), ts_text(row->ends)),
			 errhint("Book outside the provider's time off (patsvc.time_off).")));
	pg_unreachable();
}

/* The local date of a time in a zone, remembered for the last zone asked. */
typedef struct LocalDate
{
	const SchedZone *zone;		/* NULL: nothing remembered */
	DateADT		date;
} LocalDate;

static DateADT
local_date(LocalDate *memo, const SchedZone *zone, TimestampTz t)
{
	if (memo->zone == NULL || memo->zone->tz != zone->tz || memo->zone->offset_east != zone->offset_east)
	{
		memo->date = sched_zone_local_date(zone, t);
		memo->zone = zone;
	}
	return memo->date;
}

/* (local date + wall-clock time) AT TIME ZONE zone */
static TimestampTz
local_to_utc(DateADT date, TimeADT time, const SchedZone *zone)
{
	return sched_zone_to_utc(zone, (Timestamp) date * USECS_PER_DAY + time);
}

/* Is the local date on the row's weekday and inside its validity? */
static bool
hours_on_date(const SchedHours *h, DateADT date)
{
	int			isodow = j2day(date + POSTGRES_EPOCH_JDATE);

	if (isodow == 0)
		isodow = 7;
	return isodow == h->weekday && date >= h->valid_from && date <= h->valid_until;
}

/*
 * Does this weekly hours row, worked from the local date "date", cover
 * [starts, ends)?  Its local start and end (the next day's wall time for a
 * night shift: ends_local is past 24:00 then), converted back, must enclose
 * the visit (the rule of the SQL it replaces, so DST days and nights behave
 * the same).
 */
static bool
hours_cover_from(const SchedHours *h, DateADT date, TimestampTz starts, TimestampTz ends)
{
	return hours_on_date(h, date) &&
		local_to_utc(date, h->starts_local, &h->zone) <= starts &&
		local_to_utc(date, h->ends_local, &h->zone) >= ends;
}

/*
 * Does this weekly hours row cover [starts, ends)?  A row belongs to the
 * weekday it starts on: the visit is covered by the row worked on the local
 * date of its start, or, for a night shift, by the one worked the day before
 * (a visit at 05:00 in a 22:00 to 06:00 shift that began the evening before).
 */
static bool
hours_cover(const SchedHours *h, TimestampTz starts, TimestampTz ends, LocalDate *memo)
{
	DateADT		date = local_date(memo, &h->zone, starts);

	return hours_cover_from(h, date, starts, ends) ||
		(h->overnight && hours_cover_from(h, date - 1, starts, ends));
}

/* "HH:MM" (":SS" when not whole minutes) of a wall-clock time of day */
static char *
wall_text(int64 t)
{
	int64		s = (t % USECS_PER_DAY) / USECS_PER_SEC;

	if (t == USECS_PER_DAY)
		return pstrdup("24:00");
	if (s % 60 != 0)
		return psprintf("%02d:%02d:%02d", (int) (s / 3600), (int) (s / 60 % 60), (int) (s % 60));
	return psprintf("%02d:%02d", (int) (s / 3600), (int) (s / 60 % 60));
}

static const char *const iso_day_names[] = {
	"", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"
};

/*
 * The refusal of rule 2 (availability).  When the visit starts inside a row
 * of hours but ends after them, the detail names that row and its end, and
 * the hint says how a visit across local midnight is allowed: one row that
 * crosses midnight, not two rows split there.  Only on the refusal path.
 */
static void
raise_outside_availability(const ApptRow *row, const SchedHours *hours, int n)
{
	const SchedHours *h = NULL;
	TimestampTz shift_end = 0;

	for (int i = 0; i < n && h == NULL; i++)
	{
		LocalDate	memo = {NULL, 0};
		DateADT		date;

		if (row->has_location && hours[i].location != row->location)
			continue;
		date = local_date(&memo, &hours[i].zone, row->starts);
		for (int back = 0; back <= (hours[i].overnight ? 1 : 0) && h == NULL; back++)
		{
			TimestampTz from,
						until;

			if (!hours_on_date(&hours[i], date - back))
				continue;
			from = local_to_utc(date - back, hours[i].starts_local, &hours[i].zone);
			until = local_to_utc(date - back, hours[i].ends_local, &hours[i].zone);
			if (from <= row->starts && row->starts < until)
			{
				h = &hours[i];
				shift_end = until;
			}
		}
	}
	if (h == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_OUTSIDE_AVAILABILITY),
				 errmsg("provider %lld does not work from %s to %s", (long long) row->provider,
						ts_text(row->starts), ts_text(row->ends)),
				 errdetail("Rule 2 (availability): no weekly hours of this provider%s cover the whole visit in the location's time zone.",
						   row->has_location ? " at the given location" : ""),
				 errhint("Book inside the provider's hours (patsvc.availability, patsvc.free_slots).")));
	ereport(ERROR,
			(errcode(ERRCODE_PATSVC_OUTSIDE_AVAILABILITY),
			 errmsg("provider %lld does not work from %s to %s", (long long) row->provider,
					ts_text(row->starts), ts_text(row->ends)),
			 errdetail("Rule 2 (availability): the visit starts inside weekly hours %lld (%s %s to %s%s, local time of location %lld), which end at %s, before the visit ends.",
					   (long long) h->id, iso_day_names[h->weekday], wall_text(h->starts_local),
					   wall_text(h->overnight ? h->ends_local - USECS_PER_DAY : h->ends_local),
					   h->overnight ? " the next day" : "", (long long) h->location, ts_text(shift_end)),
			 h->ends_local % USECS_PER_DAY == 0
			 ? errhint("These hours end at local midnight: a visit across midnight needs one row of patsvc.availability that runs past it (a row whose ends_local is not after its starts_local ends the next day, as 22:00 to 06:00), not two rows split at midnight.")
			 : errhint("Book a visit that ends by the end of these hours (patsvc.free_slots lists them).")));
	pg_unreachable();
}

/* Rule 2: inside weekly hours, in the location's time zone (sets the location), and not off. */
static bool
check_availability(ApptRow *row, RuleMode mode, Snapshot snapshot)
{
	SchedHours *hours;
	int			n = rules_provider_hours(row->provider, &hours);
	LocalDate	memo = {NULL, 0};

	for (int i = 0; i < n; i++)		/* in id order: the first covering row wins */
	{
		if (row->has_location && hours[i].location != row->location)
			continue;
		if (!hours_cover(&hours[i], row->starts, row->ends, &memo))
			continue;
		row->location = hours[i].location;
		row->has_location = true;
		return check_provider_time_off(row, mode, snapshot);
	}
	if (mode == RULES_PROBE)
		return false;
	raise_outside_availability(row, hours, n);
	pg_unreachable();
}

static bool
check_resource_time_off(const ApptRow *row, int64 resource, RuleMode mode, Snapshot snapshot)
{
	TimeOff		off;

	if (!rules_has_time_off(true, resource))
		return true;
	off = find_time_off(SR_TIME_OFF_RESOURCE, resource, row->held_from, row->held_until, snapshot);
	if (!off.found)
		return true;
	if (mode == RULES_PROBE)
		return false;
	ereport(ERROR,
			(errcode(ERRCODE_PATSVC_RESOURCE_TIME_OFF),
			 errmsg("room/resource %lld is blocked from %s to %s", (long long) resource,
					ts_text(off.lower), ts_text(off.upper)),
			 errdetail("Rule 2 (time off): blocked time %lld overlaps the time the appointment holds, %s to %s.",
					   (long long) off.id, ts_text(row->held_from), ts_text(row->held_until)),
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

static bool
check_all(ApptRow *row, const ApptType *type, RuleMode mode, bool check_patient, Snapshot snapshot)
{
	if (!row->overbook)
	{
		if (!check_availability(row, mode, snapshot) ||
			!check_provider_overlap(row, type, mode, snapshot))
			return false;
	}
	if (check_patient && !check_patient_overlap(row, mode, snapshot))
		return false;
	for (int i = 0; i < row->nresources; i++)
		if (!check_resource_time_off(row, row->resources[i], mode, snapshot) ||
			!check_resource_overlap(row, type, row->resources[i], mode, snapshot))
			return false;
	return true;
}

/*
 * The checks of one appointment.  locked: take its key locks first (and drop
 * the cached rows a schedule change committed meanwhile: a schedule change
 * holds the same key lock until it commits, rebook.c), then read the latest
 * committed state; otherwise read under the active snapshot (a probe).  mode
 * says whether a broken rule raises (RULES_ENFORCE) or answers false.
 */
static bool
run_checks(ApptRow *row, const ApptType *type, RuleMode mode, bool check_patient, bool locked)
{
	RuleMode	snapshot_mode = locked ? RULES_ENFORCE : RULES_PROBE;
	bool		ok;

	if (locked)
	{
		lock_keys(row, check_patient);
		AcceptInvalidationMessages();
	}
	/* an unlocked probe without resources has no kinds to check */
	if ((locked || row->nresources > 0) && !check_resource_kinds(row, type, mode))
		return false;
	sched_rels_open();
	ok = check_all(row, type, mode, check_patient, push_check_snapshot(snapshot_mode, InvalidSnapshot));
	pop_check_snapshot(snapshot_mode);
	return ok;
}

bool
rules_check(ApptRow *row, const ApptType *type, RuleMode mode, bool check_patient)
{
	return run_checks(row, type, mode, check_patient, mode == RULES_ENFORCE);
}

/*
 * Rule 1 for the patient alone, raising: for a time-holding visit whose only
 * change is its patient (merge_patients moving a duplicate's visits to the
 * patient kept).  The provider's and resources' rules do not depend on the
 * patient, so they are not checked again (a visit flagged for rebooking
 * stays flagged; a past visit is not held to today's hours).
 */
void
rules_check_patient(const ApptRow *row)
{
	lock_key(DIM_PATIENT, row->patient);
	sched_rels_open();
	(void) check_patient_overlap(row, RULES_ENFORCE, push_check_snapshot(RULES_ENFORCE, InvalidSnapshot));
	pop_check_snapshot(RULES_ENFORCE);
}

/* The indexes of appointment_resources, opened once per appointment. */
typedef struct HoldIndexes
{
	int			n;
	Relation   *rels;
	IndexInfo **infos;
} HoldIndexes;

/*
 * Opens the indexes; false (nothing left open) when one is not a plain
 * column index: then the holds take the INSERT path.
 */
static bool
open_plain_indexes(Relation rel, HoldIndexes *ix)
{
	List	   *oids = RelationGetIndexList(rel);
	ListCell   *lc;

	ix->n = 0;
	ix->rels = palloc(sizeof(Relation) * Max(list_length(oids), 1));
	ix->infos = palloc(sizeof(IndexInfo *) * Max(list_length(oids), 1));
	foreach(lc, oids)
	{
		Relation	idx = index_open(lfirst_oid(lc), RowExclusiveLock);

		ix->rels[ix->n] = idx;
		ix->infos[ix->n++] = BuildIndexInfo(idx);
		if (RelationGetIndexExpressions(idx) != NIL || RelationGetIndexPredicate(idx) != NIL ||
			!idx->rd_index->indimmediate || idx->rd_index->indisexclusion)
		{
			for (int k = 0; k < ix->n; k++)
				index_close(ix->rels[k], NoLock);
			list_free(oids);
			return false;
		}
	}
	list_free(oids);
	return true;
}

static void
close_indexes(HoldIndexes *ix)
{
	for (int k = 0; k < ix->n; k++)
		index_close(ix->rels[k], NoLock);
}

/* One row of appointment_resources: heap insert plus its index entries. */
static void
insert_hold(Relation rel, const HoldIndexes *ix, Datum *values, bool *nulls)
{
	HeapTuple	tup = heap_form_tuple(RelationGetDescr(rel), values, nulls);

	simple_heap_insert(rel, tup);
	for (int k = 0; k < ix->n; k++)
	{
		Relation	idx = ix->rels[k];
		IndexInfo  *info = ix->infos[k];
		Datum		iv[INDEX_MAX_KEYS];
		bool		in[INDEX_MAX_KEYS];

		if (!info->ii_ReadyForInserts)	/* being built concurrently: not yet */
			continue;
		for (int a = 0; a < info->ii_NumIndexAttrs; a++)
		{
			iv[a] = values[info->ii_IndexAttrNumbers[a] - 1];
			in[a] = nulls[info->ii_IndexAttrNumbers[a] - 1];
		}
		index_insert(idx, iv, in, &tup->t_self, rel,
					 idx->rd_index->indisunique ? UNIQUE_CHECK_YES : UNIQUE_CHECK_NO, false, info);
	}
	heap_freetuple(tup);
}

/*
 * The holds of one appointment, written directly (no SPI, no executor, no
 * row triggers): the guard trigger has nothing to guard here, and the
 * foreign key on resource_id was checked by check_resource_kinds, which
 * found each resource in the resource cache (deleting a resource waits for
 * the bookings: referenced_key_guard, refs.c).  A table whose indexes are
 * not all plain (changed by hand) takes the INSERT path.
 */
static void
insert_holds(int64 appointment, const ApptRow *row)
{
	Relation	rel;
	HoldIndexes ix;
	int			natts;
	Datum	   *values;
	bool	   *nulls;

	sched_rels_open();
	rel = table_open(sched_rels.oid[SR_HOLDS], RowExclusiveLock);
	if (!open_plain_indexes(rel, &ix))
	{
		Datum		ins[4] = {Int64GetDatum(appointment),
			PointerGetDatum(int8_array(row->resources, row->nresources)),
		TimestampTzGetDatum(row->held_from), TimestampTzGetDatum(row->held_until)};
		int			rc;

		table_close(rel, NoLock);
		patsvc_spi_connect();
		rc = SPI_execute_plan(get_plan(&plan_holds_insert), ins, NULL, false, 0);
		if (rc != SPI_OK_INSERT)
			elog(ERROR, "SPI_execute failed: %s", SPI_result_code_string(rc));
		patsvc_spi_finish();
		return;
	}
	natts = RelationGetDescr(rel)->natts;
	values = palloc0(sizeof(Datum) * natts);
	nulls = palloc(sizeof(bool) * natts);
	memset(nulls, true, sizeof(bool) * natts);
	nulls[sched_rels.h_appointment - 1] = nulls[sched_rels.h_resource - 1] = false;
	nulls[sched_rels.h_held_from - 1] = nulls[sched_rels.h_held_until - 1] = false;
	values[sched_rels.h_appointment - 1] = Int64GetDatum(appointment);
	values[sched_rels.h_held_from - 1] = TimestampTzGetDatum(row->held_from);
	values[sched_rels.h_held_until - 1] = TimestampTzGetDatum(row->held_until);
	for (int i = 0; i < row->nresources; i++)
	{
		values[sched_rels.h_resource - 1] = Int64GetDatum(row->resources[i]);
		insert_hold(rel, &ix, values, nulls);
	}
	close_indexes(&ix);
	table_close(rel, NoLock);
}

void
rules_replace_holds(int64 appointment, const ApptRow *old, const ApptRow *row)
{
	int			rc;

	if (old != NULL)
	{
		Datum		del[3] = {Int64GetDatum(appointment),
			PointerGetDatum(int8_array(old->resources, old->nresources)),
		TimestampTzGetDatum(old->held_from)};

		patsvc_spi_connect();
		rc = SPI_execute_plan(get_plan(&plan_holds_delete), del, NULL, false, 0);
		if (rc != SPI_OK_DELETE)
			elog(ERROR, "SPI_execute failed: %s", SPI_result_code_string(rc));
		patsvc_spi_finish();
	}
	if (row != NULL && row->nresources > 0)
		insert_holds(appointment, row);
}

/*
 * rebook.c: the key lock a booking of that provider (is_resource: resource)
 * takes, so a schedule change and a booking of the same key serialize.
 */
void
rules_lock_key(bool is_resource, int64 key)
{
	lock_key(is_resource ? DIM_RESOURCE : DIM_PROVIDER, key);
}

/*
 * rebook.c: would this appointment, already booked, still be accepted by
 * the rules as they are now (the same checks as rules_check, one
 * implementation)?  Takes the row's key locks, drops stale cached rows,
 * reads the latest committed state plus this transaction's writes, and
 * answers instead of raising.
 */
bool
rules_recheck(ApptRow *row, const ApptType *type, bool check_patient)
{
	return run_checks(row, type, RULES_PROBE, check_patient, true);
}
