/* test_scenario.c — scenario files: a good one loads with its defaults; bad
 * ones are refused with the file, the field and what was expected. */
#include "harness.h"

#include "../sim/model/scenario.h"

#define GOOD                                                                                     \
	"{\"name\":\"healthy\",\"buildup_s\":20,\"call_duration_s\":60,\"time_scale\":0.05,"     \
	"\"groups\":[{\"name\":\"callers\",\"registrar\":\"lab\",\"transport\":\"tls\","         \
	"\"accounts\":{\"prefix\":\"ep\",\"count\":10,\"password\":\"pw\"},"                     \
	"\"codecs\":[\"opus\",\"PCMU\"],\"srtp\":\"sdes\",\"endpoints\":10,\"role\":\"caller\"," \
	"\"target\":\"answerers\"},"                                                             \
	"{\"name\":\"answerers\",\"registrar\":\"10.10.2.2:5060\",\"accounts\":{\"prefix\":"     \
	"\"rx\",\"count\":10,\"password\":\"pw\"},\"endpoints\":10,\"role\":\"callee\"}]}"

static void test_good(void **state)
{
	(void)state;
	struct scenario s;
	err_t e;
	if (scenario_parse(GOOD, "healthy.json", &s, &e))
		fail_msg("%s", e.msg);
	assert_int_equal(s.n_groups, 2);
	assert_int_equal(scenario_endpoints(&s), 20);
	assert_int_equal(s.groups[0].transport, SCN_TLS);
	assert_int_equal(s.groups[0].srtp, KEYING_SDES);
	assert_int_equal(s.groups[0].codecs[0], CODEC_OPUS);
	assert_int_equal(s.groups[1].n_codecs, 2); /* default PCMU, PCMA */
	assert_int_equal(s.groups[1].transport, SCN_UDP);
	assert_int_equal(s.groups[1].role, SCN_CALLEE);
	assert_string_equal(s.groups[1].accounts.domain, "lab");
	/* Time compression: 60 s of call at scale 0.05 is 3 s; T1 (0.5 s) is 25 ms. */
	assert_int_equal(scenario_ms(&s, s.call_duration_s), 3000);
	assert_int_equal(scenario_ms(&s, 0.5), 25);
}

static void bad(const char *json, const char *frag1, const char *frag2)
{
	struct scenario s;
	err_t e = {{0}};
	if (scenario_parse(json, "bad.json", &s, &e) == 0)
		fail_msg("accepted: %s", json);
	if (!strstr(e.msg, "bad.json") || !strstr(e.msg, frag1) || (frag2 && !strstr(e.msg, frag2)))
		fail_msg("message \"%s\" lacks \"%s\" / \"%s\"", e.msg, frag1, frag2 ? frag2 : "");
}

/* One group; `extra` adds or sets fields (each at most once). */
#define G(extra)                                                                           \
	"{\"groups\":[{\"registrar\":\"lab\",\"accounts\":{\"prefix\":\"ep\",\"count\":1," \
	"\"password\":\"p\"}" extra "}]}"
#define CALLEE ",\"endpoints\":1,\"role\":\"callee\""

static void test_errors(void **state)
{
	(void)state;
	/* The one-group base is itself valid, so each failure below is the
	 * field's doing. */
	struct scenario s;
	err_t e;
	if (scenario_parse(G(CALLEE), "base.json", &s, &e))
		fail_msg("%s", e.msg);
	bad("{", "line 1", "not valid JSON");
	bad("{\"groups\":[]}", "groups", "1 to 16 groups");
	bad("{\"grops\":[]}", "grops", "unknown field");
	bad("{\"time_scale\":2,\"groups\":[]}", "time_scale", "from 0.001 to 1");
	bad(G(CALLEE ",\"transport\":\"sctp\""), "groups[0].transport",
	    "\"udp\", \"tcp\", \"tls\" or \"auto\"");
	bad(G(CALLEE ",\"codecs\":[\"G729\"]"), "groups[0].codecs[0]",
	    "\"PCMU\", \"PCMA\", \"G722\" or \"opus\"");
	bad(G(CALLEE ",\"srtp\":\"dtls\""), "groups[0].srtp", "\"none\" or \"sdes\"");
	bad(G(",\"endpoints\":1,\"role\":\"caller\""), "groups[0].target", "for a caller group");
	bad(G(",\"endpoints\":1,\"role\":\"caller\",\"target\":\"nobody\""), "groups[0].target",
	    "\"nobody\"");
	/* A SIP URI is dialled as is (a number outside the test); a bare name
	 * that is no group is still refused above. */
	if (scenario_parse(G(",\"endpoints\":1,\"role\":\"caller\",\"target\":\"sip:nobody@lab\""),
	                   "uri.json", &s, &e))
		fail_msg("%s", e.msg);
	assert_true(scenario_target_is_uri(s.groups[0].target));
	assert_false(scenario_target_is_uri("callee-pool"));
	bad(G(",\"endpoints\":1,\"role\":\"caller\",\"target\":\"sipnobody\""), "groups[0].target",
	    "a SIP URI");
	bad(G(",\"endpoints\":0,\"role\":\"callee\""), "groups[0].endpoints", "from 1 to 100000");
	bad("{\"groups\":[{\"registrar\":\"lab\",\"endpoints\":1}]}", "groups[0].accounts",
	    "\"prefix\"");
	bad("{\"groups\":[{\"accounts\":{\"prefix\":\"ep\",\"count\":1,\"password\":\"p\"},"
	    "\"endpoints\":1}]}",
	    "groups[0].registrar", "name or address");
}

