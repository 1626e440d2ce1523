/*
 * spi.c -- SPI connections, kept plans, and running as a table's owner.
 */
#include "postgres.h"

#include "executor/spi.h"
#include "miscadmin.h"

#include "core/core.h"

void
patsvc_spi_connect(void)
{
	int			rc = SPI_connect();

	if (rc != SPI_OK_CONNECT)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("patsvc could not connect to SPI: %s", SPI_result_code_string(rc))));
}

void
patsvc_spi_finish(void)
{
	int			rc = SPI_finish();

	if (rc != SPI_OK_FINISH)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("patsvc could not finish its SPI connection: %s", SPI_result_code_string(rc))));
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

void
patsvc_become_owner(Oid owner, PatsvcSavedUser *saved)
{
	GetUserIdAndSecContext(&saved->userid, &saved->sec_context);
	SetUserIdAndSecContext(owner, saved->sec_context | SECURITY_LOCAL_USERID_CHANGE | SECURITY_NOFORCE_RLS);
}

void
patsvc_restore_user(const PatsvcSavedUser *saved)
{
	SetUserIdAndSecContext(saved->userid, saved->sec_context);
}
