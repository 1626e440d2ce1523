/*
 * crypto.c -- cryptographic erase (NIST SP 800-88 "purge"): chosen columns of
 * a protected table are stored as ciphertext under a per-patient key kept in
 * patsvc.patient_keys, a table pg_dump does not dump.  Destroying a patient's
 * last encrypted record destroys the key, and with it every copy of those
 * columns in logical dumps, WAL, archives and replicas made without the key.
 *
 * Ciphertext: 0x01 | IV (16) | AES-256-CBC, PKCS padding (pgcrypto's
 * encrypt_iv, called from its library, so patsvc does not depend on where
 * pgcrypto's SQL functions are installed) | HMAC-SHA256 (32) of everything
 * before it.  A key is 64 random bytes: 32 for AES, 32 for the HMAC.
 *
 * patient_keys takes rows only from this file's functions (a backend-local
 * flag set around their own statements, checked by the trigger _crypto_guard),
 * and encrypted_columns never loses a row: a registration dropped would let
 * keys go while ciphertext of the patient remains.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "common/hmac.h"
#include "common/sha2.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "storage/proc.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "core/core.h"
#include "retention/retention.h"

#define SEAL_VERSION	0x01
#define SEAL_IV_LEN		16
#define SEAL_MAC_LEN	PG_SHA256_DIGEST_LENGTH
#define SEAL_KEY_LEN	64		/* AES-256 key, then HMAC key */

/* set around patsvc's own writes of patient_keys (_crypto_guard lets them through) */
static bool keys_writing = false;

static Oid
keys_relid(void)
{
	Oid			relid = patsvc_relid("patient_keys");

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table %s.patient_keys does not exist", PATSVC_SCHEMA),
				 errhint("Update patsvc with ALTER EXTENSION patsvc UPDATE.")));
	return relid;
}

/* Runs a statement of patsvc's own on patient_keys, as the owner of patsvc's tables, the flag set. */
static int
keys_execute(SPIPlanPtr plan, Datum *values, const char *nulls, bool read_only)
{
	PatsvcSavedUser saved;
	volatile int rc = 0;

	patsvc_become_owner(retention_tables_owner(), &saved);
	keys_writing = !read_only;
	PG_TRY();
	{
		rc = SPI_execute_plan(plan, values, nulls, read_only, 0);
	}
	PG_FINALLY();
	{
		keys_writing = false;
		patsvc_restore_user(&saved);
	}
	PG_END_TRY();
	return rc;
}

/* ---- keys ------------------------------------------------------------------ */

/*
 * Keys remembered for one statement (the client's statement and the command
 * within it), by table, use (seal or unseal) and patient: the checks were
 * made and the key read for that statement, so a statement reads each
 * patient's key once.  The cache is emptied (and the keys zeroed) when the
 * next statement asks, and by every shredding and import.
 */
#define KEY_NAME_LEN	256
#define KEY_CACHE_MAX	50000

typedef struct KeyEntry
{
	char		name[KEY_NAME_LEN];	/* relid/use/patient */
	uint8		key[SEAL_KEY_LEN];
} KeyEntry;

static HTAB *key_cache = NULL;
static LocalTransactionId cached_lxid = InvalidLocalTransactionId;
static CommandId cached_cid = InvalidCommandId;
static TimestampTz cached_stmt = 0;

/* Same transaction, command and client statement as when the cache was filled. */
static bool
cache_current(void)
{
	return cached_lxid == MyProc->lxid && cached_cid == GetCurrentCommandId(false) &&
		cached_stmt == GetCurrentStatementStartTimestamp();
}

static void
cache_stamp(void)
{
	cached_lxid = MyProc->lxid;
	cached_cid = GetCurrentCommandId(false);
	cached_stmt = GetCurrentStatementStartTimestamp();
}

static void
cache_forget(void)
{
	HASH_SEQ_STATUS seq;
	KeyEntry   *e;

	if (key_cache == NULL || hash_get_num_entries(key_cache) == 0)
		return;
	hash_seq_init(&seq, key_cache);
	while ((e = hash_seq_search(&seq)) != NULL)
	{
		explicit_bzero(e->key, SEAL_KEY_LEN);
		hash_search(key_cache, e->name, HASH_REMOVE, NULL);
	}
}

