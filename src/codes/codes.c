/*
 * codes.c -- the machinery shared by all code types: parse-or-raise, text
 * and binary I/O, is_valid_*, and the symbol packing helpers.
 */
#include "postgres.h"

#include <stdarg.h>
#include <stdio.h>

#include "fmgr.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "codes/codes.h"

/* First byte of the binary form; bump it if the wire format ever changes. */
#define CODE_BINARY_VERSION 1

int64
code_parse_or_error(const CodeType *type, const char *str)
{
	int64		value;
	CodeParseError err;

	if (type->parse(str, &value, &err))
		return value;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type %s: \"%s\"", type->name, str),
			 errdetail_internal("%s", err.detail),
			 errhint("%s", err.hint[0] ? err.hint : type->hint)));
	pg_unreachable();
}

Datum
code_in_datum(const CodeType *type, const char *str)
{
	return Int64GetDatum(code_parse_or_error(type, str));
}

Datum
code_out_datum(const CodeType *type, int64 value)
{
	char		buf[CODE_TEXT_MAX];

	type->format(value, buf);
	return CStringGetDatum(pstrdup(buf));
}

/* Binary form: a version byte, then the canonical text. */
Datum
code_send_datum(const CodeType *type, int64 value)
{
	StringInfoData buf;
	char		text[CODE_TEXT_MAX];

	type->format(value, text);
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, CODE_BINARY_VERSION);
	pq_sendtext(&buf, text, strlen(text));
	return PointerGetDatum(pq_endtypsend(&buf));
}

static void
binary_refused(const CodeType *type, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid binary input for type %s", type->name),
			 errdetail_internal("%s", why),
			 errhint("%s", type->hint)));
}

/*
 * Binary input is untrusted: it is validated like text input (22P02 for an
 * empty field, a NUL byte or bytes that are not valid in the server encoding,
 * before the parser sees them), then goes through the same parser as text.
 */
Datum
code_recv_datum(const CodeType *type, StringInfo buf)
{
	int			version;
	int			nbytes;
	const char *bytes;
	char	   *str;

	if (buf->cursor >= buf->len)
		binary_refused(type, "The field is empty; the binary form is a version byte followed by the code.");
	version = pq_getmsgbyte(buf);
	if (version != CODE_BINARY_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported binary format version %d for type %s", version, type->name),
				 errhint("This patsvc reads version %d; send the value as text instead.",
						 CODE_BINARY_VERSION)));
	nbytes = buf->len - buf->cursor;
	bytes = pq_getmsgbytes(buf, nbytes);
	if (memchr(bytes, '\0', nbytes) != NULL)
		binary_refused(type, "The code contains a zero byte.");
	if (!pg_verifymbstr(bytes, nbytes, true))
		binary_refused(type, "The code is not valid in the server encoding.");
	str = pnstrdup(bytes, nbytes);
	return Int64GetDatum(code_parse_or_error(type, str));
}

Datum
code_is_valid_datum(const CodeType *type, text *txt)
{
	int64		value;
	CodeParseError err;
	char	   *str = text_to_cstring(txt);
	bool		ok = type->parse(str, &value, &err);

	pfree(str);
	return BoolGetDatum(ok);
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

void
code_trim(const char *str, const char **start, int *len)
{
	const char *end = str + strlen(str);

	while (str < end && is_space(*str))
		str++;
	while (end > str && is_space(end[-1]))
		end--;
	*start = str;
	*len = (int) (end - str);
}

bool
code_fail(CodeParseError *err, const char *fmt,...)
{
	va_list		args;

	va_start(args, fmt);
	vsnprintf(err->detail, sizeof(err->detail), fmt, args);
	va_end(args);
	err->hint[0] = '\0';
	return false;
}

/* "Character 4 ("!") must be a letter or digit." with unprintables escaped */
bool
code_fail_at(CodeParseError *err, const char *what, int pos, char c)
{
	if (c >= 0x20 && c < 0x7f)
		return code_fail(err, "Character %d (\"%c\") must be %s.", pos, c, what);
	return code_fail(err, "Character %d (byte 0x%02x) must be %s.", pos, (unsigned char) c, what);
}

/*
 * code_sym() of a character with lower case folded to upper, -1 for anything
 * else: one load instead of data-dependent branches in the per-row parsers.
 * Filled from code_sym() when the library loads (codes_init).
 */
int8		code_sym_folded[256];

void
codes_init(void)
{
	for (int c = 0; c < 256; c++)
		code_sym_folded[c] = (int8) code_sym(pg_ascii_toupper((unsigned char) c));
}

int64
code_pack(const char *s, int len, int width)
{
	int64		v = 0;

	for (int i = 0; i < width; i++)
		v = (v << 6) | (i < len ? code_sym(s[i]) : 0);
	return v;
}

void
code_unpack(int64 v, int width, char *out)
{
	int			n = 0;

	for (int i = width - 1; i >= 0; i--)
	{
		int			sym = (int) ((v >> (6 * i)) & 63);

		if (sym == 0)
			break;
		out[n++] = code_sym_char(sym);
	}
	out[n] = '\0';
}
