/*
 * codeset_import.c -- load official CMS code-set files by release.
 *
 * patsvc.import_icd10cm_order() reads an ICD-10-CM order file and
 * patsvc.import_hcpcs() a HCPCS Level II alpha-numeric (ANWEB) file.  Both
 * take the file CONTENTS as text (a client reads the file; no server file
 * access), parse the whole file in C first -- any malformed line raises
 * PS102 naming the line, before anything changes -- then replace the
 * release in one bulk INSERT ... SELECT FROM unnest($n) per table.
 *
 * Columns are fixed width in bytes of the CMS files' encoding (ASCII /
 * Windows-1252).  The text arrives in the database encoding (the client's
 * client_encoding converted it), so a line holding non-ASCII characters is
 * converted back to Windows-1252 to find its columns, and its text fields
 * are converted to the database encoding again.
 */
#include "postgres.h"

#include <stdarg.h>
#include <stdio.h>

#include "catalog/pg_type.h"
#include "common/md5.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"

#include "core/core.h"
#include "codes/codes.h"
#include "codes/codeset.h"

#define RELEASE_NAME_MAX 64
#define HCPCS_RECORD_LEN 320
#define HCPCS_MAX_PREAMBLE 50
#define ICD_MIN_LEN 78

/* ---------------------------------------------------------------------
 * Reading a file line by line
 * --------------------------------------------------------------------- */

typedef struct FileReader
{
	const char *kind;			/* "ICD-10-CM order file", for messages */
	const char *layout;			/* the expected layout: the error hint */
	const char *pos;
	const char *end;
	int			lineno;
	int			first_empty;	/* first empty line seen, 0 if none */
	const char *raw;			/* the line in the database encoding */
	int			rawlen;
	const char *line;			/* the line, one byte per column */
	int			len;
	bool		converted;		/* line != raw: fields need converting back */
	bool		skip_empty;		/* in a preamble: empty lines are skipped */
} FileReader;

static void
reader_init(FileReader *r, const char *kind, const char *layout, text *contents)
{
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->layout = layout;
	r->pos = VARDATA_ANY(contents);
	r->end = r->pos + VARSIZE_ANY_EXHDR(contents);
}

static char *
printable_excerpt(const char *s, int len, int max)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; i < len && i < max; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (c >= 0x20 && c < 0x7f)
			appendStringInfoChar(&buf, (char) c);
		else
			appendStringInfo(&buf, "\\x%02x", c);
	}
	if (len > max)
		appendStringInfoString(&buf, "...");
	return buf.data;
}

static void
pg_attribute_noreturn()
bad_line_at(const FileReader *r, int lineno, const char *fmt,...)
pg_attribute_printf(3, 4);

static void
bad_line_at(const FileReader *r, int lineno, const char *fmt,...)
{
	char		what[512];
	va_list		args;

	va_start(args, fmt);
	vsnprintf(what, sizeof(what), fmt, args);
	va_end(args);
	ereport(ERROR,
			(errcode(ERRCODE_PATSVC_BAD_CODE_SET_FILE),
			 errmsg("malformed line %d in %s: %s", lineno, r->kind, what),
			 lineno == r->lineno && r->len > 0
			 ? errdetail("Line %d begins \"%s\". Nothing was imported.", lineno,
						 printable_excerpt(r->line, r->len, 40))
			 : errdetail("Nothing was imported."),
			 errhint("%s", r->layout)));
	pg_unreachable();
}

#define bad_line(r, ...) bad_line_at((r), (r)->lineno, __VA_ARGS__)

static bool
has_non_ascii(const char *s, int len)
{
	for (int i = 0; i < len; i++)
		if ((unsigned char) s[i] >= 0x80)
			return true;
	return false;
}

/* A CR, tab or other control character inside a line is malformed. */
static void
reader_check_controls(const FileReader *r)
{
	for (int i = 0; i < r->len; i++)
	{
		unsigned char c = (unsigned char) r->line[i];

		if (c < 0x20 || c == 0x7f)
			bad_line(r, "column %d holds the control character 0x%02x", i + 1, c);
	}
}

/*
 * Next non-empty line, without its CR LF (or LF).  Empty lines are allowed
 * only at the end of the file.
 */
