/* test_diagnose.c — the diagnosis on small reports written by hand, for the
 * branches a lab run does not reach on its own: nothing wrong, nothing known,
 * the two reasons for "no ONLINE worker", every pre-flight reason code, the
 * failure codes read instead of sentences, a call failure by SIP code, ties in
 * the ranking, and expectations with a known gap.
 * (Reports of real faulty runs are diagnosed in test_catalogue.) */
#include "harness.h"

#include "../diagnose/diagnose.h"
#include "../diagnose/expect.h"

/* A report of schema 2; reason is "SENTENCE" or "SENTENCE|reason_code". */
static cJSON *report(const char *status, const char *reason, const char *workers,
                     const char *endpoints)
{
	char json[8192], why[512], code[64] = "";
	snprintf(why, sizeof(why), "%s", reason);
	char *bar = strchr(why, '|');
	if (bar) {
		*bar = '\0';
		snprintf(code, sizeof(code), "%s", bar + 1);
	}
	snprintf(json, sizeof(json),
	         "{\"schema_version\":2,\"test\":{},\"run\":{\"status\":\"%s\",\"reason\":"
	         "\"%s\",\"reason_code\":\"%s\"},"
	         "\"workers\":[%s],\"endpoints\":[%s],\"totals\":{\"outcomes\":{}}}",
	         status, why, code, workers, endpoints);
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

/* "No ONLINE worker in the region": none at all, or some elsewhere — one
 * sentence, two codes; the rules read the code. */
static void test_no_worker_vs_region(void **state)
{
	(void)state;
	expect_top(report("CANNOT_RUN_FOR_NOW",
	                  "no ONLINE worker in region \\\"eu\\\"|no_online_workers",
	                  "{\"name\":\"worker1\",\"status\":\"OFFLINE\",\"events\":[]}", ""),
	           "alloc.no_online_workers", "worker1 OFFLINE");
	expect_top(report("CANNOT_RUN_FOR_NOW",
	                  "no ONLINE worker in region \\\"eu\\\"|region_mismatch",
	                  "{\"name\":\"worker1\",\"status\":\"ONLINE\",\"events\":[]}", ""),
	           "alloc.region_mismatch", "in other regions");
}

/* Every pre-flight reason code names its rule, whatever the sentence says;
 * a report without the code (schema 1) is unexplained, and says why. */
static void test_preflight_codes(void **state)
{
	(void)state;
	static const struct {
		const char *reason, *code;
	} rows[] = {
	        {"any words|endpoint_limit", "alloc.endpoint_limit"},
	        {"any words|credits", "alloc.credits_exhausted"},
	        {"any words|workers_busy", "alloc.workers_busy"},
	        {"any words|no_online_workers", "alloc.no_online_workers"},
	        {"any words|region_mismatch", "alloc.region_mismatch"},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(*rows); i++)
		expect_top(report("CANNOT_RUN_FOR_NOW", rows[i].reason, "", ""), rows[i].code,
		           NULL);
	cJSON *old = cJSON_Parse("{\"run\":{\"status\":\"CANNOT_RUN_FOR_NOW\",\"reason\":"
	                         "\"credits exhausted: the test needs 6 endpoint-minutes\"}}");
	expect_top(old, "unexplained", "the report is of schema 1");
}

/* The failure codes of endpoints: credentials and a lost worker, with
 * sentences that say nothing. */
static void test_failure_codes(void **state)
{
	(void)state;
	/* The platform had no account for one: it failed at once, the other ran. */
	expect_top(
	        report("COMPLETED", "", "",
	               EP("a", "REGISTRATION_FAILED",
	                  ",\"sip_code\":null,\"reason\":\"x\",\"failure\":{\"kind\":"
	                  "\"no_account\",\"sip_code\":0,\"source\":\"platform\"}") "," EP("b",
	                                                                                   "SUCCES"
	                                                                                   "S",
	                                                                                   ",\"sip_"
	                                                                                   "code\":"
	                                                                                   "200")),
	        "reg.account_shortage", "no SIP account left for them");
	expect_top(report("COMPLETED", "", "",
	                  EP("a", "REGISTRATION_FAILED",
	                     ",\"sip_code\":401,\"reason\":\"x\",\"failure\":{\"kind\":"
	                     "\"auth_failed\",\"sip_code\":401,\"source\":\"remote\"}")),
	           "reg.bad_credentials", "credentials were rejected");
	expect_top(report("FAILED", "x|worker_lost",
	                  "{\"name\":\"worker1\",\"status\":\"OFFLINE\",\"events\":[{\"t_ms\":"
	                  "900,\"event\":\"x\",\"kind\":\"offline\",\"cause\":"
	                  "\"connection_closed\"}]}",
	                  EP("a", "OSERROR",
	                     ",\"failure\":{\"kind\":\"worker_lost\",\"sip_code\":0,"
	                     "\"source\":\"platform\"}")),
	           "worker.disconnect", "worker1 went OFFLINE at 0.9 s");
	/* The event's sentence alone (no kind) is not read. */
	expect_top(report("FAILED", "x|worker_lost",
	                  "{\"name\":\"worker1\",\"status\":\"OFFLINE\",\"events\":[{\"t_ms\":"
	                  "900,\"event\":\"OFFLINE: connection closed\"}]}",
	                  EP("a", "OSERROR",
	                     ",\"failure\":{\"kind\":\"worker_lost\",\"sip_code\":0,"
	                     "\"source\":\"platform\"}")),
	           "unexplained", NULL);
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

/* Two rules that fit equally well come in the guide's order, whatever order
 * they were found in: the ranking itself, fed equal scores backwards. */
static void test_ties_in_guide_order(void **state)
{
	(void)state;
	struct dx_finding f[5];
	memset(f, 0, sizeof(f));
	static const int order[] = {4, 3, 2, 1, 0}, score[] = {80, 80, 90, 80, 80};
	for (int i = 0; i < 5; i++)
		f[i].order = order[i], f[i].score = score[i];
	dx_rank(f, 5);
	assert_int_equal(f[0].score, 90);
	for (int i = 1; i < 5; i++)
		assert_int_equal(f[i].order, i - 1 + (i > 2)); /* 0, 1, 3, 4 after the 90 */
}

/* And through a whole diagnosis: 480 and 486 fit equally; 480 comes first in
 * the guide, whichever the report lists first. */
static void ranking_of(const char *endpoints, const char *first, const char *second)
{
	cJSON *rep = report("COMPLETED", "", "", endpoints);
	cJSON *d = diagnose(rep);
	cJSON_Delete(rep);
	const cJSON *f = cJSON_GetObjectItem(d, "findings");
	const cJSON *a = cJSON_GetObjectItem(cJSON_GetArrayItem(f, 0), "code");
	const cJSON *b = cJSON_GetObjectItem(cJSON_GetArrayItem(f, 1), "code");
	const cJSON *sa = cJSON_GetObjectItem(cJSON_GetArrayItem(f, 0), "score");
	const cJSON *sb = cJSON_GetObjectItem(cJSON_GetArrayItem(f, 1), "score");
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(sa->valueint, sb->valueint);
	assert_string_equal(a->valuestring, first);
	assert_string_equal(b->valuestring, second);
	cJSON_Delete(d);
}

#define CALLER(user, code, to) \
	EP(user, "CALL_FAILED", ",\"sip_code\":" #code ",\"target\":\"sip:" to "@lab\"")

static void test_equal_fits(void **state)
{
	(void)state;
	ranking_of(CALLER("c1", 486, "r1") "," CALLER("c2", 486, "r2") "," CALLER(
	                   "c3", 480, "r3") "," CALLER("c4", 480, "r4"),
	           "call.callee_offline", "call.callee_busy");
	ranking_of(CALLER("c3", 480, "r3") "," CALLER("c4", 480, "r4") "," CALLER(
	                   "c1", 486, "r1") "," CALLER("c2", 486, "r2"),
	           "call.callee_offline", "call.callee_busy");
}

/* expectation_check against a diagnosis whose findings are these codes, in
 * order ("a b c"; "healthy": none). */
static int check_against(const char *expect, const cJSON *rep, const char *codes, char *why,
                         size_t cap)
{
	cJSON *dx = cJSON_CreateObject(), *f = cJSON_AddArrayToObject(dx, "findings");
	char list[256];
	snprintf(list, sizeof(list), "%s", codes);
	for (char *save = NULL, *c = strtok_r(list, " ", &save); c;
	     c = strtok_r(NULL, " ", &save)) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "code", c);
		if (strcmp(c, "healthy"))
			cJSON_AddItemToArray(f, o);
		else
			cJSON_Delete(o);
	}
	int rc = expectation_check(expect, rep, dx, why, cap, NULL, 0);
	cJSON_Delete(dx);
	return rc;
}

/* known_gap: a wrong diagnosis is a known gap (everything else still must
 * hold); a right one means the gap is closed and the scenario must say so. */
static void test_known_gap(void **state)
{
	(void)state;
	cJSON *rep = cJSON_Parse("{\"run\":{\"status\":\"FAILED\"},\"totals\":{\"endpoints\":"
	                         "2,\"outcomes\":{\"OSERROR\":2}}}");
	const char *gap = "{\"status\":\"FAILED\",\"diagnosis\":\"worker.oom\",\"known_gap\":"
	                  "\"not in the report\",\"diagnosis_today\":\"worker.disconnect\"}";
	const char *gap_outcome = "{\"status\":\"FAILED\",\"diagnosis\":\"worker.oom\","
	                          "\"known_gap\":\"x\",\"outcomes\":{\"SUCCESS\":{\"min\":1}}}";
	const char *plain = "{\"status\":\"FAILED\",\"diagnosis\":\"worker.oom\"}";
	char why[256];
	assert_int_equal(check_against(gap, rep, "worker.disconnect", why, sizeof(why)),
	                 EXPECT_KNOWN_GAP);
	assert_non_null(strstr(why, "known gap: not in the report"));
	assert_int_equal(check_against(gap, rep, "worker.oom", why, sizeof(why)), 0);
	assert_non_null(strstr(why, "remove known_gap"));
	/* The gap moved (or the diagnosis broke): not excused. */
	assert_int_equal(check_against(gap, rep, "healthy", why, sizeof(why)), 0);
	assert_non_null(strstr(why, "neither worker.oom nor"));
	assert_int_equal(check_against(gap_outcome, rep, "worker.disconnect", why, sizeof(why)), 0);
	assert_int_equal(check_against(plain, rep, "worker.disconnect", why, sizeof(why)), 0);
	assert_int_equal(check_against(plain, rep, "worker.oom", why, sizeof(why)), 1);
	cJSON_Delete(rep);
}

/* Several causes at once: a list names the first findings in any order,
 * {"ranked": [...]} in that order; a code missing from the top is named. */
static void test_expect_several(void **state)
{
	(void)state;
	cJSON *rep = cJSON_Parse("{\"run\":{\"status\":\"COMPLETED\"},\"totals\":{\"endpoints\":"
	                         "2,\"outcomes\":{\"REGISTRATION_FAILED\":2}}}");
	const char *set = "{\"diagnosis\":[\"reg.dns_failure\",\"media.symmetric_nat\"]}";
	const char *order = "{\"diagnosis\":{\"ranked\":[\"reg.dns_failure\","
	                    "\"media.symmetric_nat\"]}}";
	char why[256];
	assert_int_equal(
	        check_against(set, rep, "reg.dns_failure media.symmetric_nat", why, sizeof(why)),
	        1);
	assert_int_equal(
	        check_against(set, rep, "media.symmetric_nat reg.dns_failure", why, sizeof(why)),
	        1);
	/* Third is not among the first two. */
	assert_int_equal(check_against(set, rep,
	                               "reg.dns_failure reg.rate_limit media.symmetric_nat", why,
	                               sizeof(why)),
	                 0);
	assert_non_null(strstr(why, "expected reg.dns_failure + media.symmetric_nat (any order)"));
	assert_int_equal(
	        check_against(order, rep, "reg.dns_failure media.symmetric_nat", why, sizeof(why)),
	        1);
	assert_int_equal(
	        check_against(order, rep, "media.symmetric_nat reg.dns_failure", why, sizeof(why)),
	        0);
	assert_non_null(strstr(why, "diagnosis media.symmetric_nat > reg.dns_failure, expected "
	                            "reg.dns_failure > media.symmetric_nat"));
	assert_int_equal(check_against(set, rep, "reg.dns_failure", why, sizeof(why)), 0);
	cJSON_Delete(rep);
}

/* Evidence beyond the kept lines is counted, not silently cut. */
static void test_evidence_dropped_counted(void **state)
{
	(void)state;
	static struct dx_finding f;
	memset(&f, 0, sizeof(f));
	for (int i = 0; i < DX_MAX_EVIDENCE + 3; i++)
		dx_say(&f, "line %d", i);
	assert_int_equal(f.n_evidence, DX_MAX_EVIDENCE);
	assert_int_equal(f.n_dropped, 3);
	assert_string_equal(f.evidence[DX_MAX_EVIDENCE - 1], "line 7");
	for (int k = 0; k < f.n_evidence; k++)
		free(f.evidence[k]);
}

/* A traced INVITE from `from` to `to` (as SIP on the wire, Content-Length
 * and all) with an SDP of the payload types pts[0..n) — dynamic ones named
 * X-CODEC-PT in rtpmap lines, each with a long fmtp — and SRTP keys at the
 * very end, so the body is well over 2 kB. */
static cJSON *big_invite(const char *dir, const char *from, const char *to, const int *pts, int n)
{
	static char sdp[16384], msg[20000];
	size_t k = (size_t)snprintf(sdp, sizeof(sdp),
	                            "v=0\r\no=x 1 1 IN IP4 10.20.1.2\r\ns=-\r\n"
	                            "c=IN IP4 10.20.1.2\r\nt=0 0\r\nm=audio 4000 RTP/SAVP");
	for (int i = 0; i < n; i++)
		k += (size_t)snprintf(sdp + k, sizeof(sdp) - k, " %d", pts[i]);
	k += (size_t)snprintf(sdp + k, sizeof(sdp) - k, "\r\n");
	for (int i = 0; i < n; i++)
		if (pts[i] >= 96)
			k += (size_t)snprintf(
			        sdp + k, sizeof(sdp) - k,
			        "a=rtpmap:%d X-CODEC-%d/16000\r\n"
			        "a=fmtp:%d a-long-parameter=a-long-value;another=one\r\n",
			        pts[i], pts[i], pts[i]);
	for (int i = 1; i <= 4; i++)
		k += (size_t)snprintf(sdp + k, sizeof(sdp) - k,
		                      "a=crypto:%d AES_CM_128_HMAC_SHA1_80 "
		                      "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n",
		                      i);
	snprintf(msg, sizeof(msg),
	         "INVITE sip:%s@lab SIP/2.0\r\nv: SIP/2.0/UDP 10.20.1.2:5060;branch=z9hG4bK%s\r\n"
	         "f: <sip:%s@lab>;tag=1\r\nt: <sip:%s@lab>\r\ni: call-%s\r\n"
	         "CSeq: 1 INVITE\r\nc: application/sdp\r\nl: %zu\r\n\r\n%s",
	         to, from, from, to, from, k, sdp);
	cJSON *t = cJSON_CreateObject();
	cJSON_AddStringToObject(t, "dir", dir);
	char first[64];
	snprintf(first, sizeof(first), "INVITE sip:%s@lab SIP/2.0", to);
	cJSON_AddStringToObject(t, "first_line", first);
	cJSON_AddStringToObject(t, "text", msg);
	return t;
}

/* An SBC strips the last codec of a long offer (over 2 kB, crypto lines
 * last): the offer is read whole on both sides, the change is seen, and the
 * evidence names every codec — not the first ones, cut to fit a buffer. */
static void test_big_sdp_stripped(void **state)
{
	(void)state;
	int sent[31], got[30];
	for (int i = 0; i < 30; i++)
		sent[i] = got[i] = 96 + i;
	sent[30] = 0; /* PCMU, last: the one the SBC removes */
	cJSON *rep = report(
	        "COMPLETED", "", "",
	        EP("a", "NEGOTIATION_FAILED", ",\"target\":\"sip:b@lab\",\"sip_code\":488") "," EP(
	                "b", "NEGOTIATION_FAILED", ",\"sip_code\":488"));
	cJSON *eps = cJSON_GetObjectItem(rep, "endpoints");
	cJSON *ta = cJSON_AddArrayToObject(cJSON_GetArrayItem(eps, 0), "trace");
	cJSON *tb = cJSON_AddArrayToObject(cJSON_GetArrayItem(eps, 1), "trace");
	cJSON *inv = big_invite("send", "a", "b", sent, 31);
	assert_true(strlen(cJSON_GetObjectItem(inv, "text")->valuestring) > 3072);
	cJSON_AddItemToArray(ta, inv);
	cJSON_AddItemToArray(tb, big_invite("recv", "a", "b", got, 30));
	expect_top(rep, "neg.sbc_codec_stripping", "X-CODEC-124 X-CODEC-125 PCMU]");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_evidence_dropped_counted),
	        cmocka_unit_test(test_healthy),
	        cmocka_unit_test(test_unexplained),
	        cmocka_unit_test(test_no_worker_vs_region),
	        cmocka_unit_test(test_preflight_codes),
	        cmocka_unit_test(test_failure_codes),
	        cmocka_unit_test(test_callee_offline),
	        cmocka_unit_test(test_ties_in_guide_order),
	        cmocka_unit_test(test_equal_fits),
	        cmocka_unit_test(test_known_gap),
	        cmocka_unit_test(test_expect_several),
	        cmocka_unit_test(test_big_sdp_stripped),
	};
	return cmocka_run_group_tests_name("diagnosis", tests, NULL, NULL);
}
