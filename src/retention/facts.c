/*
 * facts.c -- the patient facts retention is counted from
 * (retention_patient_facts: birth, death, last encounter), in C because every
 * registration writes them:
 *   _record_patient_facts  records a patient's dates under the id and the
 *                          MRN, each only moving later (one kept plan);
 *   _patient_facts_from_registry  the AFTER trigger on patients that feeds
 *                          it a registered patient's birth and death dates,
 *                          as the owner of the facts (whoever registers
 *                          needs no right on them);
 *   _facts_guard           the BEFORE trigger on the facts: a fact once
 *                          recorded only moves later (PS304).
 * Before, the first two were PL/pgSQL (a SECURITY DEFINER trigger calling
 * a function) and the guard PL/pgSQL with its own search_path: three
 * interpreter calls and four search_path switches per registration.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/rel.h"

#include "retention/retention.h"

/* The one statement that records facts: a date only moves later, an unchanged row is not written. */
#define RECORD_FACTS_SQL \
	"INSERT INTO " PATSVC_SCHEMA ".retention_patient_facts AS f (patient_id, birth_date, death_date, last_encounter)" \
	" SELECT k, $3, $4, $5 FROM pg_catalog.unnest(ARRAY[$1::text, $2]) k WHERE k IS NOT NULL" \
	" ON CONFLICT (patient_id) DO UPDATE" \
	"    SET birth_date = GREATEST(f.birth_date, EXCLUDED.birth_date)," \
	"        death_date = GREATEST(f.death_date, EXCLUDED.death_date)," \
	"        last_encounter = GREATEST(f.last_encounter, EXCLUDED.last_encounter)" \
	"  WHERE (f.birth_date, f.death_date, f.last_encounter)" \
	"        IS DISTINCT FROM (GREATEST(f.birth_date, EXCLUDED.birth_date), GREATEST(f.death_date, EXCLUDED.death_date)," \
	"                          GREATEST(f.last_encounter, EXCLUDED.last_encounter))"

static SPIPlanPtr record_facts_plan = NULL;

/*
 * Records the facts in v (patient id, MRN, birth, death, encounter; nulls as
 * SPI takes them) with the rights of the current user.
 */
