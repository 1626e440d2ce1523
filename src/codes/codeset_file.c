/*
 * codeset_file.c -- reading a CMS code-set file line by line (codeset_import.h).
 *
 * Columns are fixed width in bytes of the CMS files' encoding (ASCII /
 * Windows-1252).  The text arrives in the database encoding (the client's
 * client_encoding converted it), so a line holding non-ASCII characters is
 * converted back to Windows-1252 to find its columns, and its text fields
 * are converted to the database encoding again.  Any malformed line raises
 * PS102 naming the line, before anything changes.
 */
#include "postgres.h"

#include <stdarg.h>
#include <stdio.h>

#include "catalog/pg_type.h"
#include "common/md5.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"

#include "core/core.h"
#include "codes/codes.h"
#include "codes/codeset.h"
#include "codes/codeset_import.h"

/* ---------------------------------------------------------------------
 * Reading a file line by line
 * --------------------------------------------------------------------- */


void
reader_init(FileReader *r, const char *kind, const char *layout, text *contents)
{
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->layout = layout;
	r->pos = VARDATA_ANY(contents);
	r->end = r->pos + VARSIZE_ANY_EXHDR(contents);
}

char *
printable_excerpt(const char *s, int len, int max)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; i < len && i < max; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (c >= 0x20 && c < 0x7f)
			appendStringInfoChar(&buf, (char) c);
		else
			appendStringInfo(&buf, "\\x%02x", c);
	}
	if (len > max)
		appendStringInfoString(&buf, "...");
	return buf.data;
}

void
bad_line_at(const FileReader *r, int lineno, const char *fmt,...)
{
	va_list		args;

	va_start(args, fmt);
	patsvc_bad_file_line_va(ERRCODE_PATSVC_BAD_CODE_SET_FILE, r->kind, lineno,
							lineno == r->lineno && r->len > 0 ? printable_excerpt(r->line, r->len, 40) : NULL,
							r->layout, fmt, args);
}


static bool
has_non_ascii(const char *s, int len)
{
	for (int i = 0; i < len; i++)
		if ((unsigned char) s[i] >= 0x80)
			return true;
	return false;
}

/* A CR, tab or other control character inside a line is malformed. */
static void
reader_check_controls(const FileReader *r)
{
	for (int i = 0; i < r->len; i++)
	{
		unsigned char c = (unsigned char) r->line[i];

		if (c < 0x20 || c == 0x7f)
			bad_line(r, "column %d holds the control character 0x%02x", i + 1, c);
	}
}

/*
 * Next non-empty line, without its CR LF (or LF).  Empty lines are allowed
 * only at the end of the file.
 */
bool
reader_next(FileReader *r)
{
	while (r->pos < r->end)
	{
		const char *nl = memchr(r->pos, '\n', r->end - r->pos);
		const char *stop = nl ? nl : r->end;
		int			len = (int) (stop - r->pos);

		r->raw = r->pos;
		r->pos = nl ? nl + 1 : r->end;
		r->lineno++;
		if (len > 0 && r->raw[len - 1] == '\r')
			len--;
		r->rawlen = len;
		r->line = r->raw;
		r->len = len;
		r->converted = false;
		if (len == 0 && r->skip_empty)
			continue;
		if (len == 0)
		{
			if (r->first_empty == 0)
				r->first_empty = r->lineno;
			continue;
		}
		if (r->first_empty)
			bad_line_at(r, r->first_empty, "the line is empty");
		if (pg_database_encoding_max_length() > 1 && has_non_ascii(r->raw, len))
		{
			/* raises 22P05 for a character Windows-1252 cannot hold */
			r->line = pg_server_to_any(r->raw, len, PG_WIN1252);
			r->len = strlen(r->line);
			r->converted = true;
		}
		reader_check_controls(r);
		return true;
	}
	return false;
}

/* The current line from column first (1-based) on. */
const char *
col(const FileReader *r, int first)
{
	return r->line + first - 1;
}

int
rtrim_len(const char *s, int len)
{
	while (len > 0 && s[len - 1] == ' ')
		len--;
	return len;
}

