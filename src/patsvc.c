/*
 * patsvc.c -- module entry point.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_extension.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"

#include "codes/codes.h"
#include "patsvc.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* Runs when the library is loaded; hooks only when preloaded. */
void
_PG_init(void)
{
	codes_init();
	patsvc_retention_init();
}

PG_FUNCTION_INFO_V1(patsvc_version);
Datum
patsvc_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(PATSVC_VERSION));
}

SPIPlanPtr
patsvc_kept_plan(SPIPlanPtr *slot, const char *sql, int nargs, const Oid *types)
{
	if (*slot == NULL)
	{
		SPIPlanPtr	p = SPI_prepare_cursor(sql, nargs, (Oid *) types, CURSOR_OPT_GENERIC_PLAN);

		if (p == NULL)
			elog(ERROR, "SPI_prepare failed for \"%s\": %s", sql, SPI_result_code_string(SPI_result));
		SPI_keepplan(p);
		*slot = p;
	}
	return *slot;
}

/*
 * The schema extension patsvc lives in, from pg_extension (what it is, not
 * what it is called: a renamed schema is still found); InvalidOid without the
 * extension.  get_extension_schema() is not exported before PostgreSQL 16.
 */
Oid
patsvc_extension_schema(void)
{
	Oid			ext = get_extension_oid("patsvc", true);
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	Oid			nsp = InvalidOid;

	if (!OidIsValid(ext))
		return InvalidOid;
	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(ext));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
		nsp = ((Form_pg_extension) GETSTRUCT(tup))->extnamespace;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return nsp;
}
