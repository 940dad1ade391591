/* test_tap.c — the SIP tap (sip/tap.c) pinned against the installed
 * sofia-sip: a real exchange between two sofia agents in two hosts of a lab,
 * every field of every tapped message checked from both ends; the events a
 * refused message gives; the trace of a whole run keeping its BYE past the
 * limit, with the dropped messages counted; and the registration rules
 * reading those events by kind and cause. */
#define _GNU_SOURCE
#include "labrun.h"

#include <cJSON.h>
#include <poll.h>
#include <sys/stat.h>

#include <sofia-sip/nta.h>
#include <sofia-sip/nta_stateless.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/tport_tag.h>

#include "../lib/jsonv.h"
#include "../sip/tap.h"

#define SERVER_ADDR "10.10.2.2" /* the registrar host of the standard lab */
#define CLIENT_ADDR "10.20.1.2" /* worker1 */
#define SERVER_PORT 5070
#define DEAD_PORT   5999 /* nothing listens there */

static char workdir[PATH_MAX];

/* --- both ends print what their tap saw, one JSON object a line -------------------- */

static void print_msg(void *ctx, const struct sip_tap_msg *m)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "type", "msg");
	cJSON_AddNumberToObject(o, "t_us", (double)m->t_us);
	cJSON_AddStringToObject(o, "host", m->host);
	cJSON_AddStringToObject(o, "transport", m->transport);
	cJSON_AddStringToObject(o, "local", m->local);
	cJSON_AddStringToObject(o, "peer", m->peer);
	cJSON_AddStringToObject(o, "dir", m->sent ? "send" : "recv");
	cJSON_AddStringToObject(o, "call_id", m->call_id);
	cJSON_AddStringToObject(o, "cseq_method", m->cseq_method);
	cJSON_AddNumberToObject(o, "cseq", m->cseq);
	cJSON_AddNumberToObject(o, "status", m->status);
	cJSON_AddStringToObject(o, "method", m->method);
	cJSON_AddStringToObject(o, "from_user", m->from_user);
	cJSON_AddStringToObject(o, "to_user", m->to_user);
	cJSON_AddStringToObject(o, "first_line", m->first_line);
	cJSON_AddStringToObject(o, "text", m->text);
	cJSON_AddNumberToObject(o, "len", (double)m->len);
	cJSON_AddBoolToObject(o, "parsed", m->parsed);
	char *s = cJSON_PrintUnformatted(o);
	printf("%s\n", s);
	fflush(stdout);
	free(s);
	cJSON_Delete(o);
}

static void print_event(void *ctx, const struct sip_tap_event *ev)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "type", "event");
	cJSON_AddNumberToObject(o, "t_us", (double)ev->t_us);
	cJSON_AddStringToObject(o, "host", ev->host);
	cJSON_AddStringToObject(o, "kind", ev->kind);
	cJSON_AddStringToObject(o, "cause", ev->cause);
	cJSON_AddStringToObject(o, "peer", ev->peer);
	cJSON_AddStringToObject(o, "text", ev->text);
	char *s = cJSON_PrintUnformatted(o);
	printf("%s\n", s);
	fflush(stdout);
	free(s);
	cJSON_Delete(o);
}

/* --- the server: answers every request 200, statelessly ----------------------------- */

struct server {
	su_root_t *root;
	nta_agent_t *agent;
	int answered;
};

static int server_request(nta_agent_magic_t *ctx, nta_agent_t *agent, msg_t *msg, sip_t *sip)
{
	struct server *s = (struct server *)ctx;
	if (sip->sip_request->rq_method != sip_method_ack) {
		nta_msg_treply(agent, msg, SIP_200_OK, TAG_END());
		s->answered++;
	} else {
		msg_destroy(msg);
	}
	return 0;
}

