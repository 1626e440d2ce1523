/*
 * invalidate.c -- cache_changed(): the one trigger function that drops
 * patsvc's per-backend caches when a table they read changes.
 *
 * Statement triggers (AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE) on every
 * table a cache reads fire it for ordinary writes; ENABLE REPLICA row
 * triggers fire it for rows applied by logical replication, whose apply
 * worker fires no statement trigger.  It sends a relcache invalidation of
 * the table: to every backend at commit, to this one at the end of the
 * command.  The caches that listen are the row caches (rowcache.c), the code
 * set releases (codes/codeset_lookup.c), the scheduling lookups, NCCI edits
 * (billing/ncci.c) and the hardened-mode list of protected tables
 * (retention/hooks.c).  Bound to the tables of patsvc's schema, which only
 * the extension creates.
 *
 * They listen through patsvc_listen_relcache(): one relcache callback for the
 * whole library, which calls each listener in the order they started to
 * listen.  PostgreSQL keeps at most MAX_RELCACHE_CALLBACKS (10) per backend,
 * for every library together; a library taking one per cache would leave
 * none to others (and fail with "out of relcache_callback_list slots").
 */
#include "postgres.h"

#include "commands/trigger.h"
#include "utils/inval.h"

#include "core/core.h"

#define MAX_LISTENERS 16

static RelcacheCallbackFunction listeners[MAX_LISTENERS];
static int	listener_count = 0;

static void
call_listeners(Datum arg, Oid relid)
{
	for (int i = 0; i < listener_count; i++)
		listeners[i] (arg, relid);
}

void
patsvc_listen_relcache(RelcacheCallbackFunction fn)
{
	for (int i = 0; i < listener_count; i++)
		if (listeners[i] == fn)
			return;
	if (listener_count == MAX_LISTENERS)
		elog(ERROR, "patsvc has no room for another relcache listener (%d)", MAX_LISTENERS);
	if (listener_count == 0)
		CacheRegisterRelcacheCallback(call_listeners, (Datum) 0);
	listeners[listener_count++] = fn;
}

static Datum
cache_changed(FunctionCallInfo fcinfo, const char *fn)
{
	TriggerData *td = (TriggerData *) fcinfo->context;

	patsvc_trigger_bound(fcinfo, fn, NULL);
	CacheInvalidateRelcache(td->tg_relation);
	return PointerGetDatum(NULL);
}

PG_FUNCTION_INFO_V1(patsvc_cache_changed);
Datum
patsvc_cache_changed(PG_FUNCTION_ARGS)
{
	return cache_changed(fcinfo, "cache_changed");
}

/*
 * The C names of 0.1.0's three trigger functions (codeset_changed,
 * scheduling_cache_changed, _registry_changed), which ALTER EXTENSION patsvc
 * UPDATE replaces by cache_changed(): a database still at 0.1.0's SQL keeps
 * working with this library until it is updated.
 */
PG_FUNCTION_INFO_V1(patsvc_codeset_changed);
Datum
patsvc_codeset_changed(PG_FUNCTION_ARGS)
{
	return cache_changed(fcinfo, "codeset_changed");
}

PG_FUNCTION_INFO_V1(patsvc_scheduling_cache_changed);
Datum
patsvc_scheduling_cache_changed(PG_FUNCTION_ARGS)
{
	return cache_changed(fcinfo, "scheduling_cache_changed");
}

PG_FUNCTION_INFO_V1(patsvc_retention_registry_changed);
Datum
patsvc_retention_registry_changed(PG_FUNCTION_ARGS)
{
	return cache_changed(fcinfo, "_registry_changed");
}
