/*
 * slots.h -- candidate slots of weekly hours (slots.c): the one expansion
 * of patsvc.availability into slot starts, used by patsvc.candidate_slots,
 * free_slots and next_available.
 *
 * A candidate is a start of a back-to-back slot of the type's length from
 * the start of a weekly hours row, on each local date of the row's weekday
 * and validity, converted from wall-clock time exactly as
 * "(date + time) AT TIME ZONE location.time_zone" does.  A night shift's
 * slots run on past local midnight into the next date's wall-clock times.
 */
#ifndef PATSVC_SLOTS_H
#define PATSVC_SLOTS_H

#include "postgres.h"

#include "pgtime.h"
#include "utils/array.h"
#include "utils/date.h"
#include "utils/rangetypes.h"

#include "scheduling/scheduling.h"

typedef struct ZoneDay ZoneDay;

/* A location's zone for one search window. */
typedef struct SlotZone
{
	int64		location;
	SchedZone	zone;
	DateADT		first_day;		/* local date of the window start, minus one */
	DateADT		last_day;		/* local date of the window end */
	DateADT		days_last;		/* last local date of days: last_day + 1 */
	ZoneDay    *days;			/* facts per local date, filled on demand */
} SlotZone;

/* One row of patsvc.availability. */
typedef struct WeeklyHours
{
	int64		provider;
	int			weekday;		/* ISO 1..7 */
	TimeADT		starts;
	TimeADT		ends;			/* past 24:00 for a night shift (SchedHours.ends_local) */
	DateADT		valid_from;
	DateADT		valid_until;
	SlotZone   *zone;
} WeeklyHours;

/* The candidates of one hours row in a window, earliest first. */
typedef struct SlotCursor
{
	const WeeklyHours *hours;
	TimestampTz w0;				/* window [w0, w1) */
	TimestampTz w1;
	int64		step;			/* type length, microseconds */
	int			nslots;			/* slots per day */
	DateADT		day;			/* local date being read */
	int			k;				/* next slot of that day */
	TimestampTz *irregular;		/* the day's starts, sorted, on a UTC offset change day */
	DateADT		facts_day;		/* the day the next two describe, looked up once per day */
	bool		facts_regular;	/* no UTC offset change that day (nor the next, for a night shift) */
	TimestampTz facts_first;	/* on a regular day: its first slot, local midnight + starts */
	TimestampTz current;		/* set by slot_cursor_next */
} SlotCursor;

/* Hours rows of the providers (inside SPI), zones prepared for [w0, w1); the
 * array is per-backend scratch space, valid until the next call. */
extern WeeklyHours *slots_load_hours(ArrayType *providers, TimestampTz w0, TimestampTz w1, int *n);
extern void slot_cursor_init(SlotCursor *c, const WeeklyHours *h, int32 duration_min,
							 TimestampTz w0, TimestampTz w1);
/* Next candidate in current (never earlier than the one before); false when done. */
extern bool slot_cursor_next(SlotCursor *c);
/* First candidate at or after t in current; false when none is left. */
extern bool slot_cursor_seek(SlotCursor *c, TimestampTz t);
/* All candidates of the hours rows in [w0, w1), sorted, duplicates removed. */
extern TimestampTz *slots_expand(const WeeklyHours *hours, int nhours, int32 duration_min,
								 TimestampTz w0, TimestampTz w1, int *n);

/*
 * Bounds and rights of the functions that read schedules (README:
 * Functions), checked once per call before any work: one rule for every
 * search window, one cap per array, SELECT on the table whose facts the
 * answer shows.
 */
#define SLOTS_MAX_WINDOW_DAYS	400		/* longest search window */
#define SLOTS_MAX_PROVIDERS		1000	/* providers of one next_available search */
#define SLOTS_MAX_RESOURCES		100		/* resources of one probe or search */
#define SLOTS_MAX_RESULTS		1000	/* max_results of one next_available search */

/* Raises 22023 unless window is a non-empty, bounded range of finite times at
 * most SLOTS_MAX_WINDOW_DAYS long (22008 when it reaches the limits of
 * timestamptz); sets [w0, w1).  window may be NULL (a NULL argument). */
extern void slots_check_window(RangeType *window, TimestampTz *w0, TimestampTz *w1);
/* Raises 22008 unless t and the days around it (span after it) are ordinary times. */
extern void slots_check_time(TimestampTz t, int64 span, const char *what);
/* Raises 22023 when the array has more than max elements. */
extern void slots_check_array(ArrayType *arr, int max, const char *what, const char *function);
/* Raises 42501 unless the current user may SELECT patsvc.<table>. */
extern void slots_require_select(const char *table, const char *function);
/* The id of the appointment type with this code (PS208 when none), as appointment_type_id(). */
extern int64 slots_type_of_code(text *code);

/* A time-holding booking as rules 1 and 3 see it. */
typedef struct Busy
{
	int64		provider;
	TimestampTz starts;
	TimestampTz from;			/* held time, buffers included */
	TimestampTz until;
	int64		type;
} Busy;

/* Bookings of the providers (sorted, distinct) whose held time may touch [lo, hi), by provider, then held_from. */
extern Busy *slots_scan_busy(const int64 *provs, int nprovs, TimestampTz lo, TimestampTz hi, int *n);
/* Rules 1 and 3 for row's provider against that provider's bookings (same answer as the trigger's check). */
extern bool slots_provider_free(const ApptRow *row, const ApptType *type, const Busy *busy, int nbusy);

#endif							/* PATSVC_SLOTS_H */
