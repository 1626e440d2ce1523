/*
 * rebook.c -- changes that touch booked visits (issue 17, section 4).
 *
 * The AFTER ROW trigger rebooking_check on patsvc.time_off (INSERT, UPDATE),
 * patsvc.availability (UPDATE, DELETE), patsvc.appointment_types (UPDATE of
 * length, buffers, kinds, capacity), patsvc.resources (UPDATE of kind) and
 * patsvc.locations (UPDATE of time_zone)
 * finds the future time-holding appointments the changed row could concern
 * and asks the rules (rules_recheck in rules.c: the same checks the booking
 * trigger runs, one implementation) whether each would still be accepted.
 * Those that would not are refused with PS211 listing their ids, unless the
 * change runs inside patsvc.apply_schedule_change: then they are flagged
 * (appointments.needs_rebooking) and returned as the worklist.
 *
 * Race freedom: before looking for appointments the trigger takes the key
 * lock a booking of that provider or resource takes (rules_lock_key) and
 * holds it until commit; a booking of that key waits for the change and
 * then sees it, a change waits for a booking and then sees its row.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rangetypes.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "core/core.h"
#include "scheduling/scheduling.h"

PG_FUNCTION_INFO_V1(patsvc_rebooking_check);
PG_FUNCTION_INFO_V1(patsvc_apply_schedule_change);

/* ids listed in one refusal's detail at most */
#define REBOOK_LIST_MAX 50

/* While patsvc.apply_schedule_change runs its statement: the ids flagged so far. */
static bool apply_active = false;
static MemoryContext flagged_cxt = NULL;
static int64 *flagged = NULL;
static int	nflagged = 0;
static int	capflagged = 0;

/* The appointments a change may concern: future, time-holding, not flagged yet. */
#define CANDIDATE_COLS \
	"SELECT a.id, a.patient_id, a.provider_id, a.type_id, a.location_id, a.starts_at, a.resources, a.overbook" \
	" FROM " PATSVC_SCHEMA ".appointments a"
#define CANDIDATE_FILTER \
	" AND a.starts_at > pg_catalog.now() AND a.needs_rebooking IS NULL" \
	" AND a.status NOT IN ('cancelled', 'noshow', 'entered-in-error') ORDER BY a.id"

typedef struct CandidatePlan
{
	const char *sql;
	int			nargs;
	Oid			types[2];
	SPIPlanPtr	plan;
} CandidatePlan;

static CandidatePlan by_provider = {
	CANDIDATE_COLS " WHERE a.provider_id = $1 AND NOT a.overbook"
	" AND pg_catalog.tstzrange(a.held_from, a.held_until) OPERATOR(pg_catalog.&&) $2" CANDIDATE_FILTER,
	2, {INT8OID, TSTZRANGEOID}
};
static CandidatePlan by_resource = {
	CANDIDATE_COLS " WHERE a.id IN (SELECT h.appointment_id FROM " PATSVC_SCHEMA ".appointment_resources h"
	" WHERE h.resource_id = $1"
	" AND pg_catalog.tstzrange(h.held_from, h.held_until) OPERATOR(pg_catalog.&&) $2)" CANDIDATE_FILTER,
	2, {INT8OID, TSTZRANGEOID}
};
static CandidatePlan by_type = {
	CANDIDATE_COLS " WHERE a.type_id = $1" CANDIDATE_FILTER,
	1, {INT8OID}
};
static CandidatePlan by_location = {
	CANDIDATE_COLS " WHERE a.location_id = $1 AND NOT a.overbook" CANDIDATE_FILTER,
	1, {INT8OID}
};
static CandidatePlan mark = {
	"UPDATE " PATSVC_SCHEMA ".appointments SET needs_rebooking = pg_catalog.now()"
	" WHERE id = ANY ($1) AND needs_rebooking IS NULL",
	1, {INT8ARRAYOID}
};

