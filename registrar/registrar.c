/* registrar.c — the lab's registrar and stateful proxy (see registrar.h). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

struct registrar;
struct fwd;
#define SU_ROOT_MAGIC_T      struct registrar
#define NTA_AGENT_MAGIC_T    struct registrar
#define NTA_INCOMING_MAGIC_T struct fwd
#define NTA_OUTGOING_MAGIC_T struct fwd

#include <openssl/conf.h>
#include <openssl/err.h>
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/nta.h>
#include <sofia-sip/nta_stateless.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_util.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/tport_tag.h>

#include "../lib/ready.h"
#include "../lib/rng.h"
#include "../sip/sofia_seed.h"
#include "../sip/tap.h"
#include "digest.h"
#include "location.h"
#include "registrar.h"

/* One proxied transaction: the caller's server side, our client side. */
struct fwd {
	struct registrar *r;
	nta_incoming_t *server;
	nta_outgoing_t *client;
	struct fwd *next, **prev;
};

/* A call whose media the SBC relays, by Call-ID. */
struct sbc_call {
	char call_id[128];
	struct sbc_relay *relay;
	struct sbc_call *next;
};

struct stats {
	unsigned long registers, reg_ok, challenged, rejected_auth, forbidden, not_found, limited,
	        proxied, unavailable;
};

/* The message log: one line per SIP message (from the tap) and per event of
 * the SIP stack. Times are wall-clock microseconds, the clock a run's report
 * counts from (its t0), so both sides' traces line up. */
struct wire_log {
	FILE *out;
	int on; /* messages are logged (the config's "log" is not "off") */
	struct sip_tap tap;
};

struct registrar {
	su_home_t home[1];
	su_root_t *root;
	nta_agent_t *agent;
	struct reg_config *cfg;
	struct loc loc;
	struct digest digest;
	long long window; /* the current second, for the rate limit */
	int in_window;
	struct fwd *fwds;
	struct sbc_call *sbc_calls;
	struct stats st;
	struct wire_log log;
	int wire_log; /* log every message (sofia's transport dump) */
	char rr_udp[160], rr_tls[160];
};

/* --- the message log ---------------------------------------------------------- */

/* "hh:mm:ss.uuuuuu" (UTC) of a wall-clock time in microseconds. */
static void log_clock(long long t_us, char *buf, size_t cap)
{
	time_t sec = (time_t)(t_us / 1000000);
	struct tm tm;
	gmtime_r(&sec, &tm);
	snprintf(buf, cap, "%02d:%02d:%02d.%06lld", tm.tm_hour, tm.tm_min, tm.tm_sec,
	         t_us % 1000000);
}

static void log_message(void *ctx, const struct sip_tap_msg *m)
{
	struct wire_log *l = ctx;
	char clock[32];
	if (!l->on)
		return;
	log_clock(m->t_us, clock, sizeof(clock));
	fprintf(l->out, "%s %s %s %s | call-id %s | cseq %u %s | local %s | t_us %lld\n", clock,
	        m->sent ? "send" : "recv", m->peer, m->first_line, m->call_id[0] ? m->call_id : "-",
	        m->cseq, m->cseq_method[0] ? m->cseq_method : "-", m->local[0] ? m->local : "-",
	        m->t_us);
	fflush(l->out);
}

static void log_event(void *ctx, const struct sip_tap_event *ev)
{
	struct wire_log *l = ctx;
	char clock[32];
	if (!l->on)
		return;
	log_clock(ev->t_us, clock, sizeof(clock));
	fprintf(l->out, "%s event %s %s %s | %.*s | t_us %lld\n", clock, ev->kind, ev->cause,
	        ev->peer[0] ? ev->peer : "-", (int)strcspn(ev->text, "\n"), ev->text, ev->t_us);
	fflush(l->out);
}

/* --- REGISTER ------------------------------------------------------------------ */

