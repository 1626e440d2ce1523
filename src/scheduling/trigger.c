/*
 * trigger.c -- appointments_enforce: the BEFORE ROW trigger on
 * patsvc.appointments that every write goes through (book functions, plain
 * INSERT/UPDATE, COPY), and the guard on the internal appointment_resources.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/sysattr.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "storage/proc.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "scheduling/scan.h"
#include "core/core.h"
#include "registry/registry.h"
#include "scheduling/scheduling.h"

PG_FUNCTION_INFO_V1(patsvc_appointments_enforce);
PG_FUNCTION_INFO_V1(patsvc_appointment_resources_guard);

static int	holds_maintenance_depth = 0;

SchedVisitFulfilledHook sched_visit_fulfilled_hook = NULL;

/* the last INSERT appointments_enforce passed on unchecked (id_taken), for sched_insert_id_taken */
static struct
{
	int64		id;
	LocalTransactionId lxid;
	bool		taken;
}			last_insert;

bool
sched_insert_id_taken(int64 id)
{
	/* its triggers fire one after the other for a row: the last INSERT seen is that row's */
	return last_insert.taken && last_insert.id == id && last_insert.lxid == MyProc->lxid;
}

bool
holds_maintenance_active(void)
{
	return holds_maintenance_depth > 0;
}

/* The columns the trigger reads or derives. */
typedef enum ApptCol
{
	C_ID, C_PATIENT, C_PROVIDER, C_TYPE, C_LOCATION, C_STARTS, C_ENDS, C_HELD_FROM,
	C_HELD_UNTIL, C_RESOURCES, C_STATUS, C_OVERBOOK, C_REASON, C_OVERRIDDEN_BY, C_REPLACES,
	C_REBOOKING,				/* needs_rebooking (0.2.0): 0 in a database not yet updated */
	C_COUNT
} ApptCol;

static const char *const col_names[C_COUNT] = {
	"id", "patient_id", "provider_id", "type_id", "location_id", "starts_at", "ends_at",
	"held_from", "held_until", "resources", "status", "overbook", "overbook_reason", "overridden_by",
	"replaces", "needs_rebooking"
};

/* numbered once per relcache generation, not per row */
static PatsvcColumns appointment_columns = {col_names, C_COUNT, C_REBOOKING};

typedef struct Snapshotted
{
	ApptRow		row;
	ApptStatus	status;
	Datum		reason;
	bool		reason_null;
	Datum		overridden_by;
	bool		overridden_null;
	bool		has_replaces;
	int64		replaces;
} Snapshotted;

/* a column's value; NULL for an optional column the table does not have (attnum 0) */
static Datum
get(HeapTuple tup, TupleDesc desc, const int *attnums, ApptCol c, bool *isnull)
{
	if (attnums[c] == 0)
	{
		*isnull = true;
		return (Datum) 0;
	}
	return heap_getattr(tup, attnums[c], desc, isnull);
}

/* resources: sorted, duplicates dropped, no NULLs */
static void
read_resources(Datum d, ApptRow *row)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	ArrayType  *arr = DatumGetArrayTypeP(d);

	/* bounded before any work: each resource costs a lock and two index scans */
	if (ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr)) > SCHED_MAX_RESOURCES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an appointment holds at most %d resources", SCHED_MAX_RESOURCES),
				 errdetail("%d were given.", ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr))),
				 errhint("List only the rooms and devices the visit uses.")));
	deconstruct_array(arr, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &elems, &nulls, &n);
	row->resources = palloc(sizeof(int64) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("appointment resources must not contain NULL"),
					 errhint("List the ids of patsvc.resources the appointment holds.")));
		row->resources[i] = DatumGetInt64(elems[i]);
	}
	row->nresources = patsvc_sort_distinct(row->resources, n);
}

/* The trigger runs before the NOT NULL checks: a NULL it must read is refused here, as they would. */
static Datum
get_required(HeapTuple tup, TupleDesc desc, const int *attnums, ApptCol c)
{
	bool		isnull;
	Datum		d = get(tup, desc, attnums, c, &isnull);

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("null value in column \"%s\" of relation \"appointments\" violates not-null constraint",
						col_names[c]),
				 errhint("Give the appointment a %s (the column's default applies when it is left out).",
						 col_names[c])));
	return d;
}

