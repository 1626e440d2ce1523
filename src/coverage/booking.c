/*
 * booking.c -- booking rules by appointment type (issue 13), on every write
 * of patsvc.appointments: trigger appointments_visits (BEFORE INSERT, UPDATE
 * OF status, starts_at, type_id, provider_id and the three columns below,
 * DELETE), sorted after scheduling's appointments_enforce.
 *
 * A type's requirements (patsvc.appointment_type_requirements) are cached
 * per backend (RowCache, dropped by cache_changed() on the requirements and
 * the types), so a booking of a type that needs nothing returns at once.
 * A booking (status pending, booked, arrived, checked-in or fulfilled) of a
 * type that needs something is checked when it is written, when it starts
 * to book (proposed, waitlist -> booked) and when it moves (start, type or
 * provider): coverage in force on the date of service (PS540), a good
 * verification (PS541), a referral with a visit left (PS542), a prior
 * authorization of a payer in force approving the type's service code with a
 * visit left (PS543).  What it uses is written ON THE APPOINTMENT ROW
 * (columns coverage_id, referral_id, authorization_id, set by this trigger
 * alone: PS547 for anyone else), so a booking writes nothing but its own row.
 *
 * A visit of an authorization (referral) is used by every appointment that
 * names it and is not cancelled or entered in error; a no-show of a type
 * that gives visits back clears the two columns.  There is no counter: the
 * visits left are counted from the appointments (partial indexes
 * appointments_authorization, appointments_referral).  The date of service
 * is the start's local date in the zone of the appointment's location.
 *
 * Race-free without row locks: whoever takes or gives back visits of a
 * patient (a booking, a move, a cancellation, a no-show, a delete, a change
 * or delete of the patient's authorizations, referrals or coverages) first
 * takes a transaction-level lock of the patient (lock_patient_visits: an
 * advisory-style heavyweight lock, field4 VISITS_LOCK_FIELD4, 1 of 1024
 * buckets, so a bulk load holds few locks), which writes nothing.  Under it,
 * the candidates and their bookings are read in the latest committed state
 * plus the transaction's own writes; under REPEATABLE READ and SERIALIZABLE
 * the same choice is made again in the transaction's snapshot, and a
 * difference (another transaction booked, gave back or changed an
 * authorization after the snapshot) is 40001: retry the transaction.  An
 * authorization far from used up (fewer index entries than visits approved:
 * visits_scan.c) has a visit left in any snapshot, so its bookings are not
 * counted and another transaction's booking or cancellation of it is no
 * difference.  The
 * queries run as the owner of patsvc.appointments (callers need no rights on
 * authorizations or referrals).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "commands/trigger.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "core/core.h"
#include "core/rowcache.h"
#include "coverage/coverage.h"
#include "scheduling/scheduling.h"

/* ---- the requirements of a type, cached per backend ---------------------- */

typedef struct Requirements
{
	int64		type_id;		/* hash key */
	bool		any;			/* needs something */
	bool		coverage;
	bool		verification;
	bool		referral;
	bool		authorization;
	bool		noshow_gives_back;
	char		type_code[64];
	char		service_code[16];
} Requirements;

static RowCache requirements_cache = {
	.relname = "appointment_type_requirements",
	.relname2 = "appointment_types",
	.sql = "SELECT t.code, r.requires_coverage, r.requires_verification, r.requires_referral,"
	" r.requires_authorization, r.service_code, r.give_back_on_noshow"
	" FROM patsvc.appointment_types t"
	" LEFT JOIN patsvc.appointment_type_requirements r ON r.type_id OPERATOR(pg_catalog.=) t.id"
	" WHERE t.id OPERATOR(pg_catalog.=) $1",
	.limit = 1,
	.entrysize = sizeof(Requirements),
	.nelem = 64,
};

static bool
column_flag(HeapTuple row, TupleDesc desc, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(row, desc, col, &isnull);

	return !isnull && DatumGetBool(d);
}

/* Reads one type's requirements (inside SPI, as the caller of the lookup); an unknown type needs nothing. */
static bool
read_requirements(int64 type_id, void *entry)
{
	Requirements *r = entry;
	HeapTuple	row;
	TupleDesc	desc;
	char	   *code;

	if (!row_cache_read(&requirements_cache, type_id))
		return true;
	row = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	code = SPI_getvalue(row, desc, 1);
	strlcpy(r->type_code, code ? code : "", sizeof(r->type_code));
	r->coverage = column_flag(row, desc, 2);
	r->verification = column_flag(row, desc, 3);
	r->referral = column_flag(row, desc, 4);
	r->authorization = column_flag(row, desc, 5);
	code = SPI_getvalue(row, desc, 6);
	strlcpy(r->service_code, code ? code : "", sizeof(r->service_code));
	r->noshow_gives_back = column_flag(row, desc, 7);
	r->any = r->coverage || r->verification || r->referral || r->authorization;
	return true;
}

