/*
 * periods.c -- retention periods: years, months and days, every number with
 * its unit (patsvc.retention_period(), is_calendar_period()).  What a period
 * means for a record (anchor + period) is computed in SQL alone:
 * compute_retain_until() in src/retention/10-periods.sql.
 */
#include "postgres.h"

#include <ctype.h>
#include <limits.h>
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "core/core.h"
#include "retention/retention.h"

typedef enum PeriodUnit
{
	UNIT_NONE, UNIT_YEARS, UNIT_MONTHS, UNIT_DAYS
} PeriodUnit;

static PeriodUnit
period_unit(const char *word, int len)
{
	static const struct
	{
		const char *name;
		PeriodUnit	unit;
	}			units[] = {
		{"year", UNIT_YEARS}, {"years", UNIT_YEARS}, {"y", UNIT_YEARS},
		{"month", UNIT_MONTHS}, {"months", UNIT_MONTHS}, {"mon", UNIT_MONTHS},
		{"day", UNIT_DAYS}, {"days", UNIT_DAYS}, {"d", UNIT_DAYS},
	};
	int			i;

	for (i = 0; i < lengthof(units); i++)
		if ((int) strlen(units[i].name) == len && pg_strncasecmp(word, units[i].name, len) == 0)
			return units[i].unit;
	return UNIT_NONE;
}

static void
period_syntax_error(const char *str, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid retention period: \"%s\"", str),
			 errdetail("%s", detail),
			 errhint("Give every number its unit (years, months or days), for example '7 years' or '6 years 6 months'.")));
}

/* Adds n units to *result, refusing overflow. */
static void
period_add(Interval *result, int64 n, PeriodUnit unit, const char *str)
{
	int64		months = result->month,
				days = result->day;

	if (unit == UNIT_YEARS)
		months += n * MONTHS_PER_YEAR;
	else if (unit == UNIT_MONTHS)
		months += n;
	else
		days += n;
	if (months > 12 * 1000 || days > 366 * 1000)
		period_syntax_error(str, "A retention period may not exceed 1000 years.");
	result->month = (int32) months;
	result->day = (int32) days;
}

/*
 * "7 years", "6 years 6 months", "30 days": one or more <number> <unit>
 * pairs.  A bare number is refused: "7" is seven what?  (pg_partman #811.)
 */
static Interval *
parse_retention_period(const char *str)
{
	Interval   *result = palloc0(sizeof(Interval));
	const char *p = str;
	int			pairs = 0;

	for (;;)
	{
		int64		n = 0;
		const char *word;
		PeriodUnit	unit;

		while (isspace((unsigned char) *p))
			p++;
		if (*p == '\0')
			break;
		if (!isdigit((unsigned char) *p))
			period_syntax_error(str, psprintf("Expected a number at position %d.", (int) (p - str) + 1));
		while (isdigit((unsigned char) *p))
		{
			n = n * 10 + (*p++ - '0');
			if (n > INT_MAX)
				period_syntax_error(str, "A number in the period is too large.");
		}
		while (isspace((unsigned char) *p))
			p++;
		word = p;
		while (isalpha((unsigned char) *p))
			p++;
		if (p == word)
			period_syntax_error(str, psprintf("The number %lld has no unit.", (long long) n));
		unit = period_unit(word, (int) (p - word));
		if (unit == UNIT_NONE)
			period_syntax_error(str, psprintf("\"%.*s\" is not a unit; use years, months or days.",
											  (int) (p - word), word));
		period_add(result, n, unit, str);
		pairs++;
	}
	if (pairs == 0)
		period_syntax_error(str, "The period is empty.");
	if (result->month == 0 && result->day == 0)
		period_syntax_error(str, "A retention period must be longer than zero.");
	return result;
}

PG_FUNCTION_INFO_V1(patsvc_retention_period);
Datum
patsvc_retention_period(PG_FUNCTION_ARGS)
{
	PG_RETURN_INTERVAL_P(parse_retention_period(text_to_cstring(PG_GETARG_TEXT_PP(0))));
}

PG_FUNCTION_INFO_V1(patsvc_retention_period_n_unit);
Datum
patsvc_retention_period_n_unit(PG_FUNCTION_ARGS)
{
	int32		n = PG_GETARG_INT32(0);
	char	   *unit = text_to_cstring(PG_GETARG_TEXT_PP(1));

	if (n < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid retention period: %d %s", n, unit),
				 errdetail("A retention period cannot be negative."),
				 errhint("Give a positive number of years, months or days.")));
	PG_RETURN_INTERVAL_P(parse_retention_period(psprintf("%d %s", n, unit)));
}

/* Only months and days, nothing negative, not zero: what a policy may hold. */
PG_FUNCTION_INFO_V1(patsvc_is_calendar_period);
Datum
patsvc_is_calendar_period(PG_FUNCTION_ARGS)
{
	Interval   *iv = PG_GETARG_INTERVAL_P(0);

	PG_RETURN_BOOL(iv->time == 0 && iv->month >= 0 && iv->day >= 0 &&
				   (iv->month > 0 || iv->day > 0));
}
