/* diagnose.c — read the evidence out of a report, let every rule judge it, and
 * rank what fits (see diagnose.h). */
#define _GNU_SOURCE
#include "diagnose.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>

#include "../media/sdp.h"

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : "";
}

static double num(const cJSON *o, const char *k, double dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

static void say(struct dx_finding *f, const char *source, const char *fmt, va_list ap)
{
	if (f->n_evidence == DX_MAX_EVIDENCE) {
		f->n_dropped++; /* said in the output, never silently cut */
		return;
	}
	/* Each line as long as it needs: evidence quotes offers of any size. */
	if (vasprintf(&f->evidence[f->n_evidence], fmt, ap) < 0)
		return;
	f->source[f->n_evidence] = source ? strdup(source) : NULL;
	f->n_evidence++;
}

void dx_say(struct dx_finding *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	say(f, NULL, fmt, ap);
	va_end(ap);
}

void dx_say_at(struct dx_finding *f, const char *source, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	say(f, source, fmt, ap);
	va_end(ap);
}

const char *dx_at_ep(const struct dx_ep *e, char *buf, size_t cap)
{
	snprintf(buf, cap, "/endpoints/%d", e->idx);
	return buf;
}

const char *dx_at_msg(const struct dx_ep *e, int msg, char *buf, size_t cap)
{
	if (msg < 0)
		return dx_at_ep(e, buf, cap);
	snprintf(buf, cap, "/endpoints/%d/trace/%d", e->idx, msg);
	return buf;
}

const char *dx_at_field(const struct dx_ep *e, const char *field, char *buf, size_t cap)
{
	snprintf(buf, cap, "/endpoints/%d/%s", e->idx, field);
	return buf;
}

int dx_count(const struct dx_evidence *ev, const char *outcome)
{
	int n = 0;
	for (int i = 0; i < ev->n; i++)
		n += !strcmp(ev->eps[i].outcome, outcome);
	return n;
}

double dx_share(int a, int b)
{
	return b ? (double)a / b : 0;
}

int dx_failed(const struct dx_ep *e)
{
	return *e->outcome && strcmp(e->outcome, "SUCCESS") &&
	       strcmp(e->outcome, "COMPLETED_WITH_WARNINGS");
}

/* The user part of a SIP URI: "sip:ep0001@lab" -> "ep0001" (n characters). */
static const char *uri_user(const char *uri, size_t *n)
{
	const char *u = strchr(uri, ':');
	if (!u)
		return NULL;
	*n = strcspn(++u, "@");
	return u;
}

const struct dx_ep *dx_far_end(const struct dx_evidence *ev, const struct dx_ep *e)
{
	size_t n;
	if (e->caller) {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(e->rec, "target");
		const char *user = cJSON_IsString(t) ? uri_user(t->valuestring, &n) : NULL;
		for (int i = 0; user && i < ev->n; i++)
			if (!ev->eps[i].caller && strlen(ev->eps[i].user) == n &&
			    !strncmp(ev->eps[i].user, user, n))
				return &ev->eps[i];
		return NULL;
	}
	for (int i = 0; i < ev->n; i++) {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(ev->eps[i].rec, "target");
		const char *user = cJSON_IsString(t) ? uri_user(t->valuestring, &n) : NULL;
		if (ev->eps[i].caller && user && strlen(e->user) == n && !strncmp(e->user, user, n))
			return &ev->eps[i];
	}
	return NULL;
}

int dx_lost_after_pause(const struct dx_evidence *ev, const struct dx_ep *e)
{
	if (e->before_pause <= 0 || e->since_pause != 0)
		return 0;
	const struct dx_ep *far = dx_far_end(ev, e);
	return far && far->sent_after_pause > 0;
}

/* --- what a trace shows ------------------------------------------------------------- */

/* Text that is not there: never freed. */
static char no_text[] = "";

/* The codec names an SDP offers, in its order ("opus PCMU"), from the whole
 * body read by media/sdp.h; malloc'd, or no_text when there is no audio. */
static char *sdp_codecs(const struct sdp_media *m)
{
	size_t cap = 1, n = 0;
	char num[8];
	for (int i = 0; m && i < m->n_pts; i++)
		cap += strlen(sdp_pt_name(m, m->pts[i], num, sizeof(num))) + 1;
	char *out = m && m->n_pts ? malloc(cap) : NULL;
	if (!out)
		return no_text;
	out[0] = '\0';
	for (int i = 0; i < m->n_pts; i++)
		n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? " " : "",
		                      sdp_pt_name(m, m->pts[i], num, sizeof(num)));
	return out;
}

/* What an INVITE's SDP says: the codecs offered and the address its audio
 * is at. */