/* Returns 1 when this REGISTER is over the limit. */
static int over_limit(struct registrar *r)
{
	if (r->cfg->limit_mode == REG_LIMIT_NONE)
		return 0;
	long long window = r->cfg->limit_window_ms > 0 ? r->cfg->limit_window_ms : 1000;
	long long now = sys_now_ns() / 1000000LL / window;
	if (now != r->window) {
		r->window = now;
		r->in_window = 0;
	}
	return ++r->in_window > r->cfg->limit_per_second;
}

static void limit_reply(struct registrar *r, msg_t *msg, sip_t *sip)
{
	char retry[16];
	r->st.limited++;
	switch (r->cfg->limit_mode) {
	case REG_LIMIT_DROP:
		/* Like an anti-flood module: no answer, the client times out. */
		msg_destroy(msg);
		return;
	case REG_LIMIT_403:
		nta_msg_treply(r->agent, msg, 403, "Forbidden (rate limited)", TAG_END());
		return;
	case REG_LIMIT_429:
		nta_msg_treply(r->agent, msg, 429, "Too Many Requests", TAG_END());
		return;
	default:
		snprintf(retry, sizeof(retry), "%d", r->cfg->retry_after);
		nta_msg_treply(r->agent, msg, 503, "Service Unavailable (rate limited)",
		               SIPTAG_RETRY_AFTER_STR(retry), TAG_END());
	}
	(void)sip;
}

/* The domain a URI host stands for: our own address means our first domain. */
static const char *domain_of(const struct registrar *r, const char *host)
{
	return host && !strcmp(host, r->cfg->listen) ? r->cfg->domains[0] : host ? host : "";
}

static void aor_of(const struct registrar *r, const url_t *u, char *out, size_t cap)
{
	snprintf(out, cap, "%s@%s", u->url_user ? u->url_user : "", domain_of(r, u->url_host));
}

/* The 200 lists every live binding with its remaining time. */
static int reply_bindings(struct registrar *r, msg_t *msg, const char *aor)
{
	char buf[LOC_MAX_BINDINGS * 220] = "";
	long long now = loc_now();
	size_t n = 0;
	for (const struct loc_binding *b = loc_lookup(&r->loc, aor, now); b; b = b->next)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s<%s>;expires=%lld",
		                      n ? ", " : "", b->contact, b->expires - now);
	r->st.reg_ok++;
	return nta_msg_treply(r->agent, msg, SIP_200_OK, TAG_IF(n, SIPTAG_CONTACT_STR(buf)),
	                      TAG_END());
}

static int update_bindings(struct registrar *r, sip_t const *sip, const char *aor)
{
	long long now = loc_now();
	sip_contact_t const *m = sip->sip_contact;
	if (m && m->m_url->url_type == url_any) {
		/* "Contact: *" must come alone, with Expires: 0. */
		if (m->m_next || !sip->sip_expires || sip->sip_expires->ex_delta != 0)
			return 400;
		loc_remove_all(&r->loc, aor);
		return 0;
	}
	for (; m; m = m->m_next) {
		char uri[192];
		if (m->m_url->url_type == url_any || url_e(uri, sizeof(uri), m->m_url) <= 0 ||
		    strlen(uri) >= sizeof(uri) - 1)
			return 400;
		long long exp =
		        sip_contact_expires(m, sip->sip_expires, sip->sip_date, 3600, sip_now());
		if (exp > r->cfg->max_expires)
			exp = r->cfg->max_expires;
		int rc = loc_update(&r->loc, aor, uri, sip->sip_call_id->i_id,
		                    sip->sip_cseq->cs_seq, exp > 0 ? now + exp : 0, now);
		if (rc)
			return 500;
	}
	return 0;
}

static void challenge(struct registrar *r, msg_t *msg, int stale)
{
	char www[512];
	digest_challenge(&r->digest, r->cfg->realm, stale, loc_now(), www, sizeof(www));
	nta_msg_treply(r->agent, msg, SIP_401_UNAUTHORIZED, SIPTAG_WWW_AUTHENTICATE_STR(www),
	               TAG_END());
}

/* Is the request from an address the rate limit does not apply to (a
 * trusted peer, such as the lab's own callee pool)? */
