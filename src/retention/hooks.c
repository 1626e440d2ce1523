/*
 * hooks.c -- hardened mode: executor, utility and object-access hooks that
 * keep protected tables, patsvc's ledgers and patsvc itself in place,
 * superusers included.  Installed only when patsvc is loaded through
 * shared_preload_libraries; every hook chains to the one installed before.
 *
 * A backend-local cache answers "is this relation protected, and how?"
 * (protected_kind): a relation is classified from the catalogs the first time
 * (no SQL), then answered from a hash table, the one asked about last by a
 * single comparison; relcache invalidations keep it current.  DML on other
 * tables costs that comparison (or a hash lookup) per statement.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/transam.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_event_trigger.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "catalog/partition.h"
#include "catalog/pg_trigger.h"
#include "commands/event_trigger.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "parser/parse_func.h"
#include "storage/lmgr.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "catalog/pg_language.h"
#include "utils/builtins.h"
#include "utils/syscache.h"

#include "core/core.h"
#include "retention/retention.h"

bool		retention_hooks_installed = false;

static ExecutorCheckPerms_hook_type prev_check_perms = NULL;
static ProcessUtility_hook_type prev_process_utility = NULL;
static object_access_hook_type prev_object_access = NULL;

/* kinds of protected relation (patsvc._protected_relations()) */
#define KIND_RECORDS 'r'		/* protected records: rows leave through destroy_due */
#define KIND_LEDGER  'l'		/* append-only ledger: no UPDATE, DELETE, TRUNCATE */
#define KIND_HOLDS   LEDGER_HOLDS	/* holds: placed and released by patsvc alone, never deleted */
#define KIND_GUARDED 'g'		/* policies, patient facts: row rules in triggers; DDL refused */
/* append-only ledgers written by patsvc alone (ledgers.c): certificates, tokens, events */
#define KIND_CERTIFICATES LEDGER_CERTIFICATES
#define KIND_TOKENS LEDGER_TOKENS
#define KIND_EVENTS LEDGER_EVENTS

static inline bool
append_only_kind(char kind)
{
	return kind == KIND_LEDGER || kind == KIND_CERTIFICATES || kind == KIND_TOKENS || kind == KIND_EVENTS;
}

/* the ledgers whose INSERTs (and, for holds, UPDATEs) only patsvc's own C code makes */
static inline bool
written_by_patsvc_kind(char kind)
{
	return kind == KIND_CERTIFICATES || kind == KIND_TOKENS || kind == KIND_EVENTS || kind == KIND_HOLDS;
}

typedef struct ProtectedEntry
{
	Oid			relid;			/* hash key */
	char		kind;			/* KIND_*, or 0: not protected */
} ProtectedEntry;

/*
 * The backend-local cache.  Each relation is classified the first time a hook
 * asks about it (a few catalog lookups: the registry's primary key, the
 * partition ancestors, patsvc's own schema), then answered from a hash table;
 * the relation asked about last is answered before anything else.  The
 * globals below (patsvc's schema, extension, registry, guard function, and
 * whether anything is protected at all) are looked up again after a relcache
 * invalidation of the registry (patsvc.protected_tables' statement trigger
 * sends one) or of everything; an invalidation of one relation drops its
 * entry.  Nothing here runs SQL, so a new session pays no query planning.
 */
static HTAB *kind_cache = NULL;
static bool globals_valid = false;	/* the cache_* fields below are current */
static bool globals_refreshing = false;
static bool protections_on = false; /* something is protected, or a certificate exists */
static uint64 cache_generation = 0; /* bumped by every invalidation */
static Oid	last_relid = InvalidOid;	/* the relation asked about last... */
static char last_kind = 0;		/* ...and its kind */
static Oid	cache_registry = InvalidOid;	/* patsvc.protected_tables */
static Oid	cache_registry_pkey = InvalidOid;	/* its primary key (relid) */
static Oid	cache_guard_fn = InvalidOid;	/* patsvc.retention_guard_row() */
static Oid	cache_schema = InvalidOid;	/* namespace patsvc (InvalidOid: none) */
static Oid	cache_extension = InvalidOid;

