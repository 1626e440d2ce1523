/*
 * hooks.c -- hardened mode: executor, utility and object-access hooks that
 * keep protected tables, patsvc's ledgers and patsvc itself in place,
 * superusers included.  Installed only when patsvc is loaded through
 * shared_preload_libraries; every hook chains to the one installed before.
 *
 * A backend-local cache holds the protected relations (with partitions) and
 * their kind; it is rebuilt after any relcache invalidation of one of them
 * or of patsvc.protected_tables, so DML on other tables costs a binary search.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_event_trigger.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_trigger.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parse_func.h"
#include "storage/lmgr.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "patsvc.h"
#include "retention/retention.h"

bool		retention_hooks_installed = false;

static ExecutorCheckPerms_hook_type prev_check_perms = NULL;
static ProcessUtility_hook_type prev_process_utility = NULL;
static object_access_hook_type prev_object_access = NULL;

/* kinds of protected relation (patsvc._protected_relations()) */
#define KIND_RECORDS 'r'		/* protected records: rows leave through destroy_due */
#define KIND_LEDGER  'l'		/* append-only ledger: no UPDATE, DELETE, TRUNCATE */
#define KIND_HOLDS   'h'		/* holds: released by UPDATE, never deleted */
#define KIND_GUARDED 'g'		/* policies, patient facts: row rules in triggers; DDL refused */

typedef struct ProtectedRel
{
	Oid			relid;
	char		kind;
} ProtectedRel;

typedef enum CacheState
{
	CACHE_INVALID, CACHE_VALID, CACHE_BUILDING
} CacheState;

static CacheState cache_state = CACHE_INVALID;
static ProtectedRel *cache_rels = NULL;
static int	cache_nrels = 0;
static Oid	cache_registry = InvalidOid;	/* patsvc.protected_tables */
static Oid	cache_guard_fn = InvalidOid;	/* patsvc.retention_guard_row() */
static Oid	cache_schema = InvalidOid;	/* namespace patsvc (InvalidOid: none) */
static Oid	cache_extension = InvalidOid;

/*
 * Relcache invalidation callback: the list is stale when the registry, one of
 * the listed relations (a new partition invalidates its parent) or everything
 * is invalidated, and whenever patsvc was (half) absent at the last build.
 */
static void
cache_reset(Datum arg, Oid relid)
{
	int			i;

	if (cache_state != CACHE_VALID)
		return;
	if (OidIsValid(relid) && OidIsValid(cache_registry) && relid != cache_registry)
	{
		for (i = 0; i < cache_nrels; i++)
			if (cache_rels[i].relid == relid)
				break;
		if (i == cache_nrels)
			return;
	}
	cache_state = CACHE_INVALID;
}

static int
protected_rel_cmp(const void *a, const void *b)
{
	Oid			x = ((const ProtectedRel *) a)->relid,
				y = ((const ProtectedRel *) b)->relid;

	return x < y ? -1 : x > y ? 1 : 0;
}

/*
 * The protected relations: registered tables with their partitions (records),
 * patsvc's ledgers and holds; empty while nothing was ever protected or
 * destroyed, so patsvc can be dropped until then.
 */
