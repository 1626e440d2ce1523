/*
 * scan.c -- direct btree range scans for the per-row checks of
 * appointments_enforce, without SPI or the executor.
 *
 * A check reads "rows whose first index column equals a key and whose
 * second lies strictly between two times", in index order, with a given
 * snapshot: index_beginscan + index_getnext_slot fetch the visible heap
 * version of each entry (btree keys need no recheck).  The relation and
 * index oids and the column numbers are looked up once per backend and
 * forgotten when any of those relations is invalidated (dropped, altered,
 * or the extension recreated).
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/itup.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "executor/tuptable.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "catalog/pg_class.h"

#include "core/core.h"
#include "scheduling/scan.h"
#include "scheduling/scheduling.h"

SchedRels	sched_rels;

static const char *const rel_names[SR_COUNT] = {
	"appointments", "appointments_pkey", "appointments_provider_held", "appointments_patient_start",
	"appointment_resources", "appointment_resources_pkey",
	"time_off", "time_off_provider_id_idx", "time_off_resource_id_idx",
	"patients", "patients_pkey", "providers", "providers_pkey",
	"locations", "locations_pkey"
};

static bool rels_valid = false;

static void
rels_invalidate(Datum arg, Oid relid)
{
	if (!rels_valid)
		return;
	if (relid == InvalidOid)
		rels_valid = false;
	else
		for (int i = 0; i < SR_COUNT; i++)
			if (sched_rels.oid[i] == relid)
				rels_valid = false;
}

static AttrNumber
column(Oid relid, const char *name)
{
	AttrNumber	a = get_attnum(relid, name);

	if (a == InvalidAttrNumber)
		elog(ERROR, "patsvc table %u has no column \"%s\"", relid, name);
	return a;
}

/* Looks up the oids and column numbers the checks use (once per backend). */
void
sched_rels_open(void)
{
	if (rels_valid)
		return;
	patsvc_listen_relcache(rels_invalidate);
	for (int i = 0; i < SR_COUNT; i++)
	{
		sched_rels.oid[i] = patsvc_relid(rel_names[i]);
		if (!OidIsValid(sched_rels.oid[i]))
			elog(ERROR, "relation %s.%s does not exist", PATSVC_SCHEMA, rel_names[i]);
	}
	sched_rels.a_id = column(sched_rels.oid[SR_APPOINTMENTS], "id");
	sched_rels.a_type = column(sched_rels.oid[SR_APPOINTMENTS], "type_id");
	sched_rels.a_starts = column(sched_rels.oid[SR_APPOINTMENTS], "starts_at");
	sched_rels.a_ends = column(sched_rels.oid[SR_APPOINTMENTS], "ends_at");
	sched_rels.a_held_from = column(sched_rels.oid[SR_APPOINTMENTS], "held_from");
	sched_rels.a_held_until = column(sched_rels.oid[SR_APPOINTMENTS], "held_until");
	sched_rels.a_status = column(sched_rels.oid[SR_APPOINTMENTS], "status");
	sched_rels.h_appointment = column(sched_rels.oid[SR_HOLDS], "appointment_id");
	sched_rels.h_resource = column(sched_rels.oid[SR_HOLDS], "resource_id");
	sched_rels.h_held_from = column(sched_rels.oid[SR_HOLDS], "held_from");
	sched_rels.h_held_until = column(sched_rels.oid[SR_HOLDS], "held_until");
	sched_rels.o_id = column(sched_rels.oid[SR_TIME_OFF], "id");
	sched_rels.o_during = column(sched_rels.oid[SR_TIME_OFF], "during");
	rels_valid = true;
}

/* The position of heap column att in the index (key or INCLUDE column), 0 if absent. */
static AttrNumber
index_position(Relation index, AttrNumber att)
{
	for (int i = 0; i < index->rd_index->indnatts; i++)
		if (index->rd_index->indkey.values[i] == att)
			return i + 1;
	return 0;
}

/*
 * Starts a scan of heap through index: first column = key and, when
 * bounds are given, lo < second column < hi.  Relations stay locked
 * (AccessShare) until the end of the transaction, as in a query.
 */
