/*
 * patients.c -- patients_check: the BEFORE INSERT OR UPDATE trigger on
 * patsvc.patients that every write goes through (register_patient,
 * update_patient, plain INSERT/UPDATE, COPY).  It
 *   1. checks and normalizes each demographic field (demographics.c);
 *   2. derives the name and the phonetic keys duplicate detection blocks on;
 *   3. refuses a likely duplicate (PS412) unless the writer confirmed a
 *      distinct person (distinct_confirmed_at set: recorded with the
 *      session user, and each pair shown is recorded in
 *      patient_distinct_pairs, never shown again), race-free: before looking, it takes transaction
 *      advisory locks on the person's blocking keys (birth date, phonetic
 *      family name, phones, e-mail), so of two sessions registering the same
 *      person at once the second waits for the first, and reads with the
 *      latest snapshot, so it sees the first one's row once it commits.
 * A merged duplicate (merged_into set, 70-merge.sql) is never a candidate.
 * Rows without a birth date, family and given name (a bare name, as
 * scheduling's tests write) are not matched.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/datum.h"
#include "catalog/pg_collation.h"
#include "utils/builtins.h"
#include "utils/formatting.h"
#include "utils/datetime.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/fmgrprotos.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "registry/candidates.h"
#include "registry/demographics.h"
#include "registry/registry.h"

/* advisory-lock namespace of duplicate detection ('PSRG') */
#define DUP_LOCK_CLASS 0x50535247
#define DUP_MAX_CANDIDATES 500

/* The person as matching sees it. */
typedef struct Person
{
	int64		id;				/* 0: not yet assigned */
	char	   *mrn;
	char	   *family_raw;		/* as written (parts of a hyphenated name) */
	char	   *family;			/* name_key() of the names */
	char	   *given;
	char	   *middle;
	char	   *family_ph;
	char	   *given_ph;
	bool		has_dob;
	DateADT		dob;
	char	   *sex;
	char	   *zip;
	char	   *phones[3];
	char	   *email;
} Person;

