/* rules_registration.c — endpoints that did not register: all of them (DNS,
 * transport, an unreachable or silent registrar) or some (credentials, 403,
 * 404, rate limiting) — the guide's "Registration Failures".
 * Each rule is one row of the table at the end, in the guide's order. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose.h"

/* The registrations judged: those in the scope of the failures (the whole
 * test, or the one group or worker they are confined to). */
struct reg_view {
	struct dx_scope sc;
	int n; /* endpoints in the scope */
	int failed, registered, silent, unanswered, refused_icmp, retransmitted;
	int by_code[700], local_408;
	int retry_after;
	const struct dx_ep *first_failed;
};

/* The counts of the endpoints in v->sc. */
static void reg_count(const struct dx_evidence *ev, struct reg_view *v)
{
	for (int i = 0; i < ev->n; i++) {
		const struct dx_ep *e = &ev->eps[i];
		if (!dx_in_scope(&v->sc, e))
			continue;
		v->n++;
		v->registered += e->registered;
		if (strcmp(e->outcome, "REGISTRATION_FAILED"))
			continue;
		v->failed++;
		if (!v->first_failed)
			v->first_failed = e;
		/* An answer from the registrar means a REGISTER reached it, traced or not. */
		v->silent += e->reg_sent == 0 && (!e->code || e->code_local);
		v->unanswered += e->reg_sent > 0 && e->reg_answered == 0;
		v->retransmitted += e->reg_sent >= 3 && e->reg_answered == 0;
		v->refused_icmp += e->code == 503 && e->code_local;
		if (e->code > 0 && e->code < 700)
			v->by_code[e->code]++;
		v->local_408 += e->code == 408 && e->code_local;
		if (e->retry_after)
			v->retry_after = e->retry_after;
	}
}

static void reg_view(const struct dx_evidence *ev, struct reg_view *v)
{
	memset(v, 0, sizeof(*v));
	dx_scope_of(ev, dx_reg_failed, &v->sc);
	reg_count(ev, v);
}

static int all_failed_to_register(const struct dx_evidence *ev, const struct reg_view *v)
{
	(void)ev;
	return v->failed && dx_share(v->failed, v->n) >= 0.9 && v->registered == 0;
}

/* The transport and address a REGISTER went to, from its trace. */
static const char *reg_peer(const struct dx_ep *e)
{
	const cJSON *t;
	cJSON_ArrayForEach (t, cJSON_GetObjectItemCaseSensitive(e->rec, "trace")) {
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(t, "peer");
		if (cJSON_IsString(p))
			return p->valuestring;
	}
	return "?";
}

/* --- the workers' registrar probes (report: workers[].probes) -------------------- */

enum { PV_UDP, PV_TCP, PV_TLS, PV_N };
static const char *const pv_names[PV_N] = {"udp", "tcp", "tls"};

/* What the probes found, over every worker that probed: a transport counts
 * as answering when any worker got an answer on it; otherwise the first
 * worker's result stands for it. */
struct probe_view {
	int n;    /* workers that probed */
	int conf; /* the test's transport, PV_* */
	const char *host, *dns_server;
	const char *res[PV_N], *connect[PV_N];
	int status[PV_N];
	const char *handshake, *verify, *verify_text, *alert;
	const char *a_rcode; /* the A question's rcode, or "no_answer"; NULL: none asked */
	int a_addrs;
};

static const char *pv_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int pv_index(const char *name)
{
	for (int i = 0; name && i < PV_N; i++)
		if (!strcmp(name, pv_names[i]))
			return i;
	return -1;
}

static void pv_read_one(struct probe_view *v, const cJSON *p)
{
	const cJSON *q, *s;
	if (!v->n++) {
		int c = pv_index(
		        pv_str(cJSON_GetObjectItemCaseSensitive(p, "target"), "transport"));
		v->conf = c < 0 ? PV_UDP : c;
		v->host = pv_str(cJSON_GetObjectItemCaseSensitive(p, "target"), "host");
		v->dns_server = pv_str(cJSON_GetObjectItemCaseSensitive(p, "dns"), "server");
		cJSON_ArrayForEach (
		        q, cJSON_GetObjectItemCaseSensitive(
		                   cJSON_GetObjectItemCaseSensitive(p, "dns"), "questions")) {
			const char *type = pv_str(q, "type");
			if (!v->a_rcode && type && !strcmp(type, "A")) {
				v->a_rcode = pv_str(q, "rcode");
				v->a_addrs = cJSON_GetArraySize(
				        cJSON_GetObjectItemCaseSensitive(q, "addresses"));
			}
		}
	}
	cJSON_ArrayForEach (s, cJSON_GetObjectItemCaseSensitive(p, "sip")) {
		int i = pv_index(pv_str(s, "transport"));
		const char *res = pv_str(s, "result");
		/* The first worker's result, unless a later one got an answer. */
		if (i < 0 || !res ||
		    (v->res[i] && (strcmp(res, RP_ANSWERED) || !strcmp(v->res[i], RP_ANSWERED))))
			continue;
		v->res[i] = res;
		v->connect[i] = pv_str(s, "connect");
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(s, "status");
		v->status[i] = cJSON_IsNumber(st) ? st->valueint : 0;
		const cJSON *tls = cJSON_GetObjectItemCaseSensitive(s, "tls");
		if (i == PV_TLS && tls) {
			v->handshake = pv_str(tls, "handshake");
			v->verify = pv_str(tls, "verify");
			v->verify_text = pv_str(tls, "verify_text");
			v->alert = pv_str(tls, "alert");
		}
	}
}

static void pv_read(const struct dx_evidence *ev, struct probe_view *v)
{
	const cJSON *w;
	memset(v, 0, sizeof(*v));
	cJSON_ArrayForEach (w, cJSON_GetObjectItemCaseSensitive(ev->report, "workers")) {
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(w, "probes");
		if (cJSON_IsObject(p))
			pv_read_one(v, p);
	}
}

static int pv_is(const struct probe_view *v, int i, const char *token)
{
	return v->res[i] && !strcmp(v->res[i], token);
}

/* Nothing listens: an ICMP error, or a refused connection. */
static int pv_closed(const struct probe_view *v, int i)
{
	return pv_is(v, i, RP_ICMP) || pv_is(v, i, RP_REFUSED);
}

/* The registrar's name did not resolve: an error rcode, no address, or no
 * answer from the DNS server at all. */
static int pv_dns_failed(const struct probe_view *v)
{
	return v->a_rcode && (strcmp(v->a_rcode, "NOERROR") || v->a_addrs == 0);
}

