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
	SR_RESOURCES, SR_RESOURCES_PKEY,
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

typedef struct SchedScan
{
	Relation	heap;
	Relation	index;
	IndexScanDesc scan;
	TupleTableSlot *slot;
} SchedScan;

extern void sched_scan_begin(SchedScan *s, SchedRel heap, SchedRel index, Snapshot snapshot,
							 int64 key, bool bounded, TimestampTz lo, TimestampTz hi);
extern TupleTableSlot *sched_scan_next(SchedScan *s);
extern void sched_scan_end(SchedScan *s);

extern int64 slot_int8(TupleTableSlot *slot, AttrNumber att);
extern TimestampTz slot_ts(TupleTableSlot *slot, AttrNumber att);
extern bool slot_status_holds_time(TupleTableSlot *slot, AttrNumber att);

#endif							/* PATSVC_SCHED_SCAN_H */
