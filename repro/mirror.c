/* mirror.c — a customer's test configuration as a lab scenario, the
 * diagnosed cause as a fault in it (parameters from the evidence where the
 * evidence gives them), and the guide's remedy for that cause from the
 * catalogue. Reads the report and the diagnosis as JSON; starts nothing. */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../faults/fault.h"
#include "../lib/jsonv.h"
#include "../lib/limits.h"
#include "../lib/rng.h"
#include "repro.h"

static const char *str_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int int_of(const cJSON *o, const char *key, int dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? v->valueint : dflt;
}

/* --- the workers ------------------------------------------------------------------ */

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The report's worker names, sorted and each once: the workers the platform
 * listed (not a refused hello) and any an endpoint names. Returns how many
 * there are, also beyond cap (only cap are kept); names point into the
 * report. */
static int worker_names(const cJSON *report, const char **names, int cap)
{
	int n = 0;
	const cJSON *w, *ep;
	const char *cand[2];
	cJSON_ArrayForEach (w, cJSON_GetObjectItemCaseSensitive(report, "workers")) {
		cand[0] = str_of(w, "name");
		if (cand[0] && strcmp(cand[0], "(refused)") && n < cap)
			names[n] = cand[0];
		n += cand[0] && strcmp(cand[0], "(refused)");
	}
	cJSON_ArrayForEach (ep, cJSON_GetObjectItemCaseSensitive(report, "endpoints")) {
		cand[1] = str_of(ep, "worker");
		int seen = !cand[1];
		for (int i = 0; i < n && i < cap && !seen; i++)
			seen = !strcmp(names[i], cand[1]);
		if (!seen && n < cap)
			names[n] = cand[1];
		n += !seen;
	}
	qsort(names, (size_t)(n < cap ? n : cap), sizeof(*names), by_name);
	return n;
}

void repro_worker_name(const cJSON *report, const char *name, char *out, size_t cap)
{
	const char *names[SCN_MAX_WORKERS];
	int n = worker_names(report, names, SCN_MAX_WORKERS);
	snprintf(out, cap, "%s", name ? name : "");
	for (int i = 0; name && i < n && i < SCN_MAX_WORKERS; i++)
		if (!strcmp(names[i], name))
			snprintf(out, cap, "worker%d", i + 1);
}

/* --- the test configuration ------------------------------------------------------- */

cJSON *repro_mirror(const cJSON *report, err_t *e)
{
	const cJSON *test = cJSON_GetObjectItemCaseSensitive(report, "test");
	if (!cJSON_IsObject(test) || !cJSON_GetObjectItemCaseSensitive(test, "groups")) {
		err_set(e, EINVAL,
		        "the report has no test configuration (\"test\" with its groups)");
		return NULL;
	}
	cJSON *s = cJSON_CreateObject();
	cJSON_AddStringToObject(s, "name", "repro");
	cJSON_AddStringToObject(s, "description",
	                        "the customer's test configuration, as the report has it, "
	                        "run at time scale 0.1 (every duration ten times shorter)");
	/* The test section is what the customer wrote (docs/report.md "test"):
	 * region, buildup, duration, groups, plan, silence — copied whole. */
	const cJSON *it;
	cJSON_ArrayForEach (it, test)
		jv_set(s, it->string, cJSON_Duplicate(it, 1));
	jv_set(s, "time_scale", cJSON_CreateNumber(REPRO_TIME_SCALE));
	const cJSON *seed = cJSON_GetObjectItemCaseSensitive(report, "seed");
	/* The customer's seed replays the run's Call-IDs and SSRCs; one the
	 * platform cannot take (a report of an older release) is left out. */
	if (cJSON_IsNumber(seed) && seed->valuedouble >= 0 &&
	    seed->valuedouble <= (double)RNG_SEED_MAX)
		jv_set(s, "seed", cJSON_CreateNumber(seed->valuedouble));
	const char *names[SCN_MAX_WORKERS];
	int n = worker_names(report, names, SCN_MAX_WORKERS);
	if (n > SCN_MAX_WORKERS) {
		cJSON_Delete(s);
		err_set(e, E2BIG, "the report lists %d workers; a lab runs at most %d", n,
		        SCN_MAX_WORKERS);
		return NULL;
	}
	cJSON *pf = cJSON_CreateObject();
	cJSON_AddNumberToObject(pf, "workers", n > 0 ? n : 1);
	jv_set(s, "platform", pf);
	return s;
}

