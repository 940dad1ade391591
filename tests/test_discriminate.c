/* test_discriminate.c — the diagnosis told apart from its look-alikes on
 * small reports written by hand (milliseconds, no lab): partial 403s with
 * and without a burst, one worker's failures, one group's DNS, SRTP against
 * codecs, an SBC that only reorders, NAT facts per one-way endpoint and per
 * transport; and the scope line, the evidence's JSON pointers, consequences
 * ranked below their cause, and --explain. (The same pairs from real runs are
 * in scenarios/, run by test_catalogue.) */
#define _GNU_SOURCE
#include "harness.h"

#include "../diagnose/diagnose.h"

/* A report of schema 2 with a test section (groups) and endpoints. */
static cJSON *report(const char *groups, const char *endpoints)
{
	char *json = NULL;
	assert_true(asprintf(&json,
	                     "{\"schema_version\":2,\"test\":{\"groups\":[%s]},\"run\":{\"status\":"
	                     "\"COMPLETED\"},\"workers\":[],\"endpoints\":[%s],\"totals\":{}}",
	                     groups, endpoints) > 0);
	cJSON *r = cJSON_Parse(json);
	free(json);
	assert_non_null(r);
	return r;
}

/* The ranked codes, "a b c", of a report's diagnosis (and the diagnosis). */
static cJSON *ranked(cJSON *rep, char *codes, size_t cap)
{
	cJSON *d = diagnose(rep);
	const cJSON *x;
	size_t n = 0;
	codes[0] = '\0';
	cJSON_ArrayForEach (x, cJSON_GetObjectItem(d, "findings"))
		n += (size_t)snprintf(codes + n, cap - n, "%s%s", n ? " " : "",
		                      cJSON_GetObjectItem(x, "code")->valuestring);
	return d;
}

/* The top code is want, and none of the codes is banned. */
static void expect(cJSON *rep, const char *want, const char *banned, const char *evidence)
{
	char codes[512];
	cJSON *d = ranked(rep, codes, sizeof(codes));
	if (strcmp(diagnose_top(d), want))
		fail_msg("diagnosis %s, expected %s (ranked: %s)", diagnose_top(d), want, codes);
	if (banned && strstr(codes, banned))
		fail_msg("%s is among the findings (%s)", banned, codes);
	char *text = cJSON_PrintUnformatted(d);
	if (evidence && !strstr(text, evidence))
		fail_msg("no \"%s\" in %s", evidence, text);
	free(text);
	cJSON_Delete(d);
	cJSON_Delete(rep);
}

static const char one_group[] = "{\"name\":\"g\",\"registrar\":\"registrar.lab\"}";

/* An endpoint: user, group, worker, when it started to register, and how
 * it ended ("ok", or "CODE" answered by the registrar, or "CODEl" made up
 * locally); trace is a JSON array or "". */
static char *ep(const char *user, const char *group, const char *worker, int t, const char *end,
                const char *trace)
{
	char *s = NULL;
	int ok = !strcmp(end, "ok"), code = atoi(end), local = strchr(end, 'l') != NULL;
	assert_true(
	        asprintf(&s,
	                 "{\"user\":\"%s\",\"group\":\"%s\",\"worker\":\"%s\",\"outcome\":\"%s\","
	                 "\"sip_code\":%d,\"sip_code_source\":\"%s\",\"times_ms\":{\"register\":"
	                 "%d%s}%s%s}",
	                 user, group, worker, ok ? "SUCCESS" : "REGISTRATION_FAILED",
	                 ok ? 200 : code, local ? "local" : "wire", t,
	                 ok ? ",\"registered\":1" : "", *trace ? ",\"trace\":" : "", trace) > 0);
	return s;
}

/* Endpoints joined into one JSON list (each freed). */
static char *join(char **eps, int n)
{
	size_t len = 1;
	for (int i = 0; i < n; i++)
		len += strlen(eps[i]) + 1;
	char *out = calloc(len, 1);
	for (int i = 0; i < n; i++) {
		if (i)
			strcat(out, ",");
		strcat(out, eps[i]);
		free(eps[i]);
	}
	return out;
}

/* Ten registrations in time order; pattern says each one's end. */
static cJSON *burst(const char *const *pattern, const char *const *workers)
{
	char *eps[10], user[16];
	for (int i = 0; i < 10; i++) {
		snprintf(user, sizeof(user), "ep%04d", i + 1);
		eps[i] = ep(user, "g", workers ? workers[i] : "worker1", 100 * i, pattern[i], "");
	}
	char *list = join(eps, 10);
	cJSON *r = report(one_group, list);
	free(list);
	return r;
}