static void
read_row(HeapTuple tup, TupleDesc desc, const int *attnums, Snapshotted *s)
{
	bool		isnull;
	Datum		d;

	memset(s, 0, sizeof(*s));
	s->row.id = DatumGetInt64(get(tup, desc, attnums, C_ID, &isnull));
	s->row.patient = DatumGetInt64(get_required(tup, desc, attnums, C_PATIENT));
	s->row.provider = DatumGetInt64(get_required(tup, desc, attnums, C_PROVIDER));
	s->row.type = DatumGetInt64(get_required(tup, desc, attnums, C_TYPE));
	d = get(tup, desc, attnums, C_LOCATION, &isnull);
	s->row.has_location = !isnull;
	s->row.location = isnull ? 0 : DatumGetInt64(d);
	s->row.starts = DatumGetTimestampTz(get_required(tup, desc, attnums, C_STARTS));
	d = get(tup, desc, attnums, C_HELD_FROM, &isnull);
	s->row.held_from = isnull ? 0 : DatumGetTimestampTz(d);
	d = get(tup, desc, attnums, C_HELD_UNTIL, &isnull);
	s->row.held_until = isnull ? 0 : DatumGetTimestampTz(d);
	d = get(tup, desc, attnums, C_ENDS, &isnull);
	s->row.ends = isnull ? 0 : DatumGetTimestampTz(d);
	read_resources(get_required(tup, desc, attnums, C_RESOURCES), &s->row);
	s->status = status_from_text(TextDatumGetCString(get_required(tup, desc, attnums, C_STATUS)));
	s->row.overbook = DatumGetBool(get_required(tup, desc, attnums, C_OVERBOOK));
	s->reason = get(tup, desc, attnums, C_REASON, &s->reason_null);
	s->overridden_by = get(tup, desc, attnums, C_OVERRIDDEN_BY, &s->overridden_null);
	d = get(tup, desc, attnums, C_REPLACES, &isnull);
	s->has_replaces = !isnull;
	s->replaces = isnull ? 0 : DatumGetInt64(d);
}

static bool
same_resources(const ApptRow *a, const ApptRow *b)
{
	if (a->nresources != b->nresources)
		return false;
	for (int i = 0; i < a->nresources; i++)
		if (a->resources[i] != b->resources[i])
			return false;
	return true;
}

static bool
moved(const ApptRow *a, const ApptRow *b)
{
	return a->provider != b->provider || a->starts != b->starts || a->type != b->type ||
		a->has_location != b->has_location || (a->has_location && a->location != b->location);
}

static void
raise_overbook_refused(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_PATSVC_OVERBOOK_NOT_ALLOWED),
			 errmsg("overbooking refused: %s", what),
			 errdetail("Rule 4: an appointment is overbooked only through patsvc.book_overbook, which records the reason and the user."),
			 errhint("Call patsvc.book_overbook (EXECUTE is granted by the database administrator), or book without overbook.")));
}

/*
 * Rule 4: overbook = true only through patsvc.book_overbook; the audit
 * columns are written by this trigger alone.
 */
static void
apply_overbook_rule(Snapshotted *n, const Snapshotted *o, bool *set_audit)
{
	bool		authorized = overbook_authorized();

	*set_audit = false;
	if (n->row.overbook)
	{
		if (o == NULL || !o->row.overbook)
		{
			if (!authorized)
				raise_overbook_refused("overbook can be set only by patsvc.book_overbook");
			*set_audit = true;
			return;
		}
		if ((moved(&n->row, &o->row)) && !authorized)
			raise_overbook_refused("an overbooked appointment cannot be moved to another time or provider");
	}
	if (o == NULL && !n->row.overbook)
	{
		n->reason_null = n->overridden_null = true;
		return;
	}
	if (o != NULL)
	{
		n->reason = o->reason;
		n->reason_null = o->reason_null;
		n->overridden_by = o->overridden_by;
		n->overridden_null = o->overridden_null;
	}
}

static bool
needs_check(const Snapshotted *n, const Snapshotted *o)
{
	if (!status_holds_time(n->status))
		return false;
	if (o == NULL || !status_holds_time(o->status))
		return true;
	return moved(&n->row, &o->row) || n->row.patient != o->row.patient ||
		!same_resources(&n->row, &o->row) || (o->row.overbook && !n->row.overbook);
}