/* What one of retention's own tables (tables.c) is, for the hooks. */
static char
table_kind(const RetentionTable *t)
{
	if (t->ledger != 0)
		return t->ledger;		/* KIND_CERTIFICATES, KIND_TOKENS, KIND_EVENTS, KIND_HOLDS */
	return (t->flags & RT_APPEND_ONLY) ? KIND_LEDGER : KIND_GUARDED;
}

/*
 * Relcache invalidation callback (no catalog access here): every invalidation
 * bumps the generation and forgets the relation asked about last; one of the
 * registry, of everything, or any while patsvc's registry was not found,
 * makes the globals stale; one of a single relation drops its entry.
 */
static void
cache_reset(Datum arg, Oid relid)
{
	cache_generation++;
	last_relid = InvalidOid;
	if (!OidIsValid(relid) || !OidIsValid(cache_registry) || relid == cache_registry)
		globals_valid = false;
	else if (kind_cache != NULL)
		hash_search(kind_cache, &relid, HASH_REMOVE, NULL);
}

/* Does the table have a row?  (patsvc's registry and certificates; no SQL, no privilege check) */
static bool
table_has_rows(Oid relid)
{
	Relation	rel = table_open(relid, AccessShareLock);
	SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	bool		found = HeapTupleIsValid(systable_getnext(scan));

	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

/*
 * Looks up the globals; false when it cannot now (during CREATE EXTENSION,
 * outside a transaction), which counts as "nothing protected" this time.
 * They are kept (globals_valid) only if no invalidation arrived meanwhile.
 */
static bool
refresh_globals(void)
{
	uint64		generation = cache_generation;
	Oid			nsp,
				certificates;
	HASHCTL		ctl;

	if (globals_refreshing || creating_extension || !IsTransactionState())
		return false;
	globals_refreshing = true;
	PG_TRY();
	{
		cache_extension = get_extension_oid("patsvc", true);
		nsp = patsvc_schema_oid();
		cache_schema = nsp;
		cache_registry = patsvc_relid("protected_tables");
		cache_registry_pkey = patsvc_relid("protected_tables_pkey");
		certificates = patsvc_relid("destruction_certificates");
		cache_guard_fn = OidIsValid(nsp) ?
			LookupFuncName(list_make2(makeString(get_namespace_name(nsp)), makeString("retention_guard_row")),
						   0, NULL, true) :
			InvalidOid;
		/* no extension, or half of one (being dropped): nothing left to protect */
		protections_on = OidIsValid(cache_extension) && OidIsValid(cache_registry) &&
			OidIsValid(cache_registry_pkey) && OidIsValid(certificates) &&
			(table_has_rows(cache_registry) || table_has_rows(certificates));
	}
	PG_FINALLY();
	{
		globals_refreshing = false;
	}
	PG_END_TRY();
	if (kind_cache != NULL)
		hash_destroy(kind_cache);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(ProtectedEntry);
	kind_cache = hash_create("patsvc protected relations", 64, &ctl, HASH_ELEM | HASH_BLOBS);
	last_relid = InvalidOid;
	globals_valid = (generation == cache_generation);
	return true;
}

/* Is any protection active?  (Looks the globals up when needed.) */
static bool
protections_active(void)
{
	if (likely(globals_valid))
		return protections_on;
	return refresh_globals() && protections_on;
}

/* Is relid registered in patsvc.protected_tables?  (An index lookup.) */
static bool
registered(Oid relid)
{
	return retention_registry_has(cache_registry, cache_registry_pkey, relid);
}

/* The kind of a relation, from the catalogs: registered (or a partition of one), or one of patsvc's tables. */
static char
classify(Oid relid)
{
	Oid			nsp = get_rel_namespace(relid);

	if (!OidIsValid(nsp))
		return 0;				/* no such relation (any more) */
	if (registered(relid))
		return KIND_RECORDS;
	if (get_rel_relispartition(relid))
	{
		List	   *ancestors = get_partition_ancestors(relid);
		ListCell   *lc;
		bool		found = false;

		foreach(lc, ancestors)
			if (!found && registered(lfirst_oid(lc)))
				found = true;
		list_free(ancestors);
		if (found)
			return KIND_RECORDS;
	}
	if (nsp == cache_schema)
	{
		const RetentionTable *t = retention_table_named(get_rel_name(relid));

		if (t != NULL)
			return table_kind(t);
	}
	return 0;
}

static char
protected_kind_lookup(Oid relid)
{
	uint64		generation;
	ProtectedEntry *entry;
	char		kind;

	if (!protections_active())
		return 0;
	generation = cache_generation;
	entry = (ProtectedEntry *) hash_search(kind_cache, &relid, HASH_FIND, NULL);
	if (entry != NULL)
		kind = entry->kind;
	else
	{
		kind = classify(relid);
		if (generation != cache_generation || !globals_valid)
			return kind;		/* an invalidation arrived meanwhile: use it, keep nothing */
		entry = (ProtectedEntry *) hash_search(kind_cache, &relid, HASH_ENTER, NULL);
		entry->kind = kind;
	}
	last_relid = relid;
	last_kind = kind;
	return kind;
}

/*
 * The kind of a protected relation, 0 for any other: the fast path of every
 * hook.  The relation asked about last (e.g. the table of a repeated DELETE)
 * costs one comparison; any other relation seen before, a hash lookup.
 */
static inline char
protected_kind(Oid relid)
{
	if (likely(relid == last_relid && globals_valid))
		return last_kind;
	return protected_kind_lookup(relid);
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

	/*
	 * SELECT ... FOR UPDATE / FOR KEY SHARE asks for UPDATE too, with no column
	 * to update: a row lock (a foreign-key check, say) changes nothing.
	 */
	if ((perms & ACL_UPDATE) && bms_is_empty(rte->updatedCols))
		perms &= ~ACL_UPDATE;
	if (rte->rtekind != RTE_RELATION || perms == 0)
		return;
	kind = protected_kind(rte->relid);
	if (likely(kind == 0))
		return;
	if (SessionReplicationRole == SESSION_REPLICATION_ROLE_REPLICA && (perms & (ACL_UPDATE | ACL_DELETE)))
		refuse(psprintf("cannot modify protected table \"%s\" while session_replication_role is replica",
						relname_of(rte->relid)),
			   "Replica mode skips triggers, so patsvc refuses changes to protected tables however the setting was made.");
	if (append_only_kind(kind) && (perms & (ACL_UPDATE | ACL_DELETE)))
		refuse(psprintf("table \"%s\" is append-only", relname_of(rte->relid)),
			   "Its rows are kept permanently as evidence and cannot be changed or removed.");
	if (kind == KIND_HOLDS && (perms & ACL_DELETE))
		refuse(psprintf("cannot delete from \"%s\"", relname_of(rte->relid)),
			   "Holds are released with patsvc.release_hold(), never deleted.");
	/* ledgers: rows only from patsvc's own writes, its scripts, or a restore (ledgers.c) */
	if (written_by_patsvc_kind(kind))
	{
		if ((perms & ACL_INSERT) && !ledger_write_allowed(kind, rte->relid, CMD_INSERT))
			ledger_refuse_write(kind, CMD_INSERT);
		if ((perms & ACL_UPDATE) && !ledger_write_allowed(kind, rte->relid, CMD_UPDATE))
			ledger_refuse_write(kind, CMD_UPDATE);
	}
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

/* ---- page- and file-level tools ------------------------------------------- */

/*
 * Contrib modules whose functions remove or rewrite rows or relation files
 * beneath the executor, where no trigger or executor hook sees them:
 * pg_surgery (heap_force_kill, heap_force_freeze) and adminpack
 * (pg_file_unlink, pg_file_write, pg_file_rename, pg_file_sync).  While
 * records are protected they are neither installed nor called, whatever name
 * a function calling their library was given (found by its library).
 */
static const char *const page_tool_modules[] = {"pg_surgery", "adminpack"};

static const char *
page_tool_of_library(const char *probin)
{
	int			i;

	for (i = 0; probin != NULL && i < lengthof(page_tool_modules); i++)
		if (strstr(probin, page_tool_modules[i]) != NULL)
			return page_tool_modules[i];
	return NULL;
}

static void
check_create_extension(CreateExtensionStmt *stmt)
{
	int			i;

	if (!protections_active())
		return;
	for (i = 0; i < lengthof(page_tool_modules); i++)
		if (strcmp(stmt->extname, page_tool_modules[i]) == 0)
			refuse(psprintf("cannot install extension \"%s\" while records are protected", stmt->extname),
				   "Its functions remove or rewrite rows or files beneath the executor, where retention cannot see them.");
}

/* Before a C function of a page tool runs (OAT_FUNCTION_EXECUTE: once per expression). */
static void
check_function_execute(Oid fn)
{
	HeapTuple	tup;
	const char *module = NULL;

	/*
	 * Built-in functions (textcat, int4pl, ...: most of what a statement
	 * calls) are none of them, and are answered without a catalog lookup: a
	 * page tool's functions are created by CREATE EXTENSION or CREATE
	 * FUNCTION, so their OIDs are at least FirstNormalObjectId.
	 */
	if (fn < FirstNormalObjectId || !protections_active())
		return;
	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn));
	if (!HeapTupleIsValid(tup))
		return;
	if (((Form_pg_proc) GETSTRUCT(tup))->prolang == ClanguageId)
	{
		bool		isnull;
		Datum		probin = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_probin, &isnull);

		if (!isnull)
			module = page_tool_of_library(TextDatumGetCString(probin));
	}
	ReleaseSysCache(tup);
	if (module != NULL)
		refuse(psprintf("cannot call %s's function %s while records are protected", module, get_func_name(fn)),
			   "It removes or rewrites rows or files beneath the executor, where retention cannot see them.");
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
		if (cmd->subtype == AT_DropColumn)
			refuse(psprintf("cannot drop column \"%s\" of protected table \"%s\"", cmd->name, relname_of(relid)),
				   "Dropping a column destroys record content without retention checks.");
		if (cmd->subtype == AT_AlterColumnType)
			refuse(psprintf("cannot change the type of column \"%s\" of protected table \"%s\"", cmd->name,
							relname_of(relid)),
				   "Converting a column rewrites record content without retention checks.");
		if (cmd->subtype == AT_SetAccessMethod)
			refuse(psprintf("cannot change the access method of protected table \"%s\"", relname_of(relid)),
				   "SET ACCESS METHOD rewrites every record into another storage without retention checks.");
		if (cmd->subtype == AT_SetUnLogged)
			refuse(psprintf("cannot make protected table \"%s\" unlogged", relname_of(relid)),
				   "An unlogged table comes back empty after a crash and never reaches WAL, backups taken from it or replicas.");
	}
}

