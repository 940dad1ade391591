/* fields.c — the field-table engine (see fields.h): defaults, reading a JSON
 * object through its table with errors that name the full path, and the
 * table printed as help. */
#define _GNU_SOURCE
#include "fields.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PATH_CAP 192
#define MAX_ROWS 63 /* per table: enough for any object, and the known-keys list */

static void join(char *out, const char *path, const char *name)
{
	snprintf(out, PATH_CAP, "%s%s%s", path, *path ? "." : "", name);
}

static int bad(struct jv *c, const char *path, const char *expected, const cJSON *got)
{
	return jv_bad(c, *path ? path : "(top level)", expected, got);
}

static size_t n_words(const char *const *w)
{
	size_t n = 0;
	while (w[n])
		n++;
	return n;
}

static int word_index(const struct field *f, const char *s)
{
	for (int i = 0; f->choices[i]; i++)
		if (f->flags & FF_ANYCASE ? !strcasecmp(s, f->choices[i])
		                          : !strcmp(s, f->choices[i]))
			return i;
	return -1;
}

static int word_value(const struct field *f, int i)
{
	return f->values ? f->values[i] : i;
}

/* Append to buf, never past cap (a long list ends cut, not overrun). */
__attribute__((format(printf, 3, 4))) static void add(char *buf, size_t cap, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;
	va_start(ap, fmt);
	if (n + 1 < cap)
		vsnprintf(buf + n, cap - n, fmt, ap);
	va_end(ap);
}

/* The words as an error says them: "udp", "tcp" or "tls". */
static void words_text(char *buf, size_t cap, const char *const *w)
{
	buf[0] = '\0';
	for (size_t i = 0; w[i]; i++)
		add(buf, cap, "%s\"%s\"", i == 0 ? "" : w[i + 1] ? ", " : " or ", w[i]);
}

/* How many elements an array may have, as words: "an array of 1 to 16",
 * "an array of at most 8", "a non-empty array of". */
static void count_text(char *buf, size_t cap, const struct field *f, const char *of)
{
	if (f->max <= 0)
		snprintf(buf, cap, "%s array of", f->min > 0 ? "a non-empty" : "an");
	else if (f->min > 0)
		snprintf(buf, cap, "an array of %d to %d%s", (int)f->min, (int)f->max, of);
	else
		snprintf(buf, cap, "an array of at most %d%s", (int)f->max, of);
}

static void object_text(char *buf, size_t cap, const struct field *t)
{
	snprintf(buf, cap, "an object {");
	for (const struct field *f = t; f->name; f++)
		add(buf, cap, "%s\"%s\"", f == t ? "" : ", ", f->name);
	add(buf, cap, "}");
}

/* The expectation an error names for a field ("an integer from 1 to 65535"). */
static const char *expected(const struct field *f, char *buf, size_t cap)
{
	char words[256], n[64];
	switch (f->type) {
	case FT_STRING:
		if (f->choices)
			words_text(buf, cap, f->choices);
		else
			snprintf(buf, cap, "%s", f->help);
		break;
	case FT_INT:
		snprintf(buf, cap, "an integer from %lld to %lld", (long long)f->min,
		         (long long)f->max);
		break;
	case FT_NUMBER:
		snprintf(buf, cap, "a number from %g to %g", f->min, f->max);
		break;
	case FT_BOOL:
		snprintf(buf, cap, "true or false");
		break;
	case FT_CHOICE:
		words_text(buf, cap, f->choices);
		break;
	case FT_OBJECT:
		object_text(buf, cap, f->sub);
		break;
	case FT_LIST:
		count_text(n, sizeof(n), f, "");
		snprintf(buf, cap, "%s %s", n, f->name);
		break;
	case FT_STRINGS:
		count_text(n, sizeof(n), f, "");
		snprintf(buf, cap, "%s %s", n, f->help);
		break;
	case FT_CHOICES:
	case FT_FLAGS:
		count_text(n, sizeof(n), f, " of");
		words_text(words, sizeof(words), f->choices);
		snprintf(buf, cap, "%s %s", n, words);
		break;
	case FT_CUSTOM:
	case FT_NOTE:
		snprintf(buf, cap, "%s", f->help);
		break;
	}
	return buf;
}

/* --- defaults ------------------------------------------------------------- */

/* "PCMU,PCMA" one word at a time; returns the rest, or NULL at the end. */
static const char *next_word(const char *s, char *w, size_t cap)
{
	if (!s || !*s)
		return NULL;
	size_t n = strcspn(s, ",");
	snprintf(w, cap, "%.*s", (int)n, s);
	return s + n + (s[n] == ',');
}

