/*
 * coverage.h -- the coverage area's public header (src/coverage/).
 *
 *   coverages.c  the same-priority overlap guard of patsvc.coverages
 *                (coverage_overlap_guard), the GUC
 *                patsvc.eligibility_valid_days (coverage_init)
 *   x12_271.c    the X12 005010X279A1 271 parser: Eligibility271
 *   eligibility.c record_eligibility_271: parse, then one INSERT
 *   booking.c    trigger appointments_visits: booking rules, visits used
 *   visits_scan.c the authorization a booking uses, read by index scans
 */
#ifndef PATSVC_COVERAGE_H
#define PATSVC_COVERAGE_H

#include "postgres.h"

#include "utils/date.h"
#include "utils/snapshot.h"

extern void coverage_init(void);

/* patsvc.eligibility_valid_days: a verification is good for this many days from its date of service */
extern int	coverage_eligibility_valid_days;

/*
 * What a front office needs from a 271 (x12_271.c).  has_* false: the 271
 * does not say (the column is stored NULL).  Amounts are numeric text as
 * the 271 wrote them ("10.00"), checked by the parser.
 */
typedef struct Eligibility271
{
	char	   *trace_number;	/* TRN02 of TRN*2 (the 270's trace), else TRN*1 */
	bool		has_active;
	bool		active;
	bool		has_plan_begin;
	DateADT		plan_begin;
	bool		has_plan_end;
	DateADT		plan_end;
	bool		has_eligibility_date; /* DTP*307 D8: the date the answer is for */
	DateADT		eligibility_date;
	char	   *copay;			/* EB*B for an office visit, in network */
	char	   *coinsurance_fraction;	/* EB*A, EB08: 0.2 is 20 % */
	char	   *deductible;		/* EB*C, a period other than remaining */
	char	   *deductible_remaining;	/* EB*C with EB06 29 */
	bool		has_in_network;
	bool		in_network;
	bool		has_authorization_required;
	bool		authorization_required;
	char	   *rejection_code; /* AAA03 of the first AAA with AAA01 N */
	char	   *rejection_reason;	/* its meaning and the follow-up action */
} Eligibility271;

/* Parses raw (one 271 transaction); a malformed one raises 22P02 naming segment and element. */
extern void x12_271_parse(const char *raw, int len, Eligibility271 *out);

/* What a booking asks of the patient's authorizations (visits_scan.c). */
typedef struct VisitsQuery
{
	int64		patient;
	DateADT		on;				/* the date of service */
	const char *service_code;	/* the type's */
	int64		preferred;		/* an authorization to take first if it qualifies; 0: none */
	int64		self;			/* the appointment being written (not counted) */
} VisitsQuery;

typedef struct AuthorizationChoice
{
	int64		authorization;
	int64		coverage;		/* the coverage of its payer in force on the date */
	int64		booked;			/* its other live bookings; -1: fewer index entries name it than it
								 * approves, so they were not counted */
} AuthorizationChoice;

/*
 * The authorization with a visit left that a booking uses, read in snapshot
 * (the caller holds the patient's visits lock); false when none qualifies.
 */
extern bool visits_choose_authorization(const VisitsQuery *q, Snapshot snapshot, AuthorizationChoice *out);

#endif							/* PATSVC_COVERAGE_H */