static bool
reader_next(FileReader *r)
{
	while (r->pos < r->end)
	{
		const char *nl = memchr(r->pos, '\n', r->end - r->pos);
		const char *stop = nl ? nl : r->end;
		int			len = (int) (stop - r->pos);

		r->raw = r->pos;
		r->pos = nl ? nl + 1 : r->end;
		r->lineno++;
		if (len > 0 && r->raw[len - 1] == '\r')
			len--;
		r->rawlen = len;
		r->line = r->raw;
		r->len = len;
		r->converted = false;
		if (len == 0 && r->skip_empty)
			continue;
		if (len == 0)
		{
			if (r->first_empty == 0)
				r->first_empty = r->lineno;
			continue;
		}
		if (r->first_empty)
			bad_line_at(r, r->first_empty, "the line is empty");
		if (pg_database_encoding_max_length() > 1 && has_non_ascii(r->raw, len))
		{
			/* raises 22P05 for a character Windows-1252 cannot hold */
			r->line = pg_server_to_any(r->raw, len, PG_WIN1252);
			r->len = strlen(r->line);
			r->converted = true;
		}
		reader_check_controls(r);
		return true;
	}
	return false;
}

/* The current line from column first (1-based) on. */
static const char *
col(const FileReader *r, int first)
{
	return r->line + first - 1;
}

static int
rtrim_len(const char *s, int len)
{
	while (len > 0 && s[len - 1] == ' ')
		len--;
	return len;
}

/* Columns first..last as text in the database encoding, trailing blanks cut. */
static Datum
field_text(const FileReader *r, int first, int last)
{
	int			len;
	const char *s = col(r, first);

	if (first > r->len)
		return PointerGetDatum(cstring_to_text(""));
	len = rtrim_len(s, Min(last, r->len) - first + 1);
	if (r->converted)
	{
		char	   *conv = pg_any_to_server(s, len, PG_WIN1252);

		return PointerGetDatum(cstring_to_text(conv));
	}
	return PointerGetDatum(cstring_to_text_with_len(s, len));
}