/* --- the fault's parameters from the evidence ---------------------------------- */

/* "SIP/2.0 503 ..." → 503; 0 for a request. */
static int status_of(const char *first_line)
{
	return first_line && !strncmp(first_line, "SIP/2.0 ", 8) ? atoi(first_line + 8) : 0;
}

static int is_register(const cJSON *m)
{
	const char *fl = str_of(m, "first_line");
	return fl && !strncmp(fl, "REGISTER ", 9);
}

/* The SIP code the failed registrations share most, and whether the stack
 * made it up (408 of a silent peer, or none at all). */
static int refusal_code(const cJSON *report, int *silent)
{
	int counts[700] = {0}, best = 0, quiet = 0, loud = 0;
	const cJSON *ep;
	cJSON_ArrayForEach (ep, cJSON_GetObjectItemCaseSensitive(report, "endpoints")) {
		const char *out = str_of(ep, "outcome"), *src = str_of(ep, "sip_code_source");
		if (!out || strcmp(out, "REGISTRATION_FAILED"))
			continue;
		int code = int_of(ep, "sip_code", 0);
		if (code <= 0 || (src && !strcmp(src, "local"))) {
			quiet++;
			continue;
		}
		loud++;
		if (code < 700 && ++counts[code] > counts[best])
			best = code;
	}
	*silent = quiet > loud;
	return best;
}

/* One REGISTER sent, and whether the registrar let it through. */
struct reg_sent {
	double t;
	int admitted;
};

static int by_time(const void *a, const void *b)
{
	double d = ((const struct reg_sent *)a)->t - ((const struct reg_sent *)b)->t;
	return d < 0 ? -1 : d > 0;
}

/* Each REGISTER an endpoint sent, answered by the next final response on
 * its Call-ID before another REGISTER went: let through unless that answer
 * is the limiter's refusal (or, when it drops, unless none came). */
static int registers_sent(const cJSON *report, int refusal, int silent, struct reg_sent **out)
{
	int n = 0, cap = 0;
	struct reg_sent *v = NULL;
	const cJSON *ep;
	cJSON_ArrayForEach (ep, cJSON_GetObjectItemCaseSensitive(report, "endpoints")) {
		const cJSON *tr = cJSON_GetObjectItemCaseSensitive(ep, "trace");
		int len = cJSON_GetArraySize(tr);
		for (int i = 0; i < len; i++) {
			const cJSON *m = cJSON_GetArrayItem(tr, i);
			const char *dir = str_of(m, "dir"), *cid = str_of(m, "call_id");
			if (!dir || strcmp(dir, "send") || !is_register(m))
				continue;
			int answer = 0;
			for (int k = i + 1; k < len && !answer; k++) {
				const cJSON *r = cJSON_GetArrayItem(tr, k);
				const char *rcid = str_of(r, "call_id");
				if (!cid || !rcid || strcmp(cid, rcid))
					continue;
				if (is_register(r))
					break;
				int st = status_of(str_of(r, "first_line"));
				if (st >= 200)
					answer = st;
			}
			if (n == cap) {
				cap = cap ? 2 * cap : 64;
				struct reg_sent *nv = realloc(v, (size_t)cap * sizeof(*v));
				if (!nv)
					break;
				v = nv;
			}
			/* t_us: the lab's own clock, one for every worker, to the
			 * microsecond (t_ms is stretched and coarse: ties would
			 * break the runs below). */
			const cJSON *us = cJSON_GetObjectItemCaseSensitive(m, "t_us");
			const cJSON *ms = cJSON_GetObjectItemCaseSensitive(m, "t_ms");
			v[n].t = cJSON_IsNumber(us)   ? us->valuedouble / 1000
			         : cJSON_IsNumber(ms) ? ms->valuedouble
			                              : 0;
			v[n].admitted = silent ? answer != 0 : answer && answer != refusal;
			n++;
		}
	}
	qsort(v, (size_t)n, sizeof(*v), by_time);
	*out = v;
	return n;
}