static int exempt(const struct registrar *r, msg_t *msg)
{
	su_addrinfo_t *ai = msg_addrinfo(msg);
	char addr[64] = "";
	if (!ai || !ai->ai_addr || ai->ai_addr->sa_family != AF_INET)
		return 0;
	inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, addr, sizeof(addr));
	for (int i = 0; i < r->cfg->n_limit_exempt; i++)
		if (!strcmp(addr, r->cfg->limit_exempt[i]))
			return 1;
	return 0;
}

static void handle_register(struct registrar *r, msg_t *msg, sip_t *sip)
{
	r->st.registers++;
	if (!exempt(r, msg) && over_limit(r)) {
		limit_reply(r, msg, sip);
		return;
	}
	/* Answered statelessly, like most registrars: a retransmitted REGISTER
	 * is simply processed again (it is idempotent), and no transaction is
	 * kept for 32 seconds per REGISTER. */
	const url_t *to = sip->sip_to->a_url;
	const struct reg_account *acc =
	        to->url_user && to->url_host && reg_config_is_local(r->cfg, to->url_host)
	                ? reg_config_account(r->cfg, to->url_user, domain_of(r, to->url_host))
	                : NULL;
	char aor[192];
	aor_of(r, to, aor, sizeof(aor));
	if (!acc) {
		r->st.not_found++;
		nta_msg_treply(r->agent, msg, SIP_404_NOT_FOUND, TAG_END());
	} else if (!acc->enabled) {
		r->st.forbidden++;
		nta_msg_treply(r->agent, msg, 403, "Forbidden (account disabled)", TAG_END());
	} else {
		enum digest_result d =
		        digest_check(&r->digest, sip->sip_authorization, "REGISTER", r->cfg->realm,
		                     acc->user, acc->password, loc_now());
		if (d == DIGEST_OK) {
			int code = update_bindings(r, sip, aor);
			if (code)
				nta_msg_treply(r->agent, msg, code,
				               code == 400 ? "Bad Contact" : "Server Error",
				               TAG_END());
			else
				reply_bindings(r, msg, aor);
		} else {
			/* Wrong credentials get a fresh challenge: a second 401 in a
			 * row is how a client learns the password was refused. */
			if (d == DIGEST_MISSING)
				r->st.challenged++;
			else
				r->st.rejected_auth++;
			challenge(r, msg, d == DIGEST_STALE);
		}
	}
}

/* --- SBC mode ------------------------------------------------------------------- */

static struct sbc_call **sbc_find(struct registrar *r, const char *call_id)
{
	struct sbc_call **pp = &r->sbc_calls;
	while (*pp && strcmp((*pp)->call_id, call_id))
		pp = &(*pp)->next;
	return pp;
}

static void sbc_end(struct registrar *r, const char *call_id)
{
	struct sbc_call **pp = sbc_find(r, call_id), *c = *pp;
	if (!c)
		return;
	unsigned long fwd[2];
	int latched[2];
	sbc_relay_stats(c->relay, fwd, latched);
	fprintf(r->log.out ? r->log.out : stderr,
	        "sbc relay %s: %lu packets caller->callee, %lu callee->caller; latched caller %s, "
	        "callee %s\n",
	        c->call_id, fwd[0], fwd[1], latched[0] ? "yes" : "no", latched[1] ? "yes" : "no");
	unsigned long lost[2], full[2];
	sbc_relay_impaired(c->relay, lost, full);
	if (lost[0] + lost[1] + full[0] + full[1])
		fprintf(r->log.out ? r->log.out : stderr,
		        "sbc relay %s: impaired: lost %lu caller->callee, %lu callee->caller; hold "
		        "queue full %lu, %lu\n",
		        c->call_id, lost[0], lost[1], full[0], full[1]);
	*pp = c->next;
	sbc_relay_destroy(c->relay);
	free(c);
}

