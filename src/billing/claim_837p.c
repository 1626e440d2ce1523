/*
 * claim_837p.c -- patsvc.claim_837p(): final encounters as an X12
 * 005010X222A1 837P interchange.
 *
 * The caller's rights apply throughout (SECURITY INVOKER, SPI as the
 * caller).  Per call:
 *   1. the arguments are checked (22023);
 *   2. the encounters are read once, locked FOR UPDATE in production mode
 *      (usage P), and refused unless every one exists (PS607) and is final
 *      (submitted too when resending) (PS640);
 *   3. claim_headers() and claim_lines() are read in one query each (every
 *      claim field is derived there, in SQL, once: claim_json() shows the
 *      same), both ordered by billing NPI and encounter, and merged;
 *   4. the interchange is written: ISA/GS, then one ST per billing provider
 *      and per 5,000 claims (the implementation guide's recommended limit),
 *      with the 2000A-2400 loops; SE/GE/IEA with their counts;
 *   5. in production mode the encounters become submitted.
 * Claim data a payer needs that is missing is refused before anything is
 * written (PS641-PS644, naming the encounter and what is missing).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "core/core.h"
#include "billing/billing.h"
#include "billing/x12_writer.h"

PG_FUNCTION_INFO_V1(patsvc_claim_837p);

#define CLAIM_VERSION "005010X222A1"
#define CLAIMS_PER_ST 5000

typedef struct ClaimEnvelope
{
	const char *sender_id;
	const char *sender_name;
	const char *receiver_id;
	const char *receiver_name;
	const char *contact_name;
	const char *contact_phone;
	char		usage;			/* T or P */
	bool		resend;
	int64		control;
	const char *date6;
	const char *date8;
	const char *time4;
} ClaimEnvelope;

/* ---- arguments -------------------------------------------------------------- */

static void
refuse_argument(const char *what, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("claim_837p: %s", what),
			 errhint("%s", hint)));
}

static const char *
required_text(FunctionCallInfo fcinfo, int arg, const char *name, int maxlen)
{
	char	   *s;

	if (PG_ARGISNULL(arg))
		refuse_argument(psprintf("%s is missing", name), "Pass every argument of the interchange envelope.");
	s = text_to_cstring(PG_GETARG_TEXT_PP(arg));
	if (s[0] == '\0' || strspn(s, " ") == strlen(s))
		refuse_argument(psprintf("%s is empty", name), "Pass every argument of the interchange envelope.");
	if ((int) strlen(s) > maxlen)
		refuse_argument(psprintf("%s is longer than %d characters", name, maxlen),
						psprintf("X12 allows %s at most %d characters.", name, maxlen));
	return s;
}

static void
read_envelope_arguments(FunctionCallInfo fcinfo, ClaimEnvelope *env)
{
	const char *usage;

	env->sender_id = required_text(fcinfo, 1, "sender_id", 15);
	env->sender_name = required_text(fcinfo, 2, "sender_name", 60);
	env->receiver_id = required_text(fcinfo, 3, "receiver_id", 15);
	env->receiver_name = required_text(fcinfo, 4, "receiver_name", 60);
	env->contact_name = required_text(fcinfo, 5, "contact_name", 60);
	env->contact_phone = required_text(fcinfo, 6, "contact_phone", 10);
	if (strlen(env->contact_phone) != 10 || strspn(env->contact_phone, "0123456789") != 10)
		refuse_argument("contact_phone is not a 10-digit telephone number",
						"Give the area code and number as 10 digits, e.g. 8015551234.");
	usage = PG_ARGISNULL(7) ? "" : text_to_cstring(PG_GETARG_TEXT_PP(7));
	if (strcmp(usage, "T") != 0 && strcmp(usage, "P") != 0)
		refuse_argument(psprintf("usage_indicator \"%s\" is neither T nor P", usage),
						"Pass T for a test interchange (nothing is marked submitted) or P for production.");
	env->usage = usage[0];
	if (!PG_ARGISNULL(8) && TIMESTAMP_NOT_FINITE(PG_GETARG_TIMESTAMPTZ(8)))
		refuse_argument("created_at is infinite",
						"Pass the time the interchange is created, or NULL for now.");
	env->resend = !PG_ARGISNULL(9) && PG_GETARG_BOOL(9);
}

/* The encounter ids: at least one, no NULL, no id twice. */
static ArrayType *
read_encounter_ids(FunctionCallInfo fcinfo, int *n)
{
	ArrayType  *a;
	Datum	   *values;
	bool	   *nulls;
	int64	   *ids;
	int			i;

	if (PG_ARGISNULL(0))
		refuse_argument("encounters is missing", "Pass an array of encounter ids.");
	a = PG_GETARG_ARRAYTYPE_P(0);
	deconstruct_array(a, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &values, &nulls, n);
	if (*n == 0)
		refuse_argument("encounters is empty", "Pass the ids of the final encounters to claim.");
	ids = palloc(sizeof(int64) * *n);
	for (i = 0; i < *n; i++)
	{
		if (nulls[i])
			refuse_argument("encounters holds a NULL", "Pass encounter ids only.");
		ids[i] = DatumGetInt64(values[i]);
	}
	if (patsvc_sort_distinct(ids, *n) != *n)
		refuse_argument("encounters lists an encounter twice", "Pass each encounter once: a claim is sent once per file.");
	return a;
}