static void offer_facts(const sip_t *sip, int sent, struct dx_ep *e)
{
	struct sdp d;
	if (!sip->sip_payload ||
	    sdp_read(sip->sip_payload->pl_data, sip->sip_payload->pl_len, &d, NULL)) {
		sdp_free(&d);
		return;
	}
	const struct sdp_media *m = sdp_find_media(&d, "audio");
	if (m && sent && e->offer_sent == no_text) {
		e->offer_sent = sdp_codecs(m);
		e->offer_sent_secure = m->secure;
		const struct sdp_conn *c = sdp_media_conn(&d, m);
		if (c)
			snprintf(e->sdp_addr, sizeof(e->sdp_addr), "%s", c->addr);
	} else if (m && !sent && !e->offer_seen) {
		e->offer_seen = 1;
		e->offer_received = sdp_codecs(m);
		e->offer_received_secure = m->secure;
		const struct sdp_conn *c = sdp_media_conn(&d, m);
		if (c)
			snprintf(e->sdp_addr_received, sizeof(e->sdp_addr_received), "%s", c->addr);
	}
	sdp_free(&d);
}

/* Via of a REGISTER's answer: the sent-by host and port, and what the
 * registrar saw (received=, rport=). */
static void via_facts(const sip_via_t *v, struct dx_ep *e)
{
	if (!v)
		return;
	snprintf(e->via_host, sizeof(e->via_host), "%s", v->v_host ? v->v_host : "");
	e->via_port = v->v_port ? atoi(v->v_port) : 0;
	if (v->v_received)
		snprintf(e->received, sizeof(e->received), "%s", v->v_received);
	if (v->v_rport)
		e->rport = atoi(v->v_rport);
}

/* The codecs of a message's SDP ("" when it has none); malloc'd or no_text. */
static char *msg_codecs(const sip_t *sip)
{
	struct sdp d;
	char *out = no_text;
	if (sip->sip_payload &&
	    !sdp_read(sip->sip_payload->pl_data, sip->sip_payload->pl_len, &d, NULL))
		out = sdp_codecs(sdp_find_media(&d, "audio"));
	sdp_free(&d);
	return out;
}

/* A later offer in a call: an INVITE received inside the dialog (its To has
 * a tag: a re-INVITE from the far end, not a retransmission of the first),
 * and the 200 it was answered with. */
static void later_offer_facts(const sip_t *sip, int sent, int k, struct dx_ep *e)
{
	const sip_request_t *rq = sip->sip_request;
	const sip_status_t *st = sip->sip_status;
	if (!sent && rq && rq->rq_method == sip_method_invite && sip->sip_to &&
	    sip->sip_to->a_tag && e->reoffer_at < 0) {
		e->reoffer_at = k;
		e->reoffer = msg_codecs(sip);
	} else if (sent && st && st->st_status == 200 && e->reoffer_at >= 0 && e->reanswer_at < 0 &&
	           sip->sip_cseq && sip->sip_cseq->cs_method == sip_method_invite) {
		e->reanswer_at = k;
		e->reanswer = msg_codecs(sip);
	}
}

/* A Via's sent-by as "host:port" (the port as written, "" when none). */
static void sent_by(const sip_via_t *v, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s%s%s", v->v_host ? v->v_host : "", v->v_port ? ":" : "",
	         v->v_port ? v->v_port : "");
}

/* One traced message, read by sofia-sip's own parser (headers in any form,
 * compact or folded; the body as Content-Length says). */
static void message_facts(const sip_t *sip, int sent, int k, struct dx_ep *e)
{
	const sip_request_t *rq = sip->sip_request;
	const sip_status_t *st = sip->sip_status;
	int register_cseq = sip->sip_cseq && sip->sip_cseq->cs_method == sip_method_register;
	if (sent && rq && rq->rq_method == sip_method_register)
		e->reg_sent++;
	if (sent && rq && rq->rq_method == sip_method_register && sip->sip_via &&
	    !e->reg_via_sent[0]) {
		sent_by(sip->sip_via, e->reg_via_sent, sizeof(e->reg_via_sent));
		e->reg_via_sent_at = k;
	}
	if (!sent && st && register_cseq && sip->sip_via && !e->reg_via_answered[0]) {
		sent_by(sip->sip_via, e->reg_via_answered, sizeof(e->reg_via_answered));
		e->reg_via_answered_at = k;
	}
	if (!sent && st && register_cseq) {
		e->reg_answered++;
		if (st->st_status >= 200)
			e->reg_answer_at = k;
		if (sip->sip_retry_after)
			e->retry_after = (int)sip->sip_retry_after->af_delta;
		if (st->st_status == 200 && !e->via_host[0]) {
			via_facts(sip->sip_via, e);
			e->via_at = k;
		}
	}
	later_offer_facts(sip, sent, k, e);
	if (rq && rq->rq_method == sip_method_invite) {
		int seen = e->offer_seen, had = e->offer_sent != no_text;
		offer_facts(sip, sent, e);
		if (sent && !had && e->offer_sent != no_text)
			e->invite_sent_at = k;
		if (!sent && !seen && e->offer_seen)
			e->invite_recv_at = k;
	}
}

static void trace_facts(const cJSON *trace, struct dx_ep *e)
{
	const cJSON *t;
	int k = -1;
	cJSON_ArrayForEach (t, trace) {
		const char *text = str(t, "text");
		int sent = !strcmp(str(t, "dir"), "send");
		k++;
		if (sent && !*e->reg_transport && !strncmp(str(t, "first_line"), "REGISTER ", 9))
			e->reg_transport = str(t, "transport");
		e->sent_any |= sent;
		e->recv_any |= !sent;
		msg_t *msg = *text ? msg_make(sip_default_mclass(), 0, text, (ssize_t)strlen(text))
		                   : NULL;
		const sip_t *sip = msg ? sip_object(msg) : NULL;
		if (sip)
			message_facts(sip, sent, k, e);
		else
			e->unreadable++;
		msg_destroy(msg);
	}
}