/* The requirements of a type (a copy), read as the table's owner when not cached. */
static void
type_requirements(int64 type_id, Oid owner, Requirements *out)
{
	Requirements scratch;
	PatsvcSavedUser saved;

	patsvc_become_owner(owner, &saved);
	*out = *(Requirements *) row_cache_lookup(&requirements_cache, type_id, read_requirements, &scratch);
	patsvc_restore_user(&saved);
}

/* ---- the appointment row ------------------------------------------------- */

typedef struct Uses
{
	int64		coverage;		/* 0: none */
	int64		referral;
	int64		authorization;
	int64		referral_booked;	/* other live bookings of them, when chosen */
	int64		authorization_booked;
	int			refusal;		/* REFUSE_*: what is missing */
} Uses;

enum
{
	REFUSE_NONE, REFUSE_COVERAGE, REFUSE_VERIFICATION, REFUSE_REFERRAL, REFUSE_AUTHORIZATION
};

typedef struct Booking
{
	int64		id;
	int64		patient;
	int64		provider;
	int64		type_id;
	int64		location;		/* 0: none */
	int64		replaces;		/* 0: none */
	TimestampTz starts_at;
	char	   *status;
	Uses		uses;			/* the row's coverage_id, referral_id, authorization_id */
} Booking;

/* the appointment columns the trigger reads, numbered once (core: patsvc_columns), not per row */
enum
{
	B_ID, B_PATIENT, B_PROVIDER, B_TYPE, B_LOCATION, B_REPLACES, B_STARTS, B_STATUS,
	B_COVERAGE, B_REFERRAL, B_AUTHORIZATION, B_COUNT
};
static const char *const booking_names[B_COUNT] = {
	"id", "patient_id", "provider_id", "type_id", "location_id", "replaces", "starts_at", "status",
	"coverage_id", "referral_id", "authorization_id"
};
static PatsvcColumns booking_columns = {booking_names, B_COUNT};

static int64
int64_column(HeapTuple tuple, TupleDesc desc, int attnum)
{
	bool		isnull;
	Datum		d = heap_getattr(tuple, attnum, desc, &isnull);

	return isnull ? 0 : DatumGetInt64(d);
}

static void
read_booking(HeapTuple tuple, TupleDesc desc, const int *col, Booking *b)
{
	bool		isnull;

	b->id = int64_column(tuple, desc, col[B_ID]);
	b->patient = int64_column(tuple, desc, col[B_PATIENT]);
	b->provider = int64_column(tuple, desc, col[B_PROVIDER]);
	b->type_id = int64_column(tuple, desc, col[B_TYPE]);
	b->location = int64_column(tuple, desc, col[B_LOCATION]);
	b->replaces = int64_column(tuple, desc, col[B_REPLACES]);
	b->starts_at = DatumGetTimestampTz(heap_getattr(tuple, col[B_STARTS], desc, &isnull));
	b->status = TextDatumGetCString(heap_getattr(tuple, col[B_STATUS], desc, &isnull));
	memset(&b->uses, 0, sizeof(b->uses));
	b->uses.coverage = int64_column(tuple, desc, col[B_COVERAGE]);
	b->uses.referral = int64_column(tuple, desc, col[B_REFERRAL]);
	b->uses.authorization = int64_column(tuple, desc, col[B_AUTHORIZATION]);
}

/* Does an appointment in this status book a visit (and so need what its type requires)? */
static bool
status_books(const char *status)
{
	return strcmp(status, "pending") == 0 || strcmp(status, "booked") == 0 ||
		strcmp(status, "arrived") == 0 || strcmp(status, "checked-in") == 0 ||
		strcmp(status, "fulfilled") == 0;
}

/* Does an appointment in this status use no visit, whatever it names (see LIVE_BOOKING)? */
static bool
status_cancelled(const char *status)
{
	return strcmp(status, "cancelled") == 0 || strcmp(status, "entered-in-error") == 0;
}

/* Does moving to this status give the visits back? */
static bool
status_gives_back(const char *status, const Requirements *req)
{
	return status_cancelled(status) || (strcmp(status, "noshow") == 0 && req->noshow_gives_back);
}

