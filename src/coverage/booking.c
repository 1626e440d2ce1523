/*
 * booking.c -- booking rules by appointment type (issue 13), on every write
 * of patsvc.appointments: trigger appointments_coverage (AFTER INSERT OR
 * UPDATE OF status, starts_at, type_id, provider_id; BEFORE DELETE).
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
 * visit left (PS543).  It uses one visit of the referral and authorization
 * and records them in appointment_authorizations; cancelling, entered in
 * error, a no-show of a type that says so, deleting or moving gives them
 * back (a move takes them again, preferring the same ones).  A new
 * appointment that replaces another (reschedule) prefers the ones the old one
 * used.  The date of service is the start's local date in the zone of the
 * appointment's location.
 *
 * Race-free: a visit is taken by SELECT ... FOR UPDATE of the chosen row and
 * an UPDATE of its counter in one statement (READ COMMITTED re-checks the
 * locked row's counter and moves on to the next candidate; REPEATABLE READ
 * and SERIALIZABLE raise 40001 when another transaction changed the row after
 * the snapshot: retry the whole transaction).  Given back the same way.  The
 * queries run as the owner of patsvc.appointments (callers need no rights on
 * authorizations or referrals).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "core/core.h"
#include "core/rowcache.h"

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
} Booking;

/* the appointment columns the trigger reads, numbered once (core: patsvc_columns), not per row */
enum
{
	B_ID, B_PATIENT, B_PROVIDER, B_TYPE, B_LOCATION, B_REPLACES, B_STARTS, B_STATUS, B_COUNT
};
static const char *const booking_names[B_COUNT] = {
	"id", "patient_id", "provider_id", "type_id", "location_id", "replaces", "starts_at", "status"
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
}

/* Does an appointment in this status book a visit (and so need what its type requires)? */
static bool
status_books(const char *status)
{
	return strcmp(status, "pending") == 0 || strcmp(status, "booked") == 0 ||
		strcmp(status, "arrived") == 0 || strcmp(status, "checked-in") == 0 ||
		strcmp(status, "fulfilled") == 0;
}

/* Does moving to this status give the visits back? */
static bool
status_gives_back(const char *status, const Requirements *req)
{
	return strcmp(status, "cancelled") == 0 || strcmp(status, "entered-in-error") == 0 ||
		(strcmp(status, "noshow") == 0 && req->noshow_gives_back);
}

static bool
moved(const Booking *n, const Booking *o)
{
	return n->starts_at != o->starts_at || n->type_id != o->type_id || n->provider != o->provider;
}

/* ---- queries (kept plans, run inside SPI as the owner) ------------------- */

static SPIPlanPtr coverage_plan, verification_plan, referral_plan, authorization_plan,
			referral_why_plan, authorization_why_plan, record_plan, release_plan, forget_plan, used_by_plan;

/* Runs a kept plan; the first column of its first row (NULL: no row or a NULL). */
static bool
run_plan(SPIPlanPtr *slot, const char *sql, int nargs, const Oid *types, Datum *values, const char *nulls,
		 int expected, Datum *first, Datum *second)
{
	int			rc;
	bool		isnull = true;

	rc = SPI_execute_plan(patsvc_kept_plan(slot, sql, nargs, types), values, nulls, false, 0);
	if (rc != expected)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 0 || SPI_tuptable == NULL)
		return false;
	if (first)
		*first = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (second && !isnull)
	{
		bool		null2;

		*second = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &null2);
		if (null2)
			*second = Int64GetDatum(0);
	}
	return !isnull;
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

/*
 * The primary coverage of the patient in force on the date, locked FOR KEY
 * SHARE (the record of the booking references it); PS540 when there is none.
 * Read as coverage_on() reads coverages, inline (see take_authorization).
 */
