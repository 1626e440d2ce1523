/*
 * scrubber.c -- claim_problems(encounter): every problem of an encounter's
 * claim, each from a rule with a stable id, listed once in rules[] below
 * (claim_rules() shows the table).  One pass over the encounter's rows
 * (three kept-plan queries: the header with the facts other areas own, the
 * diagnoses, the lines); code sets, NCCI edits and MUEs come from per-backend
 * caches (codes/codes.h, billing.h).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/numeric.h"
#include "utils/tuplestore.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/snapmgr.h"

#include "core/core.h"
#include "codes/codes.h"
#include "billing/billing.h"

/* ---- the rules: one table ---------------------------------------------------- */

typedef enum RuleId
{
	EN001, EN002, EN003, EN004, EN005, EN006,
	CV001, CV002, CV003, AU001, AU002,
	DX001, DX002, DX003, DX004, DX005, DX006, DX007, DX008,
	PT001, PT002, PT003, PT004, PT005, PT006,
	PR001, PR002, PR003,
	LN001, LN002, LN003, LN004, LN005,
	NC001, MU001, MU002,
	NRULES
} RuleId;

typedef struct ClaimRule
{
	const char *id;
	const char *severity;		/* error: refuses finalizing; warning: reported only */
	const char *description;
	const char *message;		/* printf format of the message */
} ClaimRule;

static const ClaimRule rules[NRULES] = {
	[EN001] = {"EN001", "error", "the encounter names a rendering provider NPI", "the encounter has no rendering provider NPI"},
	[EN002] = {"EN002", "error", "the encounter names a billing provider NPI", "the encounter has no billing provider NPI"},
	[EN003] = {"EN003", "error", "an encounter with a referral names the referring provider NPI", "a referral is used but the encounter has no referring provider NPI"},
	[EN004] = {"EN004", "error", "the date of service is not in the future", "the date of service %s is in the future"},
	[EN005] = {"EN005", "error", "the encounter has a place of service", "the encounter has no place of service"},
	[EN006] = {"EN006", "error", "the encounter has at least one service line", "the encounter has no service line"},
	[CV001] = {"CV001", "error", "the encounter names the coverage billed", "the encounter names no coverage to bill"},
	[CV002] = {"CV002", "error", "the coverage billed is the patient's and in force on the date of service", "the coverage billed is not in force for this patient on %s"},
	[CV003] = {"CV003", "error", "consent to treat is in force on the date of service", "no consent to treat is in force on %s"},
	[AU001] = {"AU001", "error", "a visit whose type requires prior authorization carries its authorization number", "the visit's type requires prior authorization and the encounter has no authorization number"},
	[AU002] = {"AU002", "error", "a visit whose type requires a referral names it", "the visit's type requires a referral and the encounter names none"},
	[DX001] = {"DX001", "error", "the encounter has at least one diagnosis", "the encounter has no diagnosis"},
	[DX002] = {"DX002", "error", "every diagnosis is billable (not a header) in the ICD-10-CM release in effect on the date of service", "diagnosis %c %s is a header in the ICD-10-CM release in effect on %s, not a billable code"},
	[DX003] = {"DX003", "error", "every diagnosis is in the ICD-10-CM release in effect on the date of service", "diagnosis %c %s is not in the ICD-10-CM release in effect on %s"},
	[DX004] = {"DX004", "error", "an ICD-10-CM release covers the date of service", "no loaded ICD-10-CM release covers the date of service %s"},
	[DX005] = {"DX005", "error", "no diagnosis is listed twice", "diagnosis %c %s repeats diagnosis %c"},
	[DX006] = {"DX006", "error", "an external cause code (V00-Y99) is never the first-listed diagnosis", "the first-listed diagnosis %s is an external cause code (V00-Y99)"},
	[DX007] = {"DX007", "error", "diagnoses fill the letters from A without a gap", "diagnosis %c is filled but %c is empty"},
	[DX008] = {"DX008", "warning", "every diagnosis is pointed at by a service line", "diagnosis %c %s is not pointed at by any service line"},
	[PT001] = {"PT001", "error", "every line points at a diagnosis", "the line points at no diagnosis"},
	[PT002] = {"PT002", "error", "a line points at 4 diagnoses at most", "the line has %d diagnosis pointers, at most 4 are allowed"},
	[PT003] = {"PT003", "error", "pointers are 1-12 (A-L)", "pointer %d is outside 1-12 (A-L)"},
	[PT004] = {"PT004", "error", "pointers point at filled diagnoses", "pointer %c points at no diagnosis"},
	[PT005] = {"PT005", "error", "no pointer repeats on a line", "pointer %c repeats on the line"},
	[PT006] = {"PT006", "error", "the primary (first) pointer is not an external cause code (V00-Y99)", "the primary pointer %c is external cause code %s"},
	[PR001] = {"PR001", "error", "every HCPCS code is in the HCPCS release in effect on the date of service", "HCPCS code %s is not in the HCPCS release in effect on %s"},
	[PR002] = {"PR002", "error", "every HCPCS code is active on the date of service (on or after its add date, not terminated)", "HCPCS code %s is not active on %s"},
	[PR003] = {"PR003", "error", "an HCPCS release covers the date of service of an HCPCS line", "no loaded HCPCS release covers the date of service %s"},
	[LN001] = {"LN001", "error", "units are at least 1", "units %s are less than 1"},
	[LN002] = {"LN002", "error", "the charge is not negative", "the charge %s is negative"},
	[LN003] = {"LN003", "error", "no modifier repeats on a line", "modifier %s repeats on the line"},
	[LN004] = {"LN004", "error", "a drug line (HCPCS J code) carries the NDC of the drug", "drug code %s has no NDC"},
	[LN005] = {"LN005", "error", "a line with an NDC carries the drug quantity (above 0) and its unit", "the NDC has no drug quantity above 0 with its unit (F2, GR, ME, ML, UN)"},
	[NC001] = {"NC001", "error", "no NCCI procedure-to-procedure edit in force pairs the line with another one unless an NCCI-associated modifier bypasses it (modifier indicator 1)", "NCCI edit: %s is not payable with %s (line %d) on the same date of service%s"},
	[MU001] = {"MU001", "error", "units of a line are within the code's MUE (adjudication indicator 1: per line)", "units %s exceed the MUE of %d for %s (per line)"},
	[MU002] = {"MU002", "error", "units of a code on the date of service are within its MUE (adjudication indicators 2, 3: per date of service, across the encounter's lines)", "%s units of %s on the date of service exceed its MUE of %d (indicator %d, per date of service)"},
};

