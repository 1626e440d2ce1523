/*
 * destroy.c -- destroy_due() and destroy_early(): the destroying flag set
 * around patsvc's own implementation of a destruction (patsvc._destroy, SQL),
 * the executor hook that spares its DELETEs the guard's per-row fetch, and
 * the fast batches (_destroy_ranges, _destroying_anchor).
 */
#include "postgres.h"

#include "catalog/partition.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "core/core.h"
#include "retention/retention.h"

/* ---- the destroying flag ------------------------------------------------- */

static Oid	destroying_relid = InvalidOid;
static Oid	destroying_guard_fn = InvalidOid;	/* patsvc.retention_guard_row() during a destruction */

Oid
retention_destroy_relid(void)
{
	return destroying_relid;
}

PG_FUNCTION_INFO_V1(patsvc_is_destroying);
Datum
patsvc_is_destroying(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(retention_destroying(PG_GETARG_OID(0)));
}

bool
retention_destroying(Oid relid)
{
	List	   *ancestors;
	bool		found;

	if (!OidIsValid(destroying_relid) || !OidIsValid(relid))
		return false;
	if (relid == destroying_relid)
		return true;
	if (!get_rel_relispartition(relid))
		return false;
	ancestors = get_partition_ancestors(relid);
	found = list_member_oid(ancestors, destroying_relid);
	list_free(ancestors);
	return found;
}

/*
 * Runs query (patsvc's own SQL implementation of a destruction) with the
 * arguments of the calling function, the flag set for relid only; the flag
 * is cleared however the query ends.  Returns the calling function's result
 * (the certificate id, an int8: by value; fcinfo->isnull when there is none).
 */
static Datum
run_destruction(FunctionCallInfo fcinfo, const char *query, const Oid *argtypes)
{
	bool	   *isnull = &fcinfo->isnull;
	Oid			relid = PG_GETARG_OID(0);
	int			nargs = PG_NARGS();
	Datum	   *values = palloc(sizeof(Datum) * nargs);
	char	   *nulls = palloc(nargs + 1);
	Datum		result = (Datum) 0;
	int			i;

	/* SECURITY DEFINER: a destruction deletes rows, so the caller needs DELETE on the table */
	patsvc_require_table_privilege(relid, ACL_DELETE, "DELETE", get_func_name(fcinfo->flinfo->fn_oid),
								   "Grant DELETE on the protected table to whoever destroys its records; the retention guard still refuses every DELETE outside patsvc.");
	if (OidIsValid(destroying_relid))
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_DESTROY_UNSAFE),
				 errmsg("a destruction is already running in this session"),
				 errdetail("patsvc destroys one table at a time per session."),
				 errhint("Call patsvc.destroy_due() from top level, not from inside another destruction.")));
	for (i = 0; i < nargs; i++)
	{
		values[i] = PG_ARGISNULL(i) ? (Datum) 0 : PG_GETARG_DATUM(i);
		nulls[i] = PG_ARGISNULL(i) ? 'n' : ' ';
	}
	nulls[nargs] = '\0';
	*isnull = true;
	retention_check_snapshot();

	patsvc_spi_connect();
	destroying_guard_fn = LookupFuncName(list_make2(makeString(PATSVC_SCHEMA), makeString("retention_guard_row")),
										 0, NULL, true);
	destroying_relid = relid;
	PG_TRY();
	{
		if (SPI_execute_with_args(query, nargs, (Oid *) argtypes, values, nulls, false, 1) != SPI_OK_SELECT ||
			SPI_processed != 1)
			elog(ERROR, "patsvc destruction query did not return one row");
		result = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, isnull);
	}
	PG_FINALLY();
	{
		destroying_relid = InvalidOid;
		destroying_guard_fn = InvalidOid;
		retention_forget_tokens();
	}
	PG_END_TRY();
	patsvc_spi_finish();
	return result;
}

