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
 * The row with every demographic field checked (22P02 for a malformed value,
 * PS411 for an impossible date, each with a hint) and normalized, the name
 * and phonetic keys derived, and a confirmation of a distinct person stamped
 * with the session user and time.  old is the row before an UPDATE (NULL for
 * an INSERT); *confirmed tells whether this write confirms a distinct person.
 */
extern HeapTuple demographics_normalize(HeapTuple row, HeapTuple old, Relation rel, bool *confirmed);

#endif
