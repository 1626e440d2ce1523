/*
 * overbook.c -- the privileged overbook path (rule 4), the slot probe used by
 * free_slots/next_available, and time zone validation.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgtime.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rls.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "core/core.h"
#include "scheduling/scheduling.h"
#include "scheduling/slots.h"

PG_FUNCTION_INFO_V1(patsvc_book_overbook);
PG_FUNCTION_INFO_V1(patsvc_slot_is_free);

static int	overbook_depth = 0;

bool
overbook_authorized(void)
{
	return overbook_depth > 0;
}

#define OVERBOOK_COLUMNS "INSERT INTO patsvc.appointments (patient_id, provider_id, starts_at, type_id, resources," \
	" overbook, overbook_reason)"

/* the type's id given ($4 bigint), from book()'s cache of codes */
static SPIPlanPtr overbook_plan = NULL;
/* a code no type has ($4 text): appointment_type_id() raises PS208, after the row's id was drawn */
static SPIPlanPtr overbook_by_code_plan = NULL;

static SPIPlanPtr
get_overbook_plan(bool by_code)
{
	static const Oid by_id[6] = {INT8OID, INT8OID, TIMESTAMPTZOID, INT8OID, INT8ARRAYOID, TEXTOID};
	static const Oid by_name[6] = {INT8OID, INT8OID, TIMESTAMPTZOID, TEXTOID, INT8ARRAYOID, TEXTOID};

	if (by_code)
		return patsvc_kept_plan(&overbook_by_code_plan, OVERBOOK_COLUMNS
								" VALUES ($1, $2, $3, patsvc.appointment_type_id($4), $5, true, $6) RETURNING id",
								6, by_name);
	return patsvc_kept_plan(&overbook_plan, OVERBOOK_COLUMNS " VALUES ($1, $2, $3, $4, $5, true, $6) RETURNING id",
							6, by_id);
}

/*
 * The type's id for the kept INSERT: runs as the owner (SECURITY DEFINER),
 * who sees every type unless row security is forced on appointment_types;
 * then, or for an unknown code, the INSERT resolves the code itself.
 */
static bool
overbook_type_id(Datum code, int64 *id)
{
	if (check_enable_rls(patsvc_relid("appointment_types"), InvalidOid, true) != RLS_NONE)
		return false;
	return sched_type_id_of_code(TextDatumGetCString(code), id);
}

/* the row, straight into the table as book() writes its own (core: patsvc_direct_insert) */
static const char *const overbook_columns[7] = {
	"patient_id", "provider_id", "starts_at", "type_id", "resources", "overbook_reason", "overbook"
};
static const Oid overbook_types[7] = {INT8OID, INT8OID, TIMESTAMPTZOID, INT8OID, INT8ARRAYOID, TEXTOID, BOOLOID};
static PatsvcDirectInsert overbook_insert = {"appointments", overbook_columns, overbook_types, 7, "id"};

/* false: the table takes the statement only (patsvc_direct_insert), nothing done */
static bool
insert_directly(const Datum *args, int64 *id)
{
	Datum		values[7] = {args[0], args[1], args[2], args[3], args[4], args[5], BoolGetDatum(true)};
	bool		nulls[7] = {false, false, false, false, false, false, false};
	Datum		returned;
	bool		isnull;

	switch (patsvc_direct_insert(&overbook_insert, values, nulls, &returned, &isnull))
	{
		case PATSVC_INSERT_DONE:
			if (isnull)
				break;
			*id = DatumGetInt64(returned);
			return true;
		case PATSVC_INSERT_SKIPPED:
			break;
		case PATSVC_INSERT_UNSUPPORTED:
			return false;
	}
	elog(ERROR, "book_overbook: no row was inserted");
	pg_unreachable();
}

static int64
insert_through_spi(bool by_code, Datum *values, const char *nulls)
{
	int			rc;
	bool		isnull;
	int64		id;

	patsvc_spi_connect();
	rc = SPI_execute_plan(get_overbook_plan(by_code), values, nulls, false, 1);
	if (rc != SPI_OK_INSERT_RETURNING || SPI_processed != 1)
		elog(ERROR, "book_overbook: insert failed: %s", SPI_result_code_string(rc));
	id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	patsvc_spi_finish();
	return id;
}

