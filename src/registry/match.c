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
#include "utils/builtins.h"

#include "registry/registry.h"

char *
name_key(const char *name)
{
	char	   *out = palloc(strlen(name) + 1);
	int			n = 0;

	for (const unsigned char *c = (const unsigned char *) name; *c; c++)
	{
		if (*c >= 'A' && *c <= 'Z')
			out[n++] = *c + ('a' - 'A');
		else if ((*c >= 'a' && *c <= 'z') || *c >= 0x80)
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