static int server_main(void *arg)
{
	(void)arg;
	struct server s = {0};
	struct sip_tap tap;
	su_init();
	sip_tap_open(&tap, NULL, print_msg, print_event, NULL);
	sip_tap_set_t0(&tap, sip_tap_now_us());
	s.root = su_root_create(NULL);
	char url[64];
	snprintf(url, sizeof(url), "sip:%s:%d", SERVER_ADDR, SERVER_PORT);
	s.agent = nta_agent_create(s.root, (url_string_t *)url, server_request,
	                           (nta_agent_magic_t *)&s, TPTAG_LOG(1), TAG_END());
	if (!s.agent)
		return 2;
	/* The addresses the agent listens on are set, not learnt. */
	sip_tap_agent_locals(&tap, s.agent);
	printf("ready\n");
	fflush(stdout);
	long long end = sys_now_ns() + 10000000000LL;
	while (s.answered < 2 && sys_now_ns() < end)
		su_root_step(s.root, 50);
	nta_agent_destroy(s.agent);
	su_root_destroy(s.root);
	sip_tap_close(&tap);
	su_deinit();
	return s.answered == 2 ? 0 : 3;
}

/* --- the client: OPTIONS by UDP and TCP, then two requests nobody takes ------------- */

static int finals;

static int client_response(nta_outgoing_magic_t *ctx, nta_outgoing_t *o, sip_t const *sip)
{
	if (!sip || sip->sip_status->st_status >= 200)
		finals++;
	return 0;
}

static int client_send(su_root_t *root, nta_leg_t *leg, const char *method_name,
                       sip_method_t method, const char *transport, int port, const char *call_id)
{
	char target[96], ruri[96];
	snprintf(target, sizeof(target), "sip:%s:%d;transport=%s", SERVER_ADDR, port, transport);
	snprintf(ruri, sizeof(ruri), "sip:bob@%s:%d", SERVER_ADDR, port);
	int before = finals;
	nta_outgoing_t *o = nta_outgoing_tcreate(
	        leg, client_response, NULL, (url_string_t *)target, method, method_name,
	        (url_string_t *)ruri, SIPTAG_CALL_ID_STR(call_id),
	        SIPTAG_FROM_STR("<sip:alice@lab>;tag=alice-tag"), SIPTAG_TO_STR("<sip:bob@lab>"),
	        SIPTAG_CSEQ_STR(!strcmp(method_name, "REGISTER") ? "7 REGISTER" : NULL), TAG_END());
	if (!o)
		return -1;
	long long end = sys_now_ns() + 10000000000LL;
	while (finals == before && sys_now_ns() < end)
		su_root_step(root, 50);
	nta_outgoing_destroy(o);
	return finals > before ? 0 : -1;
}

static int client_main(void *arg)
{
	(void)arg;
	struct sip_tap tap;
	su_init();
	sip_tap_open(&tap, NULL, print_msg, print_event, NULL);
	sip_tap_set_t0(&tap, sip_tap_now_us());
	su_root_t *root = su_root_create(NULL);
	/* Short timers: the request nobody answers ends in a second. */
	nta_agent_t *agent = nta_agent_create(root, URL_STRING_MAKE("sip:" CLIENT_ADDR ":*"), NULL,
	                                      NULL, TPTAG_LOG(1), NTATAG_SIP_T1(50),
	                                      NTATAG_SIP_T1X64(1000), TAG_END());
	nta_leg_t *leg =
	        agent ? nta_leg_tcreate(agent, NULL, NULL, NTATAG_NO_DIALOG(1), TAG_END()) : NULL;
	/* Its own addresses are left for the tap to learn (from its Via). */
	int rc = !leg ? 2
	         : client_send(root, leg, "OPTIONS", sip_method_options, "udp", SERVER_PORT,
	                       "tap-udp@test")
	                 ? 3
	         : client_send(root, leg, "OPTIONS", sip_method_options, "tcp", SERVER_PORT,
	                       "tap-tcp@test")
	                 ? 4
	         : client_send(root, leg, "REGISTER", sip_method_register, "udp", DEAD_PORT,
	                       "tap-icmp@test")
	                 ? 5
	         : client_send(root, leg, "OPTIONS", sip_method_options, "tcp", DEAD_PORT,
	                       "tap-refused@test")
	                 ? 6
	                 : 0;
	sip_tap_flush(&tap);
	if (leg)
		nta_leg_destroy(leg);
	if (agent)
		nta_agent_destroy(agent);
	su_root_destroy(root);
	sip_tap_close(&tap);
	su_deinit();
	return rc;
}

/* --- reading both ends back --------------------------------------------------------- */

