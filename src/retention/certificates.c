/*
 * certificates.c -- issuing the certificate of a destruction (_certify), for
 * the token set the run stored (tokens.c), and its record in the event log.
 * The hash chain, verification and canonical text are SQL
 * (src/retention/80-certificates.sql).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"

#include "core/core.h"
#include "retention/retention.h"

static SPIPlanPtr certificate_plan = NULL;

/*
 * _certify(tbl, record_class, policy_name, policy_mode, records_from_year,
 * records_to_year, method, authorized_by, witness, statement, early_reason,
 * archive_table, archive_sha256): issues the certificate of the destruction
 * running in this session -- of tbl, for the token set _store_tokens() just
 * stored, their number as its record count -- and records the destruction in
 * patsvc.retention_events ('records destroyed', naming the certificate by
 * number and hash: verify_certificates() matches the two), with an 'early
 * destruction' event for destroy_early().  Once per run; refused anywhere
 * else.  Returns the certificate id.
 */
PG_FUNCTION_INFO_V1(patsvc_certify);
Datum
patsvc_certify(PG_FUNCTION_ARGS)
{
	static const Oid types[16] = {REGCLASSOID, TEXTOID, TEXTOID, TEXTOID, INT8OID, INT4OID, INT4OID, TEXTOID,
	TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, INT8OID, TEXTOID};
	Datum		values[16];
	char		nulls[16];
	bool		isnull;
	int64		id;
	char	   *table_name;
	char	   *record;
	const PendingTokens *pending = retention_pending_tokens();

	if (PG_NARGS() != 13 || PG_ARGISNULL(0) || !OidIsValid(retention_destroy_relid()) ||
		PG_GETARG_OID(0) != retention_destroy_relid() || !pending->valid)
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_DESTROY_ONLY_THROUGH_PATSVC),
				 errmsg("patsvc._certify() is only used inside patsvc.destroy_due()"),
				 errdetail("It issues the certificate of the destruction running in this session, for the tokens it drew."),
				 errhint("Call patsvc.destroy_due().")));
	/* $1-$4, $6-$14: the arguments; $5, $15, $16: the token set, from this session's destruction */
	for (int i = 0, a = 0; i < 16; i++)
	{
		if (i == 4 || i == 14 || i == 15)
			continue;
		values[i] = PG_ARGISNULL(a) ? (Datum) 0 : PG_GETARG_DATUM(a);
		nulls[i] = PG_ARGISNULL(a) ? 'n' : ' ';
		a++;
	}
	values[4] = Int64GetDatum(pending->tokens);
	values[14] = Int64GetDatum(pending->token_set);
	values[15] = CStringGetTextDatum(pending->sha256);
	nulls[4] = nulls[14] = nulls[15] = ' ';
	patsvc_spi_connect();
	patsvc_kept_plan(&certificate_plan,
					 "INSERT INTO " PATSVC_SCHEMA ".destruction_certificates AS c"
					 " (certificate_id, destroyed_at, table_name, record_class, policy_name, policy_mode, record_count,"
					 "  records_from_year, records_to_year, method, authorized_by, witness, executed_by, statement,"
					 "  early_reason, archive_table, archive_sha256, token_set, tokens_sha256, previous_hash, certificate_hash)"
					 " VALUES (0, pg_catalog.now(), $1::pg_catalog.text, $2, $3, $4, $5, $6, $7, $8, $9, $10, session_user,"
					 "         $11, $12, $13, $14, $15, $16, '', '')"
					 " RETURNING c.certificate_id, c.table_name, " PATSVC_SCHEMA "._destruction_record(c)",
					 16, types);
	if (ledger_execute(LEDGER_CERTIFICATES, CMD_INSERT, certificate_plan, values, nulls, 0) != SPI_OK_INSERT_RETURNING ||
		SPI_processed != 1)
		elog(ERROR, "patsvc: issuing the certificate failed");
	retention_forget_tokens();
	id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	table_name = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
	record = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3);
	ledger_log("records destroyed", table_name, false, 0, record);
	if (!PG_ARGISNULL(10))
		ledger_log("early destruction", table_name, false, 0,
				   psprintf("certificate " INT64_FORMAT ": %s", id, TextDatumGetCString(PG_GETARG_DATUM(10))));
	patsvc_spi_finish();
	PG_RETURN_INT64(id);
}