/* Columns first..last as text in the database encoding, trailing blanks cut. */
Datum
field_text(const FileReader *r, int first, int last)
{
	int			len;
	const char *s = col(r, first);

	if (first > r->len)
		return PointerGetDatum(cstring_to_text(""));
	len = rtrim_len(s, Min(last, r->len) - first + 1);
	if (r->converted)
	{
		char	   *conv = pg_any_to_server(s, len, PG_WIN1252);

		return PointerGetDatum(cstring_to_text(conv));
	}
	return PointerGetDatum(cstring_to_text_with_len(s, len));
}

bool
all_digits(const char *s, int len)
{
	for (int i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return len > 0;
}

void
expect_blank(const FileReader *r, int column)
{
	if (*col(r, column) != ' ')
		bad_line(r, "column %d holds \"%s\" where a blank must separate the fields",
				 column, printable_excerpt(col(r, column), 1, 1));
}

void
expect_digits(const FileReader *r, int first, int last, const char *field)
{
	if (!all_digits(col(r, first), last - first + 1))
		bad_line(r, "%s \"%s\" in columns %d-%d is not %d digits", field,
				 printable_excerpt(col(r, first), last - first + 1, 16),
				 first, last, last - first + 1);
}

/*
 * A code in columns first..last: left-justified, blank-padded, no dot, and
 * what the code type's own parser accepts (one rule, one place).
 */
int64
field_code(const FileReader *r, int first, int last, const CodeType *type)
{
	char		buf[16];
	int			len = rtrim_len(col(r, first), last - first + 1);
	int64		value;
	CodeParseError err;

	Assert(last - first + 1 < (int) sizeof(buf));
	memcpy(buf, col(r, first), len);
	buf[len] = '\0';
	if (len == 0 || buf[0] == ' ')
		bad_line(r, "the code in columns %d-%d is missing or not left-justified", first, last);
	if (memchr(buf, '.', len))
		bad_line(r, "code \"%s\" in columns %d-%d has a dot; CMS files hold codes without dots",
				 printable_excerpt(buf, len, 16), first, last);
	if (!type->parse(buf, &value, &err))
		bad_line(r, "code \"%s\" in columns %d-%d is not a valid %s code (%s)",
				 printable_excerpt(buf, len, 16), first, last, type->name, err.detail);
	return value;
}

/* A yyyymmdd date in 8 columns; blank is NULL. */
bool
field_date(const FileReader *r, int first, const char *field, DateADT *date)
{
	const char *s = col(r, first);
	int			y,
				m,
				d;

	if (rtrim_len(s, 8) == 0)
		return false;
	if (!all_digits(s, 8))
		bad_line(r, "%s \"%s\" in columns %d-%d is not a yyyymmdd date", field,
				 printable_excerpt(s, 8, 8), first, first + 7);
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	m = (s[4] - '0') * 10 + (s[5] - '0');
	d = (s[6] - '0') * 10 + (s[7] - '0');
	if (y < 1900 || m < 1 || m > 12 || d < 1 || d > day_tab[isleap(y)][m - 1])
		bad_line(r, "%s \"%.8s\" in columns %d-%d is not a calendar date", field, s,
				 first, first + 7);
	*date = date2j(y, m, d) - POSTGRES_EPOCH_JDATE;
	return true;
}

/* Duplicate detection: code -> first line holding it. */
typedef struct SeenCode
{
	int64		code;
	int			lineno;
} SeenCode;

HTAB *
seen_create(int nelem)
{
	HASHCTL		ctl;

	ctl.keysize = sizeof(int64);
	ctl.entrysize = sizeof(SeenCode);
	ctl.hcxt = CurrentMemoryContext;
	return hash_create("patsvc import codes", Max(nelem, 64), &ctl,
					   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

void
seen_check(const FileReader *r, HTAB *seen, int64 key, const char *shown)
{
	bool		found;
	SeenCode   *e = hash_search(seen, &key, HASH_ENTER, &found);

	if (found)
		bad_line(r, "code \"%s\" already appeared on line %d", shown, e->lineno);
	e->lineno = r->lineno;
}

int
count_lines(text *contents)
{
	const char *p = VARDATA_ANY(contents);
	const char *end = p + VARSIZE_ANY_EXHDR(contents);
	int			n = 1;

	while ((p = memchr(p, '\n', end - p)) != NULL)
	{
		n++;
		p++;
	}
	return n;
}
