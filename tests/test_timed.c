/* test_timed.c — faults that strike mid-run and are undone, in a real lab
 * through `siplab run`: the worker's path to the gateway cut at 5 s and
 * restored at 6 s is survived (the cut is shorter than the heartbeat
 * timeout), while the same cut left in place loses the worker; the lab's
 * answer key records both switches at their times. */
#define _GNU_SOURCE
#include "labrun.h"

#include <cJSON.h>

#include "../lib/jsonv.h"
#include "../sim/run/labfile.h"

static char workdir[PATH_MAX];

/* One caller group to the callee pool on one worker; the cut's timing is
 * spliced in as the fault's "at_s"/"until_s" members. */
static const char scenario[] =
        "{\"name\":\"timed-cut\",\"time_scale\":0.1,\"buildup_s\":4,\"call_duration_s\":20,"
        "\"platform\":{\"heartbeat_s\":1,\"heartbeat_timeout_s\":10},"
        "\"groups\":[{\"name\":\"callers\",\"registrar\":\"registrar.lab\",\"transport\":\"udp\","
        "\"accounts\":{\"prefix\":\"tc\",\"count\":4,\"password\":\"secret\"},\"codecs\":["
        "\"PCMU\"],\"srtp\":\"none\",\"endpoints\":4,\"role\":\"caller\",\"target\":"
        "\"callee-pool\"}],\"fault\":{\"code\":\"worker.disconnect\",%s}}";

/* Run it with this timing; the report and the answer key come back. */
static cJSON *run_cut(const char *name, const char *timing, cJSON **lab)
{
	char file[PATH_MAX], report[PATH_MAX], labpath[PATH_MAX + 16], *text = NULL, out[8192];
	snprintf(file, sizeof(file), "%s/%s.json", workdir, name);
	snprintf(report, sizeof(report), "%s/%s.report.json", workdir, name);
	assert_true(asprintf(&text, scenario, timing) > 0);
	assert_int_equal(sys_write_file(file, text, strlen(text), 1, NULL), 0);
	free(text);
	char *argv[] = {"siplab", "run", file, "--report", report, "--quiet", NULL};
	int rc = siplab_capture(argv, out, sizeof(out));
	if (rc != 0 && rc != 1)
		fail_msg("siplab run exited %d:\n%s", rc, out);
	assert_int_equal(labfile_path(report, labpath, sizeof(labpath), NULL), 0);
	*lab = jv_read_tree(labpath);
	assert_non_null(*lab);
	return jv_read_tree(report);
}

static const char *status_of(const cJSON *rep)
{
	const cJSON *s = cJSON_GetObjectItem(cJSON_GetObjectItem(rep, "run"), "status");
	return cJSON_IsString(s) ? s->valuestring : "?";
}

/* The time of the answer key's first note containing what, or -1. */
static double noted_at(const cJSON *lab, const char *what)
{
	const cJSON *n;
	cJSON_ArrayForEach (n, cJSON_GetObjectItem(lab, "observed")) {
		const cJSON *w = cJSON_GetObjectItem(n, "what");
		if (cJSON_IsString(w) && strstr(w->valuestring, what))
			return cJSON_GetObjectItem(n, "t_ms")->valuedouble;
	}
	return -1;
}

static void test_cut_restored_is_survived(void **state)
{
	(void)state;
	cJSON *lab = NULL;
	cJSON *rep = run_cut("restored", "\"at_s\":5,\"until_s\":6", &lab);
	assert_non_null(rep);
	assert_string_equal(status_of(rep), "COMPLETED");
	/* Switched on, then off, a second of scenario time apart (lab time is
	 * read back in scenario time: 10 ms of notes per ms at scale 0.1). */
	double on = noted_at(lab, "worker.disconnect: switched on");
	double off = noted_at(lab, "worker.disconnect: switched off");
	assert_true(on >= 5000 && off >= on + 900);
	cJSON_Delete(rep);
	cJSON_Delete(lab);
}

/* The control: the same cut, never restored, does lose the worker — so the
 * run above survived because the rule was deleted, not because it never bit. */
static void test_cut_kept_loses_the_worker(void **state)
{
	(void)state;
	cJSON *lab = NULL;
	cJSON *rep = run_cut("kept", "\"at_s\":5", &lab);
	assert_non_null(rep);
	assert_string_equal(status_of(rep), "FAILED");
	assert_true(noted_at(lab, "worker.disconnect: switched on") >= 5000);
	assert_true(noted_at(lab, "switched off") < 0);
	cJSON_Delete(rep);
	cJSON_Delete(lab);
}

static int setup(void **state)
{
	(void)state;
	snprintf(workdir, sizeof(workdir), "/tmp/siplab-timed.XXXXXX");
	return mkdtemp(workdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	sys_rm_tree(workdir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_cut_restored_is_survived),
	        cmocka_unit_test(test_cut_kept_loses_the_worker),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
