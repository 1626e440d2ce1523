/*
 * ledgers.c -- patsvc's ledgers take rows from patsvc alone.
 *
 * The certificates of destruction, their tokens, the event log and the legal
 * holds are evidence: a row in them says that something happened.  So they
 * are written only by patsvc's own C code, which permits one kind of write
 * (INSERT or UPDATE) to one ledger around the one statement of its own it
 * runs (ledger_execute), the way destroy_due()'s destroying flag scopes its
 * DELETEs; the permission is backend-local and cleared however the statement
 * ends.  Who writes what:
 *
 *   destruction_certificates  patsvc._certify(), inside destroy_due() and
 *                             destroy_early() (certificates.c), one per run
 *   destruction_tokens        patsvc._store_tokens(), inside them (tokens.c)
 *   retention_events          ledger_log(): the hold functions below, the
 *                             destruction, and the trigger _log_change() on
 *                             policies, patient facts, protections, archives
 *   retention_holds           place_hold() (INSERT), release_hold() (UPDATE)
 *
 * The ENABLE ALWAYS trigger patsvc_by_patsvc_only (_ledger_guard, every mode,
 * every role) and, in hardened mode, the executor hook (superusers, who could
 * disable a trigger) refuse every other INSERT or UPDATE of these tables.
 * They let two more writers through: patsvc's own install and update scripts,
 * and a restore -- a superuser with session_replication_role = replica
 * writing a ledger that held no row before the statement (pg_dump restores
 * each table with one COPY).  Before each write patsvc refuses a ledger that
 * has a rule or a trigger that is not patsvc's (PS312): it would run with the
 * permission.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/dependency.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "core/core.h"
#include "retention/retention.h"

/* The writes patsvc's C code is making right now: one bit per ledger and kind of write. */
static uint32 ledger_scope = 0;

/* The ledger's place in retention's table list (tables.c): its bits in ledger_scope. */
static int
ledger_index(char ledger)
{
	for (int i = 0; i < retention_table_count(); i++)
		if (retention_table_at(i)->ledger == ledger)
			return i;
	elog(ERROR, "patsvc: unknown ledger '%c'", ledger);
	return -1;					/* keep the compiler quiet */
}

static uint32
scope_bit(char ledger, CmdType op)
{
	return (uint32) 1 << (ledger_index(ledger) * 2 + (op == CMD_UPDATE ? 1 : 0));
}

/* The ledger of that name in patsvc's schema (the caller has checked the schema), or 0. */
char
ledger_of_name(const char *relname)
{
	const RetentionTable *t = retention_table_named(relname);

	return t != NULL ? t->ledger : 0;
}

static const char *
ledger_name(char ledger)
{
	return retention_table_at(ledger_index(ledger))->name;
}

static Oid
ledger_relid(char ledger)
{
	Oid			relid = patsvc_relid(ledger_name(ledger));

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table %s.%s does not exist", PATSVC_SCHEMA, ledger_name(ledger)),
				 errhint("Install patsvc with CREATE EXTENSION patsvc.")));
	return relid;
}

/* "schema.table", as regclass prints it where the schema is not on the search path. */
char *
retention_qualified_name(Oid relid)
{
	char	   *name = get_rel_name(relid);
	char	   *nsp = name ? get_namespace_name(get_rel_namespace(relid)) : NULL;

	if (name == NULL || nsp == NULL)
		return psprintf("%u", relid);
	return quote_qualified_identifier(nsp, name);
}

/* patsvc's own install or update script is running (CREATE / ALTER EXTENSION patsvc). */
static bool
patsvc_script_running(void)
{
	return creating_extension && OidIsValid(CurrentExtensionObject) &&
		CurrentExtensionObject == get_extension_oid("patsvc", true);
}

/*
 * A restore: a superuser in replica mode writing a ledger that held no row
 * visible before the current statement (rows of the statement itself, a
 * COPY of the whole table, do not count).  The answer is kept for the rest
 * of the statement, so a COPY looks once.
 */
static Oid	restore_relid = InvalidOid;
static LocalTransactionId restore_lxid = InvalidLocalTransactionId;
static CommandId restore_cid = InvalidCommandId;

