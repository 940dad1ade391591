/* test_results.c — results as data: the results.json a scenario's flow
 * writes (its schema, from one short real flow), the table and JUnit XML
 * rendered from a hand-made results.json (the JUnit checked against
 * tests/junit.xsd by xmllint), the shard split (stable, complete, on a
 * synthetic list of names), bad --shard and --timeout, and a flow stopped by
 * --timeout. */
#define _GNU_SOURCE
#include "labrun.h"

#include <cJSON.h>
#include <sys/stat.h>

#include "../lib/jsonv.h"
#include "../lib/limits.h"
#include "../lib/siplab.h"
#include "../sim/cli/results.h"

static char workdir[PATH_MAX];

static const char *sget(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* xmllint --schema tests/junit.xsd FILE: 0 when valid. */
static int junit_valid(const char *file)
{
	char cmd[2 * PATH_MAX];
	snprintf(cmd, sizeof(cmd), "xmllint --noout --schema tests/junit.xsd '%s' 2>&1", file);
	return system(cmd);
}

static int count_of(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* Every field docs/results.md promises a scenario's results, with its type. */
static int scenario_schema(const cJSON *sc, const char *what)
{
	static const struct {
		const char *key;
		int type;
	} fields[] = {
	        {"siplab_results", cJSON_Number}, {"kind", cJSON_String},
	        {"scenario", cJSON_String},       {"file", cJSON_String},
	        {"started", cJSON_String},        {"duration_s", cJSON_Number},
	        {"status", cJSON_String},         {"fault", cJSON_String},
	        {"symptoms", cJSON_String},       {"diagnosis", cJSON_Object},
	        {"remedy", cJSON_String},         {"reports", cJSON_Object},
	        {"steps", cJSON_Array},
	};
	for (size_t i = 0; i < sizeof(fields) / sizeof(*fields); i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(sc, fields[i].key);
		CHECK(v && (v->type & 0xff) == fields[i].type, "%s: \"%s\" missing or mistyped",
		      what, fields[i].key);
	}
	static const char *const flags[] = {"lab_error", "timed_out", NULL};
	for (int i = 0; flags[i]; i++)
		CHECK(cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(sc, flags[i])), "%s: %s", what,
		      flags[i]);
	CHECK(cJSON_HasObjectItem(sc, "shard") && cJSON_HasObjectItem(sc, "expected") &&
	              cJSON_HasObjectItem(sc, "timeout_s"),
	      "%s: shard, expected, timeout_s", what);
	const cJSON *step;
	cJSON_ArrayForEach (step, cJSON_GetObjectItemCaseSensitive(sc, "steps")) {
		const char *st = sget(step, "status");
		CHECK(sget(step, "step") && st, "%s: a step without name or status", what);
		CHECK(!strcmp(st, "pass") || !strcmp(st, "fail") || !strcmp(st, "skipped") ||
		              !strcmp(st, "error"),
		      "%s: step status %s", what, st);
		CHECK(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(step, "duration_s")),
		      "%s: step duration", what);
		int skipped = !strcmp(st, "skipped");
		CHECK(skipped == !sget(step, "line") && skipped == !sget(step, "started"),
		      "%s: step %s: a line and a start time exactly when it ran", what,
		      sget(step, "step"));
	}
	return 0;
}

/* One real flow with a remedy (the shortest of the catalogue): its
 * results.json holds the seven steps in order, each line as it was printed,
 * and the JUnit file of a single scenario is valid and passes. */
