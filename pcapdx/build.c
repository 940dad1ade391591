/* build.c — from the messages of a capture to a report of docs/report.md's
 * shape: the endpoints by AOR (the From of their REGISTERs and INVITEs, the
 * To of an INVITE to one of them), each with its trace, the outcome the
 * platform would have given it (its registration, its call, its media),
 * the workers as the hosts the endpoints sent from, and a "capture" section
 * saying what was read and what a capture cannot show. */
#define _GNU_SOURCE
#include "pcapdx.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <pcap/pcap.h>
#include <sofia-sip/sip_header.h>

#include "../lib/codes.h"
#include "../lib/limits.h"
#include "../lib/siplab.h"
#include "../media/codec.h"
#include "../media/emodel.h"
#include "../media/media.h"
#include "../media/quality.h"
#include "../media/sdp.h"
#include "wire.h"

/* One message of an endpoint's trace: which, and whether it sent it. */
struct px_ref {
	int msg, sent;
};

/* One endpoint, as the capture shows it. */
struct px_ep {
	char user[64], group[64];
	char ip[16]; /* the host it sent from: its "worker" */
	int port;
	const char *proto;
	struct px_ref *trace;
	int n_trace;
	/* Registration. */
	int reg_sent, reg_answered, registered, last_final, last_final_auth, retry_after;
	double t_register, t_registered;
	char registrar[128];
	/* The call: caller (sent the INVITE) or callee (received it). */
	int caller, callee, invite_final, bye_final, ringing_seen;
	double t_invite, t_ringing, t_answered, t_bye;
	char target[160];
	/* Media: its own RTP address (its SDP) and the peer's, the codec. */
	char m_ip[64], r_ip[64];
	int m_port, r_port, pt, clock, srtp, have_media;
	char codec[16], offer_codecs[128];
	struct rx_stats rx;
	uint64_t tx_packets, tx_bytes, rtcp_tx, rtcp_rx, pt_unexpected;
	uint32_t ssrc, peer_ssrc;
	int pt_seen;
};

struct px_build {
	struct px_capture *c;
	struct px_ep *eps;
	int n, dropped;
	long rtp_packets;
	/* Lookups that keep a large capture linear: the endpoints sorted by
	 * user, and by the port of their own RTP (a chain per port). */
	struct px_ep **by_user;
	int *port_head; /* 65536 entries, -1: none */
	int *port_next;
};

static const char *user_of(const sip_addr_t *a)
{
	return a && a->a_url->url_user ? a->a_url->url_user : "";
}

static struct px_ep *ep_find(struct px_build *b, const char *user)
{
	for (int i = 0; *user && i < b->n; i++)
		if (!strcmp(b->eps[i].user, user))
			return &b->eps[i];
	return NULL;
}

/* The group an account belongs to, by its name without the trailing digits
 * ("ep0007" -> "ep"): the accounts of one test configuration are numbered
 * from one prefix, and a capture has no other word for the group. */
static void group_of(const char *user, char *out, size_t cap)
{
	size_t n = strlen(user);
	while (n && user[n - 1] >= '0' && user[n - 1] <= '9')
		n--;
	snprintf(out, cap, "%.*s", (int)n, n ? user : "capture");
}

static struct px_ep *ep_add(struct px_build *b, const char *user, const struct px_msg *m,
                            const char *ip, int port)
{
	struct px_ep *e = ep_find(b, user);
	if (e || !*user)
		return e;
	if (b->n == PX_MAX_ENDPOINTS) {
		b->dropped++;
		return NULL;
	}
	e = &b->eps[b->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->user, sizeof(e->user), "%s", user);
	group_of(user, e->group, sizeof(e->group));
	snprintf(e->ip, sizeof(e->ip), "%s", ip);
	e->port = port;
	e->proto = m->proto;
	e->t_register = e->t_registered = e->t_invite = e->t_ringing = e->t_answered = e->t_bye =
	        -1;
	e->pt = e->pt_seen = -1;
	return e;
}

/* Who the endpoints are: the From of every REGISTER and INVITE from the
 * host that sent it, then the To of an INVITE addressed to one of them
 * (not the far side's users: a callee pool never registers here). */
static void find_endpoints(struct px_build *b)
{
	for (int i = 0; i < b->c->n_msgs; i++) {
		const struct px_msg *m = &b->c->msgs[i];
		const sip_request_t *rq = m->sip->sip_request;
		if (rq && rq->rq_method == sip_method_register)
			ep_add(b, user_of(m->sip->sip_from), m, m->src, m->sport);
	}
	for (int i = 0; i < b->c->n_msgs; i++) {
		const struct px_msg *m = &b->c->msgs[i];
		const sip_request_t *rq = m->sip->sip_request;
		if (!rq || rq->rq_method != sip_method_invite ||
		    (m->sip->sip_to && m->sip->sip_to->a_tag))
			continue;
		if (!ep_find(b, user_of(m->sip->sip_from)))
			ep_add(b, user_of(m->sip->sip_from), m, m->src, m->sport);
	}
}

/* Whether message m is endpoint e's, and which way: a request is sent by
 * its From; a response by the request's receiver (never the REGISTER's
 * sender). Each end takes the copy its own host sent or received, so a
 * message relayed between two endpoints of one capture is in each trace once. */
