/*
 * hours.c -- the row rule of patsvc.availability (weekly hours), with an
 * error that says what is wrong and how to write it instead.
 *
 * A row with ends_local after starts_local covers that part of its weekday
 * (24:00 is the end of the day); a row whose ends_local is not after its
 * starts_local is a night shift: it ends the next day (22:00 to 06:00) and
 * belongs to the weekday it starts on.  Equal times (empty, or 24 hours?)
 * and a start at 24:00 (the next day's 00:00) are refused.
 *
 * The CHECK constraint availability_check states the rule for every path,
 * restores and logical replication included; the trigger
 * availability_check_hours (ENABLE ALWAYS, so also with
 * session_replication_role = replica) runs first and raises the same
 * SQLSTATE (23514) naming that constraint, with a message, detail and hint.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/rel.h"

#include "core/core.h"
#include "scheduling/scheduling.h"

PG_FUNCTION_INFO_V1(patsvc_availability_check_hours);

/* a time of day as SQL shows it (24:00:00 included) */
static char *
time_text(TimeADT t)
{
	return DatumGetCString(DirectFunctionCall1(time_out, TimeADTGetDatum(t)));
}

static Datum
column(HeapTuple tuple, TupleDesc desc, const char *name, bool *isnull)
{
	int			attno = SPI_fnumber(desc, name);

	if (attno <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("patsvc.availability has no column \"%s\"", name),
				 errhint("Reinstall or update the extension patsvc.")));
	return heap_getattr(tuple, attno, desc, isnull);
}

/*
 * patsvc.availability_check_hours(): BEFORE INSERT OR UPDATE row trigger of
 * patsvc.availability.
 */
Datum
patsvc_availability_check_hours(PG_FUNCTION_ARGS)
{
	static const char *const tables[] = {"availability", NULL};
	TriggerData *td = (TriggerData *) fcinfo->context;
	HeapTuple	tuple;
	TupleDesc	desc;
	bool		null_start,
				null_end,
				null_provider;
	TimeADT		starts,
				ends;
	Datum		provider;

	patsvc_trigger_bound(fcinfo, "availability_check_hours", tables);
	if (!TRIGGER_FIRED_BEFORE(td->tg_event) || !TRIGGER_FIRED_FOR_ROW(td->tg_event) ||
		TRIGGER_FIRED_BY_DELETE(td->tg_event) || TRIGGER_FIRED_BY_TRUNCATE(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s.availability_check_hours() must fire before each inserted or updated row",
						PATSVC_SCHEMA),
				 errhint("Use it only in the trigger patsvc's install script creates.")));
	tuple = TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple;
	desc = RelationGetDescr(td->tg_relation);
	starts = DatumGetTimeADT(column(tuple, desc, "starts_local", &null_start));
	ends = DatumGetTimeADT(column(tuple, desc, "ends_local", &null_end));
	provider = column(tuple, desc, "provider_id", &null_provider);
	if (null_start || null_end)
		return PointerGetDatum(tuple);	/* NOT NULL says so */
	if (starts >= USECS_PER_DAY)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("weekly hours of provider %s cannot start at 24:00",
						null_provider ? "(none)" : psprintf("%lld", (long long) DatumGetInt64(provider))),
				 errdetail("A row of patsvc.availability starts on its weekday; 24:00 is already the next day."),
				 errhint("Start at 00:00 on the next weekday."),
				 errtableconstraint(td->tg_relation, "availability_check")));
	if (starts == ends)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("weekly hours of provider %s from %s to %s have no length",
						null_provider ? "(none)" : psprintf("%lld", (long long) DatumGetInt64(provider)),
						time_text(starts), time_text(ends)),
				 errdetail("Hours whose ends_local is before their starts_local end the next day (22:00 to 06:00 is a night shift); equal times would be empty or 24 hours long."),
				 errhint("A whole day is 00:00 to 24:00; a shift crossing midnight ends before it starts (22:00 to 06:00) and is shorter than 24 hours."),
				 errtableconstraint(td->tg_relation, "availability_check")));
	return PointerGetDatum(tuple);
}