/* ---- status and locks --------------------------------------------------------- */

static SPIPlanPtr status_plan = NULL;
static SPIPlanPtr status_lock_plan = NULL;
static SPIPlanPtr stamp_plan = NULL;
static SPIPlanPtr headers_plan = NULL;
static SPIPlanPtr lines_plan = NULL;
static SPIPlanPtr submit_plan = NULL;

static void
refuse_status(int64 id, const char *status, const ClaimEnvelope *env)
{
	if (strcmp(status, "draft") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_ENCOUNTER_NOT_CLAIMABLE),
				 errmsg("encounter %lld is a draft: only final encounters are claimed", (long long) id),
				 errhint("Finalize it first: SELECT patsvc.finalize_encounter(%lld);", (long long) id)));
	if (strcmp(status, "submitted") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_ENCOUNTER_NOT_CLAIMABLE),
				 errmsg("encounter %lld was submitted already", (long long) id),
				 errhint("Pass resend => true to send a submitted claim again.")));
	ereport(ERROR,
			(errcode(ERRCODE_PATSVC_ENCOUNTER_NOT_CLAIMABLE),
			 errmsg("encounter %lld is %s: only final encounters are claimed", (long long) id, status),
			 errhint("A paid, denied or void encounter is not sent again.")));
}

/*
 * Reads the encounters' status (locking them FOR UPDATE in production mode,
 * so two clerks cannot submit one claim twice), refuses an unknown one
 * (PS607) and one not final (PS640; submitted passes when resending).
 */
static void
check_encounters(ArrayType *ids, int n, const ClaimEnvelope *env)
{
	static const Oid types[1] = {INT8ARRAYOID};
	Datum		arg[1] = {PointerGetDatum(ids)};
	bool		lock = (env->usage == 'P');
	int			rc;
	int64	   *wanted;
	Datum	   *values;
	bool	   *nulls;
	int			i;

	rc = SPI_execute_plan(lock
						  ? patsvc_kept_plan(&status_lock_plan,
											 "SELECT e.id, e.status FROM " PATSVC_SCHEMA ".encounters e"
											 " WHERE e.id = ANY ($1) ORDER BY e.id FOR UPDATE", 1, types)
						  : patsvc_kept_plan(&status_plan,
											 "SELECT e.id, e.status FROM " PATSVC_SCHEMA ".encounters e"
											 " WHERE e.id = ANY ($1) ORDER BY e.id", 1, types),
						  arg, NULL, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "claim_837p: reading the encounters failed: %s", SPI_result_code_string(rc));
	deconstruct_array(ids, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &values, &nulls, &n);
	wanted = palloc(sizeof(int64) * n);
	for (i = 0; i < n; i++)
		wanted[i] = DatumGetInt64(values[i]);
	qsort(wanted, n, sizeof(int64), patsvc_cmp_int64);
	for (i = 0; i < n; i++)
	{
		bool		isnull;
		int64		id = i < (int) SPI_processed
			? DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull)) : -1;
		char	   *status;

		if (id != wanted[i])
			unknown_encounter_error(&wanted[i]);
		status = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);
		if (strcmp(status, "final") == 0 || (env->resend && strcmp(status, "submitted") == 0))
			continue;
		refuse_status(id, status, env);
	}
}

/* The interchange control number (ISA13, GS06) and its date and time. */
static void
stamp_interchange(FunctionCallInfo fcinfo, ClaimEnvelope *env)
{
	static const Oid types[1] = {TIMESTAMPTZOID};
	Datum		arg[1] = {PG_ARGISNULL(8) ? (Datum) 0 : PG_GETARG_DATUM(8)};
	char		nulls[1] = {PG_ARGISNULL(8) ? 'n' : ' '};
	HeapTuple	t;
	TupleDesc	d;
	bool		isnull;
	int			rc;

	rc = SPI_execute_plan(patsvc_kept_plan(&stamp_plan,
										   "SELECT pg_catalog.nextval('" PATSVC_SCHEMA ".claim_interchange_control'),"
										   " pg_catalog.to_char(t, 'YYMMDD'), pg_catalog.to_char(t, 'YYYYMMDD'),"
										   " pg_catalog.to_char(t, 'HH24MI')"
										   " FROM (SELECT coalesce($1, pg_catalog.now()) AS t) s", 1, types),
						  arg, nulls, false, 1);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "claim_837p: the interchange control number could not be read");
	t = SPI_tuptable->vals[0];
	d = SPI_tuptable->tupdesc;
	env->control = DatumGetInt64(SPI_getbinval(t, d, 1, &isnull));
	env->date6 = SPI_getvalue(t, d, 2);
	env->date8 = SPI_getvalue(t, d, 3);
	env->time4 = SPI_getvalue(t, d, 4);
}