/* "udp: silent, tcp: refused, tls: answered 200" */
static void pv_summary(const struct probe_view *v, char *buf, size_t cap)
{
	size_t k = 0;
	buf[0] = '\0';
	for (int i = 0; i < PV_N; i++) {
		if (!v->res[i])
			continue;
		k += (size_t)snprintf(buf + k, k < cap ? cap - k : 0, "%s%s: %s", k ? ", " : "",
		                      pv_names[i], v->res[i]);
		if (v->status[i])
			k += (size_t)snprintf(buf + k, k < cap ? cap - k : 0, " %d", v->status[i]);
	}
}

static void say_probes(struct dx_finding *f, const struct probe_view *v)
{
	char sum[160];
	pv_summary(v, sum, sizeof(sum));
	dx_say(f, "the workers' OPTIONS probes to %s (test transport %s): %s",
	       v->host ? v->host : "the registrar", pv_names[v->conf], sum);
}

static void say_dns_ok(struct dx_finding *f, const struct probe_view *v)
{
	if (v->a_rcode)
		dx_say(f,
		       "the name %s resolves: the DNS server answered its A question %s with %d "
		       "address%s",
		       v->host ? v->host : "?", v->a_rcode, v->a_addrs,
		       v->a_addrs == 1 ? "" : "es");
}

/* It worked, then it stopped: within the scope (the run, or the one group
 * or worker the failures are confined to), every endpoint that failed to
 * register started after every one that registered. The time the first
 * failure started, or -1. */
static double stopped_at(const struct dx_evidence *ev, const struct reg_view *v)
{
	double first_fail = -1, last_ok = -1;
	if (!v->failed || !v->registered)
		return -1;
	if (v->sc.kind == DX_SCOPE_AFTER)
		return v->sc.after_ms;
	if (v->sc.kind != DX_SCOPE_GROUP && v->sc.kind != DX_SCOPE_WORKER)
		return -1;
	for (int i = 0; i < ev->n; i++) {
		const struct dx_ep *e = &ev->eps[i];
		double t = e->t_register;
		if (!dx_in_scope(&v->sc, e) || t < 0)
			continue;
		if (dx_reg_failed(e) && (first_fail < 0 || t < first_fail))
			first_fail = t;
		else if (e->registered && t > last_ok)
			last_ok = t;
	}
	return first_fail >= 0 && last_ok >= 0 && last_ok < first_fail ? first_fail : -1;
}

static int stopped_answering(const struct dx_evidence *ev, const struct reg_view *v)
{
	return stopped_at(ev, v) >= 0;
}

/* What the run shows of something that stopped (what: "the registrar
 * answered, then stopped"): the time, and the failures of the endpoints
 * registered before it, which follow from it. */
static void say_stopped(const struct dx_evidence *ev, struct dx_finding *f,
                        const struct reg_view *v, const char *what)
{
	int later = 0;
	for (int i = 0; i < ev->n; i++)
		later += ev->eps[i].registered && dx_failed(&ev->eps[i]) && ev->eps[i].code_local &&
		         ev->eps[i].code == 503;
	dx_say_scope(f, &v->sc, "REGISTRATION_FAILED");
	dx_say(f,
	       "the %d endpoints that started before %.1f s registered; all %d that started "
	       "then or later REGISTRATION_FAILED: %s",
	       v->registered, stopped_at(ev, v) / 1000, v->failed, what);
	if (later)
		dx_say(f,
		       "%d endpoints registered before that failed later with a 503 made up by "
		       "their own stack (no transport to the registrar): a consequence, not a "
		       "second cause",
		       later);
}

static int m_dns(const struct dx_evidence *ev, struct dx_finding *f)
{
	struct reg_view v;
	reg_view(ev, &v);
	struct probe_view pv;
	pv_read(ev, &pv);
	int stopped = stopped_answering(ev, &v);
	if (!all_failed_to_register(ev, &v) && !stopped)
		return 0;
	/* The probes asked the DNS server themselves: only its answer (or its
	 * silence) says DNS; a name that resolves is another branch. */
	if (pv.n && pv.a_rcode) {
		if (!pv_dns_failed(&pv))
			return 0;
		if (stopped)
			say_stopped(ev, f, &v, "the name resolved, then stopped resolving");
		else
			dx_say(f, "%d of %d endpoints REGISTRATION_FAILED", v.failed, ev->n);
		if (!strcmp(pv.a_rcode, RP_DNS_NO_ANSWER))
			dx_say(f, "the workers asked the DNS server (%s) for %s: no answer came",
			       pv.dns_server ? pv.dns_server : "none found",
			       pv.host ? pv.host : "?");
		else
			dx_say(f,
			       "the workers asked the DNS server (%s) for %s: A → %s, %d address%s",
			       pv.dns_server ? pv.dns_server : "?", pv.host ? pv.host : "?",
			       pv.a_rcode, pv.a_addrs, pv.a_addrs == 1 ? "" : "es");
		if (ev->dns_events)
			dx_say(f, "the resolver reported: %s", ev->first_dns);
		return 95;
	}
	/* A refused connection means the name resolved: that is another branch. */
	if (dx_share(v.silent, v.failed) < 0.9 || ev->icmp_events)
		return 0;
	int dns_said = 0;
	for (int i = 0; i < ev->n; i++)
		dns_said += ev->eps[i].fail == EP_FAIL_DNS_FAILURE;
	dx_say(f,
	       "%d of %d endpoints REGISTRATION_FAILED, and %d of them sent no REGISTER at "
	       "all: nothing reached the wire, and nothing came back from the network",
	       v.failed, ev->n, v.silent);
	dx_say(f, "the final code was made up by the SIP stack (%d, local): %s%s",
	       v.first_failed->code, v.first_failed->reason,
	       dns_said ? " — the resolver found no address for the registrar" : "");
	if (ev->dns_events)
		dx_say(f, "the resolver reported: %s", ev->first_dns);
	return dns_said || ev->dns_events ? 95 : 80;
}

/* Every endpoint failed, and no REGISTER got any answer: sent and never
 * answered, or (TCP and TLS) the connection was refused before it could go. */
static int no_answer_common(const struct dx_evidence *ev, struct dx_finding *f,
                            const struct reg_view *v)
{
	if (!all_failed_to_register(ev, v))
		return 0;
	if (dx_share(v->unanswered, v->failed) >= 0.9) {
		dx_say(f,
		       "%d of %d endpoints REGISTRATION_FAILED; every REGISTER was sent (to %s) "
		       "and none was answered",
		       v->failed, ev->n, reg_peer(v->first_failed));
		return 1;
	}
	if (dx_share(v->silent, v->failed) >= 0.9 && ev->icmp_events) {
		dx_say(f,
		       "%d of %d endpoints REGISTRATION_FAILED; no REGISTER could be sent: the "
		       "connection to the registrar was refused %d times",
		       v->failed, ev->n, ev->icmp_events);
		return 1;
	}
	return 0;
}

/* The length of a trace peer without its port: "udp/[10.10.2.2]:5070" →
 * "udp/[10.10.2.2]", the transport and the address. */
