/*
 * scan.h -- direct btree range scans used by the scheduling rules (scan.c).
 */
#ifndef PATSVC_SCHED_SCAN_H
#define PATSVC_SCHED_SCAN_H

#include "postgres.h"

#include "access/genam.h"
#include "datatype/timestamp.h"
#include "executor/tuptable.h"
#include "utils/relcache.h"
#include "utils/snapshot.h"

/* The relations the checks read, in patsvc's schema. */
typedef enum SchedRel
{
	SR_APPOINTMENTS, SR_APPOINTMENTS_PKEY, SR_APPOINTMENTS_PROVIDER, SR_APPOINTMENTS_PATIENT,
	SR_HOLDS, SR_HOLDS_PKEY,
	SR_TIME_OFF, SR_TIME_OFF_PROVIDER, SR_TIME_OFF_RESOURCE,
	SR_PATIENTS, SR_PATIENTS_PKEY, SR_PROVIDERS, SR_PROVIDERS_PKEY,
	SR_LOCATIONS, SR_LOCATIONS_PKEY,
	SR_COUNT
} SchedRel;

typedef struct SchedRels
{
	Oid			oid[SR_COUNT];
	/* columns of appointments (a_), appointment_resources (h_), time_off (o_) */
	AttrNumber	a_id, a_type, a_starts, a_ends, a_held_from, a_held_until, a_status;
	AttrNumber	h_appointment, h_resource, h_held_from, h_held_until;
	AttrNumber	o_id, o_during;
} SchedRels;

extern SchedRels sched_rels;		/* valid after sched_rels_open() */
extern void sched_rels_open(void);

/*
 * A bounded scan: lo < second index column < hi, and rows whose end column
 * (a heap column the index carries, as a key or INCLUDE column) is not
 * after end_after are skipped on the index entry, before the heap fetch.
 */
typedef struct SchedBounds
{
	TimestampTz lo;
	TimestampTz hi;
	AttrNumber	end_att;		/* heap column number */
	TimestampTz end_after;
} SchedBounds;

typedef struct SchedScan
{
	Relation	heap;
	Relation	index;
	IndexScanDesc scan;
	TupleTableSlot *slot;
	AttrNumber	end_in_index;	/* 0: no filter on the index entry */
	TimestampTz end_after;
} SchedScan;

extern void sched_scan_begin(SchedScan *s, SchedRel heap, SchedRel index, Snapshot snapshot,
							 int64 key, const SchedBounds *bounds);
/* same heap, index and end column; bounds required, as they were at the begin */
extern void sched_scan_rescan(SchedScan *s, int64 key, const SchedBounds *bounds);
extern TupleTableSlot *sched_scan_next(SchedScan *s);
extern void sched_scan_end(SchedScan *s);

extern int64 slot_int8(TupleTableSlot *slot, AttrNumber att);
extern TimestampTz slot_ts(TupleTableSlot *slot, AttrNumber att);
extern bool slot_status_holds_time(TupleTableSlot *slot, AttrNumber att);

/* refs.c: one foreign key whose referencing side patsvc checks in C */
typedef struct SchedRef
{
	SchedRel	parent;			/* the referenced table ... */
	SchedRel	pkey;			/* ... and its primary key */
	const char *child;			/* the referencing table and column */
	const char *column;
	const char *parent_name;
	bool		guarded;		/* by referenced_key_guard: checked, not locked */
} SchedRef;

extern const SchedRef sched_ref_patient, sched_ref_provider, sched_ref_location,
			sched_ref_replaces;

extern void sched_check_reference(const SchedRef *ref, int64 id);
extern void sched_refs_forget(void);

#endif							/* PATSVC_SCHED_SCAN_H */