static bool
moved(const Booking *n, const Booking *o)
{
	return n->starts_at != o->starts_at || n->type_id != o->type_id || n->provider != o->provider;
}

/* Does the row use visits (names a referral or authorization and is not cancelled)? */
static bool
uses_visits(const Booking *b)
{
	return (b->uses.referral != 0 || b->uses.authorization != 0) && !status_cancelled(b->status);
}

static bool
same_uses(const Uses *a, const Uses *b)
{
	return a->coverage == b->coverage && a->referral == b->referral && a->authorization == b->authorization;
}

/* ---- the lock: a patient's visits ---------------------------------------- */

#define VISITS_LOCK_FIELD4 0x5502
#define VISITS_LOCK_BUCKET_BITS 10

/*
 * Takes (until the transaction ends) the lock under which a patient's
 * visits are taken and given back, and the patient's authorizations,
 * referrals and coverages change or go; writes nothing.
 */
static void
lock_patient_visits(int64 patient)
{
	LOCKTAG		tag;
	uint32		bucket = (uint32) (((uint64) patient * UINT64CONST(0x9E3779B97F4A7C15)) >> (64 - VISITS_LOCK_BUCKET_BITS));

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, bucket, 0, VISITS_LOCK_FIELD4);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);
}

/*
 * The snapshot the choices are read in: the latest committed state plus
 * every earlier write of this transaction, including rows this statement
 * wrote before (as coverages.c and scheduling read); or, for the
 * REPEATABLE READ / SERIALIZABLE cross-check, the transaction's own one.
 * Undone by PopActiveSnapshot().
 */
static Snapshot
push_read_snapshot(bool latest)
{
	CommandCounterIncrement();
	PushCopiedSnapshot(latest ? GetLatestSnapshot() : GetTransactionSnapshot());
	UpdateActiveSnapshotCommandId();
	return GetActiveSnapshot();
}

/* ---- queries (kept plans, run inside SPI as the owner, in a given snapshot) -- */

static SPIPlanPtr coverage_plan, verification_plan, referral_plan, referral_why_plan, authorization_why_plan,
			used_by_plan;

/*
 * Runs a kept SELECT in snapshot; true when it returned a row, whose first
 * ncols columns (bigint, NULL read as 0) go to out.
 */
static bool
run_plan(SPIPlanPtr *slot, const char *sql, int nargs, const Oid *types, Datum *values, const char *nulls,
		 Snapshot snapshot, int ncols, int64 *out)
{
	SPIPlanPtr	plan = patsvc_kept_plan(slot, sql, nargs, types);
	int			rc;

	rc = SPI_execute_snapshot(plan, values, nulls, snapshot, InvalidSnapshot, true, false, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_snapshot failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 0 || SPI_tuptable == NULL)
		return false;
	for (int i = 0; i < ncols; i++)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, i + 1, &isnull);

		out[i] = isnull ? 0 : DatumGetInt64(d);
	}
	return true;
}

/* Runs a kept SELECT of one text column (the reason of a refusal) in snapshot. */
static char *
run_text(SPIPlanPtr *slot, const char *sql, int nargs, const Oid *types, Datum *values, Snapshot snapshot)
{
	SPIPlanPtr	plan = patsvc_kept_plan(slot, sql, nargs, types);
	bool		isnull;
	Datum		d;

	if (SPI_execute_snapshot(plan, values, NULL, snapshot, InvalidSnapshot, true, false, 1) != SPI_OK_SELECT
		|| SPI_processed == 0)
		elog(ERROR, "patsvc: reading the reason of a refusal failed");
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? pstrdup("") : TextDatumGetCString(d);
}

/* ---- the date of service ------------------------------------------------- */

typedef struct LocationZone
{
	int64		location;		/* hash key */
	char		zone[128];		/* patsvc.locations.time_zone */
} LocationZone;

static RowCache zone_cache = {
	.relname = "locations",
	.sql = "SELECT l.time_zone FROM patsvc.locations l WHERE l.id OPERATOR(pg_catalog.=) $1",
	.limit = 1,
	.entrysize = sizeof(LocationZone),
	.nelem = 16,
};

/* Reads a location's time zone (inside SPI, as the owner); false when there is no such location. */
static bool
read_zone(int64 location, void *entry)
{
	char	   *zone;

	if (!row_cache_read(&zone_cache, location))
		return false;
	zone = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	strlcpy(((LocationZone *) entry)->zone, zone ? zone : "", sizeof(((LocationZone *) entry)->zone));
	return true;
}