static void set_body(msg_t *msg, sip_t *sip, const char *body)
{
	char len[16];
	if (sip->sip_payload)
		msg_header_remove(msg, (msg_pub_t *)sip, (msg_header_t *)sip->sip_payload);
	if (sip->sip_content_length)
		msg_header_remove(msg, (msg_pub_t *)sip, (msg_header_t *)sip->sip_content_length);
	snprintf(len, sizeof(len), "%zu", strlen(body));
	sip_add_tl(msg, sip, SIPTAG_PAYLOAD_STR(body), SIPTAG_CONTENT_LENGTH_STR(len), TAG_END());
}

/* An SDP passing through: side 0 is an offer from the caller, side 1 an
 * answer from the callee. Strip codecs from offers; with a relay, note where
 * the sender says it listens and point the other side at the relay. */
static void sbc_sdp(struct registrar *r, msg_t *msg, sip_t *sip, int side)
{
	const struct sbc_config *c = &r->cfg->sbc;
	if (!c->enabled || !sip->sip_payload || !sip->sip_call_id)
		return;
	const char *body = sip->sip_payload->pl_data;
	size_t len = sip->sip_payload->pl_len;
	/* The c= rewrite is for offers, as configured ("the c= line of offers"):
	 * the answer's address is the callee's own. */
	const char *addr = c->rewrite_address[0] && side == 0 ? c->rewrite_address : NULL;
	int port = 0;
	if (c->relay) {
		struct sbc_call **pp = sbc_find(r, sip->sip_call_id->i_id);
		if (!*pp && side == 0 && (*pp = calloc(1, sizeof(**pp)))) {
			snprintf((*pp)->call_id, sizeof((*pp)->call_id), "%s",
			         sip->sip_call_id->i_id);
			(*pp)->relay = sbc_relay_create(r->root, c->relay_address);
			if (!(*pp)->relay) {
				free(*pp);
				*pp = NULL;
			} else { /* each call's draws its own, from the run's seed */
				sbc_relay_impair((*pp)->relay, c,
				                 rng_derive(r->cfg->seed, sip->sip_call_id->i_id));
			}
		}
		if (*pp) {
			char peer[64];
			int peer_port;
			if (sbc_sdp_media(body, len, peer, sizeof(peer), &peer_port) == 0)
				sbc_relay_set_peer((*pp)->relay, side, peer, peer_port);
			addr = c->relay_address;
			port = sbc_relay_port((*pp)->relay, !side);
		}
	}
	char *out = sbc_rewrite_sdp(body, len, c, side == 0, addr, port);
	if (out)
		set_body(msg, sip, out);
	free(out);
}

/* --- the proxy ----------------------------------------------------------------- */

static void fwd_destroy(struct fwd *f)
{
	if (f->prev) {
		*f->prev = f->next;
		if (f->next)
			f->next->prev = f->prev;
	}
	if (f->server)
		nta_incoming_destroy(f->server);
	if (f->client)
		nta_outgoing_destroy(f->client);
	free(f);
}

static int on_response(struct fwd *f, nta_outgoing_t *orq, sip_t const *sip)
{
	int status = sip && sip->sip_status ? sip->sip_status->st_status : 408;
	if (status == 100)
		return 0; /* hop by hop: we sent our own */
	msg_t *resp = nta_outgoing_getresponse(orq);
	sip_method_t method = nta_outgoing_method(orq);
	if (resp && method == sip_method_invite && status < 300)
		sbc_sdp(f->r, resp, sip_object(resp), 1);
	if (sip && sip->sip_call_id &&
	    ((method == sip_method_invite && status >= 300) ||
	     (method == sip_method_bye && status >= 200)))
		sbc_end(f->r, sip->sip_call_id->i_id);
	if (resp) {
		sip_via_remove(resp, sip_object(resp));
		nta_incoming_mreply(f->server, resp);
	} else {
		nta_incoming_treply(f->server, SIP_408_REQUEST_TIMEOUT, TAG_END());
	}
	if (status >= 200)
		fwd_destroy(f);
	return 0;
}

static int on_cancel(struct fwd *f, nta_incoming_t *irq, sip_t const *sip)
{
	(void)irq;
	if (!sip) {
		f->server = NULL; /* nta is done with it */
		fwd_destroy(f);
		return 0;
	}
	if (sip->sip_request->rq_method == sip_method_cancel && f->client)
		nta_outgoing_tcancel(f->client, NULL, NULL, TAG_END());
	return 200;
}

