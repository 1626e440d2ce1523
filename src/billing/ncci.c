/*
 * ncci.c -- NCCI procedure-to-procedure (PTP) edits and medically unlikely
 * edits (MUE): the importers of the practitioner files as CMS ships them,
 * and the per-backend caches the scrubber reads them through.
 *
 * PTP file: tab-delimited text; notice lines and a header wrapped over
 * several lines come first, then one edit per line in 7 columns: column one
 * code, column two code, "*" if the edit existed before 1996, effective date
 * YYYYMMDD, deletion date YYYYMMDD or "*" (none), modifier indicator 0/1/9,
 * rationale.  MUE file: CSV; a quoted notice record and a header record,
 * then code, MUE value, adjudication indicator text whose leading digit is
 * the MAI (1 Line Edit, 2 Date of Service Edit: Policy, 3 Date of Service
 * Edit: Clinical), rationale.  In both, the preamble is every line before
 * the first one that starts with a well-formed CPT or HCPCS code; after it
 * every non-empty line must be a record (PS606 with its number otherwise).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/md5.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "core/core.h"
#include "codes/codes.h"
#include "billing/billing.h"

#define NCCI_RELEASE_MAX 64

/* ---------------------------------------------------------------------
 * Shared by both importers
 * --------------------------------------------------------------------- */

typedef struct NcciFile
{
	const char *kind;			/* "NCCI PTP file", for messages */
	const char *layout;			/* the expected layout: the hint */
	const char *pos;
	const char *end;
	int			lineno;			/* line the current record starts on */
	int			nextline;		/* line the reader is at */
} NcciFile;

static void
pg_attribute_noreturn()
bad_ncci_line(const NcciFile *f, const char *fmt,...)
pg_attribute_printf(2, 3);

static void
bad_ncci_line(const NcciFile *f, const char *fmt,...)
{
	va_list		args;

	va_start(args, fmt);
	patsvc_bad_file_line_va(ERRCODE_PATSVC_BAD_NCCI_FILE, f->kind, f->lineno, NULL, f->layout, fmt, args);
}

static void
pg_attribute_noreturn()
bad_argument(const char *msg, const char *hint)
{
	ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("%s", msg), errhint("%s", hint)));
	pg_unreachable();
}

static char *
release_arg(FunctionCallInfo fcinfo, int argno)
{
	char	   *release;

	if (PG_ARGISNULL(argno))
		bad_argument("the release name is missing", "Name the release, e.g. v261r0 or 2021Q1.");
	release = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	if (strspn(release, " \t") == strlen(release) || strlen(release) > NCCI_RELEASE_MAX)
		bad_argument("the release name is empty or longer than 64 characters",
					 "Name the release, e.g. v261r0 or 2021Q1.");
	return release;
}

static text *
file_arg(FunctionCallInfo fcinfo, int argno, char *md5)
{
	text	   *file;
	const char *err = NULL;

	if (PG_ARGISNULL(argno))
		bad_argument("the file contents are missing", "Pass the contents of the file as text (pg_read_file, or \\set in psql).");
	file = PG_GETARG_TEXT_PP(argno);
	if (!pg_md5_hash(VARDATA_ANY(file), VARSIZE_ANY_EXHDR(file), md5, &err))
		elog(ERROR, "could not compute md5: %s", err);
	return file;
}

/* A well-formed CPT or HCPCS Level II code, exactly as CMS writes it. */
static bool
is_procedure_code(const char *s, int len)
{
	if (len != 5)
		return false;
	if (s[0] >= 'A' && s[0] <= 'V')
		return isdigit((unsigned char) s[1]) && isdigit((unsigned char) s[2]) &&
			isdigit((unsigned char) s[3]) && isdigit((unsigned char) s[4]);
	for (int i = 0; i < 4; i++)
		if (!isdigit((unsigned char) s[i]))
			return false;
	return isdigit((unsigned char) s[4]) || s[4] == 'F' || s[4] == 'T' || s[4] == 'U' || s[4] == 'M';
}

/* Next physical line without CR LF; false at the end. */
static bool
next_line(NcciFile *f, const char **line, int *len)
{
	const char *nl;

	if (f->pos >= f->end)
		return false;
	nl = memchr(f->pos, '\n', f->end - f->pos);
	*line = f->pos;
	*len = (int) ((nl ? nl : f->end) - f->pos);
	f->pos = nl ? nl + 1 : f->end;
	f->lineno = ++f->nextline;
	if (*len > 0 && (*line)[*len - 1] == '\r')
		(*len)--;
	return true;
}

