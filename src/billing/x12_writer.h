/*
 * x12_writer.h -- writing X12 interchanges: segments, elements and
 * components with the interchange's separators, and the envelope counts.
 *
 * A writer appends to one StringInfo.  x12_segment() opens a segment,
 * x12_element() and x12_composite() add to it, x12_end() closes it with the
 * segment terminator and counts it.  Empty elements are held back and
 * written only when a later one has a value, and trailing empty components
 * are left out, so nothing ends in separators (X12 forbids trailing
 * delimiters).  A value holding a separator, the terminator or a control
 * character is refused (PS644, naming the segment, the element and the
 * writer's subject, e.g. "encounter 42").
 *
 * Envelopes: x12_isa/x12_gs/x12_st open ISA, GS and ST; x12_se, x12_ge and
 * x12_iea close them with the counts they need: SE01 the segments from ST
 * to SE inclusive, GE01 the transaction sets in the group, IEA01 the groups
 * in the interchange, and the matching control numbers.
 */
#ifndef PATSVC_X12_WRITER_H
#define PATSVC_X12_WRITER_H

#include "postgres.h"

#include "lib/stringinfo.h"

typedef struct X12Writer
{
	StringInfo	out;
	char		element_sep;	/* ISA: the character after "ISA" */
	char		component_sep;	/* ISA16 */
	char		repetition_sep; /* ISA11 */
	char		terminator;		/* after ISA16 */
	const char *subject;		/* what is being written, for messages: "encounter 42" */
	const char *segment_id;		/* the open segment, NULL between segments */
	int			element;		/* elements written in the open segment */
	int			empty_elements; /* held back until a value follows */
	int			st_segments;	/* segments since ST, ST included */
	int			st_count;		/* transaction sets in the open group */
	int			gs_count;		/* groups in the interchange */
	char		st_control[10];
	char		gs_control[10];
	char		isa_control[10];
} X12Writer;

/* The interchange header's fixed fields (ISA). */
typedef struct X12Interchange
{
	const char *sender_qualifier;	/* ISA05, e.g. ZZ */
	const char *sender_id;		/* ISA06, up to 15 */
	const char *receiver_qualifier; /* ISA07 */
	const char *receiver_id;	/* ISA08, up to 15 */
	const char *date6;			/* ISA09 YYMMDD */
	const char *time4;			/* ISA10 HHMM */
	int64		control;		/* ISA13, 1..999999999 */
	bool		ack_requested;	/* ISA14 */
	char		usage;			/* ISA15 T or P */
} X12Interchange;

extern void x12_writer_init(X12Writer *w, StringInfo out);

extern void x12_segment(X12Writer *w, const char *id);
extern void x12_element(X12Writer *w, const char *value);	/* NULL or "": empty */
/* A composite element from n components (NULL or "" empty). */
extern void x12_composite(X12Writer *w, int n, const char *const *components);
extern void x12_end(X12Writer *w);

/* A whole segment from its elements (NULL or "" empty), nelements of them. */
extern void x12_write(X12Writer *w, const char *id, int nelements, const char *const *elements);

extern void x12_isa(X12Writer *w, const X12Interchange *isa);
extern void x12_gs(X12Writer *w, const char *functional_id, const char *sender, const char *receiver,
				   const char *date8, const char *time4, const char *version);
extern void x12_st(X12Writer *w, const char *transaction, const char *version);
extern void x12_se(X12Writer *w);
extern void x12_ge(X12Writer *w);
extern void x12_iea(X12Writer *w);

#endif							/* PATSVC_X12_WRITER_H */
