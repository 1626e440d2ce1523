/*
 * cpt.c -- CPT codes (shape only: the code list is AMA-licensed).
 * 5 digits (Category I, 99213) or 4 digits and F (Category II, 3074F),
 * T (Category III, 0042T), U (PLA, 0001U) or M (MAAA, 0002M).  Packed as 5
 * six-bit symbols, so the integer order is the order of the text.
 */
#include "postgres.h"

#include "utils/builtins.h"

#include "codes/codes.h"

#define CPT_LEN 5

static bool
cpt_parse(const char *str, int64 *result, CodeParseError *err)
{
	const char *s;
	int			len;
	char		code[CPT_LEN];

	code_trim(str, &s, &len);
	if (len == 0)
		return code_fail(err, "The value is empty.");
	for (int i = 0; i < len; i++)
	{
		char		c = pg_ascii_toupper((unsigned char) s[i]);

		if (i == CPT_LEN)
			return code_fail(err, "The code has more than %d characters.", CPT_LEN);
		if (i < CPT_LEN - 1 && !(c >= '0' && c <= '9'))
			return code_fail_at(err, "a digit", i + 1, s[i]);
		if (i == CPT_LEN - 1 &&
			!((c >= '0' && c <= '9') || c == 'F' || c == 'T' || c == 'U' || c == 'M'))
			return code_fail_at(err, "a digit or one of F, T, U, M", i + 1, s[i]);
		code[i] = c;
	}
	if (len < CPT_LEN)
		return code_fail(err, "The code has %d characters; CPT codes have 5.", len);
	*result = code_pack(code, CPT_LEN, CPT_LEN);
	return true;
}

static void
cpt_format(int64 value, char *buf)
{
	code_unpack(value, CPT_LEN, buf);
}

const CodeType cpt_type = {
	"cpt",
	"A CPT code is 5 digits (Category I, e.g. 99213) or 4 digits followed by F (Category II), "
	"T (Category III), U (PLA) or M (MAAA), e.g. 3074F or 0042T.",
	cpt_parse,
	cpt_format,
};

PATSVC_CODE_TYPE_FUNCTIONS(cpt, cpt_type);

/* The category from the 5th character: I, II, III, PLA or MAAA. */
PG_FUNCTION_INFO_V1(patsvc_cpt_category);
Datum
patsvc_cpt_category(PG_FUNCTION_ARGS)
{
	char		code[CODE_TEXT_MAX];
	const char *category;

	cpt_format(PG_GETARG_INT64(0), code);
	switch (code[CPT_LEN - 1])
	{
		case 'F':
			category = "II";
			break;
		case 'T':
			category = "III";
			break;
		case 'U':
			category = "PLA";
			break;
		case 'M':
			category = "MAAA";
			break;
		default:
			category = "I";
			break;
	}
	PG_RETURN_TEXT_P(cstring_to_text(category));
}
