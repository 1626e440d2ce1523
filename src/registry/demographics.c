/*
 * demographics.c -- each field of patsvc.patients checked and normalized
 * (US address, NANP phones, e-mail, language tag, dates of birth and death,
 * administrative sex, MRN), for patients_check (patients.c).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "catalog/pg_collation.h"
#include "utils/builtins.h"
#include "utils/formatting.h"
#include "utils/datetime.h"
#include "utils/date.h"
#include "utils/timestamp.h"

#include "registry/demographics.h"
#include "registry/registry.h"

#define MAX_FIELDS 32

/* Fields being written back: column number and new value (NULL pointer: leave). */
typedef struct Edits
{
	int			n;
	int			attnum[MAX_FIELDS];
	Datum		value[MAX_FIELDS];
	bool		isnull[MAX_FIELDS];
} Edits;

/* numbered once per relcache generation (core: patsvc_columns) */
static const char *const patient_column_names[PT_COUNT] = {
	"family_name", "given_name", "middle_name", "preferred_name", "emergency_contact_name",
	"home_phone", "mobile_phone", "work_phone", "emergency_contact_phone",
	"state", "zip", "email", "preferred_language", "sex", "birth_date", "deceased_date", "mrn", "name",
	"family_phonetic", "given_phonetic", "distinct_confirmed_at", "distinct_confirmed_by", "id", "merged_into"
};
static PatsvcColumns patient_column_numbers = {patient_column_names, PT_COUNT};

const int *
patient_columns(Relation rel)
{
	return patsvc_columns(&patient_column_numbers, rel);
}

static void
set_text(Edits *e, int attnum, const char *value)
{
	e->attnum[e->n] = attnum;
	e->value[e->n] = value ? CStringGetTextDatum(value) : (Datum) 0;
	e->isnull[e->n] = value == NULL;
	e->n++;
}

static char *
text_of(HeapTuple row, TupleDesc desc, int attnum)
{
	bool		isnull;
	Datum		d = heap_getattr(row, attnum, desc, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

static void
malformed(const char *field, const char *value, const char *detail, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid %s: \"%s\"", field, value),
			 errdetail("%s", detail),
			 errhint("%s", hint)));
}

/* Trimmed, inner runs of white space made one space; NULL stays NULL. */
static char *
squeeze(const char *s)
{
	char	   *out;
	int			n = 0;

	if (s == NULL)
		return NULL;
	out = palloc(strlen(s) + 1);
	for (const char *c = s; *c; c++)
	{
		bool		space = (*c == ' ' || *c == '\t' || *c == '\n' || *c == '\r');

		if (space && (n == 0 || out[n - 1] == ' '))
			continue;
		out[n++] = space ? ' ' : *c;
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
	return out;
}

/* A name part: 1-100 characters with at least one letter, no digits. */
static char *
check_name(const char *field, const char *raw)
{
	char	   *s = squeeze(raw);
	bool		letter = false;

	if (s == NULL)
		return NULL;
	for (const unsigned char *c = (const unsigned char *) s; *c; c++)
	{
		if (*c >= '0' && *c <= '9')
			malformed(field, raw, "It contains a digit.", "Type the name as on the patient's ID; digits are not part of a name.");
		if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || *c >= 0x80)
			letter = true;
	}
	if (!letter || strlen(s) > 100)
		malformed(field, raw, letter ? "It is longer than 100 characters." : "It has no letter.",
				  "A name has 1 to 100 characters, letters with spaces, hyphens or apostrophes.");
	return s;
}

/* NANP: 10 digits (a leading country code 1 dropped), area code and exchange starting 2-9. */
static char *
check_phone(const char *field, const char *raw)
{
	char		digits[16];
	int			n = 0;

	if (raw == NULL)
		return NULL;
	for (const char *c = raw; *c; c++)
	{
		if (*c >= '0' && *c <= '9')
		{
			if (n >= 15)
				break;
			digits[n++] = *c;
		}
		else if (!strchr(" ()-.+", *c))
			malformed(field, raw, "It contains a character other than digits, spaces, parentheses, dashes, dots or a plus sign.",
					  "A US phone number has 10 digits, e.g. (617) 555-0142.");
	}
	digits[n] = '\0';
	if (n == 11 && digits[0] == '1')
		memmove(digits, digits + 1, n--);
	if (n != 10)
		malformed(field, raw, psprintf("It has %d digits.", n), "A US phone number has 10 digits (area code first), e.g. (617) 555-0142.");
	if (digits[0] < '2' || digits[3] < '2')
		malformed(field, raw, "An area code and an exchange never start with 0 or 1 (NANP).",
				  "Check the number: the area code is the first 3 digits, the exchange the next 3.");
	return pstrdup(digits);
}