static size_t peer_path_len(const char *peer)
{
	const char *b = strrchr(peer, ']');
	return b ? (size_t)(b - peer) + 1 : strlen(peer);
}

/* Failures confined to a group or a worker, while an endpoint elsewhere
 * registered over the same transport with the same address (on any port):
 * that transport works, so a wrong one is not what failed. */
static const struct dx_ep *registered_same_path(const struct dx_evidence *ev,
                                                const struct reg_view *v)
{
	if ((v->sc.kind != DX_SCOPE_GROUP && v->sc.kind != DX_SCOPE_WORKER) || !v->first_failed)
		return NULL;
	const char *peer = reg_peer(v->first_failed);
	size_t n = peer_path_len(peer);
	for (int i = 0; strcmp(peer, "?") && i < ev->n; i++) {
		const struct dx_ep *e = &ev->eps[i];
		const char *p = reg_peer(e);
		if (!dx_in_scope(&v->sc, e) && e->registered && peer_path_len(p) == n &&
		    !strncmp(p, peer, n))
			return e;
	}
	return NULL;
}

static int m_wrong_transport(const struct dx_evidence *ev, struct dx_finding *f)
{
	struct reg_view v;
	struct probe_view pv;
	reg_view(ev, &v);
	pv_read(ev, &pv);
	if (registered_same_path(ev, &v))
		return 0;
	if (pv.n) {
		/* The test's transport is closed (the kernel's ICMP rate limit may
		 * have hidden UDP's from the probe, not from the REGISTERs), and
		 * another one answers. */
		int c = pv.conf, other = -1;
		for (int i = 0; i < PV_N; i++)
			if (i != c && pv_is(&pv, i, RP_ANSWERED) && other < 0)
				other = i;
		int closed = pv_closed(&pv, c) || (c == PV_UDP && pv_is(&pv, c, RP_SILENT) &&
		                                   (ev->icmp_events || v.refused_icmp));
		if (!all_failed_to_register(ev, &v) || pv_dns_failed(&pv) || !closed || other < 0)
			return 0;
		dx_say(f, "%d of %d endpoints REGISTRATION_FAILED over %s", v.failed, ev->n,
		       pv_names[c]);
		say_probes(f, &pv);
		dx_say(f,
		       "nothing listens on %s, but the registrar answers over %s: it runs, on "
		       "another transport",
		       pv_names[c], pv_names[other]);
		if (ev->icmp_events)
			dx_say(f, "the network refused the REGISTERs: %s", ev->first_icmp);
		return 90;
	}
	if (!no_answer_common(ev, f, &v) || (!ev->icmp_events && !v.refused_icmp))
		return 0;
	if (ev->icmp_events)
		dx_say(f, "the network refused it: %s", ev->first_icmp);
	dx_say(f,
	       "%d endpoints ended with a 503 the stack made up (no response came from "
	       "the registrar): nothing listens on that transport and port",
	       v.refused_icmp);
	dx_say(f, "from the workers' side a registrar that is down looks the same "
	          "(reg.registrar_down, ranked below): check which transports it listens on");
	return 85;
}

static int m_registrar_down(const struct dx_evidence *ev, struct dx_finding *f)
{
	struct reg_view v;
	struct probe_view pv;
	reg_view(ev, &v);
	pv_read(ev, &pv);
	if (pv.n) {
		/* No transport answers, none is silently dropped but UDP (whose
		 * ICMP the kernel rate-limits), and at least one is refused. */
		int closed = 0, other = 0;
		for (int i = 0; i < PV_N; i++) {
			closed += pv_closed(&pv, i);
			other += !pv_closed(&pv, i) && !(i == PV_UDP && pv_is(&pv, i, RP_SILENT));
		}
		int stopped = stopped_answering(ev, &v);
		if ((!all_failed_to_register(ev, &v) && !stopped) || pv_dns_failed(&pv) ||
		    !closed || other)
			return 0;
		if (stopped)
			say_stopped(ev, f, &v, "the registrar answered, then stopped");
		else
			dx_say(f, "%d of %d endpoints REGISTRATION_FAILED", v.failed, ev->n);
		say_probes(f, &pv);
		dx_say(f, "no transport answers and the connections are refused: nothing listens "
		          "at the registrar's address, on any transport");
		say_dns_ok(f, &pv);
		return 92;
	}
	if (!no_answer_common(ev, f, &v) || (!ev->icmp_events && !v.refused_icmp))
		return 0;
	dx_say(f, "port unreachable or connection refused on the registrar's address");
	return 70;
}

static int m_port_blocked(const struct dx_evidence *ev, struct dx_finding *f)
{
	struct reg_view v;
	struct probe_view pv;
	reg_view(ev, &v);
	pv_read(ev, &pv);
	if (pv.n) {
		/* The test's transport gets silence: no answer, no ICMP, no reset. */
		int c = pv.conf;
		if (!all_failed_to_register(ev, &v) || pv_dns_failed(&pv) ||
		    !pv_is(&pv, c, RP_SILENT) ||
		    (c == PV_UDP && (ev->icmp_events || v.refused_icmp)))
			return 0;
		dx_say(f, "%d of %d endpoints REGISTRATION_FAILED over %s", v.failed, ev->n,
		       pv_names[c]);
		say_probes(f, &pv);
		if (c != PV_UDP && pv.connect[c] && !strcmp(pv.connect[c], RP_SILENT))
			dx_say(f, "the TCP connection to the registrar never opened: its SYN got "
			          "neither an answer nor a reset — something drops it on the way");
		else
			dx_say(f,
			       "%d of them retransmitted REGISTER and timed out; no ICMP error "
			       "came back: something drops the packets",
			       v.retransmitted);
		say_dns_ok(f, &pv);
		return 90;
	}
	if (!no_answer_common(ev, f, &v) || ev->icmp_events || v.refused_icmp)
		return 0;
	dx_say(f,
	       "%d of them retransmitted REGISTER and timed out (408 made up by the stack); "
	       "no ICMP error came back: something drops the packets",
	       v.retransmitted);
	return 80;
}

/* The test uses TLS, and the handshake with the registrar fails: an alert,
 * or a certificate the workers cannot verify. */
