/*
 * encounters.c -- the one place an unknown encounter is reported (PS607):
 * the C functions (claim_problems, claim_837p) call unknown_encounter_error(),
 * the SQL ones (set_encounter_status, claim_json, the ledger's postings)
 * call patsvc.unknown_encounter().
 */
#include "postgres.h"

#include "fmgr.h"

#include "billing/billing.h"

void
unknown_encounter_error(const int64 *encounter)
{
	char		id[32];

	if (encounter == NULL)
		strlcpy(id, "NULL", sizeof(id));
	else
		snprintf(id, sizeof(id), INT64_FORMAT, *encounter);
	ereport(ERROR,
			(errcode(ERRCODE_PATSVC_UNKNOWN_ENCOUNTER),
			 errmsg("encounter %s does not exist", id),
			 errhint("Give the id of an encounter of patsvc.encounters you may read.")));
}

PG_FUNCTION_INFO_V1(patsvc_unknown_encounter);
Datum
patsvc_unknown_encounter(PG_FUNCTION_ARGS)
{
	int64		id;

	if (PG_ARGISNULL(0))
		unknown_encounter_error(NULL);
	id = PG_GETARG_INT64(0);
	unknown_encounter_error(&id);
	PG_RETURN_VOID();
}