PG_FUNCTION_INFO_V1(patsvc_destroy_due);
Datum
patsvc_destroy_due(PG_FUNCTION_ARGS)
{
	static const Oid argtypes[] = {REGCLASSOID, DATEOID, TEXTOID, TEXTOID, TEXTOID, INT4OID, BOOLOID};

	if (PG_NARGS() != lengthof(argtypes) || PG_ARGISNULL(0))
		PG_RETURN_NULL();
	/* before any lock: an infinite date would make the cutoff search endless */
	if (!PG_ARGISNULL(1) && DATE_NOT_FINITE(PG_GETARG_DATEADT(1)))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("as_of %s is not a finite date",
						DatumGetCString(DirectFunctionCall1(date_out, PG_GETARG_DATUM(1)))),
				 errhint("Give the date the destruction is run for, normally CURRENT_DATE.")));
	return run_destruction(fcinfo,
						   "SELECT " PATSVC_SCHEMA "._destroy(tbl => $1, as_of => $2, authorized_by => $3,"
						   " method => $4, witness => $5, batch_size => $6, dry_run => $7)",
						   argtypes);
}

PG_FUNCTION_INFO_V1(patsvc_destroy_early);
Datum
patsvc_destroy_early(PG_FUNCTION_ARGS)
{
	static const Oid argtypes[] = {REGCLASSOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID};

	if (PG_NARGS() != lengthof(argtypes) || PG_ARGISNULL(0))
		PG_RETURN_NULL();
	return run_destruction(fcinfo,
						   "SELECT " PATSVC_SCHEMA "._destroy(tbl => $1, early_patient => $2, early_reason => $3,"
						   " authorized_by => $4, method => $5, witness => $6)",
						   argtypes);
}

/* ---- the destroying statements ------------------------------------------ */

/*
 * While patsvc destroys rows of a table, the guard trigger's WHEN clause
 * (NOT patsvc.is_destroying(<table>)) is false for every row of it, yet the
 * executor fetches each deleted row again before it evaluates that clause.
 * So, for the statements run during a destruction, patsvc drops the "after
 * row delete" flag from the executor's private copy of the trigger list of
 * the relations being destroyed, when the guard is the only AFTER ROW DELETE
 * trigger there: the same outcome (the guard does not fire), without the
 * per-row fetch.  Any other such trigger (e.g. of a foreign key referencing
 * the table) leaves the list as it is.
 */
static ExecutorStart_hook_type prev_executor_start = NULL;

static bool
only_guard_after_delete(TriggerDesc *td)
{
	int			i;

	for (i = 0; i < td->numtriggers; i++)
	{
		Trigger    *t = &td->triggers[i];

		if (TRIGGER_FOR_ROW(t->tgtype) && TRIGGER_FOR_AFTER(t->tgtype) && TRIGGER_FOR_DELETE(t->tgtype) &&
			t->tgfoid != destroying_guard_fn)
			return false;
	}
	return OidIsValid(destroying_guard_fn);
}

static void
destroy_executor_start(QueryDesc *queryDesc, int eflags)
{
	ListCell   *lc;

	if (prev_executor_start)
		prev_executor_start(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
	if (!OidIsValid(destroying_relid) || queryDesc->estate == NULL)
		return;
	foreach(lc, queryDesc->estate->es_opened_result_relations)
	{
		ResultRelInfo *rri = (ResultRelInfo *) lfirst(lc);
		TriggerDesc *td = rri->ri_TrigDesc;

		if (td && td->trig_delete_after_row &&
			retention_destroying(RelationGetRelid(rri->ri_RelationDesc)) && only_guard_after_delete(td))
			td->trig_delete_after_row = false;
	}
}

void
retention_install_destroy_hook(void)
{
	prev_executor_start = ExecutorStart_hook;
	ExecutorStart_hook = destroy_executor_start;
}

/* The anchor dates of the rows a destruction deleted (patsvc._destroying_anchor). */
static bool anchors_seen = false;
static DateADT anchors_lo,
			anchors_hi;

/*
 * The last condition of a destroying DELETE's WHERE clause: notes the anchor
 * date of a row about to be deleted (the certificate states their range) and
 * lets it go.  A row re-checked after a concurrent update is noted again
 * with its new date, so the range covers every row deleted.
 */
PG_FUNCTION_INFO_V1(patsvc_destroying_anchor);
Datum
patsvc_destroying_anchor(PG_FUNCTION_ARGS)
{
	DateADT		d = PG_GETARG_DATEADT(0);

	if (!OidIsValid(destroying_relid))
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_DESTROY_ONLY_THROUGH_PATSVC),
				 errmsg("patsvc._destroying_anchor() is only used inside patsvc.destroy_due()"),
				 errdetail("It notes the anchor dates of the records a destruction removes."),
				 errhint("Call patsvc.destroy_due().")));
	if (!anchors_seen || d < anchors_lo)
		anchors_lo = d;
	if (!anchors_seen || d > anchors_hi)
		anchors_hi = d;
	anchors_seen = true;
	PG_RETURN_BOOL(true);
}