static char *
get_text(HeapTuple tup, TupleDesc desc, int att)
{
	bool		isnull;
	Datum		d = heap_getattr(tup, att, desc, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

static char *
get_name_key(HeapTuple tup, TupleDesc desc, int att)
{
	char	   *s = get_text(tup, desc, att);

	return s ? name_key(s) : NULL;
}

static void
read_person(HeapTuple tup, TupleDesc desc, const int *col, Person *p)
{
	bool		isnull;
	Datum		d;

	memset(p, 0, sizeof(Person));
	d = heap_getattr(tup, col[PT_ID], desc, &isnull);
	p->id = isnull ? 0 : DatumGetInt64(d);
	p->mrn = get_text(tup, desc, col[PT_MRN]);
	p->family_raw = get_text(tup, desc, col[PT_FAMILY]);
	p->family = p->family_raw ? name_key(p->family_raw) : NULL;
	p->given = get_name_key(tup, desc, col[PT_GIVEN]);
	p->middle = get_name_key(tup, desc, col[PT_MIDDLE]);
	p->family_ph = get_text(tup, desc, col[PT_FAMILY_PH]);
	p->given_ph = get_text(tup, desc, col[PT_GIVEN_PH]);
	d = heap_getattr(tup, col[PT_BIRTH], desc, &isnull);
	p->has_dob = !isnull;
	p->dob = isnull ? 0 : DatumGetDateADT(d);
	p->sex = get_text(tup, desc, col[PT_SEX]);
	p->zip = get_text(tup, desc, col[PT_ZIP]);
	p->phones[0] = get_text(tup, desc, col[PT_HOME]);
	p->phones[1] = get_text(tup, desc, col[PT_MOBILE]);
	p->phones[2] = get_text(tup, desc, col[PT_WORK]);
	p->email = get_text(tup, desc, col[PT_EMAIL]);
	if (p->email)
		p->email = str_tolower(p->email, strlen(p->email), DEFAULT_COLLATION_OID);
}

/* ---- birth dates close to one another ------------------------------------- */

/* Day and month swapped (a different valid date), as DateADT; false when none. */
static bool
dob_swapped(DateADT dob, DateADT *out)
{
	int			y, m, d;

	j2date(dob + POSTGRES_EPOCH_JDATE, &y, &m, &d);
	if (d > 12 || d == m)
		return false;
	*out = date2j(y, d, m) - POSTGRES_EPOCH_JDATE;
	return true;
}

/*
 * Dates one digit off (YYYYMMDD, one digit replaced), valid, within 10
 * years: a typo, not a parent or child with the same name.
 */
static int
dob_one_digit_off(DateADT dob, DateADT *out, int max)
{
	static const int weight[8] = {10000000, 1000000, 100000, 10000, 1000, 100, 10, 1};
	int			y, m, d, n = 0;
	int			ymd;

	j2date(dob + POSTGRES_EPOCH_JDATE, &y, &m, &d);
	ymd = y * 10000 + m * 100 + d;
	for (int pos = 0; pos < 8; pos++)
	{
		int			digit = ymd / weight[pos] % 10;

		for (int c = 0; c <= 9 && n < max; c++)
		{
			int			v = ymd + (c - digit) * weight[pos];
			int			vy = v / 10000, vm = v / 100 % 100, vd = v % 100;

			if (c == digit || vm < 1 || vm > 12 || vd < 1 || vd > day_tab[isleap(vy)][vm - 1] || abs(vy - y) > 10)
				continue;
			out[n++] = date2j(vy, vm, vd) - POSTGRES_EPOCH_JDATE;
		}
	}
	return n;
}

static bool
dob_in(DateADT dob, const DateADT *list, int n)
{
	for (int i = 0; i < n; i++)
		if (list[i] == dob)
			return true;
	return false;
}

/* ---- names ---------------------------------------------------------------- */

static bool
streq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* One part of a hyphenated or two-word family name equal to a part of the other's (Smith, Smith-Jones). */
static bool
family_parts_meet(const char *raw_a, const char *raw_b)
{
	char	   *a = pstrdup(raw_a),
			   *b = pstrdup(raw_b),
			   *sa,
			   *sb,
			   *pa,
			   *pb;

	for (pa = strtok_r(a, "- ", &sa); pa; pa = strtok_r(NULL, "- ", &sa))
	{
		char	   *bcopy = pstrdup(b);

		for (pb = strtok_r(bcopy, "- ", &sb); pb; pb = strtok_r(NULL, "- ", &sb))
			if (strlen(pa) > 1 && strcmp(name_key(pa), name_key(pb)) == 0)
				return true;
	}
	return false;
}

/* ---- matching -------------------------------------------------------------- */

/*
 * Whether a given name (name_key()) or its phonetic code is spelled or
 * sounds like n's.  Every match needs this or a nickname (match_reason):
 * the duplicate search tests it on the index entries before reading rows.
 */
static bool
given_alike(const Person *n, const char *given, const char *given_ph)
{
	return streq(n->given, given) || streq(n->given_ph, given_ph) ||
		(n->given && given && jaro_winkler(n->given, given) >= 0.90);
}

typedef struct Why
{
	bool		family_similar;
	bool		given_similar;
	bool		given_same;		/* equal, or a nickname of the other */
} Why;

static const char *
match_reason(const Person *n, const Person *c, bool nickname, const DateADT *close, int nclose, bool has_swap, DateADT swapped)
{
	Why			w;
	bool		same_dob = c->has_dob && c->dob == n->dob;
	bool		swap = has_swap && c->has_dob && c->dob == swapped;
	bool		off = c->has_dob && dob_in(c->dob, close, nclose);
	bool		contact = false;

	w.family_similar = streq(n->family, c->family) || streq(n->family_ph, c->family_ph) ||
		(n->family && c->family && jaro_winkler(n->family, c->family) >= 0.92) ||
		(n->family_raw && c->family_raw && family_parts_meet(n->family_raw, c->family_raw));
	w.given_same = streq(n->given, c->given) || nickname;
	w.given_similar = w.given_same || given_alike(n, c->given, c->given_ph);
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++)
			if (streq(n->phones[i], c->phones[j]))
				contact = true;
	if (streq(n->email, c->email))
		contact = true;

	if (same_dob && streq(n->family, c->family) && streq(n->given, c->given))
		return "same name and birth date";
	/* beyond that, a man and a woman (both recorded) are different people: Williamina is not William */
	if (n->sex && c->sex && strcmp(n->sex, c->sex) != 0 && strcmp(n->sex, "unknown") != 0 &&
		strcmp(c->sex, "unknown") != 0)
		return NULL;
	if (same_dob && w.family_similar && w.given_similar)
		return "similar name (spelling, sound, nickname or hyphenated family name) and same birth date";
	if (swap && w.family_similar && w.given_similar)
		return "similar name, birth date with day and month swapped";
	if (off && w.family_similar && w.given_similar)
		return "similar name, birth date one digit off";
	if (contact && (same_dob || swap || off) && w.given_similar)
		return "same phone or e-mail, similar given name, close birth date";
	if (same_dob && w.given_same && !w.family_similar &&
		((n->zip && c->zip && strncmp(n->zip, c->zip, 5) == 0) || streq(n->middle, c->middle)))
		return "same given name, birth date and ZIP code or middle name (family name changed)";
	return NULL;
}

/* Takes the transaction advisory locks of the person's blocking keys, in one order (no deadlocks). */
static void
lock_blocking_keys(const Person *p)
{
	uint32		keys[6];
	int			n = 0;
	char	   *dob = psprintf("d%d", p->dob);

	keys[n++] = hash_bytes((const unsigned char *) dob, strlen(dob));
	if (p->family_ph && p->family_ph[0])
		keys[n++] = hash_bytes((const unsigned char *) p->family_ph, strlen(p->family_ph)) ^ 0x1;
	for (int i = 0; i < 3; i++)
		if (p->phones[i])
			keys[n++] = hash_bytes((const unsigned char *) p->phones[i], strlen(p->phones[i])) ^ 0x2;
	if (p->email)
		keys[n++] = hash_bytes((const unsigned char *) p->email, strlen(p->email)) ^ 0x3;
	for (int i = 1; i < n; i++)		/* insertion sort: at most 6 */
		for (int j = i; j > 0 && keys[j - 1] > keys[j]; j--)
		{
			uint32		t = keys[j];

			keys[j] = keys[j - 1];
			keys[j - 1] = t;
		}
	for (int i = 0; i < n; i++)
		if (i == 0 || keys[i] != keys[i - 1])
			DirectFunctionCall2(pg_advisory_xact_lock_int4, Int32GetDatum(DUP_LOCK_CLASS),
								Int32GetDatum((int32) keys[i]));
}

/*
 * given_name_variants, read once per backend and again after a relcache
 * invalidation (trigger variants_changed sends one for every change): the
 * duplicate search asks for a person's nicknames at most registrations.
 */
typedef struct VariantPair
{
	char	   *variant;
	char	   *name;
} VariantPair;

static MemoryContext variants_cxt = NULL;
static VariantPair *variant_pairs = NULL;
static int	nvariant_pairs = 0;
static uint64 variants_epoch = 0;
static SPIPlanPtr variants_plan = NULL;

static void
load_variants(void)
{
	uint64		epoch = patsvc_relcache_epoch();	/* before reading: a change meanwhile reloads */

	if (variants_cxt != NULL && variants_epoch == epoch)
		return;
	if (variants_cxt == NULL)
		variants_cxt = AllocSetContextCreate(CacheMemoryContext, "patsvc given name variants", ALLOCSET_SMALL_SIZES);
	MemoryContextReset(variants_cxt);
	variant_pairs = NULL;
	nvariant_pairs = 0;
	patsvc_kept_plan(&variants_plan, "SELECT v.variant, v.name FROM " PATSVC_SCHEMA ".given_name_variants v", 0, NULL);
	if (SPI_execute_snapshot(variants_plan, NULL, NULL, GetLatestSnapshot(), InvalidSnapshot, true, false, 0)
		!= SPI_OK_SELECT)
		elog(ERROR, "patsvc: reading the given name variants failed");
	variant_pairs = MemoryContextAlloc(variants_cxt, Max(SPI_processed, 1) * sizeof(VariantPair));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		variant_pairs[i].variant = MemoryContextStrdup(variants_cxt,
													   SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1));
		variant_pairs[i].name = MemoryContextStrdup(variants_cxt,
													SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2));
	}
	nvariant_pairs = SPI_processed;
	variants_epoch = epoch;
}

