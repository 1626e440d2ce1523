/*
 * registry.c -- the registry area's C: the time-zone check of
 * patsvc.locations.time_zone (is_time_zone).
 */
#include "postgres.h"

#include "fmgr.h"
#include "pgtime.h"
#include "utils/builtins.h"

#include "core/core.h"

PG_FUNCTION_INFO_V1(patsvc_is_time_zone);

/* true when name is a zone of the server's IANA database (pg_tzset accepts it) */
Datum
patsvc_is_time_zone(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));

	PG_RETURN_BOOL(name[0] != '\0' && pg_tzset(name) != NULL);
}
