/*
 * find.c -- parts of find_patients (60-find.sql) in C: reading a typed date
 * (_find_date, once per token), the level of one typed name token against a
 * name (_find_level), and the best reading of the typed names for one patient
 * (_find_best_reading, once per candidate, where a lateral subquery over the
 * readings cost more than the search itself), and find_patients, the
 * interface, calling the search with a kept plan.
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/formatting.h"
#include "utils/tuplestore.h"

#include "registry/registry.h"

/* ---- a typed date ---------------------------------------------------------- */

/*
 * Reads between min and max ASCII digits at *s (no more digits after them)
 * into *v and moves *s past them; false when they are not there.
 */
static bool
read_digits(const char **s, int min, int max, int *v)
{
	int			n = 0;

	*v = 0;
	while (n < max && (*s)[n] >= '0' && (*s)[n] <= '9')
		*v = *v * 10 + ((*s)[n++] - '0');
	if (n < min || ((*s)[n] >= '0' && (*s)[n] <= '9'))
		return false;
	*s += n;
	return true;
}

static bool
read_separator(const char **s, const char *allowed)
{
	if (**s == '\0' || strchr(allowed, **s) == NULL)
		return false;
	(*s)++;
	return true;
}

/* Month first, m/d/yyyy or m/d/yy (separators / . -); a two-digit year is the latest not after this year. */
static bool
read_us_date(const char *s, int *y, int *m, int *d)
{
	const char *year;
	int			cy,
				cm,
				cd;

	if (!read_digits(&s, 1, 2, m) || !read_separator(&s, "/.-") || !read_digits(&s, 1, 2, d) ||
		!read_separator(&s, "/.-"))
		return false;
	year = s;
	if (!read_digits(&s, 2, 4, y) || *s != '\0' || s - year == 3)
		return false;
	if (s - year == 2)
	{
		j2date(GetSQLCurrentDate() + POSTGRES_EPOCH_JDATE, &cy, &cm, &cd);
		*y += 2000;
		if (*y > cy)
			*y -= 100;
	}
	return true;
}

/* ISO, yyyy-m-d. */
static bool
read_iso_date(const char *s, int *y, int *m, int *d)
{
	return read_digits(&s, 4, 4, y) && read_separator(&s, "-") && read_digits(&s, 1, 2, m) &&
		read_separator(&s, "-") && read_digits(&s, 1, 2, d) && *s == '\0';
}

/*
 * _find_date(tok): a typed date (1/2/1980 month first, 01/02/80, 1980-01-02),
 * NULL when the token is not shaped like one, 22007 when it is but names no
 * day (2/30/1980, 13/1/1980).
 */
PG_FUNCTION_INFO_V1(patsvc_find_date);
Datum
patsvc_find_date(PG_FUNCTION_ARGS)
{
	char	   *tok = text_to_cstring(PG_GETARG_TEXT_PP(0));
	int			y,
				m,
				d;

	if (!read_us_date(tok, &y, &m, &d) && !read_iso_date(tok, &y, &m, &d))
		PG_RETURN_NULL();
	if (y < 1 || m < 1 || m > 12 || d < 1 || d > day_tab[isleap(y)][m - 1])
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_DATETIME_FORMAT),
				 errmsg("\"%s\" is not a date", tok),
				 errdetail("Dates are read month first: 1/2/1980 is January 2, 1980; 1980-01-02 is the same day."),
				 errhint("Check the month and the day.")));
	PG_RETURN_DATEADT(date2j(y, m, d) - POSTGRES_EPOCH_JDATE);
}

/* ---- names ------------------------------------------------------------------ */

/* Levels of a match, as find_patients ranks them (each worth 2 points). */
#define LEVEL_NONE 0
#define LEVEL_TYPO 1
#define LEVEL_NICKNAME 2
#define LEVEL_SOUND 3
#define LEVEL_PREFIX 4
#define LEVEL_EQUAL 5

