/*
 * x12_271.c -- the X12 005010X279A1 271 (eligibility response) parser.
 *
 * The tokenizer takes its separators from the fixed-width ISA segment (the
 * element separator is its 4th character, the repetition separator ISA11,
 * the component separator ISA16, the segment terminator the character after
 * it), splits segments into elements, elements into repetitions and
 * components; line breaks between segments are skipped unless they are
 * separators themselves.  The envelope is checked (ISA, GS, one ST*271
 * 005010X279A1 ... SE with its segment count and control number, GE, IEA),
 * then what a front office needs is read from TRN, AAA, DTP and every EB
 * loop (benefit-related entities in LS/LE are skipped).  Any malformed
 * input raises 22P02 naming the segment (its position in the interchange and
 * its id) and the element.
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"

#include "core/core.h"
#include "coverage/coverage.h"

#define X12_MAX_ELEMENTS 64
#define ISA_LENGTH 106

typedef struct X12Field
{
	const char *p;
	int			len;
} X12Field;

typedef struct X12Seps
{
	char		element;
	char		component;
	char		repetition;
	char		segment;
} X12Seps;

typedef struct X12Segment
{
	int			pos;			/* 1 = ISA */
	int			nel;			/* elements, the id included */
	X12Field	el[X12_MAX_ELEMENTS];	/* el[0] is the id */
	char		id[4];
} X12Segment;

typedef struct X12Reader
{
	const char *p;
	const char *end;
	X12Seps		sep;
	int			pos;
} X12Reader;

/* ---- errors ------------------------------------------------------------- */

static void
x12_error(const X12Segment *seg, int element, const char *hint, const char *fmt,...) pg_attribute_printf(4, 5);

static void
x12_error(const X12Segment *seg, int element, const char *hint, const char *fmt,...)
{
	char		what[512];
	va_list		args;

	va_start(args, fmt);
	vsnprintf(what, sizeof(what), fmt, args);
	va_end(args);
	if (element > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("malformed X12 271: segment %d (%s), element %s%02d: %s", seg->pos, seg->id, seg->id,
						element, what),
				 errdetail("Nothing was stored."),
				 errhint("%s", hint)));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("malformed X12 271: segment %d (%s): %s", seg->pos, seg->id, what),
			 errdetail("Nothing was stored."),
			 errhint("%s", hint)));
}

/* the value as text for a message (at most 40 characters) */
static char *
shown(X12Field f)
{
	int			n = f.len > 40 ? pg_mbcliplen(f.p, f.len, 40) : f.len;

	return psprintf("\"%.*s%s\"", n, f.p, f.len > n ? "..." : "");
}

/* A separator for a message: 'x' when printable, its code otherwise (0x1C). */
static char *
sep_text(char c)
{
	return isprint((unsigned char) c) ? psprintf("'%c'", c) : psprintf("0x%02X", (unsigned char) c);
}

/* ---- tokenizer ---------------------------------------------------------- */

/* X12 separators are ASCII characters other than letters, digits and space. */
static bool
is_separator_char(char c)
{
	return (unsigned char) c < 128 && !(isalnum((unsigned char) c) || c == ' ' || c == '\0');
}