/*
 * The date of service: the start's local date in the zone of the
 * appointment's location (as SQL's start AT TIME ZONE zone reads it; the
 * session's zone when it has none).  Zones are cached per backend
 * (dropped by trigger locations_changed).
 */
static DateADT
service_date(const Booking *b)
{
	LocationZone scratch;
	LocationZone *z = NULL;
	Timestamp	local;

	if (b->location != 0)
		z = row_cache_lookup(&zone_cache, b->location, read_zone, &scratch);
	if (z == NULL)
		return DatumGetDateADT(DirectFunctionCall1(timestamptz_date, TimestampTzGetDatum(b->starts_at)));
	local = DatumGetTimestamp(DirectFunctionCall2(timestamptz_zone, CStringGetTextDatum(z->zone),
												  TimestampTzGetDatum(b->starts_at)));
	return DatumGetDateADT(DirectFunctionCall1(timestamp_date, TimestampGetDatum(local)));
}

/* A date as YYYY-MM-DD whatever the session's DateStyle (messages are read by people and tests alike). */
static const char *
date_text(DateADT d)
{
	int			y,
				m,
				day;

	j2date(d + POSTGRES_EPOCH_JDATE, &y, &m, &day);
	return psprintf("%04d-%02d-%02d", y, m, day);
}

/* ---- choosing what a booking uses (no writes) ------------------------------ */

/*
 * The bookings that use a visit: they name it and are not cancelled or
 * entered in error (status_cancelled); the appointment being written is
 * not counted (its old version is still in the table while it moves).
 */
#define LIVE_BOOKING \
	" AND p.status OPERATOR(pg_catalog.<>) 'cancelled' AND p.status OPERATOR(pg_catalog.<>) 'entered-in-error'"

/* The primary coverage of the patient in force on the date (0: none). */
static int64
coverage_in_force(const Booking *b, DateADT on, Snapshot snapshot)
{
	static const Oid types[2] = {INT8OID, DATEOID};
	Datum		v[2] = {Int64GetDatum(b->patient), DateADTGetDatum(on)};
	int64		id = 0;

	run_plan(&coverage_plan,
			 "SELECT c.id FROM patsvc.coverages c WHERE c.patient_id OPERATOR(pg_catalog.=) $1"
			 " AND c.valid OPERATOR(pg_catalog.@>) $2 ORDER BY c.priority, c.id LIMIT 1",
			 2, types, v, NULL, snapshot, 1, &id);
	return id;
}

/* Is a verification good on the date (eligibility_on, active)? */
static bool
has_verification(const Booking *b, DateADT on, Snapshot snapshot)
{
	static const Oid types[2] = {INT8OID, DATEOID};
	Datum		v[2] = {Int64GetDatum(b->patient), DateADTGetDatum(on)};

	return run_plan(&verification_plan,
					"SELECT 1::bigint FROM patsvc.eligibility_on($1, $2) e WHERE e.active LIMIT 1",
					2, types, v, NULL, snapshot, 0, NULL);
}

/* The referral with a visit left (the preferred one first) and its other bookings; false: none. */
static bool
choose_referral(const Booking *b, DateADT on, int64 preferred, Snapshot snapshot, Uses *u)
{
	static const Oid types[5] = {INT8OID, DATEOID, INT8OID, INT8OID, INT8OID};
	Datum		v[5] = {Int64GetDatum(b->patient), DateADTGetDatum(on), Int64GetDatum(b->provider),
	Int64GetDatum(preferred), Int64GetDatum(b->id)};
	int64		out[2];

	if (!run_plan(&referral_plan,
				  "SELECT r.id, u.booked FROM patsvc.referrals r"
				  " CROSS JOIN LATERAL (SELECT pg_catalog.count(*) AS booked FROM patsvc.appointments p"
				  "  WHERE p.referral_id OPERATOR(pg_catalog.=) r.id AND p.id OPERATOR(pg_catalog.<>) $5"
				  LIVE_BOOKING ") u"
				  " WHERE r.patient_id OPERATOR(pg_catalog.=) $1 AND r.status OPERATOR(pg_catalog.=) 'active'"
				  " AND r.valid OPERATOR(pg_catalog.@>) $2"
				  " AND (r.to_provider_id IS NULL OR r.to_provider_id OPERATOR(pg_catalog.=) $3)"
				  " AND u.booked OPERATOR(pg_catalog.<) r.visits_allowed"
				  " ORDER BY r.id OPERATOR(pg_catalog.=) $4 DESC, r.to_provider_id IS NULL,"
				  " pg_catalog.upper(r.valid), r.id LIMIT 1",
				  5, types, v, NULL, snapshot, 2, out))
		return false;
	u->referral = out[0];
	u->referral_booked = out[1];
	return true;
}

