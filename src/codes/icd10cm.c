/*
 * icd10cm.c -- ICD-10-CM diagnosis codes.
 *
 * 3 to 7 characters: a letter, a digit, then letters or digits; an optional
 * dot only after the 3rd character.  Canonical: upper case, dotted when
 * longer than 3 (E11.9, T36.0X1A, C4A.0, U07.1, A00).  Packed as 7 six-bit
 * symbols, so A00 < A00.0 < A01, as in the text.
 */
#include "postgres.h"

#include "utils/builtins.h"

#include "codes/codes.h"

#define ICD10CM_MAX 7

/*
 * One pass that checks and packs at once: this runs for every row of a COPY,
 * so it avoids a second loop over a copy of the characters.
 */
static bool
icd10cm_parse(const char *str, int64 *result, CodeParseError *err)
{
	const char *s;
	int			len;
	int64		packed = 0;
	int			n = 0;

	code_trim(str, &s, &len);
	if (len == 0)
		return code_fail(err, "The value is empty.");
	for (int i = 0; i < len; i++)
	{
		int			sym = code_sym_folded[(unsigned char) s[i]];

		if (s[i] == '.')
		{
			if (n != 3 || i != 3)
				return code_fail(err, "A dot may only follow the 3rd character.");
			if (i == len - 1)
				return code_fail(err, "A dot must be followed by more characters.");
			continue;
		}
		if (n == ICD10CM_MAX)
			return code_fail(err, "The code has more than %d characters.", ICD10CM_MAX);
		if (n == 0 && sym < code_sym('A'))
			return code_fail_at(err, "a letter", 1, s[i]);
		if (n == 1 && (sym < code_sym('0') || sym > code_sym('9')))
			return code_fail_at(err, "a digit", 2, s[i]);
		if (sym < 0)
			return code_fail_at(err, "a letter or digit", n + 1, s[i]);
		packed = (packed << 6) | sym;
		n++;
	}
	if (n < 3)
		return code_fail(err, "The code has %d character%s; ICD-10-CM codes have 3 to 7.",
						 n, n == 1 ? "" : "s");
	/* the same as code_pack(): unused trailing positions are symbol 0 */
	*result = packed << (6 * (ICD10CM_MAX - n));
	return true;
}

static void
icd10cm_format(int64 value, char *buf)
{
	char		plain[ICD10CM_MAX + 1];
	int			len;

	code_unpack(value, ICD10CM_MAX, plain);
	len = strlen(plain);
	memcpy(buf, plain, 3);
	if (len > 3)
	{
		buf[3] = '.';
		memcpy(buf + 4, plain + 3, len - 3 + 1);
	}
	else
		buf[3] = '\0';
}

const CodeType icd10cm_type = {
	"icd10cm",
	"An ICD-10-CM code is a letter, a digit, then 1 to 5 letters or digits, "
	"with an optional dot after the 3rd character, e.g. E11.9, T36.0X1A or I10.",
	icd10cm_parse,
	icd10cm_format,
};

PATSVC_CODE_TYPE_FUNCTIONS(icd10cm, icd10cm_type);

/* The 3-character category: E11.9 -> E11. */
PG_FUNCTION_INFO_V1(patsvc_icd10cm_category);
Datum
patsvc_icd10cm_category(PG_FUNCTION_ARGS)
{
	int64		v = PG_GETARG_INT64(0);

	PG_RETURN_INT64(v & ~(((int64) 1 << (6 * (ICD10CM_MAX - 3))) - 1));
}

/* FY2021 chapters as ranges of 3-character categories, compared as strings. */
typedef struct Icd10cmChapter
{
	const char *first;
	const char *last;
	int			chapter;
} Icd10cmChapter;

static const Icd10cmChapter icd10cm_chapters[] = {
	{"A00", "B99", 1}, {"C00", "D49", 2}, {"D50", "D89", 3}, {"E00", "E89", 4},
	{"F01", "F99", 5}, {"G00", "G99", 6}, {"H00", "H59", 7}, {"H60", "H95", 8},
	{"I00", "I99", 9}, {"J00", "J99", 10}, {"K00", "K95", 11}, {"L00", "L99", 12},
	{"M00", "M99", 13}, {"N00", "N99", 14}, {"O00", "O9A", 15}, {"P00", "P96", 16},
	{"Q00", "Q99", 17}, {"R00", "R99", 18}, {"S00", "T88", 19}, {"V00", "Y99", 20},
	{"Z00", "Z99", 21}, {"U00", "U85", 22},
};

/* The FY2021 chapter (1-22) of a code, NULL when its category is in none. */
PG_FUNCTION_INFO_V1(patsvc_icd10cm_chapter);
Datum
patsvc_icd10cm_chapter(PG_FUNCTION_ARGS)
{
	char		code[CODE_TEXT_MAX];

	icd10cm_format(PG_GETARG_INT64(0), code);
	code[3] = '\0';
	for (int i = 0; i < lengthof(icd10cm_chapters); i++)
	{
		const Icd10cmChapter *ch = &icd10cm_chapters[i];

		if (strcmp(code, ch->first) >= 0 && strcmp(code, ch->last) <= 0)
			PG_RETURN_INT32(ch->chapter);
	}
	PG_RETURN_NULL();
}
