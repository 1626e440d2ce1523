/*
 * billing.h -- the billing area (src/billing): encounters, the claim
 * scrubber, NCCI procedure-to-procedure edits and medically unlikely edits.
 *
 *   encounters.c the error for an unknown encounter (PS607)
 *   ncci.c      import_ncci_ptp(), import_mue() and the per-backend caches
 *               the scrubber reads them through
 *   scrubber.c  claim_problems(), claim_rules(): every rule in one table
 */
#ifndef PATSVC_BILLING_H
#define PATSVC_BILLING_H

#include "postgres.h"

#include "utils/date.h"

#include "core/core.h"

/* Reports PS607 for an encounter id that does not exist (NULL: none given). */
extern void unknown_encounter_error(const int64 *encounter) pg_attribute_noreturn();

/* A CPT or HCPCS code (5 characters) as a hash key: its bytes, 0 after the end. */
extern uint64 ncci_code_key(const char *code);

/*
 * The PTP edit (column one, column two) of the release loaded last, in force
 * on the date of service (effective <= date < deletion, indicator not 9):
 * false when there is none (or no release is loaded); else true with its
 * modifier indicator (0 or 1; 0 when rows of both kinds are in force).
 */
extern bool ncci_ptp_in_force(uint64 column_one, uint64 column_two, DateADT date, int *indicator);

/* Whether a PTP release is loaded (the PTP rule applies only then). */
extern bool ncci_ptp_loaded(void);

/*
 * The MUE of a code in the MUE release in effect on the date: false when no
 * release covers the date or the code has none.
 */
extern bool ncci_mue(uint64 code, DateADT date, int *value, int *mai);

#endif							/* PATSVC_BILLING_H */