/* The authorization with a visit left (visits_scan.c: index scans, no plan), its coverage and bookings. */
static bool
choose_authorization(const Booking *b, const Requirements *req, DateADT on, int64 preferred,
					 Snapshot snapshot, Uses *u)
{
	VisitsQuery q = {b->patient, on, req->service_code, preferred, b->id};
	AuthorizationChoice c;

	if (!visits_choose_authorization(&q, snapshot, &c))
		return false;
	u->authorization = c.authorization;
	u->coverage = c.coverage;
	u->authorization_booked = c.booked;
	return true;
}

/*
 * What the booking uses, read in snapshot (no writes, no errors for what
 * is missing: u->refusal says which rule refuses, in the order the rules
 * are checked).
 */
static void
choose_uses(const Booking *b, const Requirements *req, DateADT on, const Uses *preferred,
			Snapshot snapshot, Uses *u)
{
	memset(u, 0, sizeof(*u));
	/* an authorization is used under a coverage in force: its own query checks that */
	if (req->coverage && !req->authorization && (u->coverage = coverage_in_force(b, on, snapshot)) == 0)
		u->refusal = REFUSE_COVERAGE;
	else if (req->verification && !has_verification(b, on, snapshot))
		u->refusal = REFUSE_VERIFICATION;
	else if (req->referral && !choose_referral(b, on, preferred->referral, snapshot, u))
		u->refusal = REFUSE_REFERRAL;
	else if (req->authorization && !choose_authorization(b, req, on, preferred->authorization, snapshot, u))
		u->refusal = REFUSE_AUTHORIZATION;
}

/* -1: not counted, a visit is left in any snapshot (see visits_scan.c) */
static bool
same_count(int64 a, int64 b)
{
	return a == b || a < 0 || b < 0;
}

static bool
same_choice(const Uses *a, const Uses *b)
{
	return a->refusal == b->refusal && same_uses(a, b) &&
		a->referral_booked == b->referral_booked && same_count(a->authorization_booked, b->authorization_booked);
}

/* ---- refusals -------------------------------------------------------------- */

static void
refuse_no_coverage(const Booking *b, const Requirements *req, DateADT on)
{
	ereport(ERROR,
			(errcode(ERRCODE_PATSVC_COVERAGE_REQUIRED),
			 errmsg("appointment type \"%s\" requires coverage in force on %s, and patient %lld has none",
					req->type_code, date_text(on), (long long) b->patient),
			 errhint("Record the patient's coverage for that date in patsvc.coverages (a self-pay coverage if the patient pays), or book a type that requires none.")));
}

/* Why no referral qualified (this patient's rows only). */
static char *
referral_missing_reason(const Booking *b, DateADT on, Snapshot snapshot)
{
	static const Oid types[3] = {INT8OID, DATEOID, INT8OID};
	Datum		v[3] = {Int64GetDatum(b->patient), DateADTGetDatum(on), Int64GetDatum(b->provider)};

	return run_text(&referral_why_plan,
					"SELECT CASE WHEN pg_catalog.count(*) OPERATOR(pg_catalog.>) 0"
					" THEN pg_catalog.format('All active referrals valid on that date to that provider or to a specialty (%s)"
					" used all their visits.', pg_catalog.count(*))"
					" ELSE 'There is no active referral valid on that date to that provider or to a specialty.' END"
					" FROM patsvc.referrals r WHERE r.patient_id OPERATOR(pg_catalog.=) $1"
					" AND r.status OPERATOR(pg_catalog.=) 'active' AND r.valid OPERATOR(pg_catalog.@>) $2"
					" AND (r.to_provider_id IS NULL OR r.to_provider_id OPERATOR(pg_catalog.=) $3)",
					3, types, v, snapshot);
}