/* Whether word is one of the space-separated words of list. */
static bool
word_in_list(const char *word, const char *list)
{
	size_t		n = strlen(word);

	for (const char *w = list; *w;)
	{
		const char *end = strchr(w, ' ');
		size_t		len = end ? (size_t) (end - w) : strlen(w);

		if (len == n && strncmp(w, word, n) == 0)
			return true;
		if (end == NULL)
			break;
		w = end + 1;
	}
	return false;
}

/*
 * How well typed token tok (lower case) matches name val: 5 equal, 4 a prefix
 * of it, 3 sounds alike (tok_ph and val_ph, Double Metaphone codes), 2 val is
 * one of nicks (space-separated names tok is a variant of), 1 a typo
 * (Jaro-Winkler >= 0.9, tokens of 4 letters or more), 0 none.  Any argument
 * but tok and val may be NULL.
 */
static int
find_level(const char *tok, const char *tok_ph, const char *nicks, const char *val, const char *val_ph)
{
	char	   *lval;

	if (val == NULL || tok == NULL)
		return LEVEL_NONE;
	lval = str_tolower(val, strlen(val), DEFAULT_COLLATION_OID);
	if (strcmp(lval, tok) == 0)
		return LEVEL_EQUAL;
	if (strncmp(lval, tok, strlen(tok)) == 0)
		return LEVEL_PREFIX;
	if (tok_ph && tok_ph[0] != '\0' && val_ph && strcmp(val_ph, tok_ph) == 0)
		return LEVEL_SOUND;
	if (nicks && word_in_list(lval, nicks))
		return LEVEL_NICKNAME;
	if (pg_mbstrlen(tok) >= 4 && jaro_winkler(name_key(val), name_key(tok)) >= 0.9)
		return LEVEL_TYPO;
	return LEVEL_NONE;
}

static char *
text_arg(FunctionCallInfo fcinfo, int n)
{
	return PG_ARGISNULL(n) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(n));
}

PG_FUNCTION_INFO_V1(patsvc_find_level);
Datum
patsvc_find_level(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(find_level(text_arg(fcinfo, 0), text_arg(fcinfo, 1), text_arg(fcinfo, 2), text_arg(fcinfo, 3),
							   text_arg(fcinfo, 4)));
}

/* The elements of a one-dimensional text array as C strings (NULL for a null element). */
static char **
text_elems(ArrayType *a, int *n)
{
	Datum	   *d;
	bool	   *nulls;
	char	  **out;

	deconstruct_array(a, TEXTOID, -1, false, TYPALIGN_INT, &d, &nulls, n);
	out = palloc(sizeof(char *) * Max(*n, 1));
	for (int i = 0; i < *n; i++)
		out[i] = nulls[i] ? NULL : TextDatumGetCString(d[i]);
	return out;
}

/* The readings of the typed names, as find_patients builds them: (family, given) pairs. */
typedef struct Readings
{
	int			n;
	char	  **family,
			  **family_ph,
			  **given,
			  **given_ph,
			  **nicks;
	int32	   *typed_order;	/* 1 for the reading in typed order (family first) */
} Readings;

/* The readings from arguments 0-5; false when they are missing or not of one length. */
static bool
read_readings(FunctionCallInfo fcinfo, Readings *r)
{
	int			n[5];
	Datum	   *d;
	bool	   *nulls;
	int			nb;

	for (int i = 0; i < 6; i++)
		if (PG_ARGISNULL(i))
			return false;
	r->family = text_elems(PG_GETARG_ARRAYTYPE_P(0), &n[0]);
	r->family_ph = text_elems(PG_GETARG_ARRAYTYPE_P(1), &n[1]);
	r->given = text_elems(PG_GETARG_ARRAYTYPE_P(2), &n[2]);
	r->given_ph = text_elems(PG_GETARG_ARRAYTYPE_P(3), &n[3]);
	r->nicks = text_elems(PG_GETARG_ARRAYTYPE_P(4), &n[4]);
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(5), INT4OID, sizeof(int32), true, TYPALIGN_INT, &d, &nulls, &nb);
	r->n = n[0];
	for (int i = 1; i < 5; i++)
		if (n[i] != r->n)
			return false;
	if (nb != r->n)
		return false;
	r->typed_order = palloc(sizeof(int32) * Max(nb, 1));
	for (int i = 0; i < nb; i++)
		r->typed_order[i] = nulls[i] ? 0 : DatumGetInt32(d[i]);
	return true;
}

