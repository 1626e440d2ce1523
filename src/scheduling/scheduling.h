/*
 * scheduling.h -- appointments without double booking (issue 3).
 *
 * The trigger appointments_enforce (trigger.c) checks every write to
 * patsvc.appointments with the rules in rules.c; status.c holds the FHIR
 * status machine; overbook.c the privileged overbook path.
 */
#ifndef PATSVC_SCHEDULING_H
#define PATSVC_SCHEDULING_H

/* resources one appointment may hold (the slot search accepts as many: SLOTS_MAX_RESOURCES) */
#define SCHED_MAX_RESOURCES 100

#include "postgres.h"

#include "datatype/timestamp.h"

/* SQLSTATEs: src/errcodes.txt (ERRCODE_PATSVC_*, range PS2xx; overlaps use 23P01), through core/core.h */
#include "core/core.h"


/* Longest time one appointment may hold, buffers included (CHECK on the table). */
#define SCHED_MAX_HELD_USECS	(INT64CONST(24) * USECS_PER_HOUR)

/* FHIR appointment status, in the order of the CHECK constraint. */
typedef enum ApptStatus
{
	ST_PROPOSED, ST_PENDING, ST_BOOKED, ST_ARRIVED, ST_CHECKED_IN,
	ST_FULFILLED, ST_CANCELLED, ST_NOSHOW, ST_ENTERED_IN_ERROR, ST_WAITLIST,
	ST_COUNT
} ApptStatus;

extern ApptStatus status_from_text(const char *name);
extern const char *status_name(ApptStatus st);
extern bool status_holds_time(ApptStatus st);
extern bool status_text_holds_time(const text *name);

/* status_holds_time() as an SQL condition on patsvc.appointments.status */
#define NOT_HOLDING "status NOT IN ('cancelled', 'noshow', 'entered-in-error')"
/* Raises PS205 unless from -> to is a legal FHIR transition. */
extern void status_check_transition(int64 id, ApptStatus from, ApptStatus to);

/* One appointment as the rules see it (times derived already). */
typedef struct ApptRow
{
	int64		id;
	int64		patient;
	int64		provider;
	int64		type;
	bool		has_location;
	int64		location;
	TimestampTz starts;
	TimestampTz ends;
	TimestampTz held_from;
	TimestampTz held_until;
	int			nresources;
	int64	   *resources;		/* sorted, distinct */
	bool		overbook;
} ApptRow;

typedef struct ApptType
{
	int32		duration_min;
	int32		before_min;
	int32		after_min;
	int32		capacity;
	int			nkinds;
	char	  **kinds;
} ApptType;

/* zone.c: a location's time zone, resolved once, converted as AT TIME ZONE does */
typedef struct SchedZone
{
	struct pg_tz *tz;			/* NULL: fixed offset (the name is an abbreviation) */
	int			offset_east;	/* seconds east of UTC, when tz is NULL */
} SchedZone;

extern void sched_zone_resolve(SchedZone *z, const char *name, int64 location);
extern TimestampTz sched_zone_to_utc(const SchedZone *z, Timestamp local);
extern int32 sched_zone_local_date(const SchedZone *z, TimestampTz t);

/* One weekly hours row of patsvc.availability with its location's zone. */
typedef struct SchedHours
{
	int64		id;
	int64		location;
	int			weekday;		/* ISO 1..7 */
	int64		starts_local;	/* TimeADT */
	int64		ends_local;		/* wall-clock end from local midnight of the start
								 * date: ends_local of the row, plus 24 hours when it
								 * is not after starts_local (the next day) */
	bool		overnight;		/* ends the next day (computed once, in the cache) */
	int32		valid_from;		/* DateADT */
	int32		valid_until;
	SchedZone	zone;			/* the location's time zone */
} SchedHours;

/* How rules run: enforcing (lock, latest snapshot, raise) or probing. */
typedef enum RuleMode
{
	RULES_ENFORCE,
	RULES_PROBE
} RuleMode;

/* cache.c: cached rows of appointment_types and resources (latest committed state) */
extern void rules_load_type(int64 type_id, ApptType *type);
extern char *rules_resource_kind(int64 resource);
extern int	rules_provider_hours(int64 provider, SchedHours **rows);
extern bool rules_has_time_off(bool is_resource, int64 id);
extern bool rules_type_requires_consent(int64 type);
extern bool rules_type_has_reminders(int64 type);
extern void rules_derive_times(ApptRow *row, const ApptType *type);
/* Checks rules 1-3 (provider part skipped when row->overbook); returns
 * false on the first violation in probe mode, raises in enforce mode. */
extern bool rules_check(ApptRow *row, const ApptType *type, RuleMode mode, bool check_patient);
extern void rules_check_patient(const ApptRow *row);
/* rebook.c: a schedule change takes a booking's key lock, then rechecks booked visits */
extern void rules_lock_key(bool is_resource, int64 key);
extern bool rules_recheck(ApptRow *row, const ApptType *type, bool check_patient);
/* Deletes the holds of old (if not NULL) and inserts the row's (if not NULL). */
extern void rules_replace_holds(int64 appointment, const ApptRow *old_or_null, const ApptRow *row_or_null);

/* scan.c: owner of patsvc.appointments, the role the rules run as */
extern Oid sched_appointments_owner(void);

/* book.c: a type's id by its code from the per-backend cache (read when absent, inside SPI, as
 * the current user, who must see every row of appointment_types); false when no type has it */
extern bool sched_type_id_of_code(const char *code, int64 *id);
/* overbook.c: true while patsvc.book_overbook is inserting its row. */
extern bool overbook_authorized(void);
/*
 * reminders.c: the reminders of a time-holding appointment from its type's
 * rules (inside appointments_enforce, as the table owner); moved (is_insert
 * false) they are due again for the new start.
 */
extern void sched_schedule_reminders(const ApptRow *row, bool is_insert);
/* trigger.c: true while appointments_enforce maintains appointment_resources. */
extern bool holds_maintenance_active(void);

/*
 * checkin.c: consent to treat before check-in (registration).  A visit of a
 * type with requires_consent_to_treat that becomes arrived or checked-in,
 * or fulfilled without either, needs consent to treat in force on its
 * local date (its location's zone, the session's without one): PS401
 * otherwise.  old is NULL for an INSERT.
 */
extern void sched_require_consent_to_treat(const ApptRow *row, ApptStatus status, const ApptStatus *old_or_null);

/*
 * trigger.c: areas above scheduling learn here of visits written as
 * fulfilled (retention's last encounter): appointments_enforce calls the
 * hook for a row an INSERT writes as fulfilled or an UPDATE that sets
 * status leaves fulfilled (as an AFTER INSERT OR UPDATE OF status trigger
 * with WHEN (NEW.status = 'fulfilled') would fire), with the final row.  A
 * BEFORE trigger: if the write fails the statement's work is undone with
 * it.  Set from an area's _PG_init, keeping the previous value to call.
 */
typedef void (*SchedVisitFulfilledHook) (const ApptRow *row);
extern PGDLLIMPORT SchedVisitFulfilledHook sched_visit_fulfilled_hook;

/*
 * Whether the row an INSERT into patsvc.appointments is writing now has an
 * id that is taken (appointments_enforce found and locked the row that has
 * it): the INSERT will not insert it (23505, or ON CONFLICT's path).  The
 * triggers of other areas that fire after appointments_enforce on the same
 * row ask this, to check and take nothing for it.
 */
extern bool sched_insert_id_taken(int64 id);

#endif							/* PATSVC_SCHEDULING_H */