/* ISA is 106 characters: the separators are taken from their fixed places. */
static void
read_isa(X12Reader *r)
{
	static const int element_at[16] = {3, 6, 17, 20, 31, 34, 50, 53, 69, 76, 81, 83, 89, 99, 101, 103};
	X12Segment	isa = {.pos = 1, .id = "ISA"};
	const char *s = r->p;

	if (r->end - s < 3 || memcmp(s, "ISA", 3) != 0)
		x12_error(&isa, 0, "An X12 interchange starts with its ISA segment, e.g. ISA*00*          *00*...",
				  "the text does not start with ISA");
	if (r->end - s < ISA_LENGTH)
		x12_error(&isa, 0, "ISA has 16 elements of fixed width: 106 characters with its terminator.",
				  "the segment is shorter than 106 characters");
	r->sep.element = s[3];
	for (int i = 0; i < 16; i++)
		if (s[element_at[i]] != r->sep.element)
			x12_error(&isa, i + 1, "ISA has 16 elements of fixed width: 106 characters with its terminator.",
					  "expected the element separator %s at character %d, not %s", sep_text(r->sep.element),
					  element_at[i] + 1, sep_text(s[element_at[i]]));
	r->sep.repetition = s[82];
	r->sep.component = s[104];
	r->sep.segment = s[105];
	if (!is_separator_char(r->sep.element) || !is_separator_char(r->sep.repetition)
		|| !is_separator_char(r->sep.component) || !is_separator_char(r->sep.segment)
		|| r->sep.element == r->sep.repetition || r->sep.element == r->sep.component
		|| r->sep.element == r->sep.segment || r->sep.repetition == r->sep.component
		|| r->sep.repetition == r->sep.segment || r->sep.component == r->sep.segment)
		x12_error(&isa, 0, "The element separator (4th character), repetition separator (ISA11), component "
				  "separator (ISA16) and segment terminator (after ISA16) are four different characters, "
				  "none a letter, digit or space.",
				  "the separators %s, %s, %s and %s are not four distinct special characters",
				  sep_text(r->sep.element), sep_text(r->sep.repetition), sep_text(r->sep.component),
				  sep_text(r->sep.segment));
}

static bool
skippable(const X12Reader *r, char c)
{
	return (c == '\r' || c == '\n') && c != r->sep.segment && c != r->sep.element;
}

/* The segment's id for messages: up to 3 characters before the first separator. */
static void
segment_id(X12Segment *seg, const char *start, const char *stop, char element_sep)
{
	int			n = 0;

	while (n < 3 && start + n < stop && start[n] != element_sep)
		n++;
	memcpy(seg->id, start, n);
	seg->id[n] = '\0';
	for (int i = 0; i < n; i++)
		if (!isprint((unsigned char) seg->id[i]))
			seg->id[i] = '?';	/* messages stay valid text */
}

/* How many of f's first characters are in set (f is not NUL-terminated). */
static int
span(X12Field f, const char *set)
{
	int			n = 0;

	while (n < f.len && strchr(set, f.p[n]) != NULL && f.p[n] != '\0')
		n++;
	return n;
}

