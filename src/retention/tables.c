/*
 * tables.c -- retention's own tables, listed once.
 *
 * Every piece of retention that needs to know which of patsvc's tables are
 * retention's, and what each one is, asks this list: the guard triggers
 * (guards.c: append-only, never truncated), the ledgers (ledgers.c: written
 * by patsvc's C code alone, changes logged), the hardened-mode hooks
 * (hooks.c: what a relation is), and SQL: the event trigger _guard_ddl()
 * reads it through patsvc._retention_tables().  The install script creates
 * the tables and their triggers (src/retention/NN-*.sql); the list says what
 * they are.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "core/core.h"
#include "retention/retention.h"

/*
 * In the order the messages naming several of them list them (e.g. the
 * tables append_only_guard() works on).
 */
static const RetentionTable retention_tables[] = {
	{"destruction_certificates", LEDGER_CERTIFICATES, RT_APPEND_ONLY | RT_SEALED},
	{"destruction_tokens", LEDGER_TOKENS, RT_APPEND_ONLY | RT_SEALED},
	{"retention_events", LEDGER_EVENTS, RT_APPEND_ONLY | RT_SEALED},
	{"retention_policies", 0, RT_LOGGED},
	{"retention_patient_facts", 0, RT_LOGGED},
	{"protected_tables", 0, RT_APPEND_ONLY | RT_SEALED | RT_LOGGED},
	{"retention_archives", 0, RT_APPEND_ONLY | RT_SEALED | RT_LOGGED},
	{"retention_holds", LEDGER_HOLDS, RT_SEALED},
	/* cryptographic erase (94-crypto-erase.sql): row rules in _crypto_guard; in hardened mode the hooks refuse DDL and disabling it */
	{"patient_keys", 0, RT_SEALED},
	{"encrypted_columns", 0, RT_SEALED},
};

/* one NULL-terminated list of names per combination of flags, made on first use */
static const char **names_by_flags[RT_ALL_FLAGS + 1];

int
retention_table_count(void)
{
	return lengthof(retention_tables);
}

const RetentionTable *
retention_table_at(int i)
{
	Assert(i >= 0 && i < lengthof(retention_tables));
	return &retention_tables[i];
}

/* The table of that name (a relation in patsvc's schema: the caller has checked), or NULL. */
const RetentionTable *
retention_table_named(const char *relname)
{
	for (int i = 0; relname != NULL && i < lengthof(retention_tables); i++)
		if (strcmp(relname, retention_tables[i].name) == 0)
			return &retention_tables[i];
	return NULL;
}

/* The flags a table has, RT_BY_PATSVC included (it has a ledger letter). */
static int
table_flags(const RetentionTable *t)
{
	return t->flags | (t->ledger != 0 ? RT_BY_PATSVC : 0);
}

/*
 * The names of the tables having every flag in flags (0: all of them), as
 * the NULL-terminated list patsvc_trigger_bound() takes; kept for the
 * backend's life.
 */
const char *const *
retention_table_names(int flags)
{
	const char **names;
	int			n = 0;

	Assert(flags >= 0 && flags <= RT_ALL_FLAGS);
	if (names_by_flags[flags] != NULL)
		return names_by_flags[flags];
	names = MemoryContextAllocZero(TopMemoryContext, sizeof(char *) * (lengthof(retention_tables) + 1));
	for (int i = 0; i < lengthof(retention_tables); i++)
		if ((table_flags(&retention_tables[i]) & flags) == flags)
			names[n++] = retention_tables[i].name;
	names_by_flags[flags] = names;
	return names;
}

/*
 * patsvc._retention_tables(): the names of retention's own tables, for SQL
 * (the event trigger _guard_ddl refuses ALTER TABLE of any of them).
 */
PG_FUNCTION_INFO_V1(patsvc_retention_tables);
Datum
patsvc_retention_tables(PG_FUNCTION_ARGS)
{
	Datum		names[lengthof(retention_tables)];

	for (int i = 0; i < lengthof(retention_tables); i++)
		names[i] = CStringGetTextDatum(retention_tables[i].name);
	PG_RETURN_ARRAYTYPE_P(construct_array(names, lengthof(retention_tables), TEXTOID, -1, false, TYPALIGN_INT));
}

/* Owner of patsvc's retention tables (the extension's owner), found through patsvc's schema. */
Oid
retention_tables_owner(void)
{
	return patsvc_table_owner("protected_tables");
}
