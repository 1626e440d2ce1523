/*
 * codeset_release.c -- replacing a code-set release (codeset_import.h): the
 * arguments every import takes (release, effective dates, file contents),
 * serializing imports of one code system, refusing overlapping releases
 * (PS103), recognising a file loaded already, and the one bulk
 * INSERT ... SELECT FROM unnest($n) per table.
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

#define RELEASE_NAME_MAX 64

/* ---------------------------------------------------------------------
 * Release arguments and the replace-a-release steps shared by both files
 * --------------------------------------------------------------------- */


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

void
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
int
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

void
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


void
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

void
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