static const char *const protected_relations_sql =
"WITH active AS (SELECT EXISTS (SELECT 1 FROM " PATSVC_SCHEMA ".protected_tables)"
"                    OR EXISTS (SELECT 1 FROM " PATSVC_SCHEMA ".destruction_certificates) AS yes)"
" SELECT DISTINCT r.relid, r.kind,"
"        coalesce(pg_catalog.to_regprocedure('" PATSVC_SCHEMA ".retention_guard_row()')::oid, 0)"
"   FROM active, LATERAL ("
"        SELECT pt.relid::oid, 'r'::\"char\" FROM " PATSVC_SCHEMA ".protected_tables p,"
"               pg_catalog.pg_partition_tree(p.relid) pt"
"        UNION ALL SELECT p.relid, 'r' FROM " PATSVC_SCHEMA ".protected_tables p"
"        UNION ALL SELECT c.oid, CASE c.relname WHEN 'retention_holds' THEN 'h'"
"                                WHEN 'retention_policies' THEN 'g' WHEN 'retention_patient_facts' THEN 'g'"
"                                ELSE 'l' END::\"char\""
"          FROM pg_catalog.pg_class c"
"         WHERE c.relnamespace = pg_catalog.to_regnamespace('" PATSVC_SCHEMA "')"
"           AND c.relname IN ('protected_tables', 'destruction_certificates', 'destruction_tokens', 'retention_events',"
"                             'retention_holds', 'retention_policies', 'retention_patient_facts',"
"                             'retention_archives')"
"        ) r(relid, kind)"
"  WHERE active.yes";

/* Reads the protected relations through SPI; no extension (or half of one), no protections. */
static void
cache_build(void)
{
	Oid			ext = get_extension_oid("patsvc", true);
	Oid			nsp = get_namespace_oid(PATSVC_SCHEMA, true);
	MemoryContext old;
	int			i;

	cache_nrels = 0;
	cache_extension = ext;
	cache_schema = nsp;
	cache_registry = OidIsValid(nsp) ? get_relname_relid("protected_tables", nsp) : InvalidOid;
	if (creating_extension || !IsTransactionState())
		return;					/* stays invalid: looked up again next time */
	if (!OidIsValid(ext))
	{
		cache_state = CACHE_VALID;	/* until the next relcache invalidation */
		return;
	}
	if (!OidIsValid(cache_registry) || !OidIsValid(get_relname_relid("destruction_certificates", nsp)))
	{
		cache_state = CACHE_VALID;	/* being dropped: nothing left to protect */
		return;
	}

	cache_state = CACHE_BUILDING;
	PG_TRY();
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		if (SPI_execute(protected_relations_sql, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "reading the protected relations failed");
		old = MemoryContextSwitchTo(TopMemoryContext);
		if (cache_rels)
			pfree(cache_rels);
		cache_rels = palloc(sizeof(ProtectedRel) * (SPI_processed + 1));
		MemoryContextSwitchTo(old);
		for (i = 0; i < (int) SPI_processed; i++)
		{
			HeapTuple	tup = SPI_tuptable->vals[i];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			bool		isnull;

			cache_rels[i].relid = DatumGetObjectId(SPI_getbinval(tup, desc, 1, &isnull));
			cache_rels[i].kind = DatumGetChar(SPI_getbinval(tup, desc, 2, &isnull));
			cache_guard_fn = DatumGetObjectId(SPI_getbinval(tup, desc, 3, &isnull));
		}
		cache_nrels = (int) SPI_processed;
		SPI_finish();
	}
	PG_CATCH();
	{
		cache_state = CACHE_INVALID;
		cache_nrels = 0;
		PG_RE_THROW();
	}
	PG_END_TRY();
	qsort(cache_rels, cache_nrels, sizeof(ProtectedRel), protected_rel_cmp);
	cache_state = CACHE_VALID;
}

/* Is any protection active?  (Builds the cache when needed.) */
static bool
protections_active(void)
{
	if (cache_state == CACHE_BUILDING)
		return false;
	if (cache_state == CACHE_INVALID)
		cache_build();
	return cache_state == CACHE_VALID && cache_nrels > 0;
}

/*
 * The kind of a protected relation, 0 for any other: the fast path of every
 * hook.  With a valid cache, an unprotected relation costs two comparisons
 * (outside the range of protected relids) or a binary search.
 */