static int64
coverage_in_force(const Booking *b, const Requirements *req, DateADT on)
{
	static const Oid types[2] = {INT8OID, DATEOID};
	Datum		v[2] = {Int64GetDatum(b->patient), DateADTGetDatum(on)};
	Datum		id;

	if (!run_plan(&coverage_plan,
				  "SELECT c.id FROM patsvc.coverages c WHERE c.patient_id OPERATOR(pg_catalog.=) $1"
				  " AND c.valid OPERATOR(pg_catalog.@>) $2 ORDER BY c.priority, c.id LIMIT 1 FOR KEY SHARE OF c",
				  2, types, v, NULL, SPI_OK_SELECT, &id, NULL))
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_COVERAGE_REQUIRED),
				 errmsg("appointment type \"%s\" requires coverage in force on %s, and patient %lld has none",
						req->type_code, date_text(on), (long long) b->patient),
				 errhint("Record the patient's coverage for that date in patsvc.coverages (a self-pay coverage if the patient pays), or book a type that requires none.")));
	return DatumGetInt64(id);
}

/* Is a verification good on the date (eligibility_on, active)? */
static bool
has_verification(const Booking *b, DateADT on)
{
	static const Oid types[2] = {INT8OID, DATEOID};
	Datum		v[2] = {Int64GetDatum(b->patient), DateADTGetDatum(on)};
	Datum		found;

	return run_plan(&verification_plan,
					"SELECT true FROM patsvc.eligibility_on($1, $2) e WHERE e.active LIMIT 1",
					2, types, v, NULL, SPI_OK_SELECT, &found, NULL);
}

/* PS541 (PS540 first when the patient has no coverage at all on the date). */
static void
refuse_unverified(const Booking *b, const Requirements *req, DateADT on)
{
	(void) coverage_in_force(b, req, on);
	ereport(ERROR,
			(errcode(ERRCODE_PATSVC_VERIFICATION_REQUIRED),
			 errmsg("appointment type \"%s\" requires a verification of eligibility good on %s, and patient %lld has none",
					req->type_code, date_text(on), (long long) b->patient),
			 errhint("Verify the patient's eligibility for that date (a 271 response or a manual verification in patsvc.eligibility_verifications), then book again.")));
}

/* Why no referral qualified (this patient's rows only). */
static char *
referral_missing_reason(const Booking *b, DateADT on)
{
	static const Oid types[3] = {INT8OID, DATEOID, INT8OID};
	Datum		v[3] = {Int64GetDatum(b->patient), DateADTGetDatum(on), Int64GetDatum(b->provider)};
	Datum		why;

	run_plan(&referral_why_plan,
			 "SELECT CASE WHEN pg_catalog.count(*) OPERATOR(pg_catalog.>) 0"
			 " THEN pg_catalog.format('All active referrals valid on that date to that provider or to a specialty (%s)"
			 " used all their visits.', pg_catalog.count(*))"
			 " ELSE 'There is no active referral valid on that date to that provider or to a specialty.' END"
			 " FROM patsvc.referrals r WHERE r.patient_id OPERATOR(pg_catalog.=) $1"
			 " AND r.status OPERATOR(pg_catalog.=) 'active' AND r.valid OPERATOR(pg_catalog.@>) $2"
			 " AND (r.to_provider_id IS NULL OR r.to_provider_id OPERATOR(pg_catalog.=) $3)",
			 3, types, v, NULL, SPI_OK_SELECT, &why, NULL);
	return TextDatumGetCString(why);
}

/* Takes a visit of a referral (the preferred one first); PS542 when none qualifies. */
static int64
take_referral(const Booking *b, const Requirements *req, DateADT on, int64 preferred)
{
	static const Oid types[4] = {INT8OID, DATEOID, INT8OID, INT8OID};
	Datum		v[4] = {Int64GetDatum(b->patient), DateADTGetDatum(on), Int64GetDatum(b->provider),
	Int64GetDatum(preferred)};
	Datum		id;

	if (!run_plan(&referral_plan,
				  "WITH pick AS (SELECT r.id FROM patsvc.referrals r"
				  " WHERE r.patient_id OPERATOR(pg_catalog.=) $1 AND r.status OPERATOR(pg_catalog.=) 'active'"
				  " AND r.valid OPERATOR(pg_catalog.@>) $2"
				  " AND (r.to_provider_id IS NULL OR r.to_provider_id OPERATOR(pg_catalog.=) $3)"
				  " AND r.visits_used OPERATOR(pg_catalog.<) r.visits_allowed"
				  " ORDER BY r.id OPERATOR(pg_catalog.=) $4 DESC, r.to_provider_id IS NULL,"
				  " pg_catalog.upper(r.valid), r.id LIMIT 1 FOR UPDATE OF r)"
				  " UPDATE patsvc.referrals r SET visits_used = r.visits_used OPERATOR(pg_catalog.+) 1"
				  " FROM pick WHERE r.id OPERATOR(pg_catalog.=) pick.id RETURNING r.id",
				  4, types, v, NULL, SPI_OK_UPDATE_RETURNING, &id, NULL))
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_REFERRAL_REQUIRED),
				 errmsg("appointment type \"%s\" requires a referral with a visit left on %s, and patient %lld has none for provider %lld",
						req->type_code, date_text(on), (long long) b->patient, (long long) b->provider),
				 errdetail("%s", referral_missing_reason(b, on)),
				 errhint("Record the referral in patsvc.referrals (active, valid on that date, to this provider or to a specialty, with visits left), then book again.")));
	return DatumGetInt64(id);
}