/*
 * patsvc's own objects (its schema, the relations in it, its event triggers)
 * are found by name by patsvc's SQL: renaming or moving one would switch
 * retention off in every new session.  Refused in hardened mode whether or not
 * anything is protected yet (ALTER EXTENSION UPDATE may).
 */
static void
refuse_patsvc_object(const char *what, const char *name)
{
	ereport(ERROR,
			(errcode(ERRCODE_PATSVC_PROTECTED_OBJECT),
			 errmsg("cannot %s patsvc's %s", what, name),
			 errdetail("patsvc finds its schema, tables, indexes, sequences and event triggers by what they are called; renaming or moving one would switch retention off."),
			 errhint("Leave patsvc's objects as CREATE EXTENSION made them; ALTER EXTENSION patsvc UPDATE changes them.")));
}

static bool
in_patsvc_schema(Oid relid)
{
	Oid			nsp = OidIsValid(relid) ? get_rel_namespace(relid) : InvalidOid;

	return OidIsValid(nsp) && nsp == patsvc_schema_oid();
}

/* Renames: columns of protected tables, guard triggers, patsvc's own objects. */
static void
check_rename(RenameStmt *stmt)
{
	Oid			relid;

	if (creating_extension)
		return;
	switch (stmt->renameType)
	{
		case OBJECT_SCHEMA:
			if (OidIsValid(patsvc_schema_oid()) &&
				get_namespace_oid(stmt->subname, true) == patsvc_schema_oid())
				refuse_patsvc_object("rename", psprintf("schema \"%s\"", stmt->subname));
			return;
		case OBJECT_EVENT_TRIGGER:
			{
				/* the event trigger's name is the object, not subname */
				const char *name = strVal(stmt->object);
				Oid			evt = get_event_trigger_oid(name, true);
				Oid			ext = get_extension_oid("patsvc", true);

				if (OidIsValid(evt) && OidIsValid(ext) &&
					getExtensionOfObject(EventTriggerRelationId, evt) == ext)
					refuse_patsvc_object("rename", psprintf("event trigger \"%s\"", name));
				return;
			}
		case OBJECT_TABLE:
		case OBJECT_INDEX:
		case OBJECT_SEQUENCE:
		case OBJECT_VIEW:
		case OBJECT_MATVIEW:
		case OBJECT_FOREIGN_TABLE:
		case OBJECT_TABCONSTRAINT:
		case OBJECT_TRIGGER:
		case OBJECT_COLUMN:
			break;
		default:
			return;
	}
	if (stmt->relation == NULL)
		return;
	relid = RangeVarGetRelid(stmt->relation, NoLock, true);
	if (!OidIsValid(relid))
		return;
	if (in_patsvc_schema(relid))
		refuse_patsvc_object("rename", psprintf("relation \"%s\" or its parts", relname_of(relid)));
	if (stmt->renameType == OBJECT_COLUMN && protected_kind(relid) != 0)
		refuse(psprintf("cannot rename column \"%s\" of protected table \"%s\"", stmt->subname, relname_of(relid)),
			   "patsvc finds the patient and anchor columns of a protected table by name.");
	if (stmt->renameType == OBJECT_TRIGGER && protected_kind(relid) != 0 &&
		strncmp(stmt->subname, "patsvc_", 7) == 0)
		refuse(psprintf("cannot rename trigger \"%s\" of protected table \"%s\"", stmt->subname, relname_of(relid)),
			   "The patsvc guard triggers are checked by name in basic mode.");
}