static bool
ledger_restore(Oid relid)
{
	CommandId	cid = GetCurrentCommandId(false);
	Relation	rel;
	Snapshot	snapshot;
	TableScanDesc scan;
	TupleTableSlot *slot;
	bool		empty;

	if (SessionReplicationRole != SESSION_REPLICATION_ROLE_REPLICA || !superuser())
		return false;
	if (relid == restore_relid && MyProc->lxid == restore_lxid && cid == restore_cid)
		return true;
	rel = table_open(relid, AccessShareLock);
	/* the statement's snapshot: it sees earlier statements' rows, not its own */
	snapshot = RegisterSnapshot(ActiveSnapshotSet() ? GetActiveSnapshot() : GetTransactionSnapshot());
	scan = table_beginscan(rel, snapshot, 0, NULL);
	slot = table_slot_create(rel, NULL);
	empty = !table_scan_getnextslot(scan, ForwardScanDirection, slot);
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	UnregisterSnapshot(snapshot);
	table_close(rel, AccessShareLock);
	if (empty)
	{
		restore_relid = relid;
		restore_lxid = MyProc->lxid;
		restore_cid = cid;
	}
	return empty;
}

/*
 * May this INSERT or UPDATE of the ledger happen?  patsvc's own write of that
 * kind, patsvc's script, or (INSERT only) a restore.
 */
bool
ledger_write_allowed(char ledger, Oid relid, CmdType op)
{
	if (ledger_scope & scope_bit(ledger, op))
		return true;
	if (patsvc_script_running())
		return true;
	return op == CMD_INSERT && ledger_restore(relid);
}

void
ledger_refuse_write(char ledger, CmdType op)
{
	const char *what;
	const char *detail;

	switch (ledger)
	{
		case LEDGER_CERTIFICATES:
			what = "certificates are issued by patsvc.destroy_due() and destroy_early() alone";
			detail = "A certificate states that records were destroyed: patsvc issues one only for a destruction it ran, with the tokens it drew, and records that destruction beside it.";
			break;
		case LEDGER_TOKENS:
			what = "tokens are drawn by the destruction that issues their certificate";
			detail = "The tokens of a certificate are one random value per destroyed record, drawn and stored by patsvc.destroy_due() itself.";
			break;
		case LEDGER_EVENTS:
			what = "the event log is written by patsvc alone";
			detail = "Each event records what patsvc's functions and triggers did (policies, facts, protections, archives, holds, destructions); nothing else adds rows.";
			break;
		default:
			what = op == CMD_UPDATE ? "holds are released with patsvc.release_hold() alone"
				: "holds are placed with patsvc.place_hold() alone";
			detail = op == CMD_UPDATE ? "release_hold() records the releasing role and the reason, and logs the release; a hold is never edited."
				: "place_hold() records who placed the hold and logs it.";
			break;
	}
	ereport(ERROR,
			(errcode(ERRCODE_PATSVC_PROTECTED_OBJECT),
			 errmsg("cannot %s \"%s\": %s", op == CMD_UPDATE ? "update" : "insert into", ledger_name(ledger), what),
			 errdetail("%s", detail),
			 errhint("Use patsvc's functions; only a restore (a superuser with session_replication_role = replica, into an empty table) writes it directly.")));
}

/*
 * Before patsvc writes a ledger: no rule and no trigger but patsvc's own may be
 * on it, or they would run with the permission (and could add rows of their own).
 * Checked again after every relcache invalidation only (adding a rule or a
 * trigger sends one): every registration logs two facts.
 */
static void
ledger_check_clean(Oid relid, char ledger)
{
	static uint64 clean_at[16];	/* per ledger: the relcache epoch it was found clean at */
	uint64		epoch = patsvc_relcache_epoch();
	int			slot = ledger_index(ledger);
	Relation	rel;
	Oid			ext;
	const char *other = NULL;

	Assert(slot < lengthof(clean_at));	/* scope_bit: two bits each in 32 */
	if (clean_at[slot] == epoch)
		return;
	rel = table_open(relid, AccessShareLock);
	ext = get_extension_oid("patsvc", true);

	if (rel->rd_rules != NULL)
		other = "a rule";
	for (int i = 0; other == NULL && rel->trigdesc && i < rel->trigdesc->numtriggers; i++)
	{
		Trigger    *t = &rel->trigdesc->triggers[i];

		if (!t->tgisinternal && getExtensionOfObject(ProcedureRelationId, t->tgfoid) != ext)
			other = psprintf("trigger \"%s\"", t->tgname);
	}
	table_close(rel, AccessShareLock);
	if (other != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_DESTROY_UNSAFE),
				 errmsg("patsvc's table \"%s\" has %s that is not patsvc's", ledger_name(ledger), other),
				 errdetail("It would run while patsvc writes the table, with patsvc's permission to write it."),
				 errhint("Drop the rules and triggers you added to patsvc's ledgers.")));
	clean_at[slot] = epoch;
}