static bool
all_digits(const char *s, int len)
{
	for (int i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return len > 0;
}

static void
expect_blank(const FileReader *r, int column)
{
	if (*col(r, column) != ' ')
		bad_line(r, "column %d holds \"%s\" where a blank must separate the fields",
				 column, printable_excerpt(col(r, column), 1, 1));
}

static void
expect_digits(const FileReader *r, int first, int last, const char *field)
{
	if (!all_digits(col(r, first), last - first + 1))
		bad_line(r, "%s \"%s\" in columns %d-%d is not %d digits", field,
				 printable_excerpt(col(r, first), last - first + 1, 16),
				 first, last, last - first + 1);
}

/*
 * A code in columns first..last: left-justified, blank-padded, no dot, and
 * what the code type's own parser accepts (one rule, one place).
 */
static int64
field_code(const FileReader *r, int first, int last, const CodeType *type)
{
	char		buf[16];
	int			len = rtrim_len(col(r, first), last - first + 1);
	int64		value;
	CodeParseError err;

	Assert(last - first + 1 < (int) sizeof(buf));
	memcpy(buf, col(r, first), len);
	buf[len] = '\0';
	if (len == 0 || buf[0] == ' ')
		bad_line(r, "the code in columns %d-%d is missing or not left-justified", first, last);
	if (memchr(buf, '.', len))
		bad_line(r, "code \"%s\" in columns %d-%d has a dot; CMS files hold codes without dots",
				 printable_excerpt(buf, len, 16), first, last);
	if (!type->parse(buf, &value, &err))
		bad_line(r, "code \"%s\" in columns %d-%d is not a valid %s code (%s)",
				 printable_excerpt(buf, len, 16), first, last, type->name, err.detail);
	return value;
}

/* A yyyymmdd date in 8 columns; blank is NULL. */
static bool
field_date(const FileReader *r, int first, const char *field, DateADT *date)
{
	const char *s = col(r, first);
	int			y,
				m,
				d;

	if (rtrim_len(s, 8) == 0)
		return false;
	if (!all_digits(s, 8))
		bad_line(r, "%s \"%s\" in columns %d-%d is not a yyyymmdd date", field,
				 printable_excerpt(s, 8, 8), first, first + 7);
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	m = (s[4] - '0') * 10 + (s[5] - '0');
	d = (s[6] - '0') * 10 + (s[7] - '0');
	if (y < 1900 || m < 1 || m > 12 || d < 1 || d > day_tab[isleap(y)][m - 1])
		bad_line(r, "%s \"%.8s\" in columns %d-%d is not a calendar date", field, s,
				 first, first + 7);
	*date = date2j(y, m, d) - POSTGRES_EPOCH_JDATE;
	return true;
}

/* Duplicate detection: code -> first line holding it. */
typedef struct SeenCode
{
	int64		code;
	int			lineno;
} SeenCode;

static HTAB *
seen_create(int nelem)
{
	HASHCTL		ctl;

	ctl.keysize = sizeof(int64);
	ctl.entrysize = sizeof(SeenCode);
	ctl.hcxt = CurrentMemoryContext;
	return hash_create("patsvc import codes", Max(nelem, 64), &ctl,
					   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

static void
seen_check(const FileReader *r, HTAB *seen, int64 key, const char *shown)
{
	bool		found;
	SeenCode   *e = hash_search(seen, &key, HASH_ENTER, &found);

	if (found)
		bad_line(r, "code \"%s\" already appeared on line %d", shown, e->lineno);
	e->lineno = r->lineno;
}

static int
count_lines(text *contents)
{
	const char *p = VARDATA_ANY(contents);
	const char *end = p + VARSIZE_ANY_EXHDR(contents);
	int			n = 1;

	while ((p = memchr(p, '\n', end - p)) != NULL)
	{
		n++;
		p++;
	}
	return n;
}

/* ---------------------------------------------------------------------
 * Release arguments and the replace-a-release steps shared by both files
 * --------------------------------------------------------------------- */

typedef struct ReleaseArgs
{
	const char *system;			/* "ICD-10-CM", for messages */
	const char *release_table;	/* "icd10cm_release" */
	text	   *release;
	DateADT		from;
	Datum		to;				/* a date, or NULL: open-ended */
	bool		to_null;
	text	   *contents;
	char		md5[33];
} ReleaseArgs;

static void
pg_attribute_noreturn()
bad_release(const char *msg, const char *detail, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_PATSVC_BAD_RELEASE),
			 errmsg("%s", msg),
			 detail ? errdetail("%s", detail) : 0,
			 errhint("%s", hint)));
	pg_unreachable();
}

static char *
date_text(DateADT d)
{
	return DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(d)));
}

static void
read_release_args(FunctionCallInfo fcinfo, ReleaseArgs *a)
{
	char	   *name;
	const char *md5err = NULL;

	if (PG_ARGISNULL(0))
		bad_release("release name is missing", NULL,
					"Name the release, e.g. 'FY2021' or '2020-ANNUAL'.");
	a->release = PG_GETARG_TEXT_PP(0);
	name = text_to_cstring(a->release);
	if (strspn(name, " ") == strlen(name) || strlen(name) > RELEASE_NAME_MAX)
		bad_release(psprintf("release name \"%s\" is empty or longer than %d characters",
							 name, RELEASE_NAME_MAX),
					NULL, "Name the release, e.g. 'FY2021' or '2020-ANNUAL'.");
	if (PG_ARGISNULL(1) || DATE_NOT_FINITE(PG_GETARG_DATEADT(1)))
		bad_release(psprintf("effective_from of release \"%s\" is missing or not a finite date", name),
					NULL, "Give the first date of service the release applies to, e.g. '2020-10-01'.");
	a->from = PG_GETARG_DATEADT(1);
	a->to_null = PG_ARGISNULL(2);
	a->to = a->to_null ? (Datum) 0 : PG_GETARG_DATUM(2);
	if (!a->to_null && DatumGetDateADT(a->to) < a->from)
		bad_release(psprintf("effective_to %s of release \"%s\" is before effective_from %s",
							 date_text(DatumGetDateADT(a->to)), name, date_text(a->from)),
					NULL, "Give the last date of service the release applies to (inclusive), "
					"or NULL when it is open-ended.");
	if (PG_ARGISNULL(3))
		bad_release(psprintf("the file contents for release \"%s\" are missing", name), NULL,
					"Pass the file's contents, e.g. from psql: \\set f `cat file.txt`, then :'f'.");
	a->contents = PG_GETARG_TEXT_PP(3);
	if (!pg_md5_hash(VARDATA_ANY(a->contents), VARSIZE_ANY_EXHDR(a->contents), a->md5, &md5err))
		elog(ERROR, "could not compute md5: %s", md5err);
}