static inline char
protected_kind(Oid relid)
{
	ProtectedRel key = {relid, 0};
	ProtectedRel *hit;

	if (unlikely(cache_state != CACHE_VALID) && !protections_active())
		return 0;
	if (cache_nrels == 0 || relid < cache_rels[0].relid || relid > cache_rels[cache_nrels - 1].relid)
		return 0;
	hit = bsearch(&key, cache_rels, cache_nrels, sizeof(ProtectedRel), protected_rel_cmp);
	return hit ? hit->kind : 0;
}

static void
refuse(const char *what, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_PATSVC_PROTECTED_OBJECT),
			 errmsg("%s", what),
			 errdetail("%s", detail),
			 errhint("patsvc is in hardened mode (shared_preload_libraries); protected records leave only through patsvc.destroy_due().")));
}

static char *
relname_of(Oid relid)
{
	char	   *name = get_rel_name(relid);

	return name ? name : psprintf("%u", relid);
}

/* ---- executor: DML on protected relations --------------------------------- */

/* The patsvc row guard is on the relation and fires always. */
static bool
guard_intact(Oid relid)
{
	Relation	rel = RelationIdGetRelation(relid);
	bool		ok = false;
	int			i;

	if (rel == NULL)
		return false;
	for (i = 0; rel->trigdesc && i < rel->trigdesc->numtriggers && !ok; i++)
	{
		Trigger    *t = &rel->trigdesc->triggers[i];

		ok = t->tgfoid == cache_guard_fn && t->tgenabled == TRIGGER_FIRES_ALWAYS &&
			TRIGGER_FOR_ROW(t->tgtype) && TRIGGER_FOR_AFTER(t->tgtype) &&
			TRIGGER_FOR_DELETE(t->tgtype) && TRIGGER_FOR_UPDATE(t->tgtype);
	}
	RelationClose(rel);
	return ok;
}

static void
check_rte(RangeTblEntry *rte)
{
	AclMode		perms = rte->requiredPerms & (ACL_INSERT | ACL_UPDATE | ACL_DELETE);
	char		kind;

	if (rte->rtekind != RTE_RELATION || perms == 0)
		return;
	kind = protected_kind(rte->relid);
	if (likely(kind == 0))
		return;
	if (SessionReplicationRole == SESSION_REPLICATION_ROLE_REPLICA && (perms & (ACL_UPDATE | ACL_DELETE)))
		refuse(psprintf("cannot modify protected table \"%s\" while session_replication_role is replica",
						relname_of(rte->relid)),
			   "Replica mode skips triggers, so patsvc refuses changes to protected tables however the setting was made.");
	if (kind == KIND_LEDGER && (perms & (ACL_UPDATE | ACL_DELETE)))
		refuse(psprintf("table \"%s\" is append-only", relname_of(rte->relid)),
			   "Its rows are kept permanently as evidence and cannot be changed or removed.");
	if (kind == KIND_HOLDS && (perms & ACL_DELETE))
		refuse(psprintf("cannot delete from \"%s\"", relname_of(rte->relid)),
			   "Holds are released with patsvc.release_hold(), never deleted.");
	if (kind == KIND_RECORDS && (perms & (ACL_UPDATE | ACL_DELETE)) &&
		!retention_destroying(rte->relid) && !guard_intact(rte->relid))
		refuse(psprintf("cannot modify protected table \"%s\": its retention trigger is missing or not ENABLE ALWAYS",
						relname_of(rte->relid)),
			   "Without its patsvc guard trigger a protected table accepts no UPDATE or DELETE.");
}

static bool
retention_check_perms(List *rangeTable, bool ereport_on_violation)
{
	ListCell   *lc;

	if (prev_check_perms && !prev_check_perms(rangeTable, ereport_on_violation))
		return false;
	foreach(lc, rangeTable)
		check_rte(lfirst_node(RangeTblEntry, lc));
	return true;
}

/* ---- utility statements --------------------------------------------------- */

static bool
is_trigger_toggle(AlterTableType t)
{
	return t == AT_EnableTrig || t == AT_EnableReplicaTrig || t == AT_DisableTrig ||
		t == AT_EnableTrigAll || t == AT_DisableTrigAll || t == AT_EnableTrigUser ||
		t == AT_DisableTrigUser;
}

