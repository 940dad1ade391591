/* test_golden.c — the diagnosis of real reports, in-process and without a
 * lab: every report.json under tests/golden/ (one per diagnosis code of the
 * catalogue, recorded from `siplab run scenarios/`) is diagnosed, and its top
 * code must be the one tests/golden/index.json gives. Then the proof that
 * the rules read codes, not sentences: every sentence of every report
 * reworded changes nothing, and a code changed under an unchanged sentence
 * changes the diagnosis. Milliseconds. */
#define _GNU_SOURCE
#include "harness.h"

#include <cJSON.h>

#include "../diagnose/diagnose.h"
#include "../lib/codes.h"
#include "../lib/jsonv.h"

#define GOLDEN "tests/golden"

static cJSON *read_json(const char *dir, const char *file)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	cJSON *j = jv_read_tree(path);
	if (!j)
		fail_msg("%s: missing or not JSON", path);
	return j;
}

/* The top finding of a report: its code, and its score (0 for healthy). */
static const char *top_of(const cJSON *report, int *score, char *code, size_t cap)
{
	cJSON *d = diagnose(report);
	const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(d, "findings"), 0);
	const cJSON *s = cJSON_GetObjectItem(first, "score");
	*score = cJSON_IsNumber(s) ? s->valueint : 0;
	snprintf(code, cap, "%s", diagnose_top(d));
	cJSON_Delete(d);
	return code;
}

static const cJSON *reports(const cJSON *index)
{
	const cJSON *r = cJSON_GetObjectItem(index, "reports");
	assert_true(cJSON_GetArraySize(r) > 0);
	return r;
}

/* Each report is diagnosed as the index says (its score too, where given). */
static void test_golden_reports(void **state)
{
	(void)state;
	cJSON *index = read_json(GOLDEN, "index.json");
	const cJSON *it;
	cJSON_ArrayForEach (it, reports(index)) {
		const char *file = cJSON_GetObjectItem(it, "file")->valuestring;
		const char *want = cJSON_GetObjectItem(it, "top")->valuestring;
		const cJSON *score = cJSON_GetObjectItem(it, "score");
		cJSON *rep = read_json(GOLDEN, file);
		const cJSON *v = cJSON_GetObjectItem(rep, "schema_version");
		if (!cJSON_IsNumber(v) || v->valueint != REPORT_SCHEMA_VERSION)
			fail_msg("%s: schema_version is not %d: refresh it (mk/golden.sh)", file,
			         REPORT_SCHEMA_VERSION);
		char top[64];
		int got;
		top_of(rep, &got, top, sizeof(top));
		cJSON_Delete(rep);
		if (strcmp(top, want))
			fail_msg("%s: diagnosed %s, expected %s", file, top, want);
		if (cJSON_IsNumber(score) && got != score->valueint)
			fail_msg("%s: %s fits %d, expected %d", file, top, got, score->valueint);
	}
	cJSON_Delete(index);
}

static int indexed(const cJSON *index, const char *file)
{
	const cJSON *it;
	cJSON_ArrayForEach (it, reports(index))
		if (!strcmp(cJSON_GetObjectItem(it, "file")->valuestring, file))
			return 1;
	return 0;
}

static int top_in_index(const cJSON *index, const char *code)
{
	const cJSON *it;
	cJSON_ArrayForEach (it, reports(index)) {
		/* A hand-edited variant is not a real report of the code. */
		int variant =
		        !strncmp(cJSON_GetObjectItem(it, "file")->valuestring, "variants/", 9);
		if (!variant && !strcmp(cJSON_GetObjectItem(it, "top")->valuestring, code))
			return 1;
	}
	return 0;
}

/* No report lies in the folder without an expectation, and every code the
 * catalogue's scenarios expect (what a known gap names today, healthy for a
 * scenario that expects nothing) has a real report. */
