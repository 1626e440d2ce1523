/*
 * codeset.h -- code sets by release (ICD-10-CM order files, HCPCS Level II
 * alpha-numeric files): shared between the importers (import_icd10cm.c, import_hcpcs.c) and
 * the cached lookups (codeset_lookup.c).
 */
#ifndef PATSVC_CODESET_H
#define PATSVC_CODESET_H

#include "postgres.h"

/* Oid of a relation or type in schema patsvc; InvalidOid when absent. */
extern Oid	codeset_relid(const char *relname);
extern Oid	codeset_typid(const char *typname);

#endif							/* PATSVC_CODESET_H */