/*
 * Runs plan (a statement of patsvc's own, through SPI: the caller is
 * connected) with the permission for this kind of write to this ledger set
 * for it alone; returns SPI_execute_plan's result.
 */
int
ledger_execute(char ledger, CmdType op, SPIPlanPtr plan, Datum *values, const char *nulls, long tcount)
{
	volatile uint32 saved = ledger_scope;
	volatile int rc = 0;

	ledger_check_clean(ledger_relid(ledger), ledger);
	ledger_scope |= scope_bit(ledger, op);
	PG_TRY();
	{
		rc = SPI_execute_plan(plan, values, nulls, false, tcount);
	}
	PG_FINALLY();
	{
		ledger_scope = saved;
	}
	PG_END_TRY();
	return rc;
}

static SPIPlanPtr log_plan = NULL;

/*
 * Appends one event to patsvc.retention_events, as the owner of patsvc's
 * tables (a trigger of patsvc's logs what any role did); its actor is the
 * session user, as the column's default says.
 */
void
ledger_log(const char *event, const char *table_name, bool has_hold, int64 hold_id, const char *detail)
{
	static const Oid types[4] = {TEXTOID, TEXTOID, INT8OID, TEXTOID};
	Datum		values[4];
	char		nulls[4] = {' ', table_name ? ' ' : 'n', has_hold ? ' ' : 'n', detail ? ' ' : 'n'};
	PatsvcSavedUser saved;
	int			rc;

	patsvc_spi_connect();
	patsvc_kept_plan(&log_plan, "INSERT INTO " PATSVC_SCHEMA ".retention_events (event, table_name, hold_id, detail)"
					 " VALUES ($1, $2, $3, $4)", 4, types);
	values[0] = CStringGetTextDatum(event);
	values[1] = table_name ? CStringGetTextDatum(table_name) : (Datum) 0;
	values[2] = Int64GetDatum(hold_id);
	values[3] = detail ? CStringGetTextDatum(detail) : (Datum) 0;
	patsvc_become_owner(retention_tables_owner(), &saved);
	rc = ledger_execute(LEDGER_EVENTS, CMD_INSERT, log_plan, values, nulls, 0);
	patsvc_restore_user(&saved);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "patsvc: logging event \"%s\" failed", event);
	patsvc_spi_finish();
}

/* ---- the ledger trigger ---------------------------------------------------- */

/*
 * BEFORE INSERT (OR UPDATE: holds) FOR EACH ROW, ENABLE ALWAYS, on the four
 * ledgers: a row not written by patsvc is refused, whoever writes it.
 */
PG_FUNCTION_INFO_V1(patsvc_ledger_guard);
Datum
patsvc_ledger_guard(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	char		ledger;
	CmdType		op;

	patsvc_trigger_bound(fcinfo, "_ledger_guard", retention_table_names(RT_BY_PATSVC));
	if (!TRIGGER_FIRED_BEFORE(td->tg_event) || !TRIGGER_FIRED_FOR_ROW(td->tg_event) ||
		!(TRIGGER_FIRED_BY_INSERT(td->tg_event) || TRIGGER_FIRED_BY_UPDATE(td->tg_event)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s._ledger_guard() must be a BEFORE INSERT or UPDATE row trigger", PATSVC_SCHEMA),
				 errhint("Use it only in the triggers patsvc's install script creates.")));
	ledger = ledger_of_name(RelationGetRelationName(td->tg_relation));
	op = TRIGGER_FIRED_BY_INSERT(td->tg_event) ? CMD_INSERT : CMD_UPDATE;
	if (!ledger_write_allowed(ledger, RelationGetRelid(td->tg_relation), op))
		ledger_refuse_write(ledger, op);
	return PointerGetDatum(op == CMD_INSERT ? td->tg_trigtuple : td->tg_newtuple);
}