static bool
parse_yyyymmdd(const char *s, int len, DateADT *date)
{
	int			y,
				m,
				d;

	if (len != 8)
		return false;
	for (int i = 0; i < 8; i++)
		if (!isdigit((unsigned char) s[i]))
			return false;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	m = (s[4] - '0') * 10 + (s[5] - '0');
	d = (s[6] - '0') * 10 + (s[7] - '0');
	if (y < 1900 || m < 1 || m > 12 || d < 1 || d > day_tab[isleap(y)][m - 1])
		return false;
	*date = date2j(y, m, d) - POSTGRES_EPOCH_JDATE;
	return true;
}

static Datum
text_array(Datum *values, int n)
{
	return PointerGetDatum(construct_array(values, n, TEXTOID, -1, false, TYPALIGN_INT));
}

static Datum
int4_array(Datum *values, int n)
{
	return PointerGetDatum(construct_array(values, n, INT4OID, 4, true, TYPALIGN_INT));
}

static Datum
date_array(Datum *values, bool *nulls, int n)
{
	int			dims[1] = {n};
	int			lbs[1] = {1};

	return PointerGetDatum(construct_md_array(values, nulls, 1, dims, lbs, DATEOID, 4, true, TYPALIGN_INT));
}

static void
spi_run(const char *sql, int nargs, Oid *types, Datum *values, int expected)
{
	int			rc = SPI_execute_with_args(sql, nargs, types, values, NULL, false, 0);

	if (rc != expected)
		elog(ERROR, "patsvc NCCI import: SPI returned %d for: %s", rc, sql);
}

/* ---------------------------------------------------------------------
 * PTP
 * --------------------------------------------------------------------- */

static const char *ptp_layout =
"An NCCI PTP file is tab-delimited: notice and header lines first, then one edit per line in 7 columns: "
"column one code, column two code, * (in existence prior to 1996) or nothing, effective date YYYYMMDD, "
"deletion date YYYYMMDD or *, modifier indicator 0, 1 or 9, rationale.";

typedef struct PtpRows
{
	int			n;
	int			cap;
	Datum	   *line,
			   *col1,
			   *col2,
			   *prior,
			   *eff,
			   *del,
			   *ind,
			   *why;
	bool	   *delnull;
} PtpRows;

static void
ptp_rows_grow(PtpRows *r)
{
	Datum	  **cols[] = {&r->line, &r->col1, &r->col2, &r->prior, &r->eff, &r->del, &r->ind, &r->why};

	r->cap = r->cap ? r->cap * 2 : 1024;
	for (int i = 0; i < lengthof(cols); i++)
		*cols[i] = *cols[i] ? repalloc_huge(*cols[i], sizeof(Datum) * r->cap)
			: palloc_extended(sizeof(Datum) * r->cap, MCXT_ALLOC_HUGE);
	r->delnull = r->delnull ? repalloc_huge(r->delnull, sizeof(bool) * r->cap)
		: palloc_extended(sizeof(bool) * r->cap, MCXT_ALLOC_HUGE);
}

/* Splits a line at tabs into at most max fields; returns how many there are (max + 1: too many). */
static int
split_tabs(const char *line, int len, const char **fields, int *lens, int max)
{
	int			n = 0;
	const char *p = line;
	const char *end = line + len;

	for (;;)
	{
		const char *tab = memchr(p, '\t', end - p);
		const char *stop = tab ? tab : end;

		if (n == max)
			return max + 1;
		fields[n] = p;
		lens[n] = (int) (stop - p);
		n++;
		if (!tab)
			return n;
		p = tab + 1;
	}
}

static bool
blank(const char *s, int len)
{
	for (int i = 0; i < len; i++)
		if (s[i] != ' ')
			return false;
	return true;
}

