/*
 * records.h -- the records area (src/records): record requests, disclosures,
 * the access log.  Its C is the access log's fast path (access_log.c).
 */
#ifndef PATSVC_RECORDS_H
#define PATSVC_RECORDS_H

/* Called from _PG_init (src/records/area.mk): defines patsvc.app_user. */
extern void records_init(void);

#endif							/* PATSVC_RECORDS_H */
