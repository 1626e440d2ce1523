/*
 * isolation.c -- a destruction honours every hold and patient fact committed
 * before it deletes, whatever the caller's isolation level.
 *
 * _destroy() locks retention_holds and retention_patient_facts in SHARE mode,
 * so it waits for transactions placing holds or moving facts, and at READ
 * COMMITTED its next statements see what they committed.  At REPEATABLE READ
 * and SERIALIZABLE the transaction's snapshot was taken before the lock (by
 * the very statement that called destroy_due), so a hold committed meanwhile
 * would stay invisible and its rows be destroyed; PostgreSQL's SSI does not
 * see a conflict there either.  So at those levels the destruction takes the
 * same locks first, then compares each table under its transaction snapshot
 * and under the latest one: a row version it cannot see is a change it would
 * miss, and the destruction fails with 40001 (retry in a new transaction).
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_extension.h"
#include "commands/extension.h"
#include "executor/tuptable.h"
#include "storage/lmgr.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"

#include "core/core.h"
#include "retention/retention.h"

/* Does relid hold a row version visible now but not to the transaction's snapshot? */
static bool
changed_since_snapshot(Oid relid)
{
	Relation	rel = table_open(relid, AccessShareLock);
	Snapshot	xact = GetTransactionSnapshot();
	Snapshot	latest = RegisterSnapshot(GetLatestSnapshot());
	TableScanDesc scan = table_beginscan(rel, latest, 0, NULL);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	bool		changed = false;

	while (!changed && table_scan_getnextslot(scan, ForwardScanDirection, slot))
		changed = !table_tuple_satisfies_snapshot(rel, slot, xact);
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	UnregisterSnapshot(latest);
	table_close(rel, AccessShareLock);
	return changed;
}

/* patsvc's table of that name, found through the extension (not the schema's name). */
static Oid
retention_table(const char *name)
{
	Oid			relid = patsvc_relid(name);

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("patsvc table \"%s\" is missing", name),
				 errhint("Reinstall patsvc; its tables must not be renamed or moved.")));
	return relid;
}

void
retention_check_snapshot(void)
{
	static const char *const tables[] = {"retention_holds", "retention_patient_facts"};
	int			i;

	if (!IsolationUsesXactSnapshot())
		return;
	for (i = 0; i < lengthof(tables); i++)
	{
		Oid			relid = retention_table(tables[i]);

		/* the lock _destroy() takes: waits for writers, keeps new ones out until we end */
		LockRelationOid(relid, ShareLock);
		if (changed_since_snapshot(relid))
			ereport(ERROR,
					(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
					 errmsg("could not destroy: %s changed after this transaction's snapshot",
							strcmp(tables[i], "retention_holds") == 0 ? "legal holds" : "patient facts"),
					 errdetail("At %s the destruction cannot see a hold placed or a fact recorded since the transaction began.",
							   IsolationIsSerializable() ? "SERIALIZABLE" : "REPEATABLE READ"),
					 errhint("Retry the destruction in a new transaction, or run it at READ COMMITTED.")));
	}
}
