/*
 * insert.c -- one row written into one of patsvc's tables as
 *   INSERT INTO t (given columns) VALUES (given values) RETURNING column
 * run as the caller would run it, without SPI, a plan or an executor tree
 * (the way logical replication's apply worker writes a row): the caller's
 * privileges are checked with the executor's own function (and its hook),
 * the other columns take their defaults, domains are checked, the row
 * goes through the table's BEFORE ROW triggers, constraints, indexes and
 * AFTER ROW triggers.  For the functions applications call once per row
 * (book()), where starting the executor for a one-row INSERT costs about as
 * much as the row's indexes.
 *
 * What this path does not do -- statement triggers, transition tables,
 * rules, row-level security, partitions, typmods -- makes it answer
 * "not possible" (PATSVC_INSERT_UNSUPPORTED), and the caller runs the
 * INSERT statement through SPI instead.
 */
#include "postgres.h"

#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_class.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"
#include "rewrite/rewriteHandler.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"

#include "core/core.h"

/* the slot of the row being inserted (patsvc_direct_insert_fired_by) */
static TupleTableSlot *inserting_slot = NULL;

bool
patsvc_direct_insert_fired_by(TriggerData *td)
{
	return inserting_slot != NULL && td->tg_trigslot == inserting_slot;
}

/* Can the table take this path at all (else the caller runs its INSERT statement)? */
static bool
table_allows_direct(Relation rel)
{
	TriggerDesc *td = rel->trigdesc;

	if (rel->rd_rel->relkind != RELKIND_RELATION || rel->rd_rules != NULL)
		return false;
	if (td != NULL && (td->trig_insert_before_statement || td->trig_insert_after_statement ||
					   td->trig_insert_instead_row || td->trig_insert_new_table))
		return false;
	return check_enable_rls(RelationGetRelid(rel), InvalidOid, true) == RLS_NONE;
}

/*
 * The definition read once per relcache generation: the given columns'
 * numbers and domains, the defaults of the others (planned, as the
 * rewriter and planner would for the statement).
 */
static bool
describe(PatsvcDirectInsert *di, Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);
	MemoryContext old;

	if (di->cxt == NULL)
		di->cxt = AllocSetContextCreate(CacheMemoryContext, "patsvc direct insert", ALLOCSET_SMALL_SIZES);
	MemoryContextReset(di->cxt);
	di->relid = InvalidOid;
	Assert(di->count <= PATSVC_MAX_COLUMNS);
	old = MemoryContextSwitchTo(di->cxt);
	di->given = NULL;
	for (int i = 0; i < di->count; i++)
	{
		int			att = SPI_fnumber(desc, di->names[i]);
		Form_pg_attribute a;

		if (att <= 0)
			elog(ERROR, "table %s has no column \"%s\"", RelationGetRelationName(rel), di->names[i]);
		a = TupleDescAttr(desc, att - 1);
		if (getBaseType(a->atttypid) != di->types[i] || a->atttypmod != -1 || a->attgenerated)
		{
			MemoryContextSwitchTo(old);
			return false;
		}
		di->attnums[i] = att;
		di->domains[i] = a->atttypid != di->types[i] ? a->atttypid : InvalidOid;
		di->domain_extra[i] = NULL;
		di->given = bms_add_member(di->given, att - FirstLowInvalidHeapAttributeNumber);
	}
	di->returning_attnum = SPI_fnumber(desc, di->returning);
	if (di->returning_attnum <= 0)
		elog(ERROR, "table %s has no column \"%s\"", RelationGetRelationName(rel), di->returning);
	di->ndefaults = 0;
	di->npredicates = 0;
	di->source = palloc0(sizeof(int) * desc->natts);
	di->default_states = palloc(sizeof(ExprState *) * desc->natts);
	for (int i = 0; i < di->count; i++)
		di->source[di->attnums[i] - 1] = i + 1;
	for (int att = 1; att <= desc->natts; att++)
	{
		Node	   *def;

		if (TupleDescAttr(desc, att - 1)->attisdropped || di->source[att - 1] != 0 ||
			TupleDescAttr(desc, att - 1)->attgenerated)
			continue;
		def = build_column_default(rel, att);
		if (def == NULL)
			continue;
		/* like a predicate's, a default's state refers to no executor state */
		di->default_states[di->ndefaults++] = ExecInitExpr(expression_planner((Expr *) def), NULL);
		di->source[att - 1] = -di->ndefaults;
	}
	MemoryContextSwitchTo(old);
	di->relid = RelationGetRelid(rel);
	di->epoch = patsvc_relcache_epoch();
	return true;
}