static int body_flow_results(void)
{
	static char out[65536];
	char report[PATH_MAX], results[PATH_MAX], junit[PATH_MAX], html[PATH_MAX], html2[PATH_MAX];
	snprintf(html, sizeof(html), "%s/forbidden.html", workdir);
	snprintf(html2, sizeof(html2), "%s/forbidden.remedy.html", workdir);
	snprintf(report, sizeof(report), "%s/forbidden.json", workdir);
	snprintf(results, sizeof(results), "%s/forbidden.results.json", workdir);
	snprintf(junit, sizeof(junit), "%s/forbidden.xml", workdir);
	char *args[] = {"siplab",   "run",  "scenarios/reg_forbidden.json",
	                "--report", report, "--quiet",
	                "--junit",  junit,  "--html",
	                html,       NULL};
	int rc = siplab_capture(args, out, sizeof(out));
	CHECK(rc == 0, "exit %d:\n%s", rc, out);
	cJSON *res = jv_read_tree(results);
	CHECK(res, "%s missing", results);
	int bad = scenario_schema(res, results);
	static const char *const order[] = {
	        "run",        "diagnosis",        "expectation",       "remedy",
	        "remedy_run", "remedy_diagnosis", "remedy_expectation"};
	int i = 0, lines_printed = 1;
	const cJSON *step;
	cJSON_ArrayForEach (step, cJSON_GetObjectItemCaseSensitive(res, "steps")) {
		bad |= i >= 7 || strcmp(sget(step, "step"), order[i]) ||
		       strcmp(sget(step, "status"), "pass");
		lines_printed &= sget(step, "line") && strstr(out, sget(step, "line"));
		i++;
	}
	const cJSON *dx = cJSON_GetObjectItemCaseSensitive(res, "diagnosis");
	int facts = !strcmp(sget(res, "status"), "pass") &&
	            !strcmp(sget(res, "scenario"), "reg_forbidden") && sget(dx, "code") &&
	            !strcmp(sget(dx, "code"), "reg.forbidden") &&
	            !strcmp(sget(res, "remedy"), "verified") &&
	            sget(cJSON_GetObjectItemCaseSensitive(res, "reports"), "remedy");
	cJSON_Delete(res);
	CHECK(!bad && i == 7, "%d steps, not the seven in order, all passed", i);
	CHECK(lines_printed, "a step's line is not what was printed:\n%s", out);
	CHECK(facts, "status, scenario, diagnosis, remedy or reports wrong in %s", results);
	CHECK(junit_valid(junit) == 0, "%s does not validate", junit);
	char *xml = NULL;
	err_t e;
	CHECK(!jv_read_file(junit, &xml, &e), "%s", e.msg);
	int one = count_of(xml, "<testcase ") == 1 && !strstr(xml, "<failure") &&
	          strstr(xml, "name=\"reg_forbidden\"") && strstr(xml, "7 expectation  held");
	free(xml);
	CHECK(one, "the JUnit file is not one passing testcase with its steps");
	/* --html: the first run's page with its diagnosis and ladders, and the
	 * remedy run's page, healthy. */
	char *page = NULL, *page2 = NULL;
	CHECK(!jv_read_file(html, &page, &e), "%s", e.msg);
	CHECK(!jv_read_file(html2, &page2, &e), "%s", e.msg);
	int pages = strstr(page, "reg.forbidden") && strstr(page, "<svg") &&
	            strstr(page, "7 expectation") && strstr(page2, "healthy") &&
	            !strstr(page2, "reg.forbidden");
	free(page);
	free(page2);
	CHECK(pages, "the HTML pages lack the diagnosis, ladders or steps");
	return 0;
}

/* --timeout stops the flow: its run hangs up and writes its report, the
 * results say timed out, the JUnit failure says after how long, exit 1. */
static int body_timeout(void)
{
	static char out[65536];
	char report[PATH_MAX], results[PATH_MAX], junit[PATH_MAX];
	snprintf(report, sizeof(report), "%s/slow.json", workdir);
	snprintf(results, sizeof(results), "%s/slow.results.json", workdir);
	snprintf(junit, sizeof(junit), "%s/slow.xml", workdir);
	char *args[] = {"siplab",   "run",  "scenarios/healthy.json",
	                "--report", report, "--quiet",
	                "--junit",  junit,  "--timeout",
	                "0.5",      NULL};
	int rc = siplab_capture(args, out, sizeof(out));
	CHECK(rc == EXIT_FAIL, "exit %d:\n%s", rc, out);
	cJSON *res = jv_read_tree(results), *rep = jv_read_tree(report);
	CHECK(res, "%s missing", results);
	int bad = scenario_schema(res, results);
	const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(res, "steps"), 0);
	int timed = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "timed_out")) &&
	            !strcmp(sget(res, "status"), "fail") && !strcmp(sget(first, "status"), "fail");
	int reported = rep != NULL;
	cJSON_Delete(res);
	cJSON_Delete(rep);
	CHECK(!bad && timed, "not reported as timed out:\n%s", out);
	CHECK(reported, "the stopped run wrote no report:\n%s", out);
	CHECK(strstr(out, "timed out after 0.5 s"), "%s", out);
	CHECK(junit_valid(junit) == 0, "%s does not validate", junit);
	char *xml = NULL;
	err_t e;
	CHECK(!jv_read_file(junit, &xml, &e), "%s", e.msg);
	int says = strstr(xml, "<failure message=\"timed out after 0.5 s") != NULL;
	free(xml);
	CHECK(says, "no timeout failure in %s", junit);
	return 0;
}