static void test_golden_covers_catalogue(void **state)
{
	(void)state;
	cJSON *index = read_json(GOLDEN, "index.json");
	static const char *const dirs[] = {GOLDEN, GOLDEN "/variants"};
	for (int d = 0; d < 2; d++) {
		DIR *dir = opendir(dirs[d]);
		assert_non_null(dir);
		struct dirent *e;
		while ((e = readdir(dir))) {
			size_t n = strlen(e->d_name);
			if (n < 12 || strcmp(e->d_name + n - 5, ".json") ||
			    !strstr(e->d_name, ".report"))
				continue;
			char file[300];
			snprintf(file, sizeof(file), "%s%s", d ? "variants/" : "", e->d_name);
			if (!indexed(index, file))
				fail_msg("%s/%s is not in index.json", GOLDEN, file);
		}
		closedir(dir);
	}
	DIR *dir = opendir("scenarios");
	assert_non_null(dir);
	struct dirent *e;
	int scenarios = 0;
	while ((e = readdir(dir))) {
		size_t n = strlen(e->d_name);
		if (n < 6 || strcmp(e->d_name + n - 5, ".json"))
			continue;
		cJSON *s = read_json("scenarios", e->d_name);
		const cJSON *x = cJSON_GetObjectItem(s, "expect");
		const cJSON *today = cJSON_GetObjectItem(x, "diagnosis_today");
		const cJSON *want = cJSON_GetObjectItem(x, "diagnosis");
		const char *code = cJSON_IsString(today)  ? today->valuestring
		                   : cJSON_IsString(want) ? want->valuestring
		                   : x                    ? NULL
		                                          : "healthy";
		if (code && !top_in_index(index, code))
			fail_msg("scenarios/%s expects %s: no golden report is diagnosed so",
			         e->d_name, code);
		scenarios++;
		cJSON_Delete(s);
	}
	closedir(dir);
	assert_true(scenarios > 0);
	cJSON_Delete(index);
}

/* --- the rules read codes ---------------------------------------------------------- */

static void reword(cJSON *o, const char *key)
{
	cJSON *v = cJSON_GetObjectItem(o, key);
	if (cJSON_IsString(v))
		cJSON_SetValuestring(v, "(reworded)");
}

static void reword_each(cJSON *array, const char *key)
{
	cJSON *it;
	cJSON_ArrayForEach (it, array) {
		if (key)
			reword(it, key);
		else if (cJSON_IsString(it))
			cJSON_SetValuestring(it, "(reworded)");
	}
}

/* Every sentence the platform and the workers write: the run's reason and
 * timeline notes, each endpoint's reason and warnings, each worker event's
 * text. (The SIP messages of the traces are data, not sentences; the SIP
 * stack's own event lines are read by rules of their own.) */
static void reword_sentences(cJSON *rep)
{
	cJSON *run = cJSON_GetObjectItem(rep, "run"), *it;
	reword(run, "reason");
	reword_each(cJSON_GetObjectItem(run, "timeline"), "note");
	cJSON_ArrayForEach (it, cJSON_GetObjectItem(rep, "endpoints")) {
		reword(it, "reason");
		reword_each(cJSON_GetObjectItem(it, "warnings"), NULL);
	}
	cJSON_ArrayForEach (it, cJSON_GetObjectItem(rep, "workers"))
		reword_each(cJSON_GetObjectItem(it, "events"), "event");
}

/* Every golden report, every sentence reworded: the same top code, as sure. */
static void test_sentences_do_not_matter(void **state)
{
	(void)state;
	cJSON *index = read_json(GOLDEN, "index.json");
	const cJSON *it;
	cJSON_ArrayForEach (it, reports(index)) {
		const char *file = cJSON_GetObjectItem(it, "file")->valuestring;
		cJSON *rep = read_json(GOLDEN, file);
		char before[64], after[64];
		int s0, s1;
		top_of(rep, &s0, before, sizeof(before));
		reword_sentences(rep);
		top_of(rep, &s1, after, sizeof(after));
		cJSON_Delete(rep);
		if (strcmp(before, after) || s0 != s1)
			fail_msg("%s: %s (%d) with its sentences, %s (%d) with them reworded", file,
			         before, s0, after, s1);
	}
	cJSON_Delete(index);
}

/* Set key to value in every object of an array's member: endpoints[].failure.kind. */
static void recode_each(cJSON *array, const char *member, const char *key, const char *value)
{
	cJSON *it;
	cJSON_ArrayForEach (it, array) {
		cJSON *o = member ? cJSON_GetObjectItem(it, member) : it;
		if (cJSON_GetObjectItem(o, key))
			cJSON_ReplaceItemInObject(o, key, cJSON_CreateString(value));
	}
}