/*
 * The partial indexes' predicates, prepared once per relcache generation
 * instead of once per statement (ExecInsertIndexTuples prepares those it
 * finds unset): an index predicate is immutable and its state refers to no
 * executor state, only to the row it is evaluated on.
 */
static void
use_kept_predicates(PatsvcDirectInsert *di, ResultRelInfo *rri)
{
	for (int i = 0; i < rri->ri_NumIndices; i++)
	{
		IndexInfo  *ii = rri->ri_IndexRelationInfo[i];
		Oid			index = RelationGetRelid(rri->ri_IndexRelationDescs[i]);
		int			k;

		if (ii->ii_Predicate == NIL)
			continue;
		for (k = 0; k < di->npredicates && di->predicate_index[k] != index; k++)
			;
		if (k == di->npredicates)
		{
			MemoryContext old;

			if (k == PATSVC_MAX_COLUMNS)
				continue;		/* left to the executor */
			old = MemoryContextSwitchTo(di->cxt);
			di->predicate_state[k] = ExecInitQual((List *) expression_planner((Expr *) copyObject(ii->ii_Predicate)),
												  NULL);
			di->predicate_index[k] = index;
			di->npredicates++;
			MemoryContextSwitchTo(old);
		}
		ii->ii_PredicateState = di->predicate_state[k];
	}
}

/* INSERT in a read-only transaction or parallel mode: the executor's errors */
static void
check_writable(void)
{
	if (XactReadOnly)
		PreventCommandIfReadOnly("INSERT");
	PreventCommandIfParallelMode("INSERT");
}

/*
 * The caller's privileges, as the executor checks them for the statement
 * (ExecutorCheckPerms_hook too), and the range table the executor's error
 * messages read the inserted columns from.
 */
static void
check_privileges(PatsvcDirectInsert *di, Relation rel, EState *estate)
{
	RangeTblEntry *rte = makeNode(RangeTblEntry);
	Bitmapset  *selected = bms_make_singleton(di->returning_attnum - FirstLowInvalidHeapAttributeNumber);

	rte->rtekind = RTE_RELATION;
	rte->relid = RelationGetRelid(rel);
	rte->relkind = rel->rd_rel->relkind;
	rte->rellockmode = RowExclusiveLock;
#if PG_VERSION_NUM >= 160000
	{
		RTEPermissionInfo *perm = makeNode(RTEPermissionInfo);

		perm->relid = rte->relid;
		perm->requiredPerms = ACL_INSERT | ACL_SELECT;
		perm->checkAsUser = InvalidOid;
		perm->selectedCols = selected;
		perm->insertedCols = bms_copy(di->given);
		rte->perminfoindex = 1;
		ExecCheckPermissions(list_make1(rte), list_make1(perm), true);
#if PG_VERSION_NUM >= 180000
		ExecInitRangeTable(estate, list_make1(rte), list_make1(perm), bms_make_singleton(1));
#else
		ExecInitRangeTable(estate, list_make1(rte), list_make1(perm));
#endif
	}
#else
	rte->requiredPerms = ACL_INSERT | ACL_SELECT;
	rte->checkAsUser = InvalidOid;
	rte->selectedCols = selected;
	rte->insertedCols = bms_copy(di->given);
	ExecCheckRTPerms(list_make1(rte), true);
	ExecInitRangeTable(estate, list_make1(rte));
#endif
}

/*
 * The row, column by column in the table's order as the statement's target
 * list is evaluated (a sequence is drawn before a later column's domain
 * error, as there): a given value with its domain checked, or the default.
 */
