/*
 * guards.c -- the guard triggers: of protected tables (retention_guard_row:
 * DELETE only through destroy_due, UPDATE never shortening retention;
 * retention_guard_truncate) and of patsvc's ledgers (append_only_guard, no
 * TRUNCATE).  A row's retain-until and hold come from SQL,
 * patsvc.row_retention_status().
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/partition.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "core/core.h"
#include "retention/retention.h"

/* ---- guard triggers of protected tables ---------------------------------- */

typedef struct RowStatus
{
	bool		known;			/* false: retain-until cannot be computed */
	DateADT		retain_until;
	bool		held;
	char	   *policy;
} RowStatus;

static SPIPlanPtr status_plan = NULL;

/* Retain-until and hold of one row, from patient id and anchor value (text or NULL). */
static RowStatus
row_status(Oid relid, const char *patient, const char *anchor)
{
	Datum		values[3];
	char		nulls[3] = {' ', patient ? ' ' : 'n', anchor ? ' ' : 'n'};
	RowStatus	st = {0};
	bool		isnull;
	PatsvcSavedUser saved;
	int			rc;

	static const Oid types[3] = {OIDOID, TEXTOID, TEXTOID};

	patsvc_kept_plan(&status_plan, "SELECT retain_until, held, policy_name FROM "
					 PATSVC_SCHEMA ".row_retention_status($1, $2, $3)", 3, types);
	values[0] = ObjectIdGetDatum(relid);
	values[1] = patient ? CStringGetTextDatum(patient) : (Datum) 0;
	values[2] = anchor ? CStringGetTextDatum(anchor) : (Datum) 0;
	/* as the owner of patsvc's tables: row_retention_status runs with its
	 * caller's rights and refuses roles that may not read every patient's facts */
	patsvc_become_owner(retention_tables_owner(), &saved);
	rc = SPI_execute_plan(status_plan, values, nulls, true, 1);
	patsvc_restore_user(&saved);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "row_retention_status failed");
	if (SPI_processed != 1 || SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_TABLE_NOT_PROTECTED),
				 errmsg("table \"%s\" has patsvc retention triggers but is not registered", get_rel_name(relid)),
				 errdetail("The table is missing from patsvc.protected_tables, or you lack privileges on it."),
				 errhint("Protect tables only with patsvc.protect().")));
	st.retain_until = DatumGetDateADT(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	st.known = !isnull;
	st.held = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	st.policy = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3);
	return st;
}

static char *
column_text(HeapTuple tuple, TupleDesc desc, const char *column)
{
	int			attno;

	if (column == NULL || column[0] == '\0')
		return NULL;
	attno = SPI_fnumber(desc, column);
	if (attno <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_PROTECTED_OBJECT),
				 errmsg("protected column \"%s\" is missing", column),
				 errdetail("The patsvc retention trigger cannot find the column it was created for."),
				 errhint("Do not rename or drop the patient or anchor column of a protected table.")));
	return SPI_getvalue(tuple, desc, attno);
}

static char *
format_date(DateADT d)
{
	return DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(d)));
}

static void
refuse_delete(Relation rel, RowStatus st)
{
	const char *relname = RelationGetRelationName(rel);
	DateADT		today = GetSQLCurrentDate();

	if (st.held)
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_RECORD_ON_HOLD),
				 errmsg("record in table \"%s\" is under legal hold", relname),
				 errdetail("A legal hold covers this record; it can be neither deleted nor destroyed while the hold stands."),
				 errhint("Release the hold with patsvc.release_hold() once the case is closed.")));
	if (!st.known)
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_RETENTION_UNKNOWN),
				 errmsg("record in table \"%s\" has no computable retention end", relname),
				 errdetail("Policy \"%s\" needs patient facts (birth, death or last encounter date) or an anchor value this record lacks.",
						   st.policy),
				 errhint("Record the missing facts in patsvc.retention_patient_facts; the record is kept until then.")));
	if (st.retain_until > today)
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_RETENTION_NOT_OVER),
				 errmsg("record in table \"%s\" is retained until %s", relname, format_date(st.retain_until)),
				 errdetail("Policy \"%s\" keeps it; it becomes eligible for destruction on %s.",
						   st.policy, format_date(st.retain_until)),
				 errhint("Rows of a protected table leave only through patsvc.destroy_due() once eligible.")));
	ereport(ERROR,
			(errcode(ERRCODE_PATSVC_DESTROY_ONLY_THROUGH_PATSVC),
			 errmsg("rows of protected table \"%s\" can only be removed by patsvc.destroy_due()", relname),
			 errdetail("This record has been eligible for destruction since %s.", format_date(st.retain_until)),
			 errhint("Run patsvc.destroy_due(), which destroys every eligible record and issues a certificate.")));
}