/* $1 release, $2 from, $3 to, $4 md5: the parameters every release query takes */
static Oid	release_argtypes[] = {TEXTOID, DATEOID, DATEOID, TEXTOID, INT4OID, INT4OID};

static void
release_values(const ReleaseArgs *a, Datum *values, char *nulls)
{
	values[0] = PointerGetDatum(a->release);
	values[1] = DateADTGetDatum(a->from);
	values[2] = a->to;
	values[3] = CStringGetTextDatum(a->md5);
	nulls[0] = nulls[1] = nulls[3] = ' ';
	nulls[2] = a->to_null ? 'n' : ' ';
}

static void
spi_exec(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls, int expected)
{
	int			rc = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);

	if (rc != expected)
		elog(ERROR, "patsvc import: SPI returned %d for: %s", rc, sql);
}

/*
 * Serialize imports of this code system, refuse a range overlapping another
 * release (PS103), and tell whether this exact release (same dates, same
 * file) is already loaded: returns its code count then, else -1.
 */
static int
release_prepare(const ReleaseArgs *a)
{
	Datum		values[6];
	char		nulls[6];
	const char *t = a->release_table;

	release_values(a, values, nulls);
	spi_exec(psprintf("LOCK TABLE " PATSVC_SCHEMA ".%s IN SHARE ROW EXCLUSIVE MODE", t),
			 0, NULL, NULL, NULL, SPI_OK_UTILITY);
	spi_exec(psprintf("SELECT release, pg_catalog.lower(effective), pg_catalog.upper(effective) OPERATOR(pg_catalog.-) 1"
					  " FROM " PATSVC_SCHEMA ".%s"
					  " WHERE release OPERATOR(pg_catalog.<>) $1"
					  " AND effective OPERATOR(pg_catalog.&&) pg_catalog.daterange($2, $3, '[]')"
					  " ORDER BY 2 LIMIT 1", t),
			 3, release_argtypes, values, nulls, SPI_OK_SELECT);
	if (SPI_processed > 0)
	{
		char	   *other = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		char	   *lo = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
		char	   *hi = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3);

		bad_release(psprintf("%s release \"%s\" overlaps release \"%s\"",
							 a->system, text_to_cstring(a->release), other),
					psprintf("Release \"%s\" is in effect from %s to %s.", other, lo,
							 hi ? hi : "open-ended"),
					"Releases of one code system must not overlap: end the other release "
					"the day before this one starts, or correct the dates.");
	}
	spi_exec(psprintf("SELECT code_count FROM " PATSVC_SCHEMA ".%s"
					  " WHERE release OPERATOR(pg_catalog.=) $1"
					  " AND effective OPERATOR(pg_catalog.=) pg_catalog.daterange($2, $3, '[]')"
					  " AND file_md5 OPERATOR(pg_catalog.=) $4", t),
			 4, release_argtypes, values, nulls, SPI_OK_SELECT);
	if (SPI_processed > 0)
	{
		bool		isnull;

		return DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	}
	/* a different file or dates: the release is replaced (codes cascade) */
	spi_exec(psprintf("DELETE FROM " PATSVC_SCHEMA ".%s WHERE release OPERATOR(pg_catalog.=) $1", t),
			 1, release_argtypes, values, nulls, SPI_OK_DELETE);
	return -1;
}

