/*
 * eligibility.c -- patsvc.record_eligibility_271(coverage, raw, service_date):
 * parses the 271 (x12_271.c), then stores one verification with one kept
 * INSERT ... SELECT that also checks that the coverage exists and is in
 * force on the date of service; when it inserts nothing, a second query says
 * why (PS504 unknown coverage, PS505 not in force).  Runs as the owner of
 * eligibility_verifications (SECURITY DEFINER in SQL): nobody else writes it.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"

#include "core/core.h"
#include "coverage/coverage.h"

#define NPARAMS 16

static const char *const insert_sql =
"INSERT INTO " PATSVC_SCHEMA ".eligibility_verifications (coverage_id, service_date, checked_by, source,"
" trace_number, active, plan_begin, plan_end, copay, coinsurance_percent, deductible, deductible_remaining,"
" in_network, authorization_required, rejection_code, rejection_reason, raw_271)"
" SELECT c.id, $2, $3, '271', $4, $5, $6, $7, $8::numeric, $9::numeric OPERATOR(pg_catalog.*) 100, $10::numeric,"
" $11::numeric, $12, $13, $14, $15, $16"
" FROM " PATSVC_SCHEMA ".coverages c"
" WHERE c.id OPERATOR(pg_catalog.=) $1 AND c.valid OPERATOR(pg_catalog.@>) $2"
" RETURNING *";

static const Oid insert_types[NPARAMS] = {
	INT8OID, DATEOID, TEXTOID, TEXTOID, BOOLOID, DATEOID, DATEOID, TEXTOID, TEXTOID, TEXTOID,
	TEXTOID, BOOLOID, BOOLOID, TEXTOID, TEXTOID, TEXTOID
};

typedef struct Params
{
	Datum		v[NPARAMS];
	char		n[NPARAMS];		/* SPI's nulls: 'n' for NULL, ' ' otherwise */
} Params;

static void
set_param(Params *p, int i, bool isnull, Datum value)
{
	p->v[i] = isnull ? (Datum) 0 : value;
	p->n[i] = isnull ? 'n' : ' ';
}

static void
set_text(Params *p, int i, const char *s)
{
	set_param(p, i, s == NULL, s ? CStringGetTextDatum(s) : (Datum) 0);
}

static void
fill_params(Params *p, int64 coverage, DateADT service_date, Datum raw, const Eligibility271 *e)
{
	set_param(p, 0, false, Int64GetDatum(coverage));
	set_param(p, 1, false, DateADTGetDatum(service_date));
	set_text(p, 2, GetUserNameFromId(GetSessionUserId(), false));
	set_text(p, 3, e->trace_number);
	set_param(p, 4, !e->has_active, BoolGetDatum(e->active));
	set_param(p, 5, !e->has_plan_begin, DateADTGetDatum(e->plan_begin));
	set_param(p, 6, !e->has_plan_end, DateADTGetDatum(e->plan_end));
	set_text(p, 7, e->copay);
	set_text(p, 8, e->coinsurance_fraction);
	set_text(p, 9, e->deductible);
	set_text(p, 10, e->deductible_remaining);
	set_param(p, 11, !e->has_in_network, BoolGetDatum(e->in_network));
	set_param(p, 12, !e->has_authorization_required, BoolGetDatum(e->authorization_required));
	set_text(p, 13, e->rejection_code);
	set_text(p, 14, e->rejection_reason);
	set_param(p, 15, false, raw);
}

static char *
date_text(DateADT d)
{
	int			y,
				m,
				day;

	j2date(d + POSTGRES_EPOCH_JDATE, &y, &m, &day);
	return psprintf("%04d-%02d-%02d", y, m, day);
}

/* Nothing was inserted: the coverage does not exist (PS504) or is not in force that day (PS505). */
static void
raise_not_inserted(int64 coverage, DateADT service_date)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[1] = {INT8OID};
	Datum		args[1] = {Int64GetDatum(coverage)};

	plan = patsvc_kept_plan(&plan, "SELECT valid::text FROM " PATSVC_SCHEMA ".coverages WHERE id OPERATOR(pg_catalog.=) $1",
							1, types);
	if (SPI_execute_plan(plan, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "patsvc: reading coverages failed");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_UNKNOWN_COVERAGE),
				 errmsg("coverage %lld does not exist", (long long) coverage),
				 errhint("Give the id of the patient's coverage (patsvc.coverage_on(patient, date)).")));
	ereport(ERROR,
			(errcode(ERRCODE_PATSVC_INVALID_VERIFICATION),
			 errmsg("coverage %lld is not in force on %s, the date of service", (long long) coverage,
					date_text(service_date)),
			 errdetail("Its period is %s.", SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1)),
			 errhint("Give the date of service the 271 answers for (argument service_date), or correct the coverage's period first.")));
}

PG_FUNCTION_INFO_V1(patsvc_record_eligibility_271);

Datum
patsvc_record_eligibility_271(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan = NULL;
	text	   *raw;
	Eligibility271 e;
	DateADT		service_date;
	Params		p;
	TupleDesc	desc;
	HeapTupleHeader row;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("record_eligibility_271 needs a coverage and the text of a 271"),
				 errhint("Call patsvc.record_eligibility_271(coverage_id, raw_271_text[, service_date]).")));
	raw = PG_GETARG_TEXT_PP(1);
	x12_271_parse(VARDATA_ANY(raw), VARSIZE_ANY_EXHDR(raw), &e);
	service_date = !PG_ARGISNULL(2) ? PG_GETARG_DATEADT(2)
		: e.has_eligibility_date ? e.eligibility_date : GetSQLCurrentDate();
	if (DATE_NOT_FINITE(service_date))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a date of service is a finite date"),
				 errhint("Give the date of the visit the 271 answers for.")));
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "patsvc: record_eligibility_271 must return a row");
	fill_params(&p, PG_GETARG_INT64(0), service_date, PointerGetDatum(raw), &e);
	patsvc_spi_connect();
	plan = patsvc_kept_plan(&plan, insert_sql, NPARAMS, insert_types);
	if (SPI_execute_plan(plan, p.v, p.n, false, 1) != SPI_OK_INSERT_RETURNING)
		elog(ERROR, "patsvc: storing the verification failed");
	if (SPI_processed == 0)
		raise_not_inserted(PG_GETARG_INT64(0), service_date);
	row = SPI_returntuple(SPI_tuptable->vals[0], desc);
	patsvc_spi_finish();
	PG_RETURN_HEAPTUPLEHEADER(row);
}
