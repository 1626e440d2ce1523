/*
 * hcpcs.c -- HCPCS Level II codes: a letter A-V, then 4 digits (J1100).
 */
#include "postgres.h"

#include "codes/codes.h"

#define HCPCS_LEN 5

static bool
hcpcs_parse(const char *str, int64 *result, CodeParseError *err)
{
	const char *s;
	int			len;
	char		code[HCPCS_LEN];

	code_trim(str, &s, &len);
	if (len == 0)
		return code_fail(err, "The value is empty.");
	if (len != HCPCS_LEN)
		return code_fail(err, "The code has %d characters; HCPCS Level II codes have 5.", len);
	code[0] = pg_ascii_toupper((unsigned char) s[0]);
	if (!(code[0] >= 'A' && code[0] <= 'V'))
		return code_fail_at(err, "a letter from A to V", 1, s[0]);
	for (int i = 1; i < HCPCS_LEN; i++)
	{
		if (!(s[i] >= '0' && s[i] <= '9'))
			return code_fail_at(err, "a digit", i + 1, s[i]);
		code[i] = s[i];
	}
	*result = code_pack(code, HCPCS_LEN, HCPCS_LEN);
	return true;
}

static void
hcpcs_format(int64 value, char *buf)
{
	code_unpack(value, HCPCS_LEN, buf);
}

const CodeType hcpcs_type = {
	"hcpcs",
	"A HCPCS Level II code is a letter from A to V followed by 4 digits, e.g. J1100.",
	hcpcs_parse,
	hcpcs_format,
};

PATSVC_CODE_TYPE_FUNCTIONS(hcpcs, hcpcs_type);