/* ---- events of changes to patsvc's other retention tables ------------------ */


/* A column's text ("" for NULL, as format('%s') writes it). */
static char *
col(HeapTuple tuple, TupleDesc desc, const char *name)
{
	int			attno = SPI_fnumber(desc, name);
	char	   *value;

	if (attno <= 0)
		elog(ERROR, "patsvc: column \"%s\" is missing", name);
	value = SPI_getvalue(tuple, desc, attno);
	return value ? value : "";
}

/* A regclass column, schema-qualified ("" for NULL). */
static char *
col_rel(HeapTuple tuple, TupleDesc desc, const char *name)
{
	int			attno = SPI_fnumber(desc, name);
	bool		isnull;
	Datum		d;

	if (attno <= 0)
		elog(ERROR, "patsvc: column \"%s\" is missing", name);
	d = SPI_getbinval(tuple, desc, attno, &isnull);
	return isnull ? "" : retention_qualified_name(DatumGetObjectId(d));
}

/*
 * Is this new protected_tables row a ready-made protection
 * (patsvc._protect_ready_made)?  Only patsvc's own script makes one: it is
 * not dumped and logs no event, so anyone else's would be a protection that
 * leaves no trace in the event log or the backups.
 */
static bool
ready_made_protection(HeapTuple row, TupleDesc desc)
{
	int			attno = SPI_fnumber(desc, "ready_made");
	bool		isnull = true;
	Datum		value = attno > 0 ? SPI_getbinval(row, desc, attno, &isnull) : (Datum) 0;

	if (isnull || !DatumGetBool(value))
		return false;
	if (!patsvc_script_running())
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_PROTECTED_OBJECT),
				 errmsg("ready-made protections are made by patsvc's install script alone"),
				 errdetail("A ready-made protection is neither dumped nor logged in patsvc.retention_events."),
				 errhint("Protect your tables with patsvc.protect().")));
	return true;
}

/*
 * AFTER INSERT OR UPDATE OR DELETE FOR EACH ROW, ENABLE ALWAYS, on
 * retention_policies, retention_patient_facts, protected_tables and
 * retention_archives: logs the change (policy created, changed, dropped;
 * facts recorded, changed; table protected; archive set), so the event log
 * holds an event for every change and for nothing else.  Rows inserted in
 * replica mode (a restore, a subscriber's apply), and facts changed there,
 * were logged where they were first written.
 */