static int owns(const struct px_ep *e, const struct px_msg *m, int *sent)
{
	const char *from = user_of(m->sip->sip_from), *to = user_of(m->sip->sip_to);
	int is_from = !strcmp(from, e->user), is_to = !strcmp(to, e->user);
	if (!is_from && !is_to)
		return 0;
	if (m->sip->sip_request)
		*sent = is_from;
	else
		*sent = m->sip->sip_cseq->cs_method != sip_method_register && is_to && !is_from;
	return !strcmp(*sent ? m->src : m->dst, e->ip);
}

static int by_user(const void *a, const void *b)
{
	return strcmp((*(struct px_ep *const *)a)->user, (*(struct px_ep *const *)b)->user);
}

static struct px_ep *ep_lookup(const struct px_build *b, const char *user)
{
	struct px_ep key, *kp = &key, **hit;
	snprintf(key.user, sizeof(key.user), "%s", user);
	hit = bsearch(&kp, b->by_user, (size_t)b->n, sizeof(*b->by_user), by_user);
	return hit ? *hit : NULL;
}

static void trace_add(struct px_ep *e, int i, const struct px_msg *m)
{
	int sent;
	if (!owns(e, m, &sent))
		return;
	if (e->n_trace % 64 == 0) {
		struct px_ref *t = realloc(e->trace, (size_t)(e->n_trace + 64) * sizeof(*t));
		if (!t)
			return;
		e->trace = t;
	}
	e->trace[e->n_trace++] = (struct px_ref){i, sent};
}

/* Each message goes to the endpoints its From and To name (once when both
 * are the same user, as in a REGISTER). */
static int gather_traces(struct px_build *b)
{
	if (!(b->by_user = calloc((size_t)b->n + 1, sizeof(*b->by_user))))
		return -1;
	for (int k = 0; k < b->n; k++)
		b->by_user[k] = &b->eps[k];
	qsort(b->by_user, (size_t)b->n, sizeof(*b->by_user), by_user);
	for (int i = 0; i < b->c->n_msgs; i++) {
		const struct px_msg *m = &b->c->msgs[i];
		struct px_ep *f = ep_lookup(b, user_of(m->sip->sip_from));
		struct px_ep *t = ep_lookup(b, user_of(m->sip->sip_to));
		if (f)
			trace_add(f, i, m);
		if (t && t != f)
			trace_add(t, i, m);
	}
	return 0;
}

/* --- what each endpoint went through ------------------------------------------------ */

static int unregisters(const sip_t *sip)
{
	if (sip->sip_expires && sip->sip_expires->ex_delta == 0)
		return 1;
	return sip->sip_contact && sip->sip_contact->m_expires &&
	       atoi(sip->sip_contact->m_expires) == 0;
}

static void registration(struct px_build *b, struct px_ep *e)
{
	uint32_t unreg_cseq = 0, auth_cseq = 0;
	int unreg = 0, decided = 0;
	for (int i = 0; i < e->n_trace; i++) {
		const struct px_msg *m = &b->c->msgs[e->trace[i].msg];
		const sip_t *sip = m->sip;
		if (sip->sip_cseq->cs_method != sip_method_register)
			continue;
		if (e->trace[i].sent && sip->sip_request) {
			if (!e->reg_sent++)
				e->t_register = m->t;
			if (unregisters(sip))
				unreg = 1, unreg_cseq = sip->sip_cseq->cs_seq;
			if (sip->sip_authorization || sip->sip_proxy_authorization)
				auth_cseq = sip->sip_cseq->cs_seq;
			if (!e->registrar[0] && sip->sip_request->rq_url->url_host)
				snprintf(e->registrar, sizeof(e->registrar), "%s",
				         sip->sip_request->rq_url->url_host);
			continue;
		}
		if (e->trace[i].sent || !sip->sip_status)
			continue;
		e->reg_answered++;
		int st = sip->sip_status->st_status;
		if (st < 200 || (unreg && sip->sip_cseq->cs_seq == unreg_cseq) || decided)
			continue;
		e->last_final = st;
		e->last_final_auth = auth_cseq && sip->sip_cseq->cs_seq == auth_cseq;
		if (sip->sip_retry_after)
			e->retry_after = (int)sip->sip_retry_after->af_delta;
		if (st == 200 && e->t_registered < 0)
			e->t_registered = m->t;
		/* The first answer that is not a challenge to come back with
		 * credentials decides, as the platform's endpoint decides: a stack
		 * that retries on its own after a 503's Retry-After may register
		 * later on the wire, after the endpoint has failed. */
		decided = !((st == 401 || st == 407) && !e->last_final_auth);
	}
	e->registered = e->t_registered >= 0;
}

/* The audio of an SDP body: address and port, its first payload type. */
static int sdp_audio(const sip_t *sip, char *ip, size_t cap, int *port, int *pt, int *secure,
                     char *codecs, size_t ccap)
{
	struct sdp d;
	int ok = 0;
	if (sip->sip_payload &&
	    !sdp_read(sip->sip_payload->pl_data, sip->sip_payload->pl_len, &d, NULL)) {
		const struct sdp_media *am = sdp_find_media(&d, "audio");
		const struct sdp_conn *cn = am ? sdp_media_conn(&d, am) : NULL;
		if (am && cn && am->n_pts) {
			snprintf(ip, cap, "%s", cn->addr);
			*port = am->port;
			*pt = am->pts[0];
			*secure = am->secure;
			size_t n = 0;
			char num[8];
			for (int k = 0; codecs && k < am->n_pts && n < ccap; k++)
				n += (size_t)snprintf(
				        codecs + n, ccap - n, "%s%s", n ? " " : "",
				        sdp_pt_name(am, am->pts[k], num, sizeof(num)));
			/* The codec: by rtpmap or static type. */
			int c = sdp_codec(am, am->pts[0]);
			ok = c >= 0 ? c + 1 : -1;
		}
	}
	sdp_free(&d);
	return ok;
}

