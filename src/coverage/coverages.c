/*
 * coverages.c -- trigger coverages_overlap: no two coverages of one patient
 * with one priority in force on one day (PS502), race-free at every
 * isolation level; and the GUC patsvc.eligibility_valid_days.
 *
 * A writer first takes a transaction-scoped lock on the patient (an
 * advisory-style lock, field4 COVERAGE_LOCK_FIELD4, the patient's bucket: 1
 * of COVERAGE_LOCK_BUCKETS, so a bulk load holds a bounded number of locks),
 * so a second writer of the same patient waits for the first to commit or
 * abort; it then looks for an overlapping coverage in the latest committed
 * state plus this transaction's own writes (after a CommandCounterIncrement:
 * an INSERT ... SELECT or COPY sees its earlier rows).  Under REPEATABLE
 * READ or SERIALIZABLE, a conflict that committed after the transaction's
 * snapshot is a serialization failure (40001): the retry sees it and gets
 * PS502.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/datum.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rangetypes.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/typcache.h"

#include "core/core.h"
#include "coverage/coverage.h"

#define COVERAGE_LOCK_FIELD4 0x5501
#define COVERAGE_LOCK_BUCKET_BITS 10

int			coverage_eligibility_valid_days = 30;

void
coverage_init(void)
{
	DefineCustomIntVariable("patsvc.eligibility_valid_days",
							"Days an eligibility verification is good for, from its date of service.",
							"patsvc.eligibility_on(patient, date) uses a verification for a date of service "
							"on or after its own and less than this many days later.",
							&coverage_eligibility_valid_days, 30, 1, 366, PGC_USERSET, 0, NULL, NULL, NULL);
}

PG_FUNCTION_INFO_V1(patsvc_eligibility_valid_days);

Datum
patsvc_eligibility_valid_days(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(coverage_eligibility_valid_days);
}

/* Writers of one patient's coverages of one priority wait for each other (other priorities do not). */
static void
lock_patient_priority(int64 patient, int16 priority)
{
	LOCKTAG		tag;
	uint64		key = (uint64) patient * 4 + (uint64) priority;
	uint32		bucket = (uint32) ((key * UINT64CONST(0x9E3779B97F4A7C15)) >> (64 - COVERAGE_LOCK_BUCKET_BITS));

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, bucket, 0, COVERAGE_LOCK_FIELD4);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);
}

typedef struct CoverageKey
{
	int64		id;
	int64		patient;
	int16		priority;
	Datum		valid;
} CoverageKey;

/* The id of a coverage of the same patient and priority overlapping key in snapshot, 0 if none. */
static int64
find_overlap(const CoverageKey *key, Snapshot snapshot)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[4] = {INT8OID, INT2OID, DATERANGEOID, INT8OID};
	Datum		args[4] = {Int64GetDatum(key->patient), Int16GetDatum(key->priority), key->valid,
	Int64GetDatum(key->id)};
	bool		isnull;
	int64		found = 0;

	plan = patsvc_kept_plan(&plan,
							"SELECT c.id FROM " PATSVC_SCHEMA ".coverages c"
							" WHERE c.patient_id OPERATOR(pg_catalog.=) $1 AND c.priority OPERATOR(pg_catalog.=) $2"
							" AND c.valid OPERATOR(pg_catalog.&&) $3 AND c.id OPERATOR(pg_catalog.<>) $4"
							" ORDER BY c.valid LIMIT 1", 4, types);
	if (SPI_execute_snapshot(plan, args, NULL, snapshot, InvalidSnapshot, true, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "patsvc: reading coverages failed");
	if (SPI_processed > 0)
		found = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	return found;
}

static const char *
priority_name(int16 priority)
{
	return priority == 1 ? "primary" : priority == 2 ? "secondary" : "tertiary";
}

/* A date as YYYY-MM-DD, whatever the session's DateStyle (messages are compared by tests and read by people). */
static char *
iso_date(DateADT d)
{
	int			y,
				m,
				day;

	j2date(d + POSTGRES_EPOCH_JDATE, &y, &m, &day);
	return psprintf("%04d-%02d-%02d", y, m, day);
}

/* "from 2026-01-01 until 2026-12-31" (the last day in force), or "from 2026-01-01 on" */
static char *
period_text(Datum valid)
{
	TypeCacheEntry *typcache = lookup_type_cache(DATERANGEOID, TYPECACHE_RANGE_INFO);
	RangeBound	lower,
				upper;
	bool		empty;

	range_deserialize(typcache, DatumGetRangeTypeP(valid), &lower, &upper, &empty);
	if (empty || lower.infinite)
		return pstrdup("(no dates)");
	if (upper.infinite)
		return psprintf("from %s on", iso_date(DatumGetDateADT(lower.val)));
	return psprintf("from %s until %s", iso_date(DatumGetDateADT(lower.val)),
					iso_date(DatumGetDateADT(upper.val) - 1));
}

