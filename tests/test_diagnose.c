/* test_diagnose.c — the diagnosis on small reports written by hand, for the
 * branches a lab run does not reach on its own: nothing wrong, nothing known,
 * the two reasons for "no ONLINE worker", and a call failure by SIP code.
 * (Reports of real faulty runs are diagnosed in test_catalogue.) */
#include "harness.h"

#include "../diagnose/diagnose.h"

static cJSON *report(const char *status, const char *reason, const char *workers,
                     const char *endpoints)
{
	char json[8192];
	snprintf(json, sizeof(json),
	         "{\"scenario\":{\"time_scale\":1},\"run\":{\"status\":\"%s\",\"reason\":\"%s\"},"
	         "\"workers\":[%s],\"endpoints\":[%s],\"totals\":{\"outcomes\":{}}}",
	         status, reason, workers, endpoints);
	cJSON *r = cJSON_Parse(json);
	assert_non_null(r);
	return r;
}

static void expect_top(cJSON *rep, const char *code, const char *evidence)
{
	cJSON *d = diagnose(rep);
	if (strcmp(diagnose_top(d), code))
		fail_msg("diagnosis %s, expected %s", diagnose_top(d), code);
	char *text = cJSON_PrintUnformatted(d);
	if (evidence && !strstr(text, evidence))
		fail_msg("no \"%s\" in %s", evidence, text);
	free(text);
	cJSON_Delete(d);
	cJSON_Delete(rep);
}

#define EP(user, outcome, extra)                                                               \
	"{\"user\":\"" user "\",\"group\":\"g\",\"worker\":\"worker1\",\"outcome\":\"" outcome \
	"\",\"times_ms\":{\"registered\":5}" extra "}"

static void test_healthy(void **state)
{
	(void)state;
	expect_top(report("COMPLETED", "", "", EP("a", "SUCCESS", "") "," EP("b", "SUCCESS", "")),
	           "healthy", NULL);
}

/* A failure no rule knows: said plainly, with what the report shows. */
static void test_unexplained(void **state)
{
	(void)state;
	expect_top(report("COMPLETED", "", "",
	                  EP("a", "TEARDOWN_ERROR",
	                     ",\"sip_code\":500,\"reason\":\"BYE answered 500\"")),
	           "unexplained", "TEARDOWN_ERROR in");
}

/* "No ONLINE worker in the region": none at all, or some elsewhere. */
static void test_no_worker_vs_region(void **state)
{
	(void)state;
	const char *why = "no ONLINE worker in region \\\"eu\\\"";
	expect_top(report("CANNOT_RUN_FOR_NOW", why,
	                  "{\"name\":\"worker1\",\"status\":\"OFFLINE\",\"events\":[]}", ""),
	           "alloc.no_online_workers", "worker1 OFFLINE");
	expect_top(report("CANNOT_RUN_FOR_NOW", why,
	                  "{\"name\":\"worker1\",\"status\":\"ONLINE\",\"events\":[]}", ""),
	           "alloc.region_mismatch", "in other regions");
}

/* Callers that dialled before their callees registered: 480. */
static void test_callee_offline(void **state)
{
	(void)state;
	expect_top(
	        report("COMPLETED", "", "",
	               EP("c1", "CALL_FAILED", ",\"sip_code\":480,\"target\":\"sip:r1@lab\"") "," EP(
	                       "c2", "CALL_FAILED",
	                       ",\"sip_code\":480,\"target\":\"sip:r2@lab\"") "," EP("c3",
	                                                                             "SUCCESS",
	                                                                             ",\"sip_"
	                                                                             "code\":200,"
	                                                                             "\"target\":"
	                                                                             "\"sip:r3@"
	                                                                             "lab\"")),
	        "call.callee_offline", "2 of 3 registered callers got 480");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_healthy),
	        cmocka_unit_test(test_unexplained),
	        cmocka_unit_test(test_no_worker_vs_region),
	        cmocka_unit_test(test_callee_offline),
	};
	return cmocka_run_group_tests_name("diagnosis", tests, NULL, NULL);
}