static bool
text_equal(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* later retain-until is longer; unknown counts as "for ever" */
static bool
shortens(RowStatus before, RowStatus after)
{
	if (!after.known)
		return false;
	return !before.known || after.retain_until < before.retain_until;
}

static void
check_update(Relation rel, TriggerData *td, const char *pcol, const char *acol)
{
	TupleDesc	desc = RelationGetDescr(rel);
	char	   *old_patient = column_text(td->tg_trigtuple, desc, pcol);
	char	   *new_patient = column_text(td->tg_newtuple, desc, pcol);
	char	   *old_anchor = column_text(td->tg_trigtuple, desc, acol);
	char	   *new_anchor = column_text(td->tg_newtuple, desc, acol);
	RowStatus	before,
				after;

	/* the common case: a record amended, its retention columns untouched */
	if (text_equal(old_patient, new_patient) && text_equal(old_anchor, new_anchor))
		return;
	patsvc_spi_connect();
	before = row_status(RelationGetRelid(rel), old_patient, old_anchor);
	if (before.held)
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_RECORD_ON_HOLD),
				 errmsg("record in table \"%s\" is under legal hold", RelationGetRelationName(rel)),
				 errdetail("Its patient and anchor columns cannot change while a hold covers it."),
				 errhint("Release the hold with patsvc.release_hold() once the case is closed.")));
	after = row_status(RelationGetRelid(rel), new_patient, new_anchor);
	if (shortens(before, after))
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_RETENTION_WOULD_SHORTEN),
				 errmsg("update of table \"%s\" would shorten retention to %s",
						RelationGetRelationName(rel), format_date(after.retain_until)),
				 before.known ? errdetail("The record is retained until %s; retention may be lengthened, never shortened.",
										  format_date(before.retain_until))
				 : errdetail("The record's retention end is not yet computable, so it is kept for ever; retention may be lengthened, never shortened."),
				 errhint("Leave the patient and anchor columns as they are, or move them to later dates.")));
	patsvc_spi_finish();
}

/* ---- where the guard triggers run ------------------------------------------ */