static void take_codec(struct px_ep *e, int c)
{
	const struct codec_info *ci = c > 0 ? codec_info((enum media_codec)(c - 1)) : NULL;
	snprintf(e->codec, sizeof(e->codec), "%s", ci ? ci->name : "?");
	e->clock = ci ? ci->rate : 8000;
	e->rx.clock = e->clock;
}

static void call(struct px_build *b, struct px_ep *e)
{
	for (int i = 0; i < e->n_trace; i++) {
		const struct px_msg *m = &b->c->msgs[e->trace[i].msg];
		const sip_t *sip = m->sip;
		int sent = e->trace[i].sent,
		    is_invite = sip->sip_cseq->cs_method == sip_method_invite;
		int st = sip->sip_status ? sip->sip_status->st_status : 0;
		int sec = 0, pt = -1, c;
		if (is_invite && sip->sip_request && !(sip->sip_to && sip->sip_to->a_tag)) {
			if (e->t_invite >= 0)
				continue; /* a retransmission */
			e->t_invite = m->t;
			e->caller = sent;
			e->callee = !sent;
			const char *sp = strchr(m->text, ' '),
			           *ep = sp ? strchr(sp + 1, ' ') : NULL;
			if (sent && ep)
				snprintf(e->target, sizeof(e->target), "%.*s", (int)(ep - sp - 1),
				         sp + 1);
			if (sent)
				sdp_audio(sip, e->m_ip, sizeof(e->m_ip), &e->m_port, &pt, &e->srtp,
				          e->offer_codecs, sizeof(e->offer_codecs));
			else if ((c = sdp_audio(sip, e->r_ip, sizeof(e->r_ip), &e->r_port, &pt,
			                        &sec, NULL, 0)))
				e->srtp = sec;
			continue;
		}
		if (is_invite && st && e->t_invite >= 0 && sent == e->callee) {
			if (st < 200 && st > 100 && e->t_ringing < 0)
				e->t_ringing = m->t, e->ringing_seen = 1;
			if (st < 200 || e->invite_final)
				continue;
			e->invite_final = st;
			if (st != 200)
				continue;
			e->t_answered = m->t;
			/* The answer: the callee's own address, the caller's peer. */
			if (sent)
				c = sdp_audio(sip, e->m_ip, sizeof(e->m_ip), &e->m_port, &e->pt,
				              &sec, NULL, 0);
			else
				c = sdp_audio(sip, e->r_ip, sizeof(e->r_ip), &e->r_port, &e->pt,
				              &sec, NULL, 0);
			take_codec(e, c);
			e->have_media = e->m_port > 0;
			continue;
		}
		if (sip->sip_cseq->cs_method == sip_method_bye && st >= 200 && !e->bye_final) {
			e->bye_final = st;
			e->t_bye = m->t;
		}
	}
}

/* --- media: the second pass ------------------------------------------------------- */

static int rtp_account(struct px_ep *e, double t, const char *src, int sport, const char *dst,
                       int dport, const uint8_t *p, size_t len, int rtcp, int side);

/* The chains of endpoints by their RTP port. */
static int port_index(struct px_build *b)
{
	b->port_head = malloc(65536 * sizeof(*b->port_head));
	b->port_next = calloc((size_t)b->n + 1, sizeof(*b->port_next));
	if (!b->port_head || !b->port_next)
		return -1;
	for (int i = 0; i < 65536; i++)
		b->port_head[i] = -1;
	for (int k = 0; k < b->n; k++) {
		if (!b->eps[k].have_media)
			continue;
		int port = b->eps[k].m_port & 0xffff;
		b->port_next[k] = b->port_head[port];
		b->port_head[port] = k;
	}
	return 0;
}

static void rtp_packet(void *ctx, double t, const char *src, int sport, const char *dst, int dport,
                       const uint8_t *p, size_t len)
{
	struct px_build *b = ctx;
	if (len < 8 || (p[0] & 0xc0) != 0x80)
		return;
	int rtcp = (p[1] & 0x7f) >= 72 && (p[1] & 0x7f) <= 76; /* types 200-204, muxed */
	int at[2] = {b->port_head[sport & 0xffff], b->port_head[dport & 0xffff]};
	int mine = 0;
	for (int side = 0; side < 2; side++)
		for (int k = at[side]; k >= 0; k = b->port_next[k])
			mine |= rtp_account(&b->eps[k], t, src, sport, dst, dport, p, len, rtcp,
			                    side);
	b->rtp_packets += mine; /* once, though both its ends are endpoints here */
}

/* One datagram against one endpoint whose RTP port it carries: side 0 its
 * source port, 1 its destination. Returns whether it was the endpoint's. */
