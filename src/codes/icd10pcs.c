/*
 * icd10pcs.c -- ICD-10-PCS procedure codes: exactly 7 of 0-9 and A-Z
 * except I and O (0DTJ4ZZ).  Packed as 7 six-bit symbols (codes.h), so the
 * integer order is the order of the text.
 */
#include "postgres.h"

#include "codes/codes.h"

#define ICD10PCS_LEN 7

static bool
icd10pcs_parse(const char *str, int64 *result, CodeParseError *err)
{
	const char *s;
	int			len;
	char		code[ICD10PCS_LEN];

	code_trim(str, &s, &len);
	if (len == 0)
		return code_fail(err, "The value is empty.");
	for (int i = 0; i < len; i++)
	{
		char		c = pg_ascii_toupper((unsigned char) s[i]);

		if (i == ICD10PCS_LEN)
			return code_fail(err, "The code has more than %d characters.", ICD10PCS_LEN);

		if (code_sym(c) < 0 || c == 'I' || c == 'O')
			return code_fail_at(err, "a digit or a letter other than I and O", i + 1, s[i]);
		code[i] = c;
	}
	if (len < ICD10PCS_LEN)
		return code_fail(err, "The code has %d characters; ICD-10-PCS codes have 7.", len);
	*result = code_pack(code, ICD10PCS_LEN, ICD10PCS_LEN);
	return true;
}

static void
icd10pcs_format(int64 value, char *buf)
{
	code_unpack(value, ICD10PCS_LEN, buf);
}

const CodeType icd10pcs_type = {
	"icd10pcs",
	"An ICD-10-PCS code is exactly 7 characters, each a digit or a letter other than I and O, "
	"e.g. 0DTJ4ZZ.",
	icd10pcs_parse,
	icd10pcs_format,
};

PATSVC_CODE_TYPE_FUNCTIONS(icd10pcs, icd10pcs_type);