/* ---- the claim rows ------------------------------------------------------------ */

/*
 * The columns read from claim_headers() and claim_lines(), each once:
 * the enum gives its position (SPI's 1-based number, after the leading
 * placeholder column), the SQL the expression.  Dates come as CCYYMMDD and
 * arrays as space-separated text, whatever the session's DateStyle.
 */
#define HEADER_COLUMNS(X) \
	X(H_ENCOUNTER, "h.encounter_id") X(H_BILLING_NPI, "h.billing_npi") \
	X(H_BILLING_ENTITY, "h.billing_entity") X(H_BILLING_NAME, "h.billing_name") \
	X(H_BILLING_GIVEN, "h.billing_given") X(H_BILLING_TAXONOMY, "h.billing_taxonomy") \
	X(H_BILLING_TAX_ID, "h.billing_tax_id") X(H_BILLING_ADDRESS1, "h.billing_address1") \
	X(H_BILLING_ADDRESS2, "h.billing_address2") X(H_BILLING_CITY, "h.billing_city") \
	X(H_BILLING_STATE, "h.billing_state") X(H_BILLING_ZIP, "h.billing_zip") \
	X(H_PAYER_ID, "h.payer_id") X(H_PAYER_NAME, "h.payer_name") X(H_PAYER_X12_ID, "h.payer_x12_id") \
	X(H_PAYER_TYPE, "h.payer_type") X(H_CLAIM_FILING, "h.claim_filing_code") \
	X(H_RESPONSIBILITY, "h.payer_responsibility") X(H_RELATIONSHIP, "h.relationship_code") \
	X(H_MEMBER_ID, "h.member_id") X(H_GROUP, "h.group_number") \
	X(H_INSURED_FAMILY, "h.insured_family") X(H_INSURED_GIVEN, "h.insured_given") \
	X(H_INSURED_MIDDLE, "h.insured_middle") \
	X(H_INSURED_BIRTH, "pg_catalog.to_char(h.insured_birth_date, 'YYYYMMDD')") \
	X(H_INSURED_SEX, "h.insured_sex") \
	X(H_PATIENT_FAMILY, "h.patient_family") X(H_PATIENT_GIVEN, "h.patient_given") \
	X(H_PATIENT_MIDDLE, "h.patient_middle") \
	X(H_PATIENT_BIRTH, "pg_catalog.to_char(h.patient_birth_date, 'YYYYMMDD')") \
	X(H_PATIENT_SEX, "h.patient_sex") X(H_PATIENT_ADDRESS1, "h.patient_address1") \
	X(H_PATIENT_ADDRESS2, "h.patient_address2") X(H_PATIENT_CITY, "h.patient_city") \
	X(H_PATIENT_STATE, "h.patient_state") X(H_PATIENT_ZIP, "h.patient_zip") \
	X(H_ACCOUNT, "h.account_number") X(H_TOTAL, "h.total_charge") X(H_POS, "h.place_of_service") \
	X(H_FREQUENCY, "h.frequency_code") X(H_SIGNATURE, "h.provider_signature") \
	X(H_ASSIGNMENT, "h.assignment") X(H_BENEFITS, "h.benefits_assigned") \
	X(H_RELEASE, "h.release_of_information") X(H_AUTHORIZATION, "h.claim_authorization") \
	X(H_REFERRAL, "h.referral_number") X(H_DIAGNOSES, "pg_catalog.array_to_string(h.diagnoses, ' ')") \
	X(H_REFERRING_NPI, "h.referring_npi") X(H_REFERRING_ENTITY, "h.referring_entity") \
	X(H_REFERRING_NAME, "h.referring_name") X(H_REFERRING_GIVEN, "h.referring_given") \
	X(H_RENDERING_NPI, "h.rendering_npi") X(H_RENDERING_ENTITY, "h.rendering_entity") \
	X(H_RENDERING_NAME, "h.rendering_name") X(H_RENDERING_GIVEN, "h.rendering_given") \
	X(H_RENDERING_TAXONOMY, "h.rendering_taxonomy")

#define LINE_COLUMNS(X) \
	X(L_ENCOUNTER, "l.encounter_id") X(L_LX, "l.lx") X(L_CODE, "l.code") \
	X(L_MODIFIERS, "pg_catalog.array_to_string(l.modifiers, ' ')") X(L_CHARGE, "l.charge") \
	X(L_UNITS, "l.units") X(L_POS, "l.place_of_service") \
	X(L_POINTERS, "pg_catalog.array_to_string(l.pointers, ' ', '0')") \
	X(L_SERVICE_DATE, "pg_catalog.to_char(l.service_date, 'YYYYMMDD')") X(L_NDC, "l.ndc") \
	X(L_DRUG_QUANTITY, "l.drug_quantity") X(L_DRUG_UNIT, "l.drug_unit") \
	X(L_AUTHORIZATION, "l.line_authorization")

#define AS_ENUM(name, sql) name,
#define AS_SQL(name, sql) ", " sql