/* Why no authorization qualified (this patient's rows only). */
static char *
authorization_missing_reason(const Booking *b, const Requirements *req, DateADT on)
{
	static const Oid types[3] = {INT8OID, DATEOID, TEXTOID};
	Datum		v[3] = {Int64GetDatum(b->patient), DateADTGetDatum(on), CStringGetTextDatum(req->service_code)};
	Datum		why;

	run_plan(&authorization_why_plan,
			 "SELECT CASE WHEN pg_catalog.count(*) OPERATOR(pg_catalog.=) 0"
			 " THEN 'There is no active authorization for that service valid on that date.'"
			 " ELSE pg_catalog.format('Of the active authorizations for that service and date, %s used all their visits"
			 " and %s are of a payer with no coverage of the patient in force on that date.',"
			 " pg_catalog.count(*) FILTER (WHERE a.visits_used OPERATOR(pg_catalog.>=) a.visits_approved),"
			 " pg_catalog.count(*) FILTER (WHERE a.visits_used OPERATOR(pg_catalog.<) a.visits_approved)) END"
			 " FROM patsvc.authorizations a WHERE a.patient_id OPERATOR(pg_catalog.=) $1"
			 " AND a.status OPERATOR(pg_catalog.=) 'active' AND a.valid OPERATOR(pg_catalog.@>) $2"
			 " AND $3 OPERATOR(pg_catalog.=) ANY (a.service_codes)",
			 3, types, v, NULL, SPI_OK_SELECT, &why, NULL);
	return TextDatumGetCString(why);
}

/*
 * Takes a visit of an authorization and records what the booking uses,
 * in one statement: the authorization (the preferred one first, then the
 * one whose dates end first), the referral (0: none) and the coverage of the
 * authorization's payer in force on the date.  The coverages in force are
 * read as coverage_on() reads them (valid @> date, by priority), inline:
 * coverage_on() is not inlined (it sets search_path), and calling it per
 * candidate cost more than the rest of the booking.  Without a preferred one
 * the candidates come in index order (authorizations_patient,
 * coverages_patient_priority): no sort.  The chosen row is locked FOR UPDATE
 * (READ COMMITTED re-checks it and moves on to the next candidate), the
 * coverage FOR KEY SHARE.  (The counter's UPDATE finds the row by id, not
 * by the ctid the pick read: after READ COMMITTED waited for another
 * writer, that ctid is the old version's, and the UPDATE would skip it;
 * isolation spec coverage_auth_rc.)
 */
#define AUTHORIZATION_PICK \
	"WITH pick AS (SELECT a.id, c.id AS coverage_id FROM patsvc.authorizations a" \
	" CROSS JOIN LATERAL (SELECT c.id FROM patsvc.coverages c" \
	"  WHERE c.patient_id OPERATOR(pg_catalog.=) $1 AND c.valid OPERATOR(pg_catalog.@>) $2" \
	"  AND c.payer_id OPERATOR(pg_catalog.=) a.payer_id" \
	"  AND (a.coverage_id IS NULL OR c.id OPERATOR(pg_catalog.=) a.coverage_id)" \
	"  ORDER BY c.priority, c.id LIMIT 1 FOR KEY SHARE OF c) c" \
	" WHERE a.patient_id OPERATOR(pg_catalog.=) $1 AND a.status OPERATOR(pg_catalog.=) 'active'" \
	" AND a.valid OPERATOR(pg_catalog.@>) $2 AND $3 OPERATOR(pg_catalog.=) ANY (a.service_codes)" \
	" AND a.visits_used OPERATOR(pg_catalog.<) a.visits_approved"