static void
record_patient_facts(Datum *v, const char *nulls)
{
	static const Oid types[5] = {INT8OID, TEXTOID, DATEOID, DATEOID, DATEOID};

	patsvc_spi_connect();
	patsvc_kept_plan(&record_facts_plan, RECORD_FACTS_SQL, 5, types);
	if (SPI_execute_plan(record_facts_plan, v, nulls, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "patsvc: recording patient facts failed");
	patsvc_spi_finish();
}

PG_FUNCTION_INFO_V1(patsvc_record_patient_facts);
Datum
patsvc_record_patient_facts(PG_FUNCTION_ARGS)
{
	Datum		v[5];
	char		nulls[5];

	for (int i = 0; i < 5; i++)
	{
		v[i] = PG_ARGISNULL(i) ? (Datum) 0 : PG_GETARG_DATUM(i);
		nulls[i] = PG_ARGISNULL(i) ? 'n' : ' ';
	}
	record_patient_facts(v, nulls);
	PG_RETURN_VOID();
}

/* ---- the registry's patients feed the facts ------------------------------------ */

static const char *const patients_only[] = {"patients", NULL};
static const char *const fact_columns[] = {"id", "mrn", "birth_date", "deceased_date"};
static PatsvcColumns patient_fact_columns = {fact_columns, 4};

PG_FUNCTION_INFO_V1(patsvc_patient_facts_from_registry);
Datum
patsvc_patient_facts_from_registry(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	HeapTuple	row;
	TupleDesc	desc;
	const int  *col;
	Datum		v[5];
	char		nulls[5];
	PatsvcSavedUser saved;

	patsvc_trigger_bound(fcinfo, "_patient_facts_from_registry", patients_only);
	if (!TRIGGER_FIRED_AFTER(td->tg_event) || !TRIGGER_FIRED_FOR_ROW(td->tg_event) ||
		TRIGGER_FIRED_BY_DELETE(td->tg_event) || TRIGGER_FIRED_BY_TRUNCATE(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s._patient_facts_from_registry() must be an AFTER INSERT OR UPDATE row trigger", PATSVC_SCHEMA),
				 errhint("Use it only in the trigger patsvc's install script creates.")));
	row = TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple;
	desc = RelationGetDescr(td->tg_relation);
	col = patsvc_columns(&patient_fact_columns, td->tg_relation);
	for (int i = 0; i < 4; i++)
	{
		bool		isnull;

		v[i] = heap_getattr(row, col[i], desc, &isnull);
		nulls[i] = isnull ? 'n' : ' ';
	}
	v[4] = (Datum) 0;			/* no encounter */
	nulls[4] = 'n';
	if (nulls[2] == 'n' && nulls[3] == 'n')
		return PointerGetDatum(NULL);	/* neither birth nor death date: no fact */
	patsvc_become_owner(patsvc_table_owner("retention_patient_facts"), &saved);
	record_patient_facts(v, nulls);
	patsvc_restore_user(&saved);
	return PointerGetDatum(NULL);
}

/*
 * ---- a fact only moves later ------------------------------------------------------
 * Deleting a fact and recording it again, or making it unknown and then
 * known, would move it earlier by another path: a fact once known stays.
 */

static const char *const facts_only[] = {"retention_patient_facts", NULL};

/* Whether date column att moved earlier or became unknown from old to new. */
static bool
fact_moved_earlier(HeapTuple old, HeapTuple new, TupleDesc desc, int att)
{
	bool		old_null,
				new_null;
	DateADT		o = DatumGetDateADT(heap_getattr(old, att, desc, &old_null));
	DateADT		n = DatumGetDateADT(heap_getattr(new, att, desc, &new_null));

	if (old_null)
		return false;
	return new_null || n < o;
}

static const char *const guarded_columns[] = {"patient_id", "birth_date", "death_date", "last_encounter"};
static PatsvcColumns facts_columns = {guarded_columns, 4};

/* Whether an UPDATE of a fact could shorten retention: another patient id, a date earlier or unknown. */
static bool
facts_update_shortens(HeapTuple old, HeapTuple new, Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);
	const int  *col = patsvc_columns(&facts_columns, rel);
	bool		n1,
				n2;
	Datum		a = heap_getattr(old, col[0], desc, &n1);
	Datum		b = heap_getattr(new, col[0], desc, &n2);

	if (n1 != n2 || (!n1 && !DatumGetBool(DirectFunctionCall2Coll(texteq, C_COLLATION_OID, a, b))))
		return true;
	for (int i = 1; i < 4; i++)
		if (fact_moved_earlier(old, new, desc, col[i]))
			return true;
	return false;
}

PG_FUNCTION_INFO_V1(patsvc_facts_guard);
Datum
patsvc_facts_guard(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;

	patsvc_trigger_bound(fcinfo, "_facts_guard", facts_only);
	if (!TRIGGER_FIRED_BEFORE(td->tg_event) || !TRIGGER_FIRED_FOR_ROW(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s._facts_guard() must be a BEFORE row trigger", PATSVC_SCHEMA),
				 errhint("Use it only in the trigger patsvc's install script creates.")));
	if (TRIGGER_FIRED_BY_DELETE(td->tg_event) ||
		(TRIGGER_FIRED_BY_UPDATE(td->tg_event) &&
		 facts_update_shortens(td->tg_trigtuple, td->tg_newtuple, td->tg_relation)))
		ereport(ERROR,
				(errcode(ERRCODE_PATSVC_RETENTION_WOULD_SHORTEN),
				 errmsg("this change of retention facts could shorten retention"),
				 errdetail("Birth, death and last-encounter dates, once recorded, may only move later; they are never deleted or made unknown again, and the patient id cannot change."),
				 errhint("Record a later date.")));
	return PointerGetDatum(TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple);
}