/* ---- what one run reads -------------------------------------------------------- */

#define MAX_DX 12
#define MAX_POINTERS 16

typedef struct Header
{
	DateADT		service_date;
	bool		has_rendering;
	bool		has_billing;
	bool		has_referring;
	bool		has_referral;
	bool		has_pos;
	bool		has_coverage;
	bool		coverage_in_force;
	bool		consent_in_force;
	bool		auth_required;
	bool		auth_number;
	bool		referral_required;
} Header;

typedef struct Line
{
	int			line;
	char		code[8];
	bool		hcpcs;
	uint64		key;			/* ncci_code_key(code) */
	char		modifiers[4][3];
	int			nmodifiers;
	int			pointers[MAX_POINTERS];
	int			npointers;
	Numeric		units;
	Numeric		charge;
	bool		has_ndc;
	bool		drug_ok;		/* quantity > 0 and unit given */
} Line;

typedef struct Scrub
{
	Tuplestorestate *store;
	TupleDesc	desc;
	bool		errors_only;
	int			nproblems;
	Header		h;
	int64		dx[MAX_DX + 1]; /* by seq; 0: empty */
	bool		dx_pointed[MAX_DX + 1];
	int			ndx;
	Line	   *lines;
	int			nlines;
	int			maxlines;
	char		date[16];
} Scrub;

