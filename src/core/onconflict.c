/*
 * onconflict.c -- is a statement with ON CONFLICT running in this backend?
 *
 * A BEFORE ROW INSERT trigger cannot see whether its INSERT has an
 * ON CONFLICT clause, yet such an INSERT may not insert the row (DO NOTHING)
 * or turn it into an UPDATE (DO UPDATE) after the trigger wrote what it
 * writes for a new row.  So appointments_enforce probes the primary key for
 * the row's id (id_taken), about 5 % of a bulk load.  The executor hooks
 * here count the statements with an ON CONFLICT clause that have started
 * and not ended; the probe is needed only while one runs.
 *
 * Where it cannot know, it answers "possible": a statement that ended with
 * an error is forgotten only when the top-level transaction ends, and in the
 * transaction that loaded the library (statements may have started before
 * the hooks were there) every INSERT counts as one that may have ON CONFLICT.
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "nodes/plannodes.h"

#include "core/core.h"

static ExecutorStart_hook_type prev_executor_start = NULL;
static ExecutorEnd_hook_type prev_executor_end = NULL;

/* statements with ON CONFLICT started and not ended (cleared at transaction end) */
static int	running = 0;

/* false until the first transaction end after the library was loaded inside a transaction */
static bool known = false;

bool
patsvc_on_conflict_possible(TriggerData *td)
{
	/* patsvc_direct_insert's row comes from no statement and has no ON CONFLICT */
	if (patsvc_direct_insert_fired_by(td))
		return false;
	return !known || running > 0;
}

/* ModifyTable is the top node of the statement's plan or of a data-modifying CTE's (a subplan). */
static bool
has_on_conflict(PlannedStmt *stmt)
{
	ListCell   *lc;

	if (stmt == NULL || (stmt->commandType != CMD_INSERT && !stmt->hasModifyingCTE))
		return false;
	if (stmt->planTree != NULL && IsA(stmt->planTree, ModifyTable) &&
		((ModifyTable *) stmt->planTree)->onConflictAction != ONCONFLICT_NONE)
		return true;
	foreach(lc, stmt->subplans)
	{
		Plan	   *plan = (Plan *) lfirst(lc);

		if (plan != NULL && IsA(plan, ModifyTable) && ((ModifyTable *) plan)->onConflictAction != ONCONFLICT_NONE)
			return true;
	}
	return false;
}

static void
on_conflict_executor_start(QueryDesc *queryDesc, int eflags)
{
	if (prev_executor_start)
		prev_executor_start(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
	if (has_on_conflict(queryDesc->plannedstmt))
		running++;
}

static void
on_conflict_executor_end(QueryDesc *queryDesc)
{
	if (has_on_conflict(queryDesc->plannedstmt) && running > 0)
		running--;
	if (prev_executor_end)
		prev_executor_end(queryDesc);
	else
		standard_ExecutorEnd(queryDesc);
}

static void
on_conflict_xact_end(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			running = 0;
			known = true;
			break;
		default:
			break;
	}
}

void
core_init(void)
{
	prev_executor_start = ExecutorStart_hook;
	ExecutorStart_hook = on_conflict_executor_start;
	prev_executor_end = ExecutorEnd_hook;
	ExecutorEnd_hook = on_conflict_executor_end;
	RegisterXactCallback(on_conflict_xact_end, NULL);
	/* loaded outside a transaction (preloaded): nothing can be running yet */
	known = !IsTransactionState();
}