static int rtp_account(struct px_ep *e, double t, const char *src, int sport, const char *dst,
                       int dport, const uint8_t *p, size_t len, int rtcp, int side)
{
	if (side == 0 && e->m_port == sport && !strcmp(e->m_ip, src)) {
		if (rtcp) {
			e->rtcp_tx++;
		} else if (len >= 12) {
			e->tx_packets++;
			e->tx_bytes += len;
			e->ssrc = (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 |
			          (uint32_t)p[10] << 8 | p[11];
		}
		return 1;
	}
	if (side == 1 && e->m_port == dport && !strcmp(e->m_ip, dst)) {
		if (rtcp) {
			e->rtcp_rx++;
		} else if (len >= 12 && (e->pt < 0 || (p[1] & 0x7f) == e->pt)) {
			/* Arrival in the stream's clock units, as a receiver counts it. */
			rx_stats_update(&e->rx, p, len, (uint32_t)(int64_t)(t * e->clock));
			e->peer_ssrc = (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 |
			               (uint32_t)p[10] << 8 | p[11];
		} else if (len >= 12) {
			e->pt_unexpected++;
			e->pt_seen = p[1] & 0x7f;
		}
		return 1;
	}
	return 0;
}

/* --- the report ------------------------------------------------------------------------ */

static double ms(double t)
{
	return t < 0 ? -1 : (double)(long long)(t * 1000 + 0.5);
}

static void add_ms(cJSON *o, const char *k, double t)
{
	if (t >= 0)
		cJSON_AddNumberToObject(o, k, ms(t));
}

static const char *icmp_cause(int code)
{
	switch (code) {
	case 0:
		return "icmp_network_unreachable";
	case 1:
		return "icmp_host_unreachable";
	case 3:
		return "icmp_port_unreachable";
	case 9:
	case 10:
	case 13:
		return "icmp_admin_prohibited";
	default:
		return "other";
	}
}

/* An ICMP error about a datagram the endpoint sent from its SIP address. */
static int icmp_refused(const struct px_build *b, const struct px_ep *e)
{
	for (int i = 0; i < b->c->n_icmp; i++)
		if (!strcmp(b->c->icmp[i].orig_src, e->ip) && b->c->icmp[i].orig_sport == e->port)
			return 1;
	return 0;
}

struct verdict {
	const char *outcome, *phase; /* outcome NULL: undecided */
	enum ep_failure fail;
	int code, local;
	const char *source;
	char reason[160];
	char warning[160];
};

static void judge_media(const struct px_ep *e, struct verdict *v)
{
	double loss = rx_stats_loss_pct(&e->rx), jit = jitter_ms(&e->rx.jitter, e->clock);
	if (!e->rx.packets) {
		v->outcome = "COMPLETED_WITH_WARNINGS";
		v->fail = e->tx_packets ? EP_FAIL_MEDIA_ONE_WAY : EP_FAIL_NO_MEDIA;
		v->source = "local";
		snprintf(v->warning, sizeof(v->warning), "%s",
		         e->tx_packets ? "audio sent, none received" : "no audio either way");
	} else if (q_loss(loss) > Q_GOOD || q_jitter(jit) > Q_GOOD) {
		v->outcome = "COMPLETED_WITH_WARNINGS";
		v->fail = EP_FAIL_MEDIA_QUALITY;
		v->source = "local";
		snprintf(v->warning, sizeof(v->warning),
		         "received: loss %.1f %% (%s), jitter %.1f ms (%s)", loss,
		         q_tier_name(q_loss(loss)), jit, q_tier_name(q_jitter(jit)));
	}
	snprintf(v->reason, sizeof(v->reason), "%s", v->warning[0] ? v->warning : "call completed");
}

/* The outcome the platform would have given it, from what crossed the wire. */
static void judge(const struct px_build *b, const struct px_ep *e, struct verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->outcome = "SUCCESS";
	v->phase = "REGISTERED";
	v->source = "remote";
	if (e->reg_sent && !e->registered) {
		v->outcome = "REGISTRATION_FAILED";
		v->phase = "INITIALIZING";
		v->code = e->last_final;
		if ((e->last_final == 401 || e->last_final == 407) && e->last_final_auth) {
			v->fail = EP_FAIL_AUTH_FAILED;
			snprintf(v->reason, sizeof(v->reason),
			         "credentials rejected: challenged again (%d) after authenticating",
			         e->last_final);
		} else if (e->last_final == 401 || e->last_final == 407) {
			/* Challenged, and no REGISTER with credentials followed in the
			 * capture: no result a platform could name. */
			v->outcome = NULL;
			snprintf(v->reason, sizeof(v->reason),
			         "challenged (%d); no REGISTER with credentials followed",
			         e->last_final);
		} else if (e->last_final >= 300) {
			v->fail = EP_FAIL_REGISTRATION_REFUSED;
			snprintf(v->reason, sizeof(v->reason), "REGISTER answered %d",
			         e->last_final);
		} else if (icmp_refused(b, e)) {
			v->fail = EP_FAIL_TRANSPORT_ERROR;
			v->code = 503, v->local = 1, v->source = "local";
			snprintf(v->reason, sizeof(v->reason),
			         "REGISTER met an ICMP error (the stack makes it a 503)");
		} else {
			v->fail = EP_FAIL_REGISTRATION_TIMEOUT;
			v->code = 408, v->local = 1, v->source = "local";
			snprintf(v->reason, sizeof(v->reason), "REGISTER never answered");
		}
		return;
	}
	if (e->t_invite < 0) {
		snprintf(v->reason, sizeof(v->reason), "registered; no call in the capture");
		return;
	}
	int st = e->invite_final;
	v->phase = e->ringing_seen ? "RINGING" : "CALLING";
	v->code = st;
	if (!st) {
		v->outcome = "TIMEOUT";
		v->fail = EP_FAIL_CALL_TIMEOUT;
		v->code = 408, v->local = 1, v->source = "local";
		snprintf(v->reason, sizeof(v->reason), "INVITE never answered");
		return;
	}
	if (st != 200) {
		int offer = st == 488 || st == 606 || st == 415;
		v->outcome = offer ? "NEGOTIATION_FAILED" : "CALL_FAILED";
		v->fail = offer       ? (e->callee ? EP_FAIL_OFFER_REFUSED : EP_FAIL_OFFER_REJECTED)
		          : st == 487 ? EP_FAIL_CALL_CANCELLED
		                      : EP_FAIL_CALL_REJECTED;
		v->source = e->callee ? "local" : "remote";
		snprintf(v->reason, sizeof(v->reason), "INVITE answered %d", st);
		return;
	}
	v->phase = "INCALL";
	if (e->bye_final >= 300) {
		v->outcome = "TEARDOWN_ERROR";
		v->fail = EP_FAIL_BYE_REJECTED;
		v->code = e->bye_final;
		snprintf(v->reason, sizeof(v->reason), "BYE answered %d", e->bye_final);
		return;
	}
	v->phase = e->bye_final ? "DISCONNECTING" : "INCALL";
	judge_media(e, v);
}

static cJSON *dir_json(uint64_t packets, uint64_t bytes)
{
	cJSON *d = cJSON_CreateObject();
	cJSON_AddNumberToObject(d, "packets", (double)packets);
	cJSON_AddNumberToObject(d, "bytes", (double)bytes);
	return d;
}

static cJSON *media_json(const struct px_ep *e)
{
	cJSON *m = cJSON_CreateObject();
	char a[96];
	cJSON_AddStringToObject(m, "codec", e->codec);
	cJSON_AddBoolToObject(m, "srtp", e->srtp);
	snprintf(a, sizeof(a), "%s:%d", e->m_ip, e->m_port);
	cJSON_AddStringToObject(m, "local", a);
	snprintf(a, sizeof(a), "%s:%d", e->r_ip, e->r_port);
	cJSON_AddStringToObject(m, "remote", a);
	cJSON_AddNumberToObject(m, "ssrc", e->ssrc);
	cJSON_AddNumberToObject(m, "peer_ssrc", e->peer_ssrc);
	/* What the far end measured of our audio is in its RTCP, which this
	 * reading does not decode: null, as for a far end that sends none. */
	cJSON *tx = dir_json(e->tx_packets, e->tx_bytes);
	cJSON_AddNullToObject(tx, "loss_pct");
	cJSON_AddNullToObject(tx, "jitter_ms");
	cJSON_AddNullToObject(tx, "rtt_ms");
	cJSON_AddNullToObject(tx, "mos");
	cJSON_AddItemToObject(m, "sent", tx);
	cJSON *rx = dir_json(e->rx.packets, e->rx.bytes);
	double loss = rx_stats_loss_pct(&e->rx), jit = jitter_ms(&e->rx.jitter, e->clock);
	if (e->rx.packets) {
		int c = codec_by_name(e->codec);
		const struct codec_info *ci = c >= 0 ? codec_info((enum media_codec)c) : NULL;
		cJSON_AddNumberToObject(rx, "loss_pct", loss);
		cJSON_AddNumberToObject(rx, "jitter_ms", jit);
		cJSON_AddNumberToObject(
		        rx, "loss_burst_mean",
		        e->rx.loss_gaps ? (double)e->rx.gap_packets / (double)e->rx.loss_gaps : 0);
		cJSON_AddNumberToObject(rx, "reordered", (double)e->rx.reordered);
		cJSON_AddNullToObject(rx, "rtt_ms");
		if (ci)
			cJSON_AddNumberToObject(
			        rx, "mos", emodel_mos_metrics(&ci->emodel, loss, jit, 0, NULL));
		else
			cJSON_AddNullToObject(rx, "mos");
	} else {
		cJSON_AddNullToObject(rx, "loss_pct");
		cJSON_AddNullToObject(rx, "jitter_ms");
		cJSON_AddNullToObject(rx, "rtt_ms");
		cJSON_AddNullToObject(rx, "mos");
	}
	cJSON_AddItemToObject(m, "received", rx);
	cJSON_AddNumberToObject(m, "rtcp_sent", (double)e->rtcp_tx);
	cJSON_AddNumberToObject(m, "rtcp_received", (double)e->rtcp_rx);
	cJSON_AddNumberToObject(m, "srtp_errors", 0);
	if (e->pt >= 0)
		cJSON_AddNumberToObject(m, "payload_type", e->pt);
	cJSON_AddNumberToObject(m, "unexpected_pt_packets", (double)e->pt_unexpected);
	if (e->pt_seen >= 0)
		cJSON_AddNumberToObject(m, "unexpected_pt", e->pt_seen);
	return m;
}

static cJSON *trace_item(const struct px_build *b, const struct px_ep *e, const struct px_ref *r)
{
	const struct px_msg *m = &b->c->msgs[r->msg];
	cJSON *t = cJSON_CreateObject();
	char a[64];
	add_ms(t, "t_ms", m->t);
	cJSON_AddNumberToObject(t, "t_us", (double)(long long)(m->t * 1e6));
	cJSON_AddStringToObject(t, "dir", r->sent ? "send" : "recv");
	cJSON_AddStringToObject(t, "transport", m->proto);
	snprintf(a, sizeof(a), "%s/[%s]:%d", m->proto, r->sent ? m->src : m->dst,
	         r->sent ? m->sport : m->dport);
	cJSON_AddStringToObject(t, "local", a);
	snprintf(a, sizeof(a), "%s/[%s]:%d", m->proto, r->sent ? m->dst : m->src,
	         r->sent ? m->dport : m->sport);
	cJSON_AddStringToObject(t, "peer", a);
	cJSON_AddStringToObject(t, "call_id", m->sip->sip_call_id->i_id);
	size_t fl = strcspn(m->text, "\r\n");
	char *line = strndup(m->text, fl);
	cJSON_AddStringToObject(t, "first_line", line ? line : "");
	free(line);
	cJSON_AddStringToObject(t, "text", m->text);
	(void)e;
	return t;
}

static cJSON *endpoint_json(const struct px_build *b, const struct px_ep *e, int id,
                            struct verdict *v)
{
	cJSON *o = cJSON_CreateObject();
	judge(b, e, v);
	cJSON_AddNumberToObject(o, "id", id);
	cJSON_AddStringToObject(o, "group", e->group);
	cJSON_AddStringToObject(o, "user", e->user);
	cJSON_AddStringToObject(o, "worker", e->ip);
	cJSON_AddStringToObject(o, "phase", "CLOSED");
	cJSON_AddStringToObject(o, "phase_reached", v->phase);
	if (v->outcome)
		cJSON_AddStringToObject(o, "outcome", v->outcome);
	else
		cJSON_AddNullToObject(o, "outcome");
	if (v->code)
		cJSON_AddNumberToObject(o, "sip_code", v->code);
	else
		cJSON_AddNullToObject(o, "sip_code");
	if (v->code)
		cJSON_AddStringToObject(o, "sip_code_source", v->local ? "local" : "wire");
	cJSON_AddStringToObject(o, "reason", v->reason);
	if (v->outcome && strcmp(v->outcome, "SUCCESS")) {
		cJSON *f = cJSON_AddObjectToObject(o, "failure");
		cJSON_AddStringToObject(f, "kind", ep_failure_name(v->fail));
		cJSON_AddNumberToObject(f, "sip_code", v->code);
		cJSON_AddStringToObject(f, "source", v->source);
	}
	cJSON *t = cJSON_AddObjectToObject(o, "times_ms");
	add_ms(t, "register", e->t_register);
	add_ms(t, "registered", e->t_registered);
	add_ms(t, "invite", e->t_invite);
	add_ms(t, "ringing", e->t_ringing);
	add_ms(t, "answered", e->t_answered);
	add_ms(t, "bye", e->t_bye);
	if (e->caller && e->t_ringing >= 0)
		cJSON_AddNumberToObject(o, "pdd_ms", ms(e->t_ringing) - ms(e->t_invite));
	if (e->caller && e->target[0])
		cJSON_AddStringToObject(o, "target", e->target);
	if (e->have_media)
		cJSON_AddItemToObject(o, "media", media_json(e));
	else
		cJSON_AddNullToObject(o, "media");
	cJSON *w = cJSON_AddArrayToObject(o, "warnings");
	if (v->warning[0])
		cJSON_AddItemToArray(w, cJSON_CreateString(v->warning));
	/* The trace as a report keeps it: the first and the last messages. */
	cJSON *tr = cJSON_AddArrayToObject(o, "trace");
	int drop = e->n_trace > TRACE_KEEP_FIRST + TRACE_KEEP_LAST
	                   ? e->n_trace - TRACE_KEEP_FIRST - TRACE_KEEP_LAST
	                   : 0;
	for (int i = 0; i < e->n_trace; i++)
		if (i < TRACE_KEEP_FIRST || i >= TRACE_KEEP_FIRST + drop)
			cJSON_AddItemToArray(tr, trace_item(b, e, &e->trace[i]));
	cJSON_AddNumberToObject(o, "trace_dropped", drop);
	return o;
}

/* A worker per host the endpoints sent from, with the ICMP errors about
 * datagrams it sent as its SIP stack would have logged them. */
static cJSON *workers_json(const struct px_build *b)
{
	cJSON *ws = cJSON_CreateArray();
	for (int k = 0; k < b->n; k++) {
		const char *ip = b->eps[k].ip;
		int seen = 0, count = 0;
		for (int j = 0; j < b->n; j++) {
			seen |= j < k && !strcmp(b->eps[j].ip, ip);
			count += !strcmp(b->eps[j].ip, ip);
		}
		if (seen)
			continue;
		cJSON *w = cJSON_CreateObject();
		cJSON_AddStringToObject(w, "name", ip);
		cJSON_AddStringToObject(w, "region", "");
		cJSON_AddStringToObject(w, "address", ip);
		cJSON_AddStringToObject(w, "status", "ONLINE");
		cJSON_AddNumberToObject(w, "endpoints", count);
		cJSON_AddArrayToObject(w, "events");
		cJSON *se = cJSON_AddArrayToObject(w, "sip_stack_events");
		int dropped = 0, n = 0;
		for (int i = 0; i < b->c->n_icmp; i++) {
			const struct px_icmp *x = &b->c->icmp[i];
			if (strcmp(x->orig_src, ip))
				continue;
			if (n++ >= WORKER_MAX_EVENTS) {
				dropped++;
				continue;
			}
			char peer[64], text[200];
			cJSON *ev = cJSON_CreateObject();
			add_ms(ev, "t_ms", x->t);
			cJSON_AddNumberToObject(ev, "t_us", (double)(long long)(x->t * 1e6));
			cJSON_AddStringToObject(ev, "kind", STACK_KIND_TRANSPORT);
			cJSON_AddStringToObject(ev, "cause", icmp_cause(x->code));
			snprintf(peer, sizeof(peer), "udp/[%s]:%d", x->from, x->orig_dport);
			cJSON_AddStringToObject(ev, "peer", peer);
			snprintf(
			        text, sizeof(text),
			        "ICMP destination unreachable (code %d) from %s for %s:%d -> %s:%d",
			        x->code, x->from, x->orig_src, x->orig_sport, x->orig_dst,
			        x->orig_dport);
			cJSON_AddStringToObject(ev, "text", text);
			cJSON_AddItemToArray(se, ev);
		}
		cJSON_AddNumberToObject(w, "sip_stack_events_dropped", dropped);
		cJSON_AddNullToObject(w, "probes");
		cJSON_AddItemToArray(ws, w);
	}
	return ws;
}

/* The test as the capture shows it: one group per account prefix, with the
 * registrar, transport and codecs its endpoints used. */
static cJSON *test_json(const struct px_build *b)
{
	cJSON *t = cJSON_CreateObject(), *gs = cJSON_AddArrayToObject(t, "groups");
	for (int k = 0; k < b->n; k++) {
		const struct px_ep *e = &b->eps[k];
		int seen = 0, count = 0, callers = 0;
		for (int j = 0; j < b->n; j++) {
			seen |= j < k && !strcmp(b->eps[j].group, e->group);
			count += !strcmp(b->eps[j].group, e->group);
			callers += !strcmp(b->eps[j].group, e->group) && b->eps[j].caller;
		}
		if (seen)
			continue;
		cJSON *g = cJSON_CreateObject();
		cJSON_AddStringToObject(g, "name", e->group);
		cJSON_AddStringToObject(g, "registrar", e->registrar);
		cJSON_AddStringToObject(g, "transport", e->proto);
		cJSON *acc = cJSON_AddObjectToObject(g, "accounts");
		cJSON_AddStringToObject(acc, "prefix", e->group);
		cJSON_AddNumberToObject(acc, "count", count);
		cJSON *codecs = cJSON_AddArrayToObject(g, "codecs");
		for (int j = 0; j < b->n; j++) {
			if (strcmp(b->eps[j].group, e->group) || !b->eps[j].offer_codecs[0])
				continue;
			char list[128], *save = NULL;
			snprintf(list, sizeof(list), "%s", b->eps[j].offer_codecs);
			for (char *c = strtok_r(list, " ", &save); c;
			     c = strtok_r(NULL, " ", &save))
				cJSON_AddItemToArray(codecs, cJSON_CreateString(c));
			break;
		}
		cJSON_AddStringToObject(g, "srtp", e->srtp ? "sdes" : "none");
		cJSON_AddNumberToObject(g, "endpoints", count);
		cJSON_AddStringToObject(g, "role", callers ? "caller" : "callee");
		cJSON_AddItemToArray(gs, g);
	}
	return t;
}

static void count_into(cJSON *o, const char *key)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (v)
		cJSON_SetNumberValue(v, v->valuedouble + 1);
	else
		cJSON_AddNumberToObject(o, key, 1);
}

static cJSON *capture_json(const char *path, const struct px_build *b)
{
	const struct px_capture *c = b->c;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "file", path);
	const char *lt = pcap_datalink_val_to_name(c->linktype);
	cJSON_AddStringToObject(o, "link_type", lt ? lt : "?");
	cJSON_AddNumberToObject(o, "packets", (double)c->packets);
	cJSON_AddNumberToObject(o, "duration_ms", ms(c->t_last));
	cJSON_AddNumberToObject(o, "sip_messages", c->n_msgs);
	cJSON_AddNumberToObject(o, "rtp_packets", (double)b->rtp_packets);
	cJSON_AddNumberToObject(o, "icmp_errors", c->n_icmp);
	cJSON_AddNumberToObject(o, "endpoints", b->n);
	cJSON *d = cJSON_AddObjectToObject(o, "not_read");
	cJSON_AddNumberToObject(d, "sip_unparsed", c->unparsed);
	cJSON_AddNumberToObject(d, "sip_messages_dropped", c->msgs_dropped);
	cJSON_AddNumberToObject(d, "not_ipv4", (double)c->not_ipv4);
	cJSON_AddNumberToObject(d, "ipv4_fragments", (double)c->fragments);
	cJSON_AddNumberToObject(d, "tcp_gaps", c->tcp_gaps);
	cJSON_AddNumberToObject(d, "tcp_flows_dropped", c->flows_dropped);
	cJSON_AddNumberToObject(d, "icmp_dropped", c->icmp_dropped);
	cJSON_AddNumberToObject(d, "endpoints_dropped", b->dropped);
	cJSON *no = cJSON_AddArrayToObject(o, "cannot_show");
	static const char *const limits[] = {
	        "heartbeats and the workers' events (ONLINE, OFFLINE, a lost or restarted "
	        "worker): a worker here is only a host that sent SIP",
	        "the workers' resources (memory, CPU, cgroup limits) and how their processes ended",
	        "the workers' probes of the registrar (DNS, OPTIONS per transport, TLS)",
	        "allocation and the plan (pre-flight, credits, regions, busy workers): the run "
	        "is taken as COMPLETED",
	        "the test's configuration: groups are guessed from account names, codecs and "
	        "transport from what was sent",
	        "SIP over TLS (encrypted) and DNS failures the stack never put on the wire",
	        "what the far end measured of our audio (its RTCP reports are not decoded)",
	        "times are as captured, not stretched by a time scale as a lab report's are",
	};
	for (size_t i = 0; i < sizeof(limits) / sizeof(*limits); i++)
		cJSON_AddItemToArray(no, cJSON_CreateString(limits[i]));
	return o;
}