static void
report(Scrub *s, int line, RuleId rule,...)
{
	char		message[512];
	va_list		args;
	Datum		values[4];
	bool		nulls[4] = {line == 0, false, false, false};

	if (s->errors_only && strcmp(rules[rule].severity, "error") != 0)
		return;
	va_start(args, rule);
	vsnprintf(message, sizeof(message), rules[rule].message, args);
	va_end(args);
	values[0] = Int32GetDatum(line);
	values[1] = CStringGetTextDatum(rules[rule].id);
	values[2] = CStringGetTextDatum(rules[rule].severity);
	values[3] = CStringGetTextDatum(message);
	tuplestore_putvalues(s->store, s->desc, values, nulls);
	s->nproblems++;
}

static char
letter(int seq)
{
	return (char) ('A' + seq - 1);
}

static const char *
icd_text(int64 code)
{
	char	   *buf = palloc(CODE_TEXT_MAX);

	icd10cm_type.format(code, buf);
	return buf;
}

static const char *
numeric_text(Numeric n)
{
	return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(n)));
}

static int
numeric_cmp_int(Numeric n, int v)
{
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(n),
											 DirectFunctionCall1(int4_numeric, Int32GetDatum(v))));
}

/* ---- reading ---------------------------------------------------------------------- */

static SPIPlanPtr header_plan;

/*
 * The encounter with the facts other areas own: one execution per encounter.  Consent to treat by the registry's one
 * definition of "in force" (consent_covers), as consent_in_force answers it.
 */
static const char *header_sql =
"SELECT e.service_date, e.rendering_npi IS NOT NULL, e.billing_npi IS NOT NULL, e.referring_npi IS NOT NULL,"
" e.referral_id IS NOT NULL, e.place_of_service IS NOT NULL, e.coverage_id IS NOT NULL,"
" EXISTS (SELECT FROM " PATSVC_SCHEMA ".coverages c WHERE c.id OPERATOR(pg_catalog.=) e.coverage_id"
"         AND c.patient_id OPERATOR(pg_catalog.=) e.patient_id AND c.valid OPERATOR(pg_catalog.@>) e.service_date),"
" EXISTS (SELECT FROM " PATSVC_SCHEMA ".consents k WHERE k.patient_id OPERATOR(pg_catalog.=) e.patient_id"
"         AND k.consent_type OPERATOR(pg_catalog.=) 'treatment' AND " PATSVC_SCHEMA ".consent_covers(k, e.service_date)),"
" coalesce(r.requires_authorization, false),"
" EXISTS (SELECT FROM " PATSVC_SCHEMA ".authorizations au WHERE au.id OPERATOR(pg_catalog.=) e.authorization_id"
"         AND au.patient_id OPERATOR(pg_catalog.=) e.patient_id AND pg_catalog.btrim(au.auth_number) OPERATOR(pg_catalog.<>) ''),"
" coalesce(r.requires_referral, false)"
" FROM " PATSVC_SCHEMA ".encounters e"
" LEFT JOIN " PATSVC_SCHEMA ".appointments a ON a.id OPERATOR(pg_catalog.=) e.appointment_id"
" LEFT JOIN " PATSVC_SCHEMA ".appointment_type_requirements r ON r.type_id OPERATOR(pg_catalog.=) a.type_id"
" WHERE e.id OPERATOR(pg_catalog.=) $1";

static bool
get_bool(HeapTuple tup, TupleDesc desc, int attno)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, attno, &isnull);

	return !isnull && DatumGetBool(d);
}

static bool
read_header(Scrub *s, Datum id, bool read_only)
{
	HeapTuple	tup;
	TupleDesc	desc;
	bool		isnull;
	Oid			types[1] = {INT8OID};

	patsvc_kept_plan(&header_plan, header_sql, 1, types);
	if (SPI_execute_plan(header_plan, &id, NULL, read_only, 1) != SPI_OK_SELECT)
		elog(ERROR, "patsvc: could not read the encounter");
	if (SPI_processed == 0)
		return false;
	tup = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	s->h.service_date = DatumGetDateADT(SPI_getbinval(tup, desc, 1, &isnull));
	s->h.has_rendering = get_bool(tup, desc, 2);
	s->h.has_billing = get_bool(tup, desc, 3);
	s->h.has_referring = get_bool(tup, desc, 4);
	s->h.has_referral = get_bool(tup, desc, 5);
	s->h.has_pos = get_bool(tup, desc, 6);
	s->h.has_coverage = get_bool(tup, desc, 7);
	s->h.coverage_in_force = get_bool(tup, desc, 8);
	s->h.consent_in_force = get_bool(tup, desc, 9);
	s->h.auth_required = get_bool(tup, desc, 10);
	s->h.auth_number = get_bool(tup, desc, 11);
	s->h.referral_required = get_bool(tup, desc, 12);
	snprintf(s->date, sizeof(s->date), "%s",
			 DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(s->h.service_date))));
	return true;
}

