/*
 * patsvc.h -- declarations shared by every part of patsvc.
 *
 * patsvc's own SQLSTATEs live in class "PS".  Each concern owns a range and
 * declares its codes in its own header (src/codes/codes.h: PS1xx,
 * src/scheduling: PS2xx, src/retention: PS3xx); the README lists them all.
 */
#ifndef PATSVC_H
#define PATSVC_H

#include "postgres.h"

#define PATSVC_SCHEMA "patsvc"

#include "executor/spi.h"

/*
 * The plan in *slot, prepared on first use (generic: patsvc's queries are
 * index lookups whatever the values) and kept for the backend's life.
 */
extern SPIPlanPtr patsvc_kept_plan(SPIPlanPtr *slot, const char *sql, int nargs, const Oid *types);

/* The schema of extension patsvc, found through pg_extension; InvalidOid without it. */
extern Oid	patsvc_extension_schema(void);

/*
 * Retention: installs the hardened-mode hooks when patsvc is loaded through
 * shared_preload_libraries; does nothing otherwise (src/retention/hooks.c).
 */
extern void patsvc_retention_init(void);

#endif							/* PATSVC_H */