/* The registrar's limiter counts REGISTERs in windows of one second on its
 * clock and refuses what is beyond per_second until the next window. In a
 * burst beyond the limit, a run of REGISTERs let through that begins after
 * a refusal begins a window, and one that also ends in a refusal filled
 * it: per_second. The most common length of such runs is taken (the
 * shorter on a tie), since a window the burst did not fill makes one
 * longer, and REGISTERs of two workers sent at the same instant can split
 * one. Without such a run: the longest that begins after a refusal (the
 * burst may have ended before the window filled), else the shortest that
 * ends in one (the first run can hold the end of a window the burst began
 * in, and the whole next). 0 when nothing was refused. */
static int admitted_per_window(const struct reg_sent *v, int n)
{
	int after = 0, before = 0, both[REPRO_RUN_LENGTHS] = {0}, any_both = 0;
	for (int i = 0; i < n;) {
		if (!v[i].admitted) {
			i++;
			continue;
		}
		int start = i;
		while (i < n && v[i].admitted)
			i++;
		int run = i - start, left = start > 0, right = i < n;
		if (left && right && run < REPRO_RUN_LENGTHS) {
			both[run]++;
			any_both = 1;
		} else if (left) {
			after = run > after ? run : after;
		} else if (right) {
			before = !before || run < before ? run : before;
		}
	}
	int mode = 0;
	for (int len = 1; any_both && len < REPRO_RUN_LENGTHS; len++)
		mode = both[len] > both[mode] ? len : mode;
	return mode ? mode : after ? after : before;
}

/* The Retry-After of the first refusal that carried one, or -1. */
static int retry_after(const cJSON *report, int refusal)
{
	const cJSON *ep, *m;
	cJSON_ArrayForEach (ep, cJSON_GetObjectItemCaseSensitive(report, "endpoints"))
		cJSON_ArrayForEach (m, cJSON_GetObjectItemCaseSensitive(ep, "trace")) {
			const char *text = str_of(m, "text");
			if (status_of(str_of(m, "first_line")) != refusal || !text)
				continue;
			for (const char *p = text; (p = strchr(p, '\n')); p++)
				if (!strncasecmp(p + 1, "Retry-After:", 12))
					return atoi(p + 13);
		}
	return -1;
}