static void
release_insert(const ReleaseArgs *a, int codes, int modifiers)
{
	Datum		values[6];
	char		nulls[6];
	bool		hcpcs = modifiers >= 0;

	release_values(a, values, nulls);
	values[4] = Int32GetDatum(codes);
	values[5] = Int32GetDatum(modifiers);
	nulls[4] = nulls[5] = ' ';
	spi_exec(psprintf("INSERT INTO " PATSVC_SCHEMA ".%s (release, effective, file_md5, code_count%s)"
					  " VALUES ($1, pg_catalog.daterange($2, $3, '[]'), $4, $5%s)",
					  a->release_table, hcpcs ? ", modifier_count" : "", hcpcs ? ", $6" : ""),
			 hcpcs ? 6 : 5, release_argtypes, values, nulls, SPI_OK_INSERT);
	/* other backends drop their cached releases when this commits */
	CacheInvalidateRelcacheByRelid(codeset_relid(a->release_table));
}

/* ---------------------------------------------------------------------
 * Arrays for the bulk insert
 * --------------------------------------------------------------------- */

typedef struct Column
{
	Oid			elemtype;
	int16		elemlen;
	bool		byval;
	char		align;
	Datum	   *values;
	bool	   *nulls;
} Column;

static void
column_init(Column *c, Oid elemtype, int capacity)
{
	get_typlenbyvalalign(elemtype, &c->elemlen, &c->byval, &c->align);
	c->elemtype = elemtype;
	c->values = palloc(sizeof(Datum) * capacity);
	c->nulls = palloc0(sizeof(bool) * capacity);
}

static Datum
column_array(const Column *c, int n)
{
	int			dims[1] = {n};
	int			lbs[1] = {1};

	return PointerGetDatum(construct_md_array(c->values, c->nulls, 1, dims, lbs,
											  c->elemtype, c->elemlen, c->byval, c->align));
}

static void
bulk_insert(const char *sql, const ReleaseArgs *a, Column *cols, int ncols, int n)
{
	Datum		values[16];
	Oid			types[16];
	char		nulls[16];

	Assert(ncols < 16);
	values[0] = PointerGetDatum(a->release);
	types[0] = TEXTOID;
	nulls[0] = ' ';
	for (int i = 0; i < ncols; i++)
	{
		values[i + 1] = column_array(&cols[i], n);
		types[i + 1] = get_array_type(cols[i].elemtype);
		nulls[i + 1] = ' ';
	}
	spi_exec(sql, ncols + 1, types, values, nulls, SPI_OK_INSERT);
	if (SPI_processed != (uint64) n)
		elog(ERROR, "patsvc import: inserted " UINT64_FORMAT " rows, expected %d", SPI_processed, n);
}

/* ---------------------------------------------------------------------
 * ICD-10-CM order file
 * --------------------------------------------------------------------- */

static const char *icd_layout =
"Each line of an ICD-10-CM order file is: order number (columns 1-5, 5 digits), blank, "
"code without dot (7-13, left-justified), blank, billable flag 0 or 1 (15), blank, "
"short description (17-76), blank, long description (78 on); lines end with CR LF.";

enum
{
	ICD_CODE, ICD_ORDER, ICD_BILLABLE, ICD_SHORT, ICD_LONG, ICD_NCOLS
};

static int
parse_icd10cm_order(const ReleaseArgs *a, Column *cols)
{
	FileReader	r;
	int			capacity = count_lines(a->contents);
	HTAB	   *seen = seen_create(capacity);
	int			n = 0;

	column_init(&cols[ICD_CODE], codeset_typid("icd10cm"), capacity);
	column_init(&cols[ICD_ORDER], INT4OID, capacity);
	column_init(&cols[ICD_BILLABLE], BOOLOID, capacity);
	column_init(&cols[ICD_SHORT], TEXTOID, capacity);
	column_init(&cols[ICD_LONG], TEXTOID, capacity);
	reader_init(&r, "ICD-10-CM order file", icd_layout, a->contents);
	while (reader_next(&r))
	{
		int64		code;
		char		flag;

		if (r.len < ICD_MIN_LEN)
			bad_line(&r, "the line has %d character%s; an order-file line has at least %d",
					 r.len, r.len == 1 ? "" : "s", ICD_MIN_LEN);
		expect_digits(&r, 1, 5, "order number");
		expect_blank(&r, 6);
		expect_blank(&r, 14);
		expect_blank(&r, 16);
		expect_blank(&r, 77);
		code = field_code(&r, 7, 13, &icd10cm_type);
		flag = *col(&r, 15);
		if (flag != '0' && flag != '1')
			bad_line(&r, "billable flag \"%s\" in column 15 is not 0 (header) or 1 (billable)",
					 printable_excerpt(&flag, 1, 1));
		if (rtrim_len(col(&r, 17), 60) == 0)
			bad_line(&r, "the short description in columns 17-76 is empty");
		if (rtrim_len(col(&r, 78), r.len - 77) == 0)
			bad_line(&r, "the long description from column 78 on is empty");
		seen_check(&r, seen, code, printable_excerpt(col(&r, 7), rtrim_len(col(&r, 7), 7), 7));

		cols[ICD_CODE].values[n] = Int64GetDatum(code);
		cols[ICD_ORDER].values[n] = Int32GetDatum(pg_strtoint32(pnstrdup(col(&r, 1), 5)));
		cols[ICD_BILLABLE].values[n] = BoolGetDatum(flag == '1');
		cols[ICD_SHORT].values[n] = field_text(&r, 17, 76);
		cols[ICD_LONG].values[n] = field_text(&r, 78, r.len);
		n++;
	}
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_BAD_CODE_SET_FILE),
				 errmsg("the ICD-10-CM order file for release \"%s\" holds no code lines",
						text_to_cstring(a->release)),
				 errhint("%s", icd_layout)));
	return n;
}

