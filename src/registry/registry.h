/*
 * registry.h -- the registry area: patients (demographics, medical record
 * numbers, duplicate detection), providers, locations.
 */
#ifndef PATSVC_REGISTRY_H
#define PATSVC_REGISTRY_H

#include "postgres.h"

#include "core/core.h"

/* Called from _PG_init (src/registry/area.mk): defines patsvc.mrn_prefix. */
extern void registry_init(void);

/* mrn.c: the canonical form of a medical record number; raises 22P02 (bad
 * form, or a wrong check digit in a number patsvc generated). */
#define MRN_MAX_LEN 20
extern char *mrn_canonical(const char *input);

/* match.c: name comparison for duplicate detection */
extern double jaro_winkler(const char *a, const char *b);
extern char *name_key(const char *name);		/* lower case, letters only */
extern char *name_phonetic(const char *name);	/* Double Metaphone primary code, "" for none */

#endif							/* PATSVC_REGISTRY_H */
