/*
 * mrn.c -- medical record numbers.
 *
 * patsvc generates MRNs as a prefix of 0-4 letters (setting
 * patsvc.mrn_prefix, default "P"), an 8-digit number from sequence
 * patsvc.patient_mrn_seq, and a Luhn check digit over the 8 digits, so a
 * mistyped number is caught on lookup.  Numbers are never reused (a
 * sequence).  Staff type MRNs with any case, spaces, dashes or dots; the
 * canonical form is upper case without them.  An MRN from another system
 * (any 1-20 letters and digits) is kept as given, canonicalized the same
 * way; one of patsvc's shape (letters then 9 digits) must carry a valid
 * check digit.
 */
#include "postgres.h"

#include "commands/sequence.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "registry/registry.h"

#define MRN_BODY_DIGITS 8

static char *mrn_prefix = NULL;

static bool
check_mrn_prefix(char **newval, void **extra, GucSource source)
{
	const char *p = *newval;

	if (p == NULL)
		return true;
	if (strlen(p) > 4 || strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(p))
	{
		GUC_check_errdetail("patsvc.mrn_prefix is 0 to 4 upper-case letters A-Z (\"%s\" is not).", p);
		return false;
	}
	return true;
}

void
registry_init(void)
{
	DefineCustomStringVariable("patsvc.mrn_prefix",
							   "Letters in front of the medical record numbers patsvc generates.",
							   "0 to 4 upper-case letters; changing it changes new numbers only.",
							   &mrn_prefix, "P", PGC_SUSET, 0, check_mrn_prefix, NULL, NULL);
	MarkGUCPrefixReserved("patsvc");
}

/* Letters A-Z, then exactly 9 digits: patsvc's own shape. */
static bool
has_generated_shape(const char *s, int *nletters)
{
	int			n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");

	*nletters = n;
	return n <= 4 && strlen(s + n) == MRN_BODY_DIGITS + 1 && strspn(s + n, "0123456789") == MRN_BODY_DIGITS + 1;
}

char *
mrn_canonical(const char *input)
{
	char	   *out = palloc(strlen(input) + 1);
	int			n = 0;
	int			nletters;

	for (const char *c = input; *c; c++)
	{
		if (*c == ' ' || *c == '-' || *c == '.' || *c == '\t')
			continue;
		if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')) ||
			n >= MRN_MAX_LEN)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid medical record number: \"%s\"", input),
					 errdetail(n >= MRN_MAX_LEN ? "It has more than %d letters and digits." :
							   "It contains a character other than letters, digits, spaces, dashes or dots.",
							   MRN_MAX_LEN),
					 errhint("A medical record number is 1 to %d letters and digits (spaces, dashes and dots are ignored).",
							 MRN_MAX_LEN)));
		out[n++] = pg_ascii_toupper((unsigned char) *c);
	}
	out[n] = '\0';
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid medical record number: \"%s\"", input),
				 errdetail("It has no letters or digits."),
				 errhint("A medical record number is 1 to %d letters and digits.", MRN_MAX_LEN)));
	if (has_generated_shape(out, &nletters))
	{
		int			want = patsvc_luhn_check_digit(out + nletters, MRN_BODY_DIGITS, 0);

		if (out[n - 1] - '0' != want)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid check digit for medical record number \"%s\", should be %d", input, want),
					 errdetail("The last digit of a number patsvc generates is a Luhn check digit of the 8 digits before it; a mistyped number fails this check."),
					 errhint("Check the number against the patient's card or wristband.")));
	}
	return out;
}

PG_FUNCTION_INFO_V1(patsvc_mrn_canonical);
Datum
patsvc_mrn_canonical(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(mrn_canonical(text_to_cstring(PG_GETARG_TEXT_PP(0)))));
}

/* patsvc.next_mrn(): prefix, the next number of patient_mrn_seq (8 digits), its check digit. */
PG_FUNCTION_INFO_V1(patsvc_next_mrn);
Datum
patsvc_next_mrn(PG_FUNCTION_ARGS)
{
	Oid			seq = patsvc_relid("patient_mrn_seq");
	int64		next;
	char		body[MRN_BODY_DIGITS + 1];

	if (!OidIsValid(seq))
		elog(ERROR, "sequence %s.patient_mrn_seq is missing", PATSVC_SCHEMA);
	next = nextval_internal(seq, false);	/* EXECUTE on next_mrn() is the gate (src/security) */
	if (next < 1 || next > INT64CONST(99999999))
		ereport(ERROR,
				(errcode(ERRCODE_SEQUENCE_GENERATOR_LIMIT_EXCEEDED),
				 errmsg("patsvc has generated all 99,999,999 medical record numbers of 8 digits"),
				 errhint("Register patients with an MRN of your own (the mrn argument).")));
	snprintf(body, sizeof(body), "%08lld", (long long) next);
	PG_RETURN_TEXT_P(cstring_to_text(psprintf("%s%s%d", mrn_prefix ? mrn_prefix : "", body,
											  patsvc_luhn_check_digit(body, MRN_BODY_DIGITS, 0))));
}
