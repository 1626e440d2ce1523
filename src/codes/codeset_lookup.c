/*
 * codeset_lookup.c -- is a code billable / active on a date of service?
 *
 * Each backend caches, per code system, the list of loaded releases (name
 * and effective range) and, per release once it is first asked about, a hash
 * table code -> (flag, first and last valid date), built with one SPI query.
 * The cache lives in a child of CacheMemoryContext.  It is dropped when a
 * relcache invalidation names a release or code table: the import functions
 * and a statement trigger on every code-set table send one, so other
 * backends rebuild after the change commits, and this backend at its next
 * command (or after a rollback).
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "core/core.h"
#include "codes/codes.h"
#include "codes/codeset.h"

Oid
codeset_relid(const char *relname)
{
	return patsvc_relid(relname);
}

Oid
codeset_typid(const char *typname)
{
	return GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid, CStringGetDatum(typname),
						   ObjectIdGetDatum(patsvc_schema_oid()));
}

/* A code of one release: valid from..to (inclusive) when flag is set. */
typedef struct CachedCode
{
	int64		code;
	bool		flag;			/* ICD-10-CM: billable; HCPCS: always true */
	DateADT		from;
	DateADT		to;
} CachedCode;

typedef struct CachedRelease
{
	char	   *name;
	DateADT		lower;			/* first day */
	DateADT		upper;			/* day after the last; DATEVAL_NOEND: open */
	HTAB	   *codes;			/* NULL until first needed */
} CachedRelease;

typedef struct CodeSystem
{
	const char *label;			/* "ICD-10-CM" */
	const char *release_table;
	const char *code_table;
	const char *import_function;
	const char *codes_query;	/* $1 release -> code, flag, from, to */
	Oid			release_relid;
	Oid			code_relid;
	uint64		generation;		/* bumped by every invalidation */
	bool		valid;
	MemoryContext cxt;
	int			nreleases;
	CachedRelease *releases;	/* ordered by lower */
	int			last;			/* index of the release found last */
	SPIPlanPtr	description_plan;	/* kept; freed when the tables are recreated */
} CodeSystem;

static CodeSystem icd10cm_system = {
	"ICD-10-CM", "icd10cm_release", "icd10cm_code", "patsvc.import_icd10cm_order()",
	"SELECT code, billable, NULL::date, NULL::date FROM " PATSVC_SCHEMA ".icd10cm_code"
	" WHERE release OPERATOR(pg_catalog.=) $1"
};

static CodeSystem hcpcs_system = {
	"HCPCS", "hcpcs_release", "hcpcs_code", "patsvc.import_hcpcs()",
	"SELECT code, true, add_date, termination_date FROM " PATSVC_SCHEMA ".hcpcs_code"
	" WHERE release OPERATOR(pg_catalog.=) $1"
};

static CodeSystem *systems[] = {&icd10cm_system, &hcpcs_system};

static void
codeset_relcache_callback(Datum arg, Oid relid)
{
	for (int i = 0; i < lengthof(systems); i++)
	{
		CodeSystem *s = systems[i];

		if (relid == InvalidOid || relid == s->release_relid || relid == s->code_relid)
		{
			s->valid = false;
			s->generation++;
		}
	}
}

static DateADT
datum_date_or(HeapTuple tup, TupleDesc desc, int attno, DateADT dflt)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, attno, &isnull);

	return isnull ? dflt : DatumGetDateADT(d);
}

