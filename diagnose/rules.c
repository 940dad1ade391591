/* rules.c — the diagnosis rules, one entry each, in the order of the failure
 * guide ("Common Test Failures"): the run did not start (CANNOT_RUN_FOR_NOW),
 * it failed (a worker), registration (all endpoints, then some), call setup,
 * media. Each rule reads only the evidence of the report, says what it saw in
 * sentences with numbers, and scores how well that fits. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose.h"

static double share(int a, int b)
{
	return b ? (double)a / b : 0;
}

/* --- the run did not start --------------------------------------------------------- */

static int preflight(const struct dx_evidence *ev, struct dx_finding *f, const char *needle)
{
	if (strcmp(ev->status, "CANNOT_RUN_FOR_NOW") || !strstr(ev->reason, needle))
		return 0;
	dx_say(f, "the run ended CANNOT_RUN_FOR_NOW at pre-flight: %s; no SIP traffic was made",
	       ev->reason);
	return 95;
}

static int m_endpoint_limit(const struct dx_evidence *ev, struct dx_finding *f)
{
	return preflight(ev, f, "the plan allows");
}

static int m_credits(const struct dx_evidence *ev, struct dx_finding *f)
{
	return preflight(ev, f, "credits exhausted");
}

static int m_busy(const struct dx_evidence *ev, struct dx_finding *f)
{
	return preflight(ev, f, "busy with another run");
}

static int m_accounts(const struct dx_evidence *ev, struct dx_finding *f)
{
	return preflight(ev, f, "not enough SIP accounts");
}

static void list_workers(const struct dx_evidence *ev, struct dx_finding *f)
{
	char line[300] = "";
	size_t n = 0;
	for (int i = 0; i < ev->n_workers && n < sizeof(line); i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s %s", i ? ", " : "",
		                      ev->workers[i].name, ev->workers[i].status);
	dx_say(f, "workers known to the gateway: %s", ev->n_workers ? line : "none");
}

static int m_no_workers(const struct dx_evidence *ev, struct dx_finding *f)
{
	if (ev->online_workers || !preflight(ev, f, "no ONLINE worker"))
		return 0;
	list_workers(ev, f);
	return 95;
}

static int m_region(const struct dx_evidence *ev, struct dx_finding *f)
{
	if (!ev->online_workers || !preflight(ev, f, "no ONLINE worker"))
		return 0;
	list_workers(ev, f);
	dx_say(f, "%d worker(s) were ONLINE, in other regions than the test asked for",
	       ev->online_workers);
	return 95;
}

/* --- the run failed: workers ---------------------------------------------------------- */

static int lost_endpoints(const struct dx_evidence *ev, const char *worker)
{
	int n = 0;
	for (int i = 0; i < ev->n; i++)
		n += !strcmp(ev->eps[i].worker, worker) && !strcmp(ev->eps[i].outcome, "OSERROR");
	return n;
}

static int m_oom(const struct dx_evidence *ev, struct dx_finding *f)
{
	int score = 0;
	for (int i = 0; i < ev->n_workers; i++) {
		const struct dx_worker *w = &ev->workers[i];
		if (!w->oom)
			continue;
		dx_say(f, "%s's process was %s; the gateway lost it at %.1f s", w->name, w->how,
		       w->lost_t / 1000);
		dx_say(f, "%d of its %.0f endpoints were closed with OSERROR at that instant",
		       lost_endpoints(ev, w->name), w->endpoints);
		if (w->last_rss_kb > 0)
			dx_say(f, "its last heartbeat reported %.1f MB resident",
			       w->last_rss_kb / 1024);
		score = 95;
	}
	if (score)
		dx_say(f, "run status %s", ev->status);
	return score;
}

