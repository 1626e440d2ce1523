/*
 * match.c -- comparing names for duplicate detection: a comparison key
 * (lower case, letters only), Jaro-Winkler similarity (in no contrib), and
 * the Double Metaphone code of fuzzystrmatch's library (the C function
 * behind its dmetaphone(), loaded from $libdir: it ships with the server,
 * and using the library rather than the extension's SQL function leaves no
 * dependency on the schema the extension was created in).
 */
#include "postgres.h"

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "registry/registry.h"

/*
 * Latin letters with diacritics as their base letters (José, Jose; Müller,
 * Muller; Dvořák, Dvorak): Latin-1 Supplement U+00C0-U+00FF and Latin
 * Extended-A U+0100-U+017F.  One letter per code point; '2' marks the two
 * letter ones (Æ ae, Þ th, ß ss, Ĳ ij, Œ oe: see fold_pair), '-' a sign that
 * is no letter (×, ÷).
 */
static const char latin1_fold[] = "aaaaaa2ceeeeiiiidnooooo-ouuuuy22aaaaaa2ceeeeiiiidnooooo-ouuuuy2y";
static const char latin_ext_a_fold[] =
	"aaaaaacccccccc" "dddd" "eeeeeeeeee" "gggggggg" "hhhh" "iiiiiiiiii" "22" "jj" "kkk" "llllllllll"
	"nnnnnnnnn" "oooooo" "22" "rrrrrr" "ssssssss" "tttttt" "uuuuuuuuuuuu" "ww" "yyy" "zzzzzz" "s";

static const char *
fold_pair(int cp)
{
	switch (cp)
	{
		case 0xC6: case 0xE6: return "ae";
		case 0xDE: case 0xFE: return "th";
		case 0xDF: return "ss";
		case 0x132: case 0x133: return "ij";
		default: return "oe";		/* U+0152, U+0153 */
	}
}

/* Appends the folded form of code point cp (a letter with a diacritic) to out; false when cp is not one. */
static bool
fold_latin(int cp, char *out, int *n)
{
	char		c;

	if (cp >= 0xC0 && cp <= 0xFF)
		c = latin1_fold[cp - 0xC0];
	else if (cp >= 0x100 && cp <= 0x17F)
		c = latin_ext_a_fold[cp - 0x100];
	else if (cp >= 0x300 && cp <= 0x36F)
		return true;			/* a combining mark (José written decomposed): dropped */
	else
		return false;
	if (c == '2')
	{
		memcpy(out + *n, fold_pair(cp), 2);
		*n += 2;
	}
	else if (c != '-')
		out[(*n)++] = c;
	return true;
}

/*
 * The comparison key of a name: lower-case ASCII letters, Latin letters with
 * diacritics folded to their base letters (in UTF-8 and LATIN1 databases),
 * letters of other scripts kept as they are, everything else dropped.
 */
char *
name_key(const char *name)
{
	int			encoding = GetDatabaseEncoding();
	char	   *out = palloc(2 * strlen(name) + 1);	/* a 2-byte letter folds to at most 2 */
	int			n = 0;

	for (const unsigned char *c = (const unsigned char *) name; *c; c++)
	{
		if (*c >= 'A' && *c <= 'Z')
			out[n++] = *c + ('a' - 'A');
		else if (*c >= 'a' && *c <= 'z')
			out[n++] = *c;
		else if (encoding == PG_UTF8 && (c[0] & 0xE0) == 0xC0 && (c[1] & 0xC0) == 0x80 &&
				 fold_latin(((c[0] & 0x1F) << 6) | (c[1] & 0x3F), out, &n))
			c++;
		else if (encoding == PG_LATIN1 && *c >= 0xC0 && fold_latin(*c, out, &n))
			;
		else if (*c >= 0x80)
			out[n++] = *c;			/* letters of other scripts kept as they are */
	}
	out[n] = '\0';
	return out;
}

/* Jaro similarity of a and b (0..1). */
static double
jaro(const char *a, const char *b)
{
	int			la = strlen(a),
				lb = strlen(b);
	int			window,
				matches = 0,
				transpositions = 0,
				k = 0;
	bool	   *ma,
			   *mb;

	if (la == 0 && lb == 0)
		return 1.0;
	if (la == 0 || lb == 0)
		return 0.0;
	window = Max(Max(la, lb) / 2 - 1, 0);
	ma = palloc0(la);
	mb = palloc0(lb);
	for (int i = 0; i < la; i++)
		for (int j = Max(0, i - window); j <= Min(lb - 1, i + window); j++)
			if (!mb[j] && a[i] == b[j])
			{
				ma[i] = mb[j] = true;
				matches++;
				break;
			}
	if (matches == 0)
		return 0.0;
	for (int i = 0; i < la; i++)
		if (ma[i])
		{
			while (!mb[k])
				k++;
			if (a[i] != b[k])
				transpositions++;
			k++;
		}
	pfree(ma);
	pfree(mb);
	return ((double) matches / la + (double) matches / lb +
			(matches - transpositions / 2.0) / matches) / 3.0;
}

/* Jaro-Winkler: Jaro raised for a common prefix of up to 4 characters (scale 0.1). */
double
jaro_winkler(const char *a, const char *b)
{
	double		j = jaro(a, b);
	int			prefix = 0;

	while (prefix < 4 && a[prefix] && a[prefix] == b[prefix])
		prefix++;
	return j + prefix * 0.1 * (1.0 - j);
}

char *
name_phonetic(const char *name)
{
	static PGFunction dmetaphone = NULL;
	char	   *key = name_key(name);

	if (key[0] == '\0')
		return key;
	if (dmetaphone == NULL)
		dmetaphone = load_external_function("$libdir/fuzzystrmatch", "dmetaphone", true, NULL);
	return TextDatumGetCString(DirectFunctionCall1(dmetaphone, CStringGetTextDatum(key)));
}

PG_FUNCTION_INFO_V1(patsvc_jaro_winkler);
Datum
patsvc_jaro_winkler(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(jaro_winkler(name_key(text_to_cstring(PG_GETARG_TEXT_PP(0))),
								  name_key(text_to_cstring(PG_GETARG_TEXT_PP(1)))));
}

PG_FUNCTION_INFO_V1(patsvc_name_phonetic);
Datum
patsvc_name_phonetic(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(name_phonetic(text_to_cstring(PG_GETARG_TEXT_PP(0)))));
}