static const char *const usps_codes[] = {
	"AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY",
	"LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH",
	"OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY",
	"AS", "GU", "MP", "PR", "VI", "UM", "FM", "MH", "PW", "AA", "AE", "AP", NULL
};

static char *
check_state(const char *raw)
{
	char	   *s = squeeze(raw);

	if (s == NULL)
		return NULL;
	s = str_toupper(s, strlen(s), DEFAULT_COLLATION_OID);
	for (int i = 0; usps_codes[i]; i++)
		if (strcmp(s, usps_codes[i]) == 0)
			return s;
	malformed("state", raw, "It is not a two-letter USPS state, district, territory or military code.",
			  "Use the USPS code: MA, NY, DC, PR, ...");
	return NULL;
}

/* ZIP: 5 digits, or ZIP+4 (9 digits, with or without the dash), stored 12345 or 12345-6789. */
static char *
check_zip(const char *raw)
{
	char		d[10];
	int			n = 0;

	if (raw == NULL)
		return NULL;
	for (const char *c = raw; *c; c++)
		if (*c >= '0' && *c <= '9' && n < 9)
			d[n++] = *c;
		else if (*c != '-' && *c != ' ')
			malformed("ZIP code", raw, "It contains a character other than digits, a dash or spaces.",
					  "A ZIP code is 5 digits or ZIP+4: 02115 or 02115-1234.");
	if (n != 5 && n != 9)
		malformed("ZIP code", raw, psprintf("It has %d digits.", n), "A ZIP code is 5 digits or ZIP+4: 02115 or 02115-1234.");
	d[n] = '\0';
	return n == 5 ? pstrdup(d) : psprintf("%.5s-%s", d, d + 5);
}

/* An address of the form local@domain.tld, the domain in lower case. */
static char *
check_email(const char *raw)
{
	char	   *s = squeeze(raw);
	char	   *at;
	char	   *dot;

	if (s == NULL)
		return NULL;
	at = strchr(s, '@');
	if (at == NULL || at == s || strchr(at + 1, '@') || strchr(s, ' ') || at - s > 64 || strlen(s) > 254)
		malformed("e-mail address", raw, "It is not one local part, one @ and a domain, without spaces.",
				  "An e-mail address looks like name@example.org.");
	dot = strrchr(at + 1, '.');
	if (dot == NULL || dot == at + 1 || dot[1] == '\0' || strstr(at + 1, "..") || at[1] == '-')
		malformed("e-mail address", raw, "Its domain has no dot or an empty part.",
				  "An e-mail address looks like name@example.org.");
	for (char *c = at + 1; *c; c++)
		*c = pg_ascii_tolower((unsigned char) *c);
	return s;
}

/* BCP 47 language tag, as patients give it: en, es, zh-Hant, pt-BR (primary subtag lower case). */
static char *
check_language(const char *raw)
{
	char	   *s = squeeze(raw);
	int			len;

	if (s == NULL)
		return NULL;
	len = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
	if (len < 2 || len > 3 || strspn(s + len, "-abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != strlen(s + len) ||
		(s[len] != '\0' && s[len] != '-'))
		malformed("preferred language", raw, "It is not a BCP 47 language tag.", "Use a language tag: en, es, vi, zh-Hant, pt-BR.");
	for (int i = 0; i < len; i++)
		s[i] = pg_ascii_tolower((unsigned char) s[i]);
	return s;
}

static void
check_sex(const char *raw)
{
	if (raw && strcmp(raw, "male") != 0 && strcmp(raw, "female") != 0 && strcmp(raw, "other") != 0 &&
		strcmp(raw, "unknown") != 0)
		malformed("administrative sex", raw, "It is not one of FHIR's administrative genders.",
				  "Use male, female, other or unknown.");
}

static void
implausible(const char *what, DateADT d, const char *detail, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_PATSVC_IMPLAUSIBLE_DATE),
			 errmsg("implausible %s: %s", what, DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(d)))),
			 errdetail("%s", detail),
			 errhint("%s", hint)));
}

