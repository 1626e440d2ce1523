/*
 * visits.c -- a fulfilled visit moves its patient's last encounter
 * (retention_patient_facts, through _record_patient_facts, 93-registry-facts.sql).
 * Scheduling is below retention, so retention listens on scheduling's hook
 * (sched_visit_fulfilled_hook, called by appointments_enforce for a row
 * written as fulfilled) instead of a trigger of its own on appointments:
 * a booking pays one comparison, not a trigger's WHEN prepared for every
 * INSERT statement.  The visit's date is its local date where it took
 * place (the session's zone when it has no location); the fact is written
 * as the owner of retention_patient_facts (whoever checks a patient out
 * needs no right on the facts), with one kept plan.
 */
#include "postgres.h"

#include "catalog/pg_class.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "retention/retention.h"
#include "scheduling/scheduling.h"

#define RECORD_ENCOUNTER_SQL \
	"SELECT " PATSVC_SCHEMA "._record_patient_facts($1," \
	" (SELECT p.mrn FROM " PATSVC_SCHEMA ".patients p WHERE p.id OPERATOR(pg_catalog.=) $1), NULL, NULL," \
	" COALESCE((SELECT ($2 AT TIME ZONE l.time_zone)::date FROM " PATSVC_SCHEMA ".locations l" \
	"           WHERE l.id OPERATOR(pg_catalog.=) $3), $2::date))"

static SPIPlanPtr record_encounter_plan = NULL;
static SchedVisitFulfilledHook previous_hook = NULL;

static Oid
facts_owner(void)
{
	return patsvc_table_owner("retention_patient_facts");
}

/* _record_patient_facts exists: not in a database not yet updated to 0.2.0 (the library is) */
static bool
facts_recorder_installed(void)
{
	Oid			argtypes[5] = {INT8OID, TEXTOID, DATEOID, DATEOID, DATEOID};

	return OidIsValid(GetSysCacheOid3(PROCNAMEARGSNSP, Anum_pg_proc_oid, CStringGetDatum("_record_patient_facts"),
									  PointerGetDatum(buildoidvector(argtypes, 5)),
									  ObjectIdGetDatum(patsvc_schema_oid())));
}

static void
record_last_encounter(const ApptRow *row)
{
	static const Oid types[3] = {INT8OID, TIMESTAMPTZOID, INT8OID};
	Datum		v[3] = {Int64GetDatum(row->patient), TimestampTzGetDatum(row->starts), Int64GetDatum(row->location)};
	char		nulls[3] = {' ', ' ', row->has_location ? ' ' : 'n'};
	PatsvcSavedUser saved;

	if (previous_hook != NULL)
		previous_hook(row);
	if (record_encounter_plan == NULL && !facts_recorder_installed())
		return;
	patsvc_become_owner(facts_owner(), &saved);
	patsvc_spi_connect();
	patsvc_kept_plan(&record_encounter_plan, RECORD_ENCOUNTER_SQL, 3, types);
	if (SPI_execute_plan(record_encounter_plan, v, nulls, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "patsvc: recording a last encounter failed");
	patsvc_spi_finish();
	patsvc_restore_user(&saved);
}

void
retention_listen_to_visits(void)
{
	previous_hook = sched_visit_fulfilled_hook;
	sched_visit_fulfilled_hook = record_last_encounter;
}