/* The next segment, split into elements; false at the end of the text. */
static bool
next_segment(X12Reader *r, X12Segment *seg)
{
	const char *start;
	const char *stop;

	while (r->p < r->end && skippable(r, *r->p))
		r->p++;
	if (r->p >= r->end)
		return false;
	start = r->p;
	stop = memchr(start, r->sep.segment, r->end - start);
	seg->pos = ++r->pos;
	seg->nel = 0;
	segment_id(seg, start, stop ? stop : r->end, r->sep.element);
	if (stop == NULL)
		x12_error(seg, 0, "End every segment with the terminator given after ISA16.",
				  "the segment is not terminated by %s", sep_text(r->sep.segment));
	for (const char *f = start;;)
	{
		const char *e = memchr(f, r->sep.element, stop - f);

		if (seg->nel == X12_MAX_ELEMENTS)
			x12_error(seg, 0, "271 segments have far fewer elements.", "more than %d elements", X12_MAX_ELEMENTS - 1);
		seg->el[seg->nel].p = f;
		seg->el[seg->nel].len = (e ? e : stop) - f;
		seg->nel++;
		if (e == NULL)
			break;
		f = e + 1;
	}
	if (seg->el[0].len < 2 || seg->el[0].len > 3 || span(seg->el[0], "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != seg->el[0].len)
		x12_error(seg, 0, "A segment starts with its id: 2 or 3 upper-case letters and digits (EB, DTP, ...).",
				  "%s is not a segment id", shown(seg->el[0]));
	r->p = stop + 1;
	return true;
}

/* ---- elements ----------------------------------------------------------- */

static X12Field
element(const X12Segment *seg, int i)
{
	X12Field	none = {NULL, 0};

	return i < seg->nel ? seg->el[i] : none;
}

static bool
given(const X12Segment *seg, int i)
{
	return element(seg, i).len > 0;
}

static bool
field_is(X12Field f, const char *s)
{
	return f.len == (int) strlen(s) && memcmp(f.p, s, f.len) == 0;
}

static bool
element_is(const X12Segment *seg, int i, const char *s)
{
	return field_is(element(seg, i), s);
}

static X12Field
required(const X12Segment *seg, int i, const char *hint)
{
	if (!given(seg, i))
		x12_error(seg, i, hint, "the element is required");
	return element(seg, i);
}

/* The n-th (0-based) part of f split at sep; {NULL, 0} when there are fewer parts. */
static X12Field
part(X12Field f, char sep, int n)
{
	const char *p = f.p;
	const char *end = f.p + f.len;
	X12Field	out = {NULL, 0};

	for (int i = 0; p != NULL && p <= end; i++)
	{
		const char *next = memchr(p, sep, end - p);

		if (i == n)
		{
			out.p = p;
			out.len = (next ? next : end) - p;
			return out;
		}
		p = next ? next + 1 : NULL;
	}
	return out;
}

/* A monetary amount or a decimal: digits with at most one decimal point, not negative. */
static char *
decimal_text(const X12Segment *seg, int i, const char *hint)
{
	X12Field	f = element(seg, i);
	int			digits = 0,
				points = 0;

	for (int k = 0; k < f.len; k++)
	{
		if (isdigit((unsigned char) f.p[k]))
			digits++;
		else if (f.p[k] == '.')
			points++;
		else
			x12_error(seg, i, hint, "%s is not an amount of zero or more", shown(f));
	}
	if (digits == 0 || points > 1 || span(f, "0123456789") > 10)
		x12_error(seg, i, hint, "%s is not an amount of zero or more", shown(f));
	return pnstrdup(f.p, f.len);
}

static bool
parse_ccyymmdd(X12Field f, DateADT *out)
{
	int			y,
				m,
				d;

	if (f.len != 8 || span(f, "0123456789") < 8)
		return false;
	y = (f.p[0] - '0') * 1000 + (f.p[1] - '0') * 100 + (f.p[2] - '0') * 10 + (f.p[3] - '0');
	m = (f.p[4] - '0') * 10 + (f.p[5] - '0');
	d = (f.p[6] - '0') * 10 + (f.p[7] - '0');
	if (y < 1800 || m < 1 || m > 12 || d < 1 || d > day_tab[isleap(y)][m - 1])
		return false;
	*out = date2j(y, m, d) - POSTGRES_EPOCH_JDATE;
	return true;
}

/* ---- the envelope ------------------------------------------------------- */

typedef struct Envelope
{
	int			st_count;		/* ST segments seen */
	int			st_pos;			/* position of ST */
	X12Field	st_control;
	X12Field	isa_control;
	bool		se_seen;
	bool		ge_seen;
	bool		iea_seen;
} Envelope;

static void
check_st(const X12Segment *seg, Envelope *env)
{
	if (++env->st_count > 1)
		x12_error(seg, 0, "Record one 271 transaction per call: split the interchange at its ST segments.",
				  "a second transaction in the interchange");
	if (!element_is(seg, 1, "271"))
		x12_error(seg, 1, "Give a 271 eligibility response (ST*271*...); a 270 is the inquiry.",
				  "%s is not transaction set 271", shown(element(seg, 1)));
	env->st_control = required(seg, 2, "ST02 is the transaction set control number, repeated in SE02.");
	if (given(seg, 3) && !element_is(seg, 3, "005010X279A1"))
		x12_error(seg, 3, "patsvc reads the HIPAA 271 of version 005010X279A1.",
				  "%s is not implementation 005010X279A1", shown(element(seg, 3)));
	env->st_pos = seg->pos;
}

static void
check_se(const X12Segment *seg, Envelope *env)
{
	X12Field	count = required(seg, 1, "SE01 is the number of segments from ST to SE, both included.");
	X12Field	control = required(seg, 2, "SE02 repeats the control number of ST02.");
	int			expected = seg->pos - env->st_pos + 1;
	char	   *counted = psprintf("%d", expected);

	if (env->st_count == 0)
		x12_error(seg, 0, "A transaction starts with ST.", "SE without ST");
	if (!field_is(count, counted))
		x12_error(seg, 1, "SE01 is the number of segments from ST to SE, both included.",
				  "%s segments, but the transaction has %d", shown(count), expected);
	if (control.len != env->st_control.len || memcmp(control.p, env->st_control.p, control.len) != 0)
		x12_error(seg, 2, "SE02 repeats the control number of ST02.", "%s is not the control number %s of ST02",
				  shown(control), shown(env->st_control));
	env->se_seen = true;
}

/* ---- what a front office needs ------------------------------------------ */

typedef struct ReadState
{
	Eligibility271 *out;
	bool		in_ls;			/* inside LS ... LE */
	bool		after_eb;		/* an EB was seen since the last HL */
	bool		has_trace2;
	int			status_rank;
	int			copay_rank;
	int			coins_rank;
	int			deductible_rank;
	int			remaining_rank;
	bool		auth_yes;
	bool		auth_no;
	DateADT		dtp[4];			/* 346, 347, 356, 357 */
	bool		has_dtp[4];
	DateADT		plan_from,
				plan_to;		/* DTP*291 */
	bool		has_plan_from,
				has_plan_to;
} ReadState;

static const char *const aaa_reasons[][2] = {
	{"04", "authorized quantity exceeded"},
	{"15", "required application data missing"},
	{"41", "authorization/access restrictions"},
	{"42", "unable to respond at current time"},
	{"43", "invalid/missing provider identification"},
	{"44", "invalid/missing provider name"},
	{"45", "invalid/missing provider specialty"},
	{"46", "invalid/missing provider phone number"},
	{"47", "invalid/missing provider state"},
	{"48", "invalid/missing referring provider identification number"},
	{"49", "provider is not primary care physician"},
	{"50", "provider ineligible for inquiries"},
	{"51", "provider not on file"},
	{"52", "service dates not within provider plan enrollment"},
	{"53", "inquired benefit inconsistent with provider type"},
	{"54", "inappropriate product/service ID qualifier"},
	{"55", "inappropriate product/service ID"},
	{"56", "inappropriate date"},
	{"57", "invalid/missing date(s) of service"},
	{"58", "invalid/missing date-of-birth"},
	{"60", "date of birth follows date(s) of service"},
	{"61", "date of death precedes date(s) of service"},
	{"62", "date of service not within allowable inquiry period"},
	{"63", "date of service in future"},
	{"64", "invalid/missing patient ID"},
	{"65", "invalid/missing patient name"},
	{"66", "invalid/missing patient gender code"},
	{"67", "patient not found"},
	{"68", "duplicate patient ID number"},
	{"69", "inconsistent with patient's age"},
	{"70", "inconsistent with patient's gender"},
	{"71", "patient birth date does not match that for the patient on the database"},
	{"72", "invalid/missing subscriber/insured ID"},
	{"73", "invalid/missing subscriber/insured name"},
	{"74", "invalid/missing subscriber/insured gender code"},
	{"75", "subscriber/insured not found"},
	{"76", "duplicate subscriber/insured ID number"},
	{"77", "subscriber found, patient not found"},
	{"78", "subscriber/insured not in group/plan identified"},
	{"79", "invalid participant identification"},
	{"80", "no response received - transaction terminated"},
	{"97", "invalid or missing provider address"},
	{"98", "experimental service or procedure"},
	{"AA", "authorization number not found"},
	{"AE", "requires primary care physician authorization"},
	{"AF", "invalid/missing diagnosis code(s)"},
	{"AG", "invalid/missing procedure code(s)"},
	{"AO", "additional patient condition information required"},
	{"CI", "certification information does not match patient"},
	{"E8", "requires medical review"},
	{"IA", "invalid authorization number format"},
	{"MA", "missing authorization"},
	{"T4", "payer name or identifier missing"},
};

static const char *const aaa_actions[][2] = {
	{"C", "please correct and resubmit"},
	{"N", "resubmission not allowed"},
	{"P", "please resubmit original transaction"},
	{"R", "resubmission allowed"},
	{"S", "do not resubmit; inquiry initiated to a third party"},
	{"W", "please wait 30 days and resubmit"},
	{"X", "please wait 10 days and resubmit"},
	{"Y", "do not resubmit; we will hand deliver"},
};

static const char *
code_meaning(const char *const table[][2], int n, X12Field code)
{
	for (int i = 0; i < n; i++)
		if (field_is(code, table[i][0]))
			return table[i][1];
	return NULL;
}

static void
read_aaa(const X12Segment *seg, ReadState *st)
{
	X12Field	valid = required(seg, 1, "AAA01 is Y or N (whether the request was valid).");
	X12Field	reason = required(seg, 3, "AAA03 is the reject reason code, e.g. 72 (invalid/missing subscriber ID).");
	X12Field	action = element(seg, 4);
	const char *meaning = code_meaning(aaa_reasons, lengthof(aaa_reasons), reason);
	const char *todo = code_meaning(aaa_actions, lengthof(aaa_actions), action);

	if (!field_is(valid, "Y") && !field_is(valid, "N"))
		x12_error(seg, 1, "AAA01 is Y or N (whether the request was valid).", "%s is not Y or N", shown(valid));
	if (meaning == NULL)
		x12_error(seg, 3, "AAA03 is a reject reason code of 005010X279A1, e.g. 42, 72, 75.",
				  "%s is not a reject reason code", shown(reason));
	if (action.len > 0 && todo == NULL)
		x12_error(seg, 4, "AAA04 is a follow-up action code: C, N, P, R, S, W, X or Y.",
				  "%s is not a follow-up action code", shown(action));
	if (st->out->rejection_code != NULL)
		return;
	st->out->rejection_code = pnstrdup(reason.p, reason.len);
	st->out->rejection_reason = todo ? psprintf("%s; %s", meaning, todo) : pstrdup(meaning);
}

static void
read_trn(const X12Segment *seg, ReadState *st)
{
	X12Field	type = required(seg, 1, "TRN01 is 1 (this transaction's trace) or 2 (the 270's trace).");
	X12Field	trace = required(seg, 2, "TRN02 is the trace number, up to 50 characters.");

	if (!field_is(type, "1") && !field_is(type, "2"))
		x12_error(seg, 1, "TRN01 is 1 (this transaction's trace) or 2 (the 270's trace).",
				  "%s is not a trace type code", shown(type));
	if (trace.len > 50)
		x12_error(seg, 2, "TRN02 is the trace number, up to 50 characters.", "the trace number is longer than 50");
	if (st->has_trace2 || (st->out->trace_number != NULL && !field_is(type, "2")))
		return;
	st->out->trace_number = pnstrdup(trace.p, trace.len);
	st->has_trace2 = field_is(type, "2");
}

/* DTP at the subscriber or dependent level: the plan's and the eligibility's dates. */
static void
read_dtp(const X12Segment *seg, ReadState *st)
{
	static const char *const qualifiers[4] = {"346", "347", "356", "357"};
	X12Field	qualifier = required(seg, 1, "DTP01 is the date qualifier, e.g. 346 (plan begin).");
	X12Field	format = required(seg, 2, "DTP02 is D8 (a date) or RD8 (a range of dates).");
	X12Field	value = required(seg, 3, "DTP03 is a date CCYYMMDD (D8) or a range CCYYMMDD-CCYYMMDD (RD8).");
	bool		range = field_is(format, "RD8");
	DateADT		from,
				to;

	if (!range && !field_is(format, "D8"))
		x12_error(seg, 2, "DTP02 is D8 (a date) or RD8 (a range of dates).", "%s is not D8 or RD8", shown(format));
	if (range ? !(value.len == 17 && value.p[8] == '-' && parse_ccyymmdd(part(value, '-', 0), &from)
				  && parse_ccyymmdd(part(value, '-', 1), &to) && from <= to)
		: !parse_ccyymmdd(value, &from))
		x12_error(seg, 3, "DTP03 is a date CCYYMMDD (D8) or a range CCYYMMDD-CCYYMMDD (RD8), the first not after the second.",
				  "%s is not a valid %s", shown(value), range ? "range of dates" : "date");
	if (!range)
		to = from;
	if (st->after_eb)
		return;					/* a benefit's own dates (2110C/D) */
	for (int i = 0; i < 4; i++)
		if (field_is(qualifier, qualifiers[i]))
		{
			st->dtp[i] = from;
			st->has_dtp[i] = true;
		}
	if (field_is(qualifier, "291"))
	{
		st->plan_from = from;
		st->has_plan_from = true;
		st->plan_to = to;
		st->has_plan_to = range;
	}
	if (field_is(qualifier, "307"))
	{
		st->out->eligibility_date = from;
		st->out->has_eligibility_date = !range;
	}
}

/* Office visit codes: E/M new and established patients (CPT 99202-99215). */
static bool
is_office_visit_code(X12Field code)
{
	return code.len == 5 && memcmp(code.p, "992", 3) == 0 && isdigit((unsigned char) code.p[3])
		&& isdigit((unsigned char) code.p[4]) && ((code.p[3] - '0') * 10 + (code.p[4] - '0')) >= 2
		&& ((code.p[3] - '0') * 10 + (code.p[4] - '0')) <= 15;
}

/*
 * How well a benefit describes an office visit: 3 for service type 98
 * (professional physician visit, office) or an office-visit procedure code
 * (EB13, HC:99202-99215), 2 for 30 (health benefit plan) or none given,
 * 1 for 1 (medical care), 0 otherwise (another service: not used).
 */
static int
office_visit_score(const X12Segment *seg, const X12Seps *sep)
{
	X12Field	types = element(seg, 3);
	X12Field	procedure = element(seg, 13);
	int			score = types.len == 0 ? 2 : 0;

	if (procedure.len > 0)
	{
		X12Field	qualifier = part(procedure, sep->component, 0);

		if (!field_is(qualifier, "HC") && !field_is(qualifier, "AD") && !field_is(qualifier, "CJ")
			&& !field_is(qualifier, "ID") && !field_is(qualifier, "IV") && !field_is(qualifier, "N4")
			&& !field_is(qualifier, "ZZ"))
			x12_error(seg, 13, "EB13 is a composite: qualifier (HC, AD, CJ, ID, IV, N4, ZZ), component separator, code.",
					  "%s is not a product or service id qualifier", shown(qualifier));
		if (part(procedure, sep->component, 1).len == 0)
			x12_error(seg, 13, "EB13 is a composite: qualifier, component separator, code (e.g. HC:99213).",
					  "the procedure code (component 2) is missing");
		return field_is(qualifier, "HC") && is_office_visit_code(part(procedure, sep->component, 1)) ? 3 : 0;
	}
	for (int i = 0;; i++)
	{
		X12Field	type = part(types, sep->repetition, i);

		if (type.p == NULL)
			break;
		if (type.len < 1 || type.len > 2)
			x12_error(seg, 3, "EB03 is one or more service type codes (1 or 2 characters) joined by the repetition separator.",
					  "%s is not a service type code", shown(type));
		score = Max(score, field_is(type, "98") ? 3 : field_is(type, "30") ? 2 : field_is(type, "1") ? 1 : 0);
	}
	return score;
}

/* In network: 3 yes, 2 not applicable or not given, 1 unknown, 0 out of network. */
static int
network_score(const X12Segment *seg)
{
	X12Field	f = element(seg, 12);

	if (f.len == 0 || field_is(f, "W"))
		return 2;
	if (field_is(f, "Y"))
		return 3;
	if (field_is(f, "U"))
		return 1;
	if (field_is(f, "N"))
		return 0;
	x12_error(seg, 12, "EB12 is Y (in network), N (out of network), U (unknown) or W (not applicable).",
			  "%s is not Y, N, U or W", shown(f));
	return 0;
}

static bool
yes_no_unknown(const X12Segment *seg, int i, bool *yes)
{
	X12Field	f = element(seg, i);

	if (f.len == 0 || field_is(f, "U"))
		return false;
	if (!field_is(f, "Y") && !field_is(f, "N"))
		x12_error(seg, i, "EB11 is Y (authorization required), N (not required) or U (unknown).",
				  "%s is not Y, N or U", shown(f));
	*yes = field_is(f, "Y");
	return true;
}

/* Keeps value in *slot when rank beats *best_rank. */
static bool
better(int rank, int *best_rank)
{
	if (rank <= *best_rank)
		return false;
	*best_rank = rank;
	return true;
}

static void
read_eb_status(const X12Segment *seg, ReadState *st, X12Field code, int visit)
{
	bool		in;
	int			rank = (visit >= 2 ? 2 : 1);

	if (!better(rank, &st->status_rank))
		return;
	st->out->has_active = true;
	st->out->active = code.p[0] >= '1' && code.p[0] <= '5';
	st->out->has_in_network = false;
	if (element(seg, 12).len > 0 && (field_is(element(seg, 12), "Y") || field_is(element(seg, 12), "N")))
	{
		in = field_is(element(seg, 12), "Y");
		st->out->has_in_network = true;
		st->out->in_network = in;
	}
}

static void
read_eb(const X12Segment *seg, ReadState *st, const X12Seps *sep)
{
	X12Field	code = required(seg, 1, "EB01 is the eligibility or benefit code, e.g. 1 (active), B (copayment).");
	X12Field	level = element(seg, 2);
	X12Field	period = element(seg, 6);
	int			visit = office_visit_score(seg, sep);
	int			network = network_score(seg);
	bool		auth;
	char	   *amount = given(seg, 7) ? decimal_text(seg, 7, "EB07 is a monetary amount of zero or more, at most 10 digits before the decimal point, e.g. 10.00.") : NULL;
	char	   *percent = given(seg, 8) ? decimal_text(seg, 8, "EB08 is a percentage as a decimal, e.g. 0.2 for 20 %.") : NULL;
	int			rank;

	if (code.len > 2 || span(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") < code.len)
		x12_error(seg, 1, "EB01 is the eligibility or benefit code, e.g. 1 (active), B (copayment).",
				  "%s is not an eligibility or benefit code", shown(code));
	if (percent != NULL && strtod(percent, NULL) > 1.0)
		x12_error(seg, 8, "EB08 is a percentage as a decimal between 0 and 1, e.g. 0.2 for 20 %.",
				  "%s is more than 100 %%", shown(element(seg, 8)));
	st->after_eb = true;
	if (code.len == 1 && code.p[0] >= '1' && code.p[0] <= '8')
		read_eb_status(seg, st, code, visit);
	if (visit == 0 || network == 0)
		return;					/* another service, or out of network */
	if (yes_no_unknown(seg, 11, &auth))
		*(auth ? &st->auth_yes : &st->auth_no) = true;
	/* rank: the service first, then the network, then the level (individual) and period */
	rank = visit * 100 + network * 10;
	if (field_is(code, "B") && amount != NULL && better(rank + (field_is(period, "27") ? 2 : 1), &st->copay_rank))
		st->out->copay = amount;
	else if (field_is(code, "A") && percent != NULL && better(rank + 1, &st->coins_rank))
		st->out->coinsurance_fraction = percent;
	else if (field_is(code, "C") && amount != NULL && !field_is(period, "24"))
	{
		int			level_rank = field_is(level, "FAM") ? 1 : 2;

		if (field_is(period, "29"))
		{
			if (better(rank + level_rank, &st->remaining_rank))
				st->out->deductible_remaining = amount;
		}
		else if (better(rank + level_rank, &st->deductible_rank))
			st->out->deductible = amount;
	}
}

/* The plan's dates: 346/347, else the range of 291, else eligibility 356/357. */
static void
finish(ReadState *st)
{
	Eligibility271 *out = st->out;

	out->has_plan_begin = st->has_dtp[0] || st->has_plan_from || st->has_dtp[2];
	out->plan_begin = st->has_dtp[0] ? st->dtp[0] : st->has_plan_from ? st->plan_from : st->dtp[2];
	out->has_plan_end = st->has_dtp[1] || st->has_plan_to || st->has_dtp[3];
	out->plan_end = st->has_dtp[1] ? st->dtp[1] : st->has_plan_to ? st->plan_to : st->dtp[3];
	if (out->has_plan_begin && out->has_plan_end && out->plan_end < out->plan_begin)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("malformed X12 271: the plan ends (DTP*347, 291 or 357) before it begins (DTP*346, 291 or 356)"),
				 errdetail("Nothing was stored."),
				 errhint("Plan dates are CCYYMMDD, the end not before the beginning.")));
	out->has_authorization_required = st->auth_yes || st->auth_no;
	out->authorization_required = st->auth_yes;
	if (out->rejection_code != NULL)
		out->has_active = false;	/* a rejected inquiry says nothing of the plan */
}

static void
read_transaction_segment(const X12Segment *seg, ReadState *st, const X12Seps *sep)
{
	if (strcmp(seg->id, "LS") == 0)
		st->in_ls = true;
	else if (strcmp(seg->id, "LE") == 0)
		st->in_ls = false;
	else if (st->in_ls)
		return;
	else if (strcmp(seg->id, "HL") == 0)
		st->after_eb = false;
	else if (strcmp(seg->id, "TRN") == 0)
		read_trn(seg, st);
	else if (strcmp(seg->id, "AAA") == 0)
		read_aaa(seg, st);
	else if (strcmp(seg->id, "DTP") == 0)
		read_dtp(seg, st);
	else if (strcmp(seg->id, "EB") == 0)
		read_eb(seg, st, sep);
}

static void
check_after_iea(X12Reader *r, X12Segment *seg)
{
	if (next_segment(r, seg))
		x12_error(seg, 0, "Give one interchange: nothing follows IEA.", "a segment after IEA");
}

void
x12_271_parse(const char *raw, int len, Eligibility271 *out)
{
	X12Reader	r = {.p = raw, .end = raw + len};
	X12Segment *seg = palloc(sizeof(X12Segment));
	Envelope	env = {0};
	ReadState	st = {.out = out};

	memset(out, 0, sizeof(*out));
	while (r.p < r.end && (*r.p == '\r' || *r.p == '\n' || *r.p == ' ' || *r.p == '\t'))
		r.p++;
	read_isa(&r);
	env.isa_control = (X12Field) {r.p + 90, 9};
	while (next_segment(&r, seg))
	{
		bool		in_transaction = env.st_count == 1 && !env.se_seen;

		if (seg->pos == 2 && !(strcmp(seg->id, "GS") == 0 && element_is(seg, 1, "HB")))
			x12_error(seg, strcmp(seg->id, "GS") == 0 ? 1 : 0, "ISA is followed by GS*HB (a group of eligibility responses).",
					  "expected GS with functional id HB");
		if (strcmp(seg->id, "ST") == 0)
			check_st(seg, &env);
		else if (strcmp(seg->id, "SE") == 0)
			check_se(seg, &env);
		else if (strcmp(seg->id, "GE") == 0)
			env.ge_seen = true;
		else if (strcmp(seg->id, "IEA") == 0)
		{
			if (!env.se_seen || !env.ge_seen)
				x12_error(seg, 0, "The envelope closes in order: SE, GE, IEA.", "IEA before %s", env.se_seen ? "GE" : "SE");
			if (!field_is(element(seg, 2), "") && (element(seg, 2).len != 9 || memcmp(element(seg, 2).p, env.isa_control.p, 9) != 0))
				x12_error(seg, 2, "IEA02 repeats the interchange control number of ISA13.",
						  "%s is not the control number %s of ISA13", shown(element(seg, 2)), shown(env.isa_control));
			env.iea_seen = true;
			check_after_iea(&r, seg);
			break;
		}
		else if (in_transaction)
			read_transaction_segment(seg, &st, &r.sep);
		else if (seg->pos > 2)
			x12_error(seg, 0, "Segments of the 271 stand between ST and SE.", "a segment outside the transaction");
	}
	if (!env.iea_seen)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("malformed X12 271: the interchange ends after segment %d without %s", r.pos,
						env.st_count == 0 ? "a transaction (ST*271)" : !env.se_seen ? "SE" : !env.ge_seen ? "GE" : "IEA"),
				 errdetail("Nothing was stored."),
				 errhint("A 271 interchange holds ISA, GS, ST ... SE, GE and IEA, each segment ended by the terminator.")));
	finish(&st);
}
