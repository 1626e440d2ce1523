/*
 * candidates.c -- the registered patients duplicate detection compares a
 * person with (patients.c), read straight from the blocking indexes of
 * patients, without the executor: the same birth date (patients_birth_date),
 * a sound-alike family name on a close birth date (patients_family_phonetic,
 * whose birth dates are read from the index entries and compared here, so
 * that close dates near one another take one range scan instead of one
 * descent each), a phone (patients_home_phone, _mobile_phone, _work_phone)
 * or the e-mail (patients_email).  Each patient once, merged duplicates and
 * the person's own row left out, in id order, at most max of them, as the
 * given snapshot sees them.  The same birth date is the blocking key with
 * the most patients (about 30 at 1,000,000); its index includes the given
 * name, so the caller's test of it (every match needs a similar given name)
 * leaves most of them unread.  As a query (a bitmap OR of six index scans,
 * sorted) its executor start, bitmap and prefetching cost more than the
 * index descents themselves.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relscan.h"
#include "access/tableam.h"
#include "executor/tuptable.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"

#include "registry/candidates.h"

/* Close dates no more than this far apart are read with one range scan. */
#define RANGE_GAP_DAYS 62

typedef struct TidList
{
	ItemPointerData *tids;
	int			n;
	int			cap;
} TidList;

static void
tid_add(TidList *l, ItemPointer tid)
{
	if (l->n == l->cap)
	{
		l->cap *= 2;
		l->tids = repalloc(l->tids, l->cap * sizeof(ItemPointerData));
	}
	l->tids[l->n++] = *tid;
}

/* An index of patients by name, opened for reading. */
static Relation
open_blocking_index(const char *name)
{
	Oid			idx = patsvc_relid(name);

	if (!OidIsValid(idx))
		elog(ERROR, "patsvc: index %s.%s of duplicate detection is missing", PATSVC_SCHEMA, name);
	return index_open(idx, AccessShareLock);
}

/* Equality, or a bound (strategy), on index column att with operator function proc. */
static void
key_init(ScanKey key, Relation index, AttrNumber att, StrategyNumber strategy, RegProcedure proc, Datum value)
{
	ScanKeyEntryInitialize(key, 0, att, strategy, InvalidOid, index->rd_indcollation[att - 1], proc, value);
}

static bool
date_listed(DateADT d, const DateADT *dates, int n)
{
	for (int i = 0; i < n; i++)
		if (dates[i] == d)
			return true;
	return false;
}