/* 403 for the last three accounts, at an even pace: they are refused for
 * who they are; a rate limit is not called. */
static void test_partial_403_no_burst(void **state)
{
	(void)state;
	static const char *const p[] = {"ok", "ok", "ok",  "ok",  "ok",
	                                "ok", "ok", "403", "403", "403"};
	expect(burst(p, NULL), "reg.accounts_locked", "reg.rate_limit", "no burst signature");
}

/* 403s that come and go with the limiter's windows: a rate limit. */
static void test_403_in_a_burst(void **state)
{
	(void)state;
	static const char *const p[] = {"ok", "ok",  "403", "403", "ok",
	                                "ok", "403", "403", "ok",  "403"};
	expect(burst(p, NULL), "reg.rate_limit", NULL,
	       "3 runs of failures each came after successes");
}

/* One worker's REGISTERs time out (408 made up locally), interleaved in
 * time with the other worker's successes: not a rate limit, but that
 * worker's path — said with its scope. */
static void test_one_worker_timeouts(void **state)
{
	(void)state;
	static const char *const w[] = {"worker1", "worker2", "worker1", "worker2", "worker1",
	                                "worker2", "worker1", "worker2", "worker1", "worker2"};
	char *eps[10], user[16];
	const char *sent =
	        "[{\"dir\":\"send\",\"transport\":\"udp\",\"first_line\":\"REGISTER "
	        "sip:registrar.lab SIP/2.0\",\"text\":\"REGISTER sip:registrar.lab "
	        "SIP/2.0\\r\\nVia: "
	        "SIP/2.0/UDP 10.20.2.2:5060;branch=z9hG4bK1\\r\\nFrom: <sip:u@lab>;tag=1\\r\\nTo: "
	        "<sip:u@lab>\\r\\nCall-ID: r\\r\\nCSeq: 1 REGISTER\\r\\nContent-Length: "
	        "0\\r\\n\\r\\n\"}]";
	for (int i = 0; i < 10; i++) {
		snprintf(user, sizeof(user), "ep%04d", i + 1);
		int two = i % 2;
		eps[i] = ep(user, "g", w[i], 100 * i, two ? "408l" : "ok", two ? sent : "");
	}
	char *list = join(eps, 10);
	cJSON *r = report(one_group, list);
	free(list);
	expect(r, "reg.sip_port_blocked", "reg.rate_limit", "scope: worker worker2");
}

/* Group a's name does not resolve, group b registers: DNS, for group a —
 * never "no known failure fits". */
static void test_dns_one_group(void **state)
{
	(void)state;
	char *eps[6], user[16];
	for (int i = 0; i < 6; i++) {
		snprintf(user, sizeof(user), "ep%04d", i + 1);
		eps[i] = ep(user, i < 3 ? "a" : "b", "worker1", 100 * i, i < 3 ? "503l" : "ok", "");
	}
	char *list = join(eps, 6);
	/* The worker said why: the failure's kind. */
	cJSON *r = report("{\"name\":\"a\",\"registrar\":\"registrar.lab\"},{\"name\":\"b\","
	                  "\"registrar\":\"lab:5060\"}",
	                  list);
	free(list);
	cJSON *e;
	int i = 0;
	cJSON_ArrayForEach (e, cJSON_GetObjectItem(r, "endpoints"))
		if (i++ < 3)
			cJSON_AddItemToObject(
			        e, "failure",
			        cJSON_Parse("{\"kind\":\"dns_failure\",\"source\":\"local\"}"));
	expect(r, "reg.dns_failure", NULL, "scope: group a (REGISTRATION_FAILED: 3 of its 3");
}

/* One group fails with answers no specific rule knows: the guide's
 * per-group issue, not "unexplained". */
static void test_group_misconfig(void **state)
{
	(void)state;
	char *eps[4];
	eps[0] = ep("a1", "a", "worker1", 0, "500", "");
	eps[1] = ep("a2", "a", "worker1", 100, "500", "");
	eps[2] = ep("b1", "b", "worker1", 200, "ok", "");
	eps[3] = ep("b2", "b", "worker1", 300, "ok", "");
	char *list = join(eps, 4);
	cJSON *r = report("{\"name\":\"a\",\"registrar\":\"reg-a.lab\"},{\"name\":\"b\","
	                  "\"registrar\":\"registrar.lab\"}",
	                  list);
	free(list);
	expect(r, "reg.group_misconfig", NULL, "\\\"reg-a.lab\\\"");
}