static void
ptp_record(NcciFile *f, const char *line, int len, PtpRows *r)
{
	const char *fl[8];
	int			ln[8];
	int			n = split_tabs(line, len, fl, ln, 7);
	DateADT		eff,
				del = 0;
	bool		deleted;
	int			i = r->n;

	if (n != 7)
		bad_ncci_line(f, "%s columns, expected 7", n > 7 ? "more than 7" : psprintf("%d", n));
	if (!is_procedure_code(fl[1], ln[1]))
		bad_ncci_line(f, "column two \"%.*s\" is not a CPT or HCPCS code", Min(ln[1], 20), fl[1]);
	if (!(blank(fl[2], ln[2]) || (ln[2] == 1 && fl[2][0] == '*')))
		bad_ncci_line(f, "column 3 is \"%.*s\", expected * or nothing", Min(ln[2], 20), fl[2]);
	if (!parse_yyyymmdd(fl[3], ln[3], &eff))
		bad_ncci_line(f, "effective date \"%.*s\" is not a date YYYYMMDD", Min(ln[3], 20), fl[3]);
	deleted = !(ln[4] == 1 && fl[4][0] == '*');
	if (deleted && !parse_yyyymmdd(fl[4], ln[4], &del))
		bad_ncci_line(f, "deletion date \"%.*s\" is not a date YYYYMMDD or *", Min(ln[4], 20), fl[4]);
	if (deleted && del < eff)
		bad_ncci_line(f, "the deletion date is before the effective date");
	if (ln[5] != 1 || (fl[5][0] != '0' && fl[5][0] != '1' && fl[5][0] != '9'))
		bad_ncci_line(f, "modifier indicator \"%.*s\" is not 0, 1 or 9", Min(ln[5], 20), fl[5]);
	if (r->n == r->cap)
		ptp_rows_grow(r);
	r->line[i] = Int32GetDatum(f->lineno);
	r->col1[i] = PointerGetDatum(cstring_to_text_with_len(fl[0], 5));
	r->col2[i] = PointerGetDatum(cstring_to_text_with_len(fl[1], 5));
	r->prior[i] = PointerGetDatum(cstring_to_text(ln[2] == 1 && fl[2][0] == '*' ? "t" : "f"));
	r->eff[i] = DateADTGetDatum(eff);
	r->del[i] = DateADTGetDatum(del);
	r->delnull[i] = !deleted;
	r->ind[i] = Int32GetDatum(fl[5][0] - '0');
	r->why[i] = PointerGetDatum(cstring_to_text_with_len(fl[6], ln[6]));
	r->n++;
}

static void
parse_ptp(NcciFile *f, PtpRows *r)
{
	const char *line;
	int			len;
	bool		in_data = false;

	while (next_line(f, &line, &len))
	{
		const char *tab = memchr(line, '\t', len);
		int			first = tab ? (int) (tab - line) : len;

		if (!in_data && !is_procedure_code(line, first))
			continue;
		in_data = true;
		if (blank(line, len))
			continue;
		if (!is_procedure_code(line, first))
			bad_ncci_line(f, "column one \"%.*s\" is not a CPT or HCPCS code", Min(first, 20), line);
		ptp_record(f, line, len, r);
	}
	if (r->n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_BAD_NCCI_FILE),
				 errmsg("the NCCI PTP file holds no edit"),
				 errdetail("No line starts with a CPT or HCPCS code. Nothing was imported."),
				 errhint("%s", ptp_layout)));
}

static const char *ptp_insert_sql =
"INSERT INTO " PATSVC_SCHEMA ".ncci_ptp (release, file_md5, line_number, column_one, column_two, prior_1996,"
" effective, deletion, modifier_indicator, rationale)"
" SELECT $1, $2, u.l, u.c1, u.c2, u.p::boolean, u.e, u.d, u.i::smallint, u.w"
" FROM ROWS FROM (pg_catalog.unnest($3), pg_catalog.unnest($4), pg_catalog.unnest($5), pg_catalog.unnest($6),"
" pg_catalog.unnest($7), pg_catalog.unnest($8), pg_catalog.unnest($9), pg_catalog.unnest($10)) AS u(l, c1, c2, p, e, d, i, w)";

static void
ptp_insert(const char *release, const char *md5, PtpRows *r)
{
	Oid			types[10] = {TEXTOID, TEXTOID, INT4ARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
	DATEARRAYOID, DATEARRAYOID, INT4ARRAYOID, TEXTARRAYOID};
	Datum		values[10];

	values[0] = CStringGetTextDatum(release);
	values[1] = CStringGetTextDatum(md5);
	values[2] = int4_array(r->line, r->n);
	values[3] = text_array(r->col1, r->n);
	values[4] = text_array(r->col2, r->n);
	values[5] = text_array(r->prior, r->n);
	values[6] = date_array(r->eff, NULL, r->n);
	values[7] = date_array(r->del, r->delnull, r->n);
	values[8] = int4_array(r->ind, r->n);
	values[9] = text_array(r->why, r->n);
	spi_run(ptp_insert_sql, 10, types, values, SPI_OK_INSERT);
}

