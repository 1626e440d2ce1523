/*
 * codeset_import.h -- what the code-set importers share (codes area only):
 * reading a fixed-width CMS file line by line (codeset_file.c) and replacing
 * a release with one bulk insert per table (codeset_release.c).  The
 * importers: import_icd10cm.c (ICD-10-CM order file), import_hcpcs.c
 * (HCPCS Level II alpha-numeric file).
 */
#ifndef PATSVC_CODESET_IMPORT_H
#define PATSVC_CODESET_IMPORT_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/date.h"
#include "utils/hsearch.h"

#include "codes/codes.h"

/* ---- codeset_file.c: reading a file line by line ---------------------------- */

typedef struct FileReader
{
	const char *kind;			/* "ICD-10-CM order file", for messages */
	const char *layout;			/* the expected layout: the error hint */
	const char *pos;
	const char *end;
	int			lineno;
	int			first_empty;	/* first empty line seen, 0 if none */
	const char *raw;			/* the line in the database encoding */
	int			rawlen;
	const char *line;			/* the line, one byte per column */
	int			len;
	bool		converted;		/* line != raw: fields need converting back */
	bool		skip_empty;		/* in a preamble: empty lines are skipped */
} FileReader;

extern bool all_digits(const char *s, int len);
extern const char *col(const FileReader *r, int first);
extern int count_lines(text *contents);
extern void expect_blank(const FileReader *r, int column);
extern void expect_digits(const FileReader *r, int first, int last, const char *field);
extern int64 field_code(const FileReader *r, int first, int last, const CodeType *type);
extern bool field_date(const FileReader *r, int first, const char *field, DateADT *date);
extern Datum field_text(const FileReader *r, int first, int last);
extern char *printable_excerpt(const char *s, int len, int max);
extern void reader_init(FileReader *r, const char *kind, const char *layout, text *contents);
extern bool reader_next(FileReader *r);
extern int rtrim_len(const char *s, int len);
extern void seen_check(const FileReader *r, HTAB *seen, int64 key, const char *shown);
extern HTAB *seen_create(int nelem);

/* Refuses the file (PS102) at line lineno, naming it and what is wrong; nothing is imported. */
extern void bad_line_at(const FileReader *r, int lineno, const char *fmt,...) pg_attribute_printf(3, 4) pg_attribute_noreturn();
#define bad_line(r, ...) bad_line_at((r), (r)->lineno, __VA_ARGS__)

/* ---- codeset_release.c: replacing a release --------------------------------- */

typedef struct ReleaseArgs
{
	const char *system;			/* "ICD-10-CM", for messages */
	const char *release_table;	/* "icd10cm_release" */
	text	   *release;
	DateADT		from;
	Datum		to;				/* a date, or NULL: open-ended */
	bool		to_null;
	text	   *contents;
	char		md5[33];
} ReleaseArgs;

typedef struct Column
{
	Oid			elemtype;
	int16		elemlen;
	bool		byval;
	char		align;
	Datum	   *values;
	bool	   *nulls;
} Column;

extern void bulk_insert(const char *sql, const ReleaseArgs *a, Column *cols, int ncols, int n);
extern void column_init(Column *c, Oid elemtype, int capacity);
extern void read_release_args(FunctionCallInfo fcinfo, ReleaseArgs *a);
extern void release_insert(const ReleaseArgs *a, int codes, int modifiers);
extern int release_prepare(const ReleaseArgs *a);

#endif							/* PATSVC_CODESET_IMPORT_H */
