/*
 * npi.c -- National Provider Identifier: 10 digits, the first 1 or 2, the
 * last a Luhn check digit computed as if the prefix 80840 stood in front
 * (CMS "Requirements for NPI Check Digit"): check = (10 - (24 + S) mod 10)
 * mod 10, S being the Luhn sum of the 9-digit body.  Stored as the 10-digit
 * number; all NPIs have 10 digits, so the integer order is the text order.
 */
#include "postgres.h"

#include "utils/builtins.h"

#include "core/core.h"
#include "codes/codes.h"

#define NPI_LEN 10
#define NPI_BODY_LEN 9

/* Check digit of a 9-digit body (digits as characters): Luhn, after the 80840 prefix (sum 24). */
static int
npi_check_digit_of(const char *body)
{
	return patsvc_luhn_check_digit(body, NPI_BODY_LEN, 24);
}

/* Digits only, first digit 1 or 2, of length want. */
static bool
npi_check_shape(const char *s, int len, int want, const char *what, CodeParseError *err)
{
	if (len == 0)
		return code_fail(err, "The value is empty.");
	for (int i = 0; i < len; i++)
		if (!(s[i] >= '0' && s[i] <= '9'))
			return code_fail_at(err, "a digit", i + 1, s[i]);
	if (len != want)
		return code_fail(err, "The value has %d digits; %s has %d.", len, what, want);
	if (s[0] != '1' && s[0] != '2')
		return code_fail_at(err, "1 or 2", 1, s[0]);
	return true;
}

static bool
npi_parse(const char *str, int64 *result, CodeParseError *err)
{
	const char *s;
	int			len;
	int			expected;

	code_trim(str, &s, &len);
	if (!npi_check_shape(s, len, NPI_LEN, "an NPI", err))
		return false;
	expected = npi_check_digit_of(s);
	if (s[NPI_LEN - 1] - '0' != expected)
	{
		code_fail(err, "The check digit (character 10) is %c, but the Luhn check of the first 9 digits "
				  "with the 80840 prefix gives %d.", s[NPI_LEN - 1], expected);
		snprintf(err->hint, sizeof(err->hint),
				 "The check digit should be %d (%.9s%d) if the first 9 digits are right.",
				 expected, s, expected);
		return false;
	}
	*result = 0;
	for (int i = 0; i < NPI_LEN; i++)
		*result = *result * 10 + (s[i] - '0');
	return true;
}

static void
npi_format(int64 value, char *buf)
{
	snprintf(buf, CODE_TEXT_MAX, "%010lld", (long long) value);
}

const CodeType npi_type = {
	"npi",
	"An NPI is 10 digits starting with 1 or 2, the last a Luhn check digit computed with the "
	"80840 prefix, e.g. 1234567893.",
	npi_parse,
	npi_format,
};

PATSVC_CODE_TYPE_FUNCTIONS(npi, npi_type);

/* npi_check_digit('123456789') = 3: the digit that completes a 9-digit body. */
PG_FUNCTION_INFO_V1(patsvc_npi_check_digit);
Datum
patsvc_npi_check_digit(PG_FUNCTION_ARGS)
{
	char	   *str = text_to_cstring(PG_GETARG_TEXT_PP(0));
	const char *s;
	int			len;
	CodeParseError err;

	code_trim(str, &s, &len);
	if (!npi_check_shape(s, len, NPI_BODY_LEN, "an NPI body", &err))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid NPI body: \"%s\"", str),
				 errdetail_internal("%s", err.detail),
				 errhint("An NPI body is the first 9 digits of an NPI, starting with 1 or 2, "
						 "e.g. 123456789.")));
	PG_RETURN_INT32(npi_check_digit_of(s));
}