/* The endpoint's group as the test configured it (the report's "test"
 * section, what the customer wrote): the SRTP it requires, its codecs. */
static void group_facts(const cJSON *test, struct dx_ep *e)
{
	const cJSON *g;
	e->srtp_cfg = "";
	cJSON_ArrayForEach (g, cJSON_GetObjectItemCaseSensitive(test, "groups")) {
		if (strcmp(str(g, "name"), e->group))
			continue;
		const cJSON *c;
		size_t n = 0;
		e->srtp_cfg = *str(g, "srtp") ? str(g, "srtp") : "none";
		cJSON_ArrayForEach (c, cJSON_GetObjectItemCaseSensitive(g, "codecs"))
			if (cJSON_IsString(c) && n < sizeof(e->codecs_cfg))
				n += (size_t)snprintf(e->codecs_cfg + n, sizeof(e->codecs_cfg) - n,
				                      "%s%s", n ? " " : "", c->valuestring);
		return;
	}
}

static void endpoint_facts(const cJSON *rec, const cJSON *test, int idx, struct dx_ep *e)
{
	memset(e, 0, sizeof(*e));
	e->rec = rec;
	e->idx = idx;
	e->reg_answer_at = e->via_at = e->invite_sent_at = e->invite_recv_at = -1;
	e->reg_via_sent_at = e->reg_via_answered_at = -1;
	e->offer_sent_secure = e->offer_received_secure = -1;
	e->reg_transport = "";
	e->offer_sent = e->offer_received = no_text;
	e->reoffer = e->reanswer = no_text;
	e->reoffer_at = e->reanswer_at = -1;
	e->user = str(rec, "user");
	e->group = str(rec, "group");
	e->worker = str(rec, "worker");
	e->outcome = str(rec, "outcome");
	e->phase_reached = str(rec, "phase_reached");
	if (!*e->phase_reached)
		e->phase_reached = str(rec, "phase");
	e->reason = str(rec, "reason");
	e->code = (int)num(rec, "sip_code", 0);
	e->code_local = !strcmp(str(rec, "sip_code_source"), "local");
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(rec, "failure");
	e->fail = ep_failure_from_name(str(f, "kind"));
	e->fail_by = fail_source_from_name(str(f, "source"));
	e->caller = cJSON_GetObjectItemCaseSensitive(rec, "target") != NULL;
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(rec, "times_ms");
	e->registered = cJSON_GetObjectItemCaseSensitive(t, "registered") != NULL;
	e->t_register = num(t, "register", -1);
	group_facts(test, e);
	trace_facts(cJSON_GetObjectItemCaseSensitive(rec, "trace"), e);
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(rec, "media");
	e->media = cJSON_IsObject(m);
	e->rx = num(cJSON_GetObjectItemCaseSensitive(m, "received"), "packets", 0);
	e->tx = num(cJSON_GetObjectItemCaseSensitive(m, "sent"), "packets", 0);
	e->before_pause = num(m, "received_before_pause", -1);
	e->since_pause = num(m, "received_since_pause", -1);
	e->sent_after_pause = num(m, "sent_after_pause", -1);
	e->pt_expected = (int)num(m, "payload_type", -1);
	e->pt_unexpected = num(m, "unexpected_pt_packets", 0);
	e->pt_seen = (int)num(m, "unexpected_pt", -1);
	e->codec = str(m, "codec");
	e->codec_first = *str(m, "codec_first") ? str(m, "codec_first") : e->codec;
	e->codec_changes = (int)num(m, "codec_changes", 0);
	e->rx_since_change = num(m, "received_since_codec_change", -1);
}

static void worker_facts(const cJSON *w, struct dx_evidence *ev)
{
	struct dx_worker *x = &ev->workers[ev->n_workers++];
	memset(x, 0, sizeof(*x));
	x->name = str(w, "name");
	x->status = str(w, "status");
	x->endpoints = num(w, "endpoints", 0);
	ev->online_workers += !strcmp(x->status, "ONLINE");
	const cJSON *e, *s;
	cJSON_ArrayForEach (e, cJSON_GetObjectItemCaseSensitive(w, "events")) {
		if (wk_event_from_name(str(e, "kind")) == WK_EVENT_OFFLINE && !x->lost) {
			x->lost = 1;
			x->lost_t = num(e, "t_ms", 0);
		}
	}
	cJSON_ArrayForEach (s, cJSON_GetObjectItemCaseSensitive(w, "resources")) {
		double rss = num(s, "rss_kb", -1);
		if (rss <= 0)
			continue;
		if (!x->samples++)
			x->first_rss_kb = rss;
		x->last_rss_kb = rss;
	}
	/* The SIP stack's events, by kind and cause: the network refused a
	 * message (an ICMP error, a refused connection), or the resolver failed. */
	cJSON_ArrayForEach (s, cJSON_GetObjectItemCaseSensitive(w, "sip_stack_events")) {
		const char *kind = str(s, "kind"), *cause = str(s, "cause");
		char said[160];
		snprintf(said, sizeof(said), "%s from %s at %.0f ms", cause,
		         *str(s, "peer") ? str(s, "peer") : "?", num(s, "t_ms", 0));
		if (!strcmp(kind, STACK_KIND_TRANSPORT) &&
		    (!strncmp(cause, STACK_CAUSE_ICMP, strlen(STACK_CAUSE_ICMP)) ||
		     !strcmp(cause, STACK_CAUSE_REFUSED))) {
			if (!ev->icmp_events++)
				snprintf(ev->first_icmp, sizeof(ev->first_icmp), "%s", said);
		}
		if (!strcmp(kind, STACK_KIND_DNS)) {
			if (!ev->dns_events++)
				snprintf(ev->first_dns, sizeof(ev->first_dns), "%s", said);
		}
	}
}