/* A directory's results, by hand: one pass, one failed expectation, one
 * lab error, one timed out, with text XML must escape. */
static const char handmade[] =
        "{\"siplab_results\":1,\"kind\":\"catalogue\",\"directory\":\"scenarios/\","
        "\"shard\":\"2/3\",\"jobs\":2,\"started\":\"2026-01-02T03:04:05Z\",\"wall_s\":42.5,"
        "\"scenarios\":["
        "{\"siplab_results\":1,\"kind\":\"scenario\",\"scenario\":\"ok_one\",\"file\":"
        "\"scenarios/ok_one.json\",\"status\":\"pass\",\"duration_s\":10,\"fault\":\"-\","
        "\"symptoms\":\"COMPLETED: SUCCESS 5\",\"diagnosis\":{\"code\":\"healthy\"},"
        "\"remedy\":\"-\",\"steps\":[{\"step\":\"run\",\"status\":\"pass\",\"line\":"
        "\"1 run          COMPLETED: SUCCESS 5\"}]},"
        "{\"siplab_results\":1,\"kind\":\"scenario\",\"scenario\":\"bad_one\",\"file\":"
        "\"scenarios/bad_one.json\",\"status\":\"fail\",\"duration_s\":20,\"fault\":"
        "\"reg.x\",\"symptoms\":\"COMPLETED: REGISTRATION_FAILED 3\",\"diagnosis\":"
        "{\"code\":\"reg.y\",\"line\":\"scope: <all> & \\\"every\\\" endpoint\"},"
        "\"remedy\":\"not tried\",\"steps\":[{\"step\":\"run\",\"status\":\"pass\","
        "\"line\":\"1 run          COMPLETED\"},{\"step\":\"expectation\",\"status\":"
        "\"fail\",\"line\":\"3 expectation  DID NOT HOLD (diagnosis reg.x): got reg.y\"}]},"
        "{\"siplab_results\":1,\"kind\":\"scenario\",\"scenario\":\"lab_one\",\"file\":"
        "\"scenarios/lab_one.json\",\"status\":\"error\",\"lab_error\":true,\"duration_s\":1,"
        "\"fault\":\"-\",\"symptoms\":\"LAB ERROR\",\"diagnosis\":{},\"remedy\":\"-\","
        "\"steps\":[{\"step\":\"run\",\"status\":\"error\",\"line\":\"1 run          LAB "
        "ERROR\"}]},"
        "{\"siplab_results\":1,\"kind\":\"scenario\",\"scenario\":\"slow_one\",\"file\":"
        "\"scenarios/slow_one.json\",\"status\":\"fail\",\"timed_out\":true,\"timeout_s\":"
        "30,\"duration_s\":31,\"fault\":\"-\",\"symptoms\":\"TIMED OUT\",\"diagnosis\":{},"
        "\"remedy\":\"-\",\"steps\":[{\"step\":\"run\",\"status\":\"fail\",\"line\":"
        "\"1 run          TIMED OUT\"}]}]}";

