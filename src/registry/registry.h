/*
 * registry.h -- the registry area: patients (demographics, medical record
 * numbers, duplicate detection), providers, locations.
 */
#ifndef PATSVC_REGISTRY_H
#define PATSVC_REGISTRY_H

#include "postgres.h"

#include "core/core.h"
#include "utils/date.h"

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

/* merge.c: the owner of one of patsvc's tables, read as the owner */
extern Oid	registry_table_owner(const char *relname);

/*
 * merge.c: raises PS422 (naming the patient kept) when patient was merged
 * into another; a hash lookup while no patient was ever merged.  relname
 * names the table in the message.  The rule of every column holding
 * patients.id (trigger patient_reference_guard; appointments_enforce).
 */
extern void registry_refuse_merged_patient(int64 patient, const char *relname);

/*
 * consent.c: true if the patient has a consent of consent_type in force on
 * the local date on_date (consent_covers), locking the consent relied on
 * FOR SHARE against a concurrent revocation.  Reads as the owner of
 * consents.
 */
extern bool registry_consent_in_force_locked(int64 patient, const char *consent_type, DateADT on_date);

#endif							/* PATSVC_REGISTRY_H */