/* The cache's name for the key, or false when the patient id is too long to cache. */
static bool
cache_name(Oid relid, bool sealing, const char *patient, char *name)
{
	return snprintf(name, KEY_NAME_LEN, "%u/%c/%s", relid, sealing ? 's' : 'u', patient) < KEY_NAME_LEN;
}

static bool
cache_find(Oid relid, bool sealing, const char *patient, uint8 *key)
{
	char		name[KEY_NAME_LEN];
	KeyEntry   *e;

	if (!cache_current())
	{
		cache_forget();
		cache_stamp();
		return false;
	}
	if (key_cache == NULL || !cache_name(relid, sealing, patient, name))
		return false;
	e = hash_search(key_cache, name, HASH_FIND, NULL);
	if (e == NULL)
		return false;
	memcpy(key, e->key, SEAL_KEY_LEN);
	return true;
}

static void
cache_set(Oid relid, bool sealing, const char *patient, const uint8 *key)
{
	char		name[KEY_NAME_LEN];
	KeyEntry   *e;

	if (!cache_name(relid, sealing, patient, name))
		return;
	if (key_cache == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = KEY_NAME_LEN;
		ctl.entrysize = sizeof(KeyEntry);
		key_cache = hash_create("patsvc patient keys of a statement", 256, &ctl, HASH_ELEM | HASH_STRINGS);
	}
	if (hash_get_num_entries(key_cache) >= KEY_CACHE_MAX)
		cache_forget();
	/* a key made or read by this statement: the command id may have moved (SPI's INSERT) */
	cache_stamp();
	e = hash_search(key_cache, name, HASH_ENTER, NULL);
	memcpy(e->key, key, SEAL_KEY_LEN);
}

static SPIPlanPtr key_select_plan = NULL;
static SPIPlanPtr key_insert_plan = NULL;

/*
 * The patient's key into key; false when there is none.  read_only: with the
 * statement's snapshot; otherwise with a new one (sees a key just committed).
 */
static bool
key_lookup(text *patient, uint8 *key, bool read_only)
{
	static const Oid types[1] = {TEXTOID};
	Datum		values[1] = {PointerGetDatum(patient)};
	bool		isnull;
	bytea	   *k;

	patsvc_kept_plan(&key_select_plan, "SELECT key FROM " PATSVC_SCHEMA ".patient_keys WHERE patient_id = $1",
					 1, types);
	if (keys_execute(key_select_plan, values, NULL, read_only) != SPI_OK_SELECT)
		elog(ERROR, "patsvc: reading a patient key failed");
	if (SPI_processed == 0)
		return false;
	k = DatumGetByteaPP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (isnull || VARSIZE_ANY_EXHDR(k) != SEAL_KEY_LEN)
		elog(ERROR, "patsvc: a patient key has the wrong length");
	memcpy(key, VARDATA_ANY(k), SEAL_KEY_LEN);
	return true;
}

/* The patient's key, made (64 strong random bytes) when the patient has none. */
static void
key_get_or_create(text *patient, uint8 *key)
{
	static const Oid types[2] = {TEXTOID, BYTEAOID};
	bytea	   *k;
	Datum		values[2];

	if (key_lookup(patient, key, true))
		return;
	k = palloc(VARHDRSZ + SEAL_KEY_LEN);
	SET_VARSIZE(k, VARHDRSZ + SEAL_KEY_LEN);
	if (!pg_strong_random(VARDATA(k), SEAL_KEY_LEN))
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("could not generate a random key")));
	patsvc_kept_plan(&key_insert_plan,
					 "INSERT INTO " PATSVC_SCHEMA ".patient_keys (patient_id, key) VALUES ($1, $2)"
					 " ON CONFLICT (patient_id) DO NOTHING", 2, types);
	values[0] = PointerGetDatum(patient);
	values[1] = PointerGetDatum(k);
	if (keys_execute(key_insert_plan, values, NULL, false) != SPI_OK_INSERT)
		elog(ERROR, "patsvc: storing a patient key failed");
	explicit_bzero(VARDATA(k), SEAL_KEY_LEN);
	if (!key_lookup(patient, key, false))	/* ours, or a concurrent session's that won the race */
		elog(ERROR, "patsvc: the new patient key is not visible");
}