/* Why no authorization qualified (this patient's rows only). */
static char *
authorization_missing_reason(const Booking *b, const Requirements *req, DateADT on, Snapshot snapshot)
{
	static const Oid types[4] = {INT8OID, DATEOID, TEXTOID, INT8OID};
	Datum		v[4] = {Int64GetDatum(b->patient), DateADTGetDatum(on), CStringGetTextDatum(req->service_code),
	Int64GetDatum(b->id)};

	return run_text(&authorization_why_plan,
					"SELECT CASE WHEN pg_catalog.count(*) OPERATOR(pg_catalog.=) 0"
					" THEN 'There is no active authorization for that service valid on that date.'"
					" ELSE pg_catalog.format('Of the active authorizations for that service and date, %s used all their visits"
					" and %s are of a payer with no coverage of the patient in force on that date.',"
					" pg_catalog.count(*) FILTER (WHERE u.booked OPERATOR(pg_catalog.>=) a.visits_approved),"
					" pg_catalog.count(*) FILTER (WHERE u.booked OPERATOR(pg_catalog.<) a.visits_approved)) END"
					" FROM patsvc.authorizations a"
					" CROSS JOIN LATERAL (SELECT pg_catalog.count(*) AS booked FROM patsvc.appointments p"
					"  WHERE p.authorization_id OPERATOR(pg_catalog.=) a.id AND p.id OPERATOR(pg_catalog.<>) $4"
					LIVE_BOOKING ") u"
					" WHERE a.patient_id OPERATOR(pg_catalog.=) $1"
					" AND a.status OPERATOR(pg_catalog.=) 'active' AND a.valid OPERATOR(pg_catalog.@>) $2"
					" AND $3 OPERATOR(pg_catalog.=) ANY (a.service_codes)",
					4, types, v, snapshot);
}

/* Raises what u->refusal says is missing (PS540 first when the patient has no coverage at all on the date). */
static void
refuse(const Booking *b, const Requirements *req, DateADT on, const Uses *u, Snapshot snapshot)
{
	if (u->refusal == REFUSE_COVERAGE ||
		((u->refusal == REFUSE_VERIFICATION || u->refusal == REFUSE_AUTHORIZATION) &&
		 coverage_in_force(b, on, snapshot) == 0))
		refuse_no_coverage(b, req, on);
	if (u->refusal == REFUSE_VERIFICATION)
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_VERIFICATION_REQUIRED),
				 errmsg("appointment type \"%s\" requires a verification of eligibility good on %s, and patient %lld has none",
						req->type_code, date_text(on), (long long) b->patient),
				 errhint("Verify the patient's eligibility for that date (a 271 response or a manual verification in patsvc.eligibility_verifications), then book again.")));
	if (u->refusal == REFUSE_REFERRAL)
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_REFERRAL_REQUIRED),
				 errmsg("appointment type \"%s\" requires a referral with a visit left on %s, and patient %lld has none for provider %lld",
						req->type_code, date_text(on), (long long) b->patient, (long long) b->provider),
				 errdetail("%s", referral_missing_reason(b, on, snapshot)),
				 errhint("Record the referral in patsvc.referrals (active, valid on that date, to this provider or to a specialty, with visits left), then book again.")));
	ereport(ERROR,
			(errcode(ERRCODE_PATSVC_AUTHORIZATION_REQUIRED),
			 errmsg("appointment type \"%s\" requires a prior authorization for service %s with a visit left on %s, and patient %lld has none",
					req->type_code, req->service_code, date_text(on), (long long) b->patient),
			 errdetail("%s", authorization_missing_reason(b, req, on, snapshot)),
			 errhint("Record the payer's prior authorization in patsvc.authorizations (active, approving service %s, valid on that date, with visits left), then book again.",
					 req->service_code)));
}

static void
raise_serialization_failure(const Booking *b)
{
	ereport(ERROR,
			(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
			 errmsg("could not serialize access due to a concurrent change of the visits of patient %lld",
					(long long) b->patient),
			 errdetail("A concurrent transaction booked, gave back or changed a referral or authorization of the patient after this one took its snapshot."),
			 errhint("Retry the transaction: it will then see the concurrent change.")));
}

/*
 * What the booking uses (the preferred referral and authorization first),
 * under the patient's lock, read in the latest state; under REPEATABLE READ
 * or SERIALIZABLE the transaction's snapshot must agree (40001 otherwise).
 * A refusal raises its SQLSTATE.  Runs inside SPI, as the owner.
 */
static void
take_visits(const Booking *b, const Requirements *req, const Uses *preferred, Uses *out)
{
	DateADT		on = service_date(b);
	Uses		seen;

	lock_patient_visits(b->patient);
	choose_uses(b, req, on, preferred, push_read_snapshot(true), out);
	if (IsolationUsesXactSnapshot())
	{
		choose_uses(b, req, on, preferred, push_read_snapshot(false), &seen);
		PopActiveSnapshot();
		if (!same_choice(out, &seen))
			raise_serialization_failure(b);
	}
	if (out->refusal != REFUSE_NONE)
		refuse(b, req, on, out, GetActiveSnapshot());
	PopActiveSnapshot();
}

