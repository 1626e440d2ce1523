/*
 * demographics.h -- checking and normalizing a patient's fields (demographics.c).
 */
#ifndef PATSVC_REGISTRY_DEMOGRAPHICS_H
#define PATSVC_REGISTRY_DEMOGRAPHICS_H

#include "postgres.h"

#include "access/htup.h"
#include "access/tupdesc.h"
#include "utils/relcache.h"

/*
 * The columns of patsvc.patients the registry's C code reads or writes, one
 * list for demographics (checking fields) and matching (patients.c).  The
 * names (PT_FAMILY .. PT_EC_NAME) and the phones (PT_HOME .. PT_EC_PHONE)
 * stay in these orders: code walks them by offset.
 */
typedef enum PatientColumn
{
	PT_FAMILY, PT_GIVEN, PT_MIDDLE, PT_PREFERRED, PT_EC_NAME,	/* the names */
	PT_HOME, PT_MOBILE, PT_WORK, PT_EC_PHONE,	/* the phones */
	PT_STATE, PT_ZIP, PT_EMAIL, PT_LANGUAGE, PT_SEX, PT_BIRTH, PT_DEATH, PT_MRN, PT_NAME,
	PT_FAMILY_PH, PT_GIVEN_PH, PT_CONFIRMED_AT, PT_CONFIRMED_BY, PT_ID, PT_MERGED_INTO,
	PT_COUNT
} PatientColumn;

/* The attribute numbers of those columns in rel (patsvc.patients), indexed by PatientColumn. */
extern const int *patient_columns(Relation rel);

/*
 * The row with every demographic field checked (22P02 for a malformed value,
 * PS411 for an impossible date, each with a hint) and normalized, the name
 * and phonetic keys derived, and a confirmation of a distinct person stamped
 * with the session user and time.  old is the row before an UPDATE (NULL for
 * an INSERT); *confirmed tells whether this write confirms a distinct person.
 */
extern HeapTuple demographics_normalize(HeapTuple row, HeapTuple old, Relation rel, bool *confirmed);

#endif