/* One line from fd (blocking, at most timeout_ms). */
static int read_line(int fd, char *buf, size_t cap, int timeout_ms)
{
	size_t n = 0;
	while (n + 1 < cap) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, timeout_ms) <= 0 || read(fd, buf + n, 1) != 1)
			return -1;
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = '\0';
	return (int)n;
}

static cJSON *lines_json(char *text)
{
	cJSON *a = cJSON_CreateArray();
	char *save = NULL;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		cJSON *o = cJSON_Parse(l);
		if (o)
			cJSON_AddItemToArray(a, o);
	}
	return a;
}

static const char *js(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : "";
}

static double jnum(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

/* The first message of `dir` on call_id with `status` (0: the request). */
static const cJSON *find_msg(const cJSON *all, const char *dir, const char *call_id, int status)
{
	const cJSON *m;
	cJSON_ArrayForEach (m, all)
		if (!strcmp(js(m, "type"), "msg") && !strcmp(js(m, "dir"), dir) &&
		    !strcmp(js(m, "call_id"), call_id) && (int)jnum(m, "status") == status)
			return m;
	return NULL;
}

static const cJSON *find_event(const cJSON *all, const char *cause, const char *peer)
{
	const cJSON *m;
	cJSON_ArrayForEach (m, all)
		if (!strcmp(js(m, "type"), "event") && !strcmp(js(m, "cause"), cause) &&
		    !strcmp(js(m, "peer"), peer))
			return m;
	return NULL;
}

/* Every field of one tapped message. */
static int check_msg(const cJSON *m, const char *what, const char *host, const char *transport,
                     const char *local, const char *peer, const char *method, int status,
                     unsigned cseq)
{
	CHECK(m, "%s: not tapped", what);
	char first[96];
	if (status)
		snprintf(first, sizeof(first), "SIP/2.0 %d ", status);
	else
		snprintf(first, sizeof(first), "%s sip:bob@", method);
	char call_id_line[160];
	snprintf(call_id_line, sizeof(call_id_line), "\r\nCall-ID: %s\r\n", js(m, "call_id"));
	CHECK(!strcmp(js(m, "host"), host), "%s: host %s, not %s", what, js(m, "host"), host);
	CHECK(!strcmp(js(m, "transport"), transport), "%s: transport %s", what, js(m, "transport"));
	CHECK(!strcmp(js(m, "local"), local), "%s: local %s, not %s", what, js(m, "local"), local);
	CHECK(!strcmp(js(m, "peer"), peer), "%s: peer %s, not %s", what, js(m, "peer"), peer);
	CHECK(!strcmp(js(m, "cseq_method"), method) && (unsigned)jnum(m, "cseq") == cseq,
	      "%s: CSeq %.0f %s", what, jnum(m, "cseq"), js(m, "cseq_method"));
	CHECK(!strcmp(js(m, "method"), status ? "" : method), "%s: method %s", what,
	      js(m, "method"));
	CHECK(!strcmp(js(m, "from_user"), "alice") && !strcmp(js(m, "to_user"), "bob"),
	      "%s: from %s to %s", what, js(m, "from_user"), js(m, "to_user"));
	CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "parsed")), "%s: not parsed", what);
	CHECK(!strncmp(js(m, "first_line"), first, strlen(first)), "%s: first line %s", what,
	      js(m, "first_line"));
	CHECK(!strncmp(js(m, "text"), js(m, "first_line"), strlen(js(m, "first_line"))) &&
	              strstr(js(m, "text"), call_id_line) &&
	              (size_t)jnum(m, "len") == strlen(js(m, "text")),
	      "%s: text %s", what, js(m, "text"));
	CHECK(jnum(m, "t_us") >= 0 && jnum(m, "t_us") < 30e6, "%s: t_us %.0f", what,
	      jnum(m, "t_us"));
	return 0;
}

