/* vary.c — a case's variant: the scenario with its parameters redrawn, so
 * the same scenario does not look the same twice. Each change stays within
 * what the fault declares valid (faults/fault.h: ranges, choices) and within
 * what keeps the failure the scenario is about: a fault's rate or severity
 * is moved only the way that keeps it failing, its signature only among the
 * ones the guide reads as the same cause, workers are relabelled (the aimed
 * worker changes, the shape of the test does not), and endpoint counts grow
 * together on small tests. The variant is read back with scenario_parse. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "../faults/fault.h"
#include "../lib/jsonv.h"
#include "../lib/rng.h"
#include "../sim/model/scenario.h"
#include "train.h"

/* How one parameter of one fault may vary: a number times a factor in
 * [lo, hi] of the scenario's value (then clamped to the declared range), or
 * one of a few choices (each among the declared ones). */
struct vary_rule {
	const char *fault, *param;
	double lo, hi;
	const char *const *choices;
};

static const char *const rate_signatures[] = {"503", "429", NULL};
static const char *const dns_signatures[] = {"nxdomain", "servfail", NULL};
static const char *const tls_causes[] = {"certificate", "version", NULL};
static const char *const wrong_addresses[] = {"192.0.2.10", "192.0.2.77", "198.51.100.23",
                                              "203.0.113.5", NULL};

static const struct vary_rule rules[] = {
        /* A limit still under the burst; a refusal that still names a rate. */
        {"reg.rate_limit", "per_second", 0.7, 1.3, NULL},
        {"reg.rate_limit", "mode", 0, 0, rate_signatures},
        {"reg.dns_failure", "mode", 0, 0, dns_signatures},
        {"reg.tls_failure", "cause", 0, 0, tls_causes},
        {"reg.intermittent_network", "loss_pct", 0.9, 1.3, NULL},
        /* Impairments only get worse, so they stay beyond the thresholds. */
        {"quality.packet_loss", "loss_pct", 1.0, 1.6, NULL},
        {"quality.jitter", "jitter_ms", 1.0, 1.5, NULL},
        {"quality.latency", "delay_ms", 1.0, 1.5, NULL},
        {"media.payload_mismatch", "pt", 0.96, 1.3, NULL},
        {"media.sdp_ip_mismatch", "address", 0, 0, wrong_addresses},
};

static double uniform(struct rng *r, double lo, double hi)
{
	return lo + (hi - lo) * (double)(rng_next(r) >> 11) / (double)(1ULL << 53);
}

static void say(char *buf, size_t cap, const char *fmt, const char *a, const char *b, const char *c)
{
	size_t n = strlen(buf);
	if (n + 1 < cap)
		snprintf(buf + n, cap - n, fmt, a, b, c);
}

/* The value of a parameter: the scenario's, else the declared default. */
static const cJSON *param_value(const cJSON *params, const struct fault_param *p, cJSON **dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, p->name);
	if (v)
		return v;
	*dflt = p->type == FP_ENUM || p->type == FP_NAME ? cJSON_CreateString(p->dflt)
	                                                 : cJSON_CreateNumber(atof(p->dflt));
	return *dflt;
}

static void vary_param(cJSON *fault, const struct fault *f, const struct vary_rule *vr,
                       struct rng *r, char *varied, size_t cap)
{
	int i = fault_param_index(f, vr->param);
	if (i < 0)
		return;
	const struct fault_param *p = &f->params[i];
	cJSON *params = cJSON_GetObjectItemCaseSensitive(fault, "params"), *dflt = NULL;
	if (!params)
		params = cJSON_AddObjectToObject(fault, "params");
	const cJSON *v = param_value(params, p, &dflt);
	char was[64], now[64];
	cJSON *nv;
	if (vr->choices) {
		int n = 0;
		while (vr->choices[n])
			n++;
		const char *pick = vr->choices[rng_next(r) % (uint64_t)n];
		snprintf(was, sizeof(was), "%s", cJSON_IsString(v) ? v->valuestring : "?");
		snprintf(now, sizeof(now), "%s", pick);
		nv = cJSON_CreateString(pick);
	} else {
		double base = cJSON_IsNumber(v)   ? v->valuedouble
		              : cJSON_IsString(v) ? atof(v->valuestring)
		                                  : 0;
		double x = base * uniform(r, vr->lo, vr->hi);
		x = fmin(fmax(x, p->min), p->max);
		if (p->type == FP_INT)
			x = fmin(fmax(round(x), ceil(p->min)), floor(p->max));
		else
			x = round(x * 10) / 10;
		snprintf(was, sizeof(was), "%g", base);
		snprintf(now, sizeof(now), "%g", x);
		nv = cJSON_CreateNumber(x);
	}
	cJSON_Delete(dflt);
	jv_set(params, p->name, nv);
	if (strcmp(was, now))
		say(varied, cap, "%s %s %s; ", f->code, vr->param, now);
}