/* --- negotiation -------------------------------------------------------------------- */

/* An INVITE trace entry with an SDP of this profile and these codecs. */
static char *invite(const char *dir, const char *profile, const char *pts, const char *extra)
{
	char sdp[1024], *s = NULL;
	int n = snprintf(sdp, sizeof(sdp),
	                 "v=0\r\no=x 1 1 IN IP4 10.20.1.2\r\ns=-\r\nc=IN IP4 10.20.1.2\r\nt=0 "
	                 "0\r\nm=audio 4000 %s %s\r\n%s",
	                 profile, pts, extra);
	char msg[2048];
	snprintf(msg, sizeof(msg),
	         "INVITE sip:b@lab SIP/2.0\r\nVia: SIP/2.0/UDP 10.20.1.2:5060;branch=z9hG4bKa\r\n"
	         "From: <sip:a@lab>;tag=1\r\nTo: <sip:b@lab>\r\nCall-ID: call-a\r\nCSeq: 1 "
	         "INVITE\r\nContent-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s",
	         n, sdp);
	cJSON *t = cJSON_CreateObject();
	cJSON_AddStringToObject(t, "dir", dir);
	cJSON_AddStringToObject(t, "first_line", "INVITE sip:b@lab SIP/2.0");
	cJSON_AddStringToObject(t, "text", msg);
	s = cJSON_PrintUnformatted(t);
	cJSON_Delete(t);
	return s;
}

/* Caller a offers sent_pts as profile; callee b receives got_pts; b's group
 * is configured with srtp and codecs. */
static cJSON *call(const char *profile, const char *sent_pts, const char *got_pts,
                   const char *got_extra, const char *srtp, const char *codecs)
{
	char *si = invite("send", profile, sent_pts, ""),
	     *ri = invite("recv", profile, got_pts, got_extra);
	char groups[512], *eps = NULL;
	snprintf(groups, sizeof(groups),
	         "{\"name\":\"callers\",\"srtp\":\"none\",\"codecs\":[\"PCMU\",\"PCMA\"]},"
	         "{\"name\":\"receivers\",\"srtp\":\"%s\",\"codecs\":%s}",
	         srtp, codecs);
	assert_true(asprintf(&eps,
	                     "{\"user\":\"a\",\"group\":\"callers\",\"worker\":\"worker1\","
	                     "\"outcome\":\"NEGOTIATION_FAILED\",\"sip_code\":488,\"target\":"
	                     "\"sip:b@lab\",\"times_ms\":{\"registered\":1},\"trace\":[%s]},"
	                     "{\"user\":\"b\",\"group\":\"receivers\",\"worker\":\"worker1\","
	                     "\"outcome\":\"NEGOTIATION_FAILED\",\"sip_code\":488,\"times_ms\":{"
	                     "\"registered\":1},\"trace\":[%s]}",
	                     si, ri) > 0);
	free(si);
	free(ri);
	cJSON *r = report(groups, eps);
	free(eps);
	return r;
}

/* Plain RTP to a callee that requires SRTP, the codecs in common: the
 * profile, not the codecs. */
static void test_srtp_not_codecs(void **state)
{
	(void)state;
	expect(call("RTP/AVP", "0 8", "0 8", "", "sdes", "[\"PCMU\",\"PCMA\"]"),
	       "neg.srtp_mismatch", "neg.no_common_codec", "RTP/AVP (plain RTP)");
	/* Same profile on both sides, no codec in common: the codecs. */
	expect(call("RTP/AVP", "0 8", "0 8", "", "none", "[\"G722\"]"), "neg.no_common_codec",
	       "neg.srtp_mismatch", NULL);
}

/* An SBC that reorders the codecs and adds telephone-event strips nothing:
 * the failure is the codecs the callee has. */
static void test_reorder_is_not_stripping(void **state)
{
	(void)state;
	expect(call("RTP/AVP", "0 8", "8 0 101", "a=rtpmap:101 telephone-event/8000\r\n", "none",
	            "[\"G722\"]"),
	       "neg.no_common_codec", "neg.sbc_codec_stripping", "reordered the codecs");
	/* A codec gone from the set is stripping. */
	expect(call("RTP/AVP", "0 8", "8", "", "none", "[\"PCMU\"]"), "neg.sbc_codec_stripping",
	       NULL, NULL);
}