enum
{
	H_PLACEHOLDER = 1, HEADER_COLUMNS(AS_ENUM) H_END
};
enum
{
	L_PLACEHOLDER = 1, LINE_COLUMNS(AS_ENUM) L_END
};

typedef struct ClaimRows
{
	SPITupleTable *table;
	uint64		n;
	uint64		next;			/* the row to read next */
	int			ncolumns;
	FmgrInfo   *output;			/* each column's output function, looked up once */
	Datum	   *datums;			/* the current row, deformed */
	bool	   *nulls;
	char	  **values;			/* the current row's values as text (NULL: SQL NULL) */
} ClaimRows;

static void
read_claim_rows(ClaimRows *rows, SPIPlanPtr *slot, const char *sql, ArrayType *ids, int end)
{
	static const Oid types[1] = {INT8ARRAYOID};
	Datum		arg[1] = {PointerGetDatum(ids)};
	int			rc = SPI_execute_plan(patsvc_kept_plan(slot, sql, 1, types), arg, NULL, true, 0);

	if (rc != SPI_OK_SELECT)
		elog(ERROR, "claim_837p: reading the claims failed: %s", SPI_result_code_string(rc));
	rows->table = SPI_tuptable;
	rows->n = SPI_processed;
	rows->next = 0;
	rows->ncolumns = end;
	rows->values = palloc0(sizeof(char *) * end);
	rows->datums = palloc(sizeof(Datum) * end);
	rows->nulls = palloc(sizeof(bool) * end);
	rows->output = palloc0(sizeof(FmgrInfo) * end);
	for (int c = H_PLACEHOLDER + 1; c < end; c++)
	{
		Oid			func;
		bool		varlena;

		getTypeOutputInfo(SPI_gettypeid(rows->table->tupdesc, c), &func, &varlena);
		fmgr_info(func, &rows->output[c]);
	}
}

/* Reads row rows->next into rows->values as text (in the current memory context). */
static void
fetch_claim_row(ClaimRows *rows)
{
	/* deformed once (column c at index c - 1), not column by column: most rows have NULLs */
	heap_deform_tuple(rows->table->vals[rows->next++], rows->table->tupdesc, rows->datums, rows->nulls);
	for (int c = H_PLACEHOLDER + 1; c < rows->ncolumns; c++)
		rows->values[c] = rows->nulls[c - 1] ? NULL : OutputFunctionCall(&rows->output[c], rows->datums[c - 1]);
}

static int64
row_encounter(const ClaimRows *rows, uint64 i)
{
	bool		isnull;

	return DatumGetInt64(SPI_getbinval(rows->table->vals[i], rows->table->tupdesc, H_PLACEHOLDER + 1, &isnull));
}

/* ---- refusing incomplete claims ----------------------------------------------- */

static void
refuse_claim(int errcode_value, const char *encounter, const char *what, const char *hint)
{
	ereport(ERROR,
			(errcode(errcode_value),
			 errmsg("encounter %s cannot be claimed: %s", encounter, what),
			 errhint("%s", hint)));
}

#define MISSING(v) ((v) == NULL || (v)[0] == '\0')

static void
check_payer(char **h)
{
	const char *e = h[H_ENCOUNTER];

	if (MISSING(h[H_PAYER_ID]))
		refuse_claim(ERRCODE_PATSVC_CLAIM_NO_PAYER, e, "it bills no coverage",
					 "Set the encounter's coverage_id to the coverage in force on the date of service.");
	if (strcmp(h[H_PAYER_TYPE], "self_pay") == 0)
		refuse_claim(ERRCODE_PATSVC_CLAIM_NO_PAYER, e, "its coverage is self-pay",
					 "A self-pay visit is billed to the patient, not sent to a payer.");
	if (MISSING(h[H_PAYER_X12_ID]) || MISSING(h[H_CLAIM_FILING]) || MISSING(h[H_RESPONSIBILITY]))
		refuse_claim(ERRCODE_PATSVC_CLAIM_NO_PAYER, e, "its payer has no X12 payer id",
					 "Record the payer's electronic payer id (patsvc.payers.x12_payer_id).");
	if (MISSING(h[H_MEMBER_ID]))
		refuse_claim(ERRCODE_PATSVC_CLAIM_NO_PAYER, e, "its coverage has no member id",
					 "Record the member id of the coverage (patsvc.coverages.member_id).");
	if (MISSING(h[H_INSURED_FAMILY]))
		refuse_claim(ERRCODE_PATSVC_CLAIM_NO_PAYER, e, "its coverage does not name the subscriber",
					 "Record the subscriber's name on the coverage (the patient is checked first when the patient is the subscriber).");
}

