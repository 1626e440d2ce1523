/*
 * mbi.c -- Medicare Beneficiary Identifier (CMS "Understanding the MBI
 * Format"): 11 characters,
 *   pos  1  2  3  4  5  6  7  8  9  10 11
 *        C  A  AN N  A  AN N  A  A  N  N
 * C = 1-9, N = 0-9, A = a letter other than S L O I B Z (20 letters),
 * AN = either.  Input is upper-cased; dashes as printed on the card
 * (1EG4-TE5-MK73, after the 4th and 7th characters) are dropped.
 *
 * Packing: a mixed-radix number, one digit per position, each position's
 * symbols numbered in ASCII order (digits before letters).  The largest
 * value is 9*20^4*30^2*10^4 - 1 (about 1.3e13), well inside an int8, and
 * the integer order is the order of the text.
 */
#include "postgres.h"

#include "utils/builtins.h"

#include "codes/codes.h"

#define MBI_LEN 11

typedef enum
{
	MBI_C,						/* 1-9 */
	MBI_N,						/* 0-9 */
	MBI_A,						/* allowed letter */
	MBI_AN						/* digit or allowed letter */
} MbiClass;

static const MbiClass mbi_layout[MBI_LEN] = {
	MBI_C, MBI_A, MBI_AN, MBI_N, MBI_A, MBI_AN, MBI_N, MBI_A, MBI_A, MBI_N, MBI_N
};

static const char mbi_letters[] = "ACDEFGHJKMNPQRTUVWXY";

#define MBI_NLETTERS 20

static const int mbi_radix[] = {9, 10, MBI_NLETTERS, 10 + MBI_NLETTERS};

static const char *const mbi_class_text[] = {
	"a digit from 1 to 9",
	"a digit",
	"a letter other than S, L, O, I, B, Z",
	"a digit or a letter other than S, L, O, I, B, Z"
};

/* The symbol's number within its class (ASCII order), -1 if not allowed. */
static int
mbi_symbol_index(MbiClass cls, char c)
{
	const char *letter = (c >= 'A' && c <= 'Z') ? strchr(mbi_letters, c) : NULL;
	bool		digit = (c >= '0' && c <= '9');

	switch (cls)
	{
		case MBI_C:
			return (c >= '1' && c <= '9') ? c - '1' : -1;
		case MBI_N:
			return digit ? c - '0' : -1;
		case MBI_A:
			return letter ? (int) (letter - mbi_letters) : -1;
		case MBI_AN:
			return digit ? c - '0' : letter ? 10 + (int) (letter - mbi_letters) : -1;
	}
	return -1;
}

static char
mbi_symbol_char(MbiClass cls, int index)
{
	switch (cls)
	{
		case MBI_C:
			return (char) ('1' + index);
		case MBI_N:
			return (char) ('0' + index);
		case MBI_A:
			return mbi_letters[index];
		case MBI_AN:
			return index < 10 ? (char) ('0' + index) : mbi_letters[index - 10];
	}
	return '?';
}

static bool
mbi_parse(const char *str, int64 *result, CodeParseError *err)
{
	const char *s;
	int			len;
	int			n = 0;
	int64		v = 0;

	code_trim(str, &s, &len);
	if (len == 0)
		return code_fail(err, "The value is empty.");
	for (int i = 0; i < len; i++)
	{
		char		c = pg_ascii_toupper((unsigned char) s[i]);
		int			idx;

		if (c == '-')
		{
			if ((n != 4 && n != 7) || s[i - 1] == '-')
				return code_fail(err, "A dash may only follow the 4th or the 7th character "
								 "(as on the card: 1EG4-TE5-MK73).");
			continue;
		}
		if (n == MBI_LEN)
			return code_fail(err, "The MBI has more than %d characters.", MBI_LEN);
		idx = mbi_symbol_index(mbi_layout[n], c);
		if (idx < 0)
			return code_fail_at(err, mbi_class_text[mbi_layout[n]], n + 1, s[i]);
		v = v * mbi_radix[mbi_layout[n]] + idx;
		n++;
	}
	if (n < MBI_LEN)
		return code_fail(err, "The MBI has %d characters; an MBI has %d.", n, MBI_LEN);
	*result = v;
	return true;
}

static void
mbi_format(int64 value, char *buf)
{
	for (int i = MBI_LEN - 1; i >= 0; i--)
	{
		int			radix = mbi_radix[mbi_layout[i]];

		buf[i] = mbi_symbol_char(mbi_layout[i], (int) (value % radix));
		value /= radix;
	}
	buf[MBI_LEN] = '\0';
}

const CodeType mbi_type = {
	"mbi",
	"An MBI is 11 characters: 1-9, letter, letter or digit, digit, letter, letter or digit, digit, "
	"letter, letter, digit, digit, with letters other than S, L, O, I, B, Z, e.g. 1EG4TE5MK73 "
	"(dashes as on the card are allowed).",
	mbi_parse,
	mbi_format,
};

PATSVC_CODE_TYPE_FUNCTIONS(mbi, mbi_type);
