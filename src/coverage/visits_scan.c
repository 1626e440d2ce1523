/*
 * visits_scan.c -- the authorization a booking uses, read by index scans in
 * C (for trigger appointments_visits, booking.c).
 *
 * The same choice as an SQL statement would make (README, "Booking
 * requirements"): the patient's authorizations in the order of index
 * authorizations_patient (last date of service, then id), the first that is
 * active, valid on the date, approves the service code, is of a payer with a
 * coverage of the patient in force on the date (the one it names, if any;
 * the coverage of lowest priority, then id: index coverages_patient_priority)
 * and has a visit left (its bookings counted through the partial index
 * appointments_authorization: appointments naming it that are not cancelled
 * or entered in error, the appointment being written excepted; when the
 * index holds fewer entries for it than it approves, a visit is left without
 * reading a booking); a preferred
 * authorization first when it qualifies.  Reading the indexes directly
 * spares each booking the set-up and tear-down of an executor plan (and the
 * memory that glibc handed back to the kernel after each one).  Everything is
 * read in the snapshot the caller gives; the caller holds the patient's
 * visits lock.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/rangetypes.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/typcache.h"

#include "core/core.h"
#include "coverage/coverage.h"

/* the columns read, numbered once per relcache generation (core: patsvc_columns) */
enum
{
	A_ID, A_PAYER, A_COVERAGE, A_CODES, A_APPROVED, A_VALID, A_STATUS, A_COUNT
};
static const char *const authorization_names[A_COUNT] = {
	"id", "payer_id", "coverage_id", "service_codes", "visits_approved", "valid", "status"
};
static PatsvcColumns authorization_columns = {authorization_names, A_COUNT};

enum
{
	C_ID, C_PAYER, C_VALID, C_COUNT
};
static const char *const coverage_names[C_COUNT] = {"id", "payer_id", "valid"};
static PatsvcColumns coverage_columns = {coverage_names, C_COUNT};

enum
{
	P_ID, P_STATUS, P_COUNT
};
static const char *const appointment_names[P_COUNT] = {"id", "status"};
static PatsvcColumns appointment_columns = {appointment_names, P_COUNT};


static Oid
index_oid(const char *name)
{
	Oid			oid = patsvc_relid(name);

	if (!OidIsValid(oid))
		elog(ERROR, "patsvc: index %s.%s is missing", PATSVC_SCHEMA, name);
	return oid;
}

static int64
int64_or_zero(PatsvcKeyScan *ks, int which)
{
	bool		isnull;
	Datum		d = patsvc_key_scan_column(ks, which, &isnull);

	return isnull ? 0 : DatumGetInt64(d);
}

static bool
text_is(Datum d, const char *s)
{
	text	   *t = DatumGetTextPP(d);
	size_t		len = strlen(s);

	return VARSIZE_ANY_EXHDR(t) == len && memcmp(VARDATA_ANY(t), s, len) == 0;
}

static bool
valid_on(PatsvcKeyScan *ks, int which, DateADT on)
{
	static TypeCacheEntry *daterange = NULL;
	bool		isnull;
	Datum		d = patsvc_key_scan_column(ks, which, &isnull);

	if (isnull)
		return false;
	if (daterange == NULL)
		daterange = lookup_type_cache(DATERANGEOID, TYPECACHE_RANGE_INFO);
	return range_contains_elem_internal(daterange, DatumGetRangeTypeP(d), DateADTGetDatum(on));
}

static bool
approves(PatsvcKeyScan *ks, const char *service_code)
{
	bool		isnull;
	Datum		d = patsvc_key_scan_column(ks, A_CODES, &isnull);
	Datum	   *codes;
	bool	   *nulls;
	int			n;

	if (isnull)
		return false;
	deconstruct_array(DatumGetArrayTypeP(d), TEXTOID, -1, false, TYPALIGN_INT, &codes, &nulls, &n);
	for (int i = 0; i < n; i++)
		if (!nulls[i] && text_is(codes[i], service_code))
			return true;
	return false;
}