static int m_tls_failure(const struct dx_evidence *ev, struct dx_finding *f)
{
	struct reg_view v;
	struct probe_view pv;
	reg_view(ev, &v);
	pv_read(ev, &pv);
	if (!pv.n || pv.conf != PV_TLS || !all_failed_to_register(ev, &v) ||
	    !pv_is(&pv, PV_TLS, RP_TLS_FAILED))
		return 0;
	dx_say(f, "%d of %d endpoints REGISTRATION_FAILED over TLS", v.failed, ev->n);
	say_probes(f, &pv);
	/* A version refused ends the handshake before any certificate is sent:
	 * the fix is the TLS versions, not the certificate. */
	if (pv.alert && strstr(pv.alert, "version"))
		dx_say(f,
		       "the TLS handshake with the registrar failed on the version: it answered "
		       "the workers' hello (TLS 1.2 and later) with the alert %s, before any "
		       "certificate was exchanged — the registrar's TLS versions, not its "
		       "certificate",
		       pv.alert);
	else if (pv.verify && strcmp(pv.verify, RP_VERIFY_OK))
		dx_say(f,
		       "the TLS handshake with the registrar completed, but its certificate does "
		       "not verify: %s (%s)",
		       pv.verify, pv.verify_text ? pv.verify_text : "?");
	else
		dx_say(f, "the TLS handshake with the registrar failed (%s)%s%s",
		       pv.handshake ? pv.handshake : "?", pv.alert ? ": alert " : "",
		       pv.alert ? pv.alert : "");
	say_dns_ok(f, &pv);
	return 93;
}

static int m_bad_credentials(const struct dx_evidence *ev, struct dx_finding *f)
{
	struct reg_view v;
	reg_view(ev, &v);
	int rejected = 0;
	for (int i = 0; i < ev->n; i++)
		rejected += ev->eps[i].fail == EP_FAIL_AUTH_FAILED;
	if (!rejected || dx_share(rejected, v.failed) < 0.9)
		return 0;
	dx_say(f,
	       "%d of %d endpoints REGISTRATION_FAILED: challenged (401), sent credentials, "
	       "challenged again — the credentials were rejected",
	       rejected, ev->n);
	return dx_share(rejected, ev->n) >= 0.9 ? 90 : 75;
}

static int by_code(const struct dx_evidence *ev, struct dx_finding *f, int code, const char *what)
{
	struct reg_view v;
	reg_view(ev, &v);
	if (!v.failed || dx_share(v.by_code[code], v.failed) < 0.9)
		return 0;
	char at[64];
	dx_say_at(f, dx_at_msg(v.first_failed, v.first_failed->reg_answer_at, at, sizeof(at)),
	          "%d of %d endpoints REGISTRATION_FAILED with %d from the registrar: %s",
	          v.by_code[code], v.n, code, what);
	return 85;
}

/* Every endpoint refused (a rate limiter's 403 lets the first ones through). */
static int m_forbidden(const struct dx_evidence *ev, struct dx_finding *f)
{
	struct reg_view v;
	reg_view(ev, &v);
	return v.registered ? 0 : by_code(ev, f, 403, "access denied");
}

static int m_not_found(const struct dx_evidence *ev, struct dx_finding *f)
{
	return by_code(ev, f, 404, "domain or user unknown");
}

/* The registrations in the scope, in the order they started. */
static int by_start(const void *a, const void *b)
{
	const struct dx_ep *x = *(const struct dx_ep *const *)a,
	                   *y = *(const struct dx_ep *const *)b;
	return (x->t_register > y->t_register) - (x->t_register < y->t_register);
}

/* The time order of successes and failures: how many registered before the
 * first failure, and how many runs of failures each came after successes.
 * A limiter lets the first REGISTERs of each window through and refuses the
 * rest, so in a burst the failures come in runs that start again as each
 * window opens; accounts refused for who they are do not follow the clock. */
struct burst {
	int early_ok, renewed; /* runs of failures after successes */
	double span_s, first_fail_s;
	int n;
	const struct dx_ep *first_fail;
};

static void burst_of(const struct dx_evidence *ev, const struct reg_view *v, struct burst *b)
{
	memset(b, 0, sizeof(*b));
	const struct dx_ep **t = calloc((size_t)ev->n + 1, sizeof(*t));
	for (int i = 0; t && i < ev->n; i++)
		if (ev->eps[i].t_register >= 0 && dx_in_scope(&v->sc, &ev->eps[i]))
			t[b->n++] = &ev->eps[i];
	if (!t || !b->n) {
		free(t);
		return;
	}
	qsort(t, (size_t)b->n, sizeof(*t), by_start);
	b->span_s = (t[b->n - 1]->t_register - t[0]->t_register) / 1000;
	int ok_before = 0;
	for (int i = 0; i < b->n; i++) {
		int failed = dx_reg_failed(t[i]);
		if (!failed) {
			ok_before = 1;
			b->early_ok += !b->first_fail && t[i]->registered;
			continue;
		}
		if (!b->first_fail)
			b->first_fail = t[i];
		b->renewed += ok_before;
		ok_before = 0;
	}
	b->first_fail_s = b->first_fail ? b->first_fail->t_register / 1000 : 0;
	free(t);
}

static int answers_mostly_late(const struct dx_evidence *ev, const struct reg_view *v);

/* Some endpoints registered, the rest failed with the signatures of a rate
 * limit: an answer that names a rate (429, 503 with Retry-After), or 403s
 * and timeouts in the time order of a burst meeting a limit. */
static int m_rate_limit(const struct dx_evidence *ev, struct dx_finding *f)
{
	struct reg_view v;
	reg_view(ev, &v);
	/* A limiter at the registrar does not pick one worker's endpoints. */
	if (!v.failed || v.sc.kind == DX_SCOPE_WORKER)
		return 0;
	int limited =
	        v.by_code[503] - v.refused_icmp + v.by_code[429] + v.by_code[403] + v.local_408;
	int rate_said = v.by_code[429] + (v.retry_after ? v.by_code[503] - v.refused_icmp : 0);
	struct burst b;
	burst_of(ev, &v, &b);
	int named = dx_share(rate_said, v.failed) >= 0.8;
	/* A limiter lets its rate through in every window: a burst that gets
	 * one in ten or fewer through is not windows opening again. */
	int clocked = b.early_ok > 0 && b.renewed >= 2 && dx_share(v.registered, v.n) > 0.1;
	/* What a limiter lets through it answers at once; answers that come
	 * late are a registrar short of capacity (reg.registrar_overloaded). */
	if (!named && answers_mostly_late(ev, &v))
		return 0;
	if (dx_share(limited, v.failed) < 0.8 || (!named && !clocked) || (!v.registered && !named))
		return 0;
	char at[64];
	dx_say(f, "%d of %d endpoints REGISTRATION_FAILED; %d registered", v.failed, v.n,
	       v.registered);
	dx_say_at(f, b.first_fail ? dx_at_ep(b.first_fail, at, sizeof(at)) : NULL,
	          "the REGISTERs went out over %.1f s (about %.0f per second); the first %d "
	          "registered before any failure, the first failure came at %.2f s; %d runs of "
	          "failures each came after successes (the limit's window opening again)",
	          b.span_s, b.span_s > 0 ? b.n / b.span_s : (double)b.n, b.early_ok, b.first_fail_s,
	          b.renewed);
	char codes[160] = "";
	size_t k = 0;
	static const int list[] = {503, 429, 403, 408};
	for (int i = 0; i < 4; i++) {
		int c = list[i] == 503   ? v.by_code[503] - v.refused_icmp
		        : list[i] == 408 ? v.local_408
		                         : v.by_code[list[i]];
		if (c)
			k += (size_t)snprintf(codes + k, sizeof(codes) - k, "%s%d × %d%s",
			                      k ? ", " : "", c, list[i],
			                      list[i] == 408 ? " (timed out, no answer)" : "");
	}
	dx_say_at(f,
	          b.first_fail
	                  ? dx_at_msg(b.first_fail, b.first_fail->reg_answer_at, at, sizeof(at))
	                  : NULL,
	          "the failures: %s", codes);
	if (v.retry_after)
		dx_say(f, "the registrar's 503 carried Retry-After: %d", v.retry_after);
	if (!v.registered) {
		dx_say(f, "no endpoint got through this burst, but the answers name a rate limit");
		return 70;
	}
	if (named)
		return 88;
	return limited == v.local_408 ? 75 : 78;
}

