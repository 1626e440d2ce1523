/*
 * retention.c -- retention periods, the guard triggers of protected tables
 * and ledgers, and the destroying flag around patsvc's own deletions.
 */
#include "postgres.h"

#include <ctype.h>
#include <limits.h>

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "catalog/namespace.h"
#include "utils/acl.h"
#include "utils/regproc.h"
#include "utils/syscache.h"
#include "lib/stringinfo.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/array.h"
#include "utils/fmgroids.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "funcapi.h"
#include "utils/uuid.h"

#include "core/core.h"
#include "retention/retention.h"

/* ---- retention periods: years/months/days with mandatory units ---------- */

typedef enum PeriodUnit
{
	UNIT_NONE, UNIT_YEARS, UNIT_MONTHS, UNIT_DAYS
} PeriodUnit;

static PeriodUnit
period_unit(const char *word, int len)
{
	static const struct
	{
		const char *name;
		PeriodUnit	unit;
	}			units[] = {
		{"year", UNIT_YEARS}, {"years", UNIT_YEARS}, {"y", UNIT_YEARS},
		{"month", UNIT_MONTHS}, {"months", UNIT_MONTHS}, {"mon", UNIT_MONTHS},
		{"day", UNIT_DAYS}, {"days", UNIT_DAYS}, {"d", UNIT_DAYS},
	};
	int			i;

	for (i = 0; i < lengthof(units); i++)
		if ((int) strlen(units[i].name) == len && pg_strncasecmp(word, units[i].name, len) == 0)
			return units[i].unit;
	return UNIT_NONE;
}

static void
period_syntax_error(const char *str, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid retention period: \"%s\"", str),
			 errdetail("%s", detail),
			 errhint("Give every number its unit (years, months or days), for example '7 years' or '6 years 6 months'.")));
}

/* Adds n units to *result, refusing overflow. */
static void
period_add(Interval *result, int64 n, PeriodUnit unit, const char *str)
{
	int64		months = result->month,
				days = result->day;

	if (unit == UNIT_YEARS)
		months += n * MONTHS_PER_YEAR;
	else if (unit == UNIT_MONTHS)
		months += n;
	else
		days += n;
	if (months > 12 * 1000 || days > 366 * 1000)
		period_syntax_error(str, "A retention period may not exceed 1000 years.");
	result->month = (int32) months;
	result->day = (int32) days;
}

/*
 * "7 years", "6 years 6 months", "30 days": one or more <number> <unit>
 * pairs.  A bare number is refused: "7" is seven what?  (pg_partman #811.)
 */
static Interval *
parse_retention_period(const char *str)
{
	Interval   *result = palloc0(sizeof(Interval));
	const char *p = str;
	int			pairs = 0;

	for (;;)
	{
		int64		n = 0;
		const char *word;
		PeriodUnit	unit;

		while (isspace((unsigned char) *p))
			p++;
		if (*p == '\0')
			break;
		if (!isdigit((unsigned char) *p))
			period_syntax_error(str, psprintf("Expected a number at position %d.", (int) (p - str) + 1));
		while (isdigit((unsigned char) *p))
		{
			n = n * 10 + (*p++ - '0');
			if (n > INT_MAX)
				period_syntax_error(str, "A number in the period is too large.");
		}
		while (isspace((unsigned char) *p))
			p++;
		word = p;
		while (isalpha((unsigned char) *p))
			p++;
		if (p == word)
			period_syntax_error(str, psprintf("The number %lld has no unit.", (long long) n));
		unit = period_unit(word, (int) (p - word));
		if (unit == UNIT_NONE)
			period_syntax_error(str, psprintf("\"%.*s\" is not a unit; use years, months or days.",
											  (int) (p - word), word));
		period_add(result, n, unit, str);
		pairs++;
	}
	if (pairs == 0)
		period_syntax_error(str, "The period is empty.");
	if (result->month == 0 && result->day == 0)
		period_syntax_error(str, "A retention period must be longer than zero.");
	return result;
}

PG_FUNCTION_INFO_V1(patsvc_retention_period);
Datum
patsvc_retention_period(PG_FUNCTION_ARGS)
{
	PG_RETURN_INTERVAL_P(parse_retention_period(text_to_cstring(PG_GETARG_TEXT_PP(0))));
}