/* ---- the cipher ------------------------------------------------------------ */

static PGFunction
pgcrypto_function(const char *name)
{
	return (PGFunction) load_external_function("$libdir/pgcrypto", name, true, NULL);
}

static void
mac(const uint8 *key, const uint8 *data, size_t len, uint8 *out)
{
	pg_hmac_ctx *ctx = pg_hmac_create(PG_SHA256);

	if (ctx == NULL || pg_hmac_init(ctx, key + 32, 32) < 0 || pg_hmac_update(ctx, data, len) < 0 ||
		pg_hmac_final(ctx, out, SEAL_MAC_LEN) < 0)
		elog(ERROR, "patsvc: HMAC-SHA256 failed");
	pg_hmac_free(ctx);
}

static bytea *
bytes(const uint8 *p, int len)
{
	bytea	   *b = palloc(VARHDRSZ + len);

	SET_VARSIZE(b, VARHDRSZ + len);
	memcpy(VARDATA(b), p, len);
	return b;
}

static bytea *
encrypt(const uint8 *key, bytea *plain)
{
	static PGFunction encrypt_iv = NULL;
	uint8		iv[SEAL_IV_LEN];
	bytea	   *ct;
	bytea	   *out;
	int			n;

	if (encrypt_iv == NULL)
		encrypt_iv = pgcrypto_function("pg_encrypt_iv");
	if (!pg_strong_random(iv, SEAL_IV_LEN))
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("could not generate a random IV")));
	ct = DatumGetByteaPP(DirectFunctionCall4(encrypt_iv, PointerGetDatum(plain),
											 PointerGetDatum(bytes(key, 32)), PointerGetDatum(bytes(iv, SEAL_IV_LEN)),
											 CStringGetTextDatum("aes-cbc/pad:pkcs")));
	n = 1 + SEAL_IV_LEN + VARSIZE_ANY_EXHDR(ct);
	out = palloc(VARHDRSZ + n + SEAL_MAC_LEN);
	SET_VARSIZE(out, VARHDRSZ + n + SEAL_MAC_LEN);
	VARDATA(out)[0] = SEAL_VERSION;
	memcpy(VARDATA(out) + 1, iv, SEAL_IV_LEN);
	memcpy(VARDATA(out) + 1 + SEAL_IV_LEN, VARDATA_ANY(ct), VARSIZE_ANY_EXHDR(ct));
	mac(key, (uint8 *) VARDATA(out), n, (uint8 *) VARDATA(out) + n);
	return out;
}

static void
refuse_ciphertext(const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_PATSVC_CIPHERTEXT_INVALID),
			 errmsg("value is not patsvc ciphertext of this patient"),
			 errdetail("%s", why),
			 errhint("Pass the column value patsvc.seal() wrote for this patient, unchanged.")));
}

/* sealed is patsvc ciphertext under key (format byte, length and authentication code). */
static bool
sealed_with(const uint8 *key, bytea *sealed)
{
	const uint8 *p = (const uint8 *) VARDATA_ANY(sealed);
	int			n = VARSIZE_ANY_EXHDR(sealed) - SEAL_MAC_LEN;
	uint8		tag[SEAL_MAC_LEN];

	if (n < 1 + SEAL_IV_LEN + 16 || p[0] != SEAL_VERSION)
		return false;
	mac(key, p, n, tag);
	return timingsafe_bcmp(tag, p + n, SEAL_MAC_LEN) == 0;
}

static bytea *
decrypt(const uint8 *key, bytea *sealed)
{
	static PGFunction decrypt_iv = NULL;
	const uint8 *p = (const uint8 *) VARDATA_ANY(sealed);
	int			len = VARSIZE_ANY_EXHDR(sealed);
	int			n = len - SEAL_MAC_LEN;
	uint8		tag[SEAL_MAC_LEN];

	if (n < 1 + SEAL_IV_LEN + 16 || p[0] != SEAL_VERSION)
		refuse_ciphertext("It is too short or does not start with patsvc's format byte.");
	mac(key, p, n, tag);
	if (timingsafe_bcmp(tag, p + n, SEAL_MAC_LEN) != 0)
		refuse_ciphertext("Its authentication code does not match: it was altered, or sealed with another patient's key.");
	if (decrypt_iv == NULL)
		decrypt_iv = pgcrypto_function("pg_decrypt_iv");
	return DatumGetByteaPP(DirectFunctionCall4(decrypt_iv, PointerGetDatum(bytes(p + 1 + SEAL_IV_LEN, n - 1 - SEAL_IV_LEN)),
											   PointerGetDatum(bytes(key, 32)), PointerGetDatum(bytes(p + 1, SEAL_IV_LEN)),
											   CStringGetTextDatum("aes-cbc/pad:pkcs")));
}