static int body_golden(void)
{
	struct lab lab;
	CHECK(std_lab_up(&lab) == 0, "no lab");
	int sp[2], cp[2];
	CHECK(pipe(sp) == 0 && pipe(cp) == 0, "pipe");
	struct lab_spawn_opts o = LAB_SPAWN_OPTS_INIT;
	struct lab_proc *server, *client;
	err_t e;
	o.fd_out = sp[1];
	CHECK(lab_spawn_fn(&lab, "registrar", server_main, NULL, &o, &server, &e) == 0, "%s",
	      e.msg);
	close(sp[1]);
	char line[64];
	CHECK(read_line(sp[0], line, sizeof(line), 10000) >= 0 && !strcmp(line, "ready"),
	      "the server did not start");
	o.fd_out = cp[1];
	CHECK(lab_spawn_fn(&lab, "worker1", client_main, NULL, &o, &client, &e) == 0, "%s", e.msg);
	close(cp[1]);
	static char cout[262144], sout[262144];
	read_all(cp[0], cout, sizeof(cout));
	read_all(sp[0], sout, sizeof(sout));
	close(cp[0]);
	close(sp[0]);
	struct lab_status cst, sst;
	lab_wait(&lab, client, -1, &cst);
	lab_wait(&lab, server, -1, &sst);
	lab_release(&lab, client);
	lab_release(&lab, server);
	lab_down(&lab);
	if (getenv("SIPLAB_VERBOSE"))
		fprintf(stderr, "client:\n%s\nserver:\n%s\n", cout, sout);
	CHECK(cst.exited && cst.code == 0, "client exit %d:\n%s", cst.code, cout);
	CHECK(sst.exited && sst.code == 0, "server exit %d:\n%s", sst.code, sout);
	cJSON *c = lines_json(cout), *s = lines_json(sout);

	/* The client learnt its UDP and TCP addresses from its own Via; the
	 * server saw the UDP request come from exactly there. */
	const cJSON *m = find_msg(c, "send", "tap-udp@test", 0);
	CHECK(m, "the client's UDP OPTIONS is not in its tap:\n%s", cout);
	char c_udp[96], c_tcp[96], s_udp[96], s_tcp[96];
	snprintf(c_udp, sizeof(c_udp), "%s", js(m, "local"));
	snprintf(s_udp, sizeof(s_udp), "udp/[%s]:%d", SERVER_ADDR, SERVER_PORT);
	snprintf(s_tcp, sizeof(s_tcp), "tcp/[%s]:%d", SERVER_ADDR, SERVER_PORT);
	CHECK(!strncmp(c_udp, "udp/[" CLIENT_ADDR "]:", 5 + strlen(CLIENT_ADDR) + 2) &&
	              atoi(c_udp + 5 + strlen(CLIENT_ADDR) + 2) > 0,
	      "client UDP local %s", c_udp);
	const cJSON *sm = find_msg(s, "recv", "tap-udp@test", 0);
	CHECK(sm && !strcmp(js(sm, "peer"), c_udp),
	      "the server saw the UDP OPTIONS from %s, the client says it sent from %s",
	      sm ? js(sm, "peer") : "(nothing)", c_udp);
	CHECK(!strcmp(js(sm, "text"), js(m, "text")), "UDP OPTIONS differs:\n%s\n---\n%s",
	      js(m, "text"), js(sm, "text"));
	unsigned cseq = (unsigned)jnum(m, "cseq");
	if (check_msg(m, "client send OPTIONS/udp", "worker1", "udp", c_udp, s_udp, "OPTIONS", 0,
	              cseq) ||
	    check_msg(find_msg(c, "recv", "tap-udp@test", 200), "client recv 200/udp", "worker1",
	              "udp", c_udp, s_udp, "OPTIONS", 200, cseq) ||
	    check_msg(sm, "server recv OPTIONS/udp", "registrar", "udp", s_udp, c_udp, "OPTIONS", 0,
	              cseq) ||
	    check_msg(find_msg(s, "send", "tap-udp@test", 200), "server send 200/udp", "registrar",
	              "udp", s_udp, c_udp, "OPTIONS", 200, cseq))
		return 1;

	/* TCP: the client's local is its listening address; the server sees
	 * the connection's own port. */
	m = find_msg(c, "send", "tap-tcp@test", 0);
	CHECK(m, "no TCP OPTIONS tapped:\n%s", cout);
	snprintf(c_tcp, sizeof(c_tcp), "%s", js(m, "local"));
	CHECK(!strncmp(c_tcp, "tcp/[" CLIENT_ADDR "]:", 5 + strlen(CLIENT_ADDR) + 2),
	      "client TCP local %s", c_tcp);
	sm = find_msg(s, "recv", "tap-tcp@test", 0);
	char c_conn[96];
	snprintf(c_conn, sizeof(c_conn), "%s", sm ? js(sm, "peer") : "");
	CHECK(!strncmp(c_conn, "tcp/[" CLIENT_ADDR "]:", 5 + strlen(CLIENT_ADDR) + 2),
	      "server saw TCP from %s", c_conn);
	cseq = (unsigned)jnum(m, "cseq");
	if (check_msg(m, "client send OPTIONS/tcp", "worker1", "tcp", c_tcp, s_tcp, "OPTIONS", 0,
	              cseq) ||
	    check_msg(find_msg(c, "recv", "tap-tcp@test", 200), "client recv 200/tcp", "worker1",
	              "tcp", c_tcp, s_tcp, "OPTIONS", 200, cseq) ||
	    check_msg(sm, "server recv OPTIONS/tcp", "registrar", "tcp", s_tcp, c_conn, "OPTIONS",
	              0, cseq) ||
	    check_msg(find_msg(s, "send", "tap-tcp@test", 200), "server send 200/tcp", "registrar",
	              "tcp", s_tcp, c_conn, "OPTIONS", 200, cseq))
		return 1;

	/* A REGISTER to a closed UDP port: on the wire, then refused by ICMP;
	 * the 503 nta makes up is not on the wire, so not in the tap. */
	char dead_udp[96], dead_tcp[96];
	snprintf(dead_udp, sizeof(dead_udp), "udp/[%s]:%d", SERVER_ADDR, DEAD_PORT);
	snprintf(dead_tcp, sizeof(dead_tcp), "tcp/[%s]:%d", SERVER_ADDR, DEAD_PORT);
	if (check_msg(find_msg(c, "send", "tap-icmp@test", 0), "client send REGISTER/udp",
	              "worker1", "udp", c_udp, dead_udp, "REGISTER", 0, 7))
		return 1;
	CHECK(!find_msg(c, "recv", "tap-icmp@test", 503), "a made-up 503 was tapped");
	const cJSON *ev = find_event(c, "icmp_port_unreachable", SERVER_ADDR);
	CHECK(ev && !strcmp(js(ev, "kind"), "transport_error") &&
	              !strcmp(js(ev, "host"), "worker1") && strstr(js(ev, "text"), "icmp type=3"),
	      "no ICMP port unreachable event:\n%s", cout);
	ev = find_event(c, "connection_refused", dead_udp);
	CHECK(ev && !strcmp(js(ev, "kind"), "transport_error"),
	      "no refused event for the REGISTER:\n%s", cout);
	/* A TCP connection refused: no message on the wire, one event. */
	CHECK(!find_msg(c, "send", "tap-refused@test", 0), "a message that never left was tapped");
	ev = find_event(c, "connection_refused", dead_tcp);
	CHECK(ev && !strcmp(js(ev, "kind"), "transport_error"),
	      "no refused event for the TCP connection:\n%s", cout);
	/* Nothing on either side went untapped or unparsed. */
	int n_c = 0, n_s = 0;
	cJSON_ArrayForEach (m, c)
		n_c += !strcmp(js(m, "type"), "msg");
	cJSON_ArrayForEach (m, s)
		n_s += !strcmp(js(m, "type"), "msg");
	CHECK(n_c >= 5 && n_s >= 4, "%d client and %d server messages", n_c, n_s);
	cJSON_Delete(c);
	cJSON_Delete(s);
	return 0;
}

