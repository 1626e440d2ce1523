/*
 * tokens.c -- the random per-record tokens of certificates of destruction:
 * drawn from the strong random source (random_tokens, _token_chunks),
 * stored as a token set by _store_tokens() inside a destruction, hashed
 * (tokens_digest, token_set_digest: sha256 of their 16-byte values).  The
 * set stored last is pending until the run's certificate names it
 * (certificates.c).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/uuid.h"

#include "core/core.h"
#include "retention/retention.h"

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

/* ---- the token set of the destruction running in this session ------------ */

static PendingTokens pending_tokens;

const PendingTokens *
retention_pending_tokens(void)
{
	return &pending_tokens;
}

void
retention_forget_tokens(void)
{
	pending_tokens.valid = false;
}

/* ---- drawing and storing a token set --------------------------------------- */

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

	if (!OidIsValid(retention_destroy_relid()) || token_draw.active || pending_tokens.valid)
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