/* The platform, plan, far side and actions around the groups. */
#define T(extra)                                                                           \
	"{\"groups\":[{\"registrar\":\"lab\",\"accounts\":{\"prefix\":\"ep\",\"count\":1," \
	"\"password\":\"p\"}" CALLEE "}]" extra "}"

static void test_platform_fields(void **state)
{
	(void)state;
	struct scenario s;
	err_t e;
	const char *good = T(",\"plan\":{\"max_endpoints\":10,\"credits\":50},"
	                     "\"platform\":{\"workers\":3,\"worker_region\":\"eu\"},"
	                     "\"far_side\":{\"registrar\":\"kamailio\",\"transports\":[\"udp\"],"
	                     "\"accounts\":[{\"prefix\":\"ep\",\"count\":5,\"password\":\"x\"}]},"
	                     "\"actions\":[{\"do\":\"kill_worker\",\"worker\":\"worker2\","
	                     "\"at_s\":12},{\"do\":\"stop_worker\",\"at_s\":\"before_run\"}],"
	                     "\"silence\":{\"at_s\":5,\"duration_s\":130}");
	if (scenario_parse(good, "good.json", &s, &e))
		fail_msg("%s", e.msg);
	assert_int_equal(s.plan.max_endpoints, 10);
	assert_int_equal(s.platform.workers, 3);
	assert_string_equal(s.platform.worker_region, "eu");
	assert_int_equal(s.far.registrar, SCN_REG_KAMAILIO);
	assert_true(s.far.udp && !s.far.tcp && !s.far.tls);
	assert_int_equal(s.far.n_pools, 1);
	assert_string_equal(s.far.pools[0].password, "x");
	assert_int_equal(s.n_actions, 2);
	assert_int_equal(s.actions[0].kind, SCN_KILL_WORKER);
	assert_string_equal(s.actions[1].worker, "all");
	assert_true(s.actions[1].before_run);
	assert_true(s.pause.duration_s == 130);
	/* Defaults: one worker in the test's region, the platform's 60 s timeout. */
	if (scenario_parse(T(""), "base.json", &s, &e))
		fail_msg("%s", e.msg);
	assert_int_equal(s.platform.workers, 1);
	assert_string_equal(s.platform.worker_region, "lab");
	assert_true(s.platform.heartbeat_timeout_s == 60);
	bad(T(",\"plan\":{\"max_endpoints\":-1}"), "plan.max_endpoints", "from 0");
	bad(T(",\"platform\":{\"workers\":0}"), "platform.workers", "from 1 to 50");
	bad(T(",\"far_side\":{\"registrar\":\"asterisk\"}"), "far_side.registrar",
	    "\"siplab\" or \"kamailio\"");
	bad(T(",\"far_side\":{\"transports\":[\"sctp\"]}"), "far_side.transports", "\"udp\"");
	bad(T(",\"actions\":[{\"do\":\"reboot\"}]"), "actions[0].do", "kill_worker");
	bad(T(",\"actions\":[{\"do\":\"kill_worker\",\"at_s\":\"soon\"}]"), "actions[0].at_s",
	    "before_run");
	bad(T(",\"silence\":{\"at_s\":-1}"), "silence.at_s", "from 0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_good),
	        cmocka_unit_test(test_errors),
	        cmocka_unit_test(test_platform_fields),
	};
	return cmocka_run_group_tests_name("scenario files", tests, NULL, NULL);
}