static void
check_billing_provider(char **h)
{
	const char *e = h[H_ENCOUNTER];

	if (MISSING(h[H_BILLING_NAME]))
		refuse_claim(ERRCODE_PATSVC_CLAIM_NO_BILLING_PROVIDER, e,
					 psprintf("its billing NPI %s is not in claim_providers", h[H_BILLING_NPI]),
					 "Add the billing provider to patsvc.claim_providers with name, tax id and address.");
	if (MISSING(h[H_BILLING_TAX_ID]) || MISSING(h[H_BILLING_ADDRESS1]) || MISSING(h[H_BILLING_CITY]) ||
		MISSING(h[H_BILLING_STATE]) || MISSING(h[H_BILLING_ZIP]) || strlen(h[H_BILLING_ZIP]) != 9)
		refuse_claim(ERRCODE_PATSVC_CLAIM_NO_BILLING_PROVIDER, e,
					 psprintf("billing provider %s lacks a tax id or a street address with a 9-digit ZIP",
							  h[H_BILLING_NPI]),
					 "Complete the billing provider's row of patsvc.claim_providers (837P 2010AA requires them).");
}

static void
check_patient(char **h)
{
	const char *e = h[H_ENCOUNTER];

	if (MISSING(h[H_PATIENT_FAMILY]) || MISSING(h[H_PATIENT_GIVEN]) || MISSING(h[H_PATIENT_BIRTH]) ||
		MISSING(h[H_PATIENT_ADDRESS1]) || MISSING(h[H_PATIENT_CITY]) || MISSING(h[H_PATIENT_STATE]) ||
		MISSING(h[H_PATIENT_ZIP]))
		refuse_claim(ERRCODE_PATSVC_CLAIM_INCOMPLETE, e,
					 "the patient's name, date of birth or address is missing",
					 "Complete the patient's registration (family and given name, birth date, address, city, state, ZIP).");
	if (MISSING(h[H_DIAGNOSES]))
		refuse_claim(ERRCODE_PATSVC_CLAIM_INCOMPLETE, e, "it has no diagnosis",
					 "Add the diagnoses (encounter_diagnoses) before claiming.");
	if (!MISSING(h[H_REFERRING_NPI]) && MISSING(h[H_REFERRING_NAME]))
		refuse_claim(ERRCODE_PATSVC_CLAIM_INCOMPLETE, e,
					 psprintf("the referring provider %s has no name", h[H_REFERRING_NPI]),
					 "Add the referring provider to patsvc.claim_providers (or patsvc.providers).");
	if (!MISSING(h[H_RENDERING_NPI]) && MISSING(h[H_RENDERING_NAME]))
		refuse_claim(ERRCODE_PATSVC_CLAIM_INCOMPLETE, e,
					 psprintf("the rendering provider %s has no name", h[H_RENDERING_NPI]),
					 "Add the rendering provider to patsvc.claim_providers (or patsvc.providers).");
}

/* ---- segments ------------------------------------------------------------------ */

/* Space-separated words of s (claim_headers' arrays as text), at most max. */
static int
split_words(const char *s, char **words, int max)
{
	char	   *copy = pstrdup(s ? s : "");
	char	   *save = NULL;
	int			n = 0;

	for (char *w = strtok_r(copy, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save))
	{
		if (n == max)
			return max + 1;
		words[n++] = w;
	}
	return n;
}

static void
write_nm1(X12Writer *w, const char *entity, bool person, const char *name, const char *given,
		  const char *middle, const char *qualifier, const char *id)
{
	x12_segment(w, "NM1");
	x12_element(w, entity);
	x12_element(w, person ? "1" : "2");
	x12_element(w, name);
	x12_element(w, person ? given : NULL);
	x12_element(w, person ? middle : NULL);
	x12_element(w, NULL);		/* prefix */
	x12_element(w, NULL);		/* suffix */
	x12_element(w, id ? qualifier : NULL);
	x12_element(w, id);
	x12_end(w);
}

static void
write_address(X12Writer *w, const char *line1, const char *line2, const char *city, const char *state,
			  const char *zip)
{
	const char *n3[2] = {line1, line2};
	const char *n4[3] = {city, state, zip};

	x12_write(w, "N3", 2, n3);
	x12_write(w, "N4", 3, n4);
}

static void
write_demographics(X12Writer *w, const char *birth8, const char *sex)
{
	const char *dmg[3] = {"D8", birth8, sex};

	x12_write(w, "DMG", 3, dmg);
}

static void
write_ref(X12Writer *w, const char *qualifier, const char *value)
{
	const char *ref[2] = {qualifier, value};

	if (!MISSING(value))
		x12_write(w, "REF", 2, ref);
}

static void
write_hl(X12Writer *w, int id, int parent, const char *level, bool children)
{
	const char *hl[4] = {psprintf("%d", id), parent > 0 ? psprintf("%d", parent) : NULL, level,
	children ? "1" : "0"};

	x12_write(w, "HL", 4, hl);
}