/* 403 for some accounts while the others register, with no burst to blame:
 * the registrar refuses those accounts for who they are. */
static int m_accounts_locked(const struct dx_evidence *ev, struct dx_finding *f)
{
	struct reg_view v;
	reg_view(ev, &v);
	int wire403 = 0;
	const struct dx_ep *ex = NULL;
	for (int i = 0; i < ev->n; i++) {
		const struct dx_ep *e = &ev->eps[i];
		if (dx_in_scope(&v.sc, e) && dx_reg_failed(e) && e->code == 403 && !e->code_local) {
			wire403++;
			ex = ex ? ex : e;
		}
	}
	if (!v.registered || !ex || dx_share(wire403, v.failed) < 0.9)
		return 0;
	struct burst b;
	burst_of(ev, &v, &b);
	char at[64];
	dx_say_at(f, dx_at_msg(ex, ex->reg_answer_at, at, sizeof(at)),
	          "%d endpoints got 403 from the registrar to their REGISTER (%s first), while %d "
	          "others registered with the same registrar",
	          wire403, ex->user, v.registered);
	dx_say(f, "%d run(s) of failures came after successes: %s", b.renewed,
	       b.renewed >= 2 ? "a pattern a rate limit's windows also make (reg.rate_limit fits)"
	                      : "no burst signature — the refusals did not come and go with the "
	                        "rate of REGISTERs, they stayed with those accounts");
	return b.renewed >= 2 ? 60 : 82;
}

/* The name of a group's registrar as the test configured it. */
static const char *group_registrar(const struct dx_evidence *ev, const char *group)
{
	const cJSON *g;
	cJSON_ArrayForEach (
	        g, cJSON_GetObjectItemCaseSensitive(
	                   cJSON_GetObjectItemCaseSensitive(ev->report, "test"), "groups")) {
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(g, "name");
		const cJSON *r = cJSON_GetObjectItemCaseSensitive(g, "registrar");
		if (cJSON_IsString(n) && !strcmp(n->valuestring, group) && cJSON_IsString(r))
			return r->valuestring;
	}
	return "?";
}

/* What the first failed REGISTER got: a code and where it came from, or none. */
static const char *first_answer(const struct dx_ep *e, char *buf, size_t cap)
{
	if (!e->code)
		snprintf(buf, cap, "no final answer");
	else
		snprintf(buf, cap, "SIP %d, %s", e->code,
		         e->code_local ? "made up locally" : "from the registrar");
	return buf;
}

/* Failures confined to one group or one worker, when no more specific
 * cause shows: the guide's "Per-group issue" and "Worker capacity". Scored
 * low, so a cause the evidence names ranks above. */
static int confined(const struct dx_evidence *ev, struct dx_finding *f, enum dx_scope_kind kind)
{
	struct reg_view v;
	reg_view(ev, &v);
	if (v.sc.kind != kind)
		return 0;
	char at[64], how[64];
	dx_say_at(f, dx_at_msg(v.first_failed, v.first_failed->reg_answer_at, at, sizeof(at)),
	          "%d of the %d endpoints of %s %s failed to register (%s first: %s); "
	          "the %d endpoints elsewhere registered",
	          v.failed, v.n, kind == DX_SCOPE_GROUP ? "group" : "worker", v.sc.name,
	          v.first_failed->user, first_answer(v.first_failed, how, sizeof(how)),
	          v.sc.others);
	if (kind == DX_SCOPE_GROUP)
		dx_say(f, "the group registers with \"%s\"%s", group_registrar(ev, v.sc.name),
		       strcmp(group_registrar(ev, v.sc.name), "?")
		               ? ": check that group's registrar "
		                 "settings against the others'"
		               : "");
	const struct dx_ep *ok = registered_same_path(ev, &v);
	if (ok)
		dx_say(f,
		       "its REGISTERs went to %s; %s (group %s) registered through %s: the same "
		       "transport and address work",
		       reg_peer(v.first_failed), ok->user, ok->group, reg_peer(ok));
	return 55;
}

static int m_group_misconfig(const struct dx_evidence *ev, struct dx_finding *f)
{
	return confined(ev, f, DX_SCOPE_GROUP);
}

/* The longest wait between two heartbeats of a worker (ms), or of every
 * other worker when others is set; -1 without two of them. */
static double heartbeat_gap(const struct dx_evidence *ev, const char *name, int others)
{
	double gap = -1;
	const cJSON *w, *s;
	cJSON_ArrayForEach (w, cJSON_GetObjectItemCaseSensitive(ev->report, "workers")) {
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(w, "name");
		if (!cJSON_IsString(n) || !strcmp(n->valuestring, name) != !others)
			continue;
		double last = -1;
		cJSON_ArrayForEach (s, cJSON_GetObjectItemCaseSensitive(w, "resources")) {
			const cJSON *t = cJSON_GetObjectItemCaseSensitive(s, "t_ms");
			if (!cJSON_IsNumber(t))
				continue;
			if (last >= 0 && t->valuedouble - last > gap)
				gap = t->valuedouble - last;
			last = t->valuedouble;
		}
	}
	return gap;
}

/* A worker whose heartbeats come late, while it stays connected, runs its
 * event loop late: it is starved (of CPU), not cut off. Late is more than
 * twice the longest wait between the other workers' heartbeats. */
#define HEARTBEAT_LATE 2.0

static int m_worker_overloaded(const struct dx_evidence *ev, struct dx_finding *f)
{
	int score = confined(ev, f, DX_SCOPE_WORKER);
	if (!score)
		return 0;
	struct reg_view v;
	reg_view(ev, &v);
	double mine = heartbeat_gap(ev, v.sc.name, 0), others = heartbeat_gap(ev, v.sc.name, 1);
	if (mine <= 0 || others <= 0 || mine < HEARTBEAT_LATE * others)
		return score;
	dx_say(f,
	       "its heartbeats came up to %.1f s apart, the other workers' at most %.1f s: it "
	       "stayed connected but ran late — overloaded, not disconnected",
	       mine / 1000, others / 1000);
	return 65;
}