static void
fill_row(PatsvcDirectInsert *di, TupleTableSlot *slot, EState *estate, const Datum *values, const bool *nulls)
{
	ExprContext *econtext = GetPerTupleExprContext(estate);
	int			natts = slot->tts_tupleDescriptor->natts;
	MemoryContext old = MemoryContextSwitchTo(estate->es_query_cxt);

	ExecClearTuple(slot);
	memset(slot->tts_isnull, true, sizeof(bool) * natts);
	for (int att = 1; att <= natts; att++)
	{
		int			source = di->source[att - 1];

		if (source > 0)			/* given value source - 1 */
		{
			int			i = source - 1;

			if (OidIsValid(di->domains[i]))
				domain_check(values[i], nulls[i], di->domains[i], &di->domain_extra[i], di->cxt);
			slot->tts_values[att - 1] = values[i];
			slot->tts_isnull[att - 1] = nulls[i];
		}
		else if (source < 0)	/* default -source - 1 */
		{
			slot->tts_values[att - 1] = ExecEvalExprSwitchContext(di->default_states[-source - 1], econtext,
																  &slot->tts_isnull[att - 1]);
		}
	}
	ExecStoreVirtualTuple(slot);
	MemoryContextSwitchTo(old);
}

PatsvcInsertResult
patsvc_direct_insert(PatsvcDirectInsert *di, const Datum *values, const bool *nulls, Datum *returned,
					 bool *returned_null)
{
	Oid			relid = patsvc_relid(di->table);
	Relation	rel;
	EState	   *estate;
	ResultRelInfo *rri;
	TupleTableSlot *slot;
	PatsvcInsertResult result = PATSVC_INSERT_SKIPPED;

	if (!OidIsValid(relid))
		return PATSVC_INSERT_UNSUPPORTED;
	rel = table_open(relid, RowExclusiveLock);
	if (!table_allows_direct(rel) ||
		((di->relid != relid || di->epoch != patsvc_relcache_epoch()) && !describe(di, rel)))
	{
		table_close(rel, NoLock);	/* locked as the statement would lock it */
		return PATSVC_INSERT_UNSUPPORTED;
	}
	check_writable();

	/* as SPI runs a statement that writes: a new snapshot, the command counter advanced */
	PushActiveSnapshot(GetTransactionSnapshot());
	CommandCounterIncrement();
	UpdateActiveSnapshotCommandId();

	estate = CreateExecutorState();
	check_privileges(di, rel, estate);
	estate->es_output_cid = GetCurrentCommandId(true);
	rri = makeNode(ResultRelInfo);
	InitResultRelInfo(rri, rel, 1, NULL, 0);
	/* as the apply worker: ExecGetTriggerResultRel() finds it there */
	estate->es_opened_result_relations = lappend(estate->es_opened_result_relations, rri);
	ExecOpenIndices(rri, false);
	use_kept_predicates(di, rri);
	slot = table_slot_create(rel, &estate->es_tupleTable);
	fill_row(di, slot, estate, values, nulls);

	AfterTriggerBeginQuery();
	inserting_slot = slot;
	PG_TRY();
	{
		ExecSimpleRelationInsert(rri, estate, slot);
	}
	PG_FINALLY();
	{
		inserting_slot = NULL;
	}
	PG_END_TRY();
	/* a BEFORE trigger that returned NULL left the slot without a place in the table */
	if (ItemPointerIsValid(&slot->tts_tid))
	{
		result = PATSVC_INSERT_DONE;
		*returned = slot_getattr(slot, di->returning_attnum, returned_null);
		if (!*returned_null)
			*returned = datumCopy(*returned, TupleDescAttr(slot->tts_tupleDescriptor, di->returning_attnum - 1)->attbyval,
								  TupleDescAttr(slot->tts_tupleDescriptor, di->returning_attnum - 1)->attlen);
	}
	AfterTriggerEndQuery(estate);

	ExecCloseIndices(rri);
	ExecResetTupleTable(estate->es_tupleTable, false);
	FreeExecutorState(estate);
	table_close(rel, NoLock);
	PopActiveSnapshot();
	CommandCounterIncrement();
	return result;
}
