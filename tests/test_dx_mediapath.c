/* test_dx_mediapath.c — the media-path rules (media.rtp_blocked,
 * media.asymmetric_nat, media.sdp_ip_mismatch, sip.alg_corruption) told
 * apart from their look-alikes on small hand-made reports: one-way audio
 * against none either way, a NAT that keeps ports with the public address
 * in the SDP against one with the private address, a proxy's NAT fix
 * against a wrong rewrite, a Via rewritten on the way against wrong
 * passwords. (The real runs are in scenarios/, run by
 * test_catalogue.) */
#define _GNU_SOURCE
#include "harness.h"

#include "../diagnose/diagnose.h"

static const char open_via[] = "10.20.1.2:5060;received=10.20.1.2;rport=5060";
static const char nat_via[] = "192.168.1.2:5060;received=10.10.9.2;rport=5060";

/* A traced message: direction, first line, text. */
static void add_msg(cJSON *trace, const char *dir, const char *first, const char *text)
{
	cJSON *m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "dir", dir);
	cJSON_AddStringToObject(m, "transport", "udp");
	cJSON_AddStringToObject(m, "first_line", first);
	cJSON_AddStringToObject(m, "text", text);
	cJSON_AddItemToArray(trace, m);
}

/* An INVITE whose SDP puts the audio at c=addr. */
static void add_invite(cJSON *trace, const char *dir, const char *from, const char *addr)
{
	char sdp[256], text[1024];
	snprintf(sdp, sizeof(sdp),
	         "v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio 40000 "
	         "RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
	         addr, addr);
	snprintf(text, sizeof(text),
	         "INVITE sip:x@lab SIP/2.0\r\nVia: SIP/2.0/UDP 10.10.2.2:5060;branch=z9hG4bK9\r\n"
	         "From: <sip:%s@lab>;tag=1\r\nTo: <sip:x@lab>\r\nCall-ID: c-%s\r\nCSeq: 1 "
	         "INVITE\r\nContent-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s",
	         from, from, strlen(sdp), sdp);
	add_msg(trace, dir, "INVITE sip:x@lab SIP/2.0", text);
}

/* One endpoint of a call: a caller (target: its callee's user) or a callee
 * (target NULL); the Via of its REGISTER's 200 (sent-by, received, rport);
 * the c= of the INVITE it sent or received ("" for none); packets it
 * received (it sent 500). */
static char *mp_ep(const char *user, const char *target, const char *via, const char *c_sent,
                   const char *c_recv, int rx)
{
	char text[1024], *s = NULL;
	snprintf(text, sizeof(text),
	         "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK1\r\nFrom: "
	         "<sip:%s@lab>;tag=1\r\nTo: <sip:%s@lab>\r\nCall-ID: r-%s\r\nCSeq: 2 "
	         "REGISTER\r\nContent-Length: 0\r\n\r\n",
	         via, user, user, user);
	cJSON *t = cJSON_CreateArray();
	add_msg(t, "send", "REGISTER sip:registrar.lab SIP/2.0", "");
	add_msg(t, "recv", "SIP/2.0 200 OK", text);
	if (*c_sent)
		add_invite(t, "send", user, c_sent);
	if (*c_recv)
		add_invite(t, "recv", "peer", c_recv);
	char *tr = cJSON_PrintUnformatted(t), tg[96] = "";
	cJSON_Delete(t);
	if (target)
		snprintf(tg, sizeof(tg), "\"target\":\"sip:%s@lab\",", target);
	assert_true(asprintf(&s,
	                     "{\"user\":\"%s\",\"group\":\"%s\",\"worker\":\"worker1\","
	                     "\"outcome\":\"%s\",%s\"times_ms\":{\"registered\":1},\"media\":{"
	                     "\"received\":{\"packets\":%d},\"sent\":{\"packets\":500}},"
	                     "\"trace\":%s}",
	                     user, target ? "callers" : "callees",
	                     rx ? "SUCCESS" : "COMPLETED_WITH_WARNINGS", tg, rx, tr) > 0);
	free(tr);
	return s;
}