static void
check_alter_table(AlterTableStmt *stmt)
{
	Oid			relid = RangeVarGetRelid(stmt->relation, NoLock, true);
	char		kind = OidIsValid(relid) ? protected_kind(relid) : 0;
	ListCell   *lc;

	if (kind == 0)
		return;
	foreach(lc, stmt->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

		if (is_trigger_toggle(cmd->subtype))
			refuse(psprintf("cannot change trigger firing on protected table \"%s\"", relname_of(relid)),
				   "The patsvc guard triggers must stay ENABLE ALWAYS.");
		if (cmd->subtype == AT_DetachPartition || cmd->subtype == AT_DetachPartitionFinalize)
			refuse(psprintf("cannot detach a partition of protected table \"%s\"", relname_of(relid)),
				   "A detached partition would leave the protection of its records.");
		if (cmd->subtype == AT_DropColumn || cmd->subtype == AT_AlterColumnType ||
			cmd->subtype == AT_SetAccessMethod)
			refuse(psprintf("cannot drop, retype or rewrite columns of protected table \"%s\"", relname_of(relid)),
				   "Dropping or converting a column destroys record content without retention checks.");
	}
}

/* Renaming the patient or anchor column (or any column) of a protected table. */
static void
check_rename(RenameStmt *stmt)
{
	Oid			relid;

	if (stmt->renameType != OBJECT_COLUMN || stmt->relation == NULL)
		return;
	relid = RangeVarGetRelid(stmt->relation, NoLock, true);
	if (OidIsValid(relid) && protected_kind(relid) != 0)
		refuse(psprintf("cannot rename columns of protected table \"%s\"", relname_of(relid)),
			   "patsvc finds the patient and anchor columns of a protected table by name.");
}

static void
check_function_change(Node *parsetree)
{
	Oid			nsp = InvalidOid;

	if (!protections_active() || creating_extension)
		return;
	if (IsA(parsetree, CreateFunctionStmt) && ((CreateFunctionStmt *) parsetree)->replace)
	{
		char	   *name;

		nsp = QualifiedNameGetCreationNamespace(((CreateFunctionStmt *) parsetree)->funcname, &name);
	}
	else if (IsA(parsetree, AlterFunctionStmt))
	{
		Oid			fn = LookupFuncWithArgs(((AlterFunctionStmt *) parsetree)->objtype,
										   ((AlterFunctionStmt *) parsetree)->func, true);

		nsp = OidIsValid(fn) ? get_func_namespace(fn) : InvalidOid;
	}
	if (OidIsValid(nsp) && nsp == cache_schema)
		refuse("cannot replace or alter functions of patsvc while records are protected",
			   "patsvc's functions enforce retention; changing them would switch the protection off.");
}

static void
check_event_trigger_change(AlterEventTrigStmt *stmt)
{
	if (!protections_active())
		return;
	if (strncmp(stmt->trigname, "patsvc_", 7) == 0)
		refuse(psprintf("cannot alter event trigger \"%s\" while records are protected", stmt->trigname),
			   "patsvc's event triggers guard protected tables.");
}

static void
retention_process_utility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
						  ProcessUtilityContext context, ParamListInfo params,
						  QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *parsetree = pstmt->utilityStmt;

	if (IsA(parsetree, AlterTableStmt))
		check_alter_table((AlterTableStmt *) parsetree);
	else if (IsA(parsetree, CreateFunctionStmt) || IsA(parsetree, AlterFunctionStmt))
		check_function_change(parsetree);
	else if (IsA(parsetree, AlterEventTrigStmt))
		check_event_trigger_change((AlterEventTrigStmt *) parsetree);
	else if (IsA(parsetree, RenameStmt))
		check_rename((RenameStmt *) parsetree);

	if (prev_process_utility)
		prev_process_utility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
}