/* ---- seal and unseal ------------------------------------------------------- */

static SPIPlanPtr encrypted_plan = NULL;

/* tbl has encrypted columns (PS324 otherwise); the caller holds mode on it. */
static void
require_encrypted(Oid relid, AclMode mode, const char *privilege, const char *fn)
{
	static const Oid types[1] = {OIDOID};
	Datum		values[1] = {ObjectIdGetDatum(relid)};

	patsvc_require_table_privilege(relid, mode, privilege, fn,
								   "Grant the privilege on the table to the role that reads or writes its encrypted columns.");
	patsvc_kept_plan(&encrypted_plan, "SELECT 1 FROM " PATSVC_SCHEMA ".encrypted_columns WHERE relid = $1 LIMIT 1",
					 1, types);
	if (SPI_execute_plan(encrypted_plan, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "patsvc: reading encrypted_columns failed");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_NOT_ENCRYPTED),
				 errmsg("table \"%s\" has no encrypted columns", get_rel_name(relid) ? get_rel_name(relid) : "?"),
				 errdetail("patsvc.%s() works on the columns registered with patsvc.encrypt_columns().", fn),
				 errhint("Register the columns first: SELECT patsvc.encrypt_columns(table, ARRAY['column']).")));
}

/*
 * seal(tbl, patient_id, plaintext text) RETURNS bytea: the ciphertext of
 * plaintext under the patient's key (made on first use).  Needs INSERT or
 * UPDATE on tbl.  Holds ROW SHARE on patient_keys until the transaction ends,
 * so a cryptographic erase (EXCLUSIVE) waits for the rows this transaction
 * writes with the key.
 */
PG_FUNCTION_INFO_V1(patsvc_seal);
Datum
patsvc_seal(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	text	   *patient = PG_GETARG_TEXT_PP(1);
	char	   *p = text_to_cstring(patient);
	uint8		key[SEAL_KEY_LEN];
	bytea	   *out;

	if (!cache_find(relid, true, p, key))
	{
		patsvc_spi_connect();
		if (pg_class_aclcheck(relid, GetOuterUserId(), ACL_UPDATE) == ACLCHECK_OK)
			require_encrypted(relid, ACL_UPDATE, "UPDATE", "seal");
		else
			require_encrypted(relid, ACL_INSERT, "INSERT", "seal");
		LockRelationOid(keys_relid(), RowShareLock);
		key_get_or_create(patient, key);
		patsvc_spi_finish();
		cache_set(relid, true, p, key);
	}
	out = encrypt(key, (bytea *) PG_GETARG_TEXT_PP(2));
	explicit_bzero(key, SEAL_KEY_LEN);
	PG_RETURN_BYTEA_P(out);
}

/*
 * unseal(tbl, patient_id, ciphertext) RETURNS text: the plaintext; PS321 when
 * the patient's key is gone, PS322 when the value is not the patient's
 * ciphertext.  Needs SELECT on tbl.
 */