static cJSON *report_json(const char *path, struct px_build *b)
{
	cJSON *r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "siplab", SIPLAB_VERSION);
	cJSON_AddStringToObject(r, "report_schema", "docs/report.md");
	cJSON_AddNumberToObject(r, "schema_version", 2);
	cJSON_AddNumberToObject(r, "t0", (double)(long long)(b->c->t0 * 1e6));
	cJSON_AddItemToObject(r, "test", test_json(b));
	cJSON *run = cJSON_AddObjectToObject(r, "run");
	cJSON_AddStringToObject(run, "id", "capture");
	cJSON_AddStringToObject(run, "status", "COMPLETED");
	cJSON_AddNumberToObject(run, "duration_ms", ms(b->c->t_last));
	cJSON_AddArrayToObject(run, "timeline");
	cJSON_AddItemToObject(r, "workers", workers_json(b));
	cJSON *eps = cJSON_AddArrayToObject(r, "endpoints");
	cJSON *tot = cJSON_CreateObject(), *oc = cJSON_CreateObject();
	cJSON *bg = cJSON_CreateObject(), *bw = cJSON_CreateObject();
	for (int k = 0; k < b->n; k++) {
		struct verdict v;
		cJSON_AddItemToArray(eps, endpoint_json(b, &b->eps[k], k + 1, &v));
		const char *o = v.outcome ? v.outcome : "null";
		count_into(oc, o);
		cJSON *g = cJSON_GetObjectItemCaseSensitive(bg, b->eps[k].group);
		if (!g)
			g = cJSON_AddObjectToObject(bg, b->eps[k].group);
		count_into(g, o);
		cJSON *w = cJSON_GetObjectItemCaseSensitive(bw, b->eps[k].ip);
		if (!w)
			w = cJSON_AddObjectToObject(bw, b->eps[k].ip);
		count_into(w, o);
	}
	cJSON_AddNumberToObject(tot, "endpoints", b->n);
	cJSON_AddItemToObject(tot, "outcomes", oc);
	cJSON_AddItemToObject(tot, "by_group", bg);
	cJSON_AddItemToObject(tot, "by_worker", bw);
	cJSON_AddItemToObject(r, "totals", tot);
	cJSON_AddItemToObject(r, "capture", capture_json(path, b));
	return r;
}