/*
 * patsvc.book_overbook(patient, provider, starts_at, type, resources, reason):
 * SECURITY DEFINER, EXECUTE granted by the DBA.  The trigger honours
 * overbook = true only while this function inserts its own row.
 */
Datum
patsvc_book_overbook(PG_FUNCTION_ARGS)
{
	Datum		values[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};
	int64		id = 0;
	char	   *reason;

	for (int i = 0; i < 6; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("argument %d of patsvc.book_overbook must not be NULL", i + 1),
					 errhint("Give patient, provider, start, appointment type, resources ('{}' for none) and a reason.")));
	reason = text_to_cstring(PG_GETARG_TEXT_PP(5));
	if (strspn(reason, " \t\r\n") == strlen(reason))
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_OVERBOOK_NOT_ALLOWED),
				 errmsg("overbooking refused: the reason is empty"),
				 errdetail("Rule 4: every overbook is recorded with its reason and the user who made it."),
				 errhint("Say why the provider is overbooked, for example \"urgent: chest pain\".")));
	for (int i = 0; i < 6; i++)
		values[i] = PG_GETARG_DATUM(i);
	/* SECURITY DEFINER: the caller must be allowed to book at all */
	patsvc_require_table_privilege(patsvc_relid("appointments"),
								   ACL_INSERT, "INSERT", "book_overbook",
								   "Membership in patsvc_scheduler grants both (README, Roles and privileges).");
	overbook_depth++;
	PG_TRY();
	{
		int64		type_id;
		bool		by_code = !overbook_type_id(values[3], &type_id);

		if (!by_code)
			values[3] = Int64GetDatum(type_id);
		if (by_code || !insert_directly(values, &id))
			id = insert_through_spi(by_code, values, nulls);
	}
	PG_FINALLY();
	{
		overbook_depth--;
	}
	PG_END_TRY();
	PG_RETURN_INT64(id);
}

/*
 * patsvc.slot_is_free(provider, starts_at, type_id, resources): would a
 * booking pass rules 1-3 for the provider and resources now?  (No patient:
 * the answer would tell whether some patient is busy.)  Reads the statement's snapshot and
 * takes no locks: the answer is advice, the trigger decides at booking.
 */
Datum
patsvc_slot_is_free(PG_FUNCTION_ARGS)
{
	ApptRow		row = {0};
	ApptType	type;
	bool		result;
	PatsvcSavedUser saved;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_NULL();
	row.id = 0;
	row.provider = PG_GETARG_INT64(0);
	row.starts = PG_GETARG_TIMESTAMPTZ(1);
	row.type = PG_GETARG_INT64(2);
	slots_check_time(row.starts, SCHED_MAX_HELD_USECS, "starts_at");
	if (!PG_ARGISNULL(3))
		slots_check_array(PG_GETARG_ARRAYTYPE_P(3), SLOTS_MAX_RESOURCES, "resources", "slot_is_free");
	slots_require_select("appointments", "slot_is_free");
	if (!PG_ARGISNULL(3))
	{
		Datum	   *elems;
		bool	   *nulls;
		int			n;

		deconstruct_array(PG_GETARG_ARRAYTYPE_P(3), INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
						  &elems, &nulls, &n);
		row.resources = palloc(sizeof(int64) * Max(n, 1));
		for (int i = 0; i < n; i++)
			if (!nulls[i])
				row.resources[row.nresources++] = DatumGetInt64(elems[i]);
	}
	patsvc_become_owner(sched_appointments_owner(), &saved);
	patsvc_spi_connect();
	rules_load_type(row.type, &type);
	rules_derive_times(&row, &type);
	result = rules_check(&row, &type, RULES_PROBE, false);
	patsvc_spi_finish();
	patsvc_restore_user(&saved);
	PG_RETURN_BOOL(result);
}