PG_FUNCTION_INFO_V1(patsvc_import_icd10cm_order);
Datum
patsvc_import_icd10cm_order(PG_FUNCTION_ARGS)
{
	ReleaseArgs a = {"ICD-10-CM", "icd10cm_release"};
	Column		cols[ICD_NCOLS];
	int			n;
	int			loaded;

	read_release_args(fcinfo, &a);
	n = parse_icd10cm_order(&a, cols);
	patsvc_spi_connect();
	loaded = release_prepare(&a);
	if (loaded < 0)
	{
		release_insert(&a, n, -1);
		bulk_insert("INSERT INTO " PATSVC_SCHEMA ".icd10cm_code"
					" (release, code, order_number, billable, short_description, long_description)"
					" SELECT $1, u.* FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3),"
					" pg_catalog.unnest($4), pg_catalog.unnest($5), pg_catalog.unnest($6)) AS u",
					&a, cols, ICD_NCOLS, n);
		loaded = n;
	}
	patsvc_spi_finish();
	PG_RETURN_INT32(loaded);
}

/* ---------------------------------------------------------------------
 * HCPCS Level II alpha-numeric file
 * --------------------------------------------------------------------- */

static const char *hcpcs_layout =
"A HCPCS alpha-numeric file has 320-character records after an optional disclaimer preamble: "
"code (columns 1-5; a modifier in 4-5), sequence number (6-10), record id (11: 3 code, "
"4 its continuation, 7 modifier, 8 its continuation), long description (12-91), "
"short description (92-119), add date (269-276), action effective date (277-284), "
"termination date (285-292) as yyyymmdd or blank, action code (293).";

enum
{
	HC_CODE, HC_SEQ, HC_LONG, HC_SHORT, HC_ADD, HC_EFF, HC_TERM, HC_ACTION, HC_NCOLS
};

/* One code or modifier being assembled (its head record plus continuations). */
typedef struct HcpcsHead
{
	Column	   *cols;
	int			row;
	char		recid;
	char		key[5];			/* columns 1-5 of the head record */
	StringInfoData longd;
} HcpcsHead;

static bool
looks_like_record(const FileReader *r)
{
	return r->len >= 11 && all_digits(col(r, 6), 5) && strchr("3478", *col(r, 11)) != NULL;
}

static void
hcpcs_finish(HcpcsHead *h)
{
	if (h->recid)
		h->cols[HC_LONG].values[h->row] = PointerGetDatum(cstring_to_text(h->longd.data));
	h->recid = 0;
}

static void
hcpcs_date(const FileReader *r, Column *c, int row, int first, const char *field)
{
	DateADT		d;

	c->nulls[row] = !field_date(r, first, field, &d);
	c->values[row] = c->nulls[row] ? (Datum) 0 : DateADTGetDatum(d);
}