/* Rows already loaded from this file of this release (-1: none). */
static int
ptp_loaded_rows(const char *release, const char *md5)
{
	Oid			types[2] = {TEXTOID, TEXTOID};
	Datum		values[2] = {CStringGetTextDatum(release), CStringGetTextDatum(md5)};
	bool		isnull;
	int64		n;

	spi_run("SELECT pg_catalog.count(*) FROM " PATSVC_SCHEMA ".ncci_ptp"
			" WHERE release OPERATOR(pg_catalog.=) $1 AND file_md5 OPERATOR(pg_catalog.=) $2",
			2, types, values, SPI_OK_SELECT);
	n = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	return n > 0 ? (int) n : -1;
}

PG_FUNCTION_INFO_V1(patsvc_import_ncci_ptp);
Datum
patsvc_import_ncci_ptp(PG_FUNCTION_ARGS)
{
	char	   *release = release_arg(fcinfo, 0);
	char		md5[33];
	text	   *file = file_arg(fcinfo, 1, md5);
	NcciFile	f = {"NCCI PTP file", ptp_layout, VARDATA_ANY(file), VARDATA_ANY(file) + VARSIZE_ANY_EXHDR(file)};
	PtpRows		rows = {0};
	Oid			types[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(release)};
	int			done;

	patsvc_spi_connect();
	/* one import at a time: the second waits, then finds the file loaded */
	spi_run("LOCK TABLE " PATSVC_SCHEMA ".ncci_ptp_release IN SHARE ROW EXCLUSIVE MODE", 0, NULL, NULL, SPI_OK_UTILITY);
	done = ptp_loaded_rows(release, md5);
	if (done >= 0)
	{
		patsvc_spi_finish();
		PG_RETURN_INT32(done);
	}
	parse_ptp(&f, &rows);
	spi_run("INSERT INTO " PATSVC_SCHEMA ".ncci_ptp_release (release) VALUES ($1) ON CONFLICT DO NOTHING",
			1, types, values, SPI_OK_INSERT);
	ptp_insert(release, md5, &rows);
	patsvc_spi_finish();
	PG_RETURN_INT32(rows.n);
}

/* ---------------------------------------------------------------------
 * MUE
 * --------------------------------------------------------------------- */

static const char *mue_layout =
"An MUE file is CSV: a quoted notice record and a header record first, then one code per record: "
"HCPCS/CPT code, MUE value (a whole number), MUE adjudication indicator (text starting with 1, 2 or 3: "
"1 Line Edit, 2 Date of Service Edit: Policy, 3 Date of Service Edit: Clinical), MUE rationale.";

#define MUE_FIELDS 4

/*
 * Next CSV record (RFC 4180: fields in double quotes may hold commas, line
 * ends and doubled quotes); f->lineno is the line it starts on.  Fields are
 * palloc'd; returns the field count (MUE_FIELDS + 1: more), -1 at the end.
 */
static int
next_csv_record(NcciFile *f, char **fields)
{
	StringInfoData field;
	int			n = 0;
	bool		quoted = false;
	bool		was_quoted = false;

	if (f->pos >= f->end)
		return -1;
	f->lineno = ++f->nextline;
	initStringInfo(&field);
	while (f->pos < f->end)
	{
		char		c = *f->pos++;

		if (quoted)
		{
			if (c == '"' && f->pos < f->end && *f->pos == '"')
				appendStringInfoChar(&field, *f->pos++);
			else if (c == '"')
				quoted = false;
			else
			{
				if (c == '\n')
					f->nextline++;
				appendStringInfoChar(&field, c);
			}
			continue;
		}
		if (c == '"' && field.len == 0 && !was_quoted)
			quoted = was_quoted = true;
		else if (c == ',' || c == '\n')
		{
			if (field.len > 0 && field.data[field.len - 1] == '\r' && c == '\n')
				field.data[--field.len] = '\0';
			if (n < MUE_FIELDS)
				fields[n] = pstrdup(field.data);
			n++;
			resetStringInfo(&field);
			was_quoted = false;
			if (c == '\n')
				return Min(n, MUE_FIELDS + 1);
		}
		else if (was_quoted && c != '\r')
			bad_ncci_line(f, "text after a closing quote");
		else
			appendStringInfoChar(&field, c);
	}
	if (quoted)
		bad_ncci_line(f, "a quoted field is not closed");
	if (field.len > 0 && field.data[field.len - 1] == '\r')
		field.data[--field.len] = '\0';
	if (n < MUE_FIELDS)
		fields[n] = pstrdup(field.data);
	n++;
	return Min(n, MUE_FIELDS + 1);
}

