/*
 * rowcache.c -- per-backend caches of rows by bigint id (rowcache.h).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "core/core.h"
#include "core/rowcache.h"

static RowCache *all_caches = NULL;

/* bumped by every relcache invalidation: column numbers are looked up again after one */
static uint64 relcache_epoch = 1;

static void
row_cache_invalidate(Datum arg, Oid relid)
{
	relcache_epoch++;
	for (RowCache *c = all_caches; c != NULL; c = c->next)
		if (relid == InvalidOid || relid == c->relid || (c->relid2 != InvalidOid && relid == c->relid2))
		{
			c->valid = false;
			c->generation++;
		}
}

uint64
patsvc_relcache_epoch(void)
{
	patsvc_listen_relcache(row_cache_invalidate);
	return relcache_epoch;
}

const int *
patsvc_columns(PatsvcColumns *cols, Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);

	patsvc_listen_relcache(row_cache_invalidate);
	if (cols->relid == RelationGetRelid(rel) && cols->epoch == relcache_epoch)
		return cols->attnums;
	Assert(cols->count <= PATSVC_MAX_COLUMNS);
	for (int i = 0; i < cols->count; i++)
	{
		cols->attnums[i] = SPI_fnumber(desc, cols->names[i]);
		if (cols->attnums[i] <= 0 && cols->optional_from > 0 && i >= cols->optional_from)
			cols->attnums[i] = 0;
		else if (cols->attnums[i] <= 0)
			elog(ERROR, "table %s has no column \"%s\"", RelationGetRelationName(rel), cols->names[i]);
	}
	cols->relid = RelationGetRelid(rel);
	cols->epoch = relcache_epoch;
	return cols->attnums;
}

static void
row_cache_open(RowCache *c)
{
	HASHCTL		ctl;

	patsvc_listen_relcache(row_cache_invalidate);
	if (!c->listed)
	{
		c->next = all_caches;
		all_caches = c;
		c->listed = true;
	}
	if (c->valid)
		return;
	if (c->cxt == NULL)
	{
		c->cxt = AllocSetContextCreate(CacheMemoryContext, "patsvc row cache", ALLOCSET_SMALL_SIZES);
		MemoryContextSetIdentifier(c->cxt, c->relname);
	}
	MemoryContextReset(c->cxt);
	ctl.keysize = sizeof(int64);
	ctl.entrysize = c->entrysize;
	ctl.hcxt = c->cxt;
	c->htab = hash_create(c->relname, c->nelem, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	c->relid = patsvc_relid(c->relname);
	c->relid2 = c->relname2 == NULL ? InvalidOid : patsvc_relid(c->relname2);
	c->valid = true;
}

bool
row_cache_read(RowCache *c, int64 id)
{
	static const Oid argtypes[1] = {INT8OID};
	Datum		v[1] = {Int64GetDatum(id)};
	int			rc;

	rc = SPI_execute_snapshot(patsvc_kept_plan(&c->plan, c->sql, 1, argtypes), v, NULL,
							  GetLatestSnapshot(), InvalidSnapshot, true, false, c->limit);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute failed: %s", SPI_result_code_string(rc));
	return SPI_processed > 0;
}

/* An entry for id, unless an invalidation arrived since generation (then keep nothing). */
static void *
row_cache_enter(RowCache *c, int64 id, uint64 generation)
{
	bool		found;

	if (generation != c->generation || !c->valid)
		return NULL;
	return hash_search(c->htab, &id, HASH_ENTER, &found);
}

void *
row_cache_lookup(RowCache *c, int64 id, RowLoader load, void *scratch)
{
	void	   *entry;
	uint64		generation;
	bool		found;

	row_cache_open(c);
	entry = hash_search(c->htab, &id, HASH_FIND, NULL);
	if (entry != NULL)
		return entry;
	generation = c->generation;
	memset(scratch, 0, c->entrysize);
	*(int64 *) scratch = id;
	patsvc_spi_connect();
	found = load(id, scratch);
	patsvc_spi_finish();
	if (!found)
		return NULL;
	entry = row_cache_enter(c, id, generation);
	if (entry == NULL)
		return scratch;
	memcpy(entry, scratch, c->entrysize);
	return entry;
}