PG_FUNCTION_INFO_V1(patsvc_retention_period_n_unit);
Datum
patsvc_retention_period_n_unit(PG_FUNCTION_ARGS)
{
	int32		n = PG_GETARG_INT32(0);
	char	   *unit = text_to_cstring(PG_GETARG_TEXT_PP(1));

	if (n < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid retention period: %d %s", n, unit),
				 errdetail("A retention period cannot be negative."),
				 errhint("Give a positive number of years, months or days.")));
	PG_RETURN_INTERVAL_P(parse_retention_period(psprintf("%d %s", n, unit)));
}

/* Only months and days, nothing negative, not zero: what a policy may hold. */
PG_FUNCTION_INFO_V1(patsvc_is_calendar_period);
Datum
patsvc_is_calendar_period(PG_FUNCTION_ARGS)
{
	Interval   *iv = PG_GETARG_INTERVAL_P(0);

	PG_RETURN_BOOL(iv->time == 0 && iv->month >= 0 && iv->day >= 0 &&
				   (iv->month > 0 || iv->day > 0));
}

/* ---- certificate tokens ------------------------------------------------- */

/*
 * n random version-4 UUIDs from one call to the strong random source: the
 * per-record tokens of a certificate.  They derive from nothing about the
 * records (45 CFR 164.514(c)); one call instead of n gen_random_uuid() calls.
 * The array is built in place: the random bytes go straight into its data area.
 */
static ArrayType *
make_random_tokens(int32 n)
{
	ArrayType  *result;
	pg_uuid_t  *uuids;
	Size		nbytes;
	int			dims[1];
	int			lbs[1] = {1};
	int			i;

	if (n < 0 || n > 50 * 1000 * 1000)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot make %d random tokens", n),
				 errdetail("A certificate holds between 0 and 50000000 tokens."),
				 errhint("Destroy in smaller runs.")));
	if (n == 0)
		return construct_empty_array(UUIDOID);
	dims[0] = n;
	nbytes = ARR_OVERHEAD_NONULLS(1) + sizeof(pg_uuid_t) * (Size) n;
	result = (ArrayType *) palloc(nbytes);
	memset(result, 0, ARR_OVERHEAD_NONULLS(1));
	SET_VARSIZE(result, nbytes);
	result->ndim = 1;
	result->dataoffset = 0;
	result->elemtype = UUIDOID;
	memcpy(ARR_DIMS(result), dims, sizeof(dims));
	memcpy(ARR_LBOUND(result), lbs, sizeof(lbs));
	uuids = (pg_uuid_t *) ARR_DATA_PTR(result);
	if (!pg_strong_random(uuids, sizeof(pg_uuid_t) * (size_t) n))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate random tokens"),
				 errdetail("The strong random source failed."),
				 errhint("Check the server's OpenSSL or /dev/urandom.")));
	for (i = 0; i < n; i++)
	{
		uuids[i].data[6] = (uuids[i].data[6] & 0x0f) | 0x40;	/* version 4 */
		uuids[i].data[8] = (uuids[i].data[8] & 0x3f) | 0x80;	/* RFC 4122 variant */
	}
	return result;
}

PG_FUNCTION_INFO_V1(patsvc_random_tokens);
Datum
patsvc_random_tokens(PG_FUNCTION_ARGS)
{
	int32		n = PG_GETARG_INT32(0);

	/* from SQL at most a million (16 MB); destructions make theirs in C, per batch */
	if (n > 1000 * 1000)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot make %d random tokens in one call", n),
				 errdetail("patsvc.random_tokens() makes at most 1000000 tokens per call."),
				 errhint("Call it several times.")));
	PG_RETURN_ARRAYTYPE_P(make_random_tokens(n));
}

/*
 * sha256 (hex) of the tokens' 16-byte values in array order: what a
 * certificate's hash covers (hashing the text of a million tokens costs
 * seconds; their bytes, milliseconds).  NULL elements are skipped.
 */
