/*
 * refs.c -- the referencing side of the foreign keys of patsvc.appointments
 * (patient, provider, type, location, replaces) and of its resource holds,
 * checked in C by appointments_enforce instead of PostgreSQL's per-row
 * SPI queries (the RI_FKey_check triggers on appointments are disabled by
 * the install script; the referenced side, which refuses to delete or
 * re-key a referenced row, stays PostgreSQL's own).
 *
 * The referenced row is found through its primary key with the latest
 * snapshot (after a CommandCounterIncrement, so rows the same statement
 * inserted count), as the RI trigger finds it.  The RI trigger then locks
 * it FOR KEY SHARE, so that a concurrent DELETE or key UPDATE waits for the
 * booking and then fails on the foreign key.  patsvc does that only for
 * replaces (an appointment referencing another one).  The other referenced
 * tables (patients, providers, appointment_types, locations, resources)
 * are guarded by patsvc_referenced_key_guard (below) instead: deleting or
 * re-keying one of their rows first takes a SHARE lock on appointments,
 * which waits for every transaction writing appointments and keeps new
 * ones out until it ends.  A row lock per booking would dirty the
 * referenced row's page and write WAL for every booking, and concurrent
 * bookings would queue on the few pages holding the rooms and the
 * appointment types (measured: 9 % of booking throughput).  Type and
 * resource rows are read from the per-backend caches (cache.c), which the
 * guarded change invalidates.  Errors are the RI trigger's: 23503 with its
 * message and detail; 40001 under REPEATABLE READ / SERIALIZABLE when the
 * row was deleted by a transaction that committed after ours took its
 * snapshot.
 *
 * A row checked once cannot disappear before the transaction ends (another
 * transaction's delete waits for it: the guard or the row lock), so a
 * transaction that references it again (a bulk load: 500,000 appointments
 * of 110,000 patients) skips the lookup.  That memo is forgotten when a
 * subtransaction aborts (rows it inserted, and its locks, go with it) and
 * whenever this backend deletes or updates a referenced table (statement
 * trigger references_changed, and deletes of appointments): only its own
 * transaction could have removed a row it checked.
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
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "scheduling/scan.h"
#include "core/core.h"
#include "scheduling/scheduling.h"

const SchedRef sched_ref_patient = {SR_PATIENTS, SR_PATIENTS_PKEY, "appointments", "patient_id", "patients", true};
const SchedRef sched_ref_provider = {SR_PROVIDERS, SR_PROVIDERS_PKEY, "appointments", "provider_id", "providers", true};
const SchedRef sched_ref_location = {SR_LOCATIONS, SR_LOCATIONS_PKEY, "appointments", "location_id", "locations", true};
const SchedRef sched_ref_replaces = {SR_APPOINTMENTS, SR_APPOINTMENTS_PKEY, "appointments", "replaces", "appointments", false};

/* Rows this transaction checked (see the file header). */
typedef struct CheckedRef
{
	SchedRel	parent;			/* hash key: table ... */
	int64		id;				/* ... and id */
} CheckedRef;

#define MEMO_MAX_ENTRIES 200000	/* beyond this, start over (memory stays bounded) */

static HTAB *memo = NULL;		/* in TopTransactionContext */
static LocalTransactionId memo_lxid = InvalidLocalTransactionId;

/*
 * Guarded rows found committed by other transactions, kept across
 * transactions: such a row stays until it is deleted or re-keyed, which
 * passes referenced_key_guard, and the guard sends a relcache invalidation
 * of its table, so every backend forgets them all (at the deleting
 * transaction's commit; this backend at its next command).  A row this
 * transaction wrote goes to the memo only: a rollback would take it away.
 */
#define KNOWN_MAX_ENTRIES 16384	/* beyond this, start over */

static HTAB *known = NULL;		/* in TopMemoryContext */