static int is_me(struct registrar *r, const url_t *u)
{
	return u && u->url_host &&
	       (!strcmp(u->url_host, r->cfg->listen) || reg_config_is_local(r->cfg, u->url_host)) &&
	       !u->url_user;
}

/* Where a request goes: 0 and *target (a new request-URI, or NULL to keep
 * it) and *route (a next hop, or NULL), or a SIP status to answer with. */
static int route_request(struct registrar *r, sip_t *sip, char *target, size_t cap,
                         const char **route)
{
	const url_t *ru = sip->sip_request->rq_url;
	*route = NULL;
	target[0] = '\0';
	if (sip->sip_route) {
		/* More hops were recorded (loose routing): next stop is the top
		 * Route entry; nta sends to the request-URI unless told. */
		static char next[256];
		url_e(next, sizeof(next), sip->sip_route->r_url);
		next[sizeof(next) - 1] = '\0';
		*route = next;
		return 0;
	}
	if (!ru->url_host)
		return 416;
	if (reg_config_is_local(r->cfg, ru->url_host)) {
		if (!ru->url_user)
			return sip->sip_request->rq_method == sip_method_options ? 200 : 404;
		if (!reg_config_account(r->cfg, ru->url_user, domain_of(r, ru->url_host)))
			return 404;
		char aor[192];
		aor_of(r, ru, aor, sizeof(aor));
		const struct loc_binding *b = loc_lookup(&r->loc, aor, loc_now());
		if (!b)
			return 480;
		snprintf(target, cap, "%s", b->contact);
		return 0;
	}
	const struct reg_peer *p = reg_config_peer(r->cfg, ru->url_host);
	if (p)
		*route = p->uri;
	return 0;
}

static void add_record_route(struct registrar *r, msg_t *msg, sip_t *sip)
{
	const char *rr = r->rr_udp;
	if (sip->sip_via && sip->sip_via->v_protocol &&
	    strcasestr(sip->sip_via->v_protocol, "TLS") && r->rr_tls[0])
		rr = r->rr_tls;
	sip_record_route_t *h = sip_record_route_make(msg_home(msg), rr);
	if (h)
		msg_header_insert(msg, (msg_pub_t *)sip, (msg_header_t *)h);
}

/* Prepare the copy to send: our Route entry gone, Max-Forwards counted down,
 * Record-Route added for requests that make dialogs. */
static void rewrite(struct registrar *r, msg_t *out)
{
	sip_t *s = sip_object(out);
	if (s->sip_route && is_me(r, s->sip_route->r_url))
		sip_route_remove(out, s);
	if (s->sip_max_forwards) {
		s->sip_max_forwards->mf_count--;
		msg_fragment_clear(s->sip_max_forwards->mf_common);
	} else {
		sip_add_tl(out, s, SIPTAG_MAX_FORWARDS_STR("70"), TAG_END());
	}
	if (s->sip_request->rq_method == sip_method_invite ||
	    s->sip_request->rq_method == sip_method_subscribe)
		add_record_route(r, out, s);
}