static int64
sha256_add_tokens(pg_cryptohash_ctx *ctx, ArrayType *arr)
{
	int			n = ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr));
	const char *data = ARR_DATA_PTR(arr);
	bits8	   *bitmap = ARR_NULLBITMAP(arr);
	int64		added = 0;
	int			i;

	if (ARR_ELEMTYPE(arr) != UUIDOID)
		elog(ERROR, "patsvc_tokens_digest: not a uuid array");
	if (bitmap == NULL)
	{
		/* no NULLs: the elements lie back to back (uuid is 16 bytes, char-aligned) */
		if (n > 0 && pg_cryptohash_update(ctx, (const uint8 *) data, (size_t) n * UUID_LEN) < 0)
			elog(ERROR, "could not compute sha256");
		return n;
	}
	for (i = 0; i < n; i++)
	{
		if ((bitmap[i / 8] & (1 << (i % 8))) == 0)
			continue;
		if (pg_cryptohash_update(ctx, (const uint8 *) data, UUID_LEN) < 0)
			elog(ERROR, "could not compute sha256");
		data += UUID_LEN;
		added++;
	}
	return added;
}

static pg_cryptohash_ctx *
sha256_begin(void)
{
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);

	if (ctx == NULL || pg_cryptohash_init(ctx) < 0)
		elog(ERROR, "could not initialize sha256");
	return ctx;
}

/* Finishes (and frees) ctx: the sha256 in hex. */
static char *
sha256_end_hex(pg_cryptohash_ctx *ctx)
{
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	char	   *hex = palloc(PG_SHA256_DIGEST_LENGTH * 2 + 1);

	if (pg_cryptohash_final(ctx, digest, sizeof(digest)) < 0)
		elog(ERROR, "could not compute sha256");
	pg_cryptohash_free(ctx);
	hex_encode((const char *) digest, sizeof(digest), hex);
	hex[PG_SHA256_DIGEST_LENGTH * 2] = '\0';
	return hex;
}

static char *
tokens_sha256_hex(ArrayType *arr)
{
	pg_cryptohash_ctx *ctx = sha256_begin();

	sha256_add_tokens(ctx, arr);
	return sha256_end_hex(ctx);
}

PG_FUNCTION_INFO_V1(patsvc_tokens_digest);
Datum
patsvc_tokens_digest(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(tokens_sha256_hex(PG_GETARG_ARRAYTYPE_P(0))));
}

/* ---- enforcement level --------------------------------------------------- */

PG_FUNCTION_INFO_V1(patsvc_enforcement_level);
Datum
patsvc_enforcement_level(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(retention_hooks_installed ? "hardened" : "basic"));
}

/* ---- the destroying flag ------------------------------------------------- */

static Oid	destroying_relid = InvalidOid;
static Oid	destroying_guard_fn = InvalidOid;	/* patsvc.retention_guard_row() during a destruction */

/*
 * The token set _store_tokens() stored for the destruction running in this
 * session: its certificate (_certify) names it, with the number of tokens as
 * its record count.  One per destruction; forgotten when the run ends.
 */
static struct
{
	bool		valid;
	int64		token_set;
	int64		tokens;
	char		sha256[PG_SHA256_DIGEST_LENGTH * 2 + 1];
}			pending_tokens;

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
 * is cleared however the query ends.
 */
static Datum
run_destruction(FunctionCallInfo fcinfo, const char *query, const Oid *argtypes, bool *isnull)
{
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
		pending_tokens.valid = false;
	}
	PG_END_TRY();
	patsvc_spi_finish();
	return result;					/* an int8: by value */
}

PG_FUNCTION_INFO_V1(patsvc_destroy_due);
Datum
patsvc_destroy_due(PG_FUNCTION_ARGS)
{
	static const Oid argtypes[] = {REGCLASSOID, DATEOID, TEXTOID, TEXTOID, TEXTOID, INT4OID, BOOLOID};
	bool		isnull;
	Datum		result;

	if (PG_NARGS() != lengthof(argtypes) || PG_ARGISNULL(0))
		PG_RETURN_NULL();
	/* before any lock: an infinite date would make the cutoff search endless */
	if (!PG_ARGISNULL(1) && DATE_NOT_FINITE(PG_GETARG_DATEADT(1)))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("as_of %s is not a finite date",
						DatumGetCString(DirectFunctionCall1(date_out, PG_GETARG_DATUM(1)))),
				 errhint("Give the date the destruction is run for, normally CURRENT_DATE.")));
	result = run_destruction(fcinfo,
							 "SELECT " PATSVC_SCHEMA "._destroy(tbl => $1, as_of => $2, authorized_by => $3,"
							 " method => $4, witness => $5, batch_size => $6, dry_run => $7)",
							 argtypes, &isnull);
	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(result);
}