static void list_default(const struct field *f, char *base)
{
	char w[128];
	int *count = (int *)(base + f->n_off), *flag = (int *)(base + f->off);
	const char *s = f->dflt;
	if (f->type == FT_FLAGS)
		memset(flag, 0, n_words(f->choices) * sizeof(int));
	else
		*count = 0;
	while ((s = next_word(s, w, sizeof(w)))) {
		int i = f->choices ? word_index(f, w) : 0;
		if (i < 0)
			continue;
		if (f->type == FT_FLAGS)
			flag[i] = 1;
		else if (*count < f->max && f->type == FT_CHOICES)
			((int *)(base + f->off))[(*count)++] = word_value(f, i);
		else if (*count < f->max && strlen(w) < f->size)
			memcpy(base + f->off + (size_t)(*count)++ * f->size, w, strlen(w) + 1);
	}
}

void fields_defaults(const struct field *t, void *dst)
{
	char *base = dst;
	for (const struct field *f = t; f->name; f++) {
		void *at = base + f->off;
		if (f->type == FT_OBJECT)
			fields_defaults(f->sub, at);
		if (!f->dflt || (f->flags & FF_DERIVED))
			continue;
		switch (f->type) {
		case FT_STRING:
			snprintf(at, f->size, "%s", f->dflt);
			break;
		case FT_INT:
			*(int *)at = atoi(f->dflt);
			break;
		case FT_NUMBER:
			*(double *)at = strtod(f->dflt, NULL);
			break;
		case FT_BOOL:
			*(int *)at = !strcmp(f->dflt, "true");
			break;
		case FT_CHOICE: {
			int i = word_index(f, f->dflt);
			if (i >= 0)
				*(int *)at = word_value(f, i);
			break;
		}
		case FT_STRINGS:
		case FT_CHOICES:
		case FT_FLAGS:
			list_default(f, base);
			break;
		default:
			break;
		}
	}
}

/* --- reading -------------------------------------------------------------- */

static int read_object(struct jv *c, const struct field *t, const cJSON *o, const char *path,
                       char *base);

/* A string field, or one element of a list of strings. */
static int read_string(struct jv *c, const struct field *f, const cJSON *v, const char *path,
                       char *dst)
{
	char want[320];
	const char *s = cJSON_IsString(v) ? v->valuestring : NULL;
	int fits = s && strlen(s) < f->size;
	if (fits && (!(f->flags & FF_NONEMPTY) || *s) && (!f->choices || word_index(f, s) >= 0) &&
	    (!f->valid || f->valid(s))) {
		memcpy(dst, s, strlen(s) + 1);
		return 0;
	}
	if (f->choices)
		words_text(want, sizeof(want), f->choices);
	else if (s && !fits)
		snprintf(want, sizeof(want), "%s (at most %zu characters)", f->help, f->size - 1);
	else
		snprintf(want, sizeof(want), "%s", f->help);
	return bad(c, path, want, v);
}

static int read_word(struct jv *c, const struct field *f, const cJSON *v, const char *path, int *i)
{
	char want[256];
	*i = cJSON_IsString(v) ? word_index(f, v->valuestring) : -1;
	if (*i >= 0)
		return 0;
	words_text(want, sizeof(want), f->choices);
	return bad(c, path, want, v);
}

static int read_array(struct jv *c, const struct field *f, const cJSON *v, const char *path,
                      char *base)
{
	char want[320], p[PATH_CAP];
	int n = cJSON_IsArray(v) ? cJSON_GetArraySize(v) : -1, rc = 0, i;
	int *count = (int *)(base + f->n_off);
	if (n < 0 || n < f->min || (f->max > 0 && n > f->max))
		return bad(c, path, expected(f, want, sizeof(want)), v);
	if (f->type == FT_FLAGS)
		memset(base + f->off, 0, n_words(f->choices) * sizeof(int));
	else
		*count = 0;
	const cJSON *it;
	int k = 0;
	cJSON_ArrayForEach (it, v) {
		char *elem = f->type == FT_FLAGS ? NULL : base + f->off + (size_t)k * f->size;
		snprintf(p, sizeof(p), "%s[%d]", path, k);
		switch (f->type) {
		case FT_LIST:
			memset(elem, 0, f->size);
			if (f->init)
				f->init(c, elem, k);
			fields_defaults(f->sub, elem);
			rc = read_object(c, f->sub, it, p, elem);
			if (!rc && f->check)
				rc = f->check(c, it, p, elem);
			break;
		case FT_STRINGS:
			rc = read_string(c, f, it, p, elem);
			break;
		case FT_CHOICES:
			if (!(rc = read_word(c, f, it, p, &i)))
				*(int *)elem = word_value(f, i);
			break;
		default: /* FT_FLAGS: each word sets its own flag */
			if (!(rc = read_word(c, f, it, p, &i)))
				((int *)(base + f->off))[i] = 1;
			break;
		}
		if (rc)
			return rc;
		k++;
		if (f->type != FT_FLAGS)
			*count = k;
	}
	return 0;
}

