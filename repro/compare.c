/* compare.c — how alike a lab's run is to the customer's: the same status,
 * the same shares of outcomes, the same final SIP codes and phases among
 * the failed endpoints, and the failures in the same groups and workers.
 * Shares, not counts, so a run of another size can still compare; every
 * difference that costs points is said in words. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "repro.h"

/* The weight of each part of the score; they add up to 100. */
#define W_STATUS  10.0
#define W_OUTCOME 30.0
#define W_CODE    20.0
#define W_PHASE   15.0
#define W_GROUP   12.5
#define W_WORKER  12.5
/* A share that differs by less than this is not listed as a difference. */
#define SHARE_NOTED 0.05

static const char *str_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int failed(const cJSON *ep)
{
	const char *out = str_of(ep, "outcome");
	return !out || strcmp(out, "SUCCESS");
}

/* What one endpoint shows, as a key of a tally; NULL: not counted. */
typedef const char *(*ep_key)(const cJSON *report, const cJSON *ep, char *buf, size_t cap);

static const char *key_outcome(const cJSON *report, const cJSON *ep, char *buf, size_t cap)
{
	const char *out = str_of(ep, "outcome");
	return out ? out : "undecided";
}

static const char *key_code(const cJSON *report, const cJSON *ep, char *buf, size_t cap)
{
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(ep, "sip_code");
	const char *src = str_of(ep, "sip_code_source");
	if (!failed(ep))
		return NULL;
	if (!cJSON_IsNumber(code))
		return "no SIP code";
	snprintf(buf, cap, "%d (%s)", code->valueint, src ? src : "?");
	return buf;
}

static const char *key_phase(const cJSON *report, const cJSON *ep, char *buf, size_t cap)
{
	const char *ph = str_of(ep, "phase_reached");
	return !failed(ep) ? NULL : ph ? ph : "unknown";
}

/* Counts per key over the report's endpoints, in an object {key: n}. */
static cJSON *tally(const cJSON *report, ep_key key, int *total)
{
	cJSON *t = cJSON_CreateObject();
	const cJSON *ep;
	char buf[64];
	*total = 0;
	cJSON_ArrayForEach (ep, cJSON_GetObjectItemCaseSensitive(report, "endpoints")) {
		const char *k = key(report, ep, buf, sizeof(buf));
		if (!k)
			continue;
		cJSON *n = cJSON_GetObjectItemCaseSensitive(t, k);
		if (n)
			cJSON_SetNumberValue(n, n->valuedouble + 1);
		else
			cJSON_AddNumberToObject(t, k, 1);
		(*total)++;
	}
	return t;
}

static double share(const cJSON *t, const char *k, int total)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(t, k);
	return total > 0 && cJSON_IsNumber(n) ? n->valuedouble / total : 0;
}

