/* fields.h — configuration declared, not hand-parsed: one table per JSON
 * object, one row per field (name, type, where it goes, limits or choices,
 * default, one line of help), as Redis declares its config. The same table
 * checks the input, fills the struct (defaults included) and prints --help. */
#ifndef SIPLAB_FIELDS_H
#define SIPLAB_FIELDS_H

#include <cJSON.h>
#include <stddef.h>
#include <stdio.h>

#include "jsonv.h"

enum field_type {
	FT_STRING,  /* char[size]; with `choices`, one of those words */
	FT_INT,     /* int within [min, max] */
	FT_NUMBER,  /* double within [min, max]: seconds, shares, credits */
	FT_BOOL,    /* int, 0 or 1 */
	FT_CHOICE,  /* a word of `choices` stored as an int: its index, or values[index] */
	FT_OBJECT,  /* a nested object read by table `sub`, at base + off */
	FT_LIST,    /* an array of objects read by `sub`; elements of `size` bytes */
	FT_STRINGS, /* an array of strings into char[max][size] */
	FT_CHOICES, /* an array of words of `choices` into int[max] */
	FT_FLAGS,   /* an array of words of `choices`: one int flag per word, from off */
	FT_CUSTOM,  /* read by the row's hook `read` */
	FT_NOTE,    /* any value, for the reader of the file; not read */
};

enum field_flags {
	FF_REQUIRED = 1 << 0, /* absent is an error */
	FF_NONEMPTY = 1 << 1, /* strings: "" is refused */
	FF_ANYCASE = 1 << 2,  /* choices: matched ignoring case */
	FF_DERIVED = 1 << 3,  /* default worked out by code after the read; dflt only shows it */
	FF_GIVEN = 1 << 4,    /* objects: the int at n_off is set to 1 when the object is given */
	FF_NULLABLE = 1 << 5, /* null counts as absent */
};

struct field {
	const char *name;
	enum field_type type;
	unsigned flags;
	size_t off;                 /* where the value goes, from the start of the struct */
	size_t size;                /* strings: capacity; lists: element size; else the member's */
	size_t n_off;               /* lists: the element count (int); FF_GIVEN: the flag (int) */
	double min, max;            /* numbers: the range; lists: how many elements */
	const char *const *choices; /* NULL-terminated words */
	const int *values;          /* FT_CHOICE: the value stored for each word (else its index) */
	const struct field *sub;    /* objects, lists of objects; custom rows: shown in help */
	/* Strings: a further test of the value (nonzero when it is good). */
	int (*valid)(const char *s);
	/* List elements: set up before the defaults and the read (c->top is the
	 * struct being filled). */
	void (*init)(struct jv *c, void *elem, int idx);
	/* Objects and list elements, after their fields were read: checks across
	 * fields and defaults that depend on other fields. o is the JSON object. */
	int (*check)(struct jv *c, const cJSON *o, const char *path, void *obj);
	/* FT_CUSTOM: read v (present) into dst = base + off; errors name path. */
	int (*read)(struct jv *c, const cJSON *v, const char *path, void *dst);
	const char *shape; /* FT_CUSTOM, FT_NOTE: the type column of the help */
	const char *dflt;  /* default as text: "5060", "lab", "true", "PCMU,PCMA"; NULL: zero */
	const char *help;  /* one line; strings and custom rows: also what an error expected */
};

/* Table rows. S is the struct the table fills, m the member; the limits of
 * arrays come from the members themselves. Further designated initialisers
 * (.valid, .check, .init, .values, .n_off ...) may follow the help. */
#define FIELD_SIZE(S, m)  sizeof(((S *)0)->m)
#define FIELD_COUNT(S, m) (sizeof(((S *)0)->m) / sizeof(((S *)0)->m[0]))

#define F_STRING(S, m, key, fl, def, hlp, ...)                                          \
	{                                                                               \
		.name = (key), .type = FT_STRING, .flags = (fl), .off = offsetof(S, m), \
		.size = FIELD_SIZE(S, m), .dflt = (def), .help = (hlp), __VA_ARGS__     \
	}
#define F_WORD(S, m, key, words, fl, def, hlp, ...)                                         \
	{                                                                                   \
		.name = (key), .type = FT_STRING, .flags = (fl), .off = offsetof(S, m),     \
		.size = FIELD_SIZE(S, m), .choices = (words), .dflt = (def), .help = (hlp), \
		__VA_ARGS__                                                                 \
	}
#define F_INT(S, m, key, lo, hi, fl, def, hlp, ...)                                               \
	{                                                                                         \
		.name = (key), .type = FT_INT, .flags = (fl), .off = offsetof(S, m),              \
		.size = FIELD_SIZE(S, m), .min = (lo), .max = (hi), .dflt = (def), .help = (hlp), \
		__VA_ARGS__                                                                       \
	}
#define F_NUMBER(S, m, key, lo, hi, fl, def, hlp, ...)                                            \
	{                                                                                         \
		.name = (key), .type = FT_NUMBER, .flags = (fl), .off = offsetof(S, m),           \
		.size = FIELD_SIZE(S, m), .min = (lo), .max = (hi), .dflt = (def), .help = (hlp), \
		__VA_ARGS__                                                                       \
	}