PG_FUNCTION_INFO_V1(patsvc_log_change);
Datum
patsvc_log_change(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	const char *table;
	TupleDesc	desc;
	HeapTuple	old,
				new;
	bool		replica = SessionReplicationRole == SESSION_REPLICATION_ROLE_REPLICA;

	patsvc_trigger_bound(fcinfo, "_log_change", retention_table_names(RT_LOGGED));
	if (!TRIGGER_FIRED_AFTER(td->tg_event) || !TRIGGER_FIRED_FOR_ROW(td->tg_event) ||
		TRIGGER_FIRED_BY_TRUNCATE(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s._log_change() must be an AFTER row trigger", PATSVC_SCHEMA),
				 errhint("Use it only in the triggers patsvc's install script creates.")));
	table = RelationGetRelationName(td->tg_relation);
	desc = RelationGetDescr(td->tg_relation);
	old = TRIGGER_FIRED_BY_INSERT(td->tg_event) ? NULL : td->tg_trigtuple;
	new = TRIGGER_FIRED_BY_INSERT(td->tg_event) ? td->tg_trigtuple
		: TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : NULL;
	if (new != NULL && strcmp(table, "protected_tables") == 0 && ready_made_protection(new, desc))
		return PointerGetDatum(NULL);	/* shipped with patsvc, like the ready-made policies */
	if (replica && old == NULL)
		return PointerGetDatum(NULL);

	if (strcmp(table, "retention_policies") == 0)
	{
		if (old == NULL)
			ledger_log("policy created", NULL, false, 0,
					   psprintf("%s: %s after %s, %s mode", col(new, desc, "policy_name"), col(new, desc, "period"),
								col(new, desc, "anchor"), col(new, desc, "mode")));
		else if (new != NULL)
			ledger_log("policy changed", NULL, false, 0,
					   psprintf("%s: period %s -> %s, minors until %s -> %s, mode %s -> %s",
								col(old, desc, "policy_name"), col(old, desc, "period"), col(new, desc, "period"),
								col(old, desc, "minors_until_age"), col(new, desc, "minors_until_age"),
								col(old, desc, "mode"), col(new, desc, "mode")));
		else
			ledger_log("policy dropped", NULL, false, 0, col(old, desc, "policy_name"));
	}
	else if (strcmp(table, "retention_patient_facts") == 0)
	{
		if (replica || new == NULL)
			return PointerGetDatum(NULL);	/* facts are never deleted (their guard) */
		if (old == NULL)
			ledger_log("facts recorded", NULL, false, 0,
					   psprintf("patient %s: birth %s, death %s, last encounter %s", col(new, desc, "patient_id"),
								col(new, desc, "birth_date"), col(new, desc, "death_date"),
								col(new, desc, "last_encounter")));
		else
		{
			static const char *const dates[3] = {"birth_date", "death_date", "last_encounter"};
			bool		changed = false;

			/* (birth, death, last encounter) IS DISTINCT FROM before */
			for (int i = 0; i < 3; i++)
			{
				int			attno = SPI_fnumber(desc, dates[i]);
				char	   *a = SPI_getvalue(old, desc, attno);
				char	   *b = SPI_getvalue(new, desc, attno);

				if ((a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0))
					changed = true;
			}
			if (changed)
				ledger_log("facts changed", NULL, false, 0,
						   psprintf("patient %s: birth %s -> %s, death %s -> %s, last encounter %s -> %s",
									col(new, desc, "patient_id"), col(old, desc, "birth_date"),
									col(new, desc, "birth_date"), col(old, desc, "death_date"),
									col(new, desc, "death_date"), col(old, desc, "last_encounter"),
									col(new, desc, "last_encounter")));
		}
	}
	else if (new != NULL && old == NULL && strcmp(table, "protected_tables") == 0)
		ledger_log("table protected", col_rel(new, desc, "relid"), false, 0,
				   psprintf("policy %s", col(new, desc, "policy_name")));
	else if (new != NULL && old == NULL && strcmp(table, "retention_archives") == 0)
		ledger_log("archive set", col_rel(new, desc, "relid"), false, 0,
				   psprintf("archive %s", col_rel(new, desc, "archive_relid")));
	return PointerGetDatum(NULL);
}

/* ---- holds ------------------------------------------------------------------ */

static SPIPlanPtr protected_plan = NULL;
static SPIPlanPtr hold_insert_plan = NULL;
static SPIPlanPtr hold_release_plan = NULL;

/* NULL, empty or only spaces (coalesce(btrim(s), '') = '') */
static bool
blank(text *t)
{
	const char *p;
	int			n;

	if (t == NULL)
		return true;
	p = VARDATA_ANY(t);
	n = VARSIZE_ANY_EXHDR(t);
	for (int i = 0; i < n; i++)
		if (p[i] != ' ')
			return false;
	return true;
}

/*
 * place_hold(case_reference, reason, patient_id DEFAULT NULL, tbl DEFAULT NULL):
 * SECURITY DEFINER.  Inserts the hold (placed by the session user, now) and
 * logs it; the only way a hold is placed.
 */