/*
 * _destroy_ranges(leaf, delete_sql, relid, cutoff, nblocks, step): runs the
 * fast batch DELETE of one leaf relation (patsvc._destroy_fast_batch) once per
 * block range [lo, lo + step) -- one statement per batch, planned once --
 * and returns the number of rows deleted and the range of their anchor dates.
 * delete_sql takes $1 the protected relid, $2/$3 the range's first and end
 * TID, $4 the last eligible anchor date.
 */
PG_FUNCTION_INFO_V1(patsvc_destroy_ranges);
Datum
patsvc_destroy_ranges(PG_FUNCTION_ARGS)
{
	Oid			leaf = PG_GETARG_OID(0);
	char	   *sql = text_to_cstring(PG_GETARG_TEXT_PP(1));
	Oid			relid = PG_GETARG_OID(2);
	DateADT		cutoff = PG_GETARG_DATEADT(3);
	int64		nblocks = PG_GETARG_INT64(4);
	int64		step = PG_GETARG_INT64(5);
	static const Oid types[4] = {OIDOID, TIDOID, TIDOID, DATEOID};
	ItemPointerData first,
				end;
	Datum		values[4];
	Datum		result[3];
	bool		nulls[3] = {false, false, false};
	TupleDesc	desc;
	SPIPlanPtr	plan;
	int64		n = 0;
	int64		lo;

	if (!OidIsValid(destroying_relid) || !retention_destroying(leaf))
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_DESTROY_ONLY_THROUGH_PATSVC),
				 errmsg("patsvc._destroy_ranges() is only used inside patsvc.destroy_due()"),
				 errdetail("It runs the batches of a destruction of table \"%s\".", get_rel_name(leaf)),
				 errhint("Call patsvc.destroy_due().")));
	if (step < 1 || get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "patsvc_destroy_ranges: bad call");
	patsvc_spi_connect();
	plan = SPI_prepare_cursor(sql, 4, (Oid *) types, CURSOR_OPT_GENERIC_PLAN);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for \"%s\": %s", sql, SPI_result_code_string(SPI_result));
	anchors_seen = false;
	values[0] = ObjectIdGetDatum(relid);
	values[1] = PointerGetDatum(&first);
	values[2] = PointerGetDatum(&end);
	values[3] = DateADTGetDatum(cutoff);
	for (lo = 0; lo < nblocks; lo += step)
	{
		ItemPointerSet(&first, (BlockNumber) lo, 0);
		ItemPointerSet(&end, (BlockNumber) Min(lo + step, (int64) MaxBlockNumber), 0);
		if (SPI_execute_plan(plan, values, NULL, false, 0) != SPI_OK_DELETE)
			elog(ERROR, "patsvc destruction batch failed");
		n += (int64) SPI_processed;
		CHECK_FOR_INTERRUPTS();
	}
	patsvc_spi_finish();
	result[0] = Int64GetDatum(n);
	result[1] = DateADTGetDatum(anchors_lo);
	result[2] = DateADTGetDatum(anchors_hi);
	nulls[1] = nulls[2] = !anchors_seen;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), result, nulls)));
}