static void set_param(cJSON *params, const char *name, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void set_param(cJSON *params, const char *name, const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	jv_set(params, name, cJSON_CreateString(buf));
}

/* reg.rate_limit: the rate, how the excess was refused, and its Retry-After,
 * as the REGISTERs' answers show them. */
static void rate_limit_params(const cJSON *report, cJSON *params)
{
	int silent, refusal = refusal_code(report, &silent);
	if (silent)
		set_param(params, "mode", "drop");
	else if (refusal == 503 || refusal == 429 || refusal == 403)
		set_param(params, "mode", "%d", refusal);
	struct reg_sent *v = NULL;
	int n = registers_sent(report, refusal, silent, &v);
	int per = admitted_per_window(v, n);
	free(v);
	if (per > 0)
		set_param(params, "per_second", "%d", per);
	int ra = refusal == 503 ? retry_after(report, 503) : -1;
	if (ra >= 0)
		set_param(params, "retry_after", "%d", ra);
}

/* reg.dns_failure: the registrar name of the first endpoint whose REGISTER
 * never left (the name that did not resolve), without its port. */
static void dns_failure_params(const cJSON *report, cJSON *params)
{
	const cJSON *ep, *g;
	const cJSON *groups = cJSON_GetObjectItemCaseSensitive(
	        cJSON_GetObjectItemCaseSensitive(report, "test"), "groups");
	cJSON_ArrayForEach (ep, cJSON_GetObjectItemCaseSensitive(report, "endpoints")) {
		const cJSON *f = cJSON_GetObjectItemCaseSensitive(ep, "failure");
		const char *kind = str_of(f, "kind"), *group = str_of(ep, "group");
		if (!kind || strcmp(kind, "dns_failure") || !group)
			continue;
		cJSON_ArrayForEach (g, groups) {
			const char *name = str_of(g, "name"), *reg = str_of(g, "registrar");
			if (name && reg && !strcmp(name, group)) {
				set_param(params, "name", "%.*s", (int)strcspn(reg, ":"), reg);
				return;
			}
		}
	}
}

/* call.callee_offline: as many pool members off as callers that got 480. */
static void callee_offline_params(const cJSON *report, cJSON *params)
{
	int n = 0;
	const cJSON *ep;
	cJSON_ArrayForEach (ep, cJSON_GetObjectItemCaseSensitive(report, "endpoints"))
		n += int_of(ep, "sip_code", 0) == 480;
	if (n > 0)
		set_param(params, "offline", "%d", n);
}

/* The faults whose parameters the evidence gives; the others keep their
 * defaults. One row per fault. */
static const struct {
	const char *code;
	void (*fill)(const cJSON *report, cJSON *params);
} from_evidence[] = {
        {"reg.rate_limit", rate_limit_params},
        {"reg.dns_failure", dns_failure_params},
        {"call.callee_offline", callee_offline_params},
};

/* The finding's scope as its first line of evidence says it: "scope: worker
 * NAME (...)" or "scope: group NAME (...)". kind gets "worker", "group" or
 * "". */
static void finding_scope(const cJSON *finding, char *kind, size_t kcap, char *name, size_t ncap)
{
	const cJSON *ev =
	        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(finding, "evidence"), 0);
	const char *line = cJSON_IsString(ev) ? ev->valuestring : "";
	*kind = *name = '\0';
	static const char *const kinds[] = {"worker", "group"};
	for (size_t i = 0; i < 2; i++) {
		char prefix[32];
		snprintf(prefix, sizeof(prefix), "scope: %s ", kinds[i]);
		size_t pl = strlen(prefix);
		if (strncmp(line, prefix, pl))
			continue;
		snprintf(kind, kcap, "%s", kinds[i]);
		snprintf(name, ncap, "%.*s", (int)strcspn(line + pl, " ("), line + pl);
	}
}

cJSON *repro_fault(const cJSON *report, const cJSON *finding, err_t *e)
{
	const char *code = str_of(finding, "code");
	const struct fault *f = code ? fault_find(code) : NULL;
	if (!f) {
		err_set(e, ENOENT, "no fault of the lab injects %s", code ? code : "(no code)");
		return NULL;
	}
	cJSON *fault = cJSON_CreateObject(), *params = cJSON_CreateObject();
	cJSON_AddStringToObject(fault, "code", f->code);
	for (int i = 0; i < FAULT_MAX_PARAMS && f->params[i].name; i++)
		set_param(params, f->params[i].name, "%s", f->params[i].dflt);
	for (size_t i = 0; i < sizeof(from_evidence) / sizeof(*from_evidence); i++)
		if (!strcmp(from_evidence[i].code, f->code))
			from_evidence[i].fill(report, params);
	cJSON_AddItemToObject(fault, "params", params);
	char kind[16], name[64], lab_name[64];
	finding_scope(finding, kind, sizeof(kind), name, sizeof(name));
	if (!strcmp(kind, "worker") && (f->scopes & FAULT_SCOPE_WORKER)) {
		repro_worker_name(report, name, lab_name, sizeof(lab_name));
		cJSON *workers =
		        cJSON_AddArrayToObject(cJSON_AddObjectToObject(fault, "scope"), "workers");
		cJSON_AddItemToArray(workers, cJSON_CreateString(lab_name));
	} else if (!strcmp(kind, "group") && (f->scopes & FAULT_SCOPE_GROUP)) {
		cJSON_AddStringToObject(cJSON_AddObjectToObject(fault, "scope"), "group", name);
	}
	return fault;
}