PG_FUNCTION_INFO_V1(patsvc_unseal);
Datum
patsvc_unseal(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	text	   *patient = PG_GETARG_TEXT_PP(1);
	char	   *p = text_to_cstring(patient);
	uint8		key[SEAL_KEY_LEN];
	bytea	   *plain;

	if (!cache_find(relid, false, p, key))
	{
		bool		found;

		patsvc_spi_connect();
		require_encrypted(relid, ACL_SELECT, "SELECT", "unseal");
		found = key_lookup(patient, key, true);
		patsvc_spi_finish();
		if (!found)
			ereport(ERROR,
					(errcode(ERRCODE_PATSVC_KEY_SHREDDED),
					 errmsg("the encrypted columns of this patient cannot be read: the patient's key is gone"),
					 errdetail("The key was destroyed with the patient's last encrypted record (cryptographic erase) or by patsvc.shred_patient(), or was never imported into this database."),
					 errhint("If this database was restored, import the current key vault with patsvc.import_patient_keys(); a shredded key is gone for good.")));
		cache_set(relid, false, p, key);
	}
	plain = decrypt(key, PG_GETARG_BYTEA_PP(2));
	explicit_bzero(key, SEAL_KEY_LEN);
	pg_verify_mbstr(GetDatabaseEncoding(), VARDATA_ANY(plain), VARSIZE_ANY_EXHDR(plain), false);
	PG_RETURN_TEXT_P((text *) plain);
}

/* ---- shredding ------------------------------------------------------------- */

/*
 * The condition "no record of patient k.patient_id remains in any table with
 * encrypted columns": one NOT EXISTS per table (identifiers only).
 */
static char *
no_record_condition(void)
{
	StringInfoData sql;

	initStringInfo(&sql);
	appendStringInfoString(&sql, "true");
	if (SPI_execute("SELECT DISTINCT p.relid::oid, p.patient_column FROM " PATSVC_SCHEMA ".protected_tables p"
					" JOIN " PATSVC_SCHEMA ".encrypted_columns e ON e.relid = p.relid ORDER BY 1",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "patsvc: reading encrypted tables failed");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Oid			relid = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
		char	   *col = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);

		appendStringInfo(&sql, " AND NOT EXISTS (SELECT 1 FROM %s x WHERE x.%s::text OPERATOR(pg_catalog.=) k.patient_id)",
						 retention_qualified_name(relid), quote_identifier(col));
	}
	return sql.data;
}

#define ACTIVE_HOLD \
	"EXISTS (SELECT 1 FROM " PATSVC_SCHEMA ".retention_holds h WHERE h.released_at IS NULL" \
	" AND h.patient_id OPERATOR(pg_catalog.=) k.patient_id)"

/* EXCLUSIVE on patient_keys: waits for every transaction that sealed with a key; refuses a snapshot older than that. */
static void
lock_keys_for_shredding(void)
{
	if (IsolationUsesXactSnapshot())
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_SHRED_REFUSED),
				 errmsg("cryptographic erase runs at READ COMMITTED only"),
				 errdetail("At %s the transaction's snapshot cannot see records written with a patient's key after it began.",
						   IsolationIsSerializable() ? "SERIALIZABLE" : "REPEATABLE READ"),
				 errhint("Run the destruction or patsvc.shred_patient() at READ COMMITTED.")));
	LockRelationOid(keys_relid(), ExclusiveLock);
	cache_forget();
}

/*
 * _shred_keys(tbl) RETURNS bigint: inside destroy_due()/destroy_early() of a
 * table with encrypted columns: deletes the key of every patient with no
 * record left in any table with encrypted columns and no active hold, logs
 * it, and returns how many keys went (the certificate states it).
 */
PG_FUNCTION_INFO_V1(patsvc_shred_keys);
Datum
patsvc_shred_keys(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	SPIPlanPtr	plan;
	int64		n;

	if (!retention_destroying(relid) || retention_destroy_relid() != relid)
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_DESTROY_ONLY_THROUGH_PATSVC),
				 errmsg("patsvc._shred_keys() is only used inside patsvc.destroy_due()"),
				 errdetail("It destroys the keys of patients whose last encrypted record the destruction removed."),
				 errhint("Call patsvc.destroy_due(), or patsvc.shred_patient() for one patient without records.")));
	patsvc_spi_connect();
	if (SPI_execute("SELECT 1 FROM " PATSVC_SCHEMA ".encrypted_columns LIMIT 1", true, 1) != SPI_OK_SELECT)
		elog(ERROR, "patsvc: reading encrypted_columns failed");
	if (SPI_processed == 0)
	{
		patsvc_spi_finish();
		PG_RETURN_INT64(0);
	}
	lock_keys_for_shredding();
	plan = SPI_prepare(psprintf("DELETE FROM " PATSVC_SCHEMA ".patient_keys k WHERE NOT " ACTIVE_HOLD " AND %s",
								no_record_condition()), 0, NULL);
	if (plan == NULL)
		elog(ERROR, "patsvc: preparing the cryptographic erase failed");
	if (keys_execute(plan, NULL, NULL, false) != SPI_OK_DELETE)
		elog(ERROR, "patsvc: the cryptographic erase failed");
	n = (int64) SPI_processed;
	if (n > 0)
		ledger_log("patient keys shredded", retention_qualified_name(relid), false, 0,
				   psprintf(INT64_FORMAT " patient key(s) destroyed with the last encrypted records (cryptographic erase)", n));
	patsvc_spi_finish();
	PG_RETURN_INT64(n);
}