/* A report of the endpoints (each freed). */
static cJSON *mp_report(char **eps, int n)
{
	size_t len = 512;
	for (int i = 0; i < n; i++)
		len += strlen(eps[i]) + 1;
	char *json = calloc(len, 1);
	strcat(json, "{\"schema_version\":2,\"test\":{\"groups\":[{\"name\":\"callers\"},{"
	             "\"name\":\"callees\"}]},\"run\":{\"status\":\"COMPLETED\"},\"workers\":[],"
	             "\"endpoints\":[");
	for (int i = 0; i < n; i++) {
		if (i)
			strcat(json, ",");
		strcat(json, eps[i]);
		free(eps[i]);
	}
	strcat(json, "],\"totals\":{}}");
	cJSON *r = cJSON_Parse(json);
	free(json);
	assert_non_null(r);
	return r;
}

/* The top code is want, banned is not among the findings, and the
 * diagnosis says evidence. */
static void expect(cJSON *rep, const char *want, const char *banned, const char *evidence)
{
	cJSON *d = diagnose(rep);
	char codes[512];
	size_t n = 0;
	const cJSON *x;
	codes[0] = '\0';
	cJSON_ArrayForEach (x, cJSON_GetObjectItem(d, "findings"))
		n += (size_t)snprintf(codes + n, sizeof(codes) - n, "%s%s", n ? " " : "",
		                      cJSON_GetObjectItem(x, "code")->valuestring);
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

/* --- media.rtp_blocked -------------------------------------------------------------- */

/* Both ends of each call received nothing, with no NAT: the range is
 * blocked, not one-way audio. */
static void test_rtp_blocked_both_ways(void **state)
{
	(void)state;
	char *eps[4];
	eps[0] = mp_ep("a1", "b1", open_via, "10.20.1.2", "", 0);
	eps[1] = mp_ep("b1", NULL, open_via, "", "10.20.1.2", 0);
	eps[2] = mp_ep("a2", "b2", open_via, "10.20.1.2", "", 0);
	eps[3] = mp_ep("b2", NULL, open_via, "", "10.20.1.2", 0);
	expect(mp_report(eps, 4), "media.rtp_blocked", NULL, "not one-way audio");
}

/* The callees hear the callers, the callers hear nothing: one-way, an
 * inbound firewall; not the range blocked. */
static void test_one_way_is_not_rtp_blocked(void **state)
{
	(void)state;
	char *eps[4];
	eps[0] = mp_ep("a1", "b1", open_via, "10.20.1.2", "", 0);
	eps[1] = mp_ep("b1", NULL, open_via, "", "10.20.1.2", 500);
	eps[2] = mp_ep("a2", "b2", open_via, "10.20.1.2", "", 0);
	eps[3] = mp_ep("b2", NULL, open_via, "", "10.20.1.2", 500);
	expect(mp_report(eps, 4), "media.firewall_inbound", "media.rtp_blocked", NULL);
}

/* Nothing either way, both ends behind a NAT that changes ports: the NAT,
 * not a blocked range. */
static void test_dead_behind_nat_is_not_rtp_blocked(void **state)
{
	(void)state;
	char *eps[2];
	const char *sym = "192.168.1.2:5060;received=10.10.9.2;rport=40001";
	eps[0] = mp_ep("a1", "b1", sym, "192.168.1.2", "", 0);
	eps[1] = mp_ep("b1", NULL, sym, "", "192.168.1.2", 0);
	expect(mp_report(eps, 2), "media.symmetric_nat", "media.rtp_blocked", NULL);
}

/* --- media.sdp_ip_mismatch ------------------------------------------------------------ */

/* The callee received the caller's offer with another c= than was sent,
 * and the caller heard nothing: the rewrite, above an inbound firewall. */
static void test_sdp_rewritten_wrong(void **state)
{
	(void)state;
	char *eps[4];
	eps[0] = mp_ep("a1", "b1", open_via, "10.20.1.2", "", 0);
	eps[1] = mp_ep("b1", NULL, open_via, "", "192.0.2.10", 500);
	eps[2] = mp_ep("a2", "b2", open_via, "10.20.1.2", "", 0);
	eps[3] = mp_ep("b2", NULL, open_via, "", "192.0.2.10", 500);
	expect(mp_report(eps, 4), "media.sdp_ip_mismatch", NULL,
	       "received that offer with c=192.0.2.10");
}

/* The same one-way calls with the offer unchanged: an inbound firewall, no
 * mismatch. */
static void test_sdp_unchanged_is_not_mismatch(void **state)
{
	(void)state;
	char *eps[2];
	eps[0] = mp_ep("a1", "b1", open_via, "10.20.1.2", "", 0);
	eps[1] = mp_ep("b1", NULL, open_via, "", "10.20.1.2", 500);
	expect(mp_report(eps, 2), "media.firewall_inbound", "media.sdp_ip_mismatch", NULL);
}

/* A proxy's NAT fix: c= rewritten to the address the registrar saw the
 * caller at (received=) is right, whatever else went wrong. */
static void test_nat_fix_is_not_mismatch(void **state)
{
	(void)state;
	char *eps[2];
	eps[0] = mp_ep("a1", "b1", nat_via, "192.168.1.2", "", 0);
	eps[1] = mp_ep("b1", NULL, open_via, "", "10.10.9.2", 500);
	cJSON *rep = mp_report(eps, 2);
	cJSON *d = diagnose(rep);
	char *text = cJSON_PrintUnformatted(d);
	if (strstr(text, "media.sdp_ip_mismatch"))
		fail_msg("a NAT fix taken for a mismatch: %s", text);
	free(text);
	cJSON_Delete(d);
	cJSON_Delete(rep);
}

/* A relay's address in the offer, audio fine both ways: nothing wrong. */
static void test_relay_rewrite_is_healthy(void **state)
{
	(void)state;
	char *eps[2];
	eps[0] = mp_ep("a1", "b1", open_via, "10.20.1.2", "", 500);
	eps[1] = mp_ep("b1", NULL, open_via, "", "10.10.2.2", 500);
	expect(mp_report(eps, 2), "healthy", NULL, NULL);
}

/* --- media.asymmetric_nat ------------------------------------------------------------- */

/* Behind a NAT that keeps ports, the far end got the public address and
 * heard the caller, the caller heard nothing: translated out, not back. */
static void test_asymmetric_nat(void **state)
{
	(void)state;
	char *eps[2];
	eps[0] = mp_ep("a1", "b1", nat_via, "192.168.1.2", "", 0);
	eps[1] = mp_ep("b1", NULL, open_via, "", "10.10.9.2", 500);
	expect(mp_report(eps, 2), "media.asymmetric_nat", "media.sdp_ip_mismatch",
	       "one direction translated, the other not");
}

/* The far end got the private address: the SDP is the cause. */
static void test_private_sdp_is_not_asymmetric(void **state)
{
	(void)state;
	char *eps[2];
	eps[0] = mp_ep("a1", "b1", nat_via, "192.168.1.2", "", 0);
	eps[1] = mp_ep("b1", NULL, open_via, "", "192.168.1.2", 500);
	expect(mp_report(eps, 2), "media.nat_private_sdp", "media.asymmetric_nat", NULL);
}

/* The public address in the SDP, but the NAT changed the port: symmetric
 * NAT, whose port no SDP can know. */
static void test_port_changed_is_not_asymmetric(void **state)
{
	(void)state;
	char *eps[2];
	const char *sym = "192.168.1.2:5060;received=10.10.9.2;rport=40001";
	eps[0] = mp_ep("a1", "b1", sym, "192.168.1.2", "", 0);
	eps[1] = mp_ep("b1", NULL, open_via, "", "10.10.9.2", 500);
	expect(mp_report(eps, 2), "media.symmetric_nat", "media.asymmetric_nat", NULL);
}

/* The far end heard nothing either: not one direction working. */
static void test_dead_both_ways_is_not_asymmetric(void **state)
{
	(void)state;
	char *eps[2];
	eps[0] = mp_ep("a1", "b1", nat_via, "192.168.1.2", "", 0);
	eps[1] = mp_ep("b1", NULL, open_via, "", "10.10.9.2", 0);
	cJSON *rep = mp_report(eps, 2);
	cJSON *d = diagnose(rep);
	char *text = cJSON_PrintUnformatted(d);
	if (strstr(text, "media.asymmetric_nat"))
		fail_msg("nothing either way taken for asymmetric NAT: %s", text);
	free(text);
	cJSON_Delete(d);
	cJSON_Delete(rep);
}

/* --- sip.alg_corruption --------------------------------------------------------------- */

/* An endpoint's registration: REGISTER sent with Via sent-by `via`, the
 * 401 answered with Via `answered` (sent-by and parameters), then the
 * credentials, and 401 again (failed) or 200. */
static char *reg_ep(const char *user, const char *group, const char *via, const char *answered,
                    int failed)
{
	char req[512], resp[512], *s = NULL;
	cJSON *t = cJSON_CreateArray();
	for (int k = 0; k < 2; k++) {
		snprintf(
		        req, sizeof(req),
		        "REGISTER sip:registrar.lab SIP/2.0\r\nVia: SIP/2.0/UDP "
		        "%s;rport;branch=z9hG4bK%d\r\n"
		        "From: <sip:%s@lab>;tag=1\r\nTo: <sip:%s@lab>\r\nCall-ID: r-%s\r\nCSeq: %d "
		        "REGISTER\r\nContent-Length: 0\r\n\r\n",
		        via, k, user, user, user, k + 1);
		add_msg(t, "send", "REGISTER sip:registrar.lab SIP/2.0", req);
		int code = k == 0 || failed ? 401 : 200;
		snprintf(
		        resp, sizeof(resp),
		        "SIP/2.0 %d %s\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK%d\r\nFrom: "
		        "<sip:%s@lab>;tag=1\r\nTo: <sip:%s@lab>;tag=2\r\nCall-ID: r-%s\r\nCSeq: %d "
		        "REGISTER\r\nContent-Length: 0\r\n\r\n",
		        code, code == 200 ? "OK" : "Unauthorized", answered, k, user, user, user,
		        k + 1);
		add_msg(t, "recv", code == 200 ? "SIP/2.0 200 OK" : "SIP/2.0 401 Unauthorized",
		        resp);
	}
	char *tr = cJSON_PrintUnformatted(t);
	cJSON_Delete(t);
	assert_true(asprintf(&s,
	                     "{\"user\":\"%s\",\"group\":\"%s\",\"worker\":\"worker1\",\"outcome\":"
	                     "\"%s\",\"sip_code\":%d,\"sip_code_source\":\"wire\",\"times_ms\":{"
	                     "\"register\":10%s}%s,\"trace\":%s}",
	                     user, group, failed ? "REGISTRATION_FAILED" : "SUCCESS",
	                     failed ? 401 : 200, failed ? "" : ",\"registered\":20",
	                     failed ? ",\"failure\":{\"kind\":\"auth_failed\",\"source\":\"wire\"}"
	                            : "",
	                     tr) > 0);
	free(tr);
	return s;
}

/* 401 after the credentials, and the Via came back rewritten: an ALG. */
static void test_alg_rewrote_via(void **state)
{
	(void)state;
	char *eps[4];
	const char *alg = "10.10.9.2:51000;rport=51000";
	eps[0] = reg_ep("a1", "callers", "192.168.1.2:40000", alg, 1);
	eps[1] = reg_ep("a2", "callers", "192.168.1.2:40002", alg, 1);
	eps[2] = reg_ep("b1", "callees", "10.20.2.2:40000", "10.20.2.2:40000;rport=40000", 0);
	eps[3] = reg_ep("b2", "callees", "10.20.2.2:40002", "10.20.2.2:40002;rport=40002", 0);
	expect(mp_report(eps, 4), "sip.alg_corruption", NULL,
	       "answered it with Via sent-by 10.10.9.2:51000");
}

/* The same 401s with the Via as sent (a NAT's received= and rport= added):
 * wrong passwords, not an ALG. */
static void test_plain_401_is_not_alg(void **state)
{
	(void)state;
	char *eps[2];
	const char *nat = "192.168.1.2:40000;received=10.10.9.2;rport=40000";
	eps[0] = reg_ep("a1", "callers", "192.168.1.2:40000", nat, 1);
	eps[1] = reg_ep("a2", "callers", "192.168.1.2:40000", nat, 1);
	expect(mp_report(eps, 2), "reg.bad_credentials", "sip.alg_corruption", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rtp_blocked_both_ways),
	        cmocka_unit_test(test_one_way_is_not_rtp_blocked),
	        cmocka_unit_test(test_dead_behind_nat_is_not_rtp_blocked),
	        cmocka_unit_test(test_sdp_rewritten_wrong),
	        cmocka_unit_test(test_sdp_unchanged_is_not_mismatch),
	        cmocka_unit_test(test_nat_fix_is_not_mismatch),
	        cmocka_unit_test(test_relay_rewrite_is_healthy),
	        cmocka_unit_test(test_asymmetric_nat),
	        cmocka_unit_test(test_private_sdp_is_not_asymmetric),
	        cmocka_unit_test(test_port_changed_is_not_asymmetric),
	        cmocka_unit_test(test_dead_both_ways_is_not_asymmetric),
	        cmocka_unit_test(test_alg_rewrote_via),
	        cmocka_unit_test(test_plain_401_is_not_alg),
	};
	return cmocka_run_group_tests_name("media path", tests, NULL, NULL);
}
