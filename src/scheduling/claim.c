/*
 * claim.c -- patsvc.claim_due_reminders(now, max): up to max due reminders
 * (all when max is NULL), in the order of index reminders_due (due_at, id),
 * each claimed once across concurrent senders (FOR UPDATE SKIP LOCKED), of
 * appointments that still hold time at the start the reminder announces.
 *
 * One statement, a generic plan kept for the backend's life, run as the
 * caller.  It was a SQL function planned on every call (2.3 s a claim at
 * 1,000,000 appointments, see bench/RESULTS.md), then plpgsql with
 * SET plan_cache_mode = force_generic_plan: 0.69-0.87x its own statement,
 * the difference being the SET (a GUC nest level per call) and the
 * interpreter copying RETURN QUERY's rows.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/tuplestore.h"

#include "core/core.h"
#include "scheduling/scheduling.h"

PG_FUNCTION_INFO_V1(patsvc_claim_due_reminders);

#define CLAIM_SQL \
	"WITH due AS (" \
	"  SELECT r.id FROM " PATSVC_SCHEMA ".reminders r" \
	"    JOIN " PATSVC_SCHEMA ".appointments a ON a.id OPERATOR(pg_catalog.=) r.appointment_id" \
	"   WHERE r.claimed_at IS NULL AND r.due_at OPERATOR(pg_catalog.<=) $1" \
	"     AND a.status OPERATOR(pg_catalog.=) ANY ('{proposed,pending,booked,waitlist}'::pg_catalog.text[])" \
	"     AND a.starts_at OPERATOR(pg_catalog.=) r.for_start AND a.starts_at OPERATOR(pg_catalog.>) $1" \
	"   ORDER BY r.due_at, r.id" \
	"   LIMIT $2" \
	"   FOR UPDATE OF r SKIP LOCKED" \
	"   FOR SHARE OF a)" \
	" UPDATE " PATSVC_SCHEMA ".reminders r" \
	"    SET claimed_at = pg_catalog.clock_timestamp(), claimed_by = session_user" \
	"   FROM due, " PATSVC_SCHEMA ".reminder_rules rr, " PATSVC_SCHEMA ".appointments a" \
	"  WHERE r.id OPERATOR(pg_catalog.=) due.id AND rr.id OPERATOR(pg_catalog.=) r.rule_id" \
	"    AND a.id OPERATOR(pg_catalog.=) r.appointment_id" \
	" RETURNING r.id, r.appointment_id, rr.channel, r.due_at, a.starts_at"

static SPIPlanPtr claim_plan = NULL;

Datum
patsvc_claim_due_reminders(PG_FUNCTION_ARGS)
{
	static const Oid types[2] = {TIMESTAMPTZOID, INT4OID};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Datum		v[2];
	char		n[2];
	int			rc;

	InitMaterializedSRF(fcinfo, 0);
	for (int i = 0; i < 2; i++)
	{
		v[i] = PG_ARGISNULL(i) ? (Datum) 0 : PG_GETARG_DATUM(i);
		n[i] = PG_ARGISNULL(i) ? 'n' : ' ';
	}
	patsvc_spi_connect();
	rc = SPI_execute_plan(patsvc_kept_plan(&claim_plan, CLAIM_SQL, 2, types), v, n, false, 0);
	if (rc != SPI_OK_UPDATE_RETURNING)
		elog(ERROR, "claim_due_reminders: the claim failed: %s", SPI_result_code_string(rc));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		Datum		values[5];
		bool		nulls[5];

		heap_deform_tuple(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, values, nulls);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	patsvc_spi_finish();
	return (Datum) 0;
}