typedef struct MueRows
{
	int			n;
	int			cap;
	Datum	   *code,
			   *value,
			   *mai,
			   *adj,
			   *why;
	HTAB	   *seen;			/* code -> line */
} MueRows;

typedef struct SeenMue
{
	uint64		key;
	int			lineno;
} SeenMue;

static void
mue_rows_init(MueRows *r)
{
	HASHCTL		ctl;

	memset(r, 0, sizeof(*r));
	ctl.keysize = sizeof(uint64);
	ctl.entrysize = sizeof(SeenMue);
	ctl.hcxt = CurrentMemoryContext;
	r->seen = hash_create("patsvc MUE import", 1024, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

static void
mue_rows_grow(MueRows *r)
{
	Datum	  **cols[] = {&r->code, &r->value, &r->mai, &r->adj, &r->why};

	r->cap = r->cap ? r->cap * 2 : 1024;
	for (int i = 0; i < lengthof(cols); i++)
		*cols[i] = *cols[i] ? repalloc_huge(*cols[i], sizeof(Datum) * r->cap)
			: palloc_extended(sizeof(Datum) * r->cap, MCXT_ALLOC_HUGE);
}

static void
mue_record(NcciFile *f, char **fl, int n, MueRows *r)
{
	char	   *end;
	long		value;
	uint64		key;
	bool		found;
	SeenMue    *seen;

	if (n != MUE_FIELDS)
		bad_ncci_line(f, "%s fields, expected 4", n > MUE_FIELDS ? "more than 4" : psprintf("%d", n));
	errno = 0;
	value = strtol(fl[1], &end, 10);
	if (fl[1][0] == '\0' || *end != '\0' || !isdigit((unsigned char) fl[1][0]) || errno != 0 || value > PG_INT32_MAX)
		bad_ncci_line(f, "MUE value \"%.20s\" is not a whole number", fl[1]);
	if (fl[2][0] < '1' || fl[2][0] > '3' || isdigit((unsigned char) fl[2][1]))
		bad_ncci_line(f, "adjudication indicator \"%.40s\" does not start with 1, 2 or 3", fl[2]);
	key = ncci_code_key(fl[0]);
	seen = hash_search(r->seen, &key, HASH_ENTER, &found);
	if (found)
		bad_ncci_line(f, "code %s already appeared on line %d", fl[0], seen->lineno);
	seen->lineno = f->lineno;
	if (r->n == r->cap)
		mue_rows_grow(r);
	r->code[r->n] = CStringGetTextDatum(fl[0]);
	r->value[r->n] = Int32GetDatum((int32) value);
	r->mai[r->n] = Int32GetDatum(fl[2][0] - '0');
	r->adj[r->n] = CStringGetTextDatum(fl[2]);
	r->why[r->n] = CStringGetTextDatum(fl[3]);
	r->n++;
}

static void
parse_mue(NcciFile *f, MueRows *r)
{
	char	   *fl[MUE_FIELDS + 1];
	int			n;
	bool		in_data = false;

	while ((n = next_csv_record(f, fl)) >= 0)
	{
		bool		empty = (n == 1 && fl[0][0] == '\0');
		bool		coded = !empty && is_procedure_code(fl[0], (int) strlen(fl[0]));

		if ((!in_data && !coded) || empty)
			continue;
		in_data = true;
		if (!coded)
			bad_ncci_line(f, "\"%.20s\" is not a CPT or HCPCS code", fl[0]);
		mue_record(f, fl, n, r);
	}
	if (r->n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_BAD_NCCI_FILE),
				 errmsg("the MUE file holds no edit"),
				 errdetail("No record starts with a CPT or HCPCS code. Nothing was imported."),
				 errhint("%s", mue_layout)));
}

/*
 * $1 release, $2 effective_from, $3 effective_to (NULL: open), $4 md5, $5 the
 * number of codes (once parsed): the parameters of the release queries
 */
typedef struct MueArgs
{
	Datum		values[5];
	char		nulls[5];
} MueArgs;

static Oid	mue_arg_types[5] = {TEXTOID, DATEOID, DATEOID, TEXTOID, INT4OID};

#define MUE_RANGE "pg_catalog.daterange($2, $3, '[]')"