/* --- the parser, fed by hand ---------------------------------------------------------- */

static cJSON *fed;

static void feed_msg(void *ctx, const struct sip_tap_msg *m)
{
	(void)ctx;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "type", "msg");
	cJSON_AddStringToObject(o, "local", m->local);
	cJSON_AddStringToObject(o, "call_id", m->call_id);
	cJSON_AddStringToObject(o, "text", m->text);
	cJSON_AddNumberToObject(o, "status", m->status);
	cJSON_AddItemToArray(fed, o);
}

static void feed_event(void *ctx, const struct sip_tap_event *ev)
{
	(void)ctx;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "type", "event");
	cJSON_AddStringToObject(o, "kind", ev->kind);
	cJSON_AddStringToObject(o, "cause", ev->cause);
	cJSON_AddStringToObject(o, "peer", ev->peer);
	cJSON_AddStringToObject(o, "text", ev->text);
	cJSON_AddItemToArray(fed, o);
}

#define SEP "   ------------------------------------------------------------------------\n"

/* Lines as sofia-sip 1.12 writes them, including a body line of dashes that
 * is not the separator, and the errors seen in this lab. */
static void test_feed(void **state)
{
	(void)state;
	struct sip_tap t;
	fed = cJSON_CreateArray();
	sip_tap_open(&t, "h", feed_msg, feed_event, NULL);
	/* A request received first: its Via is the peer's, not ours. */
	sip_tap_feed(&t, "recv 150 bytes from udp/[10.10.2.2]:5060 at 01:02:03.000001:\n" SEP);
	sip_tap_feed(&t, "   OPTIONS sip:a@10.20.1.2:5062 SIP/2.0\n"
	                 "   Via: SIP/2.0/UDP 10.10.2.2:5060;branch=z9hG4bK0\n"
	                 "   From: <sip:b@lab>;tag=9\n   To: <sip:a@lab>\n"
	                 "   Call-ID: c0\n   CSeq: 1 OPTIONS\n   Content-Length: 0\n   \n" SEP);
	sip_tap_feed(&t, "recv 180 bytes from udp/[10.10.2.2]:5060 at 01:02:03.000004:\n" SEP);
	sip_tap_feed(&t, "   SIP/2.0 200 OK\n   Via: SIP/2.0/UDP 10.20.1.2:5062;branch=z9hG4bK1\n"
	                 "   From: <sip:a@lab>;tag=1\n   To: <sip:a@lab>;tag=2\n"
	                 "   Call-ID: c1\n   CSeq: 2 REGISTER\n   Content-Length: 10\n   \n");
	sip_tap_feed(&t, "   --------\n");
	sip_tap_feed(&t, SEP);
	sip_tap_feed(&t, "tport_udp_error: No route to host (113) [icmp type=3 code=1]\n"
	                 "\treported by [10.10.9.1]:0\n");
	sip_tap_feed(&t, "nta: INVITE (5): Connection refused (111) with tls/[10.10.2.2]:5061\n");
	sip_tap_feed(&t, "sres: network error 110 (Connection timed out)\n");
	sip_tap_feed(&t, "tport_tls_events(0x1): TLS setup failed (handshake failure)\n");
	sip_tap_feed(&t, "nua: something else\n");
	sip_tap_close(&t);
	char *text = cJSON_PrintUnformatted(fed);
	static const char *const expect[] = {
	        "{\"type\":\"msg\",\"local\":\"\",\"call_id\":\"c0\"",
	        "{\"type\":\"msg\",\"local\":\"udp/[10.20.1.2]:5062\",\"call_id\":\"c1\","
	        "\"text\":\"SIP/2.0 200 OK\\r\\nVia: SIP/2.0/UDP "
	        "10.20.1.2:5062;branch=z9hG4bK1\\r\\n"
	        "From: <sip:a@lab>;tag=1\\r\\nTo: <sip:a@lab>;tag=2\\r\\nCall-ID: c1\\r\\n"
	        "CSeq: 2 REGISTER\\r\\nContent-Length: "
	        "10\\r\\n\\r\\n--------\\r\\n\",\"status\":200}",
	        "{\"type\":\"event\",\"kind\":\"transport_error\",\"cause\":\"icmp_host_"
	        "unreachable\","
	        "\"peer\":\"10.10.9.1\",\"text\":\"tport_udp_error: No route to host (113) [icmp "
	        "type=3 code=1]\\n\\treported by [10.10.9.1]:0\"}",
	        "{\"type\":\"event\",\"kind\":\"transport_error\",\"cause\":\"connection_refused\","
	        "\"peer\":\"tls/[10.10.2.2]:5061\"",
	        "{\"type\":\"event\",\"kind\":\"dns_error\",\"cause\":\"timeout\"",
	        "{\"type\":\"event\",\"kind\":\"tls_error\",\"cause\":\"tls_handshake\"",
	        "{\"type\":\"event\",\"kind\":\"stack\",\"cause\":\"other\",\"peer\":\"\","
	        "\"text\":\"nua: something else\"}",
	};
	for (size_t i = 0; i < sizeof(expect) / sizeof(*expect); i++)
		if (!strstr(text, expect[i]))
			fail_msg("the tap gave %s\nwithout %s", text, expect[i]);
	assert_int_equal(cJSON_GetArraySize(fed), 7);
	free(text);
	cJSON_Delete(fed);
}

