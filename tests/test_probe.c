/* test_probe.c — the registrar probes (sim/worker/regprobe.c): the target
 * read from a registrar URI, DNS queries and answers, SIP status lines, what
 * a socket error and a certificate's verify result mean, one real probe of
 * closed ports on the loopback; and the registration rules on reports whose
 * probes are written by hand, each pair of look-alikes told apart
 * (registrar down / wrong transport, TLS failure / DNS, SYN drop / DNS). */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/x509_vfy.h>
#include <sys/socket.h>

#include "../diagnose/diagnose.h"
#include "../lib/codes.h"
#include "../sim/worker/regprobe.h"

static void test_target(void **state)
{
	(void)state;
	struct rp_target t;
	assert_int_equal(regprobe_target("sip:registrar.lab;transport=udp", &t), 0);
	assert_string_equal(t.host, "registrar.lab");
	assert_int_equal(t.transport, RP_UDP);
	assert_int_equal(t.port, 0);
	assert_int_equal(regprobe_target("<sip:registrar.lab:5070;transport=tcp;lr>", &t), 0);
	assert_int_equal(t.transport, RP_TCP);
	assert_int_equal(t.port, 5070);
	assert_int_equal(regprobe_target("sips:10.10.2.2:5061", &t), 0);
	assert_int_equal(t.transport, RP_TLS);
	assert_string_equal(t.host, "10.10.2.2");
	assert_int_equal(regprobe_target("sip:ep0001@lab", &t), 0);
	assert_string_equal(t.host, "lab");
	assert_int_equal(regprobe_target("http://registrar.lab", &t), -1);
}

/* A response to q: the question echoed, QR set, rcode, and `an` A records
 * whose names point back at the question (compression). */
static size_t response(unsigned char *out, const unsigned char *q, int qlen, int rcode, int an)
{
	memcpy(out, q, (size_t)qlen);
	out[2] |= 0x80;
	out[3] = (unsigned char)rcode;
	out[7] = (unsigned char)an;
	size_t n = (size_t)qlen;
	for (int i = 0; i < an; i++) {
		const unsigned char rr[] = {0xc0, 12, 0, 1, 0,  1,  0, 0,
		                            0,    60, 0, 4, 10, 10, 2, (unsigned char)(2 + i)};
		memcpy(out + n, rr, sizeof(rr));
		n += sizeof(rr);
	}
	return n;
}

static void test_dns(void **state)
{
	(void)state;
	unsigned char q[300], r[600];
	int n = regprobe_dns_query(q, sizeof(q), 0x1234, "registrar.lab", 1);
	assert_true(n > 12);
	assert_int_equal(q[12], 9); /* "registrar" */
	assert_memory_equal(q + 13, "registrar", 9);
	assert_int_equal(regprobe_dns_query(r, sizeof(r), 1, "bad..name", 1), -1);

	struct rp_dns d;
	memset(&d, 0, sizeof(d));
	size_t len = response(r, q, n, 3, 0);
	assert_int_equal(regprobe_dns_parse(r, len, 0x1234, &d), 0);
	assert_int_equal(d.rcode, 3);
	assert_string_equal(regprobe_rcode_name(d.rcode), "NXDOMAIN");
	assert_string_equal(regprobe_rcode_name(2), "SERVFAIL");
	/* Not ours: another id, or a query rather than a response. */
	assert_int_equal(regprobe_dns_parse(r, len, 0x1235, &d), -1);
	assert_int_equal(regprobe_dns_parse(q, (size_t)n, 0x1234, &d), -1);

	/* More A records than are kept: the rest counted. */
	len = response(r, q, n, 0, RP_MAX_ADDRS + 2);
	memset(&d, 0, sizeof(d));
	assert_int_equal(regprobe_dns_parse(r, len, 0x1234, &d), 0);
	assert_int_equal(d.rcode, 0);
	assert_int_equal(d.answers, RP_MAX_ADDRS + 2);
	assert_int_equal(d.n_addr, RP_MAX_ADDRS);
	assert_int_equal(d.n_a, RP_MAX_ADDRS + 2);
	assert_string_equal(d.addr[0], "10.10.2.2");
	/* Cut short: what is whole is read, nothing beyond. */
	memset(&d, 0, sizeof(d));
	assert_int_equal(regprobe_dns_parse(r, len - 3, 0x1234, &d), 0);
	assert_int_equal(d.n_a, RP_MAX_ADDRS + 1);
}

