/* labfile.c — lab.json, the answer key of a run (see labfile.h). */
#define _GNU_SOURCE
#include "labfile.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../faults/fault.h"
#include "../../lib/jsonv.h"
#include "../../lib/siplab.h"
#include "../../lib/sys.h"

static cJSON *parsed_or_null(const char *json)
{
	cJSON *v = json && *json ? cJSON_Parse(json) : NULL;
	return v ? v : cJSON_CreateNull();
}

/* A parameter as its type is written: a number, a word, a list. */
static cJSON *param_json(const struct fault_param *p, const struct fault_value *v)
{
	if (p->type == FP_INT || p->type == FP_NUMBER || p->type == FP_DURATION)
		return cJSON_CreateNumber(v->num);
	if (p->type != FP_LIST)
		return cJSON_CreateString(v->text);
	cJSON *a = cJSON_CreateArray();
	for (int i = 0; i < v->n_items; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v->items[i]));
	return a;
}

/* Where a fault was aimed and when it was on, as the scenario said. */
static void reach_json(cJSON *o, const struct scn_fault *sf)
{
	cJSON *scope = cJSON_AddObjectToObject(o, "scope");
	if (sf->scope.n_workers) {
		cJSON *w = cJSON_AddArrayToObject(scope, "workers");
		for (int i = 0; i < sf->scope.n_workers; i++)
			cJSON_AddItemToArray(w, cJSON_CreateString(sf->scope.workers[i]));
	}
	if (sf->scope.group[0])
		cJSON_AddStringToObject(scope, "group", sf->scope.group);
	if (sf->scope.name[0])
		cJSON_AddStringToObject(scope, "name", sf->scope.name);
	if (sf->has_at)
		cJSON_AddNumberToObject(o, "at_s", sf->at_s);
	if (sf->has_until)
		cJSON_AddNumberToObject(o, "until_s", sf->until_s);
}

static cJSON *fault_json(const struct scn_fault *sf)
{
	const struct fault *f = fault_find(sf->code);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "code", f->code);
	cJSON_AddStringToObject(o, "summary", f->summary);
	cJSON_AddStringToObject(o, "applied", f->applied);
	cJSON_AddStringToObject(o, "reverted", f->reverted);
	cJSON *params = cJSON_AddObjectToObject(o, "params");
	for (int i = 0; i < FAULT_MAX_PARAMS && f->params[i].name; i++)
		cJSON_AddItemToObject(params, f->params[i].name,
		                      param_json(&f->params[i], &sf->args.v[i]));
	reach_json(o, sf);
	return o;
}

static cJSON *faults_json(const struct scenario *s)
{
	cJSON *a = cJSON_CreateArray();
	for (int k = 0; k < s->n_faults; k++)
		cJSON_AddItemToArray(a, fault_json(&s->faults[k]));
	return a;
}

void labfile_init(struct labfile *l, const struct scenario *s, const char *path, const char *text)
{
	l->k = scenario_stretch(s);
	l->root = cJSON_CreateObject();
	cJSON_AddStringToObject(l->root, "siplab", SIPLAB_VERSION);
	cJSON_AddStringToObject(l->root, "what",
	                        "the lab's side of the run: the answer key the diagnosis never "
	                        "reads (docs/report.md)");
	cJSON *sc = cJSON_AddObjectToObject(l->root, "scenario");
	cJSON_AddStringToObject(sc, "file", path);
	cJSON_AddStringToObject(sc, "name", s->name);
	cJSON_AddNumberToObject(sc, "time_scale", s->time_scale);
	cJSON_AddItemToObject(sc, "text", parsed_or_null(text));
	cJSON_AddItemToObject(l->root, "faults", faults_json(s));
	cJSON_AddItemToObject(l->root, "expect", parsed_or_null(s->expect));
	cJSON_AddItemToObject(l->root, "remedy", parsed_or_null(s->remedy));
	l->observed = cJSON_AddArrayToObject(l->root, "observed");
	l->workers = cJSON_AddArrayToObject(l->root, "worker_processes");
}

void labfile_topology(struct labfile *l, const char *json)
{
	cJSON_DeleteItemFromObjectCaseSensitive(l->root, "topology");
	cJSON_AddItemToObject(l->root, "topology", parsed_or_null(json));
}

void labfile_logs(struct labfile *l, const char *dir)
{
	cJSON_DeleteItemFromObjectCaseSensitive(l->root, "logs");
	cJSON_AddStringToObject(l->root, "logs", dir);
}

void labfile_note(struct labfile *l, long long lab_ms, const char *fmt, ...)
{
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "t_ms", (double)(long long)(lab_ms * l->k + 0.5));
	cJSON_AddStringToObject(o, "what", what);
	cJSON_AddItemToArray(l->observed, o);
}

void labfile_worker_exit(struct labfile *l, long long lab_ms, const char *name,
                         const struct lab_status *st)
{
	char how[96];
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", name);
	cJSON_AddNumberToObject(o, "t_ms", (double)(long long)(lab_ms * l->k + 0.5));
	cJSON_AddStringToObject(o, "exit", lab_status_str(st, how, sizeof(how)));
	/* The same as facts: an exit code, or a signal (null for the other). */
	cJSON *end = cJSON_AddObjectToObject(o, "end");
	if (st->exited)
		cJSON_AddNumberToObject(end, "exit_code", st->code);
	else
		cJSON_AddNullToObject(end, "exit_code");
	if (st->signaled)
		cJSON_AddNumberToObject(end, "signal", st->sig);
	else
		cJSON_AddNullToObject(end, "signal");
	cJSON_AddBoolToObject(o, "oom_killed", st->oom_killed);
	cJSON_AddItemToArray(l->workers, o);
}

int labfile_write(const struct labfile *l, const char *path, err_t *e)
{
	return jv_write_tree(l->root, path, e);
}

void labfile_free(struct labfile *l)
{
	cJSON_Delete(l->root);
	memset(l, 0, sizeof(*l));
}

int labfile_path(const char *report, char *out, size_t cap, err_t *e)
{
	const char *base = strrchr(report, '/');
	base = base ? base + 1 : report;
	/* The last "report" that stands as a word of the name: at its start or
	 * after a dot, and followed by a dot. */
	const char *word = NULL;
	for (const char *w = strstr(base, "report."); w; w = strstr(w + 1, "report."))
		if (w == base || w[-1] == '.')
			word = w;
	size_t n = strlen(report);
	int len;
	if (word)
		len = snprintf(out, cap, "%.*slab%s", (int)(word - report), report, word + 6);
	else if (n > 5 && !strcmp(report + n - 5, ".json"))
		len = snprintf(out, cap, "%.*s.lab.json", (int)(n - 5), report);
	else
		len = snprintf(out, cap, "%s.lab.json", report);
	if (len < 0 || (size_t)len >= cap)
		return err_set(e, ENAMETOOLONG, "%s: the lab file's name beside it is too long",
		               report);
	return 0;
}