/* --- whole runs ------------------------------------------------------------------------- */

static int run_scenario(const char *file, const char *report, char *out, size_t cap)
{
	char *args[] = {"siplab", "run", (char *)file, "--report", (char *)report, "--quiet", NULL};
	return siplab_capture(args, out, cap);
}

static cJSON *read_report(const char *path)
{
	char *text = NULL;
	err_t e;
	if (jv_read_file(path, &text, &e))
		return NULL;
	cJSON *r = cJSON_Parse(text);
	free(text);
	return r;
}

static const char long_call[] =
        "{\"name\":\"tap-long-call\",\"time_scale\":0.1,\"buildup_s\":2,\"call_duration_s\":10,"
        "\"groups\":[{\"name\":\"callers\",\"registrar\":\"registrar.lab\",\"transport\":\"udp\","
        "\"accounts\":{\"prefix\":\"lc\",\"count\":2,\"password\":\"lc-pw\"},"
        "\"codecs\":[\"PCMU\"],\"srtp\":\"none\",\"endpoints\":2,\"role\":\"caller\","
        "\"target\":\"callee-pool\"}]}";

/* A run whose calls outlast the trace's limit (lowered for the test, as a
 * long call at the production limit would): every caller's trace keeps its
 * registration and its BYE, and counts what was left out. */