static int body_render(void)
{
	static char out[65536];
	char path[PATH_MAX], xml_path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/handmade.results.json", workdir);
	snprintf(xml_path, sizeof(xml_path), "%s/handmade.xml", workdir);
	CHECK(!sys_write_file(path, handmade, strlen(handmade), 1, NULL), "write %s", path);
	/* The table. */
	char *table[] = {"siplab", "report", path, NULL};
	int rc = siplab_capture(table, out, sizeof(out));
	CHECK(rc == 0, "siplab report: exit %d:\n%s", rc, out);
	CHECK(strstr(out, "1 of 4 scenarios passed (shard 2/3); catalogue wall time 42.5 s"), "%s",
	      out);
	static const char *const rows[][2] = {{"ok_one", "PASS"},
	                                      {"bad_one", "FAIL"},
	                                      {"lab_one", "ERROR"},
	                                      {"slow_one", "FAIL"}};
	for (int i = 0; i < 4; i++) {
		const char *row = strstr(out, rows[i][0]);
		const char *eol = row ? strchr(row, '\n') : NULL;
		size_t n = strlen(rows[i][1]);
		CHECK(eol && eol - row > (long)n && !strncmp(eol - n, rows[i][1], n),
		      "no %s row for %s:\n%s", rows[i][1], rows[i][0], out);
	}
	CHECK(strstr(out, "reg.y") && strstr(out, "not tried"), "%s", out);
	/* --quiet's table: the failures and their steps only. */
	cJSON *doc = cJSON_Parse(handmade);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	results_table(doc, 1, f);
	fclose(f);
	cJSON_Delete(doc);
	int quiet_ok = buf && !strstr(buf, "ok_one") && strstr(buf, "bad_one") &&
	               strstr(buf, "    3 expectation  DID NOT HOLD") &&
	               strstr(buf, "1 of 4 scenarios passed");
	CHECK(quiet_ok, "the quiet table:\n%s", buf ? buf : "");
	free(buf);
	/* JUnit, through -o. */
	char *junit[] = {"siplab", "report", path, "--format", "junit", "-o", xml_path, NULL};
	rc = siplab_capture(junit, out, sizeof(out));
	CHECK(rc == 0, "siplab report --format junit: exit %d:\n%s", rc, out);
	CHECK(junit_valid(xml_path) == 0, "%s does not validate", xml_path);
	char *xml = NULL;
	err_t e;
	CHECK(!jv_read_file(xml_path, &xml, &e), "%s", e.msg);
	int counts = strstr(xml, "tests=\"4\" failures=\"2\" errors=\"1\" skipped=\"0\" "
	                         "time=\"42.500\"") != NULL;
	int cases = count_of(xml, "<testcase ") == 4 &&
	            count_of(xml, "classname=\"siplab.scenarios\"") == 4 &&
	            strstr(xml, "name=\"siplab.scenarios shard 2/3\"") &&
	            strstr(xml, "<property name=\"shard\" value=\"2/3\"/>");
	int failure = strstr(xml, "<failure message=\"expectation: 3 expectation  DID NOT HOLD "
	                          "(diagnosis reg.x): got reg.y; diagnosis: reg.y — scope: "
	                          "&lt;all&gt; &amp; &quot;every&quot; endpoint\"") != NULL;
	int error = strstr(xml, "<error message=\"run: 1 run          LAB ERROR\" "
	                        "type=\"lab_error\"/>") != NULL;
	int timeout =
	        strstr(xml, "<failure message=\"timed out after 30 s\" type=\"timeout\"/>") != NULL;
	int out_lines = strstr(xml, "<system-out>1 run          COMPLETED\n3 expectation") != NULL;
	free(xml);
	CHECK(counts && cases, "counts or testcases wrong in %s", xml_path);
	CHECK(failure, "the failure message is not the step and the diagnosis, escaped");
	CHECK(error && timeout, "the lab error or the timeout is not rendered as such");
	CHECK(out_lines, "system-out is not the step lines");
	/* A report.json is not results; a file that is neither is refused. */
	char *wrong[] = {"siplab", "report", "scenarios/healthy.json", NULL};
	rc = siplab_capture(wrong, out, sizeof(out));
	CHECK(rc == EXIT_USAGE && strstr(out, "not siplab results"), "exit %d:\n%s", rc, out);
	char *fmt[] = {"siplab", "report", path, "--format", "pdf", NULL};
	rc = siplab_capture(fmt, out, sizeof(out));
	CHECK(rc == EXIT_USAGE && strstr(out, "--format"), "exit %d:\n%s", rc, out);
	return 0;
}