static void test_status(void **state)
{
	(void)state;
	int st = 0;
	char why[64];
	const char *ok = "SIP/2.0 200 OK\r\nVia: x\r\n\r\n";
	assert_int_equal(regprobe_status(ok, strlen(ok), &st, why, sizeof(why)), 0);
	assert_int_equal(st, 200);
	assert_string_equal(why, "OK");
	const char *na = "SIP/2.0 405 Method Not Allowed\r\n";
	assert_int_equal(regprobe_status(na, strlen(na), &st, why, sizeof(why)), 0);
	assert_int_equal(st, 405);
	assert_string_equal(why, "Method Not Allowed");
	const char *req = "OPTIONS sip:x SIP/2.0\r\n";
	assert_int_equal(regprobe_status(req, strlen(req), &st, why, sizeof(why)), -1);
	const char *bad = "SIP/2.0 99 Low\r\n";
	assert_int_equal(regprobe_status(bad, strlen(bad), &st, why, sizeof(why)), -1);
}

static void test_tokens(void **state)
{
	(void)state;
	assert_string_equal(regprobe_errno_result(ECONNREFUSED, RP_UDP), RP_ICMP);
	assert_string_equal(regprobe_errno_result(ECONNREFUSED, RP_TCP), RP_REFUSED);
	assert_string_equal(regprobe_errno_result(ECONNREFUSED, RP_TLS), RP_REFUSED);
	assert_string_equal(regprobe_errno_result(EHOSTUNREACH, RP_TCP), RP_ICMP);
	assert_string_equal(regprobe_errno_result(ETIMEDOUT, RP_TCP), RP_SILENT);
	assert_string_equal(regprobe_errno_result(EMFILE, RP_UDP), RP_ERROR);
	assert_string_equal(regprobe_verify_token(X509_V_OK), RP_VERIFY_OK);
	assert_string_equal(regprobe_verify_token(X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN),
	                    RP_VERIFY_UNTRUSTED);
	assert_string_equal(regprobe_verify_token(X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY),
	                    RP_VERIFY_UNTRUSTED);
	assert_string_equal(regprobe_verify_token(X509_V_ERR_HOSTNAME_MISMATCH), RP_VERIFY_NAME);
	assert_string_equal(regprobe_verify_token(X509_V_ERR_CERT_HAS_EXPIRED), RP_VERIFY_EXPIRED);
	assert_string_equal(regprobe_verify_token(X509_V_ERR_CERT_REVOKED), RP_VERIFY_INVALID);
	/* Scaled with T1, and bounded both ways. */
	assert_int_equal(regprobe_budget_ms(50), 800);
	assert_int_equal(regprobe_budget_ms(1), 300);
	assert_true(regprobe_budget_ms(100000) * 3 / 2 <= RP_MAX_MS);
}

/* A port nobody listens on, on the loopback. */
static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t l = sizeof(sa);
	bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	getsockname(fd, (struct sockaddr *)&sa, &l);
	close(fd);
	return ntohs(sa.sin_port);
}

/* A real probe: closed ports answer ICMP (UDP) and a reset (TCP); an address
 * needs no DNS; an answering UDP server is "answered" with its status. */