#define F_BOOL(S, m, key, fl, def, hlp, ...)                                          \
	{                                                                             \
		.name = (key), .type = FT_BOOL, .flags = (fl), .off = offsetof(S, m), \
		.size = FIELD_SIZE(S, m), .dflt = (def), .help = (hlp), __VA_ARGS__   \
	}
#define F_CHOICE(S, m, key, words, fl, def, hlp, ...)                                       \
	{                                                                                   \
		.name = (key), .type = FT_CHOICE, .flags = (fl), .off = offsetof(S, m),     \
		.size = FIELD_SIZE(S, m), .choices = (words), .dflt = (def), .help = (hlp), \
		__VA_ARGS__                                                                 \
	}
#define F_OBJECT(S, m, key, table, fl, hlp, ...)                                        \
	{                                                                               \
		.name = (key), .type = FT_OBJECT, .flags = (fl), .off = offsetof(S, m), \
		.size = FIELD_SIZE(S, m), .sub = (table), .help = (hlp), __VA_ARGS__    \
	}
/* An object whose fields live in the same struct as its parent's. */
#define F_SECTION(key, table, fl, hlp, ...)                                                     \
	{                                                                                       \
		.name = (key), .type = FT_OBJECT, .flags = (fl), .sub = (table), .help = (hlp), \
		__VA_ARGS__                                                                     \
	}
#define F_LIST(S, m, n, key, table, lo, fl, hlp, ...)                                 \
	{                                                                             \
		.name = (key), .type = FT_LIST, .flags = (fl), .off = offsetof(S, m), \
		.size = FIELD_SIZE(S, m[0]), .n_off = offsetof(S, n), .min = (lo),    \
		.max = FIELD_COUNT(S, m), .sub = (table), .help = (hlp), __VA_ARGS__  \
	}
#define F_STRINGS(S, m, n, key, lo, fl, def, hlp, ...)                                   \
	{                                                                                \
		.name = (key), .type = FT_STRINGS, .flags = (fl), .off = offsetof(S, m), \
		.size = FIELD_SIZE(S, m[0]), .n_off = offsetof(S, n), .min = (lo),       \
		.max = FIELD_COUNT(S, m), .dflt = (def), .help = (hlp), __VA_ARGS__      \
	}
#define F_CHOICES(S, m, n, key, words, lo, fl, def, hlp, ...)                               \
	{                                                                                   \
		.name = (key), .type = FT_CHOICES, .flags = (fl), .off = offsetof(S, m),    \
		.size = FIELD_SIZE(S, m[0]), .n_off = offsetof(S, n), .min = (lo),          \
		.max = FIELD_COUNT(S, m), .choices = (words), .dflt = (def), .help = (hlp), \
		__VA_ARGS__                                                                 \
	}
/* m is the first of consecutive ints, one per word (the user asserts the layout). */
#define F_FLAGS(S, m, key, words, lo, fl, def, hlp, ...)                                  \
	{                                                                                 \
		.name = (key), .type = FT_FLAGS, .flags = (fl), .off = offsetof(S, m),    \
		.size = FIELD_SIZE(S, m), .min = (lo), .choices = (words), .dflt = (def), \
		.help = (hlp), __VA_ARGS__                                                \
	}
#define F_CUSTOM(key, fn, shp, fl, hlp, ...)                                                   \
	{                                                                                      \
		.name = (key), .type = FT_CUSTOM, .flags = (fl), .read = (fn), .shape = (shp), \
		.help = (hlp), __VA_ARGS__                                                     \
	}
#define F_NOTE(key, hlp)                                                      \
	{                                                                     \
		.name = (key), .type = FT_NOTE, .shape = "any", .help = (hlp) \
	}
#define F_END                \
	{                    \
		.name = NULL \
	}

/* Set the defaults of every field of t (and of its nested objects) in dst. */
void fields_defaults(const struct field *t, void *dst);

/* Set the defaults, then read object o into dst through table t: unknown
 * keys, missing required fields, wrong types and values out of range or
 * choice are refused as "ORIGIN: PATH: expected WHAT, got GOT", PATH the full
 * path of the field (groups[1].transport); path is o's own ("" at the top).
 * Returns 0 or -errno (the message in c->e). */
int fields_read(struct jv *c, const struct field *t, const cJSON *o, const char *path, void *dst);

/* Parse text (a JSON object) and fields_read it into dst. */
int fields_parse(struct jv *c, const struct field *t, const char *text, void *dst);

/* Read the file c->origin and fields_parse it into dst. */
int fields_load(struct jv *c, const struct field *t, void *dst);

/* Print t as a table a person reads: field, type with its limits or choices,
 * default, help; nested objects indented under their field; about width
 * columns wide. */
void fields_help(FILE *out, const struct field *t, int width);

/* Check a table itself: every row named and explained, sizes that fit the
 * type, defaults that the row accepts. For tests. */
int fields_check_table(const struct field *t, err_t *e);

#endif