static void
hcpcs_long_text(const FileReader *r, StringInfo longd)
{
	text	   *part = DatumGetTextPP(field_text(r, 12, 91));

	if (VARSIZE_ANY_EXHDR(part) == 0)
		return;
	if (longd->len > 0)
		appendStringInfoChar(longd, ' ');
	appendBinaryStringInfo(longd, VARDATA_ANY(part), VARSIZE_ANY_EXHDR(part));
}

/* A head record (3 or 7): starts a new row in cols. */
static void
hcpcs_head(const FileReader *r, HTAB *seen, HcpcsHead *h, Column *cols, int row)
{
	char		recid = *col(r, 11);
	int64		key;
	char		action = *col(r, 293);

	if (r->len != HCPCS_RECORD_LEN)
		bad_line(r, "record id %c: the record has %d characters, not %d", recid, r->len,
				 HCPCS_RECORD_LEN);
	if (recid == '3')
	{
		key = field_code(r, 1, 5, &hcpcs_type);
		cols[HC_CODE].values[row] = Int64GetDatum(key);
	}
	else
	{
		const char *m = col(r, 4);

		if (rtrim_len(col(r, 1), 3) != 0 || code_sym(m[0]) < 0 || code_sym(m[1]) < 0)
			bad_line(r, "modifier \"%s\" is not 2 letters or digits in columns 4-5 after 3 blanks",
					 printable_excerpt(col(r, 1), 5, 5));
		key = -1 - ((int64) code_sym(m[0]) << 8 | code_sym(m[1]));
		cols[HC_CODE].values[row] = PointerGetDatum(cstring_to_text_with_len(m, 2));
	}
	seen_check(r, seen, key, printable_excerpt(col(r, 1), 5, 5));
	cols[HC_SEQ].values[row] = Int32GetDatum(pg_strtoint32(pnstrdup(col(r, 6), 5)));
	cols[HC_SHORT].values[row] = field_text(r, 92, 119);
	hcpcs_date(r, &cols[HC_ADD], row, 269, "add date");
	hcpcs_date(r, &cols[HC_EFF], row, 277, "action effective date");
	hcpcs_date(r, &cols[HC_TERM], row, 285, "termination date");
	if (action != ' ' && !(action >= 'A' && action <= 'Z'))
		bad_line(r, "action code \"%s\" in column 293 is not a letter or blank",
				 printable_excerpt(&action, 1, 1));
	cols[HC_ACTION].nulls[row] = action == ' ';
	cols[HC_ACTION].values[row] = PointerGetDatum(cstring_to_text_with_len(&action, 1));

	h->cols = cols;
	h->row = row;
	h->recid = recid;
	memcpy(h->key, col(r, 1), 5);
	resetStringInfo(&h->longd);
	hcpcs_long_text(r, &h->longd);
	if (h->longd.len == 0)
		bad_line(r, "the long description in columns 12-91 is empty");
}

/* A continuation record (4 or 8): more long description for the current head. */
static void
hcpcs_continuation(const FileReader *r, HcpcsHead *h)
{
	char		recid = *col(r, 11);

	if (r->len > HCPCS_RECORD_LEN)
		bad_line(r, "record id %c: the record has %d characters, more than %d", recid, r->len,
				 HCPCS_RECORD_LEN);
	if (h->recid != recid - 1 || memcmp(h->key, col(r, 1), 5) != 0)
		bad_line(r, "continuation record (id %c) for \"%s\" does not follow the first record of %s",
				 recid, printable_excerpt(col(r, 1), 5, 5),
				 recid == '4' ? "that code" : "that modifier");
	hcpcs_long_text(r, &h->longd);
}

typedef struct HcpcsParsed
{
	Column		codes[HC_NCOLS];
	Column		mods[HC_NCOLS];
	int			ncodes;
	int			nmods;
} HcpcsParsed;

static void
hcpcs_columns_init(Column *cols, Oid codetype, int capacity)
{
	column_init(&cols[HC_CODE], codetype, capacity);
	column_init(&cols[HC_SEQ], INT4OID, capacity);
	column_init(&cols[HC_LONG], TEXTOID, capacity);
	column_init(&cols[HC_SHORT], TEXTOID, capacity);
	column_init(&cols[HC_ADD], DATEOID, capacity);
	column_init(&cols[HC_EFF], DATEOID, capacity);
	column_init(&cols[HC_TERM], DATEOID, capacity);
	column_init(&cols[HC_ACTION], TEXTOID, capacity);
}