static bool
holds_changed(const Snapshotted *n, const Snapshotted *o)
{
	bool		nh = status_holds_time(n->status) && n->row.nresources > 0;
	bool		oh = o != NULL && status_holds_time(o->status) && o->row.nresources > 0;

	if (!nh && !oh)
		return false;
	if (nh != oh)
		return true;
	return !same_resources(&n->row, &o->row) || n->row.held_from != o->row.held_from ||
		n->row.held_until != o->row.held_until;
}

static void
replace_holds(int64 id, const ApptRow *old, const ApptRow *row)
{
	holds_maintenance_depth++;
	PG_TRY();
	{
		rules_replace_holds(id, old, row);
	}
	PG_FINALLY();
	{
		holds_maintenance_depth--;
	}
	PG_END_TRY();
}

/*
 * The referencing side of the table's foreign keys (refs.c), for the
 * values an INSERT writes or an UPDATE changes, as the RI triggers would.
 * The type and the resources were read from the caches, and when the rules
 * checked the row's hours (in_hours) so were provider and location.
 */
static void
check_references(const Snapshotted *n, const Snapshotted *o, bool checked, bool in_hours)
{
	if (!checked)				/* rules_check made them visible already */
		CommandCounterIncrement();	/* parents the statement inserted before count */
	if (o == NULL || n->row.patient != o->row.patient)
		sched_check_reference(&sched_ref_patient, n->row.patient);
	if (!in_hours && (o == NULL || n->row.provider != o->row.provider))
		sched_check_reference(&sched_ref_provider, n->row.provider);
	if (!in_hours && n->row.has_location &&
		(o == NULL || !o->row.has_location || n->row.location != o->row.location))
		sched_check_reference(&sched_ref_location, n->row.location);
	if (n->has_replaces && (o == NULL || !o->has_replaces || n->replaces != o->replaces))
		sched_check_reference(&sched_ref_replaces, n->replaces);
}

/* Runs the rules as the table owner, like the foreign-key triggers do. */
/*
 * A time-holding visit whose only change the rules care about is its patient
 * (merge_patients moving a duplicate's visits): only the patient's rule 1 is
 * checked (rules_check_patient), and a rebooking flag stays.
 */
static bool
only_patient_changed(const Snapshotted *n, const Snapshotted *o)
{
	return o != NULL && status_holds_time(n->status) && status_holds_time(o->status) &&
		n->row.patient != o->row.patient && !moved(&n->row, &o->row) &&
		same_resources(&n->row, &o->row) && !(o->row.overbook && !n->row.overbook);
}

/*
 * The registry's rules on a visit, after scheduling's own (the order the
 * separate triggers had): consent to treat before check-in (checkin.c) and
 * no visit of a merged patient (PS422, the registry's rule of every column
 * holding patients.id).
 */
static void
registration_rules(const Snapshotted *n, const Snapshotted *o)
{
	sched_require_consent_to_treat(&n->row, n->status, o != NULL ? &o->status : NULL);
	if (o == NULL || n->row.patient != o->row.patient)
		registry_refuse_merged_patient(n->row.patient, "appointments");
}

/*
 * enforce: the rules, then what follows from the row: its resource holds,
 * the references it writes, registration's rules, and its reminders when
 * reminders_due (an INSERT, or an UPDATE naming starts_at or type_id).
 */
static void
enforce(Relation rel, Snapshotted *n, Snapshotted *o, bool reminders_due)
{
	PatsvcSavedUser saved;
	ApptType	type;
	bool		patient_only = only_patient_changed(n, o);
	bool		checked = !patient_only && needs_check(n, o);
	patsvc_become_owner(rel->rd_rel->relowner, &saved);
	rules_load_type(n->row.type, &type);
	rules_derive_times(&n->row, &type);
	if (patient_only)
		rules_check_patient(&n->row);
	else if (checked)
		rules_check(&n->row, &type, RULES_ENFORCE, true);
	if (holds_changed(n, o))
		replace_holds(n->row.id, o != NULL && status_holds_time(o->status) && o->row.nresources > 0 ? &o->row : NULL,
					  status_holds_time(n->status) ? &n->row : NULL);
	check_references(n, o, checked || patient_only, checked && !n->row.overbook);
	registration_rules(n, o);
	if (reminders_due && status_holds_time(n->status))
		sched_schedule_reminders(&n->row, o == NULL);
	patsvc_restore_user(&saved);
}