static void test_codec_sets(void **state)
{
	(void)state;
	assert_true(dx_same_codecs("opus PCMU", "PCMU opus"));
	assert_true(dx_same_codecs("PCMU PCMA", "PCMA PCMU telephone-event"));
	assert_false(dx_same_codecs("PCMU PCMA", "PCMU"));
	assert_false(dx_same_codecs("PCMU", "PCMU opus"));
	assert_true(dx_codecs_meet("opus PCMU", "G722 pcmu"));
	assert_false(dx_codecs_meet("telephone-event", "PCMU telephone-event"));
}

/* --- media: NAT facts per one-way endpoint, per transport ----------------------------- */

/* An endpoint in a call: its REGISTER's transport, the Via of its 200
 * (sent-by vs received/rport), and its packets received and sent. */
static char *media_ep(const char *user, const char *worker, const char *tp, const char *via, int rx)
{
	char text[1024], *s = NULL;
	snprintf(text, sizeof(text),
	         "SIP/2.0 200 OK\r\nVia: SIP/2.0/%s %s;branch=z9hG4bK1\r\nFrom: "
	         "<sip:%s@lab>;tag=1\r\n"
	         "To: <sip:%s@lab>\r\nCall-ID: r-%s\r\nCSeq: 2 REGISTER\r\nContent-Length: "
	         "0\r\n\r\n",
	         tp, via, user, user, user);
	cJSON *t = cJSON_CreateArray(), *m;
	cJSON_AddItemToArray(t, m = cJSON_CreateObject());
	cJSON_AddStringToObject(m, "dir", "send");
	cJSON_AddStringToObject(m, "transport", tp[0] == 'U' ? "udp" : "tcp");
	cJSON_AddStringToObject(m, "first_line", "REGISTER sip:registrar.lab SIP/2.0");
	cJSON_AddStringToObject(m, "text", "");
	cJSON_AddItemToArray(t, m = cJSON_CreateObject());
	cJSON_AddStringToObject(m, "dir", "recv");
	cJSON_AddStringToObject(m, "text", text);
	char *tr = cJSON_PrintUnformatted(t);
	cJSON_Delete(t);
	assert_true(
	        asprintf(&s,
	                 "{\"user\":\"%s\",\"group\":\"g\",\"worker\":\"%s\",\"outcome\":\"%s\","
	                 "\"target\":\"sip:x@lab\",\"times_ms\":{\"registered\":1},\"media\":{"
	                 "\"received\":{\"packets\":%d},\"sent\":{\"packets\":500}},\"trace\":%s}",
	                 user, worker, rx ? "SUCCESS" : "COMPLETED_WITH_WARNINGS", rx, tr) > 0);
	free(tr);
	return s;
}

static cJSON *media_report(char **eps, int n)
{
	char *list = join(eps, n);
	cJSON *r = report(one_group, list);
	free(list);
	return r;
}

/* worker1 behind a port-changing NAT with its audio fine; worker2 without
 * NAT, one-way: the firewall, on worker2. */
static void test_firewall_beside_nat(void **state)
{
	(void)state;
	char *eps[4];
	const char *nat = "192.168.1.2:5060;received=10.10.9.2;rport=40001";
	const char *plain = "10.20.2.2:5060;received=10.20.2.2;rport=5060";
	eps[0] = media_ep("a", "worker1", "UDP", nat, 500);
	eps[1] = media_ep("b", "worker1", "UDP", nat, 500);
	eps[2] = media_ep("c", "worker2", "UDP", plain, 0);
	eps[3] = media_ep("d", "worker2", "UDP", plain, 0);
	expect(media_report(eps, 4), "media.firewall_inbound", "media.symmetric_nat",
	       "scope: worker worker2");
}

/* A port-keeping NAT over TCP: the port differs from the Via's as every
 * TCP connection's does; not symmetric NAT. Over UDP it is. */
static void test_nat_per_transport(void **state)
{
	(void)state;
	char *eps[2];
	const char *nat = "192.168.1.2:5060;received=10.10.9.2;rport=40001";
	eps[0] = media_ep("a", "worker1", "TCP", nat, 0);
	eps[1] = media_ep("b", "worker1", "TCP", nat, 0);
	expect(media_report(eps, 2), "media.nat_private_sdp", "media.symmetric_nat",
	       "registered over TCP/TLS");
	eps[0] = media_ep("a", "worker1", "UDP", nat, 0);
	eps[1] = media_ep("b", "worker1", "UDP", nat, 0);
	expect(media_report(eps, 2), "media.symmetric_nat", NULL, NULL);
}

/* --- causality, pointers, explain ----------------------------------------------------- */

/* The receivers' registrations were refused (a rate named, 429); the
 * callers then got 480: the 480s follow from it and rank below it. */