PG_FUNCTION_INFO_V1(patsvc_place_hold);
Datum
patsvc_place_hold(PG_FUNCTION_ARGS)
{
	static const Oid protected_types[1] = {REGCLASSOID};
	static const Oid insert_types[4] = {TEXTOID, REGCLASSOID, TEXTOID, TEXTOID};
	text	   *case_reference = PG_ARGISNULL(0) ? NULL : PG_GETARG_TEXT_PP(0);
	text	   *reason = PG_ARGISNULL(1) ? NULL : PG_GETARG_TEXT_PP(1);
	Datum		values[4];
	char		nulls[4] = {PG_ARGISNULL(2) ? 'n' : ' ', PG_ARGISNULL(3) ? 'n' : ' ', ' ', ' '};
	bool		isnull;
	int64		id;

	if (PG_NARGS() != 4)
		elog(ERROR, "patsvc_place_hold: bad call");
	if (PG_ARGISNULL(2) && PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a hold needs a patient, a table or both"),
				 errhint("Pass patient_id => ..., tbl => ... or both.")));
	patsvc_spi_connect();
	if (!PG_ARGISNULL(3))
	{
		values[0] = PG_GETARG_DATUM(3);
		patsvc_kept_plan(&protected_plan, "SELECT " PATSVC_SCHEMA "._protected($1)", 1, protected_types);
		if (SPI_execute_plan(protected_plan, values, NULL, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "patsvc: checking the protection failed");
	}
	if (blank(case_reference) || blank(reason))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a hold needs a case reference and a reason"),
				 errhint("Give the case or matter number and why the records must be kept.")));
	patsvc_kept_plan(&hold_insert_plan,
					 "INSERT INTO " PATSVC_SCHEMA ".retention_holds (patient_id, relid, case_reference, reason)"
					 " VALUES ($1, $2, $3, $4) RETURNING hold_id", 4, insert_types);
	values[0] = PG_ARGISNULL(2) ? (Datum) 0 : PG_GETARG_DATUM(2);
	values[1] = PG_ARGISNULL(3) ? (Datum) 0 : PG_GETARG_DATUM(3);
	values[2] = PointerGetDatum(case_reference);
	values[3] = PointerGetDatum(reason);
	if (ledger_execute(LEDGER_HOLDS, CMD_INSERT, hold_insert_plan, values, nulls, 0) != SPI_OK_INSERT_RETURNING ||
		SPI_processed != 1)
		elog(ERROR, "patsvc: placing the hold failed");
	id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	ledger_log("hold placed", PG_ARGISNULL(3) ? NULL : retention_qualified_name(PG_GETARG_OID(3)), true, id,
			   psprintf("case %s: %s", text_to_cstring(case_reference), text_to_cstring(reason)));
	patsvc_spi_finish();
	PG_RETURN_INT64(id);
}

/*
 * release_hold(hold, reason): SECURITY DEFINER.  Releases an active hold (the
 * session user, now, the reason) and logs it; the only way a hold ends.
 */
PG_FUNCTION_INFO_V1(patsvc_release_hold);
Datum
patsvc_release_hold(PG_FUNCTION_ARGS)
{
	static const Oid types[2] = {INT8OID, TEXTOID};
	text	   *reason = PG_ARGISNULL(1) ? NULL : PG_GETARG_TEXT_PP(1);
	Datum		values[2];
	char		nulls[2] = {PG_ARGISNULL(0) ? 'n' : ' ', ' '};

	if (PG_NARGS() != 2)
		elog(ERROR, "patsvc_release_hold: bad call");
	if (blank(reason))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("releasing a hold needs a reason"),
				 errhint("Say why the hold ends (e.g. the case was closed).")));
	patsvc_spi_connect();
	patsvc_kept_plan(&hold_release_plan,
					 "UPDATE " PATSVC_SCHEMA ".retention_holds h"
					 "   SET released_at = pg_catalog.now(), released_by = session_user, release_reason = $2"
					 " WHERE h.hold_id = $1 AND h.released_at IS NULL", 2, types);
	values[0] = PG_ARGISNULL(0) ? (Datum) 0 : PG_GETARG_DATUM(0);
	values[1] = PointerGetDatum(reason);
	if (ledger_execute(LEDGER_HOLDS, CMD_UPDATE, hold_release_plan, values, nulls, 0) != SPI_OK_UPDATE)
		elog(ERROR, "patsvc: releasing the hold failed");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_HOLD_NOT_ACTIVE),
				 errmsg("hold %s is not active",
						PG_ARGISNULL(0) ? "<NULL>" : psprintf(INT64_FORMAT, PG_GETARG_INT64(0))),
				 errdetail("No hold with this id exists, or it was already released."),
				 errhint("Look up active holds in patsvc.retention_holds (released_at IS NULL).")));
	ledger_log("hold released", NULL, !PG_ARGISNULL(0), PG_ARGISNULL(0) ? 0 : PG_GETARG_INT64(0),
			   text_to_cstring(reason));
	patsvc_spi_finish();
	PG_RETURN_VOID();
}