/* Is relid a row of patsvc.protected_tables?  (An index lookup, no privilege check; also the hooks' check.) */
bool
retention_registry_has(Oid registry, Oid registry_pkey, Oid relid)
{
	Relation	rel = table_open(registry, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	bool		found;

	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(rel, registry_pkey, true, NULL, 1, &key);
	found = HeapTupleIsValid(systable_getnext(scan));
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

/*
 * Is rel registered by patsvc.protect() (itself, or a table it is a
 * partition of)?  An index lookup per call, no cache (and no relcache
 * callback slot): the guard already runs a query per deleted row.
 */
static bool
relation_is_protected(Relation rel)
{
	Oid			relid = RelationGetRelid(rel);
	Oid			registry,
				registry_pkey;
	bool		found;

	registry = patsvc_relid("protected_tables");
	registry_pkey = patsvc_relid("protected_tables_pkey");
	if (!OidIsValid(registry) || !OidIsValid(registry_pkey))
		return false;
	found = retention_registry_has(registry, registry_pkey, relid);
	if (!found && rel->rd_rel->relispartition)
	{
		List	   *ancestors = get_partition_ancestors(relid);
		ListCell   *lc;

		foreach(lc, ancestors)
			if (!found && retention_registry_has(registry, registry_pkey, lfirst_oid(lc)))
				found = true;
		list_free(ancestors);
	}
	return found;
}

/*
 * AFTER DELETE OR UPDATE OF <patient, anchor> FOR EACH ROW, ENABLE ALWAYS,
 * WHEN (NOT patsvc.is_destroying(<table>)).  Its error undoes the statement.
 * Arguments: patient column, anchor column ('' when the policy needs none).
 */
PG_FUNCTION_INFO_V1(patsvc_retention_guard_row);
Datum
patsvc_retention_guard_row(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	Relation	rel;
	const char *pcol,
			   *acol;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(td->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(td->tg_event) || td->tg_trigger->tgnargs != 2)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s.retention_guard_row() must be an AFTER ROW trigger with two arguments", PATSVC_SCHEMA),
				 errhint("Use it only through patsvc.protect(), which creates the trigger.")));
	rel = td->tg_relation;
	if (!relation_is_protected(rel))
		patsvc_refuse_trigger_table(fcinfo, "retention_guard_row",
									"tables registered in patsvc.protected_tables by patsvc.protect()");
	pcol = td->tg_trigger->tgargs[0];
	acol = td->tg_trigger->tgargs[1];

	if (TRIGGER_FIRED_BY_DELETE(td->tg_event))
	{
		if (retention_destroying(RelationGetRelid(rel)))
			return PointerGetDatum(td->tg_trigtuple);
		patsvc_spi_connect();
		refuse_delete(rel, row_status(RelationGetRelid(rel),
									  column_text(td->tg_trigtuple, RelationGetDescr(rel), pcol),
									  column_text(td->tg_trigtuple, RelationGetDescr(rel), acol)));
	}
	if (TRIGGER_FIRED_BY_UPDATE(td->tg_event))
	{
		check_update(rel, td, pcol, acol);
		return PointerGetDatum(td->tg_newtuple);
	}
	return PointerGetDatum(td->tg_trigtuple);
}

/* BEFORE TRUNCATE FOR EACH STATEMENT, ENABLE ALWAYS, on protected tables and ledgers. */
PG_FUNCTION_INFO_V1(patsvc_retention_guard_truncate);
Datum
patsvc_retention_guard_truncate(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s.retention_guard_truncate() must be called as a trigger", PATSVC_SCHEMA),
				 errhint("Use it only in the triggers patsvc creates.")));
	if (!patsvc_is_own_table(td->tg_relation, retention_table_names(RT_SEALED)) && !relation_is_protected(td->tg_relation))
		patsvc_refuse_trigger_table(fcinfo, "retention_guard_truncate",
									"tables registered in patsvc.protected_tables and patsvc's ledgers");
	ereport(ERROR,
			(errcode(ERRCODE_PATSVC_PROTECTED_OBJECT),
			 errmsg("cannot truncate protected table \"%s\"", RelationGetRelationName(td->tg_relation)),
			 errdetail("TRUNCATE would remove records without checking retention, holds or issuing a certificate."),
			 errhint("Use patsvc.destroy_due() to destroy records whose retention is over.")));
	return PointerGetDatum(NULL);
}

/* BEFORE UPDATE OR DELETE FOR EACH ROW, ENABLE ALWAYS, on append-only ledgers. */
PG_FUNCTION_INFO_V1(patsvc_append_only_guard);
Datum
patsvc_append_only_guard(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;

	patsvc_trigger_bound(fcinfo, "append_only_guard", retention_table_names(RT_APPEND_ONLY));
	ereport(ERROR,
			(errcode(ERRCODE_PATSVC_PROTECTED_OBJECT),
			 errmsg("table \"%s\" is append-only", RelationGetRelationName(td->tg_relation)),
			 errdetail("Its rows are kept permanently as evidence and cannot be changed or removed."),
			 errhint("Add a new row instead of changing an old one.")));
	return PointerGetDatum(NULL);
}