/* ST, BHT, 1000A submitter, 1000B receiver */
static void
write_transaction_header(X12Writer *w, const ClaimEnvelope *env)
{
	const char *bht[6];
	const char *per[4] = {"IC", env->contact_name, "TE", env->contact_phone};

	x12_st(w, "837", CLAIM_VERSION);
	bht[0] = "0019";
	bht[1] = "00";
	bht[2] = psprintf("%09lld%s", (long long) env->control, w->st_control);
	bht[3] = env->date8;
	bht[4] = env->time4;
	bht[5] = "CH";
	x12_write(w, "BHT", 6, bht);
	write_nm1(w, "41", false, env->sender_name, NULL, NULL, "46", env->sender_id);
	x12_write(w, "PER", 4, per);
	write_nm1(w, "40", false, env->receiver_name, NULL, NULL, "46", env->receiver_id);
}

/* 2000A billing provider: HL 1, PRV, 2010AA NM1*85, N3, N4, REF*EI */
static void
write_billing_provider(X12Writer *w, char **h)
{
	const char *prv[3] = {"BI", "PXC", h[H_BILLING_TAXONOMY]};

	write_hl(w, 1, 0, "20", true);
	if (!MISSING(h[H_BILLING_TAXONOMY]))
		x12_write(w, "PRV", 3, prv);
	write_nm1(w, "85", strcmp(h[H_BILLING_ENTITY], "person") == 0, h[H_BILLING_NAME], h[H_BILLING_GIVEN], NULL,
			  "XX", h[H_BILLING_NPI]);
	write_address(w, h[H_BILLING_ADDRESS1], h[H_BILLING_ADDRESS2], h[H_BILLING_CITY], h[H_BILLING_STATE],
				  h[H_BILLING_ZIP]);
	write_ref(w, "EI", h[H_BILLING_TAX_ID]);
}

/*
 * 2000B subscriber (HL 22, SBR), 2010BA NM1*IL (with the patient's address
 * and demographics when the patient is the subscriber), 2010BB NM1*PR; then
 * 2000C (HL 23, PAT, NM1*QC, N3, N4, DMG) when the patient is someone
 * else.
 */
static void
write_subscriber_and_patient(X12Writer *w, char **h, int *hl)
{
	bool		self = strcmp(h[H_RELATIONSHIP], "18") == 0;
	int			subscriber = ++(*hl);
	const char *sbr[9] = {h[H_RESPONSIBILITY], self ? "18" : NULL, h[H_GROUP], NULL, NULL, NULL, NULL, NULL,
	h[H_CLAIM_FILING]};
	const char *pat[1] = {h[H_RELATIONSHIP]};

	write_hl(w, subscriber, 1, "22", !self);
	x12_write(w, "SBR", 9, sbr);
	write_nm1(w, "IL", true, h[H_INSURED_FAMILY], h[H_INSURED_GIVEN], h[H_INSURED_MIDDLE], "MI", h[H_MEMBER_ID]);
	if (self)
	{
		write_address(w, h[H_PATIENT_ADDRESS1], h[H_PATIENT_ADDRESS2], h[H_PATIENT_CITY], h[H_PATIENT_STATE],
					  h[H_PATIENT_ZIP]);
		write_demographics(w, h[H_PATIENT_BIRTH], h[H_PATIENT_SEX]);
	}
	write_nm1(w, "PR", false, h[H_PAYER_NAME], NULL, NULL, "PI", h[H_PAYER_X12_ID]);
	if (self)
		return;
	write_hl(w, ++(*hl), subscriber, "23", false);
	x12_write(w, "PAT", 1, pat);
	write_nm1(w, "QC", true, h[H_PATIENT_FAMILY], h[H_PATIENT_GIVEN], h[H_PATIENT_MIDDLE], NULL, NULL);
	write_address(w, h[H_PATIENT_ADDRESS1], h[H_PATIENT_ADDRESS2], h[H_PATIENT_CITY], h[H_PATIENT_STATE],
				  h[H_PATIENT_ZIP]);
	write_demographics(w, h[H_PATIENT_BIRTH], h[H_PATIENT_SEX]);
}

/* HI: the principal diagnosis ABK, the others ABF, all 12 in one segment */
static void
write_diagnoses(X12Writer *w, char **h)
{
	char	   *codes[13];
	int			n = split_words(h[H_DIAGNOSES], codes, 12);

	if (n > 12)
		refuse_claim(ERRCODE_PATSVC_CLAIM_INCOMPLETE, h[H_ENCOUNTER], "it has more than 12 diagnoses",
					 "A professional claim carries 12 diagnoses at most (box 21 A-L).");
	x12_segment(w, "HI");
	for (int i = 0; i < n; i++)
	{
		const char *c[2] = {i == 0 ? "ABK" : "ABF", codes[i]};

		x12_composite(w, 2, c);
	}
	x12_end(w);
}