static int read_value(struct jv *c, const struct field *f, const cJSON *v, const char *path,
                      char *base)
{
	char want[320];
	void *at = base + f->off;
	double d = cJSON_IsNumber(v) ? v->valuedouble : 0;
	int rc, i;
	switch (f->type) {
	case FT_STRING:
		return read_string(c, f, v, path, at);
	case FT_INT:
		/* The range first: only then is the value sure to fit a long long. */
		if (!cJSON_IsNumber(v) || d < f->min || d > f->max || d != (double)(long long)d)
			return bad(c, path, expected(f, want, sizeof(want)), v);
		*(int *)at = (int)d;
		return 0;
	case FT_NUMBER:
		if (!cJSON_IsNumber(v) || d < f->min || d > f->max)
			return bad(c, path, expected(f, want, sizeof(want)), v);
		*(double *)at = d;
		return 0;
	case FT_BOOL:
		if (!cJSON_IsBool(v))
			return bad(c, path, "true or false", v);
		*(int *)at = cJSON_IsTrue(v);
		return 0;
	case FT_CHOICE:
		if ((rc = read_word(c, f, v, path, &i)))
			return rc;
		*(int *)at = word_value(f, i);
		return 0;
	case FT_OBJECT:
		if ((rc = read_object(c, f->sub, v, path, at)))
			return rc;
		if (f->flags & FF_GIVEN)
			*(int *)(base + f->n_off) = 1;
		return f->check ? f->check(c, v, path, at) : 0;
	case FT_LIST:
	case FT_STRINGS:
	case FT_CHOICES:
	case FT_FLAGS:
		return read_array(c, f, v, path, base);
	case FT_CUSTOM:
		return f->read(c, v, path, at);
	case FT_NOTE:
		return 0;
	}
	return 0;
}

static int read_object(struct jv *c, const struct field *t, const cJSON *o, const char *path,
                       char *base)
{
	const char *known[MAX_ROWS + 1];
	char want[512], p[PATH_CAP];
	int n = 0, rc;
	if (!cJSON_IsObject(o)) {
		object_text(want, sizeof(want), t);
		return bad(c, path, want, o);
	}
	for (const struct field *f = t; f->name && n < MAX_ROWS; f++)
		known[n++] = f->name;
	known[n] = NULL;
	if ((rc = jv_keys(c, o, path, known)))
		return rc;
	for (const struct field *f = t; f->name; f++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, f->name);
		join(p, path, f->name);
		if (v && cJSON_IsNull(v) && (f->flags & FF_NULLABLE))
			v = NULL;
		if (!v && (f->flags & FF_REQUIRED))
			return bad(c, p, expected(f, want, sizeof(want)), NULL);
		if (v && (rc = read_value(c, f, v, p, base)))
			return rc;
	}
	return 0;
}

int fields_read(struct jv *c, const struct field *t, const cJSON *o, const char *path, void *dst)
{
	fields_defaults(t, dst);
	return read_object(c, t, o, path, dst);
}

int fields_parse(struct jv *c, const struct field *t, const char *text, void *dst)
{
	cJSON *root = jv_parse(c, text);
	if (!root)
		return -EINVAL;
	int rc = fields_read(c, t, root, "", dst);
	cJSON_Delete(root);
	return rc;
}

int fields_load(struct jv *c, const struct field *t, void *dst)
{
	char *text;
	int rc = jv_read_file(c->origin, &text, c->e);
	if (rc)
		return rc;
	rc = fields_parse(c, t, text, dst);
	free(text);
	return rc;
}

/* --- help ----------------------------------------------------------------- */

/* One row of the help as four cells. */
struct cells {
	char name[64], type[160], dflt[96];
	const char *help;
};

