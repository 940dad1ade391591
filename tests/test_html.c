/* test_html.c — the HTML report of a run (html/html.h), in-process on the
 * golden reports (tests/golden/), then read by Debian's headless Chromium:
 * the page of a failed run and of a healthy one load with no console
 * message, show their diagnosis code, and the ladder of a chosen endpoint
 * holds its trace's messages in order. Chromium is launched twice (about a
 * second each); the pages, their DOMs and a screenshot are kept in the
 * test's log directory, printed at the start. Under the sanitizer suite
 * (SIPLAB_ASAN) the Chromium checks are skipped: they exercise Chromium's
 * memory, not ours, and html_write still runs in the other tests. */
#define _GNU_SOURCE
#include "harness.h"

#include <cJSON.h>
#include <sys/stat.h>

#include "../diagnose/diagnose.h"
#include "../html/html.h"
#include "../lib/jsonv.h"
#include "../lib/limits.h"

#define GOLDEN  "tests/golden"
#define FAILED  GOLDEN "/worker_restart.report.json"
#define HEALTHY GOLDEN "/reg_dns_failure.report.remedy.json"
#define LARGE   GOLDEN "/worker_oom_fixed_limit.report.json"

static char logdir[256];

static char *slurp(const char *path)
{
	char *s = NULL;
	err_t e;
	if (jv_read_file(path, &s, &e))
		fail_msg("%s: %s", path, e.msg);
	return s;
}