/* The given names that are one name with the person's (variants of one name), collected once per registration. */
typedef struct Nicknames
{
	bool		read;
	int			n;
	char	  **names;
} Nicknames;

static void
read_nicknames(const char *given, Nicknames *nicks)
{
	load_variants();
	nicks->names = palloc(Max(nvariant_pairs, 1) * sizeof(char *));
	nicks->n = 0;
	for (int a = 0; a < nvariant_pairs; a++)
		if (strcmp(variant_pairs[a].variant, given) == 0)
			for (int b = 0; b < nvariant_pairs; b++)
				if (strcmp(variant_pairs[b].name, variant_pairs[a].name) == 0)
					nicks->names[nicks->n++] = variant_pairs[b].variant;
	nicks->read = true;
}

/*
 * Whether given name key given and a candidate's given name (as written, in
 * lower case as the variants are written) are one name.
 */
static bool
is_nickname(const char *given, const char *candidate_given, Nicknames *nicks)
{
	char	   *lower;

	if (given == NULL || candidate_given == NULL)
		return false;
	if (!nicks->read)
		read_nicknames(given, nicks);
	lower = str_tolower(candidate_given, strlen(candidate_given), DEFAULT_COLLATION_OID);
	for (int i = 0; i < nicks->n; i++)
		if (strcmp(nicks->names[i], lower) == 0)
			return true;
	return false;
}