static void
read_modifiers(Line *l, Datum array)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	ArrayType  *arr = DatumGetArrayTypeP(array);

	/* code_modifier is an int8 passed by value (codes.h) */
	deconstruct_array(arr, ARR_ELEMTYPE(arr), 8, true, TYPALIGN_DOUBLE, &elems, &nulls, &n);
	for (int i = 0; i < n && l->nmodifiers < 4; i++)
		if (!nulls[i])
		{
			char		buf[CODE_TEXT_MAX];

			code_modifier_type.format(DatumGetInt64(elems[i]), buf);
			strlcpy(l->modifiers[l->nmodifiers++], buf, 3);
		}
}

static void
read_pointers(Line *l, Datum array)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	deconstruct_array(DatumGetArrayTypeP(array), INT2OID, 2, true, TYPALIGN_SHORT, &elems, &nulls, &n);
	for (int i = 0; i < n && l->npointers < MAX_POINTERS; i++)
		l->pointers[l->npointers++] = nulls[i] ? 0 : DatumGetInt16(elems[i]);
	if (n > MAX_POINTERS)
		l->npointers = n;		/* reported as too many; only the first are read */
}

/*
 * The encounter's diagnoses and lines are read straight from their primary
 * key indexes (encounter_id, seq or line), in order, without an executor
 * per encounter (core: patsvc_key_scan); the column numbers are looked up
 * once, not per row.  The scrubber runs as the owner.
 */
enum
{
	DX_SEQ, DX_CODE, DX_COUNT
};
static const char *const diagnosis_names[DX_COUNT] = {"seq", "code"};
static PatsvcColumns diagnosis_columns = {diagnosis_names, DX_COUNT};

enum
{
	LN_LINE, LN_CODE, LN_KIND, LN_MODIFIERS, LN_POINTERS, LN_UNITS, LN_CHARGE, LN_NDC, LN_DRUG_QTY,
	LN_DRUG_UNIT, LN_COUNT
};
static const char *const line_names[LN_COUNT] = {
	"line", "code", "procedure_kind", "modifiers", "pointers", "units", "charge", "ndc", "drug_quantity",
	"drug_unit"
};
static PatsvcColumns line_columns = {line_names, LN_COUNT};

static void
read_diagnoses(Scrub *s, int64 encounter, Snapshot snapshot)
{
	PatsvcKeyScan ks;
	bool		isnull;

	patsvc_key_scan_begin(&ks, "encounter_diagnoses", NULL, &diagnosis_columns, encounter, snapshot);
	while (patsvc_key_scan_next(&ks))
	{
		int			seq = DatumGetInt16(patsvc_key_scan_column(&ks, DX_SEQ, &isnull));

		if (seq >= 1 && seq <= MAX_DX)
		{
			s->dx[seq] = DatumGetInt64(patsvc_key_scan_column(&ks, DX_CODE, &isnull));
			s->ndx++;
		}
	}
	patsvc_key_scan_end(&ks);
}

static Line *
new_line(Scrub *s)
{
	Line	   *l;

	if (s->nlines == s->maxlines)
	{
		s->maxlines = s->maxlines ? s->maxlines * 2 : 8;
		s->lines = s->lines ? repalloc(s->lines, sizeof(Line) * s->maxlines) : palloc(sizeof(Line) * s->maxlines);
	}
	l = &s->lines[s->nlines++];
	memset(l, 0, sizeof(Line));
	return l;
}