static int evidence_read(const cJSON *rep, struct dx_evidence *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->report = rep;
	const cJSON *run = cJSON_GetObjectItemCaseSensitive(rep, "run");
	ev->status = str(run, "status");
	ev->reason = str(run, "reason");
	ev->reason_code = run_reason_from_name(str(run, "reason_code"));
	ev->schema_version = (int)num(rep, "schema_version", 1);
	const cJSON *eps = cJSON_GetObjectItemCaseSensitive(rep, "endpoints"), *e;
	ev->eps = calloc((size_t)cJSON_GetArraySize(eps) + 1, sizeof(*ev->eps));
	if (!ev->eps)
		return -1;
	const cJSON *test = cJSON_GetObjectItemCaseSensitive(rep, "test");
	cJSON_ArrayForEach (e, eps) {
		endpoint_facts(e, test, ev->n, &ev->eps[ev->n]);
		ev->n++;
	}
	const cJSON *w;
	cJSON_ArrayForEach (w, cJSON_GetObjectItemCaseSensitive(rep, "workers"))
		if (ev->n_workers < DX_MAX_WORKERS)
			worker_facts(w, ev);
		else
			ev->workers_dropped++;
	return 0;
}

static void evidence_free(struct dx_evidence *ev)
{
	for (int i = 0; i < ev->n; i++) {
		if (ev->eps[i].offer_sent != no_text)
			free(ev->eps[i].offer_sent);
		if (ev->eps[i].offer_received != no_text)
			free(ev->eps[i].offer_received);
		if (ev->eps[i].reoffer != no_text)
			free(ev->eps[i].reoffer);
		if (ev->eps[i].reanswer != no_text)
			free(ev->eps[i].reanswer);
	}
	free(ev->eps);
}

/* --- scope: where the symptoms are ------------------------------------------------ */

int dx_reg_failed(const struct dx_ep *e)
{
	return !strcmp(e->outcome, "REGISTRATION_FAILED");
}

/* The one value of a field every endpoint with the symptom shares, or NULL;
 * *spread says whether the test has endpoints with another value. */
static const char *shared(const struct dx_evidence *ev, dx_symptom has, int worker, int *spread)
{
	const char *one = NULL;
	*spread = 0;
	for (int i = 0; i < ev->n; i++) {
		const char *v = worker ? ev->eps[i].worker : ev->eps[i].group;
		if (!has(&ev->eps[i]))
			continue;
		if (one && strcmp(one, v))
			return NULL;
		one = v;
	}
	for (int i = 0; one && i < ev->n; i++)
		*spread |= strcmp(worker ? ev->eps[i].worker : ev->eps[i].group, one) != 0;
	return one;
}

void dx_scope_of(const struct dx_evidence *ev, dx_symptom has, struct dx_scope *sc)
{
	memset(sc, 0, sizeof(*sc));
	for (int i = 0; i < ev->n; i++)
		sc->hit += has(&ev->eps[i]) != 0;
	sc->of = ev->n;
	if (!sc->hit) {
		sc->kind = DX_SCOPE_NONE;
		return;
	}
	if (sc->hit == ev->n) {
		sc->kind = DX_SCOPE_ALL;
		return;
	}
	for (int worker = 0; worker < 2; worker++) {
		int spread;
		const char *one = shared(ev, has, worker, &spread);
		if (!one || !spread)
			continue;
		sc->kind = worker ? DX_SCOPE_WORKER : DX_SCOPE_GROUP;
		sc->name = one;
		sc->of = 0;
		for (int i = 0; i < ev->n; i++)
			sc->of += !strcmp(worker ? ev->eps[i].worker : ev->eps[i].group, one);
		sc->others = ev->n - sc->of;
		return;
	}
	/* Only after a time: every endpoint with the symptom started at or after
	 * T, every one without it before T. */
	double first = -1, last_ok = -1;
	for (int i = 0; i < ev->n; i++) {
		double t = ev->eps[i].t_register;
		if (has(&ev->eps[i]) && t >= 0 && (first < 0 || t < first))
			first = t;
		if (!has(&ev->eps[i]) && t > last_ok)
			last_ok = t;
	}
	sc->kind = first >= 0 && last_ok >= 0 && last_ok < first ? DX_SCOPE_AFTER : DX_SCOPE_SOME;
	sc->after_ms = first;
}