static HeapTuple
write_derived(HeapTuple tup, TupleDesc desc, const int *attnums, const Snapshotted *n, bool set_audit,
			  bool clear_rebooking)
{
	int			cols[9];
	Datum		values[9];
	bool		nulls[9] = {0};
	int			k = 0;

	if (clear_rebooking)		/* moved or cancelled: off the rebooking worklist */
	{
		cols[k] = attnums[C_REBOOKING];
		nulls[k] = true;
		values[k++] = (Datum) 0;
	}

	cols[k] = attnums[C_ENDS];
	values[k++] = TimestampTzGetDatum(n->row.ends);
	cols[k] = attnums[C_HELD_FROM];
	values[k++] = TimestampTzGetDatum(n->row.held_from);
	cols[k] = attnums[C_HELD_UNTIL];
	values[k++] = TimestampTzGetDatum(n->row.held_until);
	cols[k] = attnums[C_LOCATION];
	nulls[k] = !n->row.has_location;
	values[k++] = Int64GetDatum(n->row.location);
	cols[k] = attnums[C_RESOURCES];
	{
		Datum	   *d = palloc(sizeof(Datum) * Max(n->row.nresources, 1));

		for (int i = 0; i < n->row.nresources; i++)
			d[i] = Int64GetDatum(n->row.resources[i]);
		values[k++] = PointerGetDatum(construct_array(d, n->row.nresources, INT8OID, sizeof(int64),
													  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	}
	cols[k] = attnums[C_OVERRIDDEN_BY];
	if (set_audit)
		values[k++] = CStringGetTextDatum(GetUserNameFromId(GetSessionUserId(), false));
	else
	{
		nulls[k] = n->overridden_null;
		values[k++] = n->overridden_by;
	}
	cols[k] = attnums[C_REASON];
	nulls[k] = n->reason_null;
	values[k++] = n->reason;
	return heap_modify_tuple_by_cols(tup, desc, k, cols, values, nulls);
}

static const char *const appointments_only[] = {"appointments", NULL};
static const char *const holds_only[] = {"appointment_resources", NULL};

/* A BEFORE ROW trigger on one of tables (patsvc's schema), or an error before anything is read. */
static void
check_trigger_context(FunctionCallInfo fcinfo, const char *name, const char *const *tables)
{
	TriggerData *td = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(td->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s must be called as a BEFORE ROW trigger", name),
				 errhint("Use it only in the trigger patsvc's install script creates.")));
	/* the columns are found by name: only patsvc's own table has them with the types read here */
	patsvc_trigger_bound(fcinfo, name, tables);
}

/* an INSERT writing a fulfilled visit, an UPDATE setting status and leaving it fulfilled */
static bool
written_fulfilled(TriggerData *td, const int *attnums, ApptStatus status)
{
	if (status != ST_FULFILLED)
		return false;
	return !TRIGGER_FIRED_BY_UPDATE(td->tg_event) ||
		bms_is_member(attnums[C_STATUS] - FirstLowInvalidHeapAttributeNumber, td->tg_updatedcols);
}

/* an INSERT, or an UPDATE naming starts_at or type_id (what UPDATE OF starts_at, type_id fires on) */
static bool
reminders_due(TriggerData *td, const int *attnums)
{
	return !TRIGGER_FIRED_BY_UPDATE(td->tg_event) ||
		bms_is_member(attnums[C_STARTS] - FirstLowInvalidHeapAttributeNumber, td->tg_updatedcols) ||
		bms_is_member(attnums[C_TYPE] - FirstLowInvalidHeapAttributeNumber, td->tg_updatedcols);
}

/*
 * Whether the appointment id an INSERT writes is taken.  Such an INSERT
 * cannot insert its row: PostgreSQL raises 23505, or ON CONFLICT skips it
 * (DO NOTHING) or updates the row that has the id (DO UPDATE, which runs
 * this trigger again as an UPDATE).  Whatever the trigger wrote for it --
 * resource holds, reminders, a last encounter -- would stay behind, and a
 * hold would keep a room for a visit that does not exist.  The row found is
 * locked FOR KEY SHARE, so nobody can delete it or change its id before this
 * transaction ends and the INSERT is sure to meet it; an insert or delete of
 * that id still in progress is waited for first.  (An INSERT of the same id
 * that another session starts while this trigger runs is not seen: ids from
 * the sequence, the default, never meet one.)
 */
static bool
id_taken(Relation rel, int64 id)
{
	Relation	index = index_open(RelationGetPrimaryKeyIndex(rel), AccessShareLock);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	ScanKeyData key;
	bool		taken = false;

	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(id));
	for (;;)
	{
		SnapshotData dirty;
		IndexScanDesc scan;
		TransactionId xwait;
		TM_FailureData tmfd;
		TM_Result	result;
		bool		found;

		InitDirtySnapshot(dirty);
		scan = index_beginscan(rel, index, &dirty, 1, 0);
		index_rescan(scan, &key, 1, NULL, 0);
		found = index_getnext_slot(scan, ForwardScanDirection, slot);
		index_endscan(scan);
		if (!found)
			break;
		xwait = TransactionIdIsValid(dirty.xmin) ? dirty.xmin : dirty.xmax;
		if (TransactionIdIsValid(xwait))
		{
			XactLockTableWait(xwait, rel, &slot->tts_tid, XLTW_InsertIndex);
			continue;
		}
		result = table_tuple_lock(rel, &slot->tts_tid, GetActiveSnapshot(), slot, GetCurrentCommandId(false),
								  LockTupleKeyShare, LockWaitBlock, 0, &tmfd);
		if (result == TM_Updated || result == TM_Deleted)
			continue;			/* changed meanwhile: look again */
		taken = true;			/* locked, or written by this very statement */
		break;
	}
	ExecDropSingleTupleTableSlot(slot);
	index_close(index, AccessShareLock);
	return taken;
}