static void
read_line(Line *l, PatsvcKeyScan *ks)
{
	bool		isnull;
	Datum		qty;

	l->line = DatumGetInt16(patsvc_key_scan_column(ks, LN_LINE, &isnull));
	text_to_cstring_buffer(DatumGetTextPP(patsvc_key_scan_column(ks, LN_CODE, &isnull)), l->code, sizeof(l->code));
	l->hcpcs = strcmp(TextDatumGetCString(patsvc_key_scan_column(ks, LN_KIND, &isnull)), "hcpcs") == 0;
	l->key = ncci_code_key(l->code);
	read_modifiers(l, patsvc_key_scan_column(ks, LN_MODIFIERS, &isnull));
	read_pointers(l, patsvc_key_scan_column(ks, LN_POINTERS, &isnull));
	l->units = DatumGetNumericCopy(patsvc_key_scan_column(ks, LN_UNITS, &isnull));
	l->charge = DatumGetNumericCopy(patsvc_key_scan_column(ks, LN_CHARGE, &isnull));
	patsvc_key_scan_column(ks, LN_NDC, &isnull);
	l->has_ndc = !isnull;
	qty = patsvc_key_scan_column(ks, LN_DRUG_QTY, &isnull);
	l->drug_ok = !isnull && numeric_cmp_int(DatumGetNumeric(qty), 0) > 0;
	patsvc_key_scan_column(ks, LN_DRUG_UNIT, &isnull);
	l->drug_ok &= !isnull;
}

static void
read_lines(Scrub *s, int64 encounter, Snapshot snapshot)
{
	PatsvcKeyScan ks;

	patsvc_key_scan_begin(&ks, "encounter_lines", NULL, &line_columns, encounter, snapshot);
	while (patsvc_key_scan_next(&ks))
		read_line(new_line(s), &ks);
	patsvc_key_scan_end(&ks);
}

/* ---- the checks ---------------------------------------------------------------------- */

static void
check_header(Scrub *s)
{
	if (!s->h.has_rendering)
		report(s, 0, EN001);
	if (!s->h.has_billing)
		report(s, 0, EN002);
	if (s->h.has_referral && !s->h.has_referring)
		report(s, 0, EN003);
	if (s->h.service_date > GetSQLCurrentDate())
		report(s, 0, EN004, s->date);
	if (!s->h.has_pos)
		report(s, 0, EN005);
	if (s->nlines == 0)
		report(s, 0, EN006);
	if (!s->h.has_coverage)
		report(s, 0, CV001);
	else if (!s->h.coverage_in_force)
		report(s, 0, CV002, s->date);
	if (!s->h.consent_in_force)
		report(s, 0, CV003, s->date);
	if (s->h.auth_required && !s->h.auth_number)
		report(s, 0, AU001);
	if (s->h.referral_required && !s->h.has_referral)
		report(s, 0, AU002);
}

/* V00-Y99: chapter 20, external causes (first letter V, W, X or Y). */
static bool
is_external_cause(int64 code)
{
	const char *t = icd_text(code);

	return t[0] >= 'V' && t[0] <= 'Y';
}

static void
check_diagnoses(Scrub *s)
{
	int			last = 0;

	if (s->ndx == 0)
	{
		report(s, 0, DX001);
		return;
	}
	for (int seq = 1; seq <= MAX_DX; seq++)
		if (s->dx[seq] != 0)
			last = seq;
	for (int seq = 1; seq < last; seq++)
		if (s->dx[seq] == 0)
			report(s, 0, DX007, letter(last), letter(seq));
	for (int seq = 1; seq <= MAX_DX; seq++)
		for (int other = 1; s->dx[seq] != 0 && other < seq; other++)
			if (s->dx[other] == s->dx[seq])
			{
				report(s, 0, DX005, letter(seq), icd_text(s->dx[seq]), letter(other));
				break;
			}
	for (int seq = 1; seq <= MAX_DX; seq++)
		if (s->dx[seq] != 0)
		{
			if (is_external_cause(s->dx[seq]))
				report(s, 0, DX006, icd_text(s->dx[seq]));
			break;
		}
}