static void
raise_overlap(const CoverageKey *key, int64 blocking)
{
	ereport(ERROR,
			(errcode(ERRCODE_PATSVC_COVERAGE_OVERLAP),
			 errmsg("patient %lld already has a %s coverage in force on days of the new one (%s): coverage %lld",
					(long long) key->patient, priority_name(key->priority), period_text(key->valid),
					(long long) blocking),
			 errdetail("Two coverages of one patient with the same priority cannot be in force on the same day."),
			 errhint("End coverage %lld the day before the new one starts (UPDATE patsvc.coverages SET valid = "
					 "daterange(lower(valid), <first day of the new one>) WHERE id = %lld), or give the new "
					 "coverage another priority (1 primary, 2 secondary, 3 tertiary).",
					 (long long) blocking, (long long) blocking)));
}

/* Under REPEATABLE READ or SERIALIZABLE: a conflict the transaction's snapshot does not see is 40001. */
static void
raise_if_invisible_to_xact(const CoverageKey *key, int64 blocking)
{
	int64		seen;

	if (!IsolationUsesXactSnapshot())
		return;
	PushCopiedSnapshot(GetTransactionSnapshot());
	UpdateActiveSnapshotCommandId();
	seen = find_overlap(key, GetActiveSnapshot());
	PopActiveSnapshot();
	if (seen == 0)
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("could not serialize access due to a concurrent coverage of patient %lld",
						(long long) key->patient),
				 errdetail("Coverage %lld was committed by a concurrent transaction after this one took its snapshot.",
						   (long long) blocking),
				 errhint("Retry the transaction: it will then see the concurrent coverage.")));
}

static void
check_overlap(Relation rel, const CoverageKey *key)
{
	PatsvcSavedUser saved;
	int64		blocking;

	lock_patient_priority(key->patient, key->priority);
	CommandCounterIncrement();
	patsvc_spi_connect();
	patsvc_become_owner(rel->rd_rel->relowner, &saved);
	blocking = find_overlap(key, GetLatestSnapshot());
	if (blocking != 0)
		raise_if_invisible_to_xact(key, blocking);
	patsvc_restore_user(&saved);
	patsvc_spi_finish();
	if (blocking != 0)
		raise_overlap(key, blocking);
}

static bool
key_unchanged(HeapTuple old, const CoverageKey *key, TupleDesc desc, const int *att)
{
	bool		isnull;
	Datum		valid;

	if (DatumGetInt64(heap_getattr(old, att[1], desc, &isnull)) != key->patient
		|| DatumGetInt16(heap_getattr(old, att[2], desc, &isnull)) != key->priority)
		return false;
	valid = heap_getattr(old, att[3], desc, &isnull);
	/* the same bytes: the same range (equal ranges stored otherwise are merely checked again) */
	return !isnull && datumIsEqual(valid, key->valid, false, -1);
}

PG_FUNCTION_INFO_V1(patsvc_coverages_overlap);

Datum
patsvc_coverages_overlap(PG_FUNCTION_ARGS)
{
	static const char *const tables[] = {"coverages", NULL};
	static const char *const columns[] = {"id", "patient_id", "priority", "valid"};
	TriggerData *td = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	HeapTuple	row;
	CoverageKey key;
	int			att[4];
	bool		isnull[4];

	patsvc_trigger_bound(fcinfo, "coverages_overlap", tables);
	desc = RelationGetDescr(td->tg_relation);
	row = TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple;
	for (int i = 0; i < 4; i++)
		att[i] = SPI_fnumber(desc, columns[i]);
	key.id = DatumGetInt64(heap_getattr(row, att[0], desc, &isnull[0]));
	key.patient = DatumGetInt64(heap_getattr(row, att[1], desc, &isnull[1]));
	key.priority = DatumGetInt16(heap_getattr(row, att[2], desc, &isnull[2]));
	key.valid = heap_getattr(row, att[3], desc, &isnull[3]);
	/* NULLs are refused by coverages_check and the NOT NULL constraints */
	if (isnull[0] || isnull[1] || isnull[2] || isnull[3])
		return PointerGetDatum(row);
	if (TRIGGER_FIRED_BY_UPDATE(td->tg_event) && key_unchanged(td->tg_trigtuple, &key, desc, att))
		return PointerGetDatum(row);
	check_overlap(td->tg_relation, &key);
	return PointerGetDatum(row);
}