/* What the duplicate search's entry test needs (given_may_match). */
typedef struct GivenTest
{
	const Person *n;
	Nicknames  *nicks;
} GivenTest;

/* The test every match needs (match_reason): a given name alike or a nickname. */
static bool
given_may_match(void *arg, const char *given_name, const char *given_phonetic)
{
	GivenTest  *t = (GivenTest *) arg;

	if (given_name == NULL)
		return false;
	return given_alike(t->n, name_key(given_name), given_phonetic) || is_nickname(t->n->given, given_name, t->nicks);
}

static SPIPlanPtr pair_plan = NULL;
static SPIPlanPtr pair_known_plan = NULL;

static void
pair_values(int64 a, int64 b, Datum *v)
{
	v[0] = Int64GetDatum(Min(a, b));
	v[1] = Int64GetDatum(Max(a, b));
}

/* Records that patients a and b were confirmed to be different people (by the session user, now). */
static void
record_distinct_pair(int64 a, int64 b)
{
	static const Oid types[2] = {INT8OID, INT8OID};
	Datum		v[2];

	pair_values(a, b, v);
	patsvc_kept_plan(&pair_plan, "INSERT INTO " PATSVC_SCHEMA ".patient_distinct_pairs (patient_low, patient_high)"
					 " VALUES ($1, $2) ON CONFLICT DO NOTHING", 2, types);
	if (SPI_execute_plan(pair_plan, v, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "patsvc: recording a distinct pair failed");
}

/* Whether patients a and b were confirmed to be different people (latest snapshot, as the search). */
static bool
distinct_pair_known(int64 a, int64 b)
{
	static const Oid types[2] = {INT8OID, INT8OID};
	Datum		v[2];

	pair_values(a, b, v);
	patsvc_kept_plan(&pair_known_plan, "SELECT 1 FROM " PATSVC_SCHEMA ".patient_distinct_pairs d"
					 " WHERE d.patient_low OPERATOR(pg_catalog.=) $1 AND d.patient_high OPERATOR(pg_catalog.=) $2",
					 2, types);
	if (SPI_execute_snapshot(pair_known_plan, v, NULL, GetLatestSnapshot(), InvalidSnapshot, true, false, 1)
		!= SPI_OK_SELECT)
		elog(ERROR, "patsvc: reading the distinct pairs failed");
	return SPI_processed > 0;
}

/* The close birth dates of n: one digit off (close[0..nclose)), then day and month swapped if any. */
typedef struct CloseDates
{
	DateADT		dates[81];
	int			nclose;
	bool		has_swap;
	DateADT		swapped;
} CloseDates;

static void
close_dates(const Person *n, CloseDates *cd)
{
	cd->swapped = 0;
	cd->has_swap = dob_swapped(n->dob, &cd->swapped);
	cd->nclose = dob_one_digit_off(n->dob, cd->dates, 80);
	if (cd->has_swap)
		cd->dates[cd->nclose] = cd->swapped;
}

/*
 * Why candidate c looks like person n (NULL: it does not).  Whether c's
 * given name is a nickname of n's is looked up only when it decides.
 */
static const char *
candidate_reason(const Person *n, const Person *c, const CloseDates *cd, const char *c_given_raw, Nicknames *nicks)
{
	const char *why = match_reason(n, c, false, cd->dates, cd->nclose, cd->has_swap, cd->swapped);
	const char *why_nick;

	if (why != NULL || streq(n->given, c->given))
		return why;
	why_nick = match_reason(n, c, true, cd->dates, cd->nclose, cd->has_swap, cd->swapped);
	return why_nick != NULL && is_nickname(n->given, c_given_raw, nicks) ? why_nick : NULL;
}

/*
 * Matches person n against the candidates (rows of patients, columns col):
 * returns how many likely duplicates were found (at most 10, listed in
 * found), each pair confirmed distinct before skipped; when confirmed,
 * records every match as a pair confirmed distinct instead (and returns 0).
 */
static int
match_candidates(const Person *n, const CloseDates *cd, const DupCandidate *candidates, int ncandidates,
				 TupleDesc desc, const int *col, bool confirmed, Nicknames *nicks, StringInfo found)
{
	int			nfound = 0;

	for (int i = 0; i < ncandidates && nfound < 10; i++)
	{
		HeapTuple	t = candidates[i].tuple;
		Person		c;
		const char *why;

		read_person(t, desc, col, &c);
		why = candidate_reason(n, &c, cd, get_text(t, desc, col[PT_GIVEN]), nicks);
		if (why == NULL)
			continue;
		if (confirmed)
		{
			record_distinct_pair(n->id, c.id);
			continue;
		}
		if (distinct_pair_known(n->id, c.id))
			continue;
		appendStringInfo(found, "%spatient %lld (MRN %s): %s", nfound == 0 ? "" : "; ",
						 (long long) c.id, c.mrn ? c.mrn : "none", why);
		nfound++;
	}
	return nfound;
}

/* What person n is looked up by. */
static void
dup_keys(const Person *n, const CloseDates *cd, const int *col, DupKeys *k)
{
	memset(k, 0, sizeof(DupKeys));
	k->self_id = n->id;
	k->att_id = col[PT_ID];
	k->att_merged_into = col[PT_MERGED_INTO];
	k->dob = n->dob;
	k->family_ph = n->family_ph;
	k->close = cd->dates;
	k->nclose = cd->nclose + (cd->has_swap ? 1 : 0);
	for (int i = 0; i < 3; i++)
		if (n->phones[i])
			k->phones[k->nphones++] = n->phones[i];
	k->email = n->email;
}

/*
 * Raises PS412 when registered patients look like the same person as row.
 * Runs as the table's owner (callers may lack SELECT on every patient), with
 * the latest snapshot (a concurrent registration it waited for is seen).
 */
static void
refuse_duplicates(HeapTuple row, Relation rel, const int *col, bool confirmed)
{
	TupleDesc	desc = RelationGetDescr(rel);
	Person		n;
	CloseDates	cd;
	DupKeys		keys;
	DupCandidate *candidates;
	int			ncandidates;
	StringInfoData found;
	int			nfound;
	PatsvcSavedUser saved;
	Nicknames	nicks = {false, 0, NULL};
	GivenTest	test;

	read_person(row, desc, col, &n);
	close_dates(&n, &cd);
	dup_keys(&n, &cd, col, &keys);
	test.n = &n;
	test.nicks = &nicks;
	keys.given_may_match = given_may_match;
	keys.given_arg = &test;
	lock_blocking_keys(&n);

	/* as the owner, connected: the entry test may read the given name variants */
	patsvc_become_owner(rel->rd_rel->relowner, &saved);
	patsvc_spi_connect();
	candidates = dup_candidates(rel, &keys, DUP_MAX_CANDIDATES, &ncandidates);
	initStringInfo(&found);
	nfound = match_candidates(&n, &cd, candidates, ncandidates, desc, col, confirmed, &nicks, &found);
	patsvc_spi_finish();
	patsvc_restore_user(&saved);
	if (nfound > 0)
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_LIKELY_DUPLICATE),
				 errmsg("this patient may already be registered"),
				 errdetail("Possible %s: %s.", nfound == 1 ? "match" : "matches", found.data),
				 errhint("Use the registered patient; if this is a different person, register with confirm_new => true "
						 "(patsvc.register_patient) or confirm_distinct => true (patsvc.update_patient): "
						 "the confirmation is recorded with your user name.")));
}

