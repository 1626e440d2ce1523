/*
 * merge.c -- patient_reference_guard: the BEFORE INSERT OR UPDATE trigger on
 * every column that holds patients.id (its argument names the column).  A
 * new or changed value naming a merged patient (patients.merged_into set,
 * by merge_patients, 70-merge.sql) is refused with PS422, naming the patient
 * kept.  It runs on the booking path (appointments), so it is C, and asks
 * first a per-backend cache whether any patient was ever merged (the
 * statement trigger merged_changed drops it when merged_into changes): a
 * registry without merges costs a hash lookup per row.  Otherwise one kept
 * plan, read as the owner of patients (writers of a clinic's table may not
 * read patients), with the latest snapshot, so a merge that committed while
 * this writer waited for the merge's table lock is seen at every isolation
 * level.  The rule itself is registry_refuse_merged_patient (registry.h),
 * which appointments_enforce calls for appointments.patient_id, so bookings
 * run one trigger.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "core/core.h"
#include "core/rowcache.h"
#include "registry/registry.h"

static SPIPlanPtr merged_plan = NULL;

static void
refuse_use(FunctionCallInfo fcinfo, const char *why)
{
	TriggerData *td = (TriggerData *) fcinfo->context;

	ereport(ERROR,
			(errcode(ERRCODE_PATSVC_WRONG_TRIGGER_TABLE),
			 errmsg("trigger function patsvc.patient_reference_guard() cannot run as trigger \"%s\" on table \"%s\"",
					td->tg_trigger->tgname, RelationGetRelationName(td->tg_relation)),
			 errdetail("%s", why),
			 errhint("Create it BEFORE INSERT OR UPDATE ... FOR EACH ROW with the name of a bigint column holding patients.id as its argument.")));
}

/* The owner of one of patsvc's tables (registry.h): the registry reads its tables as their owner. */
Oid
registry_table_owner(const char *relname)
{
	return patsvc_table_owner(relname);
}

/* Has any patient been merged?  (One entry, id 0; the query ignores $1.) */
typedef struct AnyMerged
{
	int64		id;
	bool		any;
} AnyMerged;

static RowCache any_merged_cache = {
	.relname = "patients",
	.sql = "SELECT 1 FROM " PATSVC_SCHEMA ".patients WHERE merged_into IS NOT NULL AND $1 IS NOT NULL",
	.entrysize = sizeof(AnyMerged),
	.nelem = 4,
	.limit = 1,
};

static bool
read_any_merged(int64 unused, void *entry)
{
	PatsvcSavedUser saved;

	/* a database not yet updated to 0.2.0 (the library is): no merges there */
	if (get_attnum(patsvc_relid("patients"), "merged_into") == InvalidAttrNumber)
	{
		((AnyMerged *) entry)->any = false;
		return true;
	}
	patsvc_become_owner(registry_table_owner("patients"), &saved);
	((AnyMerged *) entry)->any = row_cache_read(&any_merged_cache, 0);
	patsvc_restore_user(&saved);
	return true;
}

static bool
any_patient_merged(void)
{
	AnyMerged	scratch;

	return ((AnyMerged *) row_cache_lookup(&any_merged_cache, 0, read_any_merged, &scratch))->any;
}

/* The patient a merged patient was merged into; 0 for one in use (or none). */
static int64
merged_into(int64 patient)
{
	static const Oid types[1] = {INT8OID};
	Datum		v[1] = {Int64GetDatum(patient)};
	PatsvcSavedUser saved;
	int64		into = 0;

	patsvc_become_owner(registry_table_owner("patients"), &saved);
	patsvc_spi_connect();
	patsvc_kept_plan(&merged_plan, "SELECT merged_into FROM " PATSVC_SCHEMA ".patients"
					 " WHERE id OPERATOR(pg_catalog.=) $1 AND merged_into IS NOT NULL", 1, types);
	if (SPI_execute_snapshot(merged_plan, v, NULL, GetLatestSnapshot(), InvalidSnapshot, true, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "patsvc: reading patients.merged_into failed");
	if (SPI_processed > 0)
	{
		bool		isnull;

		into = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	}
	patsvc_spi_finish();
	patsvc_restore_user(&saved);
	return into;
}

/*
 * PS422 when patient is a merged duplicate (registry.h): the rule of every
 * column holding patients.id, for this trigger and for areas that check
 * their own rows in their own C trigger (scheduling's appointments_enforce).
 */
void
registry_refuse_merged_patient(int64 patient, const char *relname)
{
	int64		into;

	if (!any_patient_merged())
		return;
	into = merged_into(patient);
	if (into != 0)
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_PATIENT_MERGED),
				 errmsg("patient %lld was merged into patient %lld", (long long) patient, (long long) into),
				 errdetail("Rows of %s name the patient that was kept, not a merged duplicate.", relname),
				 errhint("Use patient %lld.", (long long) into)));
}