static void say(cJSON *diffs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(cJSON *diffs, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (diffs)
		cJSON_AddItemToArray(diffs, cJSON_CreateString(buf));
}

/* The two tallies' distance (total variation: 0 the same shares, 1 none in
 * common) with a line per key whose share differs. Two empty tallies are
 * the same; one empty and one not are as far apart as can be. */
static double distance(const cJSON *a, int na, const cJSON *b, int nb, const char *what,
                       cJSON *diffs)
{
	if (!na || !nb) {
		if (na != nb)
			say(diffs, "%s: %s in the customer's run, %s in the lab", what,
			    na ? "some" : "none", nb ? "some" : "none");
		return na == nb ? 0 : 1;
	}
	double d = 0;
	const cJSON *it;
	for (int side = 0; side < 2; side++)
		cJSON_ArrayForEach (it, (side ? b : a)) {
			if (side && cJSON_GetObjectItemCaseSensitive(a, it->string))
				continue; /* counted from a's side */
			double pa = share(a, it->string, na), pb = share(b, it->string, nb);
			d += fabs(pa - pb);
			if (fabs(pa - pb) >= SHARE_NOTED)
				say(diffs, "%s %s: %.0f%% in the customer's run, %.0f%% in the lab",
				    what, it->string, 100 * pa, 100 * pb);
		}
	return d / 2;
}

static double part(const cJSON *cust, const cJSON *lab, ep_key key, const char *what, cJSON *diffs)
{
	int na, nb;
	cJSON *a = tally(cust, key, &na), *b = tally(lab, key, &nb);
	double d = distance(a, na, b, nb, what, diffs);
	cJSON_Delete(a);
	cJSON_Delete(b);
	return 1 - d;
}

/* Failed and all endpoints per group or worker (workers under their lab
 * names), as {name: [failed, all]}. */
static cJSON *failed_by(const cJSON *report, const char *field)
{
	cJSON *t = cJSON_CreateObject();
	const cJSON *ep;
	cJSON_ArrayForEach (ep, cJSON_GetObjectItemCaseSensitive(report, "endpoints")) {
		char name[64];
		const char *raw = str_of(ep, field);
		if (!strcmp(field, "worker"))
			repro_worker_name(report, raw, name, sizeof(name));
		else
			snprintf(name, sizeof(name), "%s", raw ? raw : "");
		cJSON *c = cJSON_GetObjectItemCaseSensitive(t, name);
		if (!c) {
			c = cJSON_AddArrayToObject(t, name);
			cJSON_AddItemToArray(c, cJSON_CreateNumber(0));
			cJSON_AddItemToArray(c, cJSON_CreateNumber(0));
		}
		cJSON *f = cJSON_GetArrayItem(c, 0), *all = cJSON_GetArrayItem(c, 1);
		cJSON_SetNumberValue(f, f->valuedouble + failed(ep));
		cJSON_SetNumberValue(all, all->valuedouble + 1);
	}
	return t;
}

static double failed_share(const cJSON *t, const char *name, int *present)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(t, name);
	*present = c != NULL;
	double all = c ? cJSON_GetArrayItem(c, 1)->valuedouble : 0;
	return all > 0 ? cJSON_GetArrayItem(c, 0)->valuedouble / all : 0;
}

/* 1 less the mean difference of the failed share over every group (or
 * worker) either run has; one that only one run has counts fully against. */
static double spread(const cJSON *cust, const cJSON *lab, const char *field, cJSON *diffs)
{
	cJSON *a = failed_by(cust, field), *b = failed_by(lab, field);
	const cJSON *it;
	double sum = 0;
	int n = 0;
	for (int side = 0; side < 2; side++)
		cJSON_ArrayForEach (it, (side ? b : a)) {
			int in_a, in_b;
			double pa = failed_share(a, it->string, &in_a),
			       pb = failed_share(b, it->string, &in_b);
			if (side && in_a)
				continue;
			double d = in_a && in_b ? fabs(pa - pb) : 1;
			sum += d;
			n++;
			if (!in_a || !in_b)
				say(diffs, "%s %s: only in the %s", field, it->string,
				    in_a ? "customer's run" : "lab");
			else if (d >= SHARE_NOTED)
				say(diffs,
				    "%s %s: %.0f%% failed in the customer's run, %.0f%% in the lab",
				    field, it->string, 100 * pa, 100 * pb);
		}
	cJSON_Delete(a);
	cJSON_Delete(b);
	return n ? 1 - sum / n : 1;
}

int repro_similarity(const cJSON *customer, const cJSON *lab, cJSON *diffs)
{
	const char *sa = str_of(cJSON_GetObjectItemCaseSensitive(customer, "run"), "status");
	const char *sb = str_of(cJSON_GetObjectItemCaseSensitive(lab, "run"), "status");
	double score = 0;
	if (sa && sb && !strcmp(sa, sb))
		score += W_STATUS;
	else
		say(diffs, "run status: %s in the customer's run, %s in the lab", sa ? sa : "?",
		    sb ? sb : "?");
	int na = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(customer, "endpoints"));
	int nb = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(lab, "endpoints"));
	if (na != nb) /* said, not scored: the shares are */
		say(diffs, "endpoints: %d in the customer's run, %d in the lab", na, nb);
	score += W_OUTCOME * part(customer, lab, key_outcome, "outcome", diffs);
	score += W_CODE * part(customer, lab, key_code, "final SIP code of the failed", diffs);
	score += W_PHASE * part(customer, lab, key_phase, "phase reached by the failed", diffs);
	score += W_GROUP * spread(customer, lab, "group", diffs);
	score += W_WORKER * spread(customer, lab, "worker", diffs);
	return (int)lround(score);
}