/* Birth not in the future nor more than 130 years ago; death not in the future nor before birth. */
static void
check_dates(HeapTuple row, TupleDesc desc, const int *col)
{
	bool		nb, nd;
	DateADT		birth = DatumGetDateADT(heap_getattr(row, col[PT_BIRTH], desc, &nb));
	DateADT		death = DatumGetDateADT(heap_getattr(row, col[PT_DEATH], desc, &nd));
	DateADT		today = GetSQLCurrentDate();
	int			y, m, d;

	j2date(today + POSTGRES_EPOCH_JDATE, &y, &m, &d);
	if (!nb && (DATE_NOT_FINITE(birth) || birth > today))
		implausible("date of birth", birth, "It is in the future.", "Check the date: month and day order, and the year.");
	if (!nb && birth < date2j(y - 130, m, Min(d, 28)) - POSTGRES_EPOCH_JDATE)
		implausible("date of birth", birth, "It is more than 130 years ago.", "Check the year: a typo in the century is common.");
	if (!nd && (DATE_NOT_FINITE(death) || death > today))
		implausible("date of death", death, "It is in the future.", "Record a death on or after the day it happened.");
	if (!nd && !nb && death < birth)
		implausible("date of death", death, "It is before the date of birth.", "Check both dates.");
}

HeapTuple
demographics_normalize(HeapTuple row, HeapTuple old, Relation rel, bool *confirmed)
{
	TupleDesc	desc = RelationGetDescr(rel);
	const int  *col = patient_columns(rel);
	Edits		e = {0};
	char	   *family,
			   *given,
			   *mrn;
	bool		isnull;
	Datum		conf;
	Datum		old_conf = (Datum) 0;
	bool		old_null = true;

	char	   *checked[PT_EC_NAME + 1];

	for (int f = PT_FAMILY; f <= PT_EC_NAME; f++)
	{
		checked[f] = check_name(patient_column_names[f], text_of(row, desc, col[f]));
		set_text(&e, col[f], checked[f]);
	}
	for (int f = PT_HOME; f <= PT_EC_PHONE; f++)
		set_text(&e, col[f], check_phone("phone number", text_of(row, desc, col[f])));
	set_text(&e, col[PT_STATE], check_state(text_of(row, desc, col[PT_STATE])));
	set_text(&e, col[PT_ZIP], check_zip(text_of(row, desc, col[PT_ZIP])));
	set_text(&e, col[PT_EMAIL], check_email(text_of(row, desc, col[PT_EMAIL])));
	set_text(&e, col[PT_LANGUAGE], check_language(text_of(row, desc, col[PT_LANGUAGE])));
	check_sex(text_of(row, desc, col[PT_SEX]));
	check_dates(row, desc, col);
	mrn = text_of(row, desc, col[PT_MRN]);
	if (mrn)
		set_text(&e, col[PT_MRN], mrn_canonical(mrn));

	/* derived: the display name when none is given, the phonetic keys */
	family = checked[PT_FAMILY];	/* checked once, above */
	given = checked[PT_GIVEN];
	if (text_of(row, desc, col[PT_NAME]) == NULL && (family || given))
		set_text(&e, col[PT_NAME], psprintf("%s%s%s", given ? given : "", family && given ? " " : "", family ? family : ""));
	set_text(&e, col[PT_FAMILY_PH], family ? name_phonetic(family) : NULL);
	set_text(&e, col[PT_GIVEN_PH], given ? name_phonetic(given) : NULL);

	/* a confirmation of a distinct person is this write's when it is new: stamp it */
	conf = heap_getattr(row, col[PT_CONFIRMED_AT], desc, &isnull);
	if (old)
		old_conf = heap_getattr(old, col[PT_CONFIRMED_AT], desc, &old_null);
	*confirmed = !isnull && (old_null || DatumGetTimestampTz(conf) != DatumGetTimestampTz(old_conf));
	if (*confirmed)
	{
		e.attnum[e.n] = col[PT_CONFIRMED_AT];
		e.value[e.n] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
		e.isnull[e.n++] = false;
		e.attnum[e.n] = col[PT_CONFIRMED_BY];
		e.value[e.n] = DirectFunctionCall1(namein, CStringGetDatum(GetUserNameFromId(GetSessionUserId(), false)));
		e.isnull[e.n++] = false;
	}
	else if (old)
	{
		/* the last confirmation stays as it was recorded */
		e.attnum[e.n] = col[PT_CONFIRMED_BY];
		e.value[e.n] = heap_getattr(old, e.attnum[e.n], desc, &e.isnull[e.n]);
		e.n++;
	}
	return heap_modify_tuple_by_cols(row, desc, e.n, e.attnum, e.value, e.isnull);
}