int dx_in_scope(const struct dx_scope *sc, const struct dx_ep *e)
{
	if (sc->kind == DX_SCOPE_GROUP)
		return !strcmp(e->group, sc->name);
	if (sc->kind == DX_SCOPE_WORKER)
		return !strcmp(e->worker, sc->name);
	return 1;
}

void dx_say_scope(struct dx_finding *f, const struct dx_scope *sc, const char *symptom)
{
	switch (sc->kind) {
	case DX_SCOPE_ALL:
		dx_say(f, "scope: all endpoints (%s: %d of %d)", symptom, sc->hit, sc->of);
		break;
	case DX_SCOPE_GROUP:
	case DX_SCOPE_WORKER:
		dx_say(f, "scope: %s %s (%s: %d of its %d endpoints; none of the %d elsewhere)",
		       sc->kind == DX_SCOPE_GROUP ? "group" : "worker", sc->name, symptom, sc->hit,
		       sc->of, sc->others);
		break;
	case DX_SCOPE_AFTER:
		dx_say(f,
		       "scope: after %.2f s (%s: %d of %d endpoints, every one that started "
		       "then or later; none before)",
		       sc->after_ms / 1000, symptom, sc->hit, sc->of);
		break;
	case DX_SCOPE_SOME:
		dx_say(f,
		       "scope: some endpoints, no pattern by group, worker or time (%s: %d of %d)",
		       symptom, sc->hit, sc->of);
		break;
	case DX_SCOPE_NONE:
		dx_say(f, "scope: the whole run (%s)", symptom);
		break;
	}
}

/* --- codec lists as sets ------------------------------------------------------------ */

/* Not an audio codec: DTMF events and comfort noise ride along any offer. */
static int not_audio(const char *name, size_t n)
{
	return (n == 15 && !strncasecmp(name, "telephone-event", n)) ||
	       (n == 2 && !strncasecmp(name, "CN", n));
}

/* Whether the word w (n characters) is one of list's audio codecs. */
static int has_codec(const char *list, const char *w, size_t n)
{
	for (const char *p = list; *p;) {
		size_t k = strcspn(p, " ");
		if (k == n && !strncasecmp(p, w, n))
			return 1;
		p += k;
		p += strspn(p, " ");
	}
	return 0;
}

/* Every audio codec of a is in b. */
static int within(const char *a, const char *b)
{
	for (const char *p = a; *p;) {
		size_t k = strcspn(p, " ");
		if (k && !not_audio(p, k) && !has_codec(b, p, k))
			return 0;
		p += k;
		p += strspn(p, " ");
	}
	return 1;
}

int dx_same_codecs(const char *a, const char *b)
{
	return within(a, b) && within(b, a);
}

int dx_codecs_meet(const char *a, const char *b)
{
	for (const char *p = a; *p;) {
		size_t k = strcspn(p, " ");
		if (k && !not_audio(p, k) && has_codec(b, p, k))
			return 1;
		p += k;
		p += strspn(p, " ");
	}
	return 0;
}

/* --- ranking and output ------------------------------------------------------------ */

/* Best fit first; equal fits in the guide's order, so a ranking never
 * depends on how qsort happens to order equals. */
static int by_score(const void *a, const void *b)
{
	const struct dx_finding *x = a, *y = b;
	if (x->score != y->score)
		return y->score - x->score;
	return x->order - y->order;
}

const struct dx_rule *const dx_sections[] = {
        dx_rules_allocation, dx_rules_workers, dx_rules_registration, dx_rules_negotiation,
        dx_rules_call,       dx_rules_media,   dx_rules_quality,      NULL,
};

static void finding_free(struct dx_finding *f)
{
	for (int k = 0; k < f->n_evidence; k++) {
		free(f->evidence[k]);
		free(f->source[k]);
	}
	f->n_evidence = 0;
}

static int count_rules(void)
{
	int n = 0;
	for (int s = 0; dx_sections[s]; s++)
		for (const struct dx_rule *r = dx_sections[s]; r->code; r++)
			n++;
	return n;
}

/* The symptom each section of the guide judges, for the scope its findings
 * say first when the rule did not say one of its own. */
static int sym_worker(const struct dx_ep *e)
{
	return e->fail == EP_FAIL_WORKER_LOST;
}

static int sym_negotiation(const struct dx_ep *e)
{
	return !strcmp(e->outcome, "NEGOTIATION_FAILED");
}

static int sym_call(const struct dx_ep *e)
{
	return !strcmp(e->outcome, "CALL_FAILED") || !strcmp(e->outcome, "TIMEOUT");
}

static int sym_media(const struct dx_ep *e)
{
	return e->media &&
	       ((e->rx == 0 && e->tx > 0) || (e->before_pause > 0 && e->since_pause == 0));
}

/* Quality: a call with audio whose received direction is past "good". */
static int sym_quality(const struct dx_ep *e)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(e->rec, "media");
	const cJSON *rx = cJSON_GetObjectItemCaseSensitive(m, "received");
	const cJSON *q = cJSON_GetObjectItemCaseSensitive(rx, "quality");
	return e->media && e->rx > 0 && cJSON_IsString(q) &&
	       (!strcmp(q->valuestring, "warning") || !strcmp(q->valuestring, "critical"));
}

