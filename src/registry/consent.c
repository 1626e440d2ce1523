/*
 * consent.c -- the registry's C answer to "is a consent of this type in
 * force for this patient on this local date?" (registry.h), for areas that
 * ask on a write path from their own C trigger (scheduling's consent to
 * treat before check-in).  One kept plan over patsvc.consents using
 * consent_covers(), the one SQL definition of "in force" that
 * consent_in_force() uses too, read as the owner of consents.  The consent
 * relied on is locked FOR SHARE: a revocation committing
 * meanwhile is waited for and seen (under REPEATABLE READ it ends the
 * transaction with 40001), one starting later waits for this transaction.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/date.h"

#include "core/core.h"
#include "registry/registry.h"

/* consent_in_force()'s question, locking the consent relied on */
#define CONSENT_IN_FORCE_LOCKED_SQL \
	"SELECT FROM " PATSVC_SCHEMA ".consents c" \
	" WHERE c.patient_id OPERATOR(pg_catalog.=) $1 AND c.consent_type OPERATOR(pg_catalog.=) $2" \
	" AND " PATSVC_SCHEMA ".consent_covers(c, $3) LIMIT 1 FOR SHARE"

static SPIPlanPtr in_force_locked_plan = NULL;

bool
registry_consent_in_force_locked(int64 patient, const char *consent_type, DateADT on_date)
{
	static const Oid types[3] = {INT8OID, TEXTOID, DATEOID};
	Datum		v[3] = {Int64GetDatum(patient), CStringGetTextDatum(consent_type), DateADTGetDatum(on_date)};
	PatsvcSavedUser saved;
	bool		found;

	patsvc_become_owner(registry_table_owner("consents"), &saved);
	patsvc_spi_connect();
	patsvc_kept_plan(&in_force_locked_plan, CONSENT_IN_FORCE_LOCKED_SQL, 3, types);
	if (SPI_execute_plan(in_force_locked_plan, v, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "patsvc: reading patsvc.consents failed");
	found = SPI_processed > 0;
	patsvc_spi_finish();
	patsvc_restore_user(&saved);
	return found;
}