/*
 * The row of an INSERT that will not be inserted (id_taken), with its
 * derived times (its NOT NULL columns are checked before the conflict is
 * found), and nothing else checked or written.
 */
static HeapTuple
derived_only(Relation rel, HeapTuple tup, const int *attnums, Snapshotted *n)
{
	PatsvcSavedUser saved;
	ApptType	type;

	patsvc_become_owner(rel->rd_rel->relowner, &saved);
	rules_load_type(n->row.type, &type);
	rules_derive_times(&n->row, &type);
	patsvc_restore_user(&saved);
	return write_derived(tup, RelationGetDescr(rel), attnums, n, false, false);
}

Datum
patsvc_appointments_enforce(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	const int  *attnums;
	Snapshotted n,
				o;
	bool		is_update,
				set_audit,
				clear_rebooking;

	check_trigger_context(fcinfo, "appointments_enforce", appointments_only);
	desc = RelationGetDescr(td->tg_relation);
	attnums = patsvc_columns(&appointment_columns, td->tg_relation);
	if (TRIGGER_FIRED_BY_DELETE(td->tg_event))
	{
		read_row(td->tg_trigtuple, desc, attnums, &o);
		sched_refs_forget();	/* it may be the appointment another one replaces */
		if (o.row.nresources > 0)
		{
			PatsvcSavedUser saved;

			patsvc_become_owner(td->tg_relation->rd_rel->relowner, &saved);
			replace_holds(o.row.id, &o.row, NULL);
			patsvc_restore_user(&saved);
		}
		return PointerGetDatum(td->tg_trigtuple);
	}
	is_update = TRIGGER_FIRED_BY_UPDATE(td->tg_event);
	read_row(is_update ? td->tg_newtuple : td->tg_trigtuple, desc, attnums, &n);
	if (!is_update)
	{
		last_insert.id = n.row.id;
		last_insert.lxid = MyProc->lxid;
		/*
		 * Only an INSERT with ON CONFLICT can skip its row after this trigger
		 * ran; without one (book()'s own, COPY, any statement while none with
		 * ON CONFLICT runs) a taken id is a 23505 that undoes the trigger's writes.
		 */
		last_insert.taken = patsvc_on_conflict_possible(td) && id_taken(td->tg_relation, n.row.id);
		if (last_insert.taken)
			return PointerGetDatum(derived_only(td->tg_relation, td->tg_trigtuple, attnums, &n));
	}
	if (is_update)
	{
		read_row(td->tg_trigtuple, desc, attnums, &o);
		if (o.row.id != n.row.id)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("appointment id %lld cannot change", (long long) o.row.id),
					 errhint("Reschedule with patsvc.reschedule, which books a new appointment linked to the old one.")));
		status_check_transition(o.row.id, o.status, n.status);
	}
	apply_overbook_rule(&n, is_update ? &o : NULL, &set_audit);
	/*
	 * a visit flagged for rebooking (rebook.c) leaves the worklist when it is
	 * moved or stops holding time (a new patient alone is no move: its
	 * provider's rules were not checked again, only_patient_changed)
	 */
	clear_rebooking = is_update && attnums[C_REBOOKING] > 0 &&
		(!status_holds_time(n.status) || moved(&n.row, &o.row) || !same_resources(&n.row, &o.row)) &&
		!heap_attisnull(td->tg_newtuple, attnums[C_REBOOKING], desc);
	enforce(td->tg_relation, &n, is_update ? &o : NULL, reminders_due(td, attnums));
	if (sched_visit_fulfilled_hook != NULL && written_fulfilled(td, attnums, n.status))
		sched_visit_fulfilled_hook(&n.row);
	return PointerGetDatum(write_derived(is_update ? td->tg_newtuple : td->tg_trigtuple, desc, attnums,
										 &n, set_audit, clear_rebooking));
}