static void expect_recoded(const char *file, const char *member, const char *key, const char *value,
                           const char *want)
{
	cJSON *rep = read_json(GOLDEN, file);
	cJSON *eps = cJSON_GetObjectItem(rep, "endpoints");
	if (!strcmp(member, "events")) {
		cJSON *w;
		cJSON_ArrayForEach (w, cJSON_GetObjectItem(rep, "workers"))
			recode_each(cJSON_GetObjectItem(w, "events"), NULL, key, value);
	} else {
		recode_each(eps, member, key, value);
	}
	char top[64];
	int score;
	top_of(rep, &score, top, sizeof(top));
	cJSON_Delete(rep);
	if (strcmp(top, want))
		fail_msg("%s with %s.%s = %s: diagnosed %s, expected %s", file, member, key, value,
		         top, want);
}

/* The same sentences under another code: another diagnosis. (The files under
 * variants/ show the same for run.reason_code and the DNS failure.) */
static void test_codes_decide(void **state)
{
	(void)state;
	/* "credentials rejected" still in every reason; the kind says refused. */
	expect_recoded("reg_bad_credentials.report.json", "failure", "kind", "registration_refused",
	               "unexplained");
	/* "OFFLINE: connection closed" still in the event; its kind says it came back. */
	expect_recoded("worker_oom.report.json", "events", "kind", "reconnected", "unexplained");
	/* The endpoints closed by the platform for another reason than their worker. */
	expect_recoded("worker_oom.report.json", "failure", "kind", "no_result", "unexplained");
}

/* --- the tables of lib/codes.h ------------------------------------------------------- */

/* Every code has a token, no two alike, and each reads back as itself; an
 * unknown token, "" and NULL read as the family's NONE. */
static void family(const char *what, int count, const char *(*name)(int), int (*code)(const char *))
{
	assert_string_equal(name(0), "");
	for (int i = 1; i < count; i++) {
		const char *t = name(i);
		if (!t || !*t)
			fail_msg("%s %d has no token", what, i);
		for (const char *c = t; *c; c++)
			if (!((*c >= 'a' && *c <= 'z') || *c == '_'))
				fail_msg("%s token \"%s\": lower case and _ only", what, t);
		for (int k = 1; k < i; k++)
			if (!strcmp(name(k), t))
				fail_msg("%s token \"%s\" twice", what, t);
		assert_int_equal(code(t), i);
	}
	assert_string_equal(name(count), "");
	assert_int_equal(code("no such token"), 0);
	assert_int_equal(code(""), 0);
	assert_int_equal(code(NULL), 0);
}

static const char *rr_name(int c)
{
	return run_reason_name((enum run_reason)c);
}
static int rr_code(const char *s)
{
	return (int)run_reason_from_name(s);
}
static const char *ef_name(int c)
{
	return ep_failure_name((enum ep_failure)c);
}
static int ef_code(const char *s)
{
	return (int)ep_failure_from_name(s);
}
static const char *fs_name(int c)
{
	return fail_source_name((enum fail_source)c);
}
static int fs_code(const char *s)
{
	return (int)fail_source_from_name(s);
}
static const char *we_name(int c)
{
	return wk_event_name((enum wk_event)c);
}
static int we_code(const char *s)
{
	return (int)wk_event_from_name(s);
}
static const char *wc_name(int c)
{
	return wk_cause_name((enum wk_cause)c);
}
static int wc_code(const char *s)
{
	return (int)wk_cause_from_name(s);
}

static void test_code_tables(void **state)
{
	(void)state;
	family("run reason", RUN_REASON_COUNT, rr_name, rr_code);
	family("endpoint failure", EP_FAIL_COUNT, ef_name, ef_code);
	family("failure source", FAIL_SOURCE_COUNT, fs_name, fs_code);
	family("worker event", WK_EVENT_COUNT, we_name, we_code);
	family("worker event cause", WK_CAUSE_COUNT, wc_name, wc_code);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_code_tables),
	        cmocka_unit_test(test_golden_reports),
	        cmocka_unit_test(test_golden_covers_catalogue),
	        cmocka_unit_test(test_sentences_do_not_matter),
	        cmocka_unit_test(test_codes_decide),
	};
	return cmocka_run_group_tests_name("golden reports", tests, NULL, NULL);
}