static const struct {
	dx_symptom has;
	const char *what;
	int tier; /* the guide's order: run, worker, registration, call setup, media, quality */
} section_symptom[] = {
        {NULL, "refused at pre-flight: no endpoint ran", 0},
        {sym_worker, "lost with their worker", 1},
        {dx_reg_failed, "REGISTRATION_FAILED", 2},
        {sym_negotiation, "NEGOTIATION_FAILED", 3},
        {sym_call, "CALL_FAILED or TIMEOUT", 3},
        {sym_media, "audio missing while sending", 4},
        {sym_quality, "media past the good tier", 5},
};

/* The scope line first, unless the rule said its own. */
static void default_scope(const struct dx_evidence *ev, int section, struct dx_finding *f)
{
	if (f->n_evidence && !strncmp(f->evidence[0], "scope: ", 7))
		return;
	struct dx_scope sc;
	if (section_symptom[section].has)
		dx_scope_of(ev, section_symptom[section].has, &sc);
	else
		memset(&sc, 0, sizeof(sc)); /* DX_SCOPE_NONE: the run itself */
	struct dx_finding tmp;
	memset(&tmp, 0, sizeof(tmp));
	dx_say_scope(&tmp, &sc, section_symptom[section].what);
	if (f->n_evidence == DX_MAX_EVIDENCE) { /* the last line makes room */
		free(f->evidence[--f->n_evidence]);
		free(f->source[f->n_evidence]);
		f->n_dropped++;
	}
	memmove(&f->evidence[1], &f->evidence[0], sizeof(f->evidence[0]) * (size_t)f->n_evidence);
	memmove(&f->source[1], &f->source[0], sizeof(f->source[0]) * (size_t)f->n_evidence);
	f->evidence[0] = tmp.evidence[0];
	f->source[0] = NULL;
	f->n_evidence++;
}

/* A failure upstream in the guide's order (a lost worker, registrations)
 * explains symptoms downstream (calls, media): the consequence ranks below
 * its cause and says what it follows from. */
static void causality(struct dx_finding *found, const int *tier, int n)
{
	for (int i = 0; i < n; i++) {
		const struct dx_finding *cause = NULL;
		for (int j = 0; j < n; j++)
			if (tier[j] >= 1 && tier[j] < tier[i] && found[j].score >= 60 &&
			    (!cause || found[j].score > cause->score))
				cause = &found[j];
		if (!cause)
			continue;
		if (found[i].score >= cause->score)
			found[i].score = cause->score - 1;
		dx_say(&found[i],
		       "this follows from %s (upstream in the guide's order: run, worker, "
		       "registration, call setup, media), which ranks above it",
		       cause->rule->code);
	}
}

/* Every rule that fits, in found[] (room for every rule); returns how many. */
static int judge(const struct dx_evidence *ev, struct dx_finding *found)
{
	int n = 0, order = 0;
	int *tier = calloc((size_t)count_rules() + 1, sizeof(*tier));
	for (int s = 0; dx_sections[s]; s++)
		for (const struct dx_rule *r = dx_sections[s]; r->code; r++) {
			struct dx_finding *f = &found[n];
			memset(f, 0, sizeof(*f));
			f->rule = r;
			f->order = order++;
			f->score = r->match(ev, f);
			if (f->score <= 0) {
				finding_free(f); /* what a rule said before it gave up */
				continue;
			}
			default_scope(ev, s, f);
			if (tier)
				tier[n] = section_symptom[s].tier;
			n++;
		}
	if (tier)
		causality(found, tier, n);
	free(tier);
	return n;
}

void dx_rank(struct dx_finding *found, int n)
{
	if (n > 1)
		qsort(found, (size_t)n, sizeof(*found), by_score);
}

/* What the report shows, for a reader when no rule fits. */
static cJSON *what_was_seen(const struct dx_evidence *ev)
{
	cJSON *saw = cJSON_CreateArray();
	char line[256];
	snprintf(line, sizeof(line), "run %s with %d endpoints%s%s%s%s%s", ev->status, ev->n,
	         *ev->reason ? ": " : "", ev->reason, ev->reason_code ? " (" : "",
	         run_reason_name(ev->reason_code), ev->reason_code ? ")" : "");
	cJSON_AddItemToArray(saw, cJSON_CreateString(line));
	if (ev->workers_dropped) {
		snprintf(line, sizeof(line),
		         "%d workers beyond the first %d were not read (DX_MAX_WORKERS)",
		         ev->workers_dropped, DX_MAX_WORKERS);
		cJSON_AddItemToArray(saw, cJSON_CreateString(line));
	}
	if (ev->schema_version < REPORT_SCHEMA_VERSION) {
		snprintf(line, sizeof(line),
		         "the report is of schema %d: the rules read the codes of schema %d "
		         "(reason_code, failure, event kinds), which it does not carry",
		         ev->schema_version, REPORT_SCHEMA_VERSION);
		cJSON_AddItemToArray(saw, cJSON_CreateString(line));
	}
	const cJSON *outs = cJSON_GetObjectItemCaseSensitive(
	        cJSON_GetObjectItemCaseSensitive(ev->report, "totals"), "outcomes");
	char *o = outs ? cJSON_PrintUnformatted(outs) : NULL;
	snprintf(line, sizeof(line), "outcomes %s", o ? o : "{}");
	free(o);
	cJSON_AddItemToArray(saw, cJSON_CreateString(line));
	for (int i = 0, shown = 0; i < ev->n && shown < 3; i++) {
		const struct dx_ep *e = &ev->eps[i];
		if (!dx_failed(e) && strcmp(e->outcome, "COMPLETED_WITH_WARNINGS"))
			continue;
		snprintf(line, sizeof(line), "%s (%s): %s in %s, SIP %d (%s), %s: %s", e->user,
		         e->group, e->outcome, e->phase_reached, e->code,
		         e->code_local ? "local" : "wire",
		         e->fail ? ep_failure_name(e->fail) : "no failure code", e->reason);
		cJSON_AddItemToArray(saw, cJSON_CreateString(line));
		shown++;
	}
	return saw;
}