/* The coverage of the patient in force on the date, of the payer (the one named, if any); 0: none. */
static int64
coverage_for(int64 patient, DateADT on, int64 payer, int64 named, Snapshot snapshot)
{
	PatsvcKeyScan ks;
	int64		found = 0;

	patsvc_key_scan_begin(&ks, "coverages", "coverages_patient_priority", &coverage_columns, patient, snapshot);
	while (found == 0 && patsvc_key_scan_next(&ks))
		if (int64_or_zero(&ks, C_PAYER) == payer && (named == 0 || int64_or_zero(&ks, C_ID) == named)
			&& valid_on(&ks, C_VALID, on))
			found = int64_or_zero(&ks, C_ID);
	patsvc_key_scan_end(&ks);
	return found;
}

/* The appointments using a visit of the authorization, but self (up to limit: enough to know it is full). */
static int64
bookings_of(int64 authorization, int64 self, int64 limit, Snapshot snapshot)
{
	PatsvcKeyScan ks;
	int64		n = 0;
	bool		isnull;

	patsvc_key_scan_begin(&ks, "appointments", "appointments_authorization", &appointment_columns, authorization,
				   snapshot);
	while (n < limit && patsvc_key_scan_next(&ks))
	{
		Datum		status = patsvc_key_scan_column(&ks, P_STATUS, &isnull);

		if (int64_or_zero(&ks, P_ID) != self && !isnull &&
			!text_is(status, "cancelled") && !text_is(status, "entered-in-error"))
			n++;
	}
	patsvc_key_scan_end(&ks);
	return n;
}

/*
 * At least how many appointments name the authorization: its entries in
 * index appointments_authorization, counted up to limit without visiting a
 * row.  Every live booking has an entry, so do older versions of a booking,
 * cancelled and rolled-back ones: fewer entries than visits approved means
 * a visit is left, whatever the snapshot, and the bookings need not be read
 * (an authorization far from used up costs one index page, not a row per
 * booking).
 */
static int64
entries_of(int64 authorization, int64 limit)
{
	Relation	heap = table_open(patsvc_relid("appointments"), AccessShareLock);
	Relation	index = index_open(index_oid("appointments_authorization"), AccessShareLock);
	IndexScanDesc scan = index_beginscan(heap, index, SnapshotAny, 1, 0);
	ScanKeyData skey;
	int64		n = 0;

	ScanKeyInit(&skey, 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(authorization));
	index_rescan(scan, &skey, 1, NULL, 0);
	while (n < limit && index_getnext_tid(scan, ForwardScanDirection) != NULL)
		n++;
	index_endscan(scan);
	index_close(index, AccessShareLock);
	table_close(heap, AccessShareLock);
	return n;
}

/*
 * Does the authorization under the scan qualify? Fills out (its coverage,
 * its other live bookings, or -1 when so few name it that they need not be
 * counted) when it does.
 */
static bool
qualifies(PatsvcKeyScan *ks, const VisitsQuery *q, Snapshot snapshot, AuthorizationChoice *out)
{
	bool		isnull;
	Datum		status = patsvc_key_scan_column(ks, A_STATUS, &isnull);
	int64		approved;

	if (isnull || !text_is(status, "active") || !valid_on(ks, A_VALID, q->on) || !approves(ks, q->service_code))
		return false;
	out->coverage = coverage_for(q->patient, q->on, int64_or_zero(ks, A_PAYER), int64_or_zero(ks, A_COVERAGE),
								 snapshot);
	if (out->coverage == 0)
		return false;
	approved = DatumGetInt32(patsvc_key_scan_column(ks, A_APPROVED, &isnull));
	if (isnull)
		return false;
	out->authorization = int64_or_zero(ks, A_ID);
	if (entries_of(out->authorization, approved) < approved)
	{
		out->booked = -1;
		return true;
	}
	out->booked = bookings_of(out->authorization, q->self, approved, snapshot);
	return out->booked < approved;
}

bool
visits_choose_authorization(const VisitsQuery *q, Snapshot snapshot, AuthorizationChoice *out)
{
	PatsvcKeyScan ks;
	AuthorizationChoice candidate;
	bool		found = false;

	patsvc_key_scan_begin(&ks, "authorizations", "authorizations_patient", &authorization_columns, q->patient, snapshot);
	while (patsvc_key_scan_next(&ks))
	{
		if (!qualifies(&ks, q, snapshot, &candidate))
			continue;
		if (!found || candidate.authorization == q->preferred)
		{
			*out = candidate;
			found = true;
		}
		if (q->preferred == 0 || candidate.authorization == q->preferred)
			break;
	}
	patsvc_key_scan_end(&ks);
	return found;
}
