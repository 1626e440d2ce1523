/*
 * patsvc.c -- module entry point.
 */
#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"

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