/*
 * The preamble rule: lines before the first record are a disclaimer and are
 * skipped, at most HCPCS_MAX_PREAMBLE of them; the first record is the first
 * line whose columns 6-10 are digits and column 11 a record id (3, 4, 7, 8).
 * From there on every line must be a well-formed record.
 */
static void
parse_hcpcs(const ReleaseArgs *a, HcpcsParsed *p)
{
	FileReader	r;
	int			capacity = count_lines(a->contents);
	HTAB	   *seen = seen_create(capacity);
	HcpcsHead	h = {0};
	bool		in_preamble = true;

	hcpcs_columns_init(p->codes, codeset_typid("hcpcs"), capacity);
	hcpcs_columns_init(p->mods, TEXTOID, capacity);
	p->ncodes = p->nmods = 0;
	initStringInfo(&h.longd);
	reader_init(&r, "HCPCS alpha-numeric file", hcpcs_layout, a->contents);
	r.skip_empty = true;
	while (reader_next(&r))
	{
		char		recid;

		if (in_preamble && !looks_like_record(&r))
		{
			if (r.lineno > HCPCS_MAX_PREAMBLE)
				bad_line(&r, "no HCPCS record in the first %d lines (the disclaimer preamble "
						 "may have at most %d lines)", HCPCS_MAX_PREAMBLE, HCPCS_MAX_PREAMBLE);
			continue;
		}
		in_preamble = r.skip_empty = false;
		if (r.len < 11)
			bad_line(&r, "the record has %d characters, too short to hold a record id in column 11",
					 r.len);
		expect_digits(&r, 6, 10, "sequence number");
		recid = *col(&r, 11);
		if (recid == '3' || recid == '7')
		{
			hcpcs_finish(&h);
			if (recid == '3')
				hcpcs_head(&r, seen, &h, p->codes, p->ncodes++);
			else
				hcpcs_head(&r, seen, &h, p->mods, p->nmods++);
		}
		else if (recid == '4' || recid == '8')
			hcpcs_continuation(&r, &h);
		else
			bad_line(&r, "record id \"%s\" in column 11 is not 3, 4, 7 or 8",
					 printable_excerpt(&recid, 1, 1));
	}
	hcpcs_finish(&h);
	if (p->ncodes == 0)
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_BAD_CODE_SET_FILE),
				 errmsg("the HCPCS file for release \"%s\" holds no code records",
						text_to_cstring(a->release)),
				 errhint("%s", hcpcs_layout)));
}

#define HCPCS_COLUMNS "seqnum, long_description, short_description, add_date," \
	" action_effective_date, termination_date, action_code)" \
	" SELECT $1, u.* FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3)," \
	" pg_catalog.unnest($4), pg_catalog.unnest($5), pg_catalog.unnest($6), pg_catalog.unnest($7)," \
	" pg_catalog.unnest($8), pg_catalog.unnest($9)) AS u"

PG_FUNCTION_INFO_V1(patsvc_import_hcpcs);
Datum
patsvc_import_hcpcs(PG_FUNCTION_ARGS)
{
	ReleaseArgs a = {"HCPCS", "hcpcs_release"};
	HcpcsParsed p;
	int			loaded;

	read_release_args(fcinfo, &a);
	parse_hcpcs(&a, &p);
	patsvc_spi_connect();
	loaded = release_prepare(&a);
	if (loaded < 0)
	{
		release_insert(&a, p.ncodes, p.nmods);
		bulk_insert("INSERT INTO " PATSVC_SCHEMA ".hcpcs_code (release, code, " HCPCS_COLUMNS,
					&a, p.codes, HC_NCOLS, p.ncodes);
		if (p.nmods > 0)
			bulk_insert("INSERT INTO " PATSVC_SCHEMA ".hcpcs_modifier (release, modifier, " HCPCS_COLUMNS,
						&a, p.mods, HC_NCOLS, p.nmods);
		loaded = p.ncodes;
	}
	patsvc_spi_finish();
	PG_RETURN_INT32(loaded);
}