static void type_text(char *buf, size_t cap, const struct field *f)
{
	char words[160] = "", n[48];
	for (size_t i = 0; f->choices && f->choices[i]; i++)
		add(words, sizeof(words), "%s%s", i ? "|" : "", f->choices[i]);
	if (f->max > 0 && f->min > 0)
		snprintf(n, sizeof(n), "%d-%d", (int)f->min, (int)f->max);
	else if (f->max > 0)
		snprintf(n, sizeof(n), "up to %d", (int)f->max);
	else
		snprintf(n, sizeof(n), "%s", f->min > 0 ? "1 or more" : "any number of");
	switch (f->type) {
	case FT_STRING:
		if (f->choices)
			snprintf(buf, cap, "%s", words);
		else
			snprintf(buf, cap, "string (%s%zu)", f->flags & FF_NONEMPTY ? "1-" : "max ",
			         f->size - 1);
		break;
	case FT_INT:
		snprintf(buf, cap, "integer %lld-%lld", (long long)f->min, (long long)f->max);
		break;
	case FT_NUMBER:
		snprintf(buf, cap, "number %g-%g", f->min, f->max);
		break;
	case FT_BOOL:
		snprintf(buf, cap, "true|false");
		break;
	case FT_CHOICE:
		snprintf(buf, cap, "%s", words);
		break;
	case FT_OBJECT:
		snprintf(buf, cap, "object");
		break;
	case FT_LIST:
		snprintf(buf, cap, "array of %s objects", n);
		break;
	case FT_STRINGS:
		snprintf(buf, cap, "array of %s strings (max %zu)", n, f->size - 1);
		break;
	case FT_CHOICES:
	case FT_FLAGS:
		snprintf(buf, cap, "array of %s of %s", n, words);
		break;
	case FT_CUSTOM:
	case FT_NOTE:
		snprintf(buf, cap, "%s", f->shape ? f->shape : "");
		break;
	}
}

static void row_cells(const struct field *f, int depth, struct cells *r)
{
	snprintf(r->name, sizeof(r->name), "%*s%s%s", 2 * depth, "", f->name,
	         f->type == FT_LIST ? "[]" : "");
	type_text(r->type, sizeof(r->type), f);
	if (f->flags & FF_REQUIRED)
		snprintf(r->dflt, sizeof(r->dflt), "required");
	else if (f->dflt && f->type == FT_STRING && !f->choices && !(f->flags & FF_DERIVED))
		snprintf(r->dflt, sizeof(r->dflt), "\"%s\"", f->dflt);
	else
		snprintf(r->dflt, sizeof(r->dflt), "%s", f->dflt ? f->dflt : "");
	r->help = f->help;
}

/* Every row of t and its nested tables, in order, as cells; returns how
 * many. A table met a second time (links' ends, a remedy's expect) is not
 * shown again: its row points to the first. */
static int collect(const struct field *t, int depth, struct cells *out, int n, int cap,
                   const struct field **seen, const char **seen_at, int *n_seen)
{
	for (const struct field *f = t; f->name && n < cap; f++) {
		struct cells *r = &out[n++];
		int k = 0;
		row_cells(f, depth, r);
		while (f->sub && k < *n_seen && seen[k] != f->sub)
			k++;
		if (f->sub && k < *n_seen) {
			add(r->type, sizeof(r->type), ", as %s above", seen_at[k]);
			continue;
		}
		if (!f->sub || depth >= 6 || *n_seen >= 32)
			continue;
		seen[*n_seen] = f->sub;
		seen_at[(*n_seen)++] = f->name;
		n = collect(f->sub, depth + 1, out, n, cap, seen, seen_at, n_seen);
	}
	return n;
}

/* The next line of s at most w wide, broken after a space, '|' or ','; s
 * moves past it. */
static void take_line(const char **s, int w, char *line)
{
	const char *p = *s;
	int len = (int)strlen(p), cut = len < w ? len : w;
	for (int i = w; len > w && i > w / 3; i--)
		if (p[i - 1] == ' ' || p[i - 1] == '|' || p[i - 1] == ',') {
			cut = i;
			break;
		}
	memcpy(line, p, (size_t)cut);
	line[cut] = '\0';
	for (int k = cut; k > 0 && line[k - 1] == ' ';)
		line[--k] = '\0';
	for (p += cut; *p == ' ';)
		p++;
	*s = p;
}

static int widest(const struct cells *r, int n, size_t field, int cap, const char *heading)
{
	int w = (int)strlen(heading);
	for (int i = 0; i < n; i++) {
		int len = (int)strlen((const char *)&r[i] + field);
		w = len > w ? len : w;
	}
	return w < cap ? w : cap;
}

