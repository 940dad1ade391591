/* page.c — the HTML report's shared helpers: escaping every value taken
 * from the report (SIP text is full of < > & and quotes), reading its JSON,
 * and placing an endpoint's moments on the run's clock. */
#include "page.h"

#include "../lib/markup.h"

#include <string.h>

void h_escn(FILE *f, const char *s, size_t n)
{
	markup_escape(f, s, n);
}

void h_esc(FILE *f, const char *s)
{
	h_escn(f, s, (size_t)-1);
}

const char *j_str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int j_num(const cJSON *obj, const char *key, double *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!cJSON_IsNumber(v))
		return 0;
	*out = v->valuedouble;
	return 1;
}

const char *const h_outcome[H_OUTCOMES] = {
        "SUCCESS",
        "COMPLETED_WITH_WARNINGS",
        "REGISTRATION_FAILED",
        "CALL_FAILED",
        "NEGOTIATION_FAILED",
        "TIMEOUT",
        "TEARDOWN_ERROR",
        "OSERROR",
        "undecided",
};

/* Green for success, amber for warnings, reds and purples for failures,
 * grey for undecided: told apart at a glance, and in the legend by name. */
const char *const h_outcome_colour[H_OUTCOMES] = {
        "#2e9d4f", "#e0a800", "#d62f2f", "#b3418f", "#7d4fc4",
        "#e06c1f", "#8c6d1f", "#5a5a5a", "#b0b0b0",
};

int h_outcome_idx(const char *name)
{
	for (int i = 0; name && i < H_OUTCOMES - 1; i++)
		if (!strcmp(name, h_outcome[i]))
			return i;
	return H_OUTCOMES - 1;
}

/* When the endpoint's worker got the dispatch, on the run's clock: its
 * "dispatched" event, else the run's RUNNING status, else 0. */
static double dispatch_ms(const cJSON *report, const char *worker)
{
	const cJSON *w, *ev;
	double t;
	cJSON_ArrayForEach (w, cJSON_GetObjectItem(report, "workers")) {
		const char *name = j_str(w, "name");
		if (!worker || !name || strcmp(name, worker))
			continue;
		cJSON_ArrayForEach (ev, cJSON_GetObjectItem(w, "events")) {
			const char *kind = j_str(ev, "kind");
			if (kind && !strcmp(kind, "dispatched") && j_num(ev, "t_ms", &t))
				return t;
		}
	}
	const cJSON *run = cJSON_GetObjectItem(report, "run");
	cJSON_ArrayForEach (ev, cJSON_GetObjectItem(run, "timeline")) {
		const char *st = j_str(ev, "status");
		if (st && !strcmp(st, "RUNNING") && j_num(ev, "t_ms", &t))
			return t;
	}
	return 0;
}

/* The last status of the run, on its clock (its end). */
static double run_end_ms(const cJSON *report)
{
	const cJSON *run = cJSON_GetObjectItem(report, "run"), *ev;
	double t, end = 0;
	cJSON_ArrayForEach (ev, cJSON_GetObjectItem(run, "timeline"))
		if (j_num(ev, "t_ms", &t) && t > end)
			end = t;
	return end;
}

void h_ep_times(const cJSON *report, const cJSON *ep, struct h_times *t)
{
	const cJSON *tm = cJSON_GetObjectItem(ep, "times_ms"), *it;
	double d = dispatch_ms(report, j_str(ep, "worker")), v, last = -1;
	t->registered = j_num(tm, "registered", &v) ? d + v : -1;
	t->invite = j_num(tm, "invite", &v) ? d + v : -1;
	t->answered = j_num(tm, "answered", &v) ? d + v : -1;
	/* Its end: the latest of its own times and of its traced messages;
	 * an endpoint with neither (never dispatched, closed by the
	 * platform) ended with the run. */
	cJSON_ArrayForEach (it, tm)
		if (cJSON_IsNumber(it) && it->valuedouble > last)
			last = it->valuedouble;
	cJSON_ArrayForEach (it, cJSON_GetObjectItem(ep, "trace"))
		if (j_num(it, "t_ms", &v) && v > last)
			last = v;
	t->end = last >= 0 ? d + last : run_end_ms(report);
}

double h_run_span(const cJSON *report)
{
	double span = run_end_ms(report);
	const cJSON *ep;
	cJSON_ArrayForEach (ep, cJSON_GetObjectItem(report, "endpoints")) {
		struct h_times t;
		h_ep_times(report, ep, &t);
		if (t.end > span)
			span = t.end;
	}
	return span > 0 ? span : 1;
}