static void
mue_run(const char *sql, MueArgs *a, int expected)
{
	int			rc = SPI_execute_with_args(sql, 5, mue_arg_types, a->values, a->nulls, false, 0);

	if (rc != expected)
		elog(ERROR, "patsvc MUE import: SPI returned %d for: %s", rc, sql);
}

/* Same release, dates and file: its code count; else -1 (an overlap raises 22023). */
static int
mue_prepare(MueArgs *a)
{
	bool		isnull;

	spi_run("LOCK TABLE " PATSVC_SCHEMA ".mue_release IN SHARE ROW EXCLUSIVE MODE", 0, NULL, NULL, SPI_OK_UTILITY);
	mue_run("SELECT code_count FROM " PATSVC_SCHEMA ".mue_release WHERE release OPERATOR(pg_catalog.=) $1"
			" AND effective OPERATOR(pg_catalog.=) " MUE_RANGE " AND file_md5 OPERATOR(pg_catalog.=) $4",
			a, SPI_OK_SELECT);
	if (SPI_processed == 1)
		return DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	mue_run("SELECT release FROM " PATSVC_SCHEMA ".mue_release WHERE release OPERATOR(pg_catalog.<>) $1"
			" AND effective OPERATOR(pg_catalog.&&) " MUE_RANGE " LIMIT 1",
			a, SPI_OK_SELECT);
	if (SPI_processed == 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the dates of MUE release %s overlap those of release %s",
						TextDatumGetCString(a->values[0]),
						SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1)),
				 errhint("Give each quarterly MUE release its own dates of service, or delete the other release from patsvc.mue_release.")));
	mue_run("DELETE FROM " PATSVC_SCHEMA ".mue_release WHERE release OPERATOR(pg_catalog.=) $1", a, SPI_OK_DELETE);
	return -1;
}

static void
mue_insert(MueArgs *a, MueRows *r)
{
	Oid			types[6] = {TEXTOID, TEXTARRAYOID, INT4ARRAYOID, INT4ARRAYOID, TEXTARRAYOID, TEXTARRAYOID};
	Datum		values[6];

	a->values[4] = Int32GetDatum(r->n);
	mue_run("INSERT INTO " PATSVC_SCHEMA ".mue_release (release, effective, file_md5, code_count)"
			" SELECT $1, " MUE_RANGE ", $4, $5", a, SPI_OK_INSERT);
	values[0] = a->values[0];
	values[1] = text_array(r->code, r->n);
	values[2] = int4_array(r->value, r->n);
	values[3] = int4_array(r->mai, r->n);
	values[4] = text_array(r->adj, r->n);
	values[5] = text_array(r->why, r->n);
	spi_run("INSERT INTO " PATSVC_SCHEMA ".mue (release, code, mue_value, mai, adjudication, rationale)"
			" SELECT $1, u.c, u.v, u.m::smallint, u.a, u.w FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3),"
			" pg_catalog.unnest($4), pg_catalog.unnest($5), pg_catalog.unnest($6)) AS u(c, v, m, a, w)",
			6, types, values, SPI_OK_INSERT);
}

static void
mue_args(FunctionCallInfo fcinfo, MueArgs *a, const char *md5)
{
	a->values[0] = CStringGetTextDatum(release_arg(fcinfo, 0));
	if (PG_ARGISNULL(1) || DATE_NOT_FINITE(PG_GETARG_DATEADT(1)))
		bad_argument("effective_from is missing or not a finite date",
					 "Give the first date of service the MUE release applies to.");
	a->values[1] = PG_GETARG_DATUM(1);
	a->values[2] = PG_ARGISNULL(2) ? (Datum) 0 : PG_GETARG_DATUM(2);
	a->values[3] = CStringGetTextDatum(md5);
	a->values[4] = Int32GetDatum(0);
	memcpy(a->nulls, "     ", 5);
	if (PG_ARGISNULL(2) || DATE_IS_NOEND(PG_GETARG_DATEADT(2)))
		a->nulls[2] = 'n';
	else if (PG_GETARG_DATEADT(2) < PG_GETARG_DATEADT(1))
		bad_argument("effective_to is before effective_from",
					 "Give the last date of service the release applies to (inclusive), or NULL for none yet.");
}