/* tstzrange '(,)': every time */
static Datum
everything_range(void)
{
	TypeCacheEntry *typcache = lookup_type_cache(TSTZRANGEOID, TYPECACHE_RANGE_INFO);
	RangeBound	lb = {(Datum) 0, true, false, true},
				ub = {(Datum) 0, true, false, false};

	return PointerGetDatum(make_range(typcache, &lb, &ub, false));
}

static bool
column(HeapTuple tup, TupleDesc desc, const char *name, Datum *value)
{
	bool		isnull;

	*value = SPI_getbinval(tup, desc, SPI_fnumber(desc, name), &isnull);
	return !isnull;
}

static void
read_candidate(HeapTuple tup, TupleDesc desc, ApptRow *row)
{
	bool		isnull;
	Datum		d;
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	memset(row, 0, sizeof(*row));
	row->id = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
	row->patient = DatumGetInt64(SPI_getbinval(tup, desc, 2, &isnull));
	row->provider = DatumGetInt64(SPI_getbinval(tup, desc, 3, &isnull));
	row->type = DatumGetInt64(SPI_getbinval(tup, desc, 4, &isnull));
	d = SPI_getbinval(tup, desc, 5, &isnull);
	row->has_location = !isnull;
	row->location = isnull ? 0 : DatumGetInt64(d);
	row->starts = DatumGetTimestampTz(SPI_getbinval(tup, desc, 6, &isnull));
	arr = DatumGetArrayTypeP(SPI_getbinval(tup, desc, 7, &isnull));
	deconstruct_array(arr, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &nulls, &n);
	row->resources = palloc(sizeof(int64) * Max(n, 1));
	for (int i = 0; i < n; i++)
		row->resources[i] = DatumGetInt64(elems[i]);
	row->nresources = patsvc_sort_distinct(row->resources, n);
	row->overbook = DatumGetBool(SPI_getbinval(tup, desc, 8, &isnull));
}

/*
 * The ids of the candidates the rules no longer accept.  The candidates are
 * read with the latest snapshot (after this backend's key lock: every
 * booking of the key that committed first is seen).
 */
static int
affected_appointments(CandidatePlan *cp, Datum key, Datum range, bool check_patient, int64 **ids)
{
	Datum		args[2] = {key, range};
	SPITupleTable *tuptable;
	uint64		n;
	int			naffected = 0;
	int			rc;

	CommandCounterIncrement();	/* this statement's change (and the invalidation sent for it) count */
	rc = SPI_execute_snapshot(patsvc_kept_plan(&cp->plan, cp->sql, cp->nargs, cp->types), args, NULL,
							  GetLatestSnapshot(), InvalidSnapshot, true, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute failed: %s", SPI_result_code_string(rc));
	tuptable = SPI_tuptable;
	n = SPI_processed;
	*ids = palloc(sizeof(int64) * Max(n, 1));
	for (uint64 i = 0; i < n; i++)
	{
		ApptRow		row;
		ApptType	type;

		read_candidate(tuptable->vals[i], tuptable->tupdesc, &row);
		rules_load_type(row.type, &type);
		rules_derive_times(&row, &type);
		if (!rules_recheck(&row, &type, check_patient))
			(*ids)[naffected++] = row.id;
	}
	return naffected;
}

static char *
id_list(const int64 *ids, int n)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; i < n && i < REBOOK_LIST_MAX; i++)
		appendStringInfo(&buf, "%s%lld", i ? ", " : "", (long long) ids[i]);
	if (n > REBOOK_LIST_MAX)
		appendStringInfo(&buf, " and %d more", n - REBOOK_LIST_MAX);
	return buf.data;
}

static void
remember_flagged(const int64 *ids, int n)
{
	for (int i = 0; i < n; i++)
	{
		if (nflagged == capflagged)
		{
			capflagged = Max(16, capflagged * 2);
			flagged = flagged == NULL ? MemoryContextAlloc(flagged_cxt, sizeof(int64) * capflagged)
				: repalloc(flagged, sizeof(int64) * capflagged);
		}
		flagged[nflagged++] = ids[i];
	}
}