/* What the replaced appointment used (a reschedule: its new visit prefers them). */
static void
used_by(int64 appointment, Uses *u)
{
	static const Oid types[1] = {INT8OID};
	Datum		v[1] = {Int64GetDatum(appointment)};
	int64		out[2] = {0, 0};

	run_plan(&used_by_plan,
			 "SELECT x.authorization_id, x.referral_id FROM patsvc.appointments x"
			 " WHERE x.id OPERATOR(pg_catalog.=) $1",
			 1, types, v, NULL, GetActiveSnapshot(), 2, out);
	u->authorization = out[0];
	u->referral = out[1];
}

/* ---- the trigger ---------------------------------------------------------- */

static const char *const appointments_only[] = {"appointments", NULL};

/* PS547: the three columns are written by this trigger alone. */
static void
refuse_written_uses(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_PATSVC_VISITS_COUNTED),
			 errmsg("coverage_id, referral_id and authorization_id of appointments are set by patsvc and cannot be written"),
			 errdetail("A booking of a type that requires them uses the coverage, referral and authorization patsvc chooses; cancelling gives the visits back."),
			 errhint("Leave these columns out: book, cancel or move appointments instead.")));
}

/* The row with the given uses written into it. */
static HeapTuple
with_uses(HeapTuple tuple, TupleDesc desc, const int *col, const Uses *u)
{
	int			cols[3] = {col[B_COVERAGE], col[B_REFERRAL], col[B_AUTHORIZATION]};
	Datum		values[3] = {Int64GetDatum(u->coverage), Int64GetDatum(u->referral), Int64GetDatum(u->authorization)};
	bool		nulls[3] = {u->coverage == 0, u->referral == 0, u->authorization == 0};

	return heap_modify_tuple_by_cols(tuple, desc, 3, cols, values, nulls);
}

/*
 * An INSERT or UPDATE: what the row's new state uses, given its old one
 * (NULL for an INSERT); false when it keeps what it names.  Runs inside SPI,
 * as the owner.
 */
static bool
apply_rules(const Booking *n, const Booking *o, const Requirements *req, Uses *out)
{
	Uses		preferred = {0};

	if (o != NULL && status_gives_back(n->status, req))
	{
		if (!uses_visits(o))
			return false;
		lock_patient_visits(o->patient);
		/* cancelled rows keep what they used (the record, and a reschedule's preference) */
		if (status_cancelled(n->status))
			return false;
		*out = o->uses;
		out->referral = out->authorization = 0;
		return true;
	}
	if (!status_books(n->status) || (o != NULL && status_books(o->status) && !moved(n, o)))
		return false;
	if (o != NULL)
	{
		preferred = o->uses;
		if (uses_visits(o))
			lock_patient_visits(o->patient);
	}
	else if (n->replaces != 0)
		used_by(n->replaces, &preferred);
	if (req->any)
		take_visits(n, req, &preferred, out);
	else
		memset(out, 0, sizeof(*out));
	return true;
}

/* BEFORE DELETE: a deleted booking gives its visits back (under the patient's lock). */
static void
deleting(HeapTuple row, TupleDesc desc, const int *col)
{
	Booking		o;

	read_booking(row, desc, col, &o);
	if (uses_visits(&o))
		lock_patient_visits(o.patient);
}

PG_FUNCTION_INFO_V1(patsvc_appointments_visits);
Datum
patsvc_appointments_visits(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	HeapTuple	row;
	Oid			owner;
	Booking		n,
				o;
	Requirements req;
	Uses		uses;
	PatsvcSavedUser saved;
	const int  *col;
	bool		changed;

	patsvc_trigger_bound(fcinfo, "appointments_visits", appointments_only);
	desc = td->tg_relation->rd_att;
	col = patsvc_columns(&booking_columns, td->tg_relation);
	if (TRIGGER_FIRED_BY_DELETE(td->tg_event))
	{
		deleting(td->tg_trigtuple, desc, col);
		return PointerGetDatum(td->tg_trigtuple);
	}
	row = TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple;
	read_booking(row, desc, col, &n);
	if (TRIGGER_FIRED_BY_INSERT(td->tg_event) && sched_insert_id_taken(n.id))
		return PointerGetDatum(row);	/* it will not be inserted: it uses nothing */
	if (TRIGGER_FIRED_BY_UPDATE(td->tg_event))
		read_booking(td->tg_trigtuple, desc, col, &o);
	if (TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? !same_uses(&n.uses, &o.uses)
		: (n.uses.coverage != 0 || n.uses.referral != 0 || n.uses.authorization != 0))
		refuse_written_uses();
	owner = td->tg_relation->rd_rel->relowner;
	type_requirements(n.type_id, owner, &req);
	if (TRIGGER_FIRED_BY_INSERT(td->tg_event) && (!req.any || !status_books(n.status)))
		return PointerGetDatum(row);
	patsvc_become_owner(owner, &saved);
	patsvc_spi_connect();
	changed = apply_rules(&n, TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? &o : NULL, &req, &uses);
	patsvc_spi_finish();
	patsvc_restore_user(&saved);
	return PointerGetDatum(changed ? with_uses(row, desc, col, &uses) : row);
}