/* --- when the registrar answered: the REGISTER transactions in the traces --------- */

/* An answer that came this long (scenario time) after the last send of its
 * request was held by the registrar, not lost on the way: a request that
 * got through is answered within a round trip, and the lab's round trip, and
 * a real path's, is far shorter than half a T1. */
#define REG_LATE_MS 250.0

/* How the REGISTER transactions of some endpoints went: each request's sends
 * (the first and its retransmissions, same CSeq) and its final answer. */
struct reg_timing {
	int transactions; /* answered with a final response */
	int late;         /* of them: answered REG_LATE_MS or more after the last send */
	int after_resend; /* of them: answered after a retransmission */
	int resent_ok;    /* registered endpoints that retransmitted a REGISTER */
	int ok;           /* registered endpoints */
	double wait_sum_ms, wait_max_ms; /* first send to final answer */
};

static unsigned long trace_cseq(const cJSON *t, const char **method)
{
	const char *text = pv_str(t, "text"), *c = text ? strcasestr(text, "\nCSeq:") : NULL;
	char *end = NULL;
	unsigned long n = c ? strtoul(c + 6, &end, 10) : 0;
	*method = end ? end + strspn(end, " ") : "";
	return n;
}

/* One endpoint's REGISTER transactions, added to t. */
static void reg_timing_add(const struct dx_ep *e, struct reg_timing *t)
{
	unsigned long cur = 0;
	double first = 0, last = 0;
	int sends = 0, answered = 0;
	const cJSON *m;
	cJSON_ArrayForEach (m, cJSON_GetObjectItemCaseSensitive(e->rec, "trace")) {
		const char *line = pv_str(m, "first_line"), *dir = pv_str(m, "dir"), *method;
		const cJSON *ms = cJSON_GetObjectItemCaseSensitive(m, "t_ms");
		if (!line || !dir || !cJSON_IsNumber(ms))
			continue;
		unsigned long cseq = trace_cseq(m, &method);
		if (strncmp(method, "REGISTER", 8))
			continue;
		if (!strcmp(dir, "send") && !strncmp(line, "REGISTER ", 9)) {
			if (cseq != cur || !sends)
				first = ms->valuedouble, sends = 0, answered = 0, cur = cseq;
			last = ms->valuedouble;
			sends++;
			continue;
		}
		/* The first final answer to the request in flight. */
		if (strcmp(dir, "recv") || strncmp(line, "SIP/2.0 ", 8) || atoi(line + 8) < 200 ||
		    cseq != cur || !sends || answered)
			continue;
		answered = 1;
		t->transactions++;
		t->late += ms->valuedouble - last >= REG_LATE_MS;
		t->after_resend += sends > 1;
		double wait = ms->valuedouble - first;
		t->wait_sum_ms += wait;
		if (wait > t->wait_max_ms)
			t->wait_max_ms = wait;
	}
}

static void reg_timing_of(const struct dx_evidence *ev, const struct reg_view *v,
                          struct reg_timing *t)
{
	memset(t, 0, sizeof(*t));
	for (int i = 0; i < ev->n; i++) {
		const struct dx_ep *e = &ev->eps[i];
		if (!dx_in_scope(&v->sc, e))
			continue;
		int before = t->after_resend;
		reg_timing_add(e, t);
		if (e->registered) {
			t->ok++;
			t->resent_ok += t->after_resend > before;
		}
	}
}

/* The failures in the order the registrations started: the longest run of
 * them with no success between. A limiter refuses the tail of each window,
 * so in a burst its failures come in runs as long as the burst's excess;
 * losses at random meet only as often as their rate allows: a run of L
 * among n registrations failing at rate p comes about n·p^L times, so one
 * that chance would give less than once in a hundred runs is a burst's. */
#define RUN_CHANCE_FLOOR 0.01

static int run_is_chance(int run, int failed, int n)
{
	double p = n ? (double)failed / n : 1, expected = n;
	for (int i = 0; i < run; i++)
		expected *= p;
	return run <= 1 || expected >= RUN_CHANCE_FLOOR;
}

static int longest_failure_run(const struct dx_evidence *ev, const struct reg_view *v)
{
	const struct dx_ep **t = calloc((size_t)ev->n + 1, sizeof(*t));
	int n = 0, run = 0, longest = 0;
	for (int i = 0; t && i < ev->n; i++)
		if (ev->eps[i].t_register >= 0 && dx_in_scope(&v->sc, &ev->eps[i]))
			t[n++] = &ev->eps[i];
	if (t)
		qsort(t, (size_t)n, sizeof(*t), by_start);
	for (int i = 0; i < n; i++) {
		run = dx_reg_failed(t[i]) ? run + 1 : 0;
		longest = run > longest ? run : longest;
	}
	free(t);
	return longest;
}

/* Failures that timed out: no final answer, or the stack's own 408. */
static int timed_out(const struct dx_evidence *ev, const struct reg_view *v)
{
	int n = 0;
	for (int i = 0; i < ev->n; i++) {
		const struct dx_ep *e = &ev->eps[i];
		n += dx_in_scope(&v->sc, e) && dx_reg_failed(e) && e->reg_sent > 0 &&
		     (!e->code || (e->code == 408 && e->code_local));
	}
	return n;
}

/* Some registrations time out with no pattern by group, worker or time,
 * while most get through, and the successes' traces show retransmitted
 * REGISTERs answered as soon as one got through: packets lost on the way,
 * at random. A registrar that is slow (reg.registrar_overloaded) answers
 * late; a limiter (reg.rate_limit) refuses in runs. */