static void test_closed_ports(void **state)
{
	(void)state;
	char uri[64];
	snprintf(uri, sizeof(uri), "sip:127.0.0.1:%d", free_port());
	struct rp_target t;
	assert_int_equal(regprobe_target(uri, &t), 0);
	t.t1_ms = 20;
	struct rp_result *r = calloc(1, sizeof(*r));
	regprobe_run(&t, r);
	assert_int_equal(r->n_dns, 0);
	assert_string_equal(r->sip[RP_UDP].result, RP_ICMP);
	assert_string_equal(r->sip[RP_TCP].result, RP_REFUSED);
	assert_string_equal(r->sip[RP_TCP].connect, RP_REFUSED);
	assert_true(r->took_ms <= r->budget_ms + 200);
	cJSON *j = regprobe_json(r);
	char *text = cJSON_PrintUnformatted(j);
	assert_non_null(strstr(text, "\"transport\":\"udp\",\"address\":\"127.0.0.1\""));
	assert_non_null(strstr(text, "\"result\":\"icmp\""));
	free(text);
	cJSON_Delete(j);
	free(r);
}

static void *answer_once(void *arg)
{
	int fd = *(int *)arg;
	char buf[2048];
	struct sockaddr_in from;
	socklen_t l = sizeof(from);
	if (recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &l) > 0) {
		const char *ans = "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";
		sendto(fd, ans, strlen(ans), 0, (struct sockaddr *)&from, l);
	}
	return NULL;
}

#include <pthread.h>
static void test_answered(void **state)
{
	(void)state;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t l = sizeof(sa);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	getsockname(fd, (struct sockaddr *)&sa, &l);
	pthread_t th;
	pthread_create(&th, NULL, answer_once, &fd);
	char uri[64];
	snprintf(uri, sizeof(uri), "sip:127.0.0.1:%d", ntohs(sa.sin_port));
	struct rp_target t;
	assert_int_equal(regprobe_target(uri, &t), 0);
	t.t1_ms = 20;
	struct rp_result *r = calloc(1, sizeof(*r));
	regprobe_run(&t, r);
	pthread_join(th, NULL);
	close(fd);
	assert_string_equal(r->sip[RP_UDP].result, RP_ANSWERED);
	assert_int_equal(r->sip[RP_UDP].status, 200);
	free(r);
}

/* --- the rules on probes written by hand ---------------------------------------- */

static const char *const dns_ok =
        "\"dns\":{\"server\":\"10.10.4.2\",\"questions\":[{\"name\":\"registrar.lab\","
        "\"type\":\"A\",\"rcode\":\"NOERROR\",\"answers\":1,\"addresses\":[\"10.10.2.2\"]}]}";

/* Ten endpoints that failed to register, none sent a REGISTER, and a worker
 * whose probes are given. */
static cJSON *probed(const char *transport, const char *dns, const char *udp, const char *tcp,
                     const char *tls)
{
	char json[8192], eps[4096] = "";
	size_t k = 0;
	for (int i = 0; i < 10; i++)
		k += (size_t)snprintf(
		        eps + k, sizeof(eps) - k,
		        "%s{\"user\":\"ep%04d\",\"group\":\"g\",\"worker\":\"worker1\","
		        "\"outcome\":\"REGISTRATION_FAILED\",\"sip_code\":503,"
		        "\"sip_code_source\":\"local\",\"times_ms\":{\"register\":%d},"
		        "\"trace\":[]}",
		        i ? "," : "", i + 1, i * 10);
	snprintf(json, sizeof(json),
	         "{\"schema_version\":2,\"test\":{},\"run\":{\"status\":\"COMPLETED\",\"reason\":"
	         "\"\",\"reason_code\":\"\"},\"workers\":[{\"name\":\"worker1\",\"status\":"
	         "\"ONLINE\",\"events\":[],\"sip_stack_events\":[],\"resources\":[],\"probes\":{"
	         "\"target\":{\"host\":\"registrar.lab\",\"transport\":\"%s\"},%s,\"sip\":["
	         "{\"transport\":\"udp\",%s},{\"transport\":\"tcp\",%s},{\"transport\":\"tls\",%s}]"
	         "}}],"
	         "\"endpoints\":[%s],\"totals\":{\"outcomes\":{}}}",
	         transport, dns, udp, tcp, tls, eps);
	cJSON *r = cJSON_Parse(json);
	assert_non_null(r);
	return r;
}