PG_FUNCTION_INFO_V1(patsvc_destroy_early);
Datum
patsvc_destroy_early(PG_FUNCTION_ARGS)
{
	static const Oid argtypes[] = {REGCLASSOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID};
	bool		isnull;
	Datum		result;

	if (PG_NARGS() != lengthof(argtypes) || PG_ARGISNULL(0))
		PG_RETURN_NULL();
	result = run_destruction(fcinfo,
							 "SELECT " PATSVC_SCHEMA "._destroy(tbl => $1, early_patient => $2, early_reason => $3,"
							 " authorized_by => $4, method => $5, witness => $6)",
							 argtypes, &isnull);
	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(result);
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

/*
 * The tokens of a certificate are stored in chunks of TOKENS_PER_CHUNK, one
 * row each, small enough to stay in the heap page (no TOAST): drawn, hashed
 * and stored chunk by chunk by one INSERT ... SELECT patsvc._token_chunks().
 */
#define TOKENS_PER_CHUNK 500

typedef struct TokenDraw
{
	bool		active;			/* inside _store_tokens() */
	int64		remaining;		/* tokens still to draw */
	int32		chunk;			/* number of the next chunk */
	pg_cryptohash_ctx *sha;		/* sha256 over every token drawn, in order */
} TokenDraw;

static TokenDraw token_draw = {false, 0, 0, NULL};

static SPIPlanPtr token_set_plan = NULL;
static SPIPlanPtr token_insert_plan = NULL;

/* One array of n fresh random version-4 UUIDs (n >= 1) in the current memory context. */
static ArrayType *
fill_random_tokens(int32 n)
{
	ArrayType  *arr = make_random_tokens(n);

	if (pg_cryptohash_update(token_draw.sha, (const uint8 *) ARR_DATA_PTR(arr), (size_t) n * UUID_LEN) < 0)
		elog(ERROR, "could not compute sha256");
	return arr;
}

/*
 * _token_chunks(): set-returning, one (chunk, tokens) row per call until the
 * tokens _store_tokens() asked for are drawn; refused outside it.
 */
PG_FUNCTION_INFO_V1(patsvc_token_chunks);
Datum
patsvc_token_chunks(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;
	Datum		values[2];
	bool		nulls[2] = {false, false};
	int32		n;

	if (SRF_IS_FIRSTCALL())
	{
		MemoryContext old;
		TupleDesc	desc;

		if (!token_draw.active)
			ereport(ERROR,
					(errcode(ERRCODE_PATSVC_DESTROY_ONLY_THROUGH_PATSVC),
					 errmsg("patsvc._token_chunks() is only used inside patsvc.destroy_due()"),
					 errdetail("It draws the tokens of a certificate of destruction."),
					 errhint("Call patsvc.destroy_due().")));
		funcctx = SRF_FIRSTCALL_INIT();
		old = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
		if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "patsvc_token_chunks: bad call");
		funcctx->tuple_desc = BlessTupleDesc(desc);
		MemoryContextSwitchTo(old);
	}
	funcctx = SRF_PERCALL_SETUP();
	if (!token_draw.active || token_draw.remaining <= 0)
		SRF_RETURN_DONE(funcctx);
	n = (int32) Min(token_draw.remaining, (int64) TOKENS_PER_CHUNK);
	values[0] = Int32GetDatum(token_draw.chunk);
	values[1] = PointerGetDatum(fill_random_tokens(n));
	token_draw.remaining -= n;
	token_draw.chunk++;
	SRF_RETURN_NEXT(funcctx, HeapTupleGetDatum(heap_form_tuple(funcctx->tuple_desc, values, nulls)));
}

/*
 * _store_tokens(n): draws the n random tokens of a certificate, stores them
 * as a new token set in patsvc.destruction_tokens and returns the set's id
 * and the tokens' sha256 (which the certificate's hash covers).
 */
