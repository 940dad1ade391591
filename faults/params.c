/* params.c — a fault's typed parameters, read from a scenario and checked
 * against their type, range and choices (see fault.h). Numbers are read as
 * numbers: 1000000 and 0.5 are values, not text to re-parse. */
#include "fault.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const struct fault *fault_find(const char *code)
{
	for (int i = 0; fault_catalogue[i]; i++)
		if (!strcmp(fault_catalogue[i]->code, code))
			return fault_catalogue[i];
	return NULL;
}

int fault_param_index(const struct fault *f, const char *name)
{
	for (int i = 0; i < FAULT_MAX_PARAMS && f->params[i].name; i++)
		if (!strcmp(f->params[i].name, name))
			return i;
	return -1;
}

static void choices_str(const char *const *choices, char *buf, size_t cap)
{
	size_t n = 0;
	buf[0] = '\0';
	for (int k = 0; choices && choices[k] && n < cap; k++)
		n += (size_t)snprintf(buf + n, cap - n, "%s%s", k ? ", " : "", choices[k]);
}

void fault_param_describe(const struct fault_param *p, char *buf, size_t cap)
{
	char list[256];
	choices_str(p->choices, list, sizeof(list));
	const char *unit = p->unit ? p->unit : "";
	switch (p->type) {
	case FP_INT:
		snprintf(buf, cap, "a whole number%s%s, %g to %g", *unit ? " of " : "", unit,
		         p->min, p->max);
		break;
	case FP_NUMBER:
		snprintf(buf, cap, "a number%s%s, %g to %g", *unit ? " of " : "", unit, p->min,
		         p->max);
		break;
	case FP_DURATION:
		snprintf(buf, cap, "seconds of scenario time, %g to %g", p->min, p->max);
		break;
	case FP_ENUM:
		snprintf(buf, cap, "one of %s", list);
		break;
	case FP_LIST:
		snprintf(buf, cap, "%g to %g of %s (an array, or separated by commas)", p->min,
		         p->max, list);
		break;
	case FP_NAME:
		snprintf(buf, cap, "a name (letters, digits, '.', '-', '_')");
		break;
	}
}

static int bad(const struct fault *f, const struct fault_param *p, const cJSON *v, err_t *e)
{
	char want[320], *got = v ? cJSON_PrintUnformatted(v) : NULL;
	fault_param_describe(p, want, sizeof(want));
	int rc = err_set(e, EINVAL, "%s: parameter %s: expected %s, got %s", f->code, p->name, want,
	                 got ? got : "nothing");
	free(got);
	return rc;
}

static int choice_index(const char *const *choices, const char *w)
{
	for (int k = 0; choices && choices[k]; k++)
		if (!strcasecmp(choices[k], w))
			return k;
	return -1;
}

/* A JSON number, or a string that is wholly one ("10" from --fault k=v). */
static int number_of(const cJSON *v, double *out)
{
	if (cJSON_IsNumber(v)) {
		*out = v->valuedouble;
		return 0;
	}
	if (!cJSON_IsString(v) || !*v->valuestring)
		return -1;
	char *end;
	errno = 0;
	*out = strtod(v->valuestring, &end);
	return *end || errno || !isfinite(*out) ? -1 : 0;
}

static int read_number(const struct fault *f, const struct fault_param *p, const cJSON *v,
                       struct fault_value *out, err_t *e)
{
	double d;
	if (number_of(v, &d) || d < p->min || d > p->max || (p->type == FP_INT && d != floor(d)))
		return bad(f, p, v, e);
	out->num = d;
	return 0;
}

static int read_word(const struct fault *f, const struct fault_param *p, const cJSON *v,
                     struct fault_value *out, err_t *e)
{
	if (!cJSON_IsString(v) || strlen(v->valuestring) >= sizeof(out->text))
		return bad(f, p, v, e);
	const char *s = v->valuestring;
	if (p->type == FP_ENUM) {
		int k = choice_index(p->choices, s);
		if (k < 0)
			return bad(f, p, v, e);
		s = p->choices[k]; /* the catalogue's spelling */
	} else {
		if (!*s ||
		    strspn(s,
		           "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") !=
		            strlen(s))
			return bad(f, p, v, e);
	}
	snprintf(out->text, sizeof(out->text), "%s", s);
	return 0;
}