static void vary_fault(cJSON *fault, struct rng *r, char *varied, size_t cap)
{
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(fault, "code");
	const struct fault *f = cJSON_IsString(code) ? fault_find(code->valuestring) : NULL;
	if (!f)
		return;
	for (size_t k = 0; k < sizeof(rules) / sizeof(rules[0]); k++)
		if (!strcmp(rules[k].fault, f->code))
			vary_param(fault, f, &rules[k], r, varied, cap);
}

/* Every fault entry of the scenario ("fault" or "faults"). */
static int fault_entries(cJSON *root, cJSON **out, int cap)
{
	cJSON *one = cJSON_GetObjectItemCaseSensitive(root, "fault"),
	      *list = cJSON_GetObjectItemCaseSensitive(root, "faults"), *f;
	int n = 0;
	if (cJSON_IsObject(one))
		out[n++] = one;
	cJSON_ArrayForEach (f, list)
		if (n < cap && cJSON_IsObject(f))
			out[n++] = f;
	return n;
}

static int worker_index(const char *name, int workers)
{
	int k;
	char rest;
	if (sscanf(name, "worker%d%c", &k, &rest) != 1 || k < 1 || k > workers)
		return -1;
	return k;
}

static void relabel(cJSON *s, const int *perm, int workers)
{
	char name[32];
	int k = cJSON_IsString(s) ? worker_index(s->valuestring, workers) : -1;
	if (k < 0)
		return;
	snprintf(name, sizeof(name), "worker%d", perm[k]);
	cJSON_SetValuestring(s, name);
}

/* Workers are alike unless regions tell them apart: a permutation of their
 * names, applied to every scope and action, moves the fault to other
 * workers and keeps everything else. */
static void relabel_workers(cJSON *root, cJSON **faults, int nf, struct rng *r, char *varied,
                            size_t cap)
{
	const cJSON *pf = cJSON_GetObjectItemCaseSensitive(root, "platform");
	const cJSON *w = cJSON_GetObjectItemCaseSensitive(pf, "workers");
	int workers = cJSON_IsNumber(w) ? w->valueint : 1, perm[SCN_MAX_WORKERS + 1], any = 0;
	if (workers < 2 || workers > SCN_MAX_WORKERS || cJSON_HasObjectItem(pf, "worker_regions"))
		return;
	for (int k = 1; k <= workers; k++)
		perm[k] = k;
	for (int k = workers; k > 1; k--) {
		int j = 1 + (int)(rng_next(r) % (uint64_t)k), t = perm[k];
		perm[k] = perm[j];
		perm[j] = t;
	}
	cJSON *it, *a;
	for (int i = 0; i < nf; i++) {
		cJSON *ws = cJSON_GetObjectItemCaseSensitive(
		        cJSON_GetObjectItemCaseSensitive(faults[i], "scope"), "workers");
		cJSON_ArrayForEach (it, ws) {
			relabel(it, perm, workers);
			any = 1;
		}
	}
	cJSON_ArrayForEach (a, cJSON_GetObjectItemCaseSensitive(root, "actions")) {
		it = cJSON_GetObjectItemCaseSensitive(a, "worker");
		relabel(it, perm, workers);
		any |= it && cJSON_IsString(it) && strcmp(it->valuestring, "all");
	}
	if (any && perm[1] != 1)
		say(varied, cap, "workers relabelled (worker1 is now the %s%s%s); ",
		    perm[1] == 2   ? "second"
		    : perm[1] == 3 ? "third"
		                   : "n-th",
		    "", "");
}

/* Counts the scenario ties to the number of endpoints (a plan, a worker's
 * capacity or memory, pools and a callee pool of their own, another run, a
 * fault that counts members) are left alone: scaling them would change the
 * cause, not its look. Accounts locked: all of a pool locked is
 * reg.forbidden, some of it reg.accounts_locked, so neither its count nor
 * the pool's moves. */