PG_FUNCTION_INFO_V1(patsvc_store_tokens);
Datum
patsvc_store_tokens(PG_FUNCTION_ARGS)
{
	int32		n = PG_GETARG_INT32(0);
	static const Oid types[1] = {INT8OID};
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	char		hex[PG_SHA256_DIGEST_LENGTH * 2 + 1];
	Datum		values[1];
	Datum		result[2];
	bool		nulls[2] = {false, false};
	bool		isnull;
	TupleDesc	desc;

	if (!OidIsValid(destroying_relid) || token_draw.active || pending_tokens.valid)
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_DESTROY_ONLY_THROUGH_PATSVC),
				 errmsg("patsvc._store_tokens() is only used inside patsvc.destroy_due()"),
				 errdetail("It stores the tokens of a certificate of destruction."),
				 errhint("Call patsvc.destroy_due().")));
	if (n < 1 || get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "patsvc_store_tokens: bad call");
	patsvc_spi_connect();
	patsvc_kept_plan(&token_set_plan, "SELECT pg_catalog.nextval('" PATSVC_SCHEMA ".destruction_token_sets_seq')",
					 0, NULL);
	if (SPI_execute_plan(token_set_plan, NULL, NULL, false, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "drawing a token set number failed");
	result[0] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	patsvc_kept_plan(&token_insert_plan,
					 "INSERT INTO " PATSVC_SCHEMA ".destruction_tokens (token_set, chunk, record_tokens)"
					 " SELECT $1, (s.c).chunk, (s.c).tokens FROM (SELECT " PATSVC_SCHEMA "._token_chunks() AS c) s",
					 1, types);
	values[0] = result[0];
	token_draw.sha = pg_cryptohash_create(PG_SHA256);
	if (token_draw.sha == NULL || pg_cryptohash_init(token_draw.sha) < 0)
		elog(ERROR, "could not initialize sha256");
	token_draw.remaining = n;
	token_draw.chunk = 0;
	token_draw.active = true;
	PG_TRY();
	{
		if (ledger_execute(LEDGER_TOKENS, CMD_INSERT, token_insert_plan, values, NULL, 0) != SPI_OK_INSERT ||
			token_draw.remaining != 0)
			elog(ERROR, "storing the tokens of a certificate failed");
		if (pg_cryptohash_final(token_draw.sha, digest, sizeof(digest)) < 0)
			elog(ERROR, "could not compute sha256");
	}
	PG_FINALLY();
	{
		token_draw.active = false;
		pg_cryptohash_free(token_draw.sha);
		token_draw.sha = NULL;
	}
	PG_END_TRY();
	patsvc_spi_finish();
	hex_encode((const char *) digest, sizeof(digest), hex);
	hex[sizeof(hex) - 1] = '\0';
	result[1] = CStringGetTextDatum(hex);
	pending_tokens.token_set = DatumGetInt64(result[0]);
	pending_tokens.tokens = n;
	memcpy(pending_tokens.sha256, hex, sizeof(hex));
	pending_tokens.valid = true;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), result, nulls)));
}

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

	if (PG_NARGS() != 13 || PG_ARGISNULL(0) || !OidIsValid(destroying_relid) ||
		PG_GETARG_OID(0) != destroying_relid || !pending_tokens.valid)
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
	values[4] = Int64GetDatum(pending_tokens.tokens);
	values[14] = Int64GetDatum(pending_tokens.token_set);
	values[15] = CStringGetTextDatum(pending_tokens.sha256);
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
	pending_tokens.valid = false;
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

static SPIPlanPtr token_set_read_plan = NULL;

/*
 * token_set_digest(token_set): the number of tokens of a token set and their
 * sha256, read chunk by chunk in order (what verify_certificates() compares
 * with the certificate) without building the whole array.
 */
