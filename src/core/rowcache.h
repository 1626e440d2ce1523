/*
 * rowcache.h -- per-backend caches of rows of patsvc's tables by bigint id.
 *
 * A RowCache lives in CacheMemoryContext and is dropped by a relcache
 * invalidation of a table it reads (relname, relname2): the statement trigger
 * cache_changed() sends one for every change (plain row changes send none),
 * to every backend at commit and to this backend at the end of the changing
 * command.  Entries are read with the latest snapshot: the invalidation is
 * sent after the change became visible, so a reload after it never caches
 * old values.  Lookups connect to SPI themselves to load.
 *
 * An area declares a static RowCache with relname, sql (reading the rows of
 * one id, $1 bigint), limit, entrysize (an entry begins with its int64 id)
 * and nelem; the other fields are the cache's own.
 */
#ifndef PATSVC_ROWCACHE_H
#define PATSVC_ROWCACHE_H

#include "postgres.h"

#include "executor/spi.h"
#include "utils/hsearch.h"

typedef struct RowCache
{
	const char *relname;		/* table in patsvc's schema */
	const char *relname2;		/* a second table the rows come from, or NULL */
	const char *sql;			/* reads the rows of one id ($1) */
	long		limit;			/* rows read per id (0: all) */
	Size		entrysize;		/* hash entry, beginning with the int64 id */
	long		nelem;
	/* the cache's own state */
	MemoryContext cxt;			/* entries' allocations go here */
	HTAB	   *htab;
	Oid			relid;
	Oid			relid2;
	bool		valid;
	uint64		generation;		/* bumped by every invalidation */
	SPIPlanPtr	plan;
	struct RowCache *next;		/* every cache opened in this backend */
	bool		listed;
} RowCache;

/*
 * Reads one id's rows into entry (an entry of the cache's kind; allocations
 * in the cache's cxt); runs inside SPI, returns false when there are none
 * to cache.
 */
typedef bool (*RowLoader) (int64 id, void *entry);

/*
 * The cached entry of id, loaded first when absent; NULL when load() finds
 * nothing (nothing is cached then).  scratch (entrysize bytes) holds a row
 * read while an invalidation arrived: it serves this call only.  Either way
 * the result lives until the next invalidation is processed, so callers
 * copy what they keep before doing anything that could process one.
 */
extern void *row_cache_lookup(RowCache *c, int64 id, RowLoader load, void *scratch);

/* Runs the cache's query for one id (inside SPI) with the latest snapshot; true when found. */
extern bool row_cache_read(RowCache *c, int64 id);

#endif							/* PATSVC_ROWCACHE_H */