static void
raise_row_invalid(const char *what, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_CHECK_VIOLATION),
			 errmsg("new row for relation \"appointments\" is inconsistent: %s", what),
			 errdetail("Trigger appointments_replica_check checks rows written with session_replication_role = replica, which skips trigger appointments_enforce."),
			 errhint("%s", hint)));
}

/*
 * appointments_replica_check: a BEFORE INSERT OR UPDATE trigger enabled
 * only for session_replication_role = replica (ENABLE REPLICA), the writes
 * that skip appointments_enforce.  They must still leave rows the rules can
 * rely on: a FHIR status, the visit inside the held time, at most 24 hours
 * held (the overlap scans look back that far), an overbook with its reason
 * and user.  A trigger rather than a CHECK constraint: PostgreSQL parses and
 * plans a table's CHECK expressions again for every INSERT statement, which
 * every booking would pay (3 % of its time), although only replica-mode
 * writes can fail them.  NULL columns are left to their NOT NULL
 * constraints.
 */
PG_FUNCTION_INFO_V1(patsvc_appointments_replica_check);
Datum
patsvc_appointments_replica_check(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	HeapTuple	tup;
	TupleDesc	desc;
	const int  *attnums;
	Datum		v[C_COUNT];
	bool		null[C_COUNT];
	TimestampTz starts,
				ends,
				from,
				until;

	check_trigger_context(fcinfo, "appointments_replica_check", appointments_only);
	tup = TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple;
	desc = RelationGetDescr(td->tg_relation);
	attnums = patsvc_columns(&appointment_columns, td->tg_relation);
	for (int c = 0; c < C_COUNT; c++)
		v[c] = get(tup, desc, attnums, c, &null[c]);
	if (!null[C_STATUS])
		(void) status_from_text(TextDatumGetCString(v[C_STATUS]));
	if (null[C_STARTS] || null[C_ENDS] || null[C_HELD_FROM] || null[C_HELD_UNTIL])
		return PointerGetDatum(tup);
	starts = DatumGetTimestampTz(v[C_STARTS]);
	ends = DatumGetTimestampTz(v[C_ENDS]);
	from = DatumGetTimestampTz(v[C_HELD_FROM]);
	until = DatumGetTimestampTz(v[C_HELD_UNTIL]);
	if (!(ends > starts && from <= starts && until >= ends))
		raise_row_invalid("the visit must end after it starts and lie inside the held time",
						  "Write starts_at and type_id and let trigger appointments_enforce derive ends_at, held_from and held_until.");
	if (until - from > SCHED_MAX_HELD_USECS)
		raise_row_invalid("an appointment holds at most 24 hours, buffers included",
						  "Appointment types allow at most 720 minutes plus buffers of 240 minutes each.");
	if (!null[C_OVERBOOK] && DatumGetBool(v[C_OVERBOOK]) && (null[C_REASON] || null[C_OVERRIDDEN_BY]))
		raise_row_invalid("an overbooked appointment records its reason and who overrode",
						  "Overbook only through patsvc.book_overbook.");
	return PointerGetDatum(tup);
}

Datum
patsvc_appointment_resources_guard(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;

	check_trigger_context(fcinfo, "appointment_resources_guard", holds_only);
	if (!holds_maintenance_active())
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_INTERNAL_TABLE),
				 errmsg("patsvc.appointment_resources is maintained by patsvc only"),
				 errdetail("It mirrors the resources column of time-holding appointments."),
				 errhint("Change patsvc.appointments.resources instead.")));
	return PointerGetDatum(TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple);
}
