/*
 * codes.h -- medical code types packed in int8.
 *
 * Every code type (icd10cm, icd10pcs, cpt, hcpcs, code_modifier, npi, ndc,
 * mbi) is an int8 passed by value whose integer order equals the order of
 * its canonical text, so the int8 btree/hash support functions serve as the
 * type's own (see src/codes/codetype.sql.in).  A type supplies only a parser
 * and a formatter; codes.c turns them into the SQL-callable functions.
 */
#ifndef PATSVC_CODES_H
#define PATSVC_CODES_H

#include "postgres.h"

#include "fmgr.h"

/* SQLSTATEs: src/errcodes.txt (ERRCODE_PATSVC_*, range PS1xx), through core/core.h */
#include "core/core.h"


/* Longest canonical text of any code type, with its terminator. */
#define CODE_TEXT_MAX 16

/* Why a parser refused a value: filled only on failure. */
typedef struct CodeParseError
{
	char		detail[192];	/* which rule failed, position, character */
	char		hint[192];		/* empty: use the type's standard hint */
} CodeParseError;

typedef bool (*code_parse_fn) (const char *str, int64 *result, CodeParseError *err);
typedef void (*code_format_fn) (int64 value, char *buf);	/* buf: CODE_TEXT_MAX */

typedef struct CodeType
{
	const char *name;			/* SQL type name, used in messages */
	const char *hint;			/* the expected form, a full sentence */
	code_parse_fn parse;
	code_format_fn format;
} CodeType;

/* Parse or raise 22P02 with the type's message, detail and hint. */
extern int64 code_parse_or_error(const CodeType *type, const char *str);

/* Helpers for parsers (codes.c). */
extern void code_trim(const char *str, const char **start, int *len);
extern bool code_fail(CodeParseError *err, const char *fmt,...) pg_attribute_printf(2, 3);
extern bool code_fail_at(CodeParseError *err, const char *what, int pos, char c);

/*
 * 6-bit symbol packing shared by the alphanumeric codes: 0 ends the text,
 * '0'..'9' are 1..10, 'A'..'Z' are 11..36, so packed order is ASCII order.
 */
static inline int
code_sym(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0' + 1;
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 11;
	return -1;
}

static inline char
code_sym_char(int v)
{
	return v <= 10 ? (char) ('0' + v - 1) : (char) ('A' + v - 11);
}

extern PGDLLIMPORT int8 code_sym_folded[256];
extern void codes_init(void);	/* fills code_sym_folded (from _PG_init) */

extern int64 code_pack(const char *s, int len, int width);
extern void code_unpack(int64 v, int width, char *out);

/*
 * Declares the SQL-callable functions of a code type from its CodeType:
 * patsvc_T_in, _out, _recv, _send and patsvc_is_valid_T.
 */
#define PATSVC_CODE_TYPE_FUNCTIONS(T, TYPEINFO) \
	PG_FUNCTION_INFO_V1(patsvc_##T##_in); \
	Datum patsvc_##T##_in(PG_FUNCTION_ARGS) \
	{ return code_in_datum(&(TYPEINFO), PG_GETARG_CSTRING(0)); } \
	PG_FUNCTION_INFO_V1(patsvc_##T##_out); \
	Datum patsvc_##T##_out(PG_FUNCTION_ARGS) \
	{ return code_out_datum(&(TYPEINFO), PG_GETARG_INT64(0)); } \
	PG_FUNCTION_INFO_V1(patsvc_##T##_recv); \
	Datum patsvc_##T##_recv(PG_FUNCTION_ARGS) \
	{ return code_recv_datum(&(TYPEINFO), (StringInfo) PG_GETARG_POINTER(0)); } \
	PG_FUNCTION_INFO_V1(patsvc_##T##_send); \
	Datum patsvc_##T##_send(PG_FUNCTION_ARGS) \
	{ return code_send_datum(&(TYPEINFO), PG_GETARG_INT64(0)); } \
	PG_FUNCTION_INFO_V1(patsvc_is_valid_##T); \
	Datum patsvc_is_valid_##T(PG_FUNCTION_ARGS) \
	{ return code_is_valid_datum(&(TYPEINFO), PG_GETARG_TEXT_PP(0)); } \
	extern int no_such_variable_##T

#include "lib/stringinfo.h"
extern Datum code_in_datum(const CodeType *type, const char *str);
extern Datum code_out_datum(const CodeType *type, int64 value);
extern Datum code_recv_datum(const CodeType *type, StringInfo buf);
extern Datum code_send_datum(const CodeType *type, int64 value);
extern Datum code_is_valid_datum(const CodeType *type, text *txt);

/*
 * Code sets by date of service (codeset_lookup.c, cached per backend): the
 * rules of icd10cm_billable() and hcpcs_active() for C callers, answering
 * CODESET_NO_RELEASE instead of raising PS101.  ICD-10-CM: YES billable, NO
 * a header; HCPCS: YES active on the date, NO before its add date or after
 * its termination date; ABSENT: not in the release in effect.
 */
#include "utils/date.h"
typedef enum CodeSetAnswer
{
	CODESET_NO_RELEASE,
	CODESET_ABSENT,
	CODESET_NO,
	CODESET_YES
} CodeSetAnswer;
extern CodeSetAnswer codeset_icd10cm_billable(int64 code, DateADT date);
extern CodeSetAnswer codeset_hcpcs_active(int64 code, DateADT date);

/* Every code type's CodeType (X_type), one per line of src/codes/types.list. */
#include "codetypes.h"

#endif							/* PATSVC_CODES_H */