PG_FUNCTION_INFO_V1(patsvc_token_set_digest);
Datum
patsvc_token_set_digest(PG_FUNCTION_ARGS)
{
	static const Oid types[1] = {INT8OID};
	Datum		values[1] = {PG_GETARG_DATUM(0)};
	Datum		result[2];
	bool		nulls[2] = {false, false};
	TupleDesc	desc;
	Portal		portal;
	pg_cryptohash_ctx *ctx;
	int64		n = 0;
	uint64		i;
	char	   *hex;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "patsvc_token_set_digest: bad call");
	patsvc_spi_connect();
	patsvc_kept_plan(&token_set_read_plan, "SELECT record_tokens FROM " PATSVC_SCHEMA ".destruction_tokens"
					 " WHERE token_set = $1 ORDER BY chunk", 1, types);
	portal = SPI_cursor_open(NULL, token_set_read_plan, values, NULL, true);
	ctx = sha256_begin();
	for (;;)
	{
		SPI_cursor_fetch(portal, true, 64);
		if (SPI_processed == 0)
			break;
		for (i = 0; i < SPI_processed; i++)
		{
			bool		isnull;
			Datum		d = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);

			if (!isnull)
				n += sha256_add_tokens(ctx, DatumGetArrayTypeP(d));
		}
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);
	hex = sha256_end_hex(ctx);
	patsvc_spi_finish();
	result[0] = Int64GetDatum(n);
	result[1] = CStringGetTextDatum(hex);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), result, nulls)));
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

	/* their facts and holds, as the owner; only patsvc's own SQL runs here */
	patsvc_become_owner(owner, &saved);
	spi_run("SELECT u.c, u.p, a.anchor_date, a.retain_until, a.held"
			"  FROM unnest($2, $3, $4) WITH ORDINALITY AS u(c, p, v, o)"
			"  CROSS JOIN " PATSVC_SCHEMA ".protected_tables t"
			"  JOIN " PATSVC_SCHEMA ".retention_policies pol ON pol.policy_name = t.policy_name"
			"  LEFT JOIN " PATSVC_SCHEMA ".retention_patient_facts f ON f.patient_id = u.p"
			"  CROSS JOIN LATERAL (SELECT"
			"    " PATSVC_SCHEMA ".retention_anchor_date(pol.anchor, pol.majority_age, f.birth_date, f.death_date,"
			"                                           f.last_encounter, u.v) AS anchor_date,"
			"    " PATSVC_SCHEMA ".compute_retain_until(pol.anchor, pol.period, pol.majority_age, pol.minors_until_age,"
			"                                          f.birth_date, f.death_date, f.last_encounter, u.v) AS retain_until,"
			"    (u.p IN (SELECT h.patient_id FROM " PATSVC_SCHEMA ".retention_holds h"
			"              WHERE h.released_at IS NULL AND h.patient_id IS NOT NULL AND (h.relid IS NULL OR h.relid = t.relid))"
			"     OR EXISTS (SELECT 1 FROM " PATSVC_SCHEMA ".retention_holds h"
			"                 WHERE h.released_at IS NULL AND h.patient_id IS NULL AND h.relid = t.relid)) AS held) a"
			" WHERE t.relid = $1 ORDER BY u.o", 4, types, values, NULL);
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

/* ---- guard triggers of protected tables ---------------------------------- */

typedef struct RowStatus
{
	bool		known;			/* false: retain-until cannot be computed */
	DateADT		retain_until;
	bool		held;
	char	   *policy;
} RowStatus;

static SPIPlanPtr status_plan = NULL;

/* Owner of patsvc's retention tables (the extension's owner), found through patsvc's schema. */
Oid
retention_tables_owner(void)
{
	Oid			rel = patsvc_relid("protected_tables");
	HeapTuple	tup;
	Oid			owner;

	if (!OidIsValid(rel))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table %s.protected_tables does not exist", PATSVC_SCHEMA),
				 errhint("Install patsvc with CREATE EXTENSION patsvc.")));
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(rel));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", rel);
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}

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

/* patsvc's ledgers: append-only (append_only_guard) and never truncated (retention_guard_truncate) */
static const char *const append_only_ledgers[] = {
	"destruction_certificates", "destruction_tokens", "retention_events", "protected_tables",
	"retention_archives", NULL
};
static const char *const untruncatable_ledgers[] = {
	"destruction_certificates", "destruction_tokens", "retention_events", "protected_tables",
	"retention_archives", "retention_holds", NULL
};

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
	if (!patsvc_is_own_table(td->tg_relation, untruncatable_ledgers) && !relation_is_protected(td->tg_relation))
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

	patsvc_trigger_bound(fcinfo, "append_only_guard", append_only_ledgers);
	ereport(ERROR,
			(errcode(ERRCODE_PATSVC_PROTECTED_OBJECT),
			 errmsg("table \"%s\" is append-only", RelationGetRelationName(td->tg_relation)),
			 errdetail("Its rows are kept permanently as evidence and cannot be changed or removed."),
			 errhint("Add a new row instead of changing an old one.")));
	return PointerGetDatum(NULL);
}