static ArrayType *
int8_array(const int64 *values, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));

	for (int i = 0; i < n; i++)
		d[i] = Int64GetDatum(values[i]);
	return construct_array(d, n, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

/* Refuses the change (PS211), or inside apply_schedule_change flags the visits. */
static void
refuse_or_flag(const char *what, const int64 *ids, int n)
{
	int			rc;
	Datum		arg[1];

	if (n == 0)
		return;
	if (!apply_active)
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_NEEDS_REBOOKING),
				 errmsg("%s would leave %d booked appointment%s outside the scheduling rules", what, n,
						n == 1 ? "" : "s"),
				 errdetail("Appointments that would need rebooking: %s.", id_list(ids, n)),
				 errhint("Rebook or cancel them first, or make the change with patsvc.apply_schedule_change, which applies it and flags them (patsvc.appointments_needing_rebooking lists them).")));
	arg[0] = PointerGetDatum(int8_array(ids, n));
	rc = SPI_execute_plan(patsvc_kept_plan(&mark.plan, mark.sql, mark.nargs, mark.types), arg, NULL, false, 0);
	if (rc != SPI_OK_UPDATE)
		elog(ERROR, "SPI_execute failed: %s", SPI_result_code_string(rc));
	/* REPEATABLE READ or SERIALIZABLE: a visit booked after our snapshot cannot be flagged by us */
	if (SPI_processed != (uint64) n)
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("could not serialize access due to a concurrent booking"),
				 errdetail("%d of the appointments to flag were committed by a concurrent transaction after this one took its snapshot.",
						   n - (int) SPI_processed),
				 errhint("Retry the transaction: it will then see the concurrent booking.")));
	remember_flagged(ids, n);
}

static const char *const changed_tables[] = {"availability", "time_off", "appointment_types", "resources", "locations",
NULL};

static void
check_change(TriggerData *td)
{
	Relation	rel = td->tg_relation;
	TupleDesc	desc = RelationGetDescr(rel);
	const char *relname = RelationGetRelationName(rel);
	HeapTuple	newtup = TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple
		: TRIGGER_FIRED_BY_INSERT(td->tg_event) ? td->tg_trigtuple : NULL;
	HeapTuple	oldtup = TRIGGER_FIRED_BY_INSERT(td->tg_event) ? NULL : td->tg_trigtuple;
	int64	   *ids;
	int			n;
	Datum		key,
				range;

	if (strcmp(relname, "time_off") == 0)
	{
		bool		is_resource;

		if (newtup == NULL)
			return;				/* less time off never leaves a visit outside the rules */
		is_resource = !column(newtup, desc, "provider_id", &key);
		if (is_resource && !column(newtup, desc, "resource_id", &key))
			return;				/* refused by the table's CHECK */
		(void) column(newtup, desc, "during", &range);
		rules_lock_key(is_resource, DatumGetInt64(key));
		n = affected_appointments(is_resource ? &by_resource : &by_provider, key, range, false, &ids);
		refuse_or_flag(is_resource ? "this time off of a room/resource" : "this time off of a provider", ids, n);
	}
	else if (strcmp(relname, "availability") == 0)
	{
		/* hours taken away (changed or deleted) from the row's old provider */
		if (oldtup == NULL || !column(oldtup, desc, "provider_id", &key))
			return;
		rules_lock_key(false, DatumGetInt64(key));
		n = affected_appointments(&by_provider, key, everything_range(), false, &ids);
		refuse_or_flag("this change of weekly hours", ids, n);
	}
	else if (strcmp(relname, "appointment_types") == 0)
	{
		/* a longer visit, other buffers, kinds or capacity: locks per appointment (rules_recheck) */
		if (oldtup == NULL || newtup == NULL || !column(oldtup, desc, "id", &key))
			return;
		n = affected_appointments(&by_type, key, (Datum) 0, true, &ids);
		refuse_or_flag("this change of an appointment type", ids, n);
	}
	else if (strcmp(relname, "locations") == 0)
	{
		/* another time zone moves every weekly hours row there in UTC: locks per appointment */
		if (oldtup == NULL || newtup == NULL || !column(oldtup, desc, "id", &key))
			return;
		n = affected_appointments(&by_location, key, (Datum) 0, false, &ids);
		refuse_or_flag("this change of a location's time zone", ids, n);
	}
	else
	{
		/* resources: a changed kind may no longer be a kind the type requires */
		if (oldtup == NULL || newtup == NULL || !column(oldtup, desc, "id", &key))
			return;
		rules_lock_key(true, DatumGetInt64(key));
		n = affected_appointments(&by_resource, key, everything_range(), false, &ids);
		refuse_or_flag("this change of a room/resource's kind", ids, n);
	}
}