/* (Re)load the list of releases; code tables are loaded per release later. */
static void
load_releases(CodeSystem *s)
{
	uint64		generation;

	patsvc_listen_relcache(codeset_relcache_callback);
	if (s->cxt == NULL)
		s->cxt = AllocSetContextCreate(CacheMemoryContext, "patsvc code sets",
									   ALLOCSET_SMALL_SIZES);
	MemoryContextReset(s->cxt);
	s->nreleases = 0;
	s->last = 0;
	if (s->code_relid != codeset_relid(s->code_table) && s->description_plan != NULL)
	{
		/* the extension was dropped and created again: the plan names old objects */
		SPI_freeplan(s->description_plan);
		s->description_plan = NULL;
	}
	s->release_relid = codeset_relid(s->release_table);
	s->code_relid = codeset_relid(s->code_table);
	generation = s->generation;

	patsvc_spi_connect();
	if (SPI_execute(psprintf("SELECT release, pg_catalog.lower(effective), pg_catalog.upper(effective)"
							 " FROM " PATSVC_SCHEMA ".%s ORDER BY 2", s->release_table),
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "patsvc: could not read %s", s->release_table);
	s->releases = MemoryContextAllocZero(s->cxt, sizeof(CachedRelease) * Max(SPI_processed, 1));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		CachedRelease *r = &s->releases[i];

		r->name = MemoryContextStrdup(s->cxt, SPI_getvalue(tup, SPI_tuptable->tupdesc, 1));
		r->lower = datum_date_or(tup, SPI_tuptable->tupdesc, 2, DATEVAL_NOBEGIN);
		r->upper = datum_date_or(tup, SPI_tuptable->tupdesc, 3, DATEVAL_NOEND);
	}
	s->nreleases = (int) SPI_processed;
	patsvc_spi_finish();
	/* an invalidation that arrived while reading means: read again next time */
	s->valid = (generation == s->generation);
}

static void
load_codes(CodeSystem *s, CachedRelease *r)
{
	HASHCTL		ctl;
	Datum		arg = CStringGetTextDatum(r->name);
	Oid			argtype = TEXTOID;
	HTAB	   *codes;

	patsvc_spi_connect();
	if (SPI_execute_with_args(s->codes_query, 1, &argtype, &arg, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "patsvc: could not read %s", s->code_table);
	ctl.keysize = sizeof(int64);
	ctl.entrysize = sizeof(CachedCode);
	ctl.hcxt = s->cxt;
	codes = hash_create("patsvc release codes", Max(SPI_processed, 16), &ctl,
						HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		int64		code = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		CachedCode *c = hash_search(codes, &code, HASH_ENTER, NULL);

		c->flag = DatumGetBool(SPI_getbinval(tup, desc, 2, &isnull));
		c->from = datum_date_or(tup, desc, 3, DATEVAL_NOBEGIN);
		c->to = datum_date_or(tup, desc, 4, DATEVAL_NOEND);
	}
	patsvc_spi_finish();
	r->codes = codes;
}

static char *
date_text(DateADT d)
{
	return DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(d)));
}

static void
pg_attribute_noreturn()
no_release_error(CodeSystem *s, DateADT date)
{
	StringInfoData loaded;

	initStringInfo(&loaded);
	for (int i = 0; i < s->nreleases; i++)
	{
		CachedRelease *r = &s->releases[i];

		appendStringInfo(&loaded, "%s%s (%s to %s)", i ? ", " : "", r->name, date_text(r->lower),
						 r->upper == DATEVAL_NOEND ? "open-ended" : date_text(r->upper - 1));
	}
	ereport(ERROR,
			(errcode(ERRCODE_PATSVC_NO_RELEASE_FOR_DATE),
			 errmsg("no %s release covers date %s", s->label, date_text(date)),
			 s->nreleases > 0
			 ? errdetail("Loaded %s releases: %s.", s->label, loaded.data)
			 : errdetail("No %s release is loaded.", s->label),
			 errhint("Load the %s release in effect on that date of service with %s.",
					 s->label, s->import_function)));
	pg_unreachable();
}

static bool
release_covers(const CachedRelease *r, DateADT date)
{
	return r->lower <= date && (r->upper == DATEVAL_NOEND || date < r->upper);
}

/* The release in effect on date, with its codes loaded; NULL when none. */
static CachedRelease *
release_in_effect(CodeSystem *s, DateADT date)
{
	CachedRelease *r = NULL;

	if (!s->valid)
		load_releases(s);
	if (s->nreleases > 0 && release_covers(&s->releases[s->last], date))
		r = &s->releases[s->last];
	for (int i = 0; r == NULL && i < s->nreleases; i++)
		if (release_covers(&s->releases[i], date))
		{
			s->last = i;
			r = &s->releases[i];
		}
	if (r != NULL && r->codes == NULL)
		load_codes(s, r);
	return r;
}

