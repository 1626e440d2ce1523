/*
 * checkin.c -- consent to treat before check-in (registration, issue 12),
 * checked by appointments_enforce (trigger.c): a visit of a type that
 * requires consent to treat (appointment_types.requires_consent_to_treat,
 * 75-consent-gate.sql) becomes arrived or checked-in, or fulfilled without
 * either, only with consent to treat in force on its local date.  The
 * consent is the registry's (registry_consent_in_force_locked, which locks
 * it against a concurrent revocation).  Only those status changes look
 * further, first in the per-backend cache of types (cache.c): bookings,
 * moves and cancellations pay one comparison, a check-in of a type without
 * the requirement a hash lookup.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"

#include "core/core.h"
#include "registry/registry.h"
#include "scheduling/scheduling.h"

/* the type's code when it requires consent to treat, and the visit's local date */
#define CONSENT_TYPE_SQL \
	"SELECT t.code, ($3 AT TIME ZONE COALESCE(l.time_zone, pg_catalog.current_setting('TimeZone')))::date" \
	" FROM " PATSVC_SCHEMA ".appointment_types t LEFT JOIN " PATSVC_SCHEMA ".locations l" \
	" ON l.id OPERATOR(pg_catalog.=) $2" \
	" WHERE t.id OPERATOR(pg_catalog.=) $1 AND t.requires_consent_to_treat"

static SPIPlanPtr consent_type_plan = NULL;

static bool
gated(ApptStatus st)
{
	return st == ST_ARRIVED || st == ST_CHECKED_IN || st == ST_FULFILLED;
}

/* the status changes the gate checks: into arrived or checked-in, into fulfilled from elsewhere */
static bool
becomes_gated(ApptStatus status, const ApptStatus *old)
{
	if (!gated(status))
		return false;
	if (old == NULL)
		return true;
	if (*old == status)
		return false;
	return !(status == ST_FULFILLED && (*old == ST_ARRIVED || *old == ST_CHECKED_IN));
}

/* false when the type requires no consent; else its code and the visit's local date */
static bool
consent_required(const ApptRow *row, char **type_code, DateADT *visit_on)
{
	static const Oid types[3] = {INT8OID, INT8OID, TIMESTAMPTZOID};
	Datum		v[3] = {Int64GetDatum(row->type), Int64GetDatum(row->location), TimestampTzGetDatum(row->starts)};
	char		nulls[3] = {' ', row->has_location ? ' ' : 'n', ' '};
	bool		required;

	patsvc_spi_connect();
	patsvc_kept_plan(&consent_type_plan, CONSENT_TYPE_SQL, 3, types);
	if (SPI_execute_plan(consent_type_plan, v, nulls, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "patsvc: reading patsvc.appointment_types failed");
	required = SPI_processed > 0;
	if (required)
	{
		bool		isnull;

		*type_code = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		*type_code = *type_code ? pstrdup(*type_code) : pstrdup("");
		*visit_on = DatumGetDateADT(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	}
	patsvc_spi_finish();
	return required;
}

/* a date as 2027-03-15, whatever the session's DateStyle */
static char *
iso_date(DateADT d)
{
	int			y,
				m,
				day;

	j2date(d + POSTGRES_EPOCH_JDATE, &y, &m, &day);
	return psprintf("%04d-%02d-%02d", y, m, day);
}

void
sched_require_consent_to_treat(const ApptRow *row, ApptStatus status, const ApptStatus *old_or_null)
{
	char	   *type_code;
	DateADT		visit_on;

	if (!becomes_gated(status, old_or_null) || !rules_type_requires_consent(row->type) ||
		!consent_required(row, &type_code, &visit_on))
		return;
	if (registry_consent_in_force_locked(row->patient, "treatment", visit_on))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_PATSVC_CONSENT_MISSING),
			 errmsg("appointment %lld cannot become %s without consent to treat in force on %s",
					(long long) row->id, status_name(status), iso_date(visit_on)),
			 errdetail("Appointment type \"%s\" requires consent to treat (consent type treatment) in force on the visit's date, in the time zone of its location.",
					   type_code),
			 errhint("Record the patient's consent to treat with patsvc.record_consent(patient, 'treatment', signed_at, ...), then set the status again.")));
}