int pcapdx_is_capture(const char *path)
{
	unsigned char m[4];
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(m, 1, 4, f) : 0;
	if (f)
		fclose(f);
	if (n < 4)
		return 0;
	uint32_t be = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
	uint32_t le = (uint32_t)m[3] << 24 | (uint32_t)m[2] << 16 | (uint32_t)m[1] << 8 | m[0];
	/* pcap (microseconds, nanoseconds) in either byte order; pcapng's
	 * section header block type reads the same both ways. */
	return be == 0xa1b2c3d4 || le == 0xa1b2c3d4 || be == 0xa1b23c4d || le == 0xa1b23c4d ||
	       be == 0x0a0d0d0a;
}

cJSON *pcapdx_report(const char *path, err_t *e)
{
	struct px_capture *c = calloc(1, sizeof(*c));
	struct px_build b = {.c = c};
	cJSON *r = NULL;
	if (!c || !(b.eps = calloc(PX_MAX_ENDPOINTS, sizeof(*b.eps)))) {
		err_set(e, ENOMEM, "out of memory reading %s", path);
		goto out;
	}
	if (px_read_signalling(path, c, e))
		goto out;
	find_endpoints(&b);
	if (gather_traces(&b)) {
		err_set(e, ENOMEM, "out of memory reading %s", path);
		goto out;
	}
	for (int k = 0; k < b.n; k++) {
		registration(&b, &b.eps[k]);
		call(&b, &b.eps[k]);
	}
	if (port_index(&b)) {
		err_set(e, ENOMEM, "out of memory reading %s", path);
		goto out;
	}
	if (px_read_udp(path, c, rtp_packet, &b, e))
		goto out;
	r = report_json(path, &b);
out:
	for (int k = 0; b.eps && k < b.n; k++)
		free(b.eps[k].trace);
	free(b.eps);
	free(b.by_user);
	free(b.port_head);
	free(b.port_next);
	if (c)
		px_capture_free(c);
	free(c);
	return r;
}

void pcapdx_print(const cJSON *report, FILE *f)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(report, "capture"), *x;
	if (!c)
		return;
	const cJSON *nr = cJSON_GetObjectItemCaseSensitive(c, "not_read");
	fprintf(f,
	        "\nfrom a capture: %s (%s), %.0f packets over %.1f s: %.0f SIP messages, %.0f RTP, "
	        "%.0f ICMP errors, %.0f endpoints\n",
	        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "file")),
	        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "link_type")),
	        cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(c, "packets")),
	        cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(c, "duration_ms")) / 1000,
	        cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(c, "sip_messages")),
	        cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(c, "rtp_packets")),
	        cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(c, "icmp_errors")),
	        cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(c, "endpoints")));
	int any = 0;
	cJSON_ArrayForEach (x, nr)
		if (cJSON_IsNumber(x) && x->valuedouble > 0)
			fprintf(f, "%s%s %.0f", any++ ? ", " : "  not read: ", x->string,
			        x->valuedouble);
	if (any)
		fputc('\n', f);
	fprintf(f, "a capture cannot show:\n");
	cJSON_ArrayForEach (x, cJSON_GetObjectItemCaseSensitive(c, "cannot_show"))
		fprintf(f, "  - %s\n", x->valuestring);
}