/* The release in effect: one DX004 when none covers the date. */
static void
check_diagnoses_billable(Scrub *s)
{
	for (int seq = 1; seq <= MAX_DX; seq++)
	{
		CodeSetAnswer a;

		if (s->dx[seq] == 0)
			continue;
		a = codeset_icd10cm_billable(s->dx[seq], s->h.service_date);
		if (a == CODESET_NO_RELEASE)
		{
			report(s, 0, DX004, s->date);
			return;
		}
		if (a == CODESET_NO)
			report(s, 0, DX002, letter(seq), icd_text(s->dx[seq]), s->date);
		else if (a == CODESET_ABSENT)
			report(s, 0, DX003, letter(seq), icd_text(s->dx[seq]), s->date);
	}
}

static void
check_pointers(Scrub *s, Line *l)
{
	if (l->npointers == 0)
		report(s, l->line, PT001);
	else if (l->npointers > 4)
		report(s, l->line, PT002, l->npointers);
	for (int i = 0; i < Min(l->npointers, MAX_POINTERS); i++)
	{
		int			p = l->pointers[i];
		bool		repeated = false;

		if (p < 1 || p > MAX_DX)
		{
			report(s, l->line, PT003, p);
			continue;
		}
		for (int j = 0; j < i; j++)
			repeated |= (l->pointers[j] == p);
		if (repeated)
			report(s, l->line, PT005, letter(p));
		else if (s->dx[p] == 0)
			report(s, l->line, PT004, letter(p));
		else
		{
			s->dx_pointed[p] = true;
			if (i == 0 && is_external_cause(s->dx[p]))
				report(s, l->line, PT006, letter(p), icd_text(s->dx[p]));
		}
	}
}

static void
check_unpointed(Scrub *s)
{
	for (int seq = 1; seq <= MAX_DX; seq++)
		if (s->dx[seq] != 0 && !s->dx_pointed[seq])
			report(s, 0, DX008, letter(seq), icd_text(s->dx[seq]));
}

/* Returns false once it reported PR003 (no release: no more HCPCS checks). */
static bool
check_hcpcs(Scrub *s, Line *l)
{
	CodeSetAnswer a = codeset_hcpcs_active(code_parse_or_error(&hcpcs_type, l->code), s->h.service_date);

	if (a == CODESET_NO_RELEASE)
	{
		report(s, l->line, PR003, s->date);
		return false;
	}
	if (a == CODESET_ABSENT)
		report(s, l->line, PR001, l->code, s->date);
	else if (a == CODESET_NO)
		report(s, l->line, PR002, l->code, s->date);
	return true;
}

static void
check_line(Scrub *s, Line *l)
{
	if (numeric_cmp_int(l->units, 1) < 0)
		report(s, l->line, LN001, numeric_text(l->units));
	if (numeric_cmp_int(l->charge, 0) < 0)
		report(s, l->line, LN002, numeric_text(l->charge));
	for (int i = 0; i < l->nmodifiers; i++)
		for (int j = 0; j < i; j++)
			if (strcmp(l->modifiers[i], l->modifiers[j]) == 0)
			{
				report(s, l->line, LN003, l->modifiers[i]);
				break;
			}
	if (l->hcpcs && l->code[0] == 'J' && !l->has_ndc)
		report(s, l->line, LN004, l->code);
	if (l->has_ndc && !l->drug_ok)
		report(s, l->line, LN005);
}

/* NCCI PTP-associated modifiers: anatomic, global surgery and others (codes.md 2.5). */
static bool
is_ncci_modifier(const char *m)
{
	static const char *const list[] = {
		"E1", "E2", "E3", "E4", "FA", "F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F9",
		"TA", "T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9", "LT", "RT", "LC", "LD", "RC", "LM", "RI",
		"24", "25", "57", "58", "78", "79", "27", "59", "91", "XE", "XS", "XP", "XU"
	};

	for (int i = 0; i < lengthof(list); i++)
		if (strcmp(m, list[i]) == 0)
			return true;
	return false;
}

static bool
has_ncci_modifier(const Line *l)
{
	for (int i = 0; i < l->nmodifiers; i++)
		if (is_ncci_modifier(l->modifiers[i]))
			return true;
	return false;
}

