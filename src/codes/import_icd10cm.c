/*
 * import_icd10cm.c -- patsvc.import_icd10cm_order(): loads an ICD-10-CM
 * order file as a release.  Takes the file CONTENTS as text (a client reads
 * the file; no server file access), parses the whole file first -- any
 * malformed line raises PS102 naming the line, before anything changes --
 * then replaces the release (codeset_release.c).
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

#define ICD_MIN_LEN 78

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