#define AUTHORIZATION_USE \
	" LIMIT 1 FOR UPDATE OF a)," \
	" used AS (UPDATE patsvc.authorizations a SET visits_used = a.visits_used OPERATOR(pg_catalog.+) 1" \
	"  FROM pick WHERE a.id OPERATOR(pg_catalog.=) pick.id RETURNING a.id, pick.coverage_id)," \
	" recorded AS (INSERT INTO patsvc.appointment_authorizations" \
	"  (appointment_id, authorization_id, referral_id, coverage_id)" \
	"  SELECT $5, used.id, $6, used.coverage_id FROM used RETURNING authorization_id)" \
	" SELECT recorded.authorization_id FROM recorded"

static SPIPlanPtr authorization_preferred_plan;

/* The authorization whose visit the booking took (0: none qualifies, nothing is recorded). */
static int64
take_authorization(const Booking *b, const Requirements *req, DateADT on, int64 preferred, int64 referral)
{
	static const Oid types[6] = {INT8OID, DATEOID, TEXTOID, INT8OID, INT8OID, INT8OID};
	Datum		v[6] = {Int64GetDatum(b->patient), DateADTGetDatum(on), CStringGetTextDatum(req->service_code),
	Int64GetDatum(preferred), Int64GetDatum(b->id), Int64GetDatum(referral)};
	char		nulls[7] = {' ', ' ', ' ', ' ', ' ', referral ? ' ' : 'n', '\0'};
	Datum		id;
	bool		taken;

	if (preferred == 0)
		taken = run_plan(&authorization_plan,
						 AUTHORIZATION_PICK " ORDER BY pg_catalog.upper(a.valid), a.id" AUTHORIZATION_USE,
						 6, types, v, nulls, SPI_OK_SELECT, &id, NULL);
	else
		taken = run_plan(&authorization_preferred_plan,
						 AUTHORIZATION_PICK " ORDER BY a.id OPERATOR(pg_catalog.=) $4 DESC, pg_catalog.upper(a.valid), a.id"
						 AUTHORIZATION_USE,
						 6, types, v, nulls, SPI_OK_SELECT, &id, NULL);
	return taken ? DatumGetInt64(id) : 0;
}

/* PS543 (PS540 first when the patient has no coverage at all on the date). */
static void
refuse_unauthorized(const Booking *b, const Requirements *req, DateADT on)
{
	(void) coverage_in_force(b, req, on);
	ereport(ERROR,
			(errcode(ERRCODE_PATSVC_AUTHORIZATION_REQUIRED),
			 errmsg("appointment type \"%s\" requires a prior authorization for service %s with a visit left on %s, and patient %lld has none",
					req->type_code, req->service_code, date_text(on), (long long) b->patient),
			 errdetail("%s", authorization_missing_reason(b, req, on)),
			 errhint("Record the payer's prior authorization in patsvc.authorizations (active, approving service %s, valid on that date, with visits left), then book again.",
					 req->service_code)));
}

/* Records what a booking without authorization uses. */
static void
record_use(int64 appointment, int64 referral, int64 coverage)
{
	static const Oid types[3] = {INT8OID, INT8OID, INT8OID};
	Datum		v[3] = {Int64GetDatum(appointment), Int64GetDatum(referral), Int64GetDatum(coverage)};
	char		nulls[4] = {' ', referral ? ' ' : 'n', coverage ? ' ' : 'n', '\0'};

	run_plan(&record_plan,
			 "INSERT INTO patsvc.appointment_authorizations"
			 " (appointment_id, authorization_id, referral_id, coverage_id) VALUES ($1, NULL, $2, $3)",
			 3, types, v, nulls, SPI_OK_INSERT, NULL, NULL);
}

/*
 * Gives back the visits an appointment uses (if it uses any); sets
 * *authorization and *referral to what it used (0: none), so that a move
 * can prefer them.
 */
