/* test_labfile.c — lab.json, the answer key written beside a report: where it
 * goes, and that it carries what the report must not (the fault with every
 * parameter, the expectation, the remedy, the time scale) plus what the lab
 * saw, in the scenario's time. */
#include "harness.h"

#include <errno.h>

#include "../lib/jsonv.h"
#include "../sim/run/labfile.h"

static void path_is(const char *report, const char *want)
{
	char out[256];
	err_t e;
	assert_int_equal(labfile_path(report, out, sizeof(out), &e), 0);
	assert_string_equal(out, want);
}

static void test_path(void **state)
{
	(void)state;
	path_is("report.json", "lab.json");
	path_is("/tmp/x/report.json", "/tmp/x/lab.json");
	path_is("out/reg_dns.report.json", "out/reg_dns.lab.json");
	path_is("out/reg_dns.report.remedy.json", "out/reg_dns.lab.remedy.json");
	path_is("myreport.report.json", "myreport.lab.json");
	path_is("myreport.json", "myreport.lab.json");
	path_is("reporter.json", "reporter.lab.json");
	path_is("/reports/run.json", "/reports/run.lab.json");
	path_is("run", "run.lab.json");
	/* Too long for the room given: an error, never a cut name. */
	char small[12];
	err_t e;
	assert_int_equal(labfile_path("out/run.report.json", small, sizeof(small), &e),
	                 -ENAMETOOLONG);
}

#define SCENARIO                                                                                  \
	"{\"name\":\"rate\",\"time_scale\":0.1,\"groups\":[{\"name\":\"g\",\"registrar\":"        \
	"\"registrar.lab\",\"accounts\":{\"prefix\":\"ep\",\"count\":2,\"password\":\"pw\"},"     \
	"\"endpoints\":2,\"role\":\"caller\",\"target\":\"callee-pool\"}],\"fault\":{\"code\":"   \
	"\"reg.rate_limit\",\"params\":{\"per_second\":3}},\"expect\":{\"status\":\"COMPLETED\"," \
	"\"diagnosis\":\"reg.rate_limit\",\"known_gap\":\"why\",\"diagnosis_today\":\"x\"}}"

static void test_contents(void **state)
{
	(void)state;
	struct scenario s;
	struct labfile lf;
	err_t e;
	if (scenario_parse(SCENARIO, "rate.json", &s, &e))
		fail_msg("%s", e.msg);
	labfile_init(&lf, &s, "rate.json", SCENARIO);
	labfile_topology(&lf, "{\"hosts\":[]}");
	labfile_note(&lf, 250, "action: kill worker1 (SIGKILL)");
	struct lab_status st = {.signaled = 1, .sig = 9, .oom_killed = 1};
	labfile_worker_exit(&lf, 300, "worker1", &st);
	char path[64];
	snprintf(path, sizeof(path), "/tmp/siplab-labfile.%d.json", (int)getpid());
	assert_int_equal(labfile_write(&lf, path, &e), 0);
	labfile_free(&lf);
	cJSON *lab = jv_read_tree(path);
	unlink(path);
	assert_non_null(lab);
	const cJSON *f = cJSON_GetArrayItem(cJSON_GetObjectItem(lab, "faults"), 0);
	assert_string_equal(cJSON_GetObjectItem(f, "code")->valuestring, "reg.rate_limit");
	const cJSON *params = cJSON_GetObjectItem(f, "params");
	assert_int_equal(cJSON_GetObjectItem(params, "per_second")->valueint, 3);
	/* Defaults are written out too: the answer key is complete. */
	assert_non_null(cJSON_GetObjectItem(params, "mode"));
	const cJSON *x = cJSON_GetObjectItem(lab, "expect");
	assert_string_equal(cJSON_GetObjectItem(x, "known_gap")->valuestring, "why");
	const cJSON *sc = cJSON_GetObjectItem(lab, "scenario");
	assert_true(cJSON_GetObjectItem(sc, "time_scale")->valuedouble == 0.1);
	assert_string_equal(cJSON_GetObjectItem(sc, "name")->valuestring, "rate");
	/* Lab times stretched to the scenario's: 250 ms at scale 0.1 is 2.5 s. */
	const cJSON *o = cJSON_GetArrayItem(cJSON_GetObjectItem(lab, "observed"), 0);
	assert_int_equal(cJSON_GetObjectItem(o, "t_ms")->valueint, 2500);
	const cJSON *w = cJSON_GetArrayItem(cJSON_GetObjectItem(lab, "worker_processes"), 0);
	assert_int_equal(cJSON_GetObjectItem(w, "t_ms")->valueint, 3000);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(w, "oom_killed")));
	const cJSON *end = cJSON_GetObjectItem(w, "end");
	assert_int_equal(cJSON_GetObjectItem(end, "signal")->valueint, 9);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(end, "exit_code")));
	assert_non_null(strstr(cJSON_GetObjectItem(w, "exit")->valuestring, "OOM"));
	assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(lab, "topology"), "hosts"));
	cJSON_Delete(lab);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_path),
	        cmocka_unit_test(test_contents),
	};
	return cmocka_run_group_tests_name("lab.json", tests, NULL, NULL);
}
