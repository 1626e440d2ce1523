/*
 * refs.c -- the referencing side of the foreign keys of patsvc.appointments
 * (patient, provider, type, location, replaces) and of its resource holds,
 * checked in C by appointments_enforce instead of PostgreSQL's per-row
 * SPI queries (the RI_FKey_check triggers on appointments are disabled by
 * the install script; the referenced side, which refuses to delete or
 * re-key a referenced row, stays PostgreSQL's own).  Provider, type and
 * location, when the rules read them from the caches, are guarded by
 * patsvc_referenced_key_guard (below) instead of row locks.
 *
 * The check is the one the RI trigger makes: the referenced row is found
 * through its primary key with the latest snapshot (after a
 * CommandCounterIncrement, so rows the same statement inserted count) and
 * locked FOR KEY SHARE, so a concurrent DELETE or key UPDATE of it waits
 * for this transaction and then fails on the foreign key.  Errors are the
 * RI trigger's: 23503 with its message and detail; 40001 under REPEATABLE
 * READ / SERIALIZABLE when the row was deleted by a transaction that
 * committed after ours began waiting.
 *
 * A row locked once stays locked until the transaction ends, so a
 * transaction that references it again (a bulk load: 500,000 appointments
 * of 500 providers) skips the lookup.  That memo is forgotten when a
 * subtransaction aborts (its locks go with it) and whenever this backend
 * deletes or updates a referenced table (statement trigger
 * references_changed, and deletes of appointments): only its own
 * transaction could have removed a row it holds locked.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "storage/proc.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "scheduling/scan.h"
#include "scheduling/scheduling.h"

const SchedRef sched_ref_patient = {SR_PATIENTS, SR_PATIENTS_PKEY, "appointments", "patient_id", "patients"};
const SchedRef sched_ref_provider = {SR_PROVIDERS, SR_PROVIDERS_PKEY, "appointments", "provider_id", "providers"};
const SchedRef sched_ref_location = {SR_LOCATIONS, SR_LOCATIONS_PKEY, "appointments", "location_id", "locations"};
const SchedRef sched_ref_replaces = {SR_APPOINTMENTS, SR_APPOINTMENTS_PKEY, "appointments", "replaces", "appointments"};
const SchedRef sched_ref_resource = {SR_RESOURCES, SR_RESOURCES_PKEY, "appointment_resources", "resource_id", "resources"};

/* Rows this transaction holds locked FOR KEY SHARE (see the file header). */
typedef struct LockedRef
{
	SchedRel	parent;			/* hash key: table ... */
	int64		id;				/* ... and id */
} LockedRef;

#define MEMO_MAX_ENTRIES 200000	/* beyond this, start over (memory stays bounded) */

static HTAB *memo = NULL;		/* in TopTransactionContext */
static LocalTransactionId memo_lxid = InvalidLocalTransactionId;

void
sched_refs_forget(void)
{
	memo = NULL;
}

static void
forget_on_subabort(SubXactEvent event, SubTransactionId mySubid, SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		sched_refs_forget();
}

static HTAB *
current_memo(void)
{
	static bool registered = false;
	HASHCTL		ctl;

	if (!registered)
	{
		RegisterSubXactCallback(forget_on_subabort, NULL);
		registered = true;
	}
	if (memo != NULL && memo_lxid == MyProc->lxid && hash_get_num_entries(memo) < MEMO_MAX_ENTRIES)
		return memo;
	ctl.keysize = sizeof(LockedRef);
	ctl.entrysize = sizeof(LockedRef);
	ctl.hcxt = TopTransactionContext;
	memo = hash_create("patsvc locked references", 256, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	memo_lxid = MyProc->lxid;
	return memo;
}

static void
raise_not_present(const SchedRef *ref, int64 id)
{
	ereport(ERROR,
			(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
			 errmsg("insert or update on table \"%s\" violates foreign key constraint \"%s_%s_fkey\"",
					ref->child, ref->child, ref->column),
			 errdetail("Key (%s)=(%lld) is not present in table \"%s\".", ref->column, (long long) id,
					   ref->parent_name),
			 errhint("Use the id of an existing row of patsvc.%s.", ref->parent_name)));
}

/*
 * The visible row with this primary key (its TID and the key column), then
 * locked FOR KEY SHARE (its newest version); false if there is none, or the
 * newest version is gone or carries another key.
 */
static bool
lock_referenced(const SchedRef *ref, int64 id, Snapshot snapshot)
{
	SchedScan	s;
	TupleTableSlot *slot;
	ItemPointerData tid;
	AttrNumber	keyatt;
	bool		found = false;
	TM_FailureData tmfd;
	TM_Result	res = TM_Invisible;
	bool		same_key = false;

	sched_scan_begin(&s, ref->parent, ref->pkey, snapshot, id, NULL);
	keyatt = s.index->rd_index->indkey.values[0];
	if ((slot = sched_scan_next(&s)) != NULL)
	{
		tid = slot->tts_tid;
		found = true;
	}
	if (found)
	{
		LockRelationOid(sched_rels.oid[ref->parent], RowShareLock);	/* as SELECT FOR KEY SHARE */
		res = table_tuple_lock(s.heap, &tid, snapshot, s.slot, GetCurrentCommandId(false), LockTupleKeyShare,
							   LockWaitBlock, TUPLE_LOCK_FLAG_FIND_LAST_VERSION, &tmfd);
		if (res == TM_Ok)
			same_key = slot_int8(s.slot, keyatt) == id; /* the newest version may carry a new key */
	}
	sched_scan_end(&s);
	if (!found)
		return false;
	if (res == TM_Ok)
		return same_key;
	if (res == TM_Deleted && IsolationUsesXactSnapshot())
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("could not serialize access due to concurrent delete"),
				 errdetail("Row %lld of patsvc.%s was deleted by a concurrent transaction.", (long long) id,
						   ref->parent_name),
				 errhint("Retry the transaction.")));
	if (res == TM_Deleted)
		return false;
	elog(ERROR, "unexpected result %d locking row %lld of %s", (int) res, (long long) id, ref->parent_name);
	pg_unreachable();
}