/* --- the guide's remedy -------------------------------------------------------------- */

/* Whether a scenario injects code, and whether its expectation names it. */
static int injects(const cJSON *sc, const char *code, int *expected)
{
	const cJSON *one = cJSON_GetObjectItemCaseSensitive(sc, "fault"), *f;
	const cJSON *many = cJSON_GetObjectItemCaseSensitive(sc, "faults");
	const char *dx = str_of(cJSON_GetObjectItemCaseSensitive(sc, "expect"), "diagnosis");
	*expected = dx && !strcmp(dx, code);
	if (one)
		return str_of(one, "code") && !strcmp(str_of(one, "code"), code);
	cJSON_ArrayForEach (f, many)
		if (str_of(f, "code") && !strcmp(str_of(f, "code"), code))
			return 1;
	return 0;
}

cJSON *repro_remedy(const char *dir, const char *code)
{
	struct dirent **names = NULL;
	int n = dir ? scandir(dir, &names, NULL, alphasort) : -1;
	cJSON *best = NULL;
	int best_expected = 0;
	for (int i = 0; i < n; i++) {
		size_t len = strlen(names[i]->d_name);
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		free(names[i]);
		cJSON *sc = len > 5 && !strcmp(path + strlen(path) - 5, ".json")
		                    ? jv_read_tree(path)
		                    : NULL;
		const cJSON *rem = cJSON_GetObjectItemCaseSensitive(sc, "remedy");
		int expected;
		if (cJSON_IsObject(rem) && injects(sc, code, &expected) &&
		    (!best || (expected && !best_expected))) {
			cJSON_Delete(best);
			best = cJSON_Duplicate(rem, 1);
			best_expected = expected;
		}
		cJSON_Delete(sc);
	}
	free(names);
	if (best)
		return best;
	best = cJSON_CreateObject();
	cJSON_AddStringToObject(best, "description", "the fault removed");
	cJSON_AddNullToObject(cJSON_AddObjectToObject(best, "patch"), "fault");
	return best;
}

/* The catalogue's remedy was written for the catalogue's numbers. A rate
 * limit's (a longer buildup) is stretched to this test's: its endpoints'
 * REGISTERs (two each: the challenge and the answer) at half the rate the
 * evidence gave, so no window of the limiter fills even when the starts
 * bunch up. */
void repro_remedy_fit(cJSON *remedy, const cJSON *scenario)
{
	const cJSON *fault = cJSON_GetObjectItemCaseSensitive(scenario, "fault"), *g;
	cJSON *patch = cJSON_GetObjectItemCaseSensitive(remedy, "patch");
	const cJSON *buildup = cJSON_GetObjectItemCaseSensitive(patch, "buildup_s");
	const char *code = str_of(fault, "code");
	const char *per = str_of(cJSON_GetObjectItemCaseSensitive(fault, "params"), "per_second");
	if (!code || strcmp(code, "reg.rate_limit") || !cJSON_IsNumber(buildup) || !per ||
	    atoi(per) <= 0)
		return;
	int endpoints = 0;
	cJSON_ArrayForEach (g, cJSON_GetObjectItemCaseSensitive(scenario, "groups"))
		endpoints += int_of(g, "endpoints", 0);
	int need = (4 * endpoints + atoi(per) - 1) / atoi(per);
	if (need <= buildup->valuedouble)
		return;
	jv_set(patch, "buildup_s", cJSON_CreateNumber(need));
	char desc[256];
	snprintf(desc, sizeof(desc),
	         "a %d s buildup: %d endpoints, two REGISTERs each, at half the registrar's %s a "
	         "second",
	         need, endpoints, per);
	jv_set(remedy, "description", cJSON_CreateString(desc));
}