static int count_of(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void page_of(const char *report, const char *results, const char *name, char *out,
                    size_t cap)
{
	err_t e = {{0}};
	snprintf(out, cap, "%s/%s", logdir, name);
	if (html_write(report, results, out, &e))
		fail_msg("html_write %s: %s", report, e.msg);
}

/* Undo the five escapes of an attribute, as a DOM serializer writes them. */
static void unescape(char *s)
{
	static const char *const from[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"};
	static const char to[] = {'&', '<', '>', '"', '\''};
	char *w = s;
	while (*s) {
		int k, hit = 0;
		for (k = 0; k < 5 && !hit; k++)
			if (!strncmp(s, from[k], strlen(from[k]))) {
				*w++ = to[k];
				s += strlen(from[k]);
				hit = 1;
			}
		if (!hit)
			*w++ = *s++;
	}
	*w = '\0';
}

/* The ladder of endpoint idx in a page (or a DOM) has exactly its trace's
 * first lines, in order, one arrow each. */
static void ladder_matches(const char *dom, const char *report_path, int idx)
{
	cJSON *rep = jv_read_tree(report_path);
	const cJSON *trace = cJSON_GetObjectItem(
	        cJSON_GetArrayItem(cJSON_GetObjectItem(rep, "endpoints"), idx), "trace");
	char id[64];
	snprintf(id, sizeof(id), "id=\"ladder-%d\"", idx);
	const char *svg = strstr(dom, id), *end = svg ? strstr(svg, "</svg>") : NULL;
	if (!svg || !end)
		fail_msg("no ladder for endpoint %d", idx);
	int k = 0;
	for (const char *p = svg; (p = strstr(p, "data-line=\"")) && p < end; k++) {
		p += strlen("data-line=\"");
		const char *q = strchr(p, '"');
		char line[512];
		snprintf(line, sizeof(line), "%.*s", (int)(q - p), p);
		unescape(line);
		const char *want = cJSON_GetObjectItem(cJSON_GetArrayItem(trace, k), "first_line")
		                           ->valuestring;
		if (strcmp(line, want))
			fail_msg("endpoint %d, arrow %d: \"%s\", its trace has \"%s\"", idx, k,
			         line, want);
		p = q;
	}
	if (k != cJSON_GetArraySize(trace) || k == 0)
		fail_msg("endpoint %d: %d arrows for %d messages", idx, k,
		         cJSON_GetArraySize(trace));
	cJSON_Delete(rep);
}

static const char *top_code(const char *report_path, char *code, size_t cap)
{
	cJSON *rep = jv_read_tree(report_path);
	cJSON *d = diagnose(rep);
	snprintf(code, cap, "%s", diagnose_top(d));
	cJSON_Delete(d);
	cJSON_Delete(rep);
	return code;
}

/* --- in-process ------------------------------------------------------------------------ */

/* A report whose every value a page shows is hostile markup: none of it
 * reaches the page unescaped, and the page names nothing outside itself. */
static void test_escaped_and_self_contained(void **state)
{
	(void)state;
	static const char evil[] = "<script>alert(\\\"x\\\")</script>'&";
	char rpath[512], out[512], text[8192];
	snprintf(rpath, sizeof(rpath), "%s/evil.report.json", logdir);
	snprintf(text, sizeof(text),
	         "{\"siplab\":\"%s\",\"run\":{\"id\":\"%s\",\"status\":\"%s\",\"reason\":\"%s\","
	         "\"timeline\":[{\"status\":\"RUNNING\",\"t_ms\":5,\"note\":\"%s\"}]},"
	         "\"workers\":[{\"name\":\"%s\",\"events\":[{\"t_ms\":5,\"event\":\"%s\","
	         "\"kind\":\"dispatched\"}]}],"
	         "\"endpoints\":[{\"id\":0,\"user\":\"%s\",\"group\":\"%s\",\"worker\":\"%s\","
	         "\"outcome\":\"%s\",\"reason\":\"%s\",\"warnings\":[\"%s\"],"
	         "\"times_ms\":{\"register\":1},\"media\":{\"codec\":\"%s\",\"local\":\"%s\"},"
	         "\"trace\":[{\"t_ms\":1,\"dir\":\"send\",\"peer\":\"%s\",\"first_line\":\"%s\","
	         "\"text\":\"%s\"}]}],"
	         "\"totals\":{\"outcomes\":{\"%s\":1},\"by_group\":{\"%s\":{\"%s\":1}},"
	         "\"by_worker\":{\"%s\":{\"%s\":1}}}}",
	         evil, evil, evil, evil, evil, evil, evil, evil, evil, evil, evil, evil, evil, evil,
	         evil, evil, evil, evil, evil, evil, evil, evil, evil);
	write_file(rpath, text);
	page_of(rpath, NULL, "evil.html", out, sizeof(out));
	char *page = slurp(out);
	assert_int_equal(count_of(page, "<script>"), 1); /* the page's own */
	assert_int_equal(count_of(page, "alert(\""), 0);
	assert_true(count_of(page, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39;&amp;") >=
	            20);
	assert_int_equal(
	        count_of(page, "http:") + count_of(page, "https:") + count_of(page, " src="), 0);
	free(page);
}

/* A report of 240 endpoints lists 200 and says so; a results.json's steps
 * are shown, its unknown fields ignored; errors name the file. */
static void test_bounds_steps_errors(void **state)
{
	(void)state;
	char out[512], results[512];
	snprintf(results, sizeof(results), "%s/results.json", logdir);
	write_file(results, "{\"future\":1,\"steps\":[{\"name\":\"run\",\"status\":\"passed\","
	                    "\"line\":\"ran <fast>\",\"duration_s\":2.5,\"extra\":[1]},"
	                    "{\"name\":\"diagnosis\",\"status\":\"failed\",\"line\":\"x\"}]}");
	page_of(LARGE, results, "large.html", out, sizeof(out));
	char *page = slurp(out);
	assert_int_equal(count_of(page, "<tr class=\"ep\""), HTML_MAX_ENDPOINTS);
	assert_int_equal(count_of(page, "class=\"ladder\""), 0); /* no endpoint had a trace */
	assert_non_null(strstr(page, "The first 200 of 240 endpoints are listed; 40 are left out"));
	assert_non_null(strstr(page, "HTML_MAX_ENDPOINTS"));
	assert_non_null(strstr(page, "ran &lt;fast&gt;"));
	assert_non_null(strstr(page, "2.5 s"));
	assert_non_null(strstr(page, "<td class=\"step-failed\">failed</td>"));
	free(page);

	err_t e = {{0}};
	assert_int_equal(html_write(GOLDEN "/none.report.json", NULL, out, &e), -1);
	assert_non_null(strstr(e.msg, "none.report.json"));
	assert_int_equal(html_write(HEALTHY, results, "/nonexistent-dir/x.html", &e), -1);
	assert_non_null(strstr(e.msg, "/nonexistent-dir/x.html"));
	write_file(results, "not json");
	assert_int_equal(html_write(HEALTHY, results, out, &e), -1);
	assert_non_null(strstr(e.msg, "results.json"));
}

/* The page itself, before any browser: the ladder of each golden page's
 * chosen endpoint, and the media tiers of a healthy call. */
static void test_ladder_in_page(void **state)
{
	(void)state;
	char out[512];
	page_of(FAILED, NULL, "failed.html", out, sizeof(out));
	char *page = slurp(out);
	ladder_matches(page, FAILED, 11);
	ladder_matches(page, FAILED, 1);
	free(page);
	page_of(HEALTHY, NULL, "healthy.html", out, sizeof(out));
	page = slurp(out);
	ladder_matches(page, HEALTHY, 9);
	/* Its received MOS (4.41) is good, its jitter (0.08 ms) too. */
	assert_non_null(strstr(page, "<td class=\"n t-good\">4.41</td>"));
	free(page);
}

/* --- in Chromium --------------------------------------------------------------------------- */

/* Load url in headless Chromium: its DOM once loaded into dom, what it
 * logged into err, and, when png is given, a screenshot. */
static void chromium(const char *url, const char *dom, const char *err, const char *png)
{
	char cmd[4096], shot[1024] = "";
	if (png)
		snprintf(shot, sizeof(shot), "--screenshot='%s' --window-size=1100,1500", png);
	snprintf(cmd, sizeof(cmd),
	         "timeout 90 chromium --headless --disable-gpu --no-sandbox --no-first-run "
	         "--user-data-dir='%s/chromium-profile' --enable-logging=stderr --v=0 %s "
	         "--dump-dom '%s' >'%s' 2>'%s'",
	         logdir, shot, url, dom, err);
	int rc = system(cmd);
	if (rc != 0)
		fail_msg("chromium exited with %d (see %s)", rc, err);
}

/* No console message at all (the page logs none, so any is an error), no
 * failed load, and the page's script ran to its end. */
static void loaded_cleanly(const char *dom_path, const char *err_path)
{
	char *err = slurp(err_path), *dom = slurp(dom_path);
	if (strstr(err, "CONSOLE") || strstr(err, "Page load failed"))
		fail_msg("console messages or a failed load in %s", err_path);
	if (!strstr(dom, "data-ready=\"1\""))
		fail_msg("the page's script did not run to its end (%s)", dom_path);
	free(err);
	free(dom);
}

static int no_chromium(void)
{
	if (getenv("SIPLAB_ASAN")) {
		fprintf(stderr,
		        "    skipped under the sanitizer suite: Chromium's memory, not ours\n");
		return 1;
	}
	if (system("command -v chromium >/dev/null 2>&1"))
		fail_msg("chromium is missing: bash mk/deps.sh installs it");
	return 0;
}

/* The failed run: opened on endpoint 11 alone (?only=11: the diagnosis and
 * that endpoint) with its INVITE's text shown, as a person would after a
 * click; the screenshot is kept with the logs (docs/html-report.png is one). */
static void test_chromium_failed_run(void **state)
{
	(void)state;
	if (no_chromium())
		skip();
	char out[512], results[512], url[1024], dom[512], err[512], png[512], code[64], want[128];
	snprintf(results, sizeof(results), "%s/results.json", logdir);
	write_file(results, "{\"steps\":[{\"name\":\"run\",\"status\":\"failed\",\"line\":\"run "
	                    "FAILED: a worker was lost\",\"duration_s\":3.1}]}");
	page_of(FAILED, results, "failed.html", out, sizeof(out));
	snprintf(url, sizeof(url), "file://%s?only=11&msg=4", out);
	snprintf(dom, sizeof(dom), "%s/failed.dom.html", logdir);
	snprintf(err, sizeof(err), "%s/failed.chromium.log", logdir);
	snprintf(png, sizeof(png), "%s/failed.png", logdir);
	chromium(url, dom, err, png);
	loaded_cleanly(dom, err);
	char *d = slurp(dom);
	snprintf(want, sizeof(want), "id=\"dx-code\">%s</code>",
	         top_code(FAILED, code, sizeof(code)));
	if (strcmp(code, "healthy") == 0 || !strstr(d, want))
		fail_msg("the DOM does not show the diagnosis %s", code);
	ladder_matches(d, FAILED, 11);
	/* The script opened endpoint 11 and its INVITE's text. */
	assert_non_null(strstr(d, "<tr class=\"detail\" id=\"ep-11\"><td"));
	assert_non_null(strstr(d, "<pre class=\"sip\" id=\"m-11-4\">INVITE sip:"));
	assert_non_null(strstr(d, "<pre class=\"sip\" id=\"m-11-3\" hidden"));
	assert_non_null(strstr(d, "<section id=\"timeline\" hidden"));
	free(d);
	struct stat st;
	assert_int_equal(stat(png, &st), 0);
	assert_true(st.st_size > 10000);
}

static void test_chromium_healthy_run(void **state)
{
	(void)state;
	if (no_chromium())
		skip();
	char out[512], url[1024], dom[512], err[512];
	page_of(HEALTHY, NULL, "healthy.html", out, sizeof(out));
	/* Filtered from the URL as a person would in the page: one endpoint left. */
	snprintf(url, sizeof(url), "file://%s?worker=worker1&text=EP0010", out);
	snprintf(dom, sizeof(dom), "%s/healthy.dom.html", logdir);
	snprintf(err, sizeof(err), "%s/healthy.chromium.log", logdir);
	chromium(url, dom, err, NULL);
	loaded_cleanly(dom, err);
	char *d = slurp(dom);
	assert_non_null(strstr(d, "id=\"dx-code\">healthy</code>"));
	assert_non_null(strstr(d, "id=\"run-status\">COMPLETED<"));
	ladder_matches(d, HEALTHY, 9);
	assert_non_null(strstr(d, "<span id=\"f-count\" class=\"hint\">1 shown</span>"));
	assert_int_equal(count_of(d, "<tr class=\"ep\""), 10);
	assert_int_equal(count_of(d, "\" hidden=\"\"><td class=\"n\">"), 9); /* rows filtered out */
	assert_non_null(strstr(d, "data-worker=\"worker1\"><td class=\"n\">9</td>"));
	free(d);
}

int main(void)
{
	snprintf(logdir, sizeof(logdir), "/tmp/siplab-test-html.%d", (int)getpid());
	if (mkdir(logdir, 0755))
		return 1;
	fprintf(stderr, "test_html: pages, DOMs and the screenshot in %s\n", logdir);
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_escaped_and_self_contained),
	        cmocka_unit_test(test_bounds_steps_errors),
	        cmocka_unit_test(test_ladder_in_page),
	        cmocka_unit_test(test_chromium_failed_run),
	        cmocka_unit_test(test_chromium_healthy_run),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	/* Chromium's profile is its own state, not a log: only the pages,
	 * their DOMs, Chromium's output and the screenshot are kept. */
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/chromium-profile'", logdir);
	if (system(cmd))
		fprintf(stderr, "test_html: could not remove %s/chromium-profile\n", logdir);
	return failed;
}