/* ---- object access: drops (with cascades), truncates ---------------------- */

static Oid
trigger_relid(Oid trigger)
{
	Relation	rel = table_open(TriggerRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	Oid			relid = InvalidOid;

	ScanKeyInit(&key, Anum_pg_trigger_oid, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(trigger));
	scan = systable_beginscan(rel, TriggerOidIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
		relid = ((Form_pg_trigger) GETSTRUCT(tup))->tgrelid;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return relid;
}

static void
check_drop(Oid classId, Oid objectId, int subId)
{
	if (classId == RelationRelationId && protected_kind(objectId) != 0)
		refuse(subId == 0 ? psprintf("cannot drop protected table \"%s\"", relname_of(objectId))
			   : psprintf("cannot drop a column of protected table \"%s\"", relname_of(objectId)),
			   "The table holds records under retention or patsvc's evidence; DROP, DROP SCHEMA ... CASCADE and DROP OWNED are refused alike.");
	else if (classId == TriggerRelationId && protected_kind(trigger_relid(objectId)) != 0)
		refuse(psprintf("cannot drop protected table \"%s\" or its triggers", relname_of(trigger_relid(objectId))),
			   "The patsvc guard triggers and the triggers of patsvc's ledgers must stay in place.");
	else if ((classId == ProcedureRelationId && protections_active() &&
			  get_func_namespace(objectId) == cache_schema) ||
			 (classId == NamespaceRelationId && protections_active() && objectId == cache_schema) ||
			 (classId == ExtensionRelationId && protections_active() && objectId == cache_extension) ||
			 (classId == EventTriggerRelationId && protections_active() &&
			  getExtensionOfObject(classId, objectId) == cache_extension))
		refuse("cannot drop patsvc or its objects while records are protected",
			   "patsvc enforces retention of protected tables; dropping it would end their protection.");
}

static void
retention_object_access(ObjectAccessType access, Oid classId, Oid objectId, int subId, void *arg)
{
	if (prev_object_access)
		prev_object_access(access, classId, objectId, subId, arg);
	/* the common accesses (function execution, namespace search, creation) need nothing */
	if (access != OAT_DROP && access != OAT_POST_ALTER && access != OAT_TRUNCATE)
		return;

	if (access == OAT_DROP)
	{
		ObjectAccessDrop *drop = (ObjectAccessDrop *) arg;

		if (drop == NULL || (drop->dropflags & PERFORM_DELETION_INTERNAL) == 0)
			check_drop(classId, objectId, subId);
	}
	else if (access == OAT_POST_ALTER && classId == ProcedureRelationId && !creating_extension &&
			 !(arg && ((ObjectAccessPostAlter *) arg)->is_internal) &&
			 protections_active() && get_func_namespace(objectId) == cache_schema)
		refuse("cannot alter functions of patsvc while records are protected",
			   "Renaming, moving, re-owning or changing a patsvc function could switch the protection off.");
	else if (access == OAT_TRUNCATE && classId == RelationRelationId && protected_kind(objectId) != 0)
		refuse(psprintf("cannot truncate protected table \"%s\"", relname_of(objectId)),
			   "TRUNCATE would remove records without checking retention or holds, or issuing a certificate.");
}

/* ---- installation --------------------------------------------------------- */

void
retention_install_hooks(void)
{
	prev_check_perms = ExecutorCheckPerms_hook;
	ExecutorCheckPerms_hook = retention_check_perms;
	prev_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = retention_process_utility;
	prev_object_access = object_access_hook;
	object_access_hook = retention_object_access;
	CacheRegisterRelcacheCallback(cache_reset, (Datum) 0);
	retention_hooks_installed = true;
}

void
patsvc_retention_init(void)
{
	retention_install_destroy_hook();
	if (!process_shared_preload_libraries_in_progress)
		return;
	retention_install_hooks();
}
