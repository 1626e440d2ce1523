/*
 * zone.c -- "AT TIME ZONE name" in C, shared by the trigger's hours check
 * (rules.c) and the slot search (slots.c): a zone name that is also a
 * fixed-offset abbreviation (CET, EST) is read as the abbreviation, as
 * timestamp_zone reads it, any other as the IANA zone (a dynamic
 * abbreviation is read as the zone of the same name; locations.time_zone
 * only holds names pg_tzset accepts).  A nonexistent local time moves
 * forward, an ambiguous one is read as standard time, as in SQL.
 */
#include "postgres.h"

#include "parser/scansup.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "scheduling/scheduling.h"

void
sched_zone_resolve(SchedZone *z, const char *name, int64 location)
{
	char	   *lower = downcase_truncate_identifier(name, strlen(name), false);
	int			offset;
	pg_tz	   *tzp;
	int			type = DecodeTimezoneAbbrev(0, lower, &offset, &tzp);

	z->tz = NULL;
	z->offset_east = 0;
	if (type == TZ || type == DTZ)
		z->offset_east = offset;
	else if ((z->tz = pg_tzset(name)) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("time zone \"%s\" of location %lld is not known", name, (long long) location),
				 errhint("Set patsvc.locations.time_zone to an IANA time zone name.")));
}

static void
raise_out_of_range(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
			 errmsg("timestamp out of range"),
			 errhint("Use dates between 4713 BC and 294276 AD.")));
}

/* local wall-clock timestamp -> instant: "local AT TIME ZONE name" */
TimestampTz
sched_zone_to_utc(const SchedZone *z, Timestamp local)
{
	struct pg_tm tm;
	fsec_t		fsec;
	int			offset;
	TimestampTz result;

	if (z->tz == NULL)
		return local - (int64) z->offset_east * USECS_PER_SEC;
	if (timestamp2tm(local, NULL, &tm, &fsec, NULL, NULL) != 0)
		raise_out_of_range();
	offset = DetermineTimeZoneOffset(&tm, z->tz);
	if (tm2timestamp(&tm, fsec, &offset, &result) != 0)
		raise_out_of_range();
	return result;
}

/* local date of an instant: "(t AT TIME ZONE name)::date" */
DateADT
sched_zone_local_date(const SchedZone *z, TimestampTz t)
{
	struct pg_tm tm;
	fsec_t		fsec;
	int			offset;

	if (z->tz == NULL)
	{
		Timestamp	local = t + (int64) z->offset_east * USECS_PER_SEC;

		return (DateADT) (local / USECS_PER_DAY - (local % USECS_PER_DAY < 0 ? 1 : 0));
	}
	if (timestamp2tm(t, &offset, &tm, &fsec, NULL, z->tz) != 0)
		raise_out_of_range();
	return date2j(tm.tm_year, tm.tm_mon, tm.tm_mday) - POSTGRES_EPOCH_JDATE;
}