static int body_long_call(void)
{
	char path[PATH_MAX], report[PATH_MAX];
	static char out[65536];
	snprintf(path, sizeof(path), "%s/long-call.json", workdir);
	snprintf(report, sizeof(report), "%s/long-call.report.json", workdir);
	CHECK(sys_write_file(path, long_call, strlen(long_call), 1, NULL) == 0, "write");
	setenv("SIPLAB_TRACE_KEEP", "4,3", 1);
	int rc = run_scenario(path, report, out, sizeof(out));
	unsetenv("SIPLAB_TRACE_KEEP");
	CHECK(rc == 0, "siplab run exit %d:\n%s", rc, out);
	cJSON *rep = read_report(report);
	CHECK(rep, "no report");
	const cJSON *t0 = cJSON_GetObjectItemCaseSensitive(rep, "t0");
	CHECK(cJSON_IsNumber(t0) && t0->valuedouble > 1e15, "report t0 missing");
	const cJSON *ep, *eps = cJSON_GetObjectItemCaseSensitive(rep, "endpoints");
	CHECK(cJSON_GetArraySize(eps) == 2, "%d endpoints", cJSON_GetArraySize(eps));
	cJSON_ArrayForEach (ep, eps) {
		const char *user = js(ep, "user");
		CHECK(!strcmp(js(ep, "outcome"), "SUCCESS"), "%s: %s (%s)", user, js(ep, "outcome"),
		      js(ep, "reason"));
		const cJSON *tr = cJSON_GetObjectItemCaseSensitive(ep, "trace"), *t;
		int n = cJSON_GetArraySize(tr);
		double dropped = jnum(ep, "trace_dropped");
		CHECK(n == 7 && dropped >= 2, "%s: %d kept, %.0f dropped", user, n, dropped);
		const cJSON *first = cJSON_GetArrayItem(tr, 0),
		            *bye = cJSON_GetArrayItem(tr, n - 2),
		            *ok = cJSON_GetArrayItem(tr, n - 1);
		CHECK(!strncmp(js(first, "first_line"), "REGISTER ", 9), "%s: starts with %s", user,
		      js(first, "first_line"));
		CHECK(!strncmp(js(bye, "first_line"), "BYE ", 4) && !strcmp(js(bye, "dir"), "send"),
		      "%s: the BYE is lost; next to last is %s", user, js(bye, "first_line"));
		CHECK(!strncmp(js(ok, "first_line"), "SIP/2.0 200", 11) &&
		              strstr(js(ok, "text"), " BYE\r\n"),
		      "%s: last is %s", user, js(ok, "first_line"));
		double last_us = -1;
		cJSON_ArrayForEach (t, tr) {
			CHECK(jnum(t, "t_us") >= last_us, "%s: trace out of order", user);
			last_us = jnum(t, "t_us");
			CHECK(!strcmp(js(t, "transport"), "udp") &&
			              !strncmp(js(t, "local"), "udp/[10.20.1.2]:", 16) &&
			              !strcmp(js(t, "peer"), "udp/[10.10.2.2]:5060") &&
			              *js(t, "call_id") && strstr(js(t, "text"), js(t, "call_id")),
			      "%s: entry %s local %s peer %s call-id %s", user, js(t, "first_line"),
			      js(t, "local"), js(t, "peer"), js(t, "call_id"));
		}
		/* The registration and the call have a Call-ID each. */
		CHECK(strcmp(js(first, "call_id"), js(bye, "call_id")), "%s: one Call-ID", user);
	}
	cJSON_Delete(rep);
	return 0;
}