static int m_intermittent_network(const struct dx_evidence *ev, struct dx_finding *f)
{
	struct reg_view v;
	reg_view(ev, &v);
	/* A few losses may all land on one group's or one worker's endpoints by
	 * chance; a cause of that group or worker fails most of them. */
	struct dx_scope narrow = v.sc;
	int by_chance = (v.sc.kind == DX_SCOPE_GROUP || v.sc.kind == DX_SCOPE_WORKER) &&
	                dx_share(v.failed, v.n) < 0.5;
	if (by_chance) {
		memset(&v, 0, sizeof(v));
		v.sc = (struct dx_scope){.kind = DX_SCOPE_SOME, .hit = narrow.hit, .of = ev->n};
		reg_count(ev, &v);
	}
	if (v.sc.kind != DX_SCOPE_SOME || !v.failed || dx_share(v.registered, v.n) < 0.5)
		return 0;
	int timeouts = timed_out(ev, &v), run = longest_failure_run(ev, &v);
	struct reg_timing t;
	reg_timing_of(ev, &v, &t);
	if (dx_share(timeouts, v.failed) < 0.9 || !t.resent_ok || !t.transactions ||
	    dx_share(t.late, t.transactions) >= 0.2 || !run_is_chance(run, v.failed, v.n))
		return 0;
	/* (The scope line itself the diagnosis adds, as for every rule.) */
	if (by_chance)
		dx_say(f,
		       "the failures all fell on %s %s, but only %d of its %d endpoints: too few "
		       "for a cause of that %s, which would fail most of them",
		       narrow.kind == DX_SCOPE_GROUP ? "group" : "worker", narrow.name, narrow.hit,
		       narrow.of, narrow.kind == DX_SCOPE_GROUP ? "group" : "worker");
	dx_say(f,
	       "%d of %d endpoints REGISTRATION_FAILED, %d of them timed out (no answer after "
	       "the retransmissions, no error code from the registrar); %d registered",
	       v.failed, v.n, timeouts, v.registered);
	dx_say(f,
	       "%d of the %d that registered retransmitted a REGISTER on the way; of %d answered "
	       "REGISTER transactions, %d were answered only after a retransmission, and %d came "
	       "late (%.0f ms or more after the last send): the requests that got through were "
	       "answered at once",
	       t.resent_ok, t.ok, t.transactions, t.after_resend, t.late, REG_LATE_MS);
	dx_say(f,
	       "in the order the registrations started, at most %d failure%s came in a row, as "
	       "often as losses at random at this rate do: no burst signature — they did not "
	       "come in the long runs of a rate limit's",
	       run, run == 1 ? "" : "s");
	return dx_share(t.resent_ok, t.ok) >= 0.2 ? 82 : 68;
}

/* Whether the registrar's answers came late on every worker that had some:
 * a slow registrar keeps every worker waiting, while a worker starved of CPU
 * reads its own answers late and the others' come at once. */
static int answers_mostly_late(const struct dx_evidence *ev, const struct reg_view *v)
{
	struct reg_timing t;
	reg_timing_of(ev, v, &t);
	return t.transactions && dx_share(t.late, t.transactions) >= 0.3;
}

static int late_on_every_worker(const struct dx_evidence *ev, const struct reg_view *all)
{
	int judged = 0;
	for (int w = 0; w < ev->n_workers; w++) {
		struct reg_timing t = {0};
		for (int i = 0; i < ev->n; i++)
			if (ev->eps[i].worker && ev->workers[w].name &&
			    !strcmp(ev->eps[i].worker, ev->workers[w].name) &&
			    dx_in_scope(&all->sc, &ev->eps[i]))
				reg_timing_add(&ev->eps[i], &t);
		if (t.transactions < 3)
			continue;
		judged++;
		if (dx_share(t.late, t.transactions) < 0.2)
			return 0;
	}
	return judged > 0;
}

/* The guide's Step 2 (408: server overloaded): REGISTERs time out while the
 * registrar answers the others late — long after the last send, after
 * retransmissions — on every worker, and no answer names a rate. A limiter
 * (reg.rate_limit) answers or drops at once; a lossy path
 * (reg.intermittent_network) loses requests, and the ones that get through
 * are answered at once. */
static int m_registrar_overloaded(const struct dx_evidence *ev, struct dx_finding *f)
{
	struct reg_view v;
	memset(&v, 0, sizeof(v));
	/* The registrar serves every endpoint: judged over all of them. */
	dx_scope_of(ev, dx_reg_failed, &v.sc);
	struct dx_scope narrow = v.sc;
	/* Most of one worker's endpoints failing, none elsewhere: that worker
	 * (reg.worker_overloaded) — a starved worker reads its answers late too,
	 * and on a loaded machine the other's may come late as well. */
	if (narrow.kind == DX_SCOPE_WORKER && dx_share(narrow.hit, narrow.of) >= 0.5)
		return 0;
	v.sc = (struct dx_scope){.kind = DX_SCOPE_SOME, .hit = narrow.hit, .of = ev->n};
	reg_count(ev, &v);
	if (!v.failed || !v.registered)
		return 0;
	int timeouts = timed_out(ev, &v) + v.by_code[408] - v.local_408;
	int rate_said = v.by_code[429] + (v.retry_after ? v.by_code[503] - v.refused_icmp : 0);
	struct reg_timing t;
	reg_timing_of(ev, &v, &t);
	if (dx_share(timeouts, v.failed) < 0.8 || rate_said || !t.transactions ||
	    dx_share(t.late, t.transactions) < 0.3 ||
	    dx_share(t.after_resend, t.transactions) < 0.3 || !late_on_every_worker(ev, &v))
		return 0;
	dx_say(f,
	       "%d of %d endpoints REGISTRATION_FAILED, %d of them by a timeout (408); %d "
	       "registered",
	       v.failed, v.n, timeouts, v.registered);
	dx_say(f,
	       "the registrar answered late: of %d answered REGISTER transactions, %d came %.0f ms "
	       "or more after the last send of their request (the request had reached it: it was "
	       "slow to answer), %d only after retransmissions; REGISTER to final answer took "
	       "%.2f s on average, up to %.2f s",
	       t.transactions, t.late, REG_LATE_MS, t.after_resend,
	       t.wait_sum_ms / t.transactions / 1000, t.wait_max_ms / 1000);
	dx_say(f, "the answers came late on every worker, and none named a rate (no 429, no "
	          "Retry-After): a registrar short of capacity, not a limit");
	if (narrow.kind == DX_SCOPE_GROUP || narrow.kind == DX_SCOPE_WORKER ||
	    narrow.kind == DX_SCOPE_AFTER)
		dx_say(f,
		       "the failures sit %s%s: the registrations that came when the registrar was "
		       "furthest behind",
		       narrow.kind == DX_SCOPE_AFTER ? "at the end of the buildup" : "in ",
		       narrow.kind == DX_SCOPE_AFTER ? "" : narrow.name);
	return dx_share(t.late, t.transactions) >= 0.5 ? 86 : 84;
}

static int no_account(const struct dx_ep *e)
{
	return e->fail == EP_FAIL_NO_ACCOUNT;
}

/* The groups whose pools are smaller than their endpoints, as the test
 * section of the report configures them. */
static void say_pools(const struct dx_evidence *ev, struct dx_finding *f)
{
	const cJSON *g;
	int i = 0;
	cJSON_ArrayForEach (
	        g, cJSON_GetObjectItemCaseSensitive(
	                   cJSON_GetObjectItemCaseSensitive(ev->report, "test"), "groups")) {
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(g, "endpoints");
		const cJSON *acc = cJSON_GetObjectItemCaseSensitive(
		        cJSON_GetObjectItemCaseSensitive(g, "accounts"), "count");
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(g, "name");
		char at[64];
		snprintf(at, sizeof(at), "/test/groups/%d/accounts/count", i++);
		if (cJSON_IsNumber(n) && cJSON_IsNumber(acc) && acc->valueint < n->valueint)
			dx_say_at(f, at, "group %s: %d endpoints, %d SIP accounts in its pool",
			          cJSON_IsString(name) ? name->valuestring : "?", n->valueint,
			          acc->valueint);
	}
}