/* 2300 claim: CLM, REF*9F, REF*G1, HI; 2310A referring, 2310B rendering */
static void
write_claim(X12Writer *w, char **h)
{
	const char *pos[3] = {h[H_POS], "B", h[H_FREQUENCY]};
	const char *prv[3] = {"PE", "PXC", h[H_RENDERING_TAXONOMY]};

	x12_segment(w, "CLM");
	x12_element(w, h[H_ACCOUNT]);
	x12_element(w, h[H_TOTAL]);
	x12_element(w, NULL);
	x12_element(w, NULL);
	x12_composite(w, 3, pos);
	x12_element(w, h[H_SIGNATURE]);
	x12_element(w, h[H_ASSIGNMENT]);
	x12_element(w, h[H_BENEFITS]);
	x12_element(w, h[H_RELEASE]);
	x12_end(w);
	write_ref(w, "9F", h[H_REFERRAL]);
	write_ref(w, "G1", h[H_AUTHORIZATION]);
	write_diagnoses(w, h);
	if (!MISSING(h[H_REFERRING_NPI]))
		write_nm1(w, "DN", strcmp(h[H_REFERRING_ENTITY], "person") == 0, h[H_REFERRING_NAME],
				  h[H_REFERRING_GIVEN], NULL, "XX", h[H_REFERRING_NPI]);
	if (!MISSING(h[H_RENDERING_NPI]))
	{
		write_nm1(w, "82", strcmp(h[H_RENDERING_ENTITY], "person") == 0, h[H_RENDERING_NAME],
				  h[H_RENDERING_GIVEN], NULL, "XX", h[H_RENDERING_NPI]);
		if (!MISSING(h[H_RENDERING_TAXONOMY]))
			x12_write(w, "PRV", 3, prv);
	}
}

/* SV1*HC:code:modifiers*charge*UN*units*POS**pointers */
static void
write_service(X12Writer *w, char **l, const char *encounter)
{
	char	   *mods[5];
	char	   *ptrs[5];
	int			nmods = split_words(l[L_MODIFIERS], mods, 4);
	int			nptrs = split_words(l[L_POINTERS], ptrs, 4);
	const char *procedure[6] = {"HC", l[L_CODE], NULL, NULL, NULL, NULL};
	const char *pointers[4] = {NULL, NULL, NULL, NULL};

	if (nmods > 4 || nptrs > 4 || nptrs == 0)
		refuse_claim(ERRCODE_PATSVC_CLAIM_INCOMPLETE, encounter,
					 psprintf("line %s has %d modifiers and %d diagnosis pointers", l[L_LX], nmods, nptrs),
					 "A service line has 1-4 diagnosis pointers and at most 4 modifiers.");
	for (int i = 0; i < nmods; i++)
		procedure[2 + i] = mods[i];
	for (int i = 0; i < nptrs; i++)
	{
		if (strcmp(ptrs[i], "0") == 0)
			refuse_claim(ERRCODE_PATSVC_CLAIM_INCOMPLETE, encounter,
						 psprintf("line %s points at a diagnosis the encounter does not have", l[L_LX]),
						 "Point the line at the encounter's diagnoses.");
		pointers[i] = ptrs[i];
	}
	x12_segment(w, "SV1");
	x12_composite(w, 6, procedure);
	x12_element(w, l[L_CHARGE]);
	x12_element(w, "UN");
	x12_element(w, l[L_UNITS]);
	x12_element(w, l[L_POS]);
	x12_element(w, NULL);
	x12_composite(w, 4, pointers);
	x12_end(w);
}

/* 2400: LX, SV1, DTP*472, REF*G1 (line-level authorization), 2410 LIN/CTP for a drug */
static void
write_line(X12Writer *w, char **l, const char *encounter)
{
	const char *lx[1] = {l[L_LX]};
	const char *dtp[3] = {"472", "D8", l[L_SERVICE_DATE]};
	const char *lin[3] = {NULL, "N4", l[L_NDC]};

	x12_write(w, "LX", 1, lx);
	write_service(w, l, encounter);
	x12_write(w, "DTP", 3, dtp);
	write_ref(w, "G1", l[L_AUTHORIZATION]);
	if (MISSING(l[L_NDC]))
		return;
	if (MISSING(l[L_DRUG_QUANTITY]) || MISSING(l[L_DRUG_UNIT]))
		refuse_claim(ERRCODE_PATSVC_CLAIM_INCOMPLETE, encounter,
					 psprintf("line %s has an NDC without quantity or unit", l[L_LX]),
					 "Give a drug line its quantity and unit (F2, GR, ME, ML, UN).");
	x12_write(w, "LIN", 3, lin);
	x12_segment(w, "CTP");
	x12_element(w, NULL);
	x12_element(w, NULL);
	x12_element(w, NULL);
	x12_element(w, l[L_DRUG_QUANTITY]);
	x12_element(w, l[L_DRUG_UNIT]);	/* CTP05-1, the composite's only component */
	x12_end(w);
}

/* ---- the interchange ----------------------------------------------------------- */

typedef struct ClaimWriter
{
	X12Writer	w;
	const ClaimEnvelope *env;
	ClaimRows	headers;
	ClaimRows	lines;
	char		st_billing_npi[16];	/* billing provider of the open ST, "" before the first */
	int			st_claims;
	int			hl;
} ClaimWriter;