/* The release in effect on date (PS101 when none), with its codes loaded. */
static CachedRelease *
release_for_date(CodeSystem *s, DateADT date)
{
	CachedRelease *r = release_in_effect(s, date);

	if (r == NULL)
		no_release_error(s, date);
	return r;
}

static CachedCode *
code_in_effect(CodeSystem *s, int64 code, DateADT date)
{
	CachedRelease *r = release_for_date(s, date);

	return hash_search(r->codes, &code, HASH_FIND, NULL);
}

/* The public answers of codes.h: the same rules, without raising PS101. */
CodeSetAnswer
codeset_icd10cm_billable(int64 code, DateADT date)
{
	CachedRelease *r = release_in_effect(&icd10cm_system, date);
	CachedCode *c;

	if (r == NULL)
		return CODESET_NO_RELEASE;
	c = hash_search(r->codes, &code, HASH_FIND, NULL);
	return c == NULL ? CODESET_ABSENT : c->flag ? CODESET_YES : CODESET_NO;
}

CodeSetAnswer
codeset_hcpcs_active(int64 code, DateADT date)
{
	CachedRelease *r = release_in_effect(&hcpcs_system, date);
	CachedCode *c;

	if (r == NULL)
		return CODESET_NO_RELEASE;
	c = hash_search(r->codes, &code, HASH_FIND, NULL);
	return c == NULL ? CODESET_ABSENT : (c->from <= date && date <= c->to) ? CODESET_YES : CODESET_NO;
}

PG_FUNCTION_INFO_V1(patsvc_icd10cm_billable);
Datum
patsvc_icd10cm_billable(PG_FUNCTION_ARGS)
{
	CachedCode *c = code_in_effect(&icd10cm_system, PG_GETARG_INT64(0), PG_GETARG_DATEADT(1));

	PG_RETURN_BOOL(c != NULL && c->flag);
}

/* HCPCS: present in the release, on or after its add date, on or before its termination date. */
PG_FUNCTION_INFO_V1(patsvc_hcpcs_active);
Datum
patsvc_hcpcs_active(PG_FUNCTION_ARGS)
{
	DateADT		date = PG_GETARG_DATEADT(1);
	CachedCode *c = code_in_effect(&hcpcs_system, PG_GETARG_INT64(0), date);

	PG_RETURN_BOOL(c != NULL && c->from <= date && date <= c->to);
}

/* The long description in the release in effect; NULL when the code is absent. */
PG_FUNCTION_INFO_V1(patsvc_icd10cm_description);
Datum
patsvc_icd10cm_description(PG_FUNCTION_ARGS)
{
	int64		code = PG_GETARG_INT64(0);
	CachedRelease *r = release_for_date(&icd10cm_system, PG_GETARG_DATEADT(1));
	Datum		args[2];
	bool		isnull = true;
	Datum		result = (Datum) 0;

	if (hash_search(r->codes, &code, HASH_FIND, NULL) == NULL)
		PG_RETURN_NULL();
	patsvc_spi_connect();
	if (icd10cm_system.description_plan == NULL)
	{
		Oid			types[2] = {TEXTOID, codeset_typid("icd10cm")};

		patsvc_kept_plan(&icd10cm_system.description_plan,
						 "SELECT long_description FROM " PATSVC_SCHEMA ".icd10cm_code"
						 " WHERE release OPERATOR(pg_catalog.=) $1"
						 " AND code OPERATOR(" PATSVC_SCHEMA ".=) $2",
						 2, types);
	}
	args[0] = CStringGetTextDatum(r->name);
	args[1] = Int64GetDatum(code);
	if (SPI_execute_plan(icd10cm_system.description_plan, args, NULL, true, 1) == SPI_OK_SELECT && SPI_processed == 1)
	{
		result = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		if (!isnull)
			result = SPI_datumTransfer(result, false, -1);
	}
	patsvc_spi_finish();
	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(result);
}
