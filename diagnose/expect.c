/* expect.c — check a run against what its scenario expects (see expect.h). */
#define _GNU_SOURCE
#include "expect.h"

#include "diagnose.h"

#include <stdio.h>
#include <string.h>

static const char healthy[] = "{\"status\":\"COMPLETED\",\"all_success\":true,"
                              "\"diagnosis\":\"healthy\"}";

static int count(const cJSON *report, const char *outcome)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(
	        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(report, "totals"),
	                                         "outcomes"),
	        outcome);
	return cJSON_IsNumber(o) ? o->valueint : 0;
}

static int total(const cJSON *report)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(
	        cJSON_GetObjectItemCaseSensitive(report, "totals"), "endpoints");
	return cJSON_IsNumber(n) ? n->valueint : 0;
}

static int check_outcome(const cJSON *rule, const char *name, const cJSON *report, char *why,
                         size_t cap)
{
	int n = count(report, name), all = total(report);
	const cJSON *min = cJSON_GetObjectItemCaseSensitive(rule, "min");
	const cJSON *max = cJSON_GetObjectItemCaseSensitive(rule, "max");
	const cJSON *share = cJSON_GetObjectItemCaseSensitive(rule, "min_share");
	if (cJSON_IsNumber(min) && n < min->valuedouble)
		return snprintf(why, cap, "%s: %d, expected at least %g", name, n,
		                min->valuedouble),
		       0;
	if (cJSON_IsNumber(max) && n > max->valuedouble)
		return snprintf(why, cap, "%s: %d, expected at most %g", name, n, max->valuedouble),
		       0;
	if (cJSON_IsNumber(share) && (!all || (double)n / all < share->valuedouble))
		return snprintf(why, cap, "%s: %d of %d, expected a share of at least %g", name, n,
		                all, share->valuedouble),
		       0;
	return 1;
}

/* The code of the diagnosis's i-th finding (the first is "healthy" or
 * "unexplained" when it has none), or "" past the last. */
static const char *ranked(const cJSON *dx, int i)
{
	const cJSON *f = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(dx, "findings"), i);
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(f, "code");
	if (cJSON_IsString(code))
		return code->valuestring;
	return i ? "" : diagnose_top(dx);
}

/* Whether the diagnosis names what "diagnosis" expects: a code (the first
 * finding), a list of codes (the first findings, in any order), or
 * {"ranked": [...]} (the first findings, in that order). The expected codes,
 * as words, go to want. */
static int names_expected(const cJSON *x, const cJSON *dx, char *want, size_t cap)
{
	const cJSON *list = cJSON_IsObject(x) ? cJSON_GetObjectItemCaseSensitive(x, "ranked") : x;
	int in_order = cJSON_IsObject(x), n = cJSON_GetArraySize(list), ok = 1;
	size_t w = 0;
	if (cJSON_IsString(x)) {
		snprintf(want, cap, "%s", x->valuestring);
		return !strcmp(ranked(dx, 0), x->valuestring);
	}
	for (int i = 0; i < n; i++) {
		const char *code = cJSON_GetArrayItem(list, i)->valuestring;
		int seen = 0;
		for (int k = 0; k < n && !seen; k++)
			seen = (!in_order || k == i) && !strcmp(ranked(dx, k), code);
		ok &= seen;
		w += (size_t)snprintf(want + w, w < cap ? cap - w : 0, "%s%s",
		                      i ? in_order ? " > " : " + " : "", code);
	}
	if (!in_order && n > 1)
		snprintf(want + w, w < cap ? cap - w : 0, " (any order)");
	return ok;
}

/* The diagnosis's first findings as words: "a > b". */
static const char *got_codes(const cJSON *dx, int n, char *buf, size_t cap)
{
	size_t w = 0;
	buf[0] = '\0';
	for (int i = 0; i < (n > 0 ? n : 1) && *ranked(dx, i); i++)
		w += (size_t)snprintf(buf + w, w < cap ? cap - w : 0, "%s%s", i ? " > " : "",
		                      ranked(dx, i));
	return buf;
}

