/* test_dx_registration.c — registration failures told apart on small reports
 * written by hand (milliseconds, no lab), by when the registrar answered:
 * losses at random on the path (timeouts scattered, the retransmitted
 * requests answered at once) against a registrar too slow to answer (late
 * answers on every worker, the tail of the buildup timing out), a few losses
 * that fall on one worker by chance, one worker's failures that are not the
 * registrar's, and a TLS handshake refused on the
 * version rather than the certificate. (The same from real runs: the
 * scenarios reg_intermittent_network, reg_registrar_overloaded and
 * reg_tls_failure_version.) */
#define _GNU_SOURCE
#include "harness.h"

#include "../diagnose/diagnose.h"

/* A report with two workers, one group, these endpoints (a JSON list) and
 * the workers' probes (a JSON object or "null"). */
static cJSON *report(const char *endpoints, const char *probes)
{
	char *json = NULL;
	assert_true(asprintf(&json,
	                     "{\"schema_version\":2,\"test\":{\"groups\":[{\"name\":\"g\","
	                     "\"registrar\":\"registrar.lab\"}]},\"run\":{\"status\":"
	                     "\"COMPLETED\"},\"workers\":[{\"name\":\"worker1\",\"probes\":%s},"
	                     "{\"name\":\"worker2\",\"probes\":%s}],\"endpoints\":[%s],"
	                     "\"totals\":{}}",
	                     probes, probes, endpoints) > 0);
	cJSON *r = cJSON_Parse(json);
	free(json);
	assert_non_null(r);
	return r;
}

/* One traced REGISTER (or its answer), readable by sofia-sip's parser. */
static size_t msg(char *buf, size_t cap, int t, int send, int cseq, const char *status)
{
	char first[64], text[512];
	if (send)
		snprintf(first, sizeof(first), "REGISTER sip:registrar.lab SIP/2.0");
	else
		snprintf(first, sizeof(first), "SIP/2.0 %s", status);
	snprintf(text, sizeof(text),
	         "%s\\r\\nVia: SIP/2.0/UDP 10.20.1.2:5060;branch=z9hG4bK%d\\r\\nFrom: "
	         "<sip:u@lab>;tag=1\\r\\nTo: <sip:u@lab>\\r\\nCall-ID: c\\r\\nCSeq: %d "
	         "REGISTER\\r\\nContent-Length: 0\\r\\n\\r\\n",
	         first, cseq, cseq);
	return (size_t)snprintf(buf, cap,
	                        "{\"t_ms\":%d,\"dir\":\"%s\",\"transport\":\"udp\",\"peer\":"
	                        "\"udp/[10.10.2.2]:5060\",\"first_line\":\"%s\",\"text\":\"%s\"}",
	                        t, send ? "send" : "recv", first, text);
}

/* One endpoint whose REGISTER went out at t and was sent `sends` times, 500
 * ms apart; answered (200) lag ms after its last send, or (lag < 0) never,
 * ending in the stack's own 408. */
static char *ep(int i, const char *worker, int t, int sends, int lag)
{
	char trace[8192], *s = NULL;
	size_t k = 0;
	trace[k++] = '[';
	for (int n = 0; n < sends; n++) {
		k += n ? (size_t)snprintf(trace + k, sizeof(trace) - k, ",") : 0;
		k += msg(trace + k, sizeof(trace) - k, t + 500 * n, 1, 1, "");
	}
	if (lag >= 0) {
		k += (size_t)snprintf(trace + k, sizeof(trace) - k, ",");
		k += msg(trace + k, sizeof(trace) - k, t + 500 * (sends - 1) + lag, 0, 1, "200 OK");
	}
	snprintf(trace + k, sizeof(trace) - k, "]");
	int ok = lag >= 0;
	assert_true(asprintf(&s,
	                     "{\"user\":\"ep%04d\",\"group\":\"g\",\"worker\":\"%s\",\"outcome\":"
	                     "\"%s\",\"sip_code\":%d,\"sip_code_source\":\"%s\",\"times_ms\":{"
	                     "\"register\":%d%s},\"trace\":%s}",
	                     i + 1, worker, ok ? "SUCCESS" : "REGISTRATION_FAILED", ok ? 200 : 408,
	                     ok ? "wire" : "local", t, ok ? ",\"registered\":1" : "", trace) > 0);
	return s;
}

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

/* The top code is want; banned is not among the findings; the evidence has
 * the text said. */
static void expect(cJSON *rep, const char *want, const char *banned, const char *said)
{
	cJSON *d = diagnose(rep);
	char *text = cJSON_PrintUnformatted(d);
	if (strcmp(diagnose_top(d), want))
		fail_msg("diagnosis %s, expected %s: %s", diagnose_top(d), want, text);
	const cJSON *x;
	cJSON_ArrayForEach (x, cJSON_GetObjectItem(d, "findings"))
		if (banned && !strcmp(cJSON_GetObjectItem(x, "code")->valuestring, banned))
			fail_msg("%s is among the findings: %s", banned, text);
	if (said && !strstr(text, said))
		fail_msg("no \"%s\" in %s", said, text);
	free(text);
	cJSON_Delete(d);
	cJSON_Delete(rep);
}

#define N 20

/* Registrations on two workers in turn, 100 ms apart; fails(i) says which
 * time out, each success is sent `sends` times and answered lag ms after its
 * last send. */
