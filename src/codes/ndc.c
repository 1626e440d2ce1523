/*
 * ndc.c -- National Drug Codes.
 *
 * Input: a 10-digit NDC with hyphens in one of the FDA patterns 4-4-2,
 * 5-3-2 or 5-4-1, or the 11-digit billing form 5-4-2 with or without
 * hyphens.  A 10-digit value without hyphens is refused: it cannot be told
 * which segment lacks its leading zero.  Canonical output is the 11-digit
 * 5-4-2 form with hyphens (01234-5678-90): the short segment of a 10-digit
 * NDC gets a leading zero (HIPAA/CMS rule).
 *
 * Packing: bits 0-39 hold the digits of the NDC as a number (any 12-digit
 * number is below 2^40); bits 40-41 are reserved for the canonical form,
 * 0 = 11-digit 5-4-2 (the only one today).  The 12-digit 6-4-2 form of the
 * FDA rule effective 2033-03-07 gives existing codes a leading zero, so an
 * 11-digit NDC keeps the same number in that form; a later version can
 * print form-0 values as 6-4-2 or add form 1 without rewriting stored data.
 * All form-0 values have 11 digits, so the integer order is the text order.
 * The source pattern (4-4-2, 5-3-2, 5-4-1) is not stored: two spellings of
 * the same 11-digit code are equal, as they are on a claim.
 */
#include "postgres.h"

#include "utils/builtins.h"

#include "codes/codes.h"

#define NDC_DIGITS 11
#define NDC_MAX_SEGMENTS 3

/* Segment lengths accepted with hyphens: the 10-digit FDA forms and 5-4-2. */
static const int ndc_patterns[][NDC_MAX_SEGMENTS] = {
	{4, 4, 2},
	{5, 3, 2},
	{5, 4, 1},
	{5, 4, 2},
};

static const int ndc_canonical[NDC_MAX_SEGMENTS] = {5, 4, 2};

static bool
ndc_parse_unhyphenated(const char *s, int len, int64 *result, CodeParseError *err)
{
	if (len == 10)
	{
		code_fail(err, "A 10-digit NDC without hyphens is ambiguous: it may be 4-4-2, 5-3-2 or 5-4-1.");
		snprintf(err->hint, sizeof(err->hint),
				 "Write it with hyphens as on the package (e.g. 1234-5678-90, 12345-678-90 or "
				 "12345-6789-0), or give the 11-digit billing form (e.g. 01234567890).");
		return false;
	}
	if (len != NDC_DIGITS)
		return code_fail(err, "The value has %d digits; an NDC without hyphens has 11.", len);
	*result = 0;
	for (int i = 0; i < len; i++)
		*result = *result * 10 + (s[i] - '0');
	return true;
}

/*
 * Each segment, read as a number, fills its place in the 5-4-2 form:
 * 12345-678-90 -> 12345 0678 90 -> 12345067890.
 */
static int64
ndc_pack_segments(const char *const *digits, const int *seg)
{
	int64		value = 0;

	for (int k = 0; k < NDC_MAX_SEGMENTS; k++)
	{
		int64		part = 0;

		for (int i = 0; i < seg[k]; i++)
			part = part * 10 + (digits[k][i] - '0');
		for (int i = 0; i < ndc_canonical[k]; i++)
			value *= 10;
		value += part;
	}
	return value;
}

static bool
ndc_parse(const char *str, int64 *result, CodeParseError *err)
{
	const char *s;
	int			len;
	int			seg[NDC_MAX_SEGMENTS] = {0, 0, 0};
	int			nseg = 1;
	const char *digits[NDC_MAX_SEGMENTS];

	code_trim(str, &s, &len);
	if (len == 0)
		return code_fail(err, "The value is empty.");
	digits[0] = s;
	for (int i = 0; i < len; i++)
	{
		if (s[i] == '-')
		{
			if (nseg == NDC_MAX_SEGMENTS)
				return code_fail(err, "The NDC has more than 2 hyphens (character %d).", i + 1);
			digits[nseg++] = s + i + 1;
			continue;
		}
		if (!(s[i] >= '0' && s[i] <= '9'))
			return code_fail_at(err, "a digit or hyphen", i + 1, s[i]);
		seg[nseg - 1]++;
	}
	if (nseg == 1)
		return ndc_parse_unhyphenated(s, len, result, err);
	if (nseg == 2)
		return code_fail(err, "The NDC has 1 hyphen; a hyphenated NDC has 2 (labeler-product-package).");
	for (int p = 0; p < lengthof(ndc_patterns); p++)
	{
		if (memcmp(seg, ndc_patterns[p], sizeof(seg)) != 0)
			continue;
		*result = ndc_pack_segments(digits, seg);
		return true;
	}
	return code_fail(err, "The segments have %d-%d-%d digits; an NDC has 4-4-2, 5-3-2 or 5-4-1 "
					 "(10 digits) or 5-4-2 (11 digits).", seg[0], seg[1], seg[2]);
}

/* 11 digits, no hyphens: the form of the 837 LIN segment (qualifier N4). */
static void
ndc_digits(int64 value, char *buf)
{
	snprintf(buf, CODE_TEXT_MAX, "%0*lld", NDC_DIGITS, (long long) value);
}

static void
ndc_format(int64 value, char *buf)
{
	char		d[CODE_TEXT_MAX];
	int			n = 0,
				src = 0;

	ndc_digits(value, d);
	for (int k = 0; k < NDC_MAX_SEGMENTS; k++)
	{
		if (k > 0)
			buf[n++] = '-';
		memcpy(buf + n, d + src, ndc_canonical[k]);
		n += ndc_canonical[k];
		src += ndc_canonical[k];
	}
	buf[n] = '\0';
}

const CodeType ndc_type = {
	"ndc",
	"An NDC is 10 digits with hyphens as 4-4-2, 5-3-2 or 5-4-1 (e.g. 1234-5678-90), "
	"or 11 digits as 5-4-2 with or without hyphens (e.g. 01234-5678-90 or 01234567890).",
	ndc_parse,
	ndc_format,
};

PATSVC_CODE_TYPE_FUNCTIONS(ndc, ndc_type);

/* ndc_to_837('1234-5678-90') = '01234567890' */
PG_FUNCTION_INFO_V1(patsvc_ndc_to_837);
Datum
patsvc_ndc_to_837(PG_FUNCTION_ARGS)
{
	char		buf[CODE_TEXT_MAX];

	ndc_digits(PG_GETARG_INT64(0), buf);
	PG_RETURN_TEXT_P(cstring_to_text(buf));
}
