/*
 * import_hcpcs.c -- patsvc.import_hcpcs(): loads a HCPCS Level II
 * alpha-numeric (ANWEB) file as a release: codes and modifiers, each a head
 * record and its continuations.  Takes the file CONTENTS as text, parses the
 * whole file first -- any malformed line raises PS102 naming the line,
 * before anything changes -- then replaces the release (codeset_release.c).
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
#include "codes/codeset_import.h"

#define HCPCS_RECORD_LEN 320
#define HCPCS_MAX_PREAMBLE 50

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