/* Closes the open ST (if any) and opens one for h's billing provider. */
static void
start_transaction(ClaimWriter *cw, char **h)
{
	if (cw->st_billing_npi[0] != '\0')
		x12_se(&cw->w);
	write_transaction_header(&cw->w, cw->env);
	write_billing_provider(&cw->w, h);
	strlcpy(cw->st_billing_npi, h[H_BILLING_NPI], sizeof(cw->st_billing_npi));
	cw->st_claims = 0;
	cw->hl = 1;
}

/* The lines of encounter id, in order; at least one, 50 at most (837P 2400 repeats 50). */
static void
write_lines(ClaimWriter *cw, int64 id, const char *encounter)
{
	int			n = 0;

	while (cw->lines.next < cw->lines.n && row_encounter(&cw->lines, cw->lines.next) == id)
	{
		fetch_claim_row(&cw->lines);
		if (++n > 50)
			refuse_claim(ERRCODE_PATSVC_CLAIM_INCOMPLETE, encounter, "it has more than 50 service lines",
						 "An 837P claim carries 50 service lines at most: split the encounter.");
		write_line(&cw->w, cw->lines.values, encounter);
	}
	if (n == 0)
		refuse_claim(ERRCODE_PATSVC_CLAIM_INCOMPLETE, encounter, "it has no service line",
					 "Add the services (encounter_lines) before claiming.");
}

static void
write_one_claim(ClaimWriter *cw)
{
	int64		id = row_encounter(&cw->headers, cw->headers.next);
	char	  **h;

	fetch_claim_row(&cw->headers);
	h = cw->headers.values;
	cw->w.subject = psprintf("encounter %s", h[H_ENCOUNTER]);
	check_patient(h);
	check_payer(h);
	check_billing_provider(h);
	if (strcmp(cw->st_billing_npi, h[H_BILLING_NPI]) != 0 ||
		cw->st_claims == CLAIMS_PER_ST)
		start_transaction(cw, h);
	write_subscriber_and_patient(&cw->w, h, &cw->hl);
	write_claim(&cw->w, h);
	write_lines(cw, id, h[H_ENCOUNTER]);
	cw->st_claims++;
}

static void
write_interchange(ClaimWriter *cw, StringInfo out)
{
	const ClaimEnvelope *env = cw->env;
	X12Interchange isa = {"ZZ", env->sender_id, "ZZ", env->receiver_id, env->date6, env->time4,
	env->control, false, env->usage};
	MemoryContext claim_cxt = AllocSetContextCreate(CurrentMemoryContext, "claim_837p claim",
													ALLOCSET_DEFAULT_SIZES);
	MemoryContext outer = MemoryContextSwitchTo(claim_cxt);

	x12_writer_init(&cw->w, out);
	x12_isa(&cw->w, &isa);
	x12_gs(&cw->w, "HC", env->sender_id, env->receiver_id, env->date8, env->time4, CLAIM_VERSION);
	while (cw->headers.next < cw->headers.n)
	{
		write_one_claim(cw);
		MemoryContextReset(claim_cxt);
	}
	cw->w.subject = "the interchange";
	x12_se(&cw->w);
	x12_ge(&cw->w);
	x12_iea(&cw->w);
	MemoryContextSwitchTo(outer);
	MemoryContextDelete(claim_cxt);
}

static void
mark_submitted(ArrayType *ids)
{
	static const Oid types[1] = {INT8ARRAYOID};
	Datum		arg[1] = {PointerGetDatum(ids)};
	int			rc;

	rc = SPI_execute_plan(patsvc_kept_plan(&submit_plan,
										   "UPDATE " PATSVC_SCHEMA ".encounters e SET status = 'submitted'"
										   " WHERE e.id = ANY ($1) AND e.status = 'final'", 1, types),
						  arg, NULL, false, 0);
	if (rc != SPI_OK_UPDATE)
		elog(ERROR, "claim_837p: marking the encounters submitted failed: %s", SPI_result_code_string(rc));
}

Datum
patsvc_claim_837p(PG_FUNCTION_ARGS)
{
	ClaimEnvelope env;
	ClaimWriter cw;
	ArrayType  *ids;
	int			n;
	StringInfoData out;
	text	   *result;

	memset(&env, 0, sizeof(env));
	memset(&cw, 0, sizeof(cw));
	read_envelope_arguments(fcinfo, &env);
	ids = read_encounter_ids(fcinfo, &n);
	initStringInfo(&out);
	patsvc_spi_connect();
	check_encounters(ids, n, &env);
	stamp_interchange(fcinfo, &env);
	cw.env = &env;
	read_claim_rows(&cw.headers, &headers_plan,
					"SELECT true" HEADER_COLUMNS(AS_SQL) " FROM " PATSVC_SCHEMA ".claim_headers($1) h", ids, H_END);
	read_claim_rows(&cw.lines, &lines_plan,
					"SELECT true" LINE_COLUMNS(AS_SQL) " FROM " PATSVC_SCHEMA ".claim_lines($1) l", ids, L_END);
	write_interchange(&cw, &out);
	if (env.usage == 'P')
		mark_submitted(ids);
	patsvc_spi_finish();
	result = cstring_to_text_with_len(out.data, out.len);
	PG_RETURN_TEXT_P(result);
}
