/*
 * keyscan.c -- reading the rows of one of patsvc's tables whose key equals
 * an int64, through a btree index whose first column is that key, straight
 * from the index (no SPI, no executor plan), with the column numbers of the
 * columns read kept across calls (patsvc_columns).  For the C code of
 * triggers and functions that read a few rows per call (core.h).
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "executor/tuptable.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"

#include "core/core.h"

void
patsvc_key_scan_begin(PatsvcKeyScan *ks, const char *table, const char *index, PatsvcColumns *cols, int64 key,
					  Snapshot snapshot)
{
	ScanKeyData skey;
	Oid			index_oid;

	ks->heap = table_open(patsvc_relid(table), AccessShareLock);
	index_oid = index != NULL ? patsvc_relid(index) : RelationGetPrimaryKeyIndex(ks->heap);
	if (!OidIsValid(index_oid))
		elog(ERROR, "patsvc: index %s of table %s.%s is missing", index ? index : "(primary key)",
			 PATSVC_SCHEMA, table);
	ks->index = index_open(index_oid, AccessShareLock);
	ks->col = patsvc_columns(cols, ks->heap);
	ks->slot = table_slot_create(ks->heap, NULL);
	ScanKeyInit(&skey, 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(key));
	ks->scan = index_beginscan(ks->heap, ks->index, snapshot, 1, 0);
	index_rescan(ks->scan, &skey, 1, NULL, 0);
}

bool
patsvc_key_scan_next(PatsvcKeyScan *ks)
{
	return index_getnext_slot(ks->scan, ForwardScanDirection, ks->slot);
}

Datum
patsvc_key_scan_column(PatsvcKeyScan *ks, int which, bool *isnull)
{
	return slot_getattr(ks->slot, ks->col[which], isnull);
}

void
patsvc_key_scan_end(PatsvcKeyScan *ks)
{
	index_endscan(ks->scan);
	ExecDropSingleTupleTableSlot(ks->slot);
	index_close(ks->index, AccessShareLock);
	table_close(ks->heap, AccessShareLock);
}