static void forward(struct registrar *r, msg_t *msg, sip_t *sip)
{
	int is_ack = sip->sip_request->rq_method == sip_method_ack;
	int code = 0;
	enum url_type_e scheme = sip->sip_request->rq_url->url_type;
	if (scheme != url_sip && scheme != url_sips)
		code = 416; /* Unsupported URI Scheme */
	else if (sip->sip_max_forwards && sip->sip_max_forwards->mf_count <= 0)
		code = 483;
	else if (sip->sip_proxy_require)
		code = 420; /* we support no extensions a proxy must understand */
	if (code && is_ack) {
		msg_destroy(msg);
		return;
	}
	if (code) {
		nta_msg_treply(
		        r->agent, msg, code, sip_status_phrase(code),
		        TAG_IF(code == 420,
		               SIPTAG_UNSUPPORTED_STR(sip->sip_proxy_require
		                                              ? sip->sip_proxy_require->k_items[0]
		                                              : "")),
		        TAG_END());
		return;
	}
	/* Our own Route entry first, so routing looks at what is left. */
	if (sip->sip_route && is_me(r, sip->sip_route->r_url))
		sip_route_remove(msg, sip);
	char target[192];
	const char *route;
	code = route_request(r, sip, target, sizeof(target), &route);
	if (code && is_ack) {
		msg_destroy(msg);
		return;
	}
	if (code) {
		if (code == 480)
			r->st.unavailable++;
		nta_msg_treply(r->agent, msg, code, sip_status_phrase(code), TAG_END());
		return;
	}
	r->st.proxied++;
	if (is_ack) {
		/* An ACK for a 2xx is its own transaction-less request. */
		sip_request_t *rq =
		        target[0] ? sip_request_create(msg_home(msg), sip->sip_request->rq_method,
		                                       sip->sip_request->rq_method_name,
		                                       (url_string_t *)target, NULL)
		                  : NULL;
		rewrite(r, msg);
		nta_outgoing_mcreate(r->agent, NULL, NULL, route ? URL_STRING_MAKE(route) : NULL,
		                     msg, TAG_IF(rq, SIPTAG_REQUEST(rq)), TAG_END());
		return;
	}
	struct fwd *f = calloc(1, sizeof(*f));
	nta_incoming_t *irq = f ? nta_incoming_create(r->agent, NULL, msg, sip, TAG_END()) : NULL;
	if (!irq) {
		free(f);
		msg_destroy(msg);
		return;
	}
	f->r = r;
	f->server = irq;
	nta_incoming_bind(irq, on_cancel, f);
	f->next = r->fwds;
	if (f->next)
		f->next->prev = &f->next;
	f->prev = &r->fwds;
	r->fwds = f;
	msg_t *in = nta_incoming_getrequest(irq);
	msg_t *out = in ? msg_dup(in) : NULL;
	msg_destroy(in);
	if (out) {
		rewrite(r, out);
		if (sip->sip_request->rq_method == sip_method_invite)
			sbc_sdp(r, out, sip_object(out), 0);
		sip_request_t *rq =
		        target[0] ? sip_request_create(msg_home(out), sip->sip_request->rq_method,
		                                       sip->sip_request->rq_method_name,
		                                       (url_string_t *)target, NULL)
		                  : NULL;
		f->client = nta_outgoing_mcreate(r->agent, on_response, f,
		                                 route ? URL_STRING_MAKE(route) : NULL, out,
		                                 TAG_IF(rq, SIPTAG_REQUEST(rq)), TAG_END());
	}
	if (!f->client) {
		nta_incoming_treply(irq, SIP_500_INTERNAL_SERVER_ERROR, TAG_END());
		fwd_destroy(f);
	}
}

/* --- dispatch ------------------------------------------------------------------ */

static int on_message(struct registrar *r, nta_agent_t *agent, msg_t *msg, sip_t *sip)
{
	(void)agent;
	if (!sip || !sip->sip_request) {
		msg_destroy(msg); /* a stray response */
		return 0;
	}
	if (!sip->sip_from || !sip->sip_to || !sip->sip_call_id || !sip->sip_cseq ||
	    !sip->sip_via || !sip->sip_to->a_url->url_host) {
		nta_msg_treply(r->agent, msg, SIP_400_BAD_REQUEST, TAG_END());
		return 0;
	}
	switch (sip->sip_request->rq_method) {
	case sip_method_register:
		handle_register(r, msg, sip);
		break;
	case sip_method_cancel:
		/* nta matched every CANCEL it could to a transaction. */
		nta_msg_treply(r->agent, msg, SIP_481_NO_TRANSACTION, TAG_END());
		break;
	default:
		forward(r, msg, sip);
	}
	return 0;
}

/* --- start and stop ------------------------------------------------------------- */

