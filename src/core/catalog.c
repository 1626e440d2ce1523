/*
 * catalog.c -- patsvc's schema and relations, trigger functions bound to
 * patsvc's tables, and the privilege a SECURITY DEFINER function stands in for.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_extension.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "catalog/pg_type.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "core/core.h"

/*
 * The schema extension patsvc lives in, from pg_extension (what it is, not
 * what it is called: a renamed schema is still found); InvalidOid without the
 * extension.  get_extension_schema() is not exported before PostgreSQL 16.
 */
static Oid
extension_schema(void)
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

static Oid	schema_oid = InvalidOid;

static void
schema_forget(Datum arg, int cacheid, uint32 hashvalue)
{
	schema_oid = InvalidOid;
}

Oid
patsvc_schema_oid(void)
{
	static bool registered = false;

	if (!registered)
	{
		CacheRegisterSyscacheCallback(NAMESPACEOID, schema_forget, (Datum) 0);
		registered = true;
	}
	if (!OidIsValid(schema_oid))
		schema_oid = extension_schema();
	return schema_oid;
}

Oid
patsvc_relid(const char *name)
{
	Oid			nsp = patsvc_schema_oid();

	return OidIsValid(nsp) ? get_relname_relid(name, nsp) : InvalidOid;
}

Oid
patsvc_table_owner(const char *name)
{
	Oid			rel = patsvc_relid(name);
	HeapTuple	tup;
	Oid			owner;

	if (!OidIsValid(rel))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table %s.%s does not exist", PATSVC_SCHEMA, name),
				 errhint("Install patsvc with CREATE EXTENSION patsvc, or bring it up to date with ALTER EXTENSION patsvc UPDATE.")));
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(rel));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", rel);
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}

/* ---- trigger functions bound to their tables ------------------------------ */

bool
patsvc_is_own_table(Relation rel, const char *const *tables)
{
	Oid			nsp = patsvc_schema_oid();

	if (!OidIsValid(nsp) || RelationGetNamespace(rel) != nsp)
		return false;
	if (tables == NULL)
		return true;
	for (; *tables != NULL; tables++)
		if (strcmp(RelationGetRelationName(rel), *tables) == 0)
			return true;
	return false;
}

/* PS001: trigger tgname runs function fn on table relname, made for allowed (the one message of the rule). */
static void
refuse_trigger_table(const char *fn, const char *allowed, const char *relname, const char *tgname)
{
	ereport(ERROR,
			(errcode(ERRCODE_PATSVC_WRONG_TRIGGER_TABLE),
			 errmsg("trigger function %s.%s() cannot run on table \"%s\"", PATSVC_SCHEMA, fn, relname),
			 errdetail("It works only on %s, where patsvc attaches it.", allowed),
			 errhint("Drop trigger \"%s\" from table \"%s\"; patsvc's trigger functions are not for other tables.",
					 tgname, relname)));
}

/* PS001 for a trigger function fired on a table it was not made for; allowed says which ones it was made for. */
void
patsvc_refuse_trigger_table(FunctionCallInfo fcinfo, const char *fn, const char *allowed)
{
	TriggerData *td = (TriggerData *) fcinfo->context;

	refuse_trigger_table(fn, allowed, RelationGetRelationName(td->tg_relation), td->tg_trigger->tgname);
}

/* "patsvc.a, patsvc.b and patsvc.c" */
static void
append_table_list(StringInfo out, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		appendStringInfo(out, "%s%s.%s", i == 0 ? "" : (i == n - 1 ? " and " : ", "), PATSVC_SCHEMA, names[i]);
}

void
patsvc_trigger_bound(FunctionCallInfo fcinfo, const char *fn, const char *const *tables)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	StringInfoData allowed;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s.%s() must be called as a trigger", PATSVC_SCHEMA, fn),
				 errhint("Use it only in the triggers patsvc's install script creates.")));
	if (likely(patsvc_is_own_table(td->tg_relation, tables)))
		return;
	initStringInfo(&allowed);
	if (tables == NULL)
		appendStringInfo(&allowed, "the tables of schema %s", PATSVC_SCHEMA);
	else
	{
		int			n = 0;

		while (tables[n] != NULL)
			n++;
		append_table_list(&allowed, tables, n);
	}
	patsvc_refuse_trigger_table(fcinfo, fn, allowed.data);
}

/*
 * patsvc._trigger_bound(tg_relid, tg_name, fn, VARIADIC tables regclass[]):
 * the same rule for the PL/pgSQL trigger functions, which call it first with
 * their TG_RELID and TG_NAME: returns when the trigger fires on one of
 * tables, raises PS001 (the message above) otherwise.
 */
PG_FUNCTION_INFO_V1(patsvc_trigger_bound_sql);
Datum
patsvc_trigger_bound_sql(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	char	   *tgname = NameStr(*PG_GETARG_NAME(1));
	char	   *fn = text_to_cstring(PG_GETARG_TEXT_PP(2));
	ArrayType  *tables = PG_GETARG_ARRAYTYPE_P(3);
	Datum	   *oids;
	bool	   *nulls;
	int			n;
	const char **names;
	StringInfoData allowed;
	char	   *relname;

	deconstruct_array(tables, REGCLASSOID, sizeof(Oid), true, TYPALIGN_INT, &oids, &nulls, &n);
	for (int i = 0; i < n; i++)
		if (!nulls[i] && DatumGetObjectId(oids[i]) == relid)
			PG_RETURN_VOID();
	names = palloc(sizeof(char *) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		char	   *name = nulls[i] ? NULL : get_rel_name(DatumGetObjectId(oids[i]));

		names[i] = name ? name : "?";
	}
	initStringInfo(&allowed);
	append_table_list(&allowed, names, n);
	relname = get_rel_name(relid);
	refuse_trigger_table(fn, allowed.data, relname ? relname : "?", tgname);
	PG_RETURN_VOID();			/* not reached */
}

/* ---- SECURITY DEFINER functions check the right they stand in for --------- */

void
patsvc_require_table_privilege(Oid relid, AclMode mode, const char *privilege, const char *fn, const char *hint)
{
	Oid			roleid = GetOuterUserId();
	char	   *relname = get_rel_name(relid);

	if (relname == NULL)
		return;					/* no such table: the function itself says so */
	if (pg_class_aclcheck(relid, roleid, mode) == ACLCHECK_OK)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied for table %s", relname),
			 errdetail("%s.%s() stands in for %s on the table: role \"%s\" needs that privilege as well as EXECUTE on the function.",
					   PATSVC_SCHEMA, fn, privilege, GetUserNameFromId(roleid, false)),
			 errhint("%s", hint)));
}