PG_FUNCTION_INFO_V1(patsvc_patient_reference_guard);
Datum
patsvc_patient_reference_guard(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	HeapTuple	row;
	int			att;
	bool		isnull;
	int64		patient;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_WRONG_TRIGGER_TABLE),
				 errmsg("patsvc.patient_reference_guard() is a trigger function"),
				 errhint("Attach it to a table as patsvc does for consents.patient_id.")));
	if (!TRIGGER_FIRED_BEFORE(td->tg_event) || !TRIGGER_FIRED_FOR_ROW(td->tg_event) ||
		!(TRIGGER_FIRED_BY_INSERT(td->tg_event) || TRIGGER_FIRED_BY_UPDATE(td->tg_event)))
		refuse_use(fcinfo, "It runs BEFORE INSERT OR UPDATE, FOR EACH ROW.");
	if (td->tg_trigger->tgnargs != 1)
		refuse_use(fcinfo, "It takes one argument: the name of the patient column.");
	desc = RelationGetDescr(td->tg_relation);
	att = SPI_fnumber(desc, td->tg_trigger->tgargs[0]);
	if (att <= 0 || TupleDescAttr(desc, att - 1)->atttypid != INT8OID)
		refuse_use(fcinfo, "Its argument is not a bigint column of the table.");
	row = TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple;
	patient = DatumGetInt64(heap_getattr(row, att, desc, &isnull));
	if (isnull)
		return PointerGetDatum(row);
	if (TRIGGER_FIRED_BY_UPDATE(td->tg_event))
	{
		bool		old_null;
		int64		old = DatumGetInt64(heap_getattr(td->tg_trigtuple, att, desc, &old_null));

		if (!old_null && old == patient)
			return PointerGetDatum(row);
	}
	registry_refuse_merged_patient(patient, RelationGetRelationName(td->tg_relation));
	return PointerGetDatum(row);
}

/* ---- a merged patient is kept as it was ------------------------------------------ */

static SPIPlanPtr moving_plan = NULL;

/* merge_moving(duplicate, survivor): true inside the merge that moves duplicate to survivor only (70-merge.sql). */
static bool
merge_moving(int64 duplicate, int64 survivor)
{
	static const Oid types[2] = {INT8OID, INT8OID};
	Datum		v[2] = {Int64GetDatum(duplicate), Int64GetDatum(survivor)};
	bool		isnull;
	bool		moving;

	patsvc_spi_connect();
	patsvc_kept_plan(&moving_plan, "SELECT " PATSVC_SCHEMA ".merge_moving($1, $2)", 2, types);
	if (SPI_execute_plan(moving_plan, v, NULL, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "patsvc: asking merge_moving failed");
	moving = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)) && !isnull;
	patsvc_spi_finish();
	return moving;
}

/* Whether a column other than skip differs between old and new. */
static bool
row_changed_besides(HeapTuple old, HeapTuple new, TupleDesc desc, int skip)
{
	for (int att = 1; att <= desc->natts; att++)
	{
		Form_pg_attribute a = TupleDescAttr(desc, att - 1);
		bool		n1,
					n2;
		Datum		d1,
					d2;

		if (att == skip || a->attisdropped)
			continue;
		d1 = heap_getattr(old, att, desc, &n1);
		d2 = heap_getattr(new, att, desc, &n2);
		if (n1 != n2 || (!n1 && !datum_image_eq(d1, d2, a->attbyval, a->attlen)))
			return true;
	}
	return false;
}

static int64
get_int64(HeapTuple row, TupleDesc desc, int att, bool *isnull)
{
	Datum		d = heap_getattr(row, att, desc, isnull);

	return *isnull ? 0 : DatumGetInt64(d);
}

/*
 * BEFORE INSERT OR UPDATE on patients: merged_into is set (and moved on) by
 * merges only (merge_moving), and nothing else of a merged patient changes
 * (PS422).  C: every registration runs it.
 */
static const char *const merged_guard_column_names[] = {"id", "merged_into"};
static PatsvcColumns merged_guard_columns = {merged_guard_column_names, 2};

PG_FUNCTION_INFO_V1(patsvc_patients_merged_guard);
Datum
patsvc_patients_merged_guard(PG_FUNCTION_ARGS)
{
	static const char *const patients_only[] = {"patients", NULL};
	TriggerData *td = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	HeapTuple	old,
				new;
	const int  *col;
	int			att;
	bool		old_null,
				new_null,
				id_null;
	int64		old_into,
				new_into,
				id;

	patsvc_trigger_bound(fcinfo, "patients_merged_guard", patients_only);
	if (!TRIGGER_FIRED_BEFORE(td->tg_event) || !TRIGGER_FIRED_FOR_ROW(td->tg_event) ||
		!(TRIGGER_FIRED_BY_INSERT(td->tg_event) || TRIGGER_FIRED_BY_UPDATE(td->tg_event)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s.patients_merged_guard() must be a BEFORE INSERT OR UPDATE row trigger", PATSVC_SCHEMA),
				 errhint("Use it only in the trigger patsvc's install script creates.")));
	desc = RelationGetDescr(td->tg_relation);
	col = patsvc_columns(&merged_guard_columns, td->tg_relation);
	att = col[1];
	new = TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple;
	new_into = get_int64(new, desc, att, &new_null);
	if (TRIGGER_FIRED_BY_INSERT(td->tg_event))
	{
		if (!new_null)
			ereport(ERROR,
					(errcode(ERRCODE_PATSVC_PATIENT_MERGED),
					 errmsg("a new patient cannot be registered as merged"),
					 errhint("Register the patient, then merge with patsvc.merge_patients(survivor, duplicate, reason).")));
		return PointerGetDatum(new);
	}
	old = td->tg_trigtuple;
	old_into = get_int64(old, desc, att, &old_null);
	id = get_int64(old, desc, col[0], &id_null);
	if (old_null && !new_null && !merge_moving(id, new_into))
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_PATIENT_MERGED),
				 errmsg("patient %lld cannot be marked merged by hand", (long long) id),
				 errhint("Merge with patsvc.merge_patients(survivor, duplicate, reason): it moves the patient's rows and audits the merge.")));
	if (!old_null && (row_changed_besides(old, new, desc, att) || new_null || !merge_moving(old_into, new_into)))
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_PATIENT_MERGED),
				 errmsg("patient %lld was merged into patient %lld and is kept as it was", (long long) id,
						(long long) old_into),
				 errdetail("A merged duplicate stays unchanged, so the merge can be undone from its audit (patient_merges)."),
				 errhint("Change patient %lld.", (long long) old_into)));
	return PointerGetDatum(new);
}