/* Fields whose change makes update_patient check for duplicates again. */
static bool
identity_changed(HeapTuple old, HeapTuple new, TupleDesc desc, const int *col)
{
	static const int cols[] = {PT_FAMILY, PT_GIVEN, PT_MIDDLE, PT_BIRTH, PT_HOME, PT_MOBILE,
	PT_WORK, PT_EMAIL};

	for (int i = 0; i < (int) lengthof(cols); i++)
	{
		int			att = col[cols[i]];
		bool		n1, n2;
		Datum		a = heap_getattr(old, att, desc, &n1);
		Datum		b = heap_getattr(new, att, desc, &n2);

		if (n1 != n2 || (!n1 && !datumIsEqual(a, b, TupleDescAttr(desc, att - 1)->attbyval,
											   TupleDescAttr(desc, att - 1)->attlen)))
			return true;
	}
	return false;
}

PG_FUNCTION_INFO_V1(patsvc_patients_check);
Datum
patsvc_patients_check(PG_FUNCTION_ARGS)
{
	static const char *const tables[] = {"patients", NULL};
	TriggerData *td = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	HeapTuple	row,
				old = NULL;
	bool		confirmed;
	const int  *col;

	patsvc_trigger_bound(fcinfo, "patients_check", tables);
	desc = RelationGetDescr(td->tg_relation);
	if (TRIGGER_FIRED_BY_UPDATE(td->tg_event))
		old = td->tg_trigtuple;
	row = demographics_normalize(TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple,
								 old, td->tg_relation, &confirmed);
	col = patient_columns(td->tg_relation);	/* indexed by PatientColumn (demographics.h) */
	if (!heap_attisnull(row, col[PT_BIRTH], desc) &&
		!heap_attisnull(row, col[PT_FAMILY], desc) &&
		!heap_attisnull(row, col[PT_GIVEN], desc) &&
		(old == NULL || confirmed || identity_changed(old, row, desc, col)))
		refuse_duplicates(row, td->tg_relation, col, confirmed);
	return PointerGetDatum(row);
}