/*
 * shred_patient(patient_id, reason) RETURNS boolean: destroys the key of a
 * patient who has no record left in any table with encrypted columns and no
 * active hold (PS323 otherwise); false when the patient has no key.  Logged,
 * without the patient id (the event log keeps no identifiers of destroyed
 * patients).
 */
PG_FUNCTION_INFO_V1(patsvc_shred_patient);
Datum
patsvc_shred_patient(PG_FUNCTION_ARGS)
{
	static const Oid types[1] = {TEXTOID};
	text	   *patient = PG_ARGISNULL(0) ? NULL : PG_GETARG_TEXT_PP(0);
	text	   *reason = PG_ARGISNULL(1) ? NULL : PG_GETARG_TEXT_PP(1);
	Datum		values[1];
	SPIPlanPtr	plan;
	bool		isnull;
	char	   *why;

	if (patient == NULL || reason == NULL || VARSIZE_ANY_EXHDR(reason) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("shredding a patient's key needs the patient and a reason"),
				 errhint("Say why the key goes (e.g. the records were destroyed on paper too).")));
	values[0] = PointerGetDatum(patient);
	patsvc_spi_connect();
	lock_keys_for_shredding();
	plan = SPI_prepare(psprintf("SELECT CASE WHEN " ACTIVE_HOLD " THEN 'a hold names the patient'"
								" WHEN NOT (%s) THEN 'a record of the patient remains in a table with encrypted columns' END"
								" FROM (SELECT $1::text AS patient_id) k", no_record_condition()), 1, (Oid *) types);
	if (plan == NULL || keys_execute(plan, values, NULL, true) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "patsvc: checking the patient failed");
	why = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	if (why != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_SHRED_REFUSED),
				 errmsg("cannot shred the patient's key: %s", why),
				 errdetail("A key goes only when nothing encrypted with it is still kept."),
				 errhint("Destroy the records with patsvc.destroy_due() when they are due (it shreds the key itself), or release the hold first.")));
	plan = SPI_prepare("DELETE FROM " PATSVC_SCHEMA ".patient_keys WHERE patient_id = $1", 1, (Oid *) types);
	if (plan == NULL || keys_execute(plan, values, NULL, false) != SPI_OK_DELETE)
		elog(ERROR, "patsvc: shredding the key failed");
	isnull = SPI_processed == 0;
	if (!isnull)
		ledger_log("patient key shredded", NULL, false, 0, text_to_cstring(reason));
	patsvc_spi_finish();
	PG_RETURN_BOOL(!isnull);
}

/*
 * import_patient_keys(vault bytea) RETURNS bigint: adds the keys of a vault
 * that export_patient_keys() wrote and that this database lacks (a key it
 * has is kept as it is); returns how many were added.
 */
PG_FUNCTION_INFO_V1(patsvc_import_patient_keys);
Datum
patsvc_import_patient_keys(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan = NULL;
	static const Oid types[1] = {BYTEAOID};
	Datum		values[1] = {PG_GETARG_DATUM(0)};
	int64		n;

	patsvc_spi_connect();
	patsvc_kept_plan(&plan,
					 "INSERT INTO " PATSVC_SCHEMA ".patient_keys (patient_id, key, created_at)"
					 " SELECT e OPERATOR(pg_catalog.->>) 'patient_id', pg_catalog.decode(e OPERATOR(pg_catalog.->>) 'key', 'hex'),"
					 "        (e OPERATOR(pg_catalog.->>) 'created_at')::timestamptz"
					 "   FROM pg_catalog.jsonb_array_elements(pg_catalog.convert_from($1, 'UTF8')::jsonb) e"
					 " ON CONFLICT (patient_id) DO NOTHING", 1, types);
	if (keys_execute(plan, values, NULL, false) != SPI_OK_INSERT)
		elog(ERROR, "patsvc: importing keys failed");
	n = (int64) SPI_processed;
	ledger_log("patient keys imported", NULL, false, 0, psprintf(INT64_FORMAT " key(s) imported", n));
	patsvc_spi_finish();
	cache_forget();
	PG_RETURN_INT64(n);
}