PG_FUNCTION_INFO_V1(patsvc_import_mue);
Datum
patsvc_import_mue(PG_FUNCTION_ARGS)
{
	char		md5[33];
	text	   *file = file_arg(fcinfo, 3, md5);
	NcciFile	f = {"MUE file", mue_layout, VARDATA_ANY(file), VARDATA_ANY(file) + VARSIZE_ANY_EXHDR(file)};
	MueArgs		a;
	MueRows		rows;
	int			done;

	mue_args(fcinfo, &a, md5);
	patsvc_spi_connect();
	done = mue_prepare(&a);
	if (done >= 0)
	{
		patsvc_spi_finish();
		PG_RETURN_INT32(done);
	}
	mue_rows_init(&rows);
	parse_mue(&f, &rows);
	mue_insert(&a, &rows);
	patsvc_spi_finish();
	PG_RETURN_INT32(rows.n);
}

/* ---------------------------------------------------------------------
 * The caches
 * --------------------------------------------------------------------- */

uint64
ncci_code_key(const char *code)
{
	uint64		key = 0;

	for (int i = 0; i < 8 && code[i] != '\0'; i++)
		key |= ((uint64) (unsigned char) code[i]) << (56 - 8 * i);
	return key;
}

typedef struct PtpKey
{
	uint64		one;
	uint64		two;
} PtpKey;

typedef struct PtpRow
{
	DateADT		effective;
	DateADT		deletion;		/* DATEVAL_NOEND: not deleted */
	int			indicator;
	struct PtpRow *next;
} PtpRow;

typedef struct PtpEntry
{
	PtpKey		key;
	PtpRow		row;
} PtpEntry;

typedef struct MueEntry
{
	uint64		key;
	int			value;
	int			mai;
} MueEntry;

typedef struct MueRelease
{
	char	   *name;
	DateADT		lower;
	DateADT		upper;			/* day after the last; DATEVAL_NOEND: open */
	HTAB	   *codes;			/* NULL until first needed */
} MueRelease;

typedef struct NcciCache
{
	bool		valid;
	uint64		generation;
	MemoryContext cxt;
	Oid			relids[4];
	HTAB	   *ptp;			/* NULL: no PTP release loaded */
	int			nmue;
	MueRelease *mue;
} NcciCache;

static NcciCache cache;

static void
ncci_relcache_callback(Datum arg, Oid relid)
{
	for (int i = 0; i < lengthof(cache.relids); i++)
		if (relid == InvalidOid || relid == cache.relids[i])
		{
			cache.valid = false;
			cache.generation++;
			return;
		}
}

static DateADT
date_or(HeapTuple tup, TupleDesc desc, int attno, DateADT dflt)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, attno, &isnull);

	return isnull ? dflt : DatumGetDateADT(d);
}

static void
load_ptp(void)
{
	HASHCTL		ctl;

	if (SPI_execute("SELECT p.column_one, p.column_two, p.effective, p.deletion, p.modifier_indicator"
					" FROM " PATSVC_SCHEMA ".ncci_ptp p WHERE p.release OPERATOR(pg_catalog.=)"
					" (SELECT r.release FROM " PATSVC_SCHEMA ".ncci_ptp_release r"
					"   ORDER BY r.loaded_at DESC, r.release DESC LIMIT 1)"
					" AND p.modifier_indicator OPERATOR(pg_catalog.<>) 9", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "patsvc: could not read ncci_ptp");
	cache.ptp = NULL;
	if (SPI_processed == 0)
		return;
	ctl.keysize = sizeof(PtpKey);
	ctl.entrysize = sizeof(PtpEntry);
	ctl.hcxt = cache.cxt;
	cache.ptp = hash_create("patsvc NCCI PTP", SPI_processed, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		PtpKey		key;
		PtpRow		row;
		bool		found;
		bool		isnull;
		PtpEntry   *e;

		memset(&key, 0, sizeof(key));
		key.one = ncci_code_key(SPI_getvalue(tup, desc, 1));
		key.two = ncci_code_key(SPI_getvalue(tup, desc, 2));
		row.effective = date_or(tup, desc, 3, DATEVAL_NOBEGIN);
		row.deletion = date_or(tup, desc, 4, DATEVAL_NOEND);
		row.indicator = DatumGetInt16(SPI_getbinval(tup, desc, 5, &isnull));
		e = hash_search(cache.ptp, &key, HASH_ENTER, &found);
		row.next = found ? MemoryContextAlloc(cache.cxt, sizeof(PtpRow)) : NULL;
		if (found)
			*row.next = e->row;
		e->row = row;
	}
}

static void
load_mue_releases(void)
{
	if (SPI_execute("SELECT release, pg_catalog.lower(effective), pg_catalog.upper(effective)"
					" FROM " PATSVC_SCHEMA ".mue_release ORDER BY 2", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "patsvc: could not read mue_release");
	cache.mue = MemoryContextAllocZero(cache.cxt, sizeof(MueRelease) * Max(SPI_processed, 1));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];

		cache.mue[i].name = MemoryContextStrdup(cache.cxt, SPI_getvalue(tup, SPI_tuptable->tupdesc, 1));
		cache.mue[i].lower = date_or(tup, SPI_tuptable->tupdesc, 2, DATEVAL_NOBEGIN);
		cache.mue[i].upper = date_or(tup, SPI_tuptable->tupdesc, 3, DATEVAL_NOEND);
	}
	cache.nmue = (int) SPI_processed;
}

