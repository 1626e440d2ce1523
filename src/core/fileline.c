/*
 * fileline.c -- the error of an imported file's malformed line, one shape
 * for every importer (CMS code sets, NCCI edits): the line number, the
 * file's kind, what is wrong, how the line begins when known, that nothing
 * was imported, and the layout expected as the hint.
 */
#include "postgres.h"

#include "core/core.h"

void
patsvc_bad_file_line_va(int sqlerrcode, const char *kind, int lineno, const char *excerpt, const char *layout,
						const char *fmt, va_list args)
{
	char		what[512];

	vsnprintf(what, sizeof(what), fmt, args);
	ereport(ERROR,
			(errcode(sqlerrcode),
			 errmsg("malformed line %d in %s: %s", lineno, kind, what),
			 excerpt != NULL
			 ? errdetail("Line %d begins \"%s\". Nothing was imported.", lineno, excerpt)
			 : errdetail("Nothing was imported."),
			 errhint("%s", layout)));
	pg_unreachable();
}
