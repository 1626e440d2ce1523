/*
 * access_log.c -- the access log's fast path: patsvc.log_access(patient,
 * purpose, detail), called by applications each time a user opens a
 * patient's record, and patsvc.set_app_user(name), the application's user
 * for the session (setting patsvc.app_user).
 *
 * log_access runs one INSERT ... SELECT ... WHERE EXISTS (the patient) through
 * a plan kept for the backend's life, as the log's owner (callers hold
 * EXECUTE only; nobody holds INSERT on the log), and records the session user
 * (never the current user of a SECURITY DEFINER function) and the application
 * user.  No SQL-level SECURITY DEFINER: its SET search_path would cost a GUC
 * save and restore per call; the kept plan names everything by schema.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type_d.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/syscache.h"

#include "core/core.h"
#include "records/records.h"

#define APP_USER_MAX 200

static char *app_user = NULL;
static SPIPlanPtr log_plan = NULL;

/* patsvc.app_user: empty (none) or 1 to APP_USER_MAX characters without control characters */
static bool
check_app_user(char **newval, void **extra, GucSource source)
{
	const char *p = *newval;

	if (p == NULL || p[0] == '\0')
		return true;
	if (strlen(p) > APP_USER_MAX)
	{
		GUC_check_errdetail("patsvc.app_user is at most %d bytes.", APP_USER_MAX);
		return false;
	}
	for (; *p; p++)
		if ((unsigned char) *p < 0x20 || *p == 0x7f)
		{
			GUC_check_errdetail("patsvc.app_user may not contain control characters.");
			return false;
		}
	return true;
}

void
records_init(void)
{
	DefineCustomStringVariable("patsvc.app_user",
							   "The application's user for this session, recorded by log_access and record_disclosure.",
							   "Set once per session (or per pool checkout) with patsvc.set_app_user(); the session user is recorded too.",
							   &app_user, "", PGC_USERSET, GUC_NOT_IN_SAMPLE, check_app_user, NULL, NULL);
}

PG_FUNCTION_INFO_V1(patsvc_set_app_user);

/* patsvc.set_app_user(name): sets patsvc.app_user for the session; returns it */
Datum
patsvc_set_app_user(PG_FUNCTION_ARGS)
{
	char	   *name;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the application user is required"),
				 errdetail("set_app_user names the person using the application for the rest of the session."),
				 errhint("Pass the application's user name; RESET patsvc.app_user clears it.")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (strspn(name, " \t") == strlen(name))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the application user is blank"),
				 errdetail("An access log entry names who opened the record."),
				 errhint("Pass the application's user name (1 to %d characters).", APP_USER_MAX)));
	(void) set_config_option("patsvc.app_user", name, PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SET, true, 0, false);
	PG_RETURN_TEXT_P(cstring_to_text(app_user));
}

/* the owner of patsvc.access_log (the extension's owner), as whom the log is written */
static Oid
access_log_owner(void)
{
	return patsvc_table_owner("access_log");
}

/* true when t holds nothing but spaces and tabs */
static bool
is_blank(const text *t)
{
	const char *p = VARDATA_ANY(t);
	int			n = VARSIZE_ANY_EXHDR(t);

	for (int i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t')
			return false;
	return true;
}

static void
check_log_args(FunctionCallInfo fcinfo)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("log_access needs the patient"),
				 errhint("Pass patients.id of the patient whose record was opened.")));
	if (PG_ARGISNULL(1) || is_blank(PG_GETARG_TEXT_PP(1)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("log_access needs the purpose"),
				 errdetail("The access log says why each record was opened."),
				 errhint("Pass a purpose such as 'treatment', 'billing' or 'check-in'.")));
}

PG_FUNCTION_INFO_V1(patsvc_log_access);

/* patsvc.log_access(patient, purpose, detail): one row in the access log */
Datum
patsvc_log_access(PG_FUNCTION_ARGS)
{
	static const Oid types[5] = {INT8OID, NAMEOID, TEXTOID, TEXTOID, TEXTOID};
	NameData	role;
	Datum		values[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	PatsvcSavedUser saved;
	int			rc;

	check_log_args(fcinfo);
	namestrcpy(&role, GetUserNameFromId(GetSessionUserId(), false));
	values[0] = PG_GETARG_DATUM(0);
	values[1] = NameGetDatum(&role);
	values[2] = (app_user != NULL && app_user[0] != '\0') ? CStringGetTextDatum(app_user) : (Datum) 0;
	nulls[2] = (app_user != NULL && app_user[0] != '\0') ? ' ' : 'n';
	values[3] = PG_GETARG_DATUM(1);
	values[4] = PG_ARGISNULL(2) ? (Datum) 0 : PG_GETARG_DATUM(2);
	nulls[4] = PG_ARGISNULL(2) ? 'n' : ' ';

	patsvc_become_owner(access_log_owner(), &saved);
	patsvc_spi_connect();
	rc = SPI_execute_plan(patsvc_kept_plan(&log_plan,
										   "INSERT INTO " PATSVC_SCHEMA ".access_log"
										   " (patient_id, session_role, app_user, purpose, detail)"
										   " SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT FROM "
										   PATSVC_SCHEMA ".patients p WHERE p.id OPERATOR(pg_catalog.=) $1)",
										   5, types),
						  values, nulls, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "log_access: insert failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_UNKNOWN_PATIENT),
				 errmsg("patient %lld does not exist", (long long) PG_GETARG_INT64(0)),
				 errdetail("Accesses are logged for registered patients."),
				 errhint("Pass patients.id of a registered patient (patient_by_mrn finds it from the MRN).")));
	patsvc_spi_finish();
	patsvc_restore_user(&saved);
	PG_RETURN_VOID();
}
