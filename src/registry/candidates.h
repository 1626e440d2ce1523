/*
 * candidates.h -- the registered patients duplicate detection compares a
 * person with, read from the blocking indexes of patients (candidates.c).
 */
#ifndef PATSVC_REGISTRY_CANDIDATES_H
#define PATSVC_REGISTRY_CANDIDATES_H

#include "postgres.h"

#include "access/htup.h"
#include "utils/date.h"
#include "utils/relcache.h"
#include "utils/snapmgr.h"

#include "core/core.h"

/* What a person is looked up by. */
typedef struct DupKeys
{
	int64		self_id;		/* the person's own row (an UPDATE), left out */
	AttrNumber	att_id;			/* patients' columns id and merged_into */
	AttrNumber	att_merged_into;
	DateADT		dob;
	const char *family_ph;		/* Double Metaphone code of the family name; NULL as "" */
	const DateADT *close;		/* birth dates close to dob (one digit off, day and month swapped) */
	int			nclose;
	const char *phones[3];		/* 10 digits each */
	int			nphones;
	const char *email;			/* lower case; NULL for none */

	/*
	 * A test every match needs, made on a same-birth-date entry's given name
	 * (as written, and its phonetic code: columns included in the index
	 * patients_birth_date) before its row is read; NULL: every entry read.
	 */
	bool		(*given_may_match) (void *arg, const char *given_name, const char *given_phonetic);
	void	   *given_arg;
} DupKeys;

typedef struct DupCandidate
{
	int64		id;
	HeapTuple	tuple;			/* a copy of the patient's row */
} DupCandidate;

/*
 * The patients sharing a blocking key with k (same birth date, sound-alike
 * family name on a close date, a phone, the e-mail), as the latest snapshot
 * sees them: each once, neither merged nor the person's own row, in id order,
 * at most max (*n of them).  Reads the indexes directly: the caller checks
 * rights (or runs as the owner).
 */
extern DupCandidate *dup_candidates(Relation patients, const DupKeys *k, int max, int *n);

#endif
