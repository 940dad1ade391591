/* test_alg.c — the NAT router's SIP ALG (registrar/alg.c) rewrites what an
 * inside client sends as it should and as its bug does: the top Via and the
 * Contact to its outside socket, the SDP's addresses, the Authorization's
 * uri= host to the upstream; nothing else (the Call-ID, a second Via, the
 * digest response), and Content-Length follows the body. */
#define _GNU_SOURCE
#include "harness.h"

#include "../registrar/alg.h"

static const struct alg_map map = {"192.168.1.2", 40000, "10.10.9.2", 51000, "10.10.2.2"};

static const char sdp[] = "v=0\r\no=- 1 1 IN IP4 192.168.1.2\r\ns=-\r\nc=IN IP4 192.168.1.2\r\n"
                          "t=0 0\r\nm=audio 40002 RTP/AVP 0\r\n";

static char *invite(void)
{
	char *m = NULL;
	assert_true(asprintf(&m,
	                     "INVITE sip:b@lab SIP/2.0\r\n"
	                     "Via: SIP/2.0/UDP 192.168.1.2:40000;rport;branch=z9hG4bK1\r\n"
	                     "Via: SIP/2.0/UDP 192.168.1.2:40000;branch=z9hG4bK0\r\n"
	                     "Call-ID: abc@192.168.1.2\r\n"
	                     "Contact: <sip:a@192.168.1.2:40000>\r\n"
	                     "Proxy-Authorization: Digest username=\"a\", realm=\"lab\", "
	                     "uri=\"sip:b@registrar.lab;transport=udp\", response=\"00ff\"\r\n"
	                     "Content-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s",
	                     strlen(sdp), sdp) > 0);
	return m;
}

static void test_rewrites(void **state)
{
	(void)state;
	char *in = invite(), out[4096];
	int n = alg_rewrite(in, strlen(in), &map, out, sizeof(out));
	assert_true(n > 0);
	out[n] = '\0';
	assert_non_null(strstr(out, "Via: SIP/2.0/UDP 10.10.9.2:51000;rport;branch=z9hG4bK1\r\n"));
	/* Only the top Via is the client's own. */
	assert_non_null(strstr(out, "Via: SIP/2.0/UDP 192.168.1.2:40000;branch=z9hG4bK0\r\n"));
	assert_non_null(strstr(out, "Contact: <sip:a@10.10.9.2:51000>\r\n"));
	assert_non_null(strstr(out, "Call-ID: abc@192.168.1.2\r\n"));
	/* The bug: the digest's uri= host, and the response left as it was. */
	assert_non_null(strstr(out, "uri=\"sip:b@10.10.2.2;transport=udp\", response=\"00ff\""));
	assert_non_null(strstr(out, "c=IN IP4 10.10.9.2\r\n"));
	assert_non_null(strstr(out, "o=- 1 1 IN IP4 10.10.9.2\r\n"));
	assert_null(strstr(strstr(out, "\r\n\r\n"), "192.168.1.2"));
	/* Content-Length is the new body's. */
	const char *body = strstr(out, "\r\n\r\n") + 4;
	char want[64];
	snprintf(want, sizeof(want), "Content-Length: %zu\r\n", strlen(body));
	assert_non_null(strstr(out, want));
	free(in);
}

/* An address that only starts like the client's is another one. */
static void test_whole_addresses(void **state)
{
	(void)state;
	const char msg[] = "REGISTER sip:registrar.lab SIP/2.0\r\n"
	                   "Via: SIP/2.0/UDP 192.168.1.2:40000;branch=z9hG4bK2\r\n"
	                   "Contact: <sip:a@192.168.1.23:400001>\r\nContent-Length: 0\r\n\r\n";
	char out[1024];
	int n = alg_rewrite(msg, strlen(msg), &map, out, sizeof(out));
	assert_true(n > 0);
	out[n] = '\0';
	assert_non_null(strstr(out, "Contact: <sip:a@192.168.1.23:400001>\r\n"));
	assert_non_null(strstr(out, "Content-Length: 0\r\n\r\n"));
}

/* Not SIP, or too big for out: -1, and the ALG passes it as it came. */
static void test_refused(void **state)
{
	(void)state;
	char out[64], *in = invite();
	assert_int_equal(alg_rewrite("hello", 5, &map, out, sizeof(out)), -1);
	assert_int_equal(alg_rewrite(in, strlen(in), &map, out, sizeof(out)), -1);
	free(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rewrites),
	        cmocka_unit_test(test_whole_addresses),
	        cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests_name("sip alg", tests, NULL, NULL);
}
