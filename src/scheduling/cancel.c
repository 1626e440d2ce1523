/*
 * cancel.c -- patsvc.cancel() and patsvc.set_status(): lock the appointment
 * (PS208 if there is none), then one UPDATE of patsvc.appointments, run as
 * the caller; the trigger appointments_enforce checks the transition.
 *
 * They were plpgsql with SET search_path calling find_appointment(), plpgsql
 * with SET search_path too: two wrappers around a locking read and an
 * UPDATE (0.72-0.94x the bare UPDATE).  Here both statements are plans kept
 * for the backend's life.  Behaviour stays that of
 *   PERFORM patsvc.find_appointment(appointment);  -- SELECT a.* ... FOR UPDATE
 *   UPDATE patsvc.appointments a SET ... WHERE a.id = appointment;
 * run as the caller: the locking read is find_appointment's own statement,
 * so privileges and row security act on it as before.  A NULL id or a caller
 * without EXECUTE on find_appointment runs the call of find_appointment()
 * itself, which raises what it raised.  When nothing can differ (table
 * privileges, no row security) the UPDATE runs first and the locking read
 * only when it changed no row: one index scan and one row lock less.
 */
#include "postgres.h"

#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/rls.h"
#include "utils/syscache.h"

#include "core/core.h"
#include "scheduling/scheduling.h"

PG_FUNCTION_INFO_V1(patsvc_cancel);
PG_FUNCTION_INFO_V1(patsvc_set_status);

static SPIPlanPtr lock_plan = NULL;
static SPIPlanPtr find_plan = NULL;
static SPIPlanPtr cancel_plan = NULL;
static SPIPlanPtr status_plan = NULL;

static bool
may_call_find_appointment(void)
{
	Oid			argtypes[1] = {INT8OID};
	Oid			fn = GetSysCacheOid3(PROCNAMEARGSNSP, Anum_pg_proc_oid, CStringGetDatum("find_appointment"),
									 PointerGetDatum(buildoidvector(argtypes, 1)),
									 ObjectIdGetDatum(patsvc_schema_oid()));

	return OidIsValid(fn) && pg_proc_aclcheck(fn, GetUserId(), ACL_EXECUTE) == ACLCHECK_OK;
}

/* find_appointment(appointment) (inside SPI): the row locked FOR UPDATE, PS208 if there is none. */
static void
lock_appointment(FunctionCallInfo fcinfo)
{
	static const Oid types[1] = {INT8OID};
	Datum		v[1] = {PG_GETARG_DATUM(0)};
	char		n[1] = {PG_ARGISNULL(0) ? 'n' : ' '};
	int			rc;

	if (PG_ARGISNULL(0) || !may_call_find_appointment())
	{
		rc = SPI_execute_plan(patsvc_kept_plan(&find_plan, "SELECT " PATSVC_SCHEMA ".find_appointment($1)", 1, types),
							  v, n, false, 0);
		if (rc != SPI_OK_SELECT)
			elog(ERROR, "find_appointment failed: %s", SPI_result_code_string(rc));
		return;
	}
	rc = SPI_execute_plan(patsvc_kept_plan(&lock_plan, "SELECT a.* FROM " PATSVC_SCHEMA ".appointments a"
										   " WHERE a.id OPERATOR(pg_catalog.=) $1 FOR UPDATE", 1, types),
						  v, n, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "find_appointment failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_UNKNOWN_REFERENCE),
				 errmsg("appointment " INT64_FORMAT " does not exist", PG_GETARG_INT64(0)),
				 errhint("Use the id returned by patsvc.book.")));
}

/*
 * May the UPDATE run first?  When it changes the row, the locking read
 * before it could have raised nothing and locked nothing the UPDATE does not
 * lock: the caller may call find_appointment, holds SELECT and UPDATE on
 * the whole table and no row-level security applies.
 */
static bool
update_first(FunctionCallInfo fcinfo)
{
	Oid			appointments = patsvc_relid("appointments");

	return !PG_ARGISNULL(0) && OidIsValid(appointments) &&
		pg_class_aclmask(appointments, GetUserId(), ACL_SELECT | ACL_UPDATE, ACLMASK_ALL) == (ACL_SELECT | ACL_UPDATE) &&
		check_enable_rls(appointments, InvalidOid, true) == RLS_NONE &&
		may_call_find_appointment();
}

/*
 * Locks the appointment, then runs the UPDATE (id $1, the second argument
 * $2); or, when update_first(), the UPDATE and only if it changed no row the
 * locking read (PS208 when there is no such appointment).
 */
static void
lock_and_update(FunctionCallInfo fcinfo, SPIPlanPtr *slot, const char *sql)
{
	static const Oid types[2] = {INT8OID, TEXTOID};
	Datum		v[2];
	char		n[2];
	bool		first = update_first(fcinfo);
	int			rc;

	for (int i = 0; i < 2; i++)
	{
		v[i] = PG_ARGISNULL(i) ? (Datum) 0 : PG_GETARG_DATUM(i);
		n[i] = PG_ARGISNULL(i) ? 'n' : ' ';
	}
	patsvc_spi_connect();
	if (!first)
		lock_appointment(fcinfo);
	rc = SPI_execute_plan(patsvc_kept_plan(slot, sql, 2, types), v, n, false, 0);
	if (rc != SPI_OK_UPDATE)
		elog(ERROR, "update of the appointment failed: %s", SPI_result_code_string(rc));
	if (first && SPI_processed == 0)
		lock_appointment(fcinfo);
	patsvc_spi_finish();
}

/* patsvc.cancel(appointment, reason) */
Datum
patsvc_cancel(PG_FUNCTION_ARGS)
{
	lock_and_update(fcinfo, &cancel_plan,
					"UPDATE " PATSVC_SCHEMA ".appointments a SET status = 'cancelled', cancel_reason = $2"
					" WHERE a.id OPERATOR(pg_catalog.=) $1");
	PG_RETURN_VOID();
}

/* patsvc.set_status(appointment, status): the status name and the transition are the trigger's */
Datum
patsvc_set_status(PG_FUNCTION_ARGS)
{
	lock_and_update(fcinfo, &status_plan,
					"UPDATE " PATSVC_SCHEMA ".appointments a SET status = $2"
					" WHERE a.id OPERATOR(pg_catalog.=) $1");
	PG_RETURN_VOID();
}