/* ---- the patient's authorizations, referrals and coverages ----------------- */

static const char *const guarded_tables[] = {"referrals", "authorizations", "coverages", NULL};

/*
 * Trigger visits_lock (BEFORE UPDATE OR DELETE on referrals,
 * authorizations and coverages): a change or delete of a row that bookings
 * may use waits for the bookings of its patient in flight (and they for it):
 * the patient's lock, of the old and the new patient.
 */
PG_FUNCTION_INFO_V1(patsvc_visits_lock);
Datum
patsvc_visits_lock(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	int			attnum;
	int64		old_patient;

	patsvc_trigger_bound(fcinfo, "visits_lock", guarded_tables);
	desc = td->tg_relation->rd_att;
	attnum = SPI_fnumber(desc, "patient_id");
	old_patient = int64_column(td->tg_trigtuple, desc, attnum);
	lock_patient_visits(old_patient);
	if (TRIGGER_FIRED_BY_UPDATE(td->tg_event))
	{
		if (int64_column(td->tg_newtuple, desc, attnum) != old_patient)
			lock_patient_visits(int64_column(td->tg_newtuple, desc, attnum));
		return PointerGetDatum(td->tg_newtuple);
	}
	return PointerGetDatum(td->tg_trigtuple);
}

/* The live bookings of an authorization or referral, in snapshot (inside SPI, as the owner). */
static int64
count_booked(bool authorization, int64 id, Snapshot snapshot)
{
	static SPIPlanPtr authorization_count_plan, referral_count_plan;
	static const Oid types[1] = {INT8OID};
	Datum		v[1] = {Int64GetDatum(id)};
	int64		n = 0;

	if (authorization)
		run_plan(&authorization_count_plan,
				 "SELECT pg_catalog.count(*) FROM patsvc.appointments p"
				 " WHERE p.authorization_id OPERATOR(pg_catalog.=) $1" LIVE_BOOKING,
				 1, types, v, NULL, snapshot, 1, &n);
	else
		run_plan(&referral_count_plan,
				 "SELECT pg_catalog.count(*) FROM patsvc.appointments p"
				 " WHERE p.referral_id OPERATOR(pg_catalog.=) $1" LIVE_BOOKING,
				 1, types, v, NULL, snapshot, 1, &n);
	return n;
}

/*
 * patsvc.visits_booked(what text, id bigint, patient bigint): the visits
 * booked against an authorization or referral of the patient, exact: under
 * the patient's lock, in the latest state (40001 under REPEATABLE READ or
 * SERIALIZABLE when the transaction's snapshot would count otherwise).  For
 * the checks that an approval never falls below what is booked (PS545).
 */
PG_FUNCTION_INFO_V1(patsvc_visits_booked);
Datum
patsvc_visits_booked(PG_FUNCTION_ARGS)
{
	char	   *what = text_to_cstring(PG_GETARG_TEXT_PP(0));
	int64		id = PG_GETARG_INT64(1);
	bool		authorization = strcmp(what, "authorization") == 0;
	PatsvcSavedUser saved;
	int64		booked;

	if (!authorization && strcmp(what, "referral") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot count the visits booked against \"%s\"", what),
				 errhint("Give 'authorization' or 'referral'.")));
	lock_patient_visits(PG_GETARG_INT64(2));
	patsvc_become_owner(patsvc_table_owner("appointments"), &saved);
	patsvc_spi_connect();
	booked = count_booked(authorization, id, push_read_snapshot(true));
	if (IsolationUsesXactSnapshot() && count_booked(authorization, id, push_read_snapshot(false)) != booked)
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("could not serialize access due to a concurrent booking of %s %lld", what, (long long) id),
				 errhint("Retry the transaction: it will then see the concurrent booking.")));
	if (IsolationUsesXactSnapshot())
		PopActiveSnapshot();
	PopActiveSnapshot();
	patsvc_spi_finish();
	patsvc_restore_user(&saved);
	PG_RETURN_INT64(booked);
}
