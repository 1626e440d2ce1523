/*
 * patsvc.c -- module entry point: the top of patsvc.  _PG_init calls the
 * init function of every area that has one (INIT_AREAS in each src/<area>/area.mk,
 * build/areas.h); nothing below includes this file.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"

#include "areas.h"				/* generated: PATSVC_AREAS_INIT() */

PG_MODULE_MAGIC;

void		_PG_init(void);

/* Runs when the library is loaded; retention's hooks install only when preloaded. */
void
_PG_init(void)
{
	PATSVC_AREAS_INIT();
}

PG_FUNCTION_INFO_V1(patsvc_version);
Datum
patsvc_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(PATSVC_VERSION));
}
