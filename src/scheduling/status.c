/*
 * status.c -- FHIR appointment status: names, which hold time, and the legal
 * transitions (README, Scheduling, "Status transitions").
 */
#include "postgres.h"

#include "lib/stringinfo.h"

#include "scheduling/scheduling.h"

static const char *const status_names[ST_COUNT] = {
	"proposed", "pending", "booked", "arrived", "checked-in",
	"fulfilled", "cancelled", "noshow", "entered-in-error", "waitlist"
};

#define T(s) (1u << (s))
#define ENDS (T(ST_CANCELLED) | T(ST_ENTERED_IN_ERROR))

/* allowed[from] = set of statuses reachable in one step */
static const uint32 allowed[ST_COUNT] = {
	[ST_PROPOSED] = T(ST_PENDING) | T(ST_BOOKED) | T(ST_WAITLIST) | ENDS,
	[ST_PENDING] = T(ST_BOOKED) | ENDS,
	[ST_BOOKED] = T(ST_ARRIVED) | T(ST_CHECKED_IN) | T(ST_FULFILLED) | T(ST_NOSHOW) | ENDS,
	[ST_ARRIVED] = T(ST_CHECKED_IN) | T(ST_FULFILLED) | T(ST_ENTERED_IN_ERROR),
	[ST_CHECKED_IN] = T(ST_FULFILLED) | T(ST_ENTERED_IN_ERROR),
	[ST_FULFILLED] = T(ST_ENTERED_IN_ERROR),
	[ST_CANCELLED] = T(ST_ENTERED_IN_ERROR),
	[ST_NOSHOW] = T(ST_ENTERED_IN_ERROR),
	[ST_ENTERED_IN_ERROR] = 0,
	[ST_WAITLIST] = T(ST_PROPOSED) | T(ST_PENDING) | T(ST_BOOKED) | ENDS,
};

ApptStatus
status_from_text(const char *name)
{
	for (int i = 0; i < ST_COUNT; i++)
		if (strcmp(name, status_names[i]) == 0)
			return (ApptStatus) i;
	ereport(ERROR,
			(errcode(ERRCODE_CHECK_VIOLATION),
			 errmsg("'%s' is not a FHIR appointment status", name),
			 errhint("Use one of proposed, pending, booked, arrived, checked-in, fulfilled, cancelled, noshow, entered-in-error, waitlist.")));
	pg_unreachable();
}

const char *
status_name(ApptStatus st)
{
	return status_names[st];
}

bool
status_holds_time(ApptStatus st)
{
	return st != ST_CANCELLED && st != ST_NOSHOW && st != ST_ENTERED_IN_ERROR;
}

/*
 * status_holds_time() of a status name given as text, without copying it
 * (the per-row readers of appointments.status).  A name that is not a
 * status holds time, as "status NOT IN (...)" says in SQL; the trigger
 * refuses such names on every write.
 */
bool
status_text_holds_time(const text *name)
{
	int			len = VARSIZE_ANY_EXHDR(name);

	for (int i = 0; i < ST_COUNT; i++)
		if (strlen(status_names[i]) == len && memcmp(VARDATA_ANY(name), status_names[i], len) == 0)
			return status_holds_time((ApptStatus) i);
	return true;
}

static void
append_targets(StringInfo buf, ApptStatus from)
{
	bool		first = true;

	for (int i = 0; i < ST_COUNT; i++)
	{
		if (!(allowed[from] & T(i)))
			continue;
		appendStringInfo(buf, "%s%s", first ? "" : ", ", status_names[i]);
		first = false;
	}
	if (first)
		appendStringInfoString(buf, "none: it is final");
}

void
status_check_transition(int64 id, ApptStatus from, ApptStatus to)
{
	StringInfoData targets;

	if (from == to || (allowed[from] & T(to)))
		return;
	initStringInfo(&targets);
	append_targets(&targets, from);
	ereport(ERROR,
			(errcode(ERRCODE_PATSVC_ILLEGAL_TRANSITION),
			 errmsg("appointment %lld cannot go from status %s to %s",
					(long long) id, status_names[from], status_names[to]),
			 errdetail("FHIR appointment status %s is followed only by: %s.",
					   status_names[from], targets.data),
			 errhint("Choose one of the statuses that may follow %s, or book a new appointment.",
					 status_names[from])));
}