/* ---- the guard of patient_keys and encrypted_columns ----------------------- */

/*
 * BEFORE row (INSERT, UPDATE, DELETE) and BEFORE TRUNCATE, ENABLE ALWAYS:
 * patient_keys takes and loses rows only through patsvc's functions;
 * encrypted_columns is append-only; neither is ever truncated.
 */
PG_FUNCTION_INFO_V1(patsvc_crypto_guard);
Datum
patsvc_crypto_guard(PG_FUNCTION_ARGS)
{
	static const char *const tables[] = {"patient_keys", "encrypted_columns", NULL};
	TriggerData *td = (TriggerData *) fcinfo->context;
	bool		keys;

	patsvc_trigger_bound(fcinfo, "_crypto_guard", tables);
	keys = strcmp(RelationGetRelationName(td->tg_relation), "patient_keys") == 0;
	if (TRIGGER_FIRED_FOR_ROW(td->tg_event) && TRIGGER_FIRED_BEFORE(td->tg_event))
	{
		if (keys && keys_writing && !TRIGGER_FIRED_BY_UPDATE(td->tg_event))
			return PointerGetDatum(td->tg_trigtuple);
		if (!keys && TRIGGER_FIRED_BY_INSERT(td->tg_event))
			return PointerGetDatum(td->tg_trigtuple);
	}
	ereport(ERROR,
			(errcode(ERRCODE_PATSVC_PROTECTED_OBJECT),
			 errmsg("cannot change \"%s\" directly", RelationGetRelationName(td->tg_relation)),
			 errdetail(keys ? "Patient keys are made by patsvc.seal(), destroyed by the cryptographic erase of patsvc.destroy_due() and patsvc.shred_patient(), and restored by patsvc.import_patient_keys() alone."
					   : "A registration of encrypted columns is never changed or removed: the keys of the patients whose values it covers would otherwise go too early."),
			 errhint("Use patsvc's functions.")));
	PG_RETURN_NULL();			/* not reached */
}

/* ---- merged patients ------------------------------------------------------- */

/*
 * Re-seals, under the survivor's key, the values of the encrypted columns of
 * the survivor's rows that are still the duplicate's ciphertext (the merge
 * moved them); returns how many.  As the owner of patsvc's tables.
 */