/* A run needs a diagnosis when it did not complete, an endpoint did not
 * succeed, or the media shows audio lost that the endpoints themselves
 * could not see (only the two ends together show it). */
/* The guide's first question: all endpoints or some — and which: by group,
 * by worker, by time. */
static cJSON *scope(const struct dx_evidence *ev)
{
	cJSON *s = cJSON_CreateObject();
	cJSON *groups = cJSON_AddObjectToObject(s, "failed_by_group");
	cJSON *workers = cJSON_AddObjectToObject(s, "failed_by_worker");
	int failed = 0;
	double first = -1, last = -1;
	for (int i = 0; i < ev->n; i++) {
		const struct dx_ep *e = &ev->eps[i];
		if (!dx_failed(e))
			continue;
		failed++;
		cJSON *g = cJSON_GetObjectItemCaseSensitive(groups, e->group);
		cJSON *w = cJSON_GetObjectItemCaseSensitive(workers, e->worker);
		if (g)
			cJSON_SetNumberValue(g, g->valuedouble + 1);
		else
			cJSON_AddNumberToObject(groups, e->group, 1);
		if (w)
			cJSON_SetNumberValue(w, w->valuedouble + 1);
		else
			cJSON_AddNumberToObject(workers, e->worker, 1);
		if (e->t_register >= 0 && (first < 0 || e->t_register < first))
			first = e->t_register;
		if (e->t_register > last)
			last = e->t_register;
	}
	cJSON_AddNumberToObject(s, "failed", failed);
	cJSON_AddStringToObject(s, "which", !failed ? "none" : failed == ev->n ? "all" : "some");
	if (first >= 0) {
		cJSON_AddNumberToObject(s, "failed_started_from_ms", first);
		cJSON_AddNumberToObject(s, "failed_started_until_ms", last);
	}
	return s;
}

static int anything_wrong(const struct dx_evidence *ev)
{
	if (strcmp(ev->status, "COMPLETED"))
		return 1;
	for (int i = 0; i < ev->n; i++)
		if (strcmp(ev->eps[i].outcome, "SUCCESS") || dx_lost_after_pause(ev, &ev->eps[i]))
			return 1;
	return 0;
}

cJSON *diagnose(const cJSON *report)
{
	struct dx_evidence ev;
	cJSON *d = cJSON_CreateObject();
	if (evidence_read(report, &ev)) {
		cJSON_AddStringToObject(d, "error", "out of memory");
		return d;
	}
	cJSON_AddStringToObject(d, "status", ev.status);
	cJSON_AddNumberToObject(d, "endpoints", ev.n);
	cJSON_AddItemToObject(d, "scope", scope(&ev));
	cJSON *list = cJSON_AddArrayToObject(d, "findings");
	struct dx_finding *found = calloc((size_t)count_rules(), sizeof(*found));
	int n = found && anything_wrong(&ev) ? judge(&ev, found) : 0;
	if (found)
		dx_rank(found, n);
	for (int i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "code", found[i].rule->code);
		cJSON_AddNumberToObject(o, "score", found[i].score);
		cJSON_AddStringToObject(o, "branch", found[i].rule->branch);
		cJSON *evs = cJSON_AddArrayToObject(o, "evidence");
		cJSON *src = cJSON_AddArrayToObject(o, "sources");
		for (int k = 0; k < found[i].n_evidence; k++) {
			cJSON_AddItemToArray(evs, cJSON_CreateString(found[i].evidence[k]));
			cJSON_AddItemToArray(src, found[i].source[k]
			                                  ? cJSON_CreateString(found[i].source[k])
			                                  : cJSON_CreateNull());
		}
		if (found[i].n_dropped)
			cJSON_AddNumberToObject(o, "evidence_dropped", found[i].n_dropped);
		cJSON_AddStringToObject(o, "resolution", found[i].rule->resolution);
		cJSON_AddItemToArray(list, o);
	}
	cJSON_AddBoolToObject(d, "unexplained", anything_wrong(&ev) && n == 0);
	cJSON_AddItemToObject(d, "saw", what_was_seen(&ev));
	for (int i = 0; i < n; i++)
		finding_free(&found[i]);
	free(found);
	evidence_free(&ev);
	return d;
}