static void
give_back(int64 appointment, int64 *authorization, int64 *referral)
{
	static const Oid types[1] = {INT8OID};
	Datum		v[1] = {Int64GetDatum(appointment)};
	Datum		a = Int64GetDatum(0),
				r = Int64GetDatum(0);

	run_plan(&release_plan,
			 "WITH x AS (UPDATE patsvc.appointment_authorizations x SET returned_at = pg_catalog.now()"
			 "  WHERE x.appointment_id OPERATOR(pg_catalog.=) $1 AND x.returned_at IS NULL"
			 "  RETURNING x.authorization_id, x.referral_id),"
			 " a AS (UPDATE patsvc.authorizations a SET visits_used = a.visits_used OPERATOR(pg_catalog.-) 1"
			 "  FROM x WHERE a.id OPERATOR(pg_catalog.=) x.authorization_id RETURNING a.id),"
			 " r AS (UPDATE patsvc.referrals r SET visits_used = r.visits_used OPERATOR(pg_catalog.-) 1"
			 "  FROM x WHERE r.id OPERATOR(pg_catalog.=) x.referral_id RETURNING r.id)"
			 " SELECT COALESCE(x.authorization_id, 0), x.referral_id FROM x",
			 1, types, v, NULL, SPI_OK_SELECT, &a, &r);
	if (authorization)
		*authorization = DatumGetInt64(a);
	if (referral)
		*referral = DatumGetInt64(r);
}

/* What the replaced appointment used (a reschedule: its new visit prefers them). */
static void
used_by(int64 appointment, int64 *authorization, int64 *referral)
{
	static const Oid types[1] = {INT8OID};
	Datum		v[1] = {Int64GetDatum(appointment)};
	Datum		a = Int64GetDatum(0),
				r = Int64GetDatum(0);

	run_plan(&used_by_plan,
			 "SELECT COALESCE(x.authorization_id, 0), x.referral_id FROM patsvc.appointment_authorizations x"
			 " WHERE x.appointment_id OPERATOR(pg_catalog.=) $1",
			 1, types, v, NULL, SPI_OK_SELECT, &a, &r);
	*authorization = DatumGetInt64(a);
	*referral = DatumGetInt64(r);
}

static void
forget(int64 appointment)
{
	static const Oid types[1] = {INT8OID};
	Datum		v[1] = {Int64GetDatum(appointment)};

	run_plan(&forget_plan,
			 "DELETE FROM patsvc.appointment_authorizations x WHERE x.appointment_id OPERATOR(pg_catalog.=) $1",
			 1, types, v, NULL, SPI_OK_DELETE, NULL, NULL);
}

/*
 * Checks what the booking's type requires and takes its visits, preferring
 * the given authorization and referral (0: none); records what it uses (the
 * rows it references are locked: the appointment is being written, the
 * referral and authorization FOR UPDATE, the coverage FOR KEY SHARE, so the
 * record needs no foreign-key check of its own, see 54-booking-rules.sql).
 */
static void
take_visits(const Booking *b, const Requirements *req, int64 pref_auth, int64 pref_ref)
{
	DateADT		on = service_date(b);
	int64		coverage = 0,
				referral = 0;

	/* an authorization is used under a coverage in force: its own query checks that */
	if (req->coverage && !req->authorization)
		coverage = coverage_in_force(b, req, on);
	if (req->verification && !has_verification(b, on))
		refuse_unverified(b, req, on);
	if (req->referral)
		referral = take_referral(b, req, on, pref_ref);
	if (!req->authorization)
		record_use(b->id, referral, coverage);
	else if (take_authorization(b, req, on, pref_auth, referral) == 0)
		refuse_unauthorized(b, req, on);
}

/* ---- the counters: written by this trigger alone -------------------------- */

/*
 * true while this trigger writes visits_used; reset when it is done, and by
 * the end of any (sub)transaction, so an error caught by an exception block
 * cannot leave it set
 */
static bool counting = false;

static void
counting_reset(XactEvent event, void *arg)
{
	counting = false;
}

static void
counting_reset_sub(SubXactEvent event, SubTransactionId sub, SubTransactionId parent, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		counting = false;
}

static void
start_counting(void)
{
	static bool registered = false;

	if (!registered)
	{
		RegisterXactCallback(counting_reset, NULL);
		RegisterSubXactCallback(counting_reset_sub, NULL);
		registered = true;
	}
	counting = true;
}

