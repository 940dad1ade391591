/* expect.c — check a run against what its scenario expects (see expect.h). */
#define _GNU_SOURCE
#include "expect.h"

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

int expectation_check(const char *expect_json, const cJSON *report, const char *diagnosis,
                      char *why, size_t cap, char *what, size_t wcap)
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
	if (cJSON_IsString(dx)) {
		w += (size_t)snprintf(what + w, w < wcap ? wcap - w : 0, "%sdiagnosis %s",
		                      w ? ", " : "", dx->valuestring);
		int right = !strcmp(diagnosis, dx->valuestring);
		if (cJSON_IsString(gap) && ok) {
			/* A known gap must stay a gap: the day the diagnosis gets it
			 * right, the expectation says so and known_gap goes. */
			if (right)
				ok = 0, snprintf(why, cap,
				                 "diagnosis %s as expected, but known_gap says it "
				                 "cannot be yet: remove known_gap",
				                 diagnosis);
			else if (cJSON_IsString(today) && strcmp(diagnosis, today->valuestring))
				ok = 0,
				snprintf(why, cap,
				         "diagnosis %s: neither %s nor, while the gap lasts, "
				         "%s",
				         diagnosis, dx->valuestring, today->valuestring);
			else
				gapped = 1,
				snprintf(why, cap, "diagnosis %s, not %s: known gap: %s", diagnosis,
				         dx->valuestring, gap->valuestring);
		} else if (!right && ok) {
			ok = 0,
			snprintf(why, cap, "diagnosis %s, expected %s", diagnosis, dx->valuestring);
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