static int on_signal(struct registrar *r, su_wait_t *w, su_wakeup_arg_t *arg)
{
	struct signalfd_siginfo si;
	(void)arg;
	if (read(w->fd, &si, sizeof(si)) == sizeof(si))
		su_root_break(r->root);
	return 0;
}

/* Limit the TLS versions of every TLS context made from now on (sofia's
 * tport makes its own, so OpenSSL's system default is the knob): an OpenSSL
 * configuration loaded by hand. The old versions need security level 0 to
 * be offered at all by OpenSSL 3. */
static int limit_tls_versions(int which, err_t *e)
{
	static const char *const ranges[] = {
	        [REG_TLS_LEGACY] = "MinProtocol = TLSv1\nMaxProtocol = TLSv1.1\n"
	                           "CipherString = DEFAULT@SECLEVEL=0\n",
	        [REG_TLS_13] = "MinProtocol = TLSv1.3\n",
	};
	char path[] = "/tmp/siplab-registrar-ssl.XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return err_set(e, errno, "%s: %s", path, strerror(errno));
	FILE *f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(path);
		return err_set(e, errno, "%s: %s", path, strerror(errno));
	}
	fprintf(f,
	        "openssl_conf = siplab_init\n[siplab_init]\nssl_conf = siplab_ssl\n"
	        "[siplab_ssl]\nsystem_default = siplab_versions\n[siplab_versions]\n%s",
	        ranges[which]);
	fclose(f);
	int ok = CONF_modules_load_file(path, NULL, 0) > 0;
	unlink(path);
	ERR_clear_error();
	return ok ? 0 : err_set(e, EINVAL, "OpenSSL did not take the TLS version limits");
}

static int add_transports(struct registrar *r, err_t *e)
{
	struct reg_config *c = r->cfg;
	char url[160];
	int first = 1;
	const char *proto[2] = {c->udp ? "udp" : NULL, c->tcp ? "tcp" : NULL};
	for (int i = 0; i < 2; i++) {
		if (!proto[i])
			continue;
		snprintf(url, sizeof(url), "sip:%s:%d;transport=%s", c->listen, c->port, proto[i]);
		if (first)
			r->agent = nta_agent_create(
			        r->root, (url_string_t *)url, on_message, r, TPTAG_LOG(r->wire_log),
			        NTATAG_UA(0), NTATAG_SERVER_RPORT(2),
			        TAG_IF(c->t1_ms, NTATAG_SIP_T1(c->t1_ms)),
			        TAG_IF(c->t1x64_ms, NTATAG_SIP_T1X64(c->t1x64_ms)), TAG_END());
		else if (nta_agent_add_tport(r->agent, (url_string_t *)url, TPTAG_LOG(r->wire_log),
		                             TAG_END()) < 0)
			return err_set(e, errno, "cannot listen on %s: %s", url, strerror(errno));
		if (!r->agent)
			return err_set(e, errno ? errno : EADDRNOTAVAIL, "cannot listen on %s: %s",
			               url, strerror(errno ? errno : EADDRNOTAVAIL));
		first = 0;
	}
	if (c->tls && c->tls_versions != REG_TLS_ANY) {
		int rc = limit_tls_versions(c->tls_versions, e);
		if (rc)
			return rc;
	}
	if (c->tls) {
		snprintf(url, sizeof(url), "sips:%s:%d", c->listen, c->tls_port);
		int ok;
		if (first) {
			r->agent = nta_agent_create(r->root, (url_string_t *)url, on_message, r,
			                            TPTAG_LOG(r->wire_log),
			                            TPTAG_CERTIFICATE(c->tls_dir), NTATAG_UA(0),
			                            NTATAG_SERVER_RPORT(2), TAG_END());
			ok = r->agent != NULL;
		} else {
			ok = nta_agent_add_tport(r->agent, (url_string_t *)url,
			                         TPTAG_CERTIFICATE(c->tls_dir),
			                         TPTAG_LOG(r->wire_log), TAG_END()) == 0;
		}
		if (!ok)
			return err_set(e, EIO, "cannot listen on %s (certificates in %s)", url,
			               c->tls_dir);
	}
	snprintf(r->rr_udp, sizeof(r->rr_udp), "<sip:%s:%d;lr>", c->listen, c->port);
	snprintf(r->rr_tls, sizeof(r->rr_tls), "<sips:%s:%d;lr>", c->listen, c->tls_port);
	return 0;
}