/*
 * The foreign-key check of one referencing value: raises 23503 unless the
 * referenced row exists, and leaves it locked FOR KEY SHARE.  The caller
 * has made the statement's earlier writes visible (CommandCounterIncrement).
 */
void
sched_lock_reference(const SchedRef *ref, int64 id)
{
	LockedRef	key;
	bool		found;
	Snapshot	snapshot;
	bool		ok;

	memset(&key, 0, sizeof(key));
	key.parent = ref->parent;
	key.id = id;
	if (hash_search(current_memo(), &key, HASH_FIND, NULL) != NULL)
		return;
	sched_rels_open();
	snapshot = RegisterSnapshot(GetLatestSnapshot());
	ok = lock_referenced(ref, id, snapshot);
	UnregisterSnapshot(snapshot);
	if (!ok)
		raise_not_present(ref, id);
	(void) hash_search(current_memo(), &key, HASH_ENTER, &found);
}

PG_FUNCTION_INFO_V1(patsvc_referenced_key_guard);

/*
 * BEFORE ROW trigger on providers, appointment_types and locations: before
 * one of their rows is deleted or re-keyed, wait for every transaction that
 * is writing appointments and keep new writers out until this one ends
 * (SHARE lock on patsvc.appointments).  Then PostgreSQL's foreign-key check
 * of the delete sees every booking that references the row.  Bookings do
 * not lock these rows one by one: a row-by-row FOR KEY SHARE on the few
 * rows every booking references (one location, a few types) would make
 * concurrent bookings share multixact locks on them.  They read the type
 * and the hours (hence provider and location) from per-backend caches that
 * the deleting transaction's statement triggers invalidate at its commit,
 * which a waiting booking processes when it gets its lock.
 */
Datum
patsvc_referenced_key_guard(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	bool		rekeyed = false;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(td->tg_event) || !TRIGGER_FIRED_FOR_ROW(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("referenced_key_guard must be called as a BEFORE ROW trigger"),
				 errhint("Use it only in the triggers patsvc's install script creates.")));
	if (TRIGGER_FIRED_BY_UPDATE(td->tg_event))
	{
		TupleDesc	desc = RelationGetDescr(td->tg_relation);
		int			att = SPI_fnumber(desc, "id");
		bool		n1,
					n2;
		Datum		a = heap_getattr(td->tg_trigtuple, att, desc, &n1);
		Datum		b = heap_getattr(td->tg_newtuple, att, desc, &n2);

		rekeyed = n1 != n2 || (!n1 && DatumGetInt64(a) != DatumGetInt64(b));
	}
	if (TRIGGER_FIRED_BY_DELETE(td->tg_event) || rekeyed)
	{
		sched_rels_open();
		LockRelationOid(sched_rels.oid[SR_APPOINTMENTS], ShareLock);
	}
	return PointerGetDatum(TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple);
}

PG_FUNCTION_INFO_V1(patsvc_references_changed);

/* Statement trigger of the referenced tables: their rows may be gone, forget the memo. */
Datum
patsvc_references_changed(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("references_changed must be called as a trigger"),
				 errhint("Use it only in the triggers patsvc's install script creates.")));
	sched_refs_forget();
	return PointerGetDatum(NULL);
}