static void
ncci_cache_load(void)
{
	const char *tables[4] = {"ncci_ptp_release", "ncci_ptp", "mue_release", "mue"};
	uint64		generation;

	patsvc_listen_relcache(ncci_relcache_callback);
	if (cache.cxt == NULL)
		cache.cxt = AllocSetContextCreate(CacheMemoryContext, "patsvc NCCI edits", ALLOCSET_DEFAULT_SIZES);
	MemoryContextReset(cache.cxt);
	cache.ptp = NULL;
	cache.nmue = 0;
	for (int i = 0; i < 4; i++)
		cache.relids[i] = patsvc_relid(tables[i]);
	generation = cache.generation;
	patsvc_spi_connect();
	load_ptp();
	load_mue_releases();
	patsvc_spi_finish();
	cache.valid = (generation == cache.generation);
}

static void
ncci_cache_ready(void)
{
	if (!cache.valid)
		ncci_cache_load();
}

bool
ncci_ptp_loaded(void)
{
	ncci_cache_ready();
	return cache.ptp != NULL;
}

bool
ncci_ptp_in_force(uint64 column_one, uint64 column_two, DateADT date, int *indicator)
{
	PtpKey		key;
	PtpEntry   *e;
	bool		found = false;

	ncci_cache_ready();
	if (cache.ptp == NULL)
		return false;
	memset(&key, 0, sizeof(key));
	key.one = column_one;
	key.two = column_two;
	e = hash_search(cache.ptp, &key, HASH_FIND, NULL);
	for (PtpRow *r = e ? &e->row : NULL; r != NULL; r = r->next)
		if (r->effective <= date && (r->deletion == DATEVAL_NOEND || date < r->deletion))
		{
			*indicator = found ? Min(*indicator, r->indicator) : r->indicator;
			found = true;
		}
	return found;
}

static void
load_mue_codes(MueRelease *rel)
{
	HASHCTL		ctl;
	Datum		arg = CStringGetTextDatum(rel->name);
	Oid			argtype = TEXTOID;

	patsvc_spi_connect();
	if (SPI_execute_with_args("SELECT code, mue_value, mai FROM " PATSVC_SCHEMA ".mue"
							  " WHERE release OPERATOR(pg_catalog.=) $1", 1, &argtype, &arg, NULL, true, 0)
		!= SPI_OK_SELECT)
		elog(ERROR, "patsvc: could not read mue");
	ctl.keysize = sizeof(uint64);
	ctl.entrysize = sizeof(MueEntry);
	ctl.hcxt = cache.cxt;
	rel->codes = hash_create("patsvc MUE", Max(SPI_processed, 16), &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		bool		isnull;
		uint64		key = ncci_code_key(SPI_getvalue(tup, SPI_tuptable->tupdesc, 1));
		MueEntry   *e = hash_search(rel->codes, &key, HASH_ENTER, NULL);

		e->value = DatumGetInt32(SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &isnull));
		e->mai = DatumGetInt16(SPI_getbinval(tup, SPI_tuptable->tupdesc, 3, &isnull));
	}
	patsvc_spi_finish();
}

bool
ncci_mue(uint64 code, DateADT date, int *value, int *mai)
{
	ncci_cache_ready();
	for (int i = 0; i < cache.nmue; i++)
	{
		MueRelease *rel = &cache.mue[i];
		MueEntry   *e;

		if (date < rel->lower || (rel->upper != DATEVAL_NOEND && date >= rel->upper))
			continue;
		if (rel->codes == NULL)
			load_mue_codes(rel);
		e = hash_search(rel->codes, &code, HASH_FIND, NULL);
		if (e == NULL)
			return false;
		*value = e->value;
		*mai = e->mai;
		return true;
	}
	return false;
}