static void expect_first(cJSON *rep, const char *code, const char *not_code)
{
	cJSON *d = diagnose(rep);
	if (strcmp(diagnose_top(d), code))
		fail_msg("diagnosis %s, expected %s", diagnose_top(d), code);
	const cJSON *f;
	cJSON_ArrayForEach (f, cJSON_GetObjectItemCaseSensitive(d, "findings")) {
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(f, "code");
		if (!strcmp(c->valuestring, not_code))
			fail_msg("%s was found too, for a %s", not_code, code);
	}
	cJSON_Delete(d);
	cJSON_Delete(rep);
}

#define R(x) "\"result\":\"" x "\""

static void test_down_vs_wrong_transport(void **state)
{
	(void)state;
	/* Nothing answers anywhere (UDP's ICMP rate-limited to silence). */
	expect_first(probed("udp", dns_ok, R("silent"), R("refused"), R("refused")),
	             "reg.registrar_down", "reg.wrong_transport");
	expect_first(probed("udp", dns_ok, R("icmp"), R("refused"), R("refused")),
	             "reg.registrar_down", "reg.wrong_transport");
	/* TLS answers: the registrar runs, on another transport. */
	expect_first(
	        probed("tcp", dns_ok, R("icmp"), R("refused"), R("answered") ",\"status\":200"),
	        "reg.wrong_transport", "reg.registrar_down");
}

static void test_tls_vs_dns(void **state)
{
	(void)state;
	expect_first(probed("tls", dns_ok, R("answered"), R("answered"),
	                    R("tls_failed") ",\"tls\":{\"handshake\":\"ok\",\"verify\":"
	                                    "\"untrusted_issuer\",\"verify_text\":\"x\"}"),
	             "reg.tls_failure", "reg.dns_failure");
	/* And DNS stays DNS: NXDOMAIN, nothing to probe. */
	expect_first(
	        probed("tls",
	               "\"dns\":{\"server\":\"10.10.4.2\",\"questions\":[{\"name\":"
	               "\"registrar.lab\",\"type\":\"A\",\"rcode\":\"NXDOMAIN\",\"answers\":0}]}",
	               R("no_address"), R("no_address"), R("no_address")),
	        "reg.dns_failure", "reg.tls_failure");
	/* No answer from the DNS server at all is DNS too. */
	expect_first(probed("udp",
	                    "\"dns\":{\"server\":\"10.10.4.2\",\"questions\":[{\"name\":"
	                    "\"registrar.lab\",\"type\":\"A\",\"rcode\":\"no_answer\"}]}",
	                    R("no_address"), R("no_address"), R("no_address")),
	             "reg.dns_failure", "reg.sip_port_blocked");
}

static void test_syn_drop_vs_dns(void **state)
{
	(void)state;
	expect_first(probed("tcp", dns_ok, R("answered") ",\"status\":200",
	                    R("silent") ",\"connect\":\"silent\"",
	                    R("silent") ",\"connect\":\"silent\""),
	             "reg.sip_port_blocked", "reg.dns_failure");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_target),
	        cmocka_unit_test(test_dns),
	        cmocka_unit_test(test_status),
	        cmocka_unit_test(test_tokens),
	        cmocka_unit_test(test_closed_ports),
	        cmocka_unit_test(test_answered),
	        cmocka_unit_test(test_down_vs_wrong_transport),
	        cmocka_unit_test(test_tls_vs_dns),
	        cmocka_unit_test(test_syn_drop_vs_dns),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
