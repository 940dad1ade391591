/* test_laberror.c — when the lab itself fails, siplab says so as a lab error
 * (exit 3, the reason, what the failing process's log says) and diagnoses
 * nothing: a worker build that exits at start is not the platform's
 * "no online workers". The report is still written, and says only that the
 * infrastructure failed. */
#define _GNU_SOURCE
#include "labrun.h"

#include <cJSON.h>
#include <sys/stat.h>

#include "../lib/jsonv.h"
#include "../lib/siplab.h"
#include "../lib/sys.h"

static char workdir[PATH_MAX];

static int body_worker_exits_at_start(void)
{
	static char out[65536];
	char prog[PATH_MAX], report[PATH_MAX];
	snprintf(prog, sizeof(prog), "%s/broken-worker", workdir);
	snprintf(report, sizeof(report), "%s/report.json", workdir);
	const char script[] = "#!/bin/sh\necho 'worker: cannot load its codecs' >&2\nexit 7\n";
	err_t e;
	CHECK(sys_write_file(prog, script, sizeof(script) - 1, 1, &e) == 0, "%s", e.msg);
	chmod(prog, 0755);
	char *argv[] = {"siplab",   "run",  "scenarios/healthy.json",
	                "--report", report, "--worker-program",
	                prog,       NULL};
	int rc = siplab_capture(argv, out, sizeof(out));
	CHECK(rc == EXIT_ENV, "exit %d, expected %d:\n%s", rc, EXIT_ENV, out);
	CHECK(strstr(out,
	             "lab error: worker1's process exited with 7 before it reached the gateway"),
	      "%s", out);
	CHECK(strstr(out, "worker: cannot load its codecs"), "the log's words are not said:\n%s",
	      out);
	CHECK(!strstr(out, "diagnose ") && !strstr(out, "alloc."), "a diagnosis was made:\n%s",
	      out);
	cJSON *rep = jv_read_tree(report);
	CHECK(rep, "no report at %s", report);
	const cJSON *run = cJSON_GetObjectItemCaseSensitive(rep, "run");
	const cJSON *status = cJSON_GetObjectItemCaseSensitive(run, "status");
	int failed = cJSON_IsString(status) && !strcmp(status->valuestring, "FAILED");
	cJSON_Delete(rep);
	CHECK(failed, "the report's run is not FAILED");
	return 0;
}

/* A worker that runs but never connects is the lab's failure too (not the
 * platform's "no online workers"). */
static int body_worker_never_connects(void)
{
	static char out[65536];
	char prog[PATH_MAX], report[PATH_MAX];
	snprintf(prog, sizeof(prog), "%s/silent-worker", workdir);
	snprintf(report, sizeof(report), "%s/silent.report.json", workdir);
	const char script[] =
	        "#!/bin/sh\necho 'worker: waiting for a license server'\nexec sleep 60\n";
	err_t e;
	CHECK(sys_write_file(prog, script, sizeof(script) - 1, 1, &e) == 0, "%s", e.msg);
	chmod(prog, 0755);
	char *argv[] = {"siplab",   "run",    "scenarios/alloc_no_online_workers.json",
	                "--report", report,   "--worker-program",
	                prog,       "--once", NULL};
	int rc = siplab_capture(argv, out, sizeof(out));
	CHECK(rc == EXIT_ENV, "exit %d, expected %d:\n%s", rc, EXIT_ENV, out);
	CHECK(strstr(out, "lab error: worker1's process runs but never reached the gateway"), "%s",
	      out);
	CHECK(strstr(out, "waiting for a license server"), "%s", out);
	CHECK(!strstr(out, "alloc.no_online_workers —"), "diagnosed:\n%s", out);
	return 0;
}

static void test_worker_never_connects(void **state)
{
	(void)state;
	in_child(body_worker_never_connects);
}

/* The end of a log, not the end of its first 4 kB. */
static void test_read_tail(void **state)
{
	(void)state;
	char path[PATH_MAX], text[16384], out[256];
	size_t n = 0;
	for (int i = 1; i <= 1000; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "line %d\n", i);
	snprintf(path, sizeof(path), "%s/long.log", workdir);
	err_t e;
	assert_int_equal(sys_write_file(path, text, n, 1, &e), 0);
	assert_int_equal(sys_read_tail(path, 3, out, sizeof(out)), 0);
	assert_string_equal(out, "line 998\nline 999\nline 1000");
	assert_int_equal(sys_write_file(path, "only\n", 5, 1, &e), 0);
	assert_int_equal(sys_read_tail(path, 3, out, sizeof(out)), 0);
	assert_string_equal(out, "only");
}

static void test_worker_exits_at_start(void **state)
{
	(void)state;
	in_child(body_worker_exits_at_start);
}

int main(void)
{
	snprintf(workdir, sizeof(workdir), "/tmp/siplab-test-laberror.%d", (int)getpid());
	mkdir(workdir, 0755);
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_read_tail),
	        cmocka_unit_test(test_worker_exits_at_start),
	        cmocka_unit_test(test_worker_never_connects),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	sys_rm_tree(workdir);
	return rc;
}
