/*
 * code_modifier.c -- CPT and HCPCS procedure modifiers: 2 letters or digits
 * (25, LT, GA, F1, P3, 1P).  Packed as 2 six-bit symbols, so the integer
 * order is the order of the text.
 */
#include "postgres.h"

#include "codes/codes.h"

#define MODIFIER_LEN 2

static bool
code_modifier_parse(const char *str, int64 *result, CodeParseError *err)
{
	const char *s;
	int			len;
	char		code[MODIFIER_LEN];

	code_trim(str, &s, &len);
	if (len == 0)
		return code_fail(err, "The value is empty.");
	for (int i = 0; i < len; i++)
	{
		char		c = pg_ascii_toupper((unsigned char) s[i]);

		if (i == MODIFIER_LEN)
			return code_fail(err, "The modifier has more than %d characters.", MODIFIER_LEN);

		if (code_sym(c) < 0)
			return code_fail_at(err, "a letter or digit", i + 1, s[i]);
		code[i] = c;
	}
	if (len < MODIFIER_LEN)
		return code_fail(err, "The modifier has %d character; modifiers have 2.", len);
	*result = code_pack(code, MODIFIER_LEN, MODIFIER_LEN);
	return true;
}

static void
code_modifier_format(int64 value, char *buf)
{
	code_unpack(value, MODIFIER_LEN, buf);
}

const CodeType code_modifier_type = {
	"code_modifier",
	"A modifier is 2 letters or digits, e.g. 25, LT, GA or F1.",
	code_modifier_parse,
	code_modifier_format,
};

PATSVC_CODE_TYPE_FUNCTIONS(code_modifier, code_modifier_type);
