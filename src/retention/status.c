/*
 * status.c -- what retention says about rows: patsvc.retention_status() of
 * the rows a role may read (the arithmetic is SQL's: retention_anchor_date()
 * and compute_retain_until()), and the enforcement level.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"

#include "core/core.h"
#include "retention/retention.h"

/* ---- enforcement level --------------------------------------------------- */

PG_FUNCTION_INFO_V1(patsvc_enforcement_level);
Datum
patsvc_enforcement_level(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(retention_hooks_installed ? "hardened" : "basic"));
}

/* ---- retention status of the rows a role may read ------------------------ */

static void
spi_run(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls)
{
	if (SPI_execute_with_args(sql, nargs, types, values, nulls, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "retention_status: query failed");
}

/*
 * patsvc.retention_status(tbl): every row of a protected table that the
 * calling role may read, with its patient id, anchor date, retain-until and
 * hold.  The table is read with the caller's rights, so its privileges and
 * row-level security decide which rows appear; only the patient facts and
 * holds of the rows read are then looked up, as the owner of patsvc's tables.
 */
PG_FUNCTION_INFO_V1(patsvc_retention_status);
Datum
patsvc_retention_status(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			relid = PG_GETARG_OID(0);
	MemoryContext caller = CurrentMemoryContext;
	Oid			owner = retention_tables_owner();
	PatsvcSavedUser saved;
	Oid			types[4] = {OIDOID, InvalidOid, InvalidOid, InvalidOid};
	Datum		values[4];
	char	   *pcol,
			   *acol;
	StringInfoData sql;
	char	   *held;
	int			n;
	Datum	   *ctids,
			   *patients,
			   *anchors;
	bool	   *pnulls,
			   *anulls;
	int			dims[1];
	int			lbs[1] = {1};

	InitMaterializedSRF(fcinfo, 0);
	patsvc_spi_connect();

	/* the protection, as the owner */
	values[0] = ObjectIdGetDatum(relid);
	patsvc_become_owner(owner, &saved);
	spi_run("SELECT patient_column::text, anchor_column::text FROM " PATSVC_SCHEMA ".protected_tables"
			" WHERE relid = $1", 1, types, values, NULL);
	patsvc_restore_user(&saved);
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_TABLE_NOT_PROTECTED),
				 errmsg("table \"%s\" is not protected",
						DatumGetCString(DirectFunctionCall1(regclassout, ObjectIdGetDatum(relid)))),
				 errhint("Protect it first with patsvc.protect().")));
	pcol = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	acol = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
	if (pg_class_aclcheck(relid, saved.userid, ACL_SELECT) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for table %s", get_rel_name(relid)),
				 errhint("Retention status is shown to those who may read the table: grant SELECT on it; row-level security decides which rows.")));

	/* the rows, as the caller: privileges and row-level security apply */
	initStringInfo(&sql);
	appendStringInfo(&sql, "SELECT t.ctid, t.%s::text, %s%s%s FROM %s t",
					 quote_identifier(pcol),
					 acol ? "t." : "", acol ? quote_identifier(acol) : "NULL", "::date",
					 quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)), get_rel_name(relid)));
	spi_run(sql.data, 0, NULL, NULL, NULL);
	n = (int) SPI_processed;
	ctids = palloc(sizeof(Datum) * Max(n, 1));
	patients = palloc(sizeof(Datum) * Max(n, 1));
	anchors = palloc(sizeof(Datum) * Max(n, 1));
	pnulls = palloc(sizeof(bool) * Max(n, 1));
	anulls = palloc(sizeof(bool) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		bool		isnull;
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;

		ctids[i] = SPI_getbinval(tup, desc, 1, &isnull);
		patients[i] = SPI_getbinval(tup, desc, 2, &pnulls[i]);
		anchors[i] = SPI_getbinval(tup, desc, 3, &anulls[i]);
	}
	dims[0] = n;
	types[1] = TIDARRAYOID;
	types[2] = TEXTARRAYOID;
	types[3] = DATEARRAYOID;
	values[1] = PointerGetDatum(construct_md_array(ctids, NULL, 1, dims, lbs, TIDOID, sizeof(ItemPointerData), false,
												   TYPALIGN_SHORT));
	values[2] = PointerGetDatum(construct_md_array(patients, pnulls, 1, dims, lbs, TEXTOID, -1, false, TYPALIGN_INT));
	values[3] = PointerGetDatum(construct_md_array(anchors, anulls, 1, dims, lbs, DATEOID, sizeof(DateADT), true,
												   TYPALIGN_INT));

	/* their facts and holds, as the owner; only patsvc's own SQL runs here (the hold check: _held_sql) */
	patsvc_become_owner(owner, &saved);
	spi_run("SELECT " PATSVC_SCHEMA "._held_sql('u.p', 't.relid')", 0, NULL, NULL, NULL);
	held = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	spi_run(psprintf("SELECT u.c, u.p, a.anchor_date, a.retain_until, a.held"
					 "  FROM unnest($2, $3, $4) WITH ORDINALITY AS u(c, p, v, o)"
					 "  CROSS JOIN " PATSVC_SCHEMA ".protected_tables t"
					 "  JOIN " PATSVC_SCHEMA ".retention_policies pol ON pol.policy_name = t.policy_name"
					 "  LEFT JOIN " PATSVC_SCHEMA ".retention_patient_facts f ON f.patient_id = u.p"
					 "  CROSS JOIN LATERAL (SELECT"
					 "    " PATSVC_SCHEMA ".retention_anchor_date(pol.anchor, pol.majority_age, f.birth_date,"
					 "                                           f.death_date, f.last_encounter, u.v) AS anchor_date,"
					 "    " PATSVC_SCHEMA ".compute_retain_until(pol.anchor, pol.period, pol.majority_age,"
					 "                                          pol.minors_until_age, f.birth_date, f.death_date,"
					 "                                          f.last_encounter, u.v) AS retain_until,"
					 "    %s AS held) a"
					 " WHERE t.relid = $1 ORDER BY u.o", held), 4, types, values, NULL);
	patsvc_restore_user(&saved);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		Datum		out[5];
		bool		nulls[5];
		MemoryContext spi;

		for (int c = 0; c < 5; c++)
			out[c] = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, c + 1, &nulls[c]);
		spi = MemoryContextSwitchTo(caller);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, out, nulls);
		MemoryContextSwitchTo(spi);
	}
	patsvc_spi_finish();
	return (Datum) 0;
}