static cJSON *registrations(int (*fails)(int), int sends, int lag)
{
	char *eps[N];
	for (int i = 0; i < N; i++)
		eps[i] = ep(i, i % 2 ? "worker2" : "worker1", 100 * i, fails(i) ? 7 : sends,
		            fails(i) ? -1 : lag);
	char *list = join(eps, N);
	cJSON *r = report(list, "null");
	free(list);
	return r;
}

static int scattered(int i)
{
	return i == 3 || i == 10 || i == 16;
}

static int tail(int i)
{
	return i >= 15;
}

/* Lost at random: a few time out here and there on both workers, the others
 * got through after retransmissions and were answered as soon as one did. */
static void test_losses_scattered(void **state)
{
	(void)state;
	expect(registrations(scattered, 3, 0), "reg.intermittent_network",
	       "reg.registrar_overloaded", "no burst signature");
}

/* The same failures, but every success answered two seconds after its last
 * send: the registrar held them — slow, not a lossy path. */
static void test_late_answers(void **state)
{
	(void)state;
	expect(registrations(scattered, 3, 2000), "reg.registrar_overloaded",
	       "reg.intermittent_network", "answered late");
}

/* A registrar falling behind: the tail of the buildup times out, every
 * answer before it late; said where the failures sit. */
static void test_overloaded_tail(void **state)
{
	(void)state;
	expect(registrations(tail, 4, 1500), "reg.registrar_overloaded", "reg.intermittent_network",
	       "furthest behind");
}

/* Answers at once with no retransmission: nothing was lost, nothing late;
 * neither cause is named. */
static void test_prompt_answers_neither(void **state)
{
	(void)state;
	cJSON *r = registrations(scattered, 1, 0);
	cJSON *d = diagnose(r);
	char *text = cJSON_PrintUnformatted(d);
	if (strstr(text, "reg.intermittent_network") || strstr(text, "reg.registrar_overloaded"))
		fail_msg("a cause without its evidence: %s", text);
	free(text);
	cJSON_Delete(d);
	cJSON_Delete(r);
}

static int on_worker2(int i)
{
	return i % 2;
}

/* Every endpoint of worker2 failed, worker1's answered late: that worker's
 * trouble (a starved worker, a loaded machine), not the registrar's. */
static void test_one_worker_not_the_registrar(void **state)
{
	(void)state;
	cJSON *r = registrations(on_worker2, 3, 2000);
	cJSON *d = diagnose(r);
	char *text = cJSON_PrintUnformatted(d);
	if (strstr(text, "reg.registrar_overloaded"))
		fail_msg("one worker's failures blamed on the registrar: %s", text);
	free(text);
	cJSON_Delete(d);
	cJSON_Delete(r);
}

static int two_on_worker2(int i)
{
	return i == 5 || i == 13;
}

/* Two losses that both fell on worker2 (2 of its 10): chance, not that
 * worker — said so. */
static void test_losses_on_one_worker_by_chance(void **state)
{
	(void)state;
	expect(registrations(two_on_worker2, 3, 0), "reg.intermittent_network", NULL,
	       "the failures all fell on worker worker2, but only 2 of its 10");
}

/* Every endpoint failed over TLS; the probes say how the handshake ended. */
static cJSON *tls_failed(const char *tls)
{
	char *eps[4], probes[512];
	for (int i = 0; i < 4; i++)
		eps[i] = ep(i, "worker1", 100 * i, 0, -1);
	snprintf(probes, sizeof(probes),
	         "{\"target\":{\"transport\":\"tls\",\"host\":\"registrar.lab\"},\"sip\":["
	         "{\"transport\":\"udp\",\"result\":\"answered\",\"status\":200},"
	         "{\"transport\":\"tls\",\"result\":\"tls_failed\",\"connect\":\"connected\","
	         "\"tls\":%s}]}",
	         tls);
	char *list = join(eps, 4);
	cJSON *r = report(list, probes);
	free(list);
	return r;
}

/* The registrar refused the workers' versions: the version, not the
 * certificate (issue 11). */
static void test_tls_version(void **state)
{
	(void)state;
	expect(tls_failed("{\"handshake\":\"failed\",\"alert\":\"protocol_version\"}"),
	       "reg.tls_failure", NULL, "not its certificate");
}

/* A certificate that does not verify: the certificate, not the version. */
static void test_tls_certificate(void **state)
{
	(void)state;
	cJSON *r = tls_failed("{\"handshake\":\"ok\",\"verify\":\"untrusted_issuer\","
	                      "\"verify_text\":\"self-signed certificate in certificate chain\"}");
	cJSON *d = diagnose(r);
	char *text = cJSON_PrintUnformatted(d);
	assert_string_equal(diagnose_top(d), "reg.tls_failure");
	if (!strstr(text, "certificate does not verify") || strstr(text, "on the version"))
		fail_msg("%s", text);
	free(text);
	cJSON_Delete(d);
	cJSON_Delete(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_losses_scattered),
	        cmocka_unit_test(test_late_answers),
	        cmocka_unit_test(test_overloaded_tail),
	        cmocka_unit_test(test_prompt_answers_neither),
	        cmocka_unit_test(test_losses_on_one_worker_by_chance),
	        cmocka_unit_test(test_one_worker_not_the_registrar),
	        cmocka_unit_test(test_tls_version),
	        cmocka_unit_test(test_tls_certificate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
