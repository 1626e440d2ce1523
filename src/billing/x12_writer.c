/*
 * x12_writer.c -- X12 segments with the interchange's separators and the
 * envelope counts (x12_writer.h).
 */
#include "postgres.h"

#include "core/core.h"
#include "billing/x12_writer.h"

void
x12_writer_init(X12Writer *w, StringInfo out)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
	w->element_sep = '*';
	w->component_sep = ':';
	w->repetition_sep = '^';
	w->terminator = '~';
	w->subject = "the interchange";
}

/* The separator or control character value holds, '\0' if none. */
static char
x12_forbidden_char(const X12Writer *w, const char *value)
{
	const unsigned char *p;

	for (p = (const unsigned char *) value; *p; p++)
	{
		if (*p < 0x20 || *p == 0x7f || *p == (unsigned char) w->element_sep ||
			*p == (unsigned char) w->component_sep || *p == (unsigned char) w->repetition_sep ||
			*p == (unsigned char) w->terminator)
			return (char) *p;
	}
	return '\0';
}

static void
x12_check_value(const X12Writer *w, const char *value)
{
	char		c = x12_forbidden_char(w, value);

	if (c == '\0')
		return;
	ereport(ERROR,
			(errcode(ERRCODE_PATSVC_X12_DELIMITER),
			 errmsg("%s: the value of %s%02d contains %s", w->subject, w->segment_id, w->element,
					(unsigned char) c < 0x20 || c == 0x7f ? "a control character" : psprintf("the X12 delimiter \"%c\"", c)),
			 errdetail("The interchange separates elements with \"%c\", components with \"%c\" and repetitions "
					   "with \"%c\" and ends segments with \"%c\".",
					   w->element_sep, w->component_sep, w->repetition_sep, w->terminator),
			 errhint("Correct the stored value (names, addresses and numbers hold none of these characters).")));
}

void
x12_segment(X12Writer *w, const char *id)
{
	Assert(w->segment_id == NULL);
	appendStringInfoString(w->out, id);
	w->segment_id = id;
	w->element = 0;
	w->empty_elements = 0;
}

/* Writes the separators of the empty elements held back, then opens element element+1. */
static void
x12_open_element(X12Writer *w)
{
	for (; w->empty_elements > 0; w->empty_elements--)
		appendStringInfoChar(w->out, w->element_sep);
	appendStringInfoChar(w->out, w->element_sep);
}

void
x12_element(X12Writer *w, const char *value)
{
	w->element++;
	if (value == NULL || value[0] == '\0')
	{
		w->empty_elements++;
		return;
	}
	x12_check_value(w, value);
	x12_open_element(w);
	appendStringInfoString(w->out, value);
}

/*
 * A composite element from its n components (NULL or "" empty); trailing
 * empty components are left out, an all-empty composite is an empty element.
 */
void
x12_composite(X12Writer *w, int n, const char *const *components)
{
	int			last = n - 1;

	while (last >= 0 && (components[last] == NULL || components[last][0] == '\0'))
		last--;
	w->element++;
	if (last < 0)
	{
		w->empty_elements++;
		return;
	}
	x12_open_element(w);
	for (int i = 0; i <= last; i++)
	{
		if (i > 0)
			appendStringInfoChar(w->out, w->component_sep);
		if (components[i] == NULL)
			continue;
		x12_check_value(w, components[i]);
		appendStringInfoString(w->out, components[i]);
	}
}

void
x12_end(X12Writer *w)
{
	appendStringInfoChar(w->out, w->terminator);
	appendStringInfoChar(w->out, '\n');
	w->segment_id = NULL;
	w->st_segments++;
}

void
x12_write(X12Writer *w, const char *id, int nelements, const char *const *elements)
{
	int			i;

	x12_segment(w, id);
	for (i = 0; i < nelements; i++)
		x12_element(w, elements[i]);
	x12_end(w);
}

/* s left-justified and padded with spaces to width (ISA's fixed-width fields) */
static const char *
x12_padded(const char *s, int width)
{
	return psprintf("%-*s", width, s);
}

void
x12_isa(X12Writer *w, const X12Interchange *isa)
{
	char		rep[2] = {w->repetition_sep, '\0'};
	char		comp[2] = {w->component_sep, '\0'};
	char		usage[2] = {isa->usage, '\0'};
	const char *e[16];

	snprintf(w->isa_control, sizeof(w->isa_control), "%09lld", (long long) isa->control);
	e[0] = "00";
	e[1] = x12_padded("", 10);
	e[2] = "00";
	e[3] = x12_padded("", 10);
	e[4] = isa->sender_qualifier;
	e[5] = x12_padded(isa->sender_id, 15);
	e[6] = isa->receiver_qualifier;
	e[7] = x12_padded(isa->receiver_id, 15);
	e[8] = isa->date6;
	e[9] = isa->time4;
	e[10] = rep;
	e[11] = "00501";
	e[12] = w->isa_control;
	e[13] = isa->ack_requested ? "1" : "0";
	e[14] = usage;
	e[15] = comp;
	/* every ISA element is present and fixed-width: written as they are (ISA11 and ISA16 are separators) */
	appendStringInfoString(w->out, "ISA");
	w->segment_id = "ISA";
	for (int i = 0; i < 16; i++)
	{
		w->element = i + 1;
		if (i != 10 && i != 15)
			x12_check_value(w, e[i]);
		appendStringInfoChar(w->out, w->element_sep);
		appendStringInfoString(w->out, e[i]);
	}
	appendStringInfoChar(w->out, w->terminator);
	appendStringInfoChar(w->out, '\n');
	w->segment_id = NULL;
	w->gs_count = 0;
}

void
x12_gs(X12Writer *w, const char *functional_id, const char *sender, const char *receiver,
	   const char *date8, const char *time4, const char *version)
{
	const char *e[8];

	/* one group per interchange here: GS06 is ISA13 without its leading zeros */
	snprintf(w->gs_control, sizeof(w->gs_control), "%lld", (long long) strtoll(w->isa_control, NULL, 10));
	e[0] = functional_id;
	e[1] = sender;
	e[2] = receiver;
	e[3] = date8;
	e[4] = time4;
	e[5] = w->gs_control;
	e[6] = "X";
	e[7] = version;
	x12_write(w, "GS", 8, e);
	w->gs_count++;
	w->st_count = 0;
}

void
x12_st(X12Writer *w, const char *transaction, const char *version)
{
	const char *e[3];

	w->st_count++;
	snprintf(w->st_control, sizeof(w->st_control), "%04d", w->st_count);
	e[0] = transaction;
	e[1] = w->st_control;
	e[2] = version;
	w->st_segments = 0;
	x12_write(w, "ST", 3, e);
}

void
x12_se(X12Writer *w)
{
	const char *e[2];

	e[0] = psprintf("%d", w->st_segments + 1);
	e[1] = w->st_control;
	x12_write(w, "SE", 2, e);
}

void
x12_ge(X12Writer *w)
{
	const char *e[2];

	e[0] = psprintf("%d", w->st_count);
	e[1] = w->gs_control;
	x12_write(w, "GE", 2, e);
}

void
x12_iea(X12Writer *w)
{
	const char *e[2];

	e[0] = psprintf("%d", w->gs_count);
	e[1] = w->isa_control;
	x12_write(w, "IEA", 2, e);
}