/*
 * CREATE TRIGGER or CREATE RULE on retention's own tables (the registry,
 * ledgers, holds, policies, facts): code of one's own there would run while
 * patsvc writes them, with its permission to.  Refused at any time in
 * hardened mode, except by patsvc's own scripts; patsvc also refuses to
 * write a ledger that has such a trigger or rule (ledgers.c, every mode).
 */
static void
check_new_trigger_or_rule(RangeVar *relation, const char *what)
{
	Oid			relid;
	char	   *name;

	if (creating_extension || relation == NULL)
		return;
	relid = RangeVarGetRelid(relation, NoLock, true);
	if (!in_patsvc_schema(relid) || (name = get_rel_name(relid)) == NULL)
		return;
	if (retention_table_named(name) != NULL)
		refuse(psprintf("cannot create a %s on patsvc's table \"%s\"", what, name),
			   "Code of one's own on patsvc's retention tables would run while patsvc writes them.");
}

/* ALTER ... SET SCHEMA of patsvc's relations (or anything into/out of it that patsvc owns). */
static void
check_set_schema(AlterObjectSchemaStmt *stmt)
{
	Oid			relid;

	if (creating_extension || stmt->relation == NULL)
		return;
	relid = RangeVarGetRelid(stmt->relation, NoLock, true);
	if (in_patsvc_schema(relid))
		refuse_patsvc_object("move", psprintf("relation \"%s\"", relname_of(relid)));
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
	Oid			evt = get_event_trigger_oid(stmt->trigname, true);

	if (!protections_active() || creating_extension)
		return;
	/* patsvc's own by membership, so a renamed one is still known */
	if (OidIsValid(evt) && getExtensionOfObject(EventTriggerRelationId, evt) == cache_extension)
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
	else if (IsA(parsetree, AlterObjectSchemaStmt))
		check_set_schema((AlterObjectSchemaStmt *) parsetree);
	else if (IsA(parsetree, CreateExtensionStmt))
		check_create_extension((CreateExtensionStmt *) parsetree);
	else if (IsA(parsetree, CreateTrigStmt))
		check_new_trigger_or_rule(((CreateTrigStmt *) parsetree)->relation, "trigger");
	else if (IsA(parsetree, RuleStmt))
		check_new_trigger_or_rule(((RuleStmt *) parsetree)->relation, "rule");

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
			  get_func_namespace(objectId) == cache_schema &&
			  !(creating_extension && CurrentExtensionObject == cache_extension)) ||
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
	if (access == OAT_FUNCTION_EXECUTE)
	{
		check_function_execute(objectId);
		return;
	}
	/* the other common accesses (namespace search, creation) need nothing */
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
	patsvc_listen_relcache(cache_reset);
	retention_hooks_installed = true;
}

void
retention_init(void)
{
	retention_install_destroy_hook();
	retention_listen_to_visits();
	if (!process_shared_preload_libraries_in_progress)
		return;
	retention_install_hooks();
}