/* The split: every name in exactly one shard of 1..N; a name's shard does
 * not change when others are added; no shard is starved. */
static void test_shard_split(void **state)
{
	(void)state;
	enum { NAMES = 300, MORE = 50 };
	static int before[NAMES];
	for (int n = 1; n <= 7; n++) {
		int per[8] = {0};
		for (int i = 0; i < NAMES; i++) {
			char name[64];
			snprintf(name, sizeof(name), "dir/scenario_%03d.json", i);
			before[i] = shard_of(name, n);
			assert_true(before[i] >= 1 && before[i] <= n);
			per[before[i]]++;
			/* The folder does not matter, only the file's name. */
			snprintf(name, sizeof(name), "elsewhere/scenario_%03d.json", i);
			assert_int_equal(shard_of(name, n), before[i]);
		}
		for (int k = 1; k <= n; k++)
			assert_true(per[k] > NAMES / n / 2);
		/* More scenarios: the old ones stay where they were. */
		for (int i = 0; i < MORE; i++) {
			char name[64];
			snprintf(name, sizeof(name), "dir/added_%03d.json", i);
			int s = shard_of(name, n);
			assert_true(s >= 1 && s <= n);
		}
		for (int i = 0; i < NAMES; i++) {
			char name[64];
			snprintf(name, sizeof(name), "dir/scenario_%03d.json", i);
			assert_int_equal(shard_of(name, n), before[i]);
		}
	}
	/* A fixed value (FNV-1a of "healthy.json" is 0x4301b1f6, 566 mod 1000,
	 * shard 567): the split is the same on every machine, build and release, so
	 * CI jobs of different versions agree on it. */
	assert_int_equal(shard_of("scenarios/healthy.json", 1000), 567);
	int k, n;
	err_t e;
	assert_int_equal(shard_parse("2/4", &k, &n, &e), 0);
	assert_int_equal(k, 2);
	assert_int_equal(n, 4);
	static const char *const bad[] = {"0/2",   "3/2",  "1/0",    "x", "1/", "/2",
	                                  "1/2/3", "-1/2", "1/1001", "2", ""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		assert_int_not_equal(shard_parse(bad[i], &k, &n, &e), 0);
		assert_non_null(strstr(e.msg, "--shard"));
	}
}

/* Bad --shard and --timeout are usage errors (2) naming the option, before
 * anything starts; --shard needs a directory. */
static int body_bad_options(void)
{
	static char out[8192];
	static const char *const cases[][3] = {
	        {"scenarios", "--shard", "0/2"},    {"scenarios", "--shard", "3/2"},
	        {"scenarios", "--shard", "a/b"},    {"scenarios", "--timeout", "0"},
	        {"scenarios", "--timeout", "soon"}, {"scenarios/healthy.json", "--shard", "1/2"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *args[] = {"siplab",
		                "run",
		                (char *)cases[i][0],
		                (char *)cases[i][1],
		                (char *)cases[i][2],
		                NULL};
		int rc = siplab_capture(args, out, sizeof(out));
		CHECK(rc == EXIT_USAGE && strstr(out, cases[i][1]), "%s %s %s: exit %d:\n%s",
		      cases[i][0], cases[i][1], cases[i][2], rc, out);
	}
	return 0;
}

CHILD_TEST(flow_results)
CHILD_TEST(timeout)
CHILD_TEST(render)
CHILD_TEST(bad_options)

int main(void)
{
	snprintf(workdir, sizeof(workdir), "/tmp/siplab-test-results.%d", (int)getpid());
	mkdir(workdir, 0755);
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_shard_split),  cmocka_unit_test(test_bad_options),
	        cmocka_unit_test(test_render),       cmocka_unit_test(test_timeout),
	        cmocka_unit_test(test_flow_results),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	sys_rm_tree(workdir);
	return rc;
}