/* Each line as column two against every other line as column one. */
static void
check_ptp(Scrub *s)
{
	if (s->nlines < 2 || !ncci_ptp_loaded())
		return;
	for (int two = 0; two < s->nlines; two++)
		for (int one = 0; one < s->nlines; one++)
		{
			Line	   *l1 = &s->lines[one];
			Line	   *l2 = &s->lines[two];
			int			indicator;

			if (l1->key == l2->key || !ncci_ptp_in_force(l1->key, l2->key, s->h.service_date, &indicator))
				continue;
			if (indicator == 1 && has_ncci_modifier(l2))
				continue;
			report(s, l2->line, NC001, l2->code, l1->code, l1->line,
				   indicator == 1 ? " without an NCCI-associated modifier" : " (no modifier allowed)");
		}
}

/* MAI 1 per line; MAI 2 and 3 per date of service: the code's units summed, reported on its last line. */
static void
check_mue(Scrub *s)
{
	for (int i = 0; i < s->nlines; i++)
	{
		Line	   *l = &s->lines[i];
		int			value,
					mai;
		Numeric		total = l->units;
		bool		last = true;

		if (!ncci_mue(l->key, s->h.service_date, &value, &mai))
			continue;
		if (mai == 1)
		{
			if (numeric_cmp_int(l->units, value) > 0)
				report(s, l->line, MU001, numeric_text(l->units), value, l->code);
			continue;
		}
		for (int j = 0; j < s->nlines; j++)
			if (j != i && s->lines[j].key == l->key)
			{
				if (j > i)
					last = false;
				else
					total = DatumGetNumeric(DirectFunctionCall2(numeric_add, NumericGetDatum(total),
																NumericGetDatum(s->lines[j].units)));
			}
		if (last && numeric_cmp_int(total, value) > 0)
			report(s, l->line, MU002, numeric_text(total), l->code, value, mai);
	}
}

static void
check_lines(Scrub *s)
{
	bool		hcpcs_release = true;

	for (int i = 0; i < s->nlines; i++)
	{
		Line	   *l = &s->lines[i];

		check_pointers(s, l);
		if (l->hcpcs && hcpcs_release)
			hcpcs_release = check_hcpcs(s, l);
		check_line(s, l);
	}
	check_ptp(s);
	check_mue(s);
}

/* ---- the SQL functions ---------------------------------------------------------------- */

static void
scrub(FunctionCallInfo fcinfo, bool errors_only)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Datum		id = PG_GETARG_DATUM(0);
	Scrub		s;
	bool		read_only = !errors_only;
	bool		found;
	Snapshot	snapshot;

	InitMaterializedSRF(fcinfo, 0);
	memset(&s, 0, sizeof(s));
	s.store = rsinfo->setResult;
	s.desc = rsinfo->setDesc;
	s.errors_only = errors_only;
	patsvc_spi_connect();
	found = read_header(&s, id, read_only);
	patsvc_spi_finish();
	if (!found)
	{
		int64		encounter = DatumGetInt64(id);

		unknown_encounter_error(&encounter);
	}
	/* the finalize check reads with a new snapshot (READ COMMITTED: what committed before it) */
	snapshot = RegisterSnapshot(read_only ? GetActiveSnapshot() : GetTransactionSnapshot());
	read_diagnoses(&s, DatumGetInt64(id), snapshot);
	read_lines(&s, DatumGetInt64(id), snapshot);
	UnregisterSnapshot(snapshot);
	check_header(&s);
	check_diagnoses(&s);
	check_diagnoses_billable(&s);
	check_lines(&s);
	check_unpointed(&s);
}

PG_FUNCTION_INFO_V1(patsvc_claim_problems);
Datum
patsvc_claim_problems(PG_FUNCTION_ARGS)
{
	scrub(fcinfo, false);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(patsvc_claim_errors_now);
Datum
patsvc_claim_errors_now(PG_FUNCTION_ARGS)
{
	scrub(fcinfo, true);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(patsvc_claim_rules);
Datum
patsvc_claim_rules(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, 0);
	for (int i = 0; i < NRULES; i++)
	{
		Datum		values[3] = {CStringGetTextDatum(rules[i].id), CStringGetTextDatum(rules[i].severity),
		CStringGetTextDatum(rules[i].description)};
		bool		nulls[3] = {false, false, false};

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