/*
 * _find_best_reading(family[], family_ph[], given[], given_ph[], nicks[],
 * typed_order[], family_name, family_phonetic, given_name, given_phonetic):
 * the reading of the typed names that matches this patient best, as
 * {family level, given level (NULL for a lone name), typed order}: every
 * name must match (level > 0); the highest sum of levels wins, then the
 * reading in typed order, then the first.  NULL when no reading matches.
 */
PG_FUNCTION_INFO_V1(patsvc_find_best_reading);
Datum
patsvc_find_best_reading(PG_FUNCTION_ARGS)
{
	Readings	r;
	char	   *family = text_arg(fcinfo, 6),
			   *family_ph = text_arg(fcinfo, 7),
			   *given = text_arg(fcinfo, 8),
			   *given_ph = text_arg(fcinfo, 9);
	int			best = -1,
				best_lf = 0,
				best_lg = 0;
	Datum		out[3];
	bool		out_nulls[3] = {false, false, false};
	int			dims[1] = {3};
	int			lbs[1] = {1};

	if (!read_readings(fcinfo, &r))
		PG_RETURN_NULL();
	for (int i = 0; i < r.n; i++)
	{
		int			lf = find_level(r.family[i], r.family_ph[i], NULL, family, family_ph);
		int			lg = r.given[i] ? find_level(r.given[i], r.given_ph[i], r.nicks[i], given, given_ph) : 0;

		if (lf == LEVEL_NONE || (r.given[i] && lg == LEVEL_NONE))
			continue;
		if (best < 0 || lf + lg > best_lf + best_lg ||
			(lf + lg == best_lf + best_lg && r.typed_order[i] > r.typed_order[best]))
		{
			best = i;
			best_lf = lf;
			best_lg = lg;
		}
	}
	if (best < 0)
		PG_RETURN_NULL();
	out[0] = Int32GetDatum(best_lf);
	out[1] = Int32GetDatum(best_lg);
	out_nulls[1] = r.given[best] == NULL;
	out[2] = Int32GetDatum(r.typed_order[best]);
	PG_RETURN_ARRAYTYPE_P(construct_md_array(out, out_nulls, 1, dims, lbs, INT4OID, sizeof(int32), true,
											 TYPALIGN_INT));
}

/* ---- find_patients ------------------------------------------------------------ */

/*
 * find_patients itself: the search (_find_patients, PL/pgSQL) through one
 * kept plan.  As a SQL function it was inlined into every calling statement,
 * its body parsed, analyzed and planned again on each call; the search runs
 * with the caller's rights either way.
 */
static SPIPlanPtr find_plan = NULL;

PG_FUNCTION_INFO_V1(patsvc_find_patients);
Datum
patsvc_find_patients(PG_FUNCTION_ARGS)
{
	static const Oid types[3] = {TEXTOID, DATEOID, INT4OID};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Datum		values[3];
	char		nulls[3];

	InitMaterializedSRF(fcinfo, 0);
	for (int i = 0; i < 3; i++)
	{
		values[i] = PG_ARGISNULL(i) ? (Datum) 0 : PG_GETARG_DATUM(i);
		nulls[i] = PG_ARGISNULL(i) ? 'n' : ' ';
	}
	patsvc_spi_connect();
	patsvc_kept_plan(&find_plan, "SELECT * FROM " PATSVC_SCHEMA "._find_patients($1, $2, $3)", 3, types);
	if (SPI_execute_plan(find_plan, values, nulls, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "patsvc: the patient search failed");
	for (uint64 i = 0; i < SPI_processed; i++)
		tuplestore_puttuple(rsinfo->setResult, SPI_tuptable->vals[i]);
	patsvc_spi_finish();
	return (Datum) 0;
}