Datum
patsvc_rebooking_check(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	PatsvcSavedUser saved;

	patsvc_trigger_bound(fcinfo, "rebooking_check", changed_tables);
	if (!TRIGGER_FIRED_AFTER(td->tg_event) || !TRIGGER_FIRED_FOR_ROW(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("rebooking_check must be called as an AFTER ROW trigger"),
				 errhint("Use it only in the triggers patsvc's install script creates.")));
	/* this backend's caches of the table drop at the next command counter increment */
	CacheInvalidateRelcache(td->tg_relation);
	patsvc_become_owner(sched_appointments_owner(), &saved);
	patsvc_spi_connect();
	check_change(td);
	patsvc_spi_finish();
	patsvc_restore_user(&saved);
	return PointerGetDatum(NULL);
}

/*
 * patsvc.apply_schedule_change(change text) returns bigint[]: runs one
 * INSERT, UPDATE or DELETE with the caller's rights; booked visits it
 * leaves outside the rules are flagged instead of refusing it.  Returns
 * their ids (sorted, distinct).
 */
Datum
patsvc_apply_schedule_change(PG_FUNCTION_ARGS)
{
	char	   *sql = text_to_cstring(PG_GETARG_TEXT_PP(0));
	List	   *parsed = raw_parser(sql, RAW_PARSE_DEFAULT);
	Node	   *stmt = list_length(parsed) == 1 ? ((RawStmt *) linitial(parsed))->stmt : NULL;
	int64	   *result;
	int			n;

	if (stmt == NULL || !(IsA(stmt, InsertStmt) || IsA(stmt, UpdateStmt) || IsA(stmt, DeleteStmt)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("patsvc.apply_schedule_change takes exactly one INSERT, UPDATE or DELETE statement"),
				 list_length(parsed) == 1
				 ? errdetail("The statement given is not an INSERT, UPDATE or DELETE.")
				 : errdetail("The text given holds %d statements.", list_length(parsed)),
				 errhint("Pass the change of patsvc.time_off, patsvc.availability, patsvc.appointment_types or patsvc.resources as one statement.")));
	if (apply_active)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("patsvc.apply_schedule_change cannot be called inside another one"),
				 errhint("Call it once per change.")));
	flagged_cxt = CurrentMemoryContext;
	flagged = NULL;
	nflagged = capflagged = 0;
	apply_active = true;
	PG_TRY();
	{
		int			rc;

		patsvc_spi_connect();
		rc = SPI_execute(sql, false, 0);
		if (rc < 0)
			elog(ERROR, "SPI_execute failed: %s", SPI_result_code_string(rc));
		patsvc_spi_finish();
	}
	PG_FINALLY();
	{
		apply_active = false;
	}
	PG_END_TRY();
	result = flagged;
	n = result == NULL ? 0 : patsvc_sort_distinct(result, nflagged);
	flagged = NULL;
	nflagged = capflagged = 0;
	PG_RETURN_ARRAYTYPE_P(int8_array(result, n));
}