static int add_item(const struct fault *f, const struct fault_param *p, const cJSON *whole,
                    const char *w, struct fault_value *out, err_t *e)
{
	int k = choice_index(p->choices, w);
	if (k < 0 || out->n_items >= FAULT_MAX_ITEMS || out->n_items >= (int)p->max)
		return bad(f, p, whole, e);
	snprintf(out->items[out->n_items++], sizeof(out->items[0]), "%s", p->choices[k]);
	return 0;
}

static int read_list(const struct fault *f, const struct fault_param *p, const cJSON *v,
                     struct fault_value *out, err_t *e)
{
	out->n_items = 0;
	if (cJSON_IsArray(v)) {
		const cJSON *it;
		cJSON_ArrayForEach (it, v) {
			if (!cJSON_IsString(it))
				return bad(f, p, v, e);
			int rc = add_item(f, p, v, it->valuestring, out, e);
			if (rc)
				return rc;
		}
	} else if (cJSON_IsString(v)) {
		char words[FAULT_MAX_ITEMS * FAULT_ITEM];
		if (strlen(v->valuestring) >= sizeof(words))
			return bad(f, p, v, e);
		snprintf(words, sizeof(words), "%s", v->valuestring);
		for (char *save = NULL, *w = strtok_r(words, ", ", &save); w;
		     w = strtok_r(NULL, ", ", &save)) {
			int rc = add_item(f, p, v, w, out, e);
			if (rc)
				return rc;
		}
	} else {
		return bad(f, p, v, e);
	}
	return out->n_items < (int)p->min ? bad(f, p, v, e) : 0;
}

int fault_param_read(const struct fault *f, int i, const cJSON *v, struct fault_value *out,
                     err_t *e)
{
	const struct fault_param *p = &f->params[i];
	memset(out, 0, sizeof(*out));
	switch (p->type) {
	case FP_INT:
	case FP_NUMBER:
	case FP_DURATION:
		return read_number(f, p, v, out, e);
	case FP_ENUM:
	case FP_NAME:
		return read_word(f, p, v, out, e);
	case FP_LIST:
		return read_list(f, p, v, out, e);
	}
	return bad(f, p, v, e);
}

int fault_defaults(const struct fault *f, struct fault_args *a, err_t *e)
{
	memset(a, 0, sizeof(*a));
	for (int i = 0; i < FAULT_MAX_PARAMS && f->params[i].name; i++) {
		cJSON *d = cJSON_CreateString(f->params[i].dflt);
		int rc = d ? fault_param_read(f, i, d, &a->v[i], e) : -ENOMEM;
		cJSON_Delete(d);
		if (rc)
			return err_wrap(e, rc, "the catalogue's default");
	}
	return 0;
}

int fault_check_needs(const struct fault *f, const char *registrar, err_t *e)
{
	if ((f->needs & FAULT_NEEDS_SIPLAB_REGISTRAR) && strcmp(registrar, "siplab"))
		return err_set(e, ENOTSUP,
		               "%s acts on siplab's registrar (%s); this scenario's far side uses "
		               "%s",
		               f->code, f->applied, registrar);
	return 0;
}

/* Words joined by ", " into buf, or "none". */
static void join_words(char *buf, size_t cap, const char *const *words, unsigned mask, int n)
{
	size_t len = 0;
	buf[0] = '\0';
	for (int i = 0; i < n; i++)
		if (mask & (1u << i))
			len += (size_t)snprintf(buf + len, len < cap ? cap - len : 0, "%s%s",
			                        len ? ", " : "", words[i]);
	if (!len)
		snprintf(buf, cap, "none");
}

void fault_describe_reach(const struct fault *f, char *scope, size_t scap, char *timing,
                          size_t tcap)
{
	static const char *const scopes[] = {"workers", "group", "name"};
	static const char *const times[] = {"at_s", "until_s", "at_s required"};
	join_words(scope, scap, scopes, f->scopes, 3);
	join_words(timing, tcap, times, f->timing, 3);
}