const char *diagnose_top(const cJSON *d)
{
	const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(d, "findings"), 0);
	if (first)
		return str(first, "code");
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "unexplained")) ? "unexplained"
	                                                                        : "healthy";
}

void diagnose_print(const cJSON *d, FILE *f)
{
	const cJSON *findings = cJSON_GetObjectItemCaseSensitive(d, "findings"), *x, *e;
	fprintf(f, "diagnosis: run %s, %d endpoints\n", str(d, "status"),
	        (int)num(d, "endpoints", 0));
	const cJSON *sc = cJSON_GetObjectItemCaseSensitive(d, "scope");
	if (num(sc, "failed", 0) > 0) {
		fprintf(f, "  scope: %s endpoints failed (%d of %d); by group:", str(sc, "which"),
		        (int)num(sc, "failed", 0), (int)num(d, "endpoints", 0));
		cJSON_ArrayForEach (e, cJSON_GetObjectItemCaseSensitive(sc, "failed_by_group"))
			fprintf(f, " %s %d", e->string, (int)e->valuedouble);
		fprintf(f, "; by worker:");
		cJSON_ArrayForEach (e, cJSON_GetObjectItemCaseSensitive(sc, "failed_by_worker"))
			fprintf(f, " %s %d", e->string, (int)e->valuedouble);
		fprintf(f, "\n");
	}
	if (!strcmp(diagnose_top(d), "healthy")) {
		fprintf(f, "  no failure: the run COMPLETED and every endpoint is SUCCESS\n");
		return;
	}
	if (!strcmp(diagnose_top(d), "unexplained")) {
		fprintf(f, "  no known failure fits this evidence. What the report shows:\n");
		cJSON_ArrayForEach (e, cJSON_GetObjectItemCaseSensitive(d, "saw"))
			fprintf(f, "    - %s\n", e->valuestring);
		return;
	}
	int i = 0;
	cJSON_ArrayForEach (x, findings) {
		fprintf(f, "  %d. %s (fit %d/100)\n     guide: %s\n", ++i, str(x, "code"),
		        (int)num(x, "score", 0), str(x, "branch"));
		cJSON_ArrayForEach (e, cJSON_GetObjectItemCaseSensitive(x, "evidence"))
			fprintf(f, "     - %s\n", e->valuestring);
		if (num(x, "evidence_dropped", 0) > 0)
			fprintf(f, "     - (%d more lines of evidence not kept)\n",
			        (int)num(x, "evidence_dropped", 0));
		fprintf(f, "     resolution: %s\n", str(x, "resolution"));
	}
}

/* Whether line is among f's evidence. */
static int said_by(const cJSON *f, const char *line)
{
	const cJSON *e;
	cJSON_ArrayForEach (e, cJSON_GetObjectItemCaseSensitive(f, "evidence"))
		if (cJSON_IsString(e) && !strcmp(e->valuestring, line))
			return 1;
	return 0;
}

static void explain_one(const cJSON *x, const cJSON *other, int rank, FILE *f)
{
	const cJSON *e, *src = cJSON_GetObjectItemCaseSensitive(x, "sources");
	fprintf(f, "  %d. %s (fit %d/100) — guide: %s\n", rank, str(x, "code"),
	        (int)num(x, "score", 0), str(x, "branch"));
	int k = 0, shown = 0;
	cJSON_ArrayForEach (e, cJSON_GetObjectItemCaseSensitive(x, "evidence")) {
		const cJSON *at = cJSON_GetArrayItem(src, k++);
		if (!cJSON_IsString(e) || (other && said_by(other, e->valuestring)))
			continue;
		fprintf(f, "     %s %s%s%s%s\n", shown++ ? "-" : "*", e->valuestring,
		        cJSON_IsString(at) ? "  [" : "", cJSON_IsString(at) ? at->valuestring : "",
		        cJSON_IsString(at) ? "]" : "");
	}
	if (!shown)
		fprintf(f, "     (no evidence of its own: everything it saw, the other saw too)\n");
}

void diagnose_explain(const cJSON *d, FILE *f)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(d, "findings");
	const cJSON *a = cJSON_GetArrayItem(list, 0), *b = cJSON_GetArrayItem(list, 1);
	if (!a) {
		fprintf(f, "explain: %s — no finding to tell apart\n", diagnose_top(d));
		return;
	}
	if (!b) {
		fprintf(f, "explain: only %s fits; no other rule matched this evidence\n",
		        str(a, "code"));
		explain_one(a, NULL, 1, f);
		return;
	}
	fprintf(f,
	        "explain: %s ranks above %s (fit %d against %d%s); what each saw that the other "
	        "did not (the first line of each is its scope; [..] is where in the report):\n",
	        str(a, "code"), str(b, "code"), (int)num(a, "score", 0), (int)num(b, "score", 0),
	        num(a, "score", 0) == num(b, "score", 0) ? ", a tie broken by the guide's order"
	                                                 : "");
	explain_one(a, b, 1, f);
	explain_one(b, a, 2, f);
}
