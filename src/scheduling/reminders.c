/*
 * reminders.c -- the reminders of a new or moved appointment, written by
 * appointments_enforce (BEFORE ROW, as the table owner) from the rules of
 * its type: one row per rule, due lead_time before the start (elapsed time:
 * 1 day = 24 hours, whatever the session's zone), announcing that start.
 *
 * Until 0.2.0 an AFTER ROW trigger did it, reminders_schedule (plpgsql)
 * with WHEN (appointment_gets_reminders(NEW.status, NEW.type_id)).
 * PostgreSQL prepares a trigger's WHEN again for every INSERT statement
 * (parse tree read back, planned, the function looked up): 3 % of a
 * booking's time, although most types have no rules and the trigger never
 * fired.  Here the same condition is a cache lookup in the trigger that
 * runs anyway.  The reminders are written before their appointment row:
 * the foreign key reminders.appointment_id is checked at commit
 * (DEFERRABLE INITIALLY DEFERRED), so a reminder whose appointment was not
 * written after all (a later BEFORE trigger skipping the row) fails the
 * commit instead of remaining.  An INSERT adds missing reminders only
 * (ON CONFLICT DO NOTHING: an INSERT ... ON CONFLICT of an existing id
 * runs this trigger too, and must not move that appointment's reminders);
 * a move makes them due again for the new start and unclaimed.
 */
#include "postgres.h"

#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "core/core.h"
#include "scheduling/scheduling.h"

#define REMINDERS_FROM_RULES \
	"INSERT INTO " PATSVC_SCHEMA ".reminders (appointment_id, rule_id, due_at, for_start)" \
	" SELECT $1, r.id, pg_catalog.timezone('UTC', pg_catalog.timezone('UTC', $2) OPERATOR(pg_catalog.-) r.lead_time), $2" \
	" FROM " PATSVC_SCHEMA ".reminder_rules r WHERE r.type_id OPERATOR(pg_catalog.=) $3" \
	" ON CONFLICT (appointment_id, rule_id) DO "

static SPIPlanPtr added_plan = NULL;
static SPIPlanPtr moved_plan = NULL;

/*
 * A database not yet updated to 0.2.0 (the library is) still has the
 * trigger function reminders_schedule, and the immediate foreign key that
 * refuses reminders written before their appointment: it schedules them.
 */
static bool
scheduled_by_old_trigger(void)
{
	Oid			no_args[1] = {InvalidOid};

	return OidIsValid(GetSysCacheOid3(PROCNAMEARGSNSP, Anum_pg_proc_oid, CStringGetDatum("reminders_schedule"),
									  PointerGetDatum(buildoidvector(no_args, 0)),
									  ObjectIdGetDatum(patsvc_schema_oid())));
}

void
sched_schedule_reminders(const ApptRow *row, bool is_insert)
{
	static const Oid types[3] = {INT8OID, TIMESTAMPTZOID, INT8OID};
	Datum		v[3] = {Int64GetDatum(row->id), TimestampTzGetDatum(row->starts), Int64GetDatum(row->type)};
	int			rc;

	if (!rules_type_has_reminders(row->type) || scheduled_by_old_trigger())
		return;
	patsvc_spi_connect();
	rc = SPI_execute_plan(is_insert
						  ? patsvc_kept_plan(&added_plan, REMINDERS_FROM_RULES "NOTHING", 3, types)
						  : patsvc_kept_plan(&moved_plan, REMINDERS_FROM_RULES "UPDATE SET due_at = EXCLUDED.due_at,"
											 " for_start = EXCLUDED.for_start, claimed_at = NULL, claimed_by = NULL",
											 3, types),
						  v, NULL, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "scheduling the reminders of appointment " INT64_FORMAT " failed: %s", row->id,
			 SPI_result_code_string(rc));
	patsvc_spi_finish();
}