/* The guide: endpoints without an assigned account fail immediately, the
 * others run. The platform says which (failure.kind no_account): no
 * REGISTER left for them. */
static int m_account_shortage(const struct dx_evidence *ev, struct dx_finding *f)
{
	struct dx_scope sc;
	const struct dx_ep *ex = NULL;
	int none = 0, sent = 0;
	for (int i = 0; i < ev->n; i++)
		if (no_account(&ev->eps[i])) {
			none++;
			sent += ev->eps[i].reg_sent > 0;
			ex = ex ? ex : &ev->eps[i];
		}
	if (!none || sent)
		return 0;
	dx_scope_of(ev, no_account, &sc);
	dx_say_scope(f, &sc, "no SIP account");
	char at[64];
	dx_say_at(f, dx_at_field(ex, "failure", at, sizeof(at)),
	          "%d endpoints failed at once, before any REGISTER: the platform had no SIP "
	          "account left for them (failure no_account)",
	          none);
	say_pools(ev, f);
	return 95;
}

/* --- sip.alg_corruption: the message changed on the way ----------------------------- */

/* The registrar answers with the Via it received; a NAT adds received= and
 * rport= to it but never changes the sent-by. A sent-by that came back
 * changed was rewritten on the way, by an ALG. */
static int via_rewritten(const struct dx_ep *e)
{
	return e->reg_via_sent[0] && e->reg_via_answered[0] &&
	       strcmp(e->reg_via_sent, e->reg_via_answered);
}

static int m_alg_corruption(const struct dx_evidence *ev, struct dx_finding *f)
{
	int failed = 0, rejected = 0, rewritten = 0;
	const struct dx_ep *ex = NULL;
	for (int i = 0; i < ev->n; i++) {
		const struct dx_ep *e = &ev->eps[i];
		if (!dx_reg_failed(e))
			continue;
		failed++;
		rejected += e->fail == EP_FAIL_AUTH_FAILED;
		if (e->fail == EP_FAIL_AUTH_FAILED && via_rewritten(e)) {
			rewritten++;
			ex = ex ? ex : e;
		}
	}
	if (!ex || dx_share(rewritten, failed) < 0.5)
		return 0;
	struct dx_scope sc;
	dx_scope_of(ev, dx_reg_failed, &sc);
	dx_say_scope(f, &sc, "REGISTRATION_FAILED");
	char at[64];
	dx_say_at(f, dx_at_msg(ex, ex->reg_via_sent_at, at, sizeof(at)),
	          "%s's REGISTER left with Via sent-by %s", ex->user, ex->reg_via_sent);
	dx_say_at(f, dx_at_msg(ex, ex->reg_via_answered_at, at, sizeof(at)),
	          "the registrar answered it with Via sent-by %s: the message as received was not "
	          "the message as sent (a NAT adds received=/rport=, it does not rewrite the Via; "
	          "a SIP ALG does)",
	          ex->reg_via_answered);
	dx_say_at(f, dx_at_field(ex, "failure", at, sizeof(at)),
	          "%d of %d failed endpoints were challenged again (401) after sending their "
	          "credentials, %d of them with the Via rewritten on the way: the ALG changed "
	          "what the digest response covers",
	          rejected, failed, rewritten);
	return 95;
}

const struct dx_rule dx_rules_registration[] = {
        {"reg.dns_failure", "Registration Failures > All endpoints failed > DNS failure",
         "Make the registrar's name resolve from the workers' network (restore the record, or "
         "fix the resolver).",
         m_dns},
        {"reg.wrong_transport", "Registration Failures > All endpoints failed > Wrong transport",
         "Configure the test with the transport the registrar listens on (or open that "
         "transport on the registrar).",
         m_wrong_transport},
        {"reg.registrar_down",
         "Registration Failures > Step 3: no response > Registrar availability",
         "Start the registrar, and check it answers an OPTIONS from the workers' network.",
         m_registrar_down},
        {"reg.sip_port_blocked", "Registration Failures > Step 3: no response > Firewall rules",
         "Open the registrar's SIP port on every firewall between the workers and it.",
         m_port_blocked},
        {"reg.tls_failure",
         "Registration Failures > Step 3: no response > Transport protocol (TLS: the "
         "handshake or the certificate)",
         "Serve a certificate for the registrar's name from a CA the workers trust (and a TLS "
         "version they accept); check it with an OPTIONS over TLS from the workers' network.",
         m_tls_failure},
        {"reg.bad_credentials", "Registration Failures > Step 1: 401 Unauthorized",
         "Correct the accounts' passwords (try one endpoint first).", m_bad_credentials},
        {"reg.registrar_overloaded",
         "Registration Failures > Step 2: 408 (server overloaded or unreachable)",
         "Give the registrar the capacity the registrations need (its CPU, its workers); "
         "meanwhile a longer buildup or fewer endpoints keeps it within what it can answer.",
         m_registrar_overloaded},
        {"reg.forbidden", "Registration Failures > Step 1: 403 Forbidden",
         "Check the accounts' permissions at the registrar.", m_forbidden},
        {"reg.not_found", "Registration Failures > Step 1: 404 Not Found",
         "Correct the domain or the user names.", m_not_found},
        {"reg.account_shortage",
         "Some Endpoints Failed > SIP account shortage (Step 4: SIP account availability)",
         "Give the group at least as many SIP accounts as endpoints, or fewer endpoints.",
         m_account_shortage},
        {"reg.rate_limit", "Some Endpoints Failed > Rate limiting (Registration Burst Load)",
         "Lengthen the buildup so REGISTERs stay under the registrar's rate (or raise its "
         "limit).",
         m_rate_limit},
        {"reg.accounts_locked", "Registration Failures > Step 4: accounts locked or disabled",
         "Unlock (enable) the refused accounts at the registrar, or take them out of the "
         "test's pool.",
         m_accounts_locked},
        {"reg.group_misconfig", "Some Endpoints Failed > Per-group issue",
         "Fix that group's registrar settings (name, transport, domain, accounts): the other "
         "groups show what works.",
         m_group_misconfig},
        {"reg.worker_overloaded", "Some Endpoints Failed > Worker capacity",
         "Spread the endpoints over more workers, and check that worker's resources and its "
         "network path to the registrar.",
         m_worker_overloaded},
        {"reg.intermittent_network", "Some Endpoints Failed > Intermittent network",
         "Fix the path between the workers and the registrar: find where packets are lost "
         "(retransmissions in the traces show it) and repair that link or device.",
         m_intermittent_network},
        {"sip.alg_corruption", "Firewall and NAT Troubleshooting > SIP ALG Can Cause Problems",
         "Disable SIP ALG on the router in front of the workers (it rewrites the messages "
         "and breaks digest authentication); NAT needs no help from it.",
         m_alg_corruption},
        {NULL},
};