static int m_disconnect(const struct dx_evidence *ev, struct dx_finding *f)
{
	int score = 0;
	for (int i = 0; i < ev->n_workers; i++) {
		const struct dx_worker *w = &ev->workers[i];
		int lost = lost_endpoints(ev, w->name);
		if (!w->lost || w->oom || !lost)
			continue;
		dx_say(f,
		       "%s went OFFLINE at %.1f s during the run%s%s; %d of its endpoints were "
		       "closed with OSERROR at once",
		       w->name, w->lost_t / 1000, *w->how ? "; its process was " : "", w->how,
		       lost);
		score = 85;
	}
	return score;
}

/* --- registration ----------------------------------------------------------------------- */

struct reg_view {
	int failed, registered, silent, unanswered, refused_icmp, retransmitted;
	int by_code[700], local_408;
	int retry_after;
	const struct dx_ep *first_failed;
};

static void reg_view(const struct dx_evidence *ev, struct reg_view *v)
{
	memset(v, 0, sizeof(*v));
	for (int i = 0; i < ev->n; i++) {
		const struct dx_ep *e = &ev->eps[i];
		v->registered += e->registered;
		if (strcmp(e->outcome, "REGISTRATION_FAILED"))
			continue;
		v->failed++;
		if (!v->first_failed)
			v->first_failed = e;
		v->silent += e->reg_sent == 0;
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

static int all_failed_to_register(const struct dx_evidence *ev, const struct reg_view *v)
{
	return v->failed && share(v->failed, ev->n) >= 0.9 && v->registered == 0;
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

static int m_dns(const struct dx_evidence *ev, struct dx_finding *f)
{
	struct reg_view v;
	reg_view(ev, &v);
	/* A refused connection means the name resolved: that is another branch. */
	if (!all_failed_to_register(ev, &v) || share(v.silent, v.failed) < 0.9 || ev->icmp_events)
		return 0;
	int dns_said = 0;
	for (int i = 0; i < ev->n; i++)
		dns_said += strstr(ev->eps[i].reason, "DNS") != NULL;
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
	if (share(v->unanswered, v->failed) >= 0.9) {
		dx_say(f,
		       "%d of %d endpoints REGISTRATION_FAILED; every REGISTER was sent (to %s) "
		       "and none was answered",
		       v->failed, ev->n, reg_peer(v->first_failed));
		return 1;
	}
	if (share(v->silent, v->failed) >= 0.9 && ev->icmp_events) {
		dx_say(f,
		       "%d of %d endpoints REGISTRATION_FAILED; no REGISTER could be sent: the "
		       "connection to the registrar was refused %d times",
		       v->failed, ev->n, ev->icmp_events);
		return 1;
	}
	return 0;
}

static int m_wrong_transport(const struct dx_evidence *ev, struct dx_finding *f)
{
	struct reg_view v;
	reg_view(ev, &v);
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
	reg_view(ev, &v);
	if (!no_answer_common(ev, f, &v) || (!ev->icmp_events && !v.refused_icmp))
		return 0;
	dx_say(f, "port unreachable or connection refused on the registrar's address");
	return 70;
}

static int m_port_blocked(const struct dx_evidence *ev, struct dx_finding *f)
{
	struct reg_view v;
	reg_view(ev, &v);
	if (!no_answer_common(ev, f, &v) || ev->icmp_events || v.refused_icmp)
		return 0;
	dx_say(f,
	       "%d of them retransmitted REGISTER and timed out (408 made up by the stack); "
	       "no ICMP error came back: something drops the packets",
	       v.retransmitted);
	return 80;
}

static int m_bad_credentials(const struct dx_evidence *ev, struct dx_finding *f)
{
	struct reg_view v;
	reg_view(ev, &v);
	int rejected = 0;
	for (int i = 0; i < ev->n; i++)
		rejected += (ev->eps[i].code == 401 || ev->eps[i].code == 407) &&
		            strstr(ev->eps[i].reason, "credentials rejected");
	if (!rejected || share(rejected, v.failed) < 0.9)
		return 0;
	dx_say(f,
	       "%d of %d endpoints REGISTRATION_FAILED: challenged (401), sent credentials, "
	       "challenged again — the credentials were rejected",
	       rejected, ev->n);
	return share(rejected, ev->n) >= 0.9 ? 90 : 75;
}

static int by_code(const struct dx_evidence *ev, struct dx_finding *f, int code, const char *what)
{
	struct reg_view v;
	reg_view(ev, &v);
	if (!v.failed || share(v.by_code[code], v.failed) < 0.9)
		return 0;
	dx_say(f, "%d of %d endpoints REGISTRATION_FAILED with %d from the registrar: %s",
	       v.by_code[code], ev->n, code, what);
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

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Some endpoints registered, the rest failed with the signatures of a rate
 * limit: 503 (with Retry-After), 429, 403, or silence ending in 408. */
static int m_rate_limit(const struct dx_evidence *ev, struct dx_finding *f)
{
	struct reg_view v;
	reg_view(ev, &v);
	int limited =
	        v.by_code[503] - v.refused_icmp + v.by_code[429] + v.by_code[403] + v.local_408;
	/* Nobody got through: only an answer that names a rate (429, or 503
	 * with Retry-After) still says "rate limit". */
	int rate_said = v.by_code[429] + (v.retry_after ? v.by_code[503] - v.refused_icmp : 0);
	if (!v.failed || share(limited, v.failed) < 0.8 ||
	    (!v.registered && share(rate_said, v.failed) < 0.8))
		return 0;
	double *t = malloc(sizeof(double) * (size_t)ev->n);
	int n = 0, early_ok = 0;
	for (int i = 0; t && i < ev->n; i++)
		if (ev->eps[i].t_register >= 0)
			t[n++] = ev->eps[i].t_register;
	if (t)
		qsort(t, (size_t)n, sizeof(*t), cmp_double);
	double span = n > 1 ? (t[n - 1] - t[0]) / 1000 : 0;
	/* Where did the failures sit in the burst? */
	double first_fail = 1e18;
	for (int i = 0; i < ev->n; i++)
		if (!strcmp(ev->eps[i].outcome, "REGISTRATION_FAILED") &&
		    ev->eps[i].t_register >= 0 && ev->eps[i].t_register < first_fail)
			first_fail = ev->eps[i].t_register;
	for (int i = 0; i < ev->n; i++)
		early_ok += ev->eps[i].registered && ev->eps[i].t_register < first_fail;
	free(t);
	dx_say(f, "%d of %d endpoints REGISTRATION_FAILED; %d registered", v.failed, ev->n,
	       v.registered);
	/* The report's times are the lab's; the scenario's are longer by 1/scale. */
	double stretch = ev->time_scale > 0 ? 1 / ev->time_scale : 1;
	dx_say(f,
	       "the REGISTERs went out over %.1f s of scenario time (about %.0f per second); "
	       "the first %d registered before any failure, the first failure came at %.2f s",
	       span * stretch, span > 0 ? n / (span * stretch) : (double)n, early_ok,
	       first_fail / 1000 * stretch);
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
	dx_say(f, "the failures: %s%s", codes, v.retry_after ? "" : "");
	if (v.retry_after)
		dx_say(f, "the registrar's 503 carried Retry-After: %d", v.retry_after);
	if (!v.registered) {
		dx_say(f, "no endpoint got through this burst, but the answers name a rate limit");
		return 70;
	}
	return limited == v.local_408 ? 75 : 85;
}

/* --- call setup ------------------------------------------------------------------------- */

struct neg_view {
	int failed, changed, intact, external;
	const struct dx_ep *caller, *callee, *outside;
};

static void neg_view(const struct dx_evidence *ev, struct neg_view *v)
{
	memset(v, 0, sizeof(*v));
	for (int i = 0; i < ev->n; i++) {
		const struct dx_ep *e = &ev->eps[i];
		if (!e->caller || strcmp(e->outcome, "NEGOTIATION_FAILED"))
			continue;
		v->failed++;
		const struct dx_ep *c = dx_far_end(ev, e);
		if (!c || !c->offer_seen) {
			v->external++;
			v->outside = v->outside ? v->outside : e;
			continue;
		}
		int same = !strcmp(c->offer_received, e->offer_sent);
		v->changed += !same;
		v->intact += same;
		if (!v->caller ||
		    (!same && !strcmp(v->caller->offer_sent, v->callee->offer_received))) {
			v->caller = e;
			v->callee = c;
		}
	}
}

static int m_sbc_stripping(const struct dx_evidence *ev, struct dx_finding *f)
{
	struct neg_view v;
	neg_view(ev, &v);
	if (!v.changed)
		return 0;
	dx_say(f, "%d callers NEGOTIATION_FAILED (%d)", v.failed, v.caller->code);
	dx_say(f, "the offer as sent by %s: m=audio with [%s]; as received by %s: [%s]",
	       v.caller->user, v.caller->offer_sent, v.callee->user,
	       v.callee->offer_received[0] ? v.callee->offer_received : "no codec left");
	dx_say(f,
	       "on %d calls the offer changed on the way: an element on the path removed "
	       "codecs",
	       v.changed);
	return 95;
}

static int m_no_common_codec(const struct dx_evidence *ev, struct dx_finding *f)
{
	struct neg_view v;
	neg_view(ev, &v);
	if (!v.intact || v.changed)
		return 0;
	dx_say(f,
	       "%d callers NEGOTIATION_FAILED; the offer arrived unchanged ([%s]) and the "
	       "callee has none of those codecs",
	       v.failed, v.caller->offer_sent);
	return 90;
}

static int m_codec_rejected(const struct dx_evidence *ev, struct dx_finding *f)
{
	struct neg_view v;
	neg_view(ev, &v);
	if (!v.external || v.changed || v.intact)
		return 0;
	dx_say(f,
	       "%d callers NEGOTIATION_FAILED with %d from a callee outside the test; the "
	       "offer %s sent had [%s]",
	       v.external, v.outside->code, v.outside->user, v.outside->offer_sent);
	return 70;
}

static int call_code(const struct dx_evidence *ev, struct dx_finding *f, int code, const char *what)
{
	int callers = 0, n = 0;
	for (int i = 0; i < ev->n; i++) {
		callers += ev->eps[i].caller && ev->eps[i].registered;
		n += ev->eps[i].caller && ev->eps[i].code == code &&
		     !strcmp(ev->eps[i].outcome, "CALL_FAILED");
	}
	if (!n)
		return 0;
	dx_say(f, "%d of %d registered callers got %d to their INVITE: %s", n, callers, code, what);
	return share(n, callers) >= 0.5 ? 80 : 60;
}

static int m_callee_offline(const struct dx_evidence *ev, struct dx_finding *f)
{
	return call_code(ev, f, 480, "the callee was not registered");
}

static int m_callee_not_found(const struct dx_evidence *ev, struct dx_finding *f)
{
	return call_code(ev, f, 404, "the dialled address is unknown");
}

static int m_callee_busy(const struct dx_evidence *ev, struct dx_finding *f)
{
	return call_code(ev, f, 486, "the callee was already in a call");
}

/* Receivers that waited for nothing: a consequence, ranked low, so the
 * callers' own failure comes first. */
static int m_callee_wait(const struct dx_evidence *ev, struct dx_finding *f)
{
	int waited = 0, callers_failed = 0;
	for (int i = 0; i < ev->n; i++) {
		waited += !ev->eps[i].caller && !strcmp(ev->eps[i].outcome, "TIMEOUT");
		callers_failed += ev->eps[i].caller && dx_failed(&ev->eps[i]);
	}
	if (!waited)
		return 0;
	dx_say(f, "%d receivers ended TIMEOUT: registered, and no INVITE came", waited);
	if (callers_failed)
		dx_say(f, "%d callers had failed themselves: the cause is upstream",
		       callers_failed);
	return callers_failed ? 30 : 60;
}

/* --- media ------------------------------------------------------------------------------ */

/* Inbound audio that stopped after a pause and never came back, while the
 * far end sent again after its own pause. */
static int m_conntrack(const struct dx_evidence *ev, struct dx_finding *f)
{
	int paused = 0, stopped = 0;
	const struct dx_ep *ex = NULL, *far = NULL;
	for (int i = 0; i < ev->n; i++) {
		const struct dx_ep *e = &ev->eps[i];
		paused += e->before_pause >= 0;
		if (dx_lost_after_pause(ev, e)) {
			stopped++;
			if (!ex) {
				ex = e;
				far = dx_far_end(ev, e);
			}
		}
	}
	if (!stopped)
		return 0;
	dx_say(f,
	       "on %d of %d endpoints whose calls paused (silence suppression), inbound audio "
	       "stopped at the pause and never came back, while the calls stayed up",
	       stopped, paused);
	dx_say(f,
	       "%s received %.0f packets before its pause and none after; its far end %s sent "
	       "%.0f packets after its own pause ended: they were lost on the way in",
	       ex->user, ex->before_pause, far->user, far->sent_after_pause);
	dx_say(f, "a stateful firewall forgets a UDP flow idle for longer than its timeout; "
	          "packets arriving after that are new inbound traffic, and are dropped");
	return share(stopped, paused) >= 0.3 ? 90 : 70;
}

/* RFC 1918 and the lab's private ranges. */
static int private_addr(const char *a)
{
	struct in_addr x;
	if (inet_pton(AF_INET, a, &x) != 1)
		return 0;
	uint32_t h = ntohl(x.s_addr);
	return (h >> 24) == 10 || (h >> 20) == 0xac1 || (h >> 16) == 0xc0a8;
}

struct nat_view {
	int calls, one_way, none, behind_nat, port_changed;
	const struct dx_ep *ex;
};

static void nat_view(const struct dx_evidence *ev, struct nat_view *v)
{
	memset(v, 0, sizeof(*v));
	for (int i = 0; i < ev->n; i++) {
		const struct dx_ep *e = &ev->eps[i];
		if (e->via_host[0] && e->received[0] && strcmp(e->via_host, e->received)) {
			v->behind_nat++;
			v->port_changed += e->rport && e->rport != e->via_port;
		}
		if (!e->media)
			continue;
		v->calls++;
		if (e->rx == 0 && e->tx > 0) {
			v->one_way++;
			if (!v->ex || (e->caller && !v->ex->caller))
				v->ex = e;
		}
		v->none += e->rx == 0 && e->tx == 0;
	}
}

static void nat_evidence(struct dx_finding *f, const struct nat_view *v)
{
	dx_say(f,
	       "%d of %d calls were answered and up, and received no audio while sending "
	       "(%s sent %.0f packets, received 0)",
	       v->one_way, v->calls, v->ex->user, v->ex->tx);
	dx_say(f,
	       "%s's REGISTER left from %s:%d; the registrar saw it come from %s, port %d: the "
	       "worker is behind NAT",
	       v->ex->user, v->ex->via_host, v->ex->via_port,
	       v->ex->received[0] ? v->ex->received : "?", v->ex->rport);
	if (v->ex->sdp_addr[0])
		dx_say(f, "its SDP offered c=%s%s", v->ex->sdp_addr,
		       private_addr(v->ex->sdp_addr)
		               ? ", a private address the far end cannot send to"
		               : "");
}

static int m_symmetric_nat(const struct dx_evidence *ev, struct dx_finding *f)
{
	struct nat_view v;
	nat_view(ev, &v);
	if (!v.ex || share(v.one_way, v.calls) < 0.3 || !v.behind_nat || !v.port_changed)
		return 0;
	nat_evidence(f, &v);
	dx_say(f,
	       "the NAT also changed the source port on %d of %d endpoints: a new port per "
	       "flow, so no address learnt for one peer holds for another (symmetric NAT)",
	       v.port_changed, v.behind_nat);
	return 90;
}

static int m_nat_private_sdp(const struct dx_evidence *ev, struct dx_finding *f)
{
	struct nat_view v;
	nat_view(ev, &v);
	if (!v.ex || share(v.one_way, v.calls) < 0.3 || !v.behind_nat || v.port_changed)
		return 0;
	nat_evidence(f, &v);
	return 85;
}

static int m_firewall_inbound(const struct dx_evidence *ev, struct dx_finding *f)
{
	struct nat_view v;
	nat_view(ev, &v);
	if (!v.ex || share(v.one_way, v.calls) < 0.3 || v.behind_nat)
		return 0;
	dx_say(f, "%d of %d calls received no audio while sending, with no sign of NAT", v.one_way,
	       v.calls);
	return 60;
}

static const struct dx_rule r_endpoint_limit = {
        "alloc.endpoint_limit",
        "Test Stuck in CANNOT_RUN_FOR_NOW > Endpoint count exceeds plan limit",
        "Reduce the endpoints of the test, or raise the plan's concurrent endpoint limit.",
        m_endpoint_limit};
static const struct dx_rule r_credits = {
        "alloc.credits_exhausted", "Test Stuck in CANNOT_RUN_FOR_NOW > Billing credits exhausted",
        "Add credits, or wait for the next billing cycle.", m_credits};
static const struct dx_rule r_busy = {
        "alloc.workers_busy",
        "Test Stuck in CANNOT_RUN_FOR_NOW > Workers are busy with other tests",
        "Run again when the other run has finished, or add workers.", m_busy};
static const struct dx_rule r_accounts = {
        "reg.account_shortage", "Test Stuck in CANNOT_RUN_FOR_NOW > SIP account availability",
        "Give the group at least as many SIP accounts as endpoints, or fewer endpoints.",
        m_accounts};
static const struct dx_rule r_no_workers = {
        "alloc.no_online_workers", "Test Stuck in CANNOT_RUN_FOR_NOW > No online workers available",
        "Start a worker (or bring the stopped ones back) and check it shows ONLINE.", m_no_workers};
static const struct dx_rule r_region = {
        "alloc.region_mismatch", "Test Stuck in CANNOT_RUN_FOR_NOW > Region mismatch",
        "Use a region that has ONLINE workers, or deploy a worker in the region asked for.",
        m_region};
static const struct dx_rule r_oom = {
        "worker.oom", "Worker Disconnection During Test > Resource exhaustion (OOM)",
        "Give the worker more memory, or fewer endpoints per worker (spread them over more "
        "workers).",
        m_oom};
static const struct dx_rule r_disconnect = {
        "worker.disconnect", "Worker Disconnection During Test > Network failure",
        "Restore the worker's path to the gateway; run several workers so one loss does not "
        "fail the run.",
        m_disconnect};
static const struct dx_rule r_dns = {
        "reg.dns_failure", "Registration Failures > All endpoints failed > DNS failure",
        "Make the registrar's name resolve from the workers' network (restore the record, or "
        "fix the resolver).",
        m_dns};
static const struct dx_rule r_wrong_transport = {
        "reg.wrong_transport", "Registration Failures > All endpoints failed > Wrong transport",
        "Configure the test with the transport the registrar listens on (or open that "
        "transport on the registrar).",
        m_wrong_transport};
static const struct dx_rule r_registrar_down = {
        "reg.registrar_down",
        "Registration Failures > Step 3: no response > Registrar availability",
        "Start the registrar, and check it answers an OPTIONS from the workers' network.",
        m_registrar_down};
static const struct dx_rule r_port_blocked = {
        "reg.sip_port_blocked", "Registration Failures > Step 3: no response > Firewall rules",
        "Open the registrar's SIP port on every firewall between the workers and it.",
        m_port_blocked};
static const struct dx_rule r_bad_credentials = {
        "reg.bad_credentials", "Registration Failures > Step 1: 401 Unauthorized",
        "Correct the accounts' passwords (try one endpoint first).", m_bad_credentials};
static const struct dx_rule r_forbidden = {
        "reg.forbidden", "Registration Failures > Step 1: 403 Forbidden",
        "Check the accounts' permissions at the registrar.", m_forbidden};
static const struct dx_rule r_not_found = {"reg.not_found",
                                           "Registration Failures > Step 1: 404 Not Found",
                                           "Correct the domain or the user names.", m_not_found};
static const struct dx_rule r_rate_limit = {
        "reg.rate_limit", "Some Endpoints Failed > Rate limiting (Registration Burst Load)",
        "Lengthen the buildup so REGISTERs stay under the registrar's rate (or raise its "
        "limit).",
        m_rate_limit};
static const struct dx_rule r_sbc_stripping = {
        "neg.sbc_codec_stripping",
        "Call Setup Failures > NEGOTIATION_FAILED > SDP manipulation by intermediate proxies",
        "Offer a codec the SBC on the path keeps (and the callee has), or fix the SBC's codec "
        "policy.",
        m_sbc_stripping};
static const struct dx_rule r_no_common_codec = {
        "neg.no_common_codec", "Call Setup Failures > NEGOTIATION_FAILED",
        "Configure the test to offer at least one codec the other side supports.",
        m_no_common_codec};
static const struct dx_rule r_codec_rejected = {"call.codec_rejected",
                                                "Call Setup Failures > Step 1: 488 Not Acceptable",
                                                "Offer a codec the callee has.", m_codec_rejected};
static const struct dx_rule r_callee_offline = {
        "call.callee_offline", "Call Setup Failures > Step 1: 480 Temporarily Unavailable",
        "Let the callees register before the callers dial: a longer buildup, receivers first.",
        m_callee_offline};
static const struct dx_rule r_callee_not_found = {
        "call.callee_not_found", "Call Setup Failures > Step 1: 404 Not Found",
        "Correct the callee's URI or the group targeting.", m_callee_not_found};
static const struct dx_rule r_callee_busy = {
        "call.callee_busy", "Call Setup Failures > Step 1: 486 Busy Here",
        "Fix the pairing so no callee is double-booked.", m_callee_busy};
static const struct dx_rule r_callee_wait = {
        "call.callee_wait_timeout", "Call Setup Failures > TIMEOUT (Callee Side)",
        "Fix what kept the callers from dialling; then check the callee's wait is long "
        "enough.",
        m_callee_wait};
static const struct dx_rule r_conntrack = {
        "media.conntrack_expiry", "Firewall and NAT Troubleshooting > Conntrack timeouts",
        "Set the firewall's UDP conntrack timeout to at least 120 s (or keep media flowing "
        "with keepalives during silence).",
        m_conntrack};
static const struct dx_rule r_symmetric_nat = {
        "media.symmetric_nat", "RTP Media Blocked > Symmetric NAT",
        "Relay the media through something that latches onto the real source (the SBC's "
        "media relay, or TURN): STUN cannot fix a symmetric NAT.",
        m_symmetric_nat};
static const struct dx_rule r_nat_private_sdp = {
        "media.nat_private_sdp", "NAT Traversal Failures",
        "Put the public address in the SDP (STUN), or let the registrar/SBC rewrite it.",
        m_nat_private_sdp};
static const struct dx_rule r_firewall_inbound = {
        "media.firewall_inbound", "One-Way Audio/Video > Firewall rules",
        "Allow UDP media in both directions.", m_firewall_inbound};

const struct dx_rule *const dx_rules[] = {
        &r_endpoint_limit,
        &r_credits,
        &r_busy,
        &r_accounts,
        &r_no_workers,
        &r_region,
        &r_oom,
        &r_disconnect,
        &r_dns,
        &r_wrong_transport,
        &r_registrar_down,
        &r_port_blocked,
        &r_bad_credentials,
        &r_forbidden,
        &r_not_found,
        &r_rate_limit,
        &r_sbc_stripping,
        &r_no_common_codec,
        &r_codec_rejected,
        &r_callee_offline,
        &r_callee_not_found,
        &r_callee_busy,
        &r_callee_wait,
        &r_conntrack,
        &r_symmetric_nat,
        &r_nat_private_sdp,
        &r_firewall_inbound,
        NULL,
};