static void print_row(FILE *out, const char *const cell[4], const int w[4])
{
	const char *s[4] = {cell[0], cell[1], cell[2], cell[3]};
	char line[4][256];
	do {
		for (int k = 0; k < 4; k++)
			take_line(&s[k], w[k], line[k]);
		int last = 3;
		while (last > 0 && !line[last][0])
			last--;
		fprintf(out, " ");
		for (int k = 0; k <= last; k++)
			fprintf(out, " %-*s", k < last ? w[k] : 0, line[k]);
		fprintf(out, "\n");
	} while (*s[0] || *s[1] || *s[2] || *s[3]);
}

void fields_help(FILE *out, const struct field *t, int width)
{
	enum { CAP = 256 };
	struct cells *r = calloc(CAP, sizeof(*r));
	if (!r)
		return;
	const struct field *seen[32];
	const char *seen_at[32];
	int n_seen = 0, w[4];
	int n = collect(t, 0, r, 0, CAP, seen, seen_at, &n_seen);
	static const char *const head[4] = {"FIELD", "TYPE", "DEFAULT", "WHAT IT IS"};
	/* A column is at least as wide as its heading, so every line of it
	 * moves on (take_line with a width of 0 would not). */
	w[0] = widest(r, n, offsetof(struct cells, name), 30, head[0]);
	w[1] = widest(r, n, offsetof(struct cells, type), 24, head[1]);
	w[2] = widest(r, n, offsetof(struct cells, dflt), 14, head[2]);
	w[3] = width - 5 - w[0] - w[1] - w[2];
	w[3] = w[3] < 30 ? 30 : w[3] > 200 ? 200 : w[3];
	print_row(out, head, w);
	for (int i = 0; i < n; i++) {
		const char *cell[4] = {r[i].name, r[i].type, r[i].dflt, r[i].help};
		print_row(out, cell, w);
	}
	free(r);
}

/* --- the tables' own check ------------------------------------------------- */

static int row_error(err_t *e, const struct field *f, const char *what)
{
	return err_set(e, EINVAL, "field table: %s: %s", f->name ? f->name : "(unnamed)", what);
}

int fields_check_table(const struct field *t, err_t *e)
{
	int rows = 0;
	for (const struct field *f = t; f->name; f++, rows++) {
		int is_int = f->type == FT_INT || f->type == FT_BOOL || f->type == FT_CHOICE ||
		             f->type == FT_FLAGS || f->type == FT_CHOICES;
		for (const struct field *g = t; g < f; g++)
			if (!strcmp(g->name, f->name))
				return row_error(e, f, "named twice");
		if (rows >= MAX_ROWS)
			return row_error(e, f, "too many rows in one table");
		if (!f->help || !*f->help)
			return row_error(e, f, "no help");
		if (is_int && f->size != sizeof(int))
			return row_error(e, f, "not an int member");
		if (f->type == FT_NUMBER && f->size != sizeof(double))
			return row_error(e, f, "not a double member");
		if ((f->type == FT_STRING || f->type == FT_STRINGS) && f->size < 2)
			return row_error(e, f, "no room for a string");
		if ((f->type == FT_CHOICE || f->type == FT_CHOICES || f->type == FT_FLAGS) &&
		    !f->choices)
			return row_error(e, f, "no choices");
		if ((f->type == FT_OBJECT || f->type == FT_LIST) && !f->sub)
			return row_error(e, f, "no table for its object");
		if (f->type == FT_CUSTOM && !f->read)
			return row_error(e, f, "no read hook");
		if (f->type == FT_LIST && (f->max < 1 || f->min > f->max))
			return row_error(e, f, "count limits");
		if (f->sub && fields_check_table(f->sub, e))
			return err_wrap(e, -EINVAL, "in %s", f->name);
		if (!f->dflt || (f->flags & FF_DERIVED))
			continue;
		/* The default must be a value the row itself accepts. */
		char w[128];
		const char *s = f->dflt;
		double d = strtod(f->dflt, NULL);
		int ok = 1;
		if (f->type == FT_STRING)
			ok = strlen(s) < f->size && (!f->choices || word_index(f, s) >= 0);
		else if (f->type == FT_INT || f->type == FT_NUMBER)
			ok = d >= f->min && d <= f->max;
		else if (f->type == FT_BOOL)
			ok = !strcmp(s, "true") || !strcmp(s, "false");
		else if (f->type == FT_CHOICE)
			ok = word_index(f, s) >= 0;
		while (ok &&
		       (f->type == FT_CHOICES || f->type == FT_FLAGS || f->type == FT_STRINGS) &&
		       (s = next_word(s, w, sizeof(w))))
			ok = f->choices ? word_index(f, w) >= 0 : strlen(w) < f->size;
		if (!ok)
			return row_error(e, f, "its default is not a value it accepts");
	}
	return 0;
}