static int64
rekey_rows(const char *duplicate, const char *survivor)
{
	static const Oid one_text[1] = {TEXTOID};
	static const Oid update_types[2] = {BYTEAOID, TIDOID};
	uint8		dkey[SEAL_KEY_LEN];
	uint8		skey[SEAL_KEY_LEN];
	SPITupleTable *cols;
	uint64		ncols;
	int64		n = 0;

	if (!key_lookup(cstring_to_text(duplicate), dkey, false))
		return 0;				/* nothing was sealed for the duplicate */
	LockRelationOid(keys_relid(), RowShareLock);
	key_get_or_create(cstring_to_text(survivor), skey);
	if (SPI_execute("SELECT p.relid::oid, p.patient_column, e.column_name FROM " PATSVC_SCHEMA ".protected_tables p"
					" JOIN " PATSVC_SCHEMA ".encrypted_columns e ON e.relid = p.relid ORDER BY 1, 3",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "patsvc: reading encrypted columns failed");
	cols = SPI_tuptable;
	ncols = SPI_processed;
	for (uint64 c = 0; c < ncols; c++)
	{
		bool		isnull;
		char	   *rel = retention_qualified_name(DatumGetObjectId(SPI_getbinval(cols->vals[c], cols->tupdesc, 1, &isnull)));
		const char *pcol = quote_identifier(SPI_getvalue(cols->vals[c], cols->tupdesc, 2));
		const char *col = quote_identifier(SPI_getvalue(cols->vals[c], cols->tupdesc, 3));
		SPIPlanPtr	sel = SPI_prepare(psprintf("SELECT t.ctid, t.%s FROM %s t WHERE t.%s::text OPERATOR(pg_catalog.=) $1"
											   " AND t.%s IS NOT NULL", col, rel, pcol, col), 1, (Oid *) one_text);
		SPIPlanPtr	upd = SPI_prepare(psprintf("UPDATE %s t SET %s = $1 WHERE t.ctid OPERATOR(pg_catalog.=) $2", rel, col),
									  2, (Oid *) update_types);
		Datum		args[2];
		SPITupleTable *rows;
		uint64		nrows;

		if (sel == NULL || upd == NULL)
			elog(ERROR, "patsvc: preparing the re-sealing of %s failed", rel);
		args[0] = CStringGetTextDatum(survivor);
		if (SPI_execute_plan(sel, args, NULL, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "patsvc: reading %s failed", rel);
		rows = SPI_tuptable;
		nrows = SPI_processed;
		for (uint64 r = 0; r < nrows; r++)
		{
			bytea	   *v = DatumGetByteaPP(SPI_getbinval(rows->vals[r], rows->tupdesc, 2, &isnull));

			if (!sealed_with(dkey, v))
				continue;
			args[0] = PointerGetDatum(encrypt(skey, decrypt(dkey, v)));
			args[1] = SPI_getbinval(rows->vals[r], rows->tupdesc, 1, &isnull);
			if (SPI_execute_plan(upd, args, NULL, false, 0) != SPI_OK_UPDATE || SPI_processed != 1)
				elog(ERROR, "patsvc: re-sealing a value of %s failed", rel);
			n++;
		}
	}
	explicit_bzero(dkey, SEAL_KEY_LEN);
	explicit_bzero(skey, SEAL_KEY_LEN);
	return n;
}

/*
 * AFTER UPDATE OF merged_into ON patients, when a patient is merged: the
 * merge moved the duplicate's rows to the survivor, so their encrypted
 * values are re-sealed under the survivor's key (the survivor's unseal()
 * reads them, and the duplicate's key, now used by nothing, goes at the next
 * cryptographic erase).  Logged with the number of values.
 */
PG_FUNCTION_INFO_V1(patsvc_crypto_merge_rekey);
Datum
patsvc_crypto_merge_rekey(PG_FUNCTION_ARGS)
{
	static const char *const tables[] = {"patients", NULL};
	TriggerData *td = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	bool		isnull_id,
				isnull_into;
	Datum		id,
				into;
	PatsvcSavedUser saved;
	int64		n;

	patsvc_trigger_bound(fcinfo, "_crypto_merge_rekey", tables);
	if (!TRIGGER_FIRED_AFTER(td->tg_event) || !TRIGGER_FIRED_FOR_ROW(td->tg_event) ||
		!TRIGGER_FIRED_BY_UPDATE(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s._crypto_merge_rekey() must be an AFTER UPDATE row trigger", PATSVC_SCHEMA),
				 errhint("Use it only in the trigger patsvc's install script creates.")));
	desc = RelationGetDescr(td->tg_relation);
	id = heap_getattr(td->tg_newtuple, SPI_fnumber(desc, "id"), desc, &isnull_id);
	into = heap_getattr(td->tg_newtuple, SPI_fnumber(desc, "merged_into"), desc, &isnull_into);
	if (isnull_id || isnull_into)
		return PointerGetDatum(NULL);
	patsvc_spi_connect();
	patsvc_become_owner(retention_tables_owner(), &saved);
	n = rekey_rows(psprintf(INT64_FORMAT, DatumGetInt64(id)), psprintf(INT64_FORMAT, DatumGetInt64(into)));
	patsvc_restore_user(&saved);
	if (n > 0)
		ledger_log("encrypted values re-sealed", NULL, false, 0,
				   psprintf(INT64_FORMAT " value(s) of a merged patient re-sealed under the surviving patient's key", n));
	patsvc_spi_finish();
	cache_forget();
	return PointerGetDatum(NULL);
}