static void
forget_known(Datum arg, Oid relid)
{
	if (known == NULL)
		return;
	if (relid == InvalidOid || relid == sched_rels.oid[SR_PATIENTS] ||
		relid == sched_rels.oid[SR_PROVIDERS] || relid == sched_rels.oid[SR_LOCATIONS])
	{
		hash_destroy(known);
		known = NULL;
	}
}

static bool
is_known(const CheckedRef *key)
{
	return known != NULL && hash_search(known, key, HASH_FIND, NULL) != NULL;
}

static void
remember_known(const CheckedRef *key)
{
	HASHCTL		ctl;
	bool		found;

	patsvc_listen_relcache(forget_known);
	if (known != NULL && hash_get_num_entries(known) >= KNOWN_MAX_ENTRIES)
	{
		hash_destroy(known);
		known = NULL;
	}
	if (known == NULL)
	{
		ctl.keysize = sizeof(CheckedRef);
		ctl.entrysize = sizeof(CheckedRef);
		ctl.hcxt = TopMemoryContext;
		known = hash_create("patsvc known referenced rows", 1024, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	(void) hash_search(known, key, HASH_ENTER, &found);
}

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
	ctl.keysize = sizeof(CheckedRef);
	ctl.entrysize = sizeof(CheckedRef);
	ctl.hcxt = TopTransactionContext;
	memo = hash_create("patsvc checked references", 256, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
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

static void
raise_deleted_concurrently(const SchedRef *ref, int64 id)
{
	ereport(ERROR,
			(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
			 errmsg("could not serialize access due to concurrent delete"),
			 errdetail("Row %lld of patsvc.%s was deleted by a concurrent transaction.", (long long) id,
					   ref->parent_name),
			 errhint("Retry the transaction.")));
}

/*
 * Begins a primary-key scan of the referenced table (the caller ends it)
 * and finds the TID of the row with this key visible in the snapshot.
 */
static bool
find_referenced(const SchedRef *ref, int64 id, Snapshot snapshot, SchedScan *s, ItemPointer tid)
{
	TupleTableSlot *slot;

	sched_scan_begin(s, ref->parent, ref->pkey, snapshot, id, NULL);
	if ((slot = sched_scan_next(s)) == NULL)
		return false;
	*tid = slot->tts_tid;
	return true;
}

/* Is the row visible in the snapshot?  *written_here: was it written by this transaction? */
static bool
referenced_visible(const SchedRef *ref, int64 id, Snapshot snapshot, bool *written_here)
{
	SchedScan	s;
	ItemPointerData tid;
	bool		found = find_referenced(ref, id, snapshot, &s, &tid);

	if (found && written_here != NULL)
	{
		bool		isnull;
		Datum		xmin = slot_getsysattr(s.slot, MinTransactionIdAttributeNumber, &isnull);

		*written_here = TransactionIdIsCurrentTransactionId(DatumGetTransactionId(xmin));
	}
	sched_scan_end(&s);
	return found;
}

/*
 * The visible row with this primary key, locked FOR KEY SHARE (its newest
 * version); false if there is none, or the newest version is gone or
 * carries another key.
 */
static bool
lock_referenced(const SchedRef *ref, int64 id, Snapshot snapshot)
{
	SchedScan	s;
	ItemPointerData tid;
	TM_FailureData tmfd;
	TM_Result	res = TM_Invisible;
	bool		same_key = false;
	bool		found = find_referenced(ref, id, snapshot, &s, &tid);

	if (found)
	{
		LockRelationOid(sched_rels.oid[ref->parent], RowShareLock);	/* as SELECT FOR KEY SHARE */
		res = table_tuple_lock(s.heap, &tid, snapshot, s.slot, GetCurrentCommandId(false), LockTupleKeyShare,
							   LockWaitBlock, TUPLE_LOCK_FLAG_FIND_LAST_VERSION, &tmfd);
		/* the newest version may carry a new key */
		if (res == TM_Ok)
			same_key = slot_int8(s.slot, s.index->rd_index->indkey.values[0]) == id;
	}
	sched_scan_end(&s);
	if (!found)
		return false;
	if (res == TM_Ok)
		return same_key;
	if (res == TM_Deleted && IsolationUsesXactSnapshot())
		raise_deleted_concurrently(ref, id);
	if (res == TM_Deleted)
		return false;
	elog(ERROR, "unexpected result %d locking row %lld of %s", (int) res, (long long) id, ref->parent_name);
	pg_unreachable();
}

/*
 * A guarded row (see the file header) found in the latest snapshot is
 * there until this transaction ends.  One that is gone there but visible
 * in the transaction's snapshot (REPEATABLE READ, SERIALIZABLE) was
 * deleted by a transaction that committed since: 40001, as the RI
 * trigger's lock would find.
 */
static bool
guarded_referenced(const SchedRef *ref, int64 id, Snapshot snapshot, bool *written_here)
{
	if (referenced_visible(ref, id, snapshot, written_here))
		return true;
	if (IsolationUsesXactSnapshot() && referenced_visible(ref, id, GetTransactionSnapshot(), NULL))
		raise_deleted_concurrently(ref, id);
	return false;
}

/*
 * The foreign-key check of one referencing value: raises 23503 unless the
 * referenced row exists; an unguarded one is left locked FOR KEY SHARE.
 * The caller has made the statement's earlier writes visible
 * (CommandCounterIncrement).
 */
void
sched_check_reference(const SchedRef *ref, int64 id)
{
	CheckedRef	key;
	bool		found;
	Snapshot	snapshot;
	bool		ok;
	bool		written_here = true;

	memset(&key, 0, sizeof(key));
	key.parent = ref->parent;
	key.id = id;
	if ((ref->guarded && is_known(&key)) || hash_search(current_memo(), &key, HASH_FIND, NULL) != NULL)
		return;
	sched_rels_open();
	snapshot = RegisterSnapshot(GetLatestSnapshot());
	ok = ref->guarded ? guarded_referenced(ref, id, snapshot, &written_here) : lock_referenced(ref, id, snapshot);
	UnregisterSnapshot(snapshot);
	if (!ok)
		raise_not_present(ref, id);
	if (ref->guarded && !written_here)
		remember_known(&key);
	else
		(void) hash_search(current_memo(), &key, HASH_ENTER, &found);
}

PG_FUNCTION_INFO_V1(patsvc_referenced_key_guard);

/* the tables appointments (and their resource holds) reference: where the two triggers below run */
static const char *const referenced_tables[] = {
	"patients", "providers", "appointment_types", "locations", "resources", NULL
};

/*
 * BEFORE ROW trigger on the tables appointments reference (patients,
 * providers, appointment_types, locations, resources): before one of their
 * rows is deleted or re-keyed, wait for every transaction that is writing
 * appointments and keep new writers out until this one ends (SHARE lock on
 * patsvc.appointments).  Then PostgreSQL's foreign-key check of the delete
 * sees every booking that references the row, and a booking that waited
 * sees the row gone (see the file header).  The caches the bookings read
 * types, resources and hours from are invalidated by the deleting
 * transaction's statement triggers at its commit, which a waiting booking
 * processes when it gets its lock.
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
	/* before the lock on appointments and before column "id" is read */
	patsvc_trigger_bound(fcinfo, "referenced_key_guard", referenced_tables);
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
		CacheInvalidateRelcache(td->tg_relation);	/* every backend forgets the rows it knew */
	}
	return PointerGetDatum(TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple);
}

PG_FUNCTION_INFO_V1(patsvc_references_changed);

/* Statement trigger of the referenced tables: their rows may be gone, forget the memo. */
Datum
patsvc_references_changed(PG_FUNCTION_ARGS)
{
	patsvc_trigger_bound(fcinfo, "references_changed", referenced_tables);
	sched_refs_forget();
	return PointerGetDatum(NULL);
}