/* ICMP port unreachable on every REGISTER: the worker reports each as an
 * event with its kind and cause, and the diagnosis reads them. */
static int body_icmp_events(void)
{
	char report[PATH_MAX];
	static char out[65536];
	snprintf(report, sizeof(report), "%s/icmp.report.json", workdir);
	int rc = run_scenario("scenarios/reg_wrong_transport.json", report, out, sizeof(out));
	CHECK(rc == 0 || rc == 1, "siplab run exit %d:\n%s", rc, out);
	cJSON *rep = read_report(report);
	CHECK(rep, "no report");
	const cJSON *w = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(rep, "workers"), 0);
	const cJSON *ev, *evs = cJSON_GetObjectItemCaseSensitive(w, "sip_stack_events");
	int icmp = 0;
	cJSON_ArrayForEach (ev, evs)
		icmp += !strcmp(js(ev, "kind"), "transport_error") &&
		        !strcmp(js(ev, "cause"), "icmp_port_unreachable") &&
		        !strcmp(js(ev, "peer"), "10.10.2.2") && jnum(ev, "t_ms") >= 0 &&
		        strstr(js(ev, "text"), "[icmp type=3 code=3]");
	/* The kernel rate-limits ICMP errors: not every REGISTER gets one. */
	CHECK(icmp >= 1, "%d ICMP port unreachable events in %s", icmp,
	      cJSON_PrintUnformatted(evs));
	CHECK(jnum(w, "sip_stack_events_dropped") == 0, "events dropped");
	cJSON_Delete(rep);
	char *dx[] = {"siplab", "diagnose", report, "--json", NULL};
	rc = siplab_capture(dx, out, sizeof(out));
	cJSON *d = cJSON_Parse(out);
	const cJSON *top = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(d, "findings"), 0);
	CHECK(!strcmp(js(top, "code"), "reg.wrong_transport"), "diagnosed %s:\n%s", js(top, "code"),
	      out);
	const cJSON *e, *evidence = cJSON_GetObjectItemCaseSensitive(top, "evidence");
	int said = 0;
	cJSON_ArrayForEach (e, evidence)
		said += cJSON_IsString(e) &&
		        strstr(e->valuestring, "icmp_port_unreachable") != NULL;
	CHECK(said, "the evidence does not name the ICMP error:\n%s", out);
	cJSON_Delete(d);
	return 0;
}

CHILD_TEST(golden)
CHILD_TEST(long_call)
CHILD_TEST(icmp_events)

int main(void)
{
	snprintf(workdir, sizeof(workdir), "/tmp/siplab-test-tap.%d", (int)getpid());
	mkdir(workdir, 0755);
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_feed),
	        cmocka_unit_test(test_golden),
	        cmocka_unit_test(test_long_call),
	        cmocka_unit_test(test_icmp_events),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	sys_rm_tree(workdir);
	return rc;
}