static const char *const counted_tables[] = {"referrals", "authorizations", NULL};

/*
 * Trigger visits_counted (BEFORE INSERT OR UPDATE OF visits_used on
 * referrals and authorizations): the counter of visits used is written by
 * appointments_coverage alone (PS547): a new row starts at 0, and nobody
 * else changes it.
 */
PG_FUNCTION_INFO_V1(patsvc_visits_counted);
Datum
patsvc_visits_counted(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	HeapTuple	row;
	TupleDesc	desc;
	int			attnum;
	int			used;
	bool		isnull;

	patsvc_trigger_bound(fcinfo, "visits_counted", counted_tables);
	row = TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple;
	if (counting)
		return PointerGetDatum(row);	/* patsvc's own counting: nothing to look at */
	desc = td->tg_relation->rd_att;
	attnum = SPI_fnumber(desc, "visits_used");
	used = DatumGetInt32(heap_getattr(row, attnum, desc, &isnull));
	if (TRIGGER_FIRED_BY_UPDATE(td->tg_event)
		? used != DatumGetInt32(heap_getattr(td->tg_trigtuple, attnum, desc, &isnull))
		: (!isnull && used != 0))
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_VISITS_COUNTED),
				 errmsg("visits_used of %s is counted by patsvc and cannot be written",
						RelationGetRelationName(td->tg_relation)),
				 errdetail("Each booking of a type that requires it uses a visit; cancelling gives it back."),
				 errhint("Leave visits_used out: book, cancel or move appointments instead.")));
	return PointerGetDatum(row);
}

/* ---- the trigger ---------------------------------------------------------- */

static const char *const appointments_only[] = {"appointments", NULL};

/* An INSERT or UPDATE: what the row's new state needs, given its old one (NULL for an INSERT). */
static void
apply_rules(const Booking *n, const Booking *o, const Requirements *req)
{
	int64		pref_auth = 0,
				pref_ref = 0;

	if (o != NULL && status_gives_back(n->status, req))
	{
		give_back(n->id, NULL, NULL);
		return;
	}
	if (!status_books(n->status) || (o != NULL && status_books(o->status) && !moved(n, o)))
		return;
	if (o != NULL)
	{
		/* a move: what it used goes back, its record is written anew below */
		give_back(n->id, &pref_auth, &pref_ref);
		forget(n->id);
	}
	else if (n->replaces != 0)
		used_by(n->replaces, &pref_auth, &pref_ref);
	if (req->any)
		take_visits(n, req, pref_auth, pref_ref);
}

PG_FUNCTION_INFO_V1(patsvc_appointments_coverage);
Datum
patsvc_appointments_coverage(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	Oid			owner;
	Booking		n,
				o;
	Requirements req;
	PatsvcSavedUser saved;
	const int  *col;

	patsvc_trigger_bound(fcinfo, "appointments_coverage", appointments_only);
	desc = td->tg_relation->rd_att;
	col = patsvc_columns(&booking_columns, td->tg_relation);
	owner = td->tg_relation->rd_rel->relowner;
	if (TRIGGER_FIRED_BY_DELETE(td->tg_event))
	{
		patsvc_become_owner(owner, &saved);
		patsvc_spi_connect();
		start_counting();
		give_back(int64_column(td->tg_trigtuple, desc, col[B_ID]), NULL, NULL);
		forget(int64_column(td->tg_trigtuple, desc, col[B_ID]));
		counting = false;
		patsvc_spi_finish();
		patsvc_restore_user(&saved);
		return PointerGetDatum(td->tg_trigtuple);
	}
	read_booking(TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple, desc, col, &n);
	type_requirements(n.type_id, owner, &req);
	if (TRIGGER_FIRED_BY_INSERT(td->tg_event) && (!req.any || !status_books(n.status)))
		return PointerGetDatum(NULL);
	if (TRIGGER_FIRED_BY_UPDATE(td->tg_event))
		read_booking(td->tg_trigtuple, desc, col, &o);
	patsvc_become_owner(owner, &saved);
	patsvc_spi_connect();
	start_counting();
	apply_rules(&n, TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? &o : NULL, &req);
	counting = false;
	patsvc_spi_finish();
	patsvc_restore_user(&saved);
	return PointerGetDatum(NULL);
}