static int counts_free(const cJSON *root, cJSON **faults, int nf)
{
	static const char *const counted[] = {
	        "call.callee_offline",   "reg.accounts_locked",      "worker.oom",
	        "reg.worker_overloaded", "reg.registrar_overloaded", NULL};
	const cJSON *pf = cJSON_GetObjectItemCaseSensitive(root, "platform");
	const cJSON *far = cJSON_GetObjectItemCaseSensitive(root, "far_side");
	if (cJSON_HasObjectItem(root, "plan") || cJSON_HasObjectItem(pf, "capacity") ||
	    cJSON_HasObjectItem(pf, "worker_memory_mb") || cJSON_HasObjectItem(pf, "other_run") ||
	    cJSON_HasObjectItem(far, "callee") || cJSON_HasObjectItem(far, "accounts"))
		return 0;
	for (int i = 0; i < nf; i++) {
		const cJSON *code = cJSON_GetObjectItemCaseSensitive(faults[i], "code");
		for (int k = 0; counted[k]; k++)
			if (cJSON_IsString(code) && !strcmp(code->valuestring, counted[k]))
				return 0;
	}
	return 1;
}

/* Small tests grow by the same factor in every group; each pool keeps its
 * surplus or shortage of accounts. Kept at most 20 endpoints: within the
 * callee pool's default 20 members, and a case stays a few seconds. */
static void scale_endpoints(cJSON *root, struct rng *r, char *varied, size_t cap)
{
	static const double factors[] = {1, 1.5, 2};
	double f = factors[rng_next(r) % 3];
	int total = 0;
	cJSON *g;
	cJSON_ArrayForEach (g, cJSON_GetObjectItemCaseSensitive(root, "groups")) {
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(g, "endpoints");
		total += cJSON_IsNumber(n) ? n->valueint : 0;
	}
	if (f == 1 || total * f > 20)
		return;
	cJSON_ArrayForEach (g, cJSON_GetObjectItemCaseSensitive(root, "groups")) {
		cJSON *n = cJSON_GetObjectItemCaseSensitive(g, "endpoints");
		cJSON *count = cJSON_GetObjectItemCaseSensitive(
		        cJSON_GetObjectItemCaseSensitive(g, "accounts"), "count");
		if (!cJSON_IsNumber(n))
			continue;
		int was = n->valueint, now = (int)(was * f + 0.5);
		cJSON_SetNumberValue(n, now);
		if (cJSON_IsNumber(count))
			cJSON_SetNumberValue(count, count->valueint + now - was);
	}
	char buf[16];
	snprintf(buf, sizeof(buf), "%g", f);
	say(varied, cap, "endpoint counts x%s%s%s; ", buf, "", "");
}

int train_vary(const char *json, const char *origin, uint64_t seed, char **out, char *varied,
               size_t cap, err_t *e)
{
	struct rng r;
	rng_init(&r, seed);
	varied[0] = '\0';
	cJSON *root = cJSON_Parse(json), *faults[SCN_MAX_FAULTS];
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return err_set(e, EINVAL, "%s: not a JSON object", origin);
	}
	int nf = fault_entries(root, faults, SCN_MAX_FAULTS);
	for (int i = 0; i < nf; i++)
		vary_fault(faults[i], &r, varied, cap);
	relabel_workers(root, faults, nf, &r, varied, cap);
	if (counts_free(root, faults, nf))
		scale_endpoints(root, &r, varied, cap);
	/* The case must not give itself away: no name, no description. */
	jv_set(root, "name", cJSON_CreateString("training-case"));
	cJSON_DeleteItemFromObjectCaseSensitive(root, "description");
	*out = cJSON_Print(root);
	cJSON_Delete(root);
	static struct scenario check;
	err_t why;
	if (*out && scenario_parse(*out, origin, &check, &why)) {
		/* Not a variant the lab would take: the scenario as written. */
		free(*out);
		*out = strdup(json);
		snprintf(varied, cap, "nothing (a variant did not read: %s)", why.msg);
	}
	if (!*out)
		return err_set(e, ENOMEM, "%s: no memory for its variant", origin);
	size_t n = strlen(varied);
	if (n >= 2 && !strcmp(varied + n - 2, "; "))
		varied[n - 2] = '\0';
	if (!varied[0])
		snprintf(varied, cap, "nothing: the scenario as written");
	return 0;
}