static char *
entry_text(IndexScanDesc scan, AttrNumber att)
{
	bool		isnull;
	Datum		d = index_getattr(scan->xs_itup, att, scan->xs_itupdesc, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

/*
 * Runs scan with keys, adding the TIDs it finds; with dates, only entries
 * whose second index column (a birth date) is one of them; with k, only
 * entries whose included given name (columns 2 and 3) k's test passes.
 */
static void
scan_keys(IndexScanDesc scan, ScanKey keys, int nkeys, const DateADT *dates, int ndates, const DupKeys *k,
		  TidList *out)
{
	ItemPointer tid;

	index_rescan(scan, keys, nkeys, NULL, 0);
	while ((tid = index_getnext_tid(scan, ForwardScanDirection)) != NULL)
	{
		if (dates != NULL)
		{
			bool		isnull;
			Datum		d = index_getattr(scan->xs_itup, 2, scan->xs_itupdesc, &isnull);

			if (isnull || !date_listed(DatumGetDateADT(d), dates, ndates))
				continue;
		}
		if (k != NULL && !k->given_may_match(k->given_arg, entry_text(scan, 2), entry_text(scan, 3)))
			continue;
		tid_add(out, tid);
	}
}

/*
 * One equality on the first column of index name, for each of values; with
 * k, the given name test on the entries (when the index includes the given
 * name: not before the database is updated to the version that adds it).
 */
static void
scan_equal(Relation heap, const char *name, RegProcedure eq, const Datum *values, int nvalues, Snapshot snap,
		   const DupKeys *k, TidList *out)
{
	Relation	index;
	IndexScanDesc scan;

	if (nvalues == 0)
		return;
	index = open_blocking_index(name);
	if (k != NULL && (k->given_may_match == NULL || index->rd_index->indnatts != 3))
		k = NULL;
	scan = index_beginscan(heap, index, snap, 1, 0);
	scan->xs_want_itup = (k != NULL);
	for (int i = 0; i < nvalues; i++)
	{
		ScanKeyData key;

		key_init(&key, index, 1, BTEqualStrategyNumber, eq, values[i]);
		scan_keys(scan, &key, 1, NULL, 0, k, out);
	}
	index_endscan(scan);
	index_close(index, AccessShareLock);
}

static int
cmp_date(const void *a, const void *b)
{
	DateADT		x = *(const DateADT *) a,
				y = *(const DateADT *) b;

	return x < y ? -1 : x > y;
}

/*
 * The sound-alike family name on a close date: the dates in runs no more
 * than RANGE_GAP_DAYS apart, each run one range scan of (family code,
 * birth date) keeping the listed dates.
 */
static void
scan_sound_alike(Relation heap, const char *family_ph, const DateADT *close, int nclose, Snapshot snap, TidList *out)
{
	DateADT    *dates = palloc(Max(nclose, 1) * sizeof(DateADT));
	Datum		code = CStringGetTextDatum(family_ph);
	Relation	index;
	IndexScanDesc scan;

	if (nclose == 0)
		return;
	memcpy(dates, close, nclose * sizeof(DateADT));
	qsort(dates, nclose, sizeof(DateADT), cmp_date);
	index = open_blocking_index("patients_family_phonetic");
	scan = index_beginscan(heap, index, snap, 3, 0);
	scan->xs_want_itup = true;	/* the birth dates are read from the entries */
	for (int first = 0, last; first < nclose; first = last + 1)
	{
		ScanKeyData keys[3];

		for (last = first; last + 1 < nclose && dates[last + 1] - dates[last] <= RANGE_GAP_DAYS; last++)
			;
		key_init(&keys[0], index, 1, BTEqualStrategyNumber, F_TEXTEQ, code);
		key_init(&keys[1], index, 2, BTGreaterEqualStrategyNumber, F_DATE_GE, DateADTGetDatum(dates[first]));
		key_init(&keys[2], index, 2, BTLessEqualStrategyNumber, F_DATE_LE, DateADTGetDatum(dates[last]));
		scan_keys(scan, keys, 3, dates + first, last - first + 1, NULL, out);
	}
	index_endscan(scan);
	index_close(index, AccessShareLock);
}

static int
cmp_candidate(const void *a, const void *b)
{
	int64		x = ((const DupCandidate *) a)->id,
				y = ((const DupCandidate *) b)->id;

	return x < y ? -1 : x > y;
}

/* The rows of tids (sorted, each once) snap sees, merged duplicates and self left out. */
static DupCandidate *
fetch_candidates(Relation heap, const TidList *tids, const DupKeys *k, Snapshot snap, int *n)
{
	DupCandidate *out = palloc(Max(tids->n, 1) * sizeof(DupCandidate));
	IndexFetchTableData *fetch = table_index_fetch_begin(heap);
	TupleTableSlot *slot = table_slot_create(heap, NULL);

	*n = 0;
	for (int i = 0; i < tids->n; i++)
	{
		ItemPointerData tid = tids->tids[i];
		bool		call_again = false,
					all_dead = false,
					isnull;
		int64		id;

		if (i > 0 && ItemPointerEquals(&tids->tids[i - 1], &tid))
			continue;
		if (!table_index_fetch_tuple(fetch, &tid, snap, slot, &call_again, &all_dead))
			continue;
		id = DatumGetInt64(slot_getattr(slot, k->att_id, &isnull));
		if (isnull || id == k->self_id)
			continue;
		(void) slot_getattr(slot, k->att_merged_into, &isnull);
		if (!isnull)
			continue;
		out[*n].id = id;
		out[(*n)++].tuple = ExecCopySlotHeapTuple(slot);
	}
	ExecDropSingleTupleTableSlot(slot);
	table_index_fetch_end(fetch);
	return out;
}

static int
cmp_tid(const void *a, const void *b)
{
	return ItemPointerCompare((ItemPointer) a, (ItemPointer) b);
}

DupCandidate *
dup_candidates(Relation heap, const DupKeys *k, int max, int *n)
{
	Snapshot	snap = RegisterSnapshot(GetLatestSnapshot());
	TidList		tids = {palloc(64 * sizeof(ItemPointerData)), 0, 64};
	Datum		dob = DateADTGetDatum(k->dob);
	Datum		phones[3];
	DupCandidate *found;

	for (int i = 0; i < k->nphones; i++)
		phones[i] = CStringGetTextDatum(k->phones[i]);
	scan_equal(heap, "patients_birth_date", F_DATE_EQ, &dob, 1, snap, k, &tids);
	scan_sound_alike(heap, k->family_ph ? k->family_ph : "", k->close, k->nclose, snap, &tids);
	scan_equal(heap, "patients_home_phone", F_TEXTEQ, phones, k->nphones, snap, NULL, &tids);
	scan_equal(heap, "patients_mobile_phone", F_TEXTEQ, phones, k->nphones, snap, NULL, &tids);
	scan_equal(heap, "patients_work_phone", F_TEXTEQ, phones, k->nphones, snap, NULL, &tids);
	if (k->email != NULL)
	{
		Datum		email = CStringGetTextDatum(k->email);

		scan_equal(heap, "patients_email", F_TEXTEQ, &email, 1, snap, NULL, &tids);
	}
	qsort(tids.tids, tids.n, sizeof(ItemPointerData), cmp_tid);
	found = fetch_candidates(heap, &tids, k, snap, n);
	UnregisterSnapshot(snap);
	qsort(found, *n, sizeof(DupCandidate), cmp_candidate);
	*n = Min(*n, max);
	return found;
}