/* Every address it serves on, as the lab's readiness line says it. */
static void ready_notify_listening(const struct reg_config *c)
{
	char what[256] = "";
	size_t n = 0;
	const char *proto[3] = {c->udp ? "udp" : NULL, c->tcp ? "tcp" : NULL,
	                        c->tls ? "tls" : NULL};
	for (int i = 0; i < 3; i++)
		if (proto[i] && n < sizeof(what))
			n += (size_t)snprintf(what + n, sizeof(what) - n, "%s%s:%s:%d",
			                      n ? " " : "", proto[i], c->listen,
			                      i == 2 ? c->tls_port : c->port);
	ready_notify(what);
}

static void print_stats(struct registrar *r)
{
	fprintf(stderr,
	        "siplab registrar: %lu REGISTER (%lu OK, %lu challenged, %lu bad credentials, %lu "
	        "forbidden, %lu not found, %lu rate-limited); %lu requests proxied, %lu to "
	        "unregistered callees; %zu bindings\n",
	        r->st.registers, r->st.reg_ok, r->st.challenged, r->st.rejected_auth,
	        r->st.forbidden, r->st.not_found, r->st.limited, r->st.proxied, r->st.unavailable,
	        r->loc.n_bindings);
}

int registrar_run(struct reg_config *cfg, err_t *e)
{
	struct registrar r;
	memset(&r, 0, sizeof(r));
	r.cfg = cfg;
	su_home_init(r.home);
	if (cfg->seeded)
		digest_init_seeded(&r.digest, cfg->seed);
	else
		digest_init(&r.digest);
	r.log.out = stderr;
	int wire_log = strcmp(cfg->log_path, "off") != 0;
	if (wire_log && cfg->log_path[0] && !(r.log.out = fopen(cfg->log_path, "ae")))
		return err_set(e, errno, "%s: %s", cfg->log_path, strerror(errno));
	r.wire_log = wire_log;
	r.log.on = wire_log;
	int rc = loc_init(&r.loc, 4096);
	if (rc)
		return err_set(e, ENOMEM, "out of memory");
	su_init();
	if (cfg->seeded)
		sofia_seed(rng_derive(cfg->seed, "sofia"));
	(void)sip_tap_open(&r.log.tap, NULL, log_message, log_event, &r.log);
	r.root = su_root_create(&r);
	int sfd = sys_stop_signalfd();
	su_wait_t w;
	if (!r.root || sfd < 0 || su_wait_create(&w, sfd, SU_WAIT_IN) < 0 ||
	    su_root_register(r.root, &w, on_signal, NULL, 0) < 0)
		rc = err_set(e, EIO, "cannot set up the event loop");
	if (!rc)
		rc = add_transports(&r, e);
	if (!rc) {
		sip_tap_agent_locals(&r.log.tap, r.agent);
		fprintf(stderr, "siplab registrar: listening on %s (%s%s%s) for %s, %d accounts\n",
		        cfg->listen, cfg->udp ? "udp " : "", cfg->tcp ? "tcp " : "",
		        cfg->tls ? "tls" : "", cfg->domains[0], cfg->n_accounts);
		ready_notify_listening(cfg);
		su_root_run(r.root);
		print_stats(&r);
	}
	while (r.fwds)
		fwd_destroy(r.fwds);
	while (r.sbc_calls)
		sbc_end(&r, r.sbc_calls->call_id);
	if (r.agent)
		nta_agent_destroy(r.agent);
	if (r.root)
		su_root_destroy(r.root);
	if (sfd >= 0)
		close(sfd);
	sip_tap_close(&r.log.tap);
	su_deinit();
	loc_free(&r.loc);
	su_home_deinit(r.home);
	if (r.log.out && r.log.out != stderr)
		fclose(r.log.out);
	return rc;
}