int expectation_check(const char *expect_json, const cJSON *report, const cJSON *dxr, char *why,
                      size_t cap, char *what, size_t wcap)
{
	char scratch[256], wscratch[256];
	why = why ? why : scratch;
	cap = why == scratch ? sizeof(scratch) : cap;
	what = what ? what : wscratch;
	wcap = what == wscratch ? sizeof(wscratch) : wcap;
	why[0] = what[0] = '\0';
	cJSON *x = cJSON_Parse(expect_json && *expect_json ? expect_json : healthy);
	if (!x)
		return snprintf(why, cap, "the expectation is not JSON"), 0;
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(x, "status");
	const cJSON *dx = cJSON_GetObjectItemCaseSensitive(x, "diagnosis");
	const cJSON *gap = cJSON_GetObjectItemCaseSensitive(x, "known_gap");
	const cJSON *today = cJSON_GetObjectItemCaseSensitive(x, "diagnosis_today");
	const cJSON *all = cJSON_GetObjectItemCaseSensitive(x, "all_success");
	const cJSON *outs = cJSON_GetObjectItemCaseSensitive(x, "outcomes"), *o;
	const cJSON *status = cJSON_GetObjectItemCaseSensitive(
	        cJSON_GetObjectItemCaseSensitive(report, "run"), "status");
	const char *got = cJSON_IsString(status) ? status->valuestring : "?";
	int ok = 1, gapped = 0;
	size_t w = 0;
	if (cJSON_IsString(st)) {
		w += (size_t)snprintf(what + w, wcap - w, "%s", st->valuestring);
		if (strcmp(got, st->valuestring) && ok)
			ok = 0, snprintf(why, cap, "status %s, expected %s", got, st->valuestring);
	}
	if (dx) {
		char want[192], gotbuf[192];
		int right = names_expected(dx, dxr, want, sizeof(want));
		const cJSON *list = cJSON_IsObject(dx) ? cJSON_GetObjectItem(dx, "ranked") : dx;
		const char *diagnosis =
		        got_codes(dxr, cJSON_IsString(dx) ? 1 : cJSON_GetArraySize(list), gotbuf,
		                  sizeof(gotbuf));
		w += (size_t)snprintf(what + w, w < wcap ? wcap - w : 0, "%sdiagnosis %s",
		                      w ? ", " : "", want);
		if (cJSON_IsString(gap) && ok) {
			/* A known gap must stay a gap: the day the diagnosis gets it
			 * right, the expectation says so and known_gap goes. */
			if (right)
				ok = 0, snprintf(why, cap,
				                 "diagnosis %s as expected, but known_gap says it "
				                 "cannot be yet: remove known_gap",
				                 diagnosis);
			else if (cJSON_IsString(today) &&
			         strcmp(ranked(dxr, 0), today->valuestring))
				ok = 0,
				snprintf(why, cap,
				         "diagnosis %s: neither %s nor, while the gap lasts, "
				         "%s",
				         diagnosis, want, today->valuestring);
			else
				gapped = 1,
				snprintf(why, cap, "diagnosis %s, not %s: known gap: %s", diagnosis,
				         want, gap->valuestring);
		} else if (!right && ok) {
			ok = 0, snprintf(why, cap, "diagnosis %s, expected %s", diagnosis, want);
		}
	}
	if (cJSON_IsTrue(all)) {
		w += (size_t)snprintf(what + w, w < wcap ? wcap - w : 0, "%severy endpoint SUCCESS",
		                      w ? ", " : "");
		int n = count(report, "SUCCESS");
		if (n != total(report) && ok)
			ok = 0, snprintf(why, cap, "%d of %d endpoints SUCCESS, expected all", n,
			                 total(report));
	}
	cJSON_ArrayForEach (o, outs) {
		w += (size_t)snprintf(what + w, w < wcap ? wcap - w : 0, "%s%s", w ? ", " : "",
		                      o->string);
		if (ok)
			ok = check_outcome(o, o->string, report, why, cap);
	}
	cJSON_Delete(x);
	return ok && gapped ? EXPECT_KNOWN_GAP : ok;
}