static void test_consequence_below_cause(void **state)
{
	(void)state;
	char *eps[4];
	eps[0] = ep("r1", "receivers", "worker1", 0, "429", "");
	eps[1] = ep("r2", "receivers", "worker1", 100, "429", "");
	for (int i = 0; i < 2; i++)
		assert_true(
		        asprintf(&eps[2 + i],
		                 "{\"user\":\"c%d\",\"group\":\"callers\",\"worker\":\"worker1\","
		                 "\"outcome\":\"CALL_FAILED\",\"sip_code\":480,\"target\":"
		                 "\"sip:r%d@lab\",\"times_ms\":{\"register\":0,\"registered\":1}}",
		                 i + 1, i + 1) > 0);
	char *list = join(eps, 4);
	cJSON *r = report("{\"name\":\"callers\"},{\"name\":\"receivers\"}", list);
	free(list);
	expect(r, "reg.rate_limit", NULL, "this follows from reg.rate_limit");
}

/* Each evidence line's source is null or a JSON pointer that resolves in
 * the report; --explain names both findings. */
static void test_sources_resolve(void **state)
{
	(void)state;
	static const char *const p[] = {"ok", "ok",  "403", "403", "ok",
	                                "ok", "403", "403", "ok",  "403"};
	cJSON *rep = burst(p, NULL);
	/* Give the first failure a trace with the 403, so a pointer goes into it. */
	cJSON *e2 = cJSON_GetArrayItem(cJSON_GetObjectItem(rep, "endpoints"), 2);
	cJSON_AddItemToObject(
	        e2, "trace",
	        cJSON_Parse("[{\"dir\":\"recv\",\"text\":\"SIP/2.0 403 Forbidden\\r\\nVia: "
	                    "SIP/2.0/UDP 10.20.1.2:5060;branch=z9hG4bK1\\r\\nFrom: "
	                    "<sip:ep0003@lab>;tag=1\\r\\nTo: <sip:ep0003@lab>\\r\\nCall-ID: "
	                    "x\\r\\nCSeq: 1 REGISTER\\r\\nContent-Length: 0\\r\\n\\r\\n\"}]"));
	cJSON *d = diagnose(rep);
	const cJSON *f, *s;
	int pointers = 0;
	cJSON_ArrayForEach (f, cJSON_GetObjectItem(d, "findings")) {
		const cJSON *ev = cJSON_GetObjectItem(f, "evidence");
		const cJSON *src = cJSON_GetObjectItem(f, "sources");
		assert_int_equal(cJSON_GetArraySize(ev), cJSON_GetArraySize(src));
		assert_true(!strncmp(cJSON_GetArrayItem(ev, 0)->valuestring, "scope: ", 7));
		cJSON_ArrayForEach (s, src) {
			if (cJSON_IsNull(s))
				continue;
			/* Walk the pointer: /endpoints/N[/trace/K]. */
			int n = -1, k = -1;
			assert_true(sscanf(s->valuestring, "/endpoints/%d/trace/%d", &n, &k) >= 1);
			const cJSON *at =
			        cJSON_GetArrayItem(cJSON_GetObjectItem(rep, "endpoints"), n);
			assert_non_null(at);
			if (k >= 0)
				assert_non_null(
				        cJSON_GetArrayItem(cJSON_GetObjectItem(at, "trace"), k));
			pointers++;
		}
	}
	assert_true(pointers > 0);
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	diagnose_explain(d, m);
	fclose(m);
	if (!strstr(text, "reg.rate_limit ranks above reg.accounts_locked"))
		fail_msg("explain said: %s", text);
	assert_non_null(strstr(text, "/endpoints/2/trace/0"));
	free(text);
	cJSON_Delete(d);
	cJSON_Delete(rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_partial_403_no_burst),
	        cmocka_unit_test(test_403_in_a_burst),
	        cmocka_unit_test(test_one_worker_timeouts),
	        cmocka_unit_test(test_dns_one_group),
	        cmocka_unit_test(test_group_misconfig),
	        cmocka_unit_test(test_srtp_not_codecs),
	        cmocka_unit_test(test_reorder_is_not_stripping),
	        cmocka_unit_test(test_codec_sets),
	        cmocka_unit_test(test_firewall_beside_nat),
	        cmocka_unit_test(test_nat_per_transport),
	        cmocka_unit_test(test_consequence_below_cause),
	        cmocka_unit_test(test_sources_resolve),
	};
	return cmocka_run_group_tests_name("discrimination", tests, NULL, NULL);
}