void
sched_scan_begin(SchedScan *s, SchedRel heap, SchedRel index, Snapshot snapshot,
				 int64 key, const SchedBounds *bounds)
{
	ScanKeyData keys[3];
	int			nkeys = bounds ? 3 : 1;

	ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(key));
	if (bounds)
	{
		ScanKeyInit(&keys[1], 2, BTGreaterStrategyNumber, F_TIMESTAMPTZ_GT, TimestampTzGetDatum(bounds->lo));
		ScanKeyInit(&keys[2], 2, BTLessStrategyNumber, F_TIMESTAMPTZ_LT, TimestampTzGetDatum(bounds->hi));
	}
	s->heap = table_open(sched_rels.oid[heap], AccessShareLock);
	s->index = index_open(sched_rels.oid[index], AccessShareLock);
	s->slot = table_slot_create(s->heap, NULL);
	s->scan = index_beginscan(s->heap, s->index, snapshot, nkeys, 0);
	s->end_in_index = bounds ? index_position(s->index, bounds->end_att) : 0;
	s->end_after = bounds ? bounds->end_after : 0;
	/* the index entries themselves are read only to skip rows that end too early */
	s->scan->xs_want_itup = s->end_in_index != 0;
	index_rescan(s->scan, keys, nkeys, NULL, 0);
}

/* The same scan again for another key and bounds (relations, slot and scan kept). */
void
sched_scan_rescan(SchedScan *s, int64 key, const SchedBounds *bounds)
{
	ScanKeyData keys[3];

	Assert(bounds != NULL && s->end_in_index == index_position(s->index, bounds->end_att));
	ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(key));
	ScanKeyInit(&keys[1], 2, BTGreaterStrategyNumber, F_TIMESTAMPTZ_GT, TimestampTzGetDatum(bounds->lo));
	ScanKeyInit(&keys[2], 2, BTLessStrategyNumber, F_TIMESTAMPTZ_LT, TimestampTzGetDatum(bounds->hi));
	s->end_after = bounds->end_after;
	index_rescan(s->scan, keys, 3, NULL, 0);
}

/* false when the index entry shows that its rows end at or before end_after */
static bool
entry_may_pass(SchedScan *s)
{
	bool		isnull;
	Datum		d;

	if (s->end_in_index == 0)
		return true;
	d = index_getattr(s->scan->xs_itup, s->end_in_index, s->scan->xs_itupdesc, &isnull);
	return !isnull && DatumGetTimestampTz(d) > s->end_after;
}

/*
 * The next visible row in index order, NULL at the end.  Rows skipped on
 * their index entry are never fetched: every version reachable from one
 * entry has the entry's values (a change to an indexed or included column
 * makes a new entry), so the skip is exact.
 */
TupleTableSlot *
sched_scan_next(SchedScan *s)
{
	ItemPointer tid;

	while ((tid = index_getnext_tid(s->scan, ForwardScanDirection)) != NULL)
	{
		if (!entry_may_pass(s))
			continue;
		if (index_fetch_heap(s->scan, s->slot))
			return s->slot;
	}
	return NULL;
}

void
sched_scan_end(SchedScan *s)
{
	index_endscan(s->scan);
	ExecDropSingleTupleTableSlot(s->slot);
	index_close(s->index, NoLock);
	table_close(s->heap, NoLock);
}

int64
slot_int8(TupleTableSlot *slot, AttrNumber att)
{
	bool		isnull;
	Datum		d = slot_getattr(slot, att, &isnull);

	return isnull ? 0 : DatumGetInt64(d);
}

TimestampTz
slot_ts(TupleTableSlot *slot, AttrNumber att)
{
	bool		isnull;
	Datum		d = slot_getattr(slot, att, &isnull);

	return isnull ? 0 : DatumGetTimestampTz(d);
}

/* status_holds_time() on the text of appointments.status, without a copy */
bool
slot_status_holds_time(TupleTableSlot *slot, AttrNumber att)
{
	bool		isnull;
	Datum		d = slot_getattr(slot, att, &isnull);

	if (isnull)
		return false;			/* NULL NOT IN (...) is not true in SQL either */
	return status_text_holds_time(DatumGetTextPP(d));
}

/* owner of patsvc.appointments: the rules run as this role */
Oid
sched_appointments_owner(void)
{
	return patsvc_table_owner("appointments");
}
