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


#endif							/* PATSVC_H */
