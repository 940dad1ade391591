/* worker.c — the worker and its endpoints (see worker.h).
 *
 * One process, one sofia event loop, one nua for every endpoint. Each
 * endpoint walks INITIALIZING → REGISTERED → CALLING → RINGING → NEGOTIATING
 * → INCALL → DISCONNECTING → CLOSED (callees skip CALLING), and its outcome
 * follows the platform's severity rule. SDP is written and read here (nua's
 * own media layer is off), so SDES keys and RTCP multiplexing are ours. */
#define _GNU_SOURCE
#include "worker.h"
#include "../../lib/codes.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

struct worker;
struct ep;
#define SU_ROOT_MAGIC_T struct worker
#define NUA_MAGIC_T     struct worker
#define NUA_HMAGIC_T    struct ep
#define SU_WAKEUP_ARG_T void
#define SU_TIMER_ARG_T  void

#include <sofia-sip/nua.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/tport_tag.h>

#include "../../lib/rng.h"
#include "../../sip/sofia_seed.h"
#include "../../media/quality.h"
#include "../../media/stream.h"
#include "../../sip/tap.h"
#include "../model/scenario.h"
#include "../model/vocab.h"
#include "../platform/wire.h"
#include "cgcpu.h"
#include "cgmem.h"
#include "regprobe.h"

/* Call-IDs the trace knows, hashed (see trace_owner). */
#define OWNER_BUCKETS 4096

enum ep_next { NEXT_NONE, NEXT_REGISTER, NEXT_CALL, NEXT_HANGUP, NEXT_REG_REFUSED, NEXT_FINISH };

struct ep {
	struct worker *w;
	int id;
	uint64_t seed; /* the worker's seed and the endpoint's id: its own numbers */
	char user[64], password[64], domain[64], group[32];
	char registrar[160], target[160], route[200], aor[160];
	enum media_codec codecs[SCN_MAX_CODECS];
	int n_codecs;
	enum media_keying srtp;
	enum scn_role role;
	long reg_at_ms, call_at_ms, call_ms;
	long pause_at_ms, pause_ms; /* silence suppression, from the media start */
	nua_handle_t *reg_nh, *call_nh;
	su_timer_t *timer;
	enum ep_next next;
	enum phase phase, phase_reached; /* the last phase before CLOSED */
	enum outcome outcome;
	int code;           /* the final SIP code that decided the outcome */
	int code_local;     /* it was made up by the stack, not received */
	int last_rx_status; /* the last response status seen on the wire */
	int auth_tries;
	char reg_refused[96]; /* the error response a REGISTER got ("503 Service ...") */
	int retry_after;
	int registered, in_call, final, unregistered;
	char reason[192];
	long long t_register, t_registered, t_invite, t_ringing, t_answered, t_bye;
	struct stream st;
	int has_stream, st_reg;
	cJSON *trace, *warnings;
	struct ep *hnext; /* user hash chain */

	/* The trace keeps the first messages and, in a ring, the last ones. */
	cJSON *trace_tail[TRACE_KEEP_LAST];
	long trace_seen; /* every message of the endpoint */
};

/* Which endpoint a Call-ID belongs to, on which side of it: the tag this
 * endpoint owns in the dialog ("" until its first message shows it), and
 * whether it sent the first request (UAC) or received it (UAS). A caller
 * and its callee may both live in this worker, on one Call-ID. */
struct owner {
	char *call_id;
	char tag[64];
	int uas;
	struct ep *ep;
	struct owner *next;
};

struct worker {
	const struct worker_opts *o;
	su_root_t *root;
	nua_t *nua;
	struct wire gw;
	int gw_reg;
	su_timer_t *heartbeat, *media_tick, *deadline;
	long heartbeat_ms;
	struct stream_clips clips;
	struct ep *eps;
	int n_eps, n_final;
	struct ep *hash[4096];
	struct ep **active; /* endpoints with a running stream */
	int n_active, cap_active;
	long long t0; /* when the dispatch arrived */
	char run[64];
	long t1_ms, t1x64_ms, rtcp_ms, deadline_ms;
	char tls_dir[256];
	int stopping;
	int exit_code;
	int release_asked, quit, unreg_pending, shutdown_done;

	/* Every SIP message and every event of the SIP stack, from the tap. */
	struct sip_tap tap;
	long long t0_wall_us;                /* the dispatch's arrival, on the wall clock */
	struct owner *owners[OWNER_BUCKETS]; /* Call-ID → endpoint */
	int keep_first, keep_last;           /* trace limits (lib/limits.h) */
	cJSON *events;                       /* stack events (ICMP and the like), in order */
	long events_dropped;                 /* beyond WORKER_MAX_EVENTS */
	long unparsed; /* SIP messages sofia-sip's parser refused: in no trace, counted */
	int probed;    /* the registrar probes ran this run */
	/* The last heartbeat's CPU time, clock and cpu.stat counters, to say
	 * what the worker used since: cpu_pct. */
	double hb_cpu_ms;
	long long hb_ns, hb_periods, hb_throttled;
};

static void ep_set_phase(struct ep *ep, enum phase p);
static void ep_finish(struct ep *ep);

/* A time the tap took (since the run's t0) as milliseconds since the
 * dispatch, like every other time of the worker. */
static long long tap_ms(const struct worker *w, long long t_us)
{
	return (t_us + w->tap.t0_us - w->t0_wall_us) / 1000;
}

static long long rel_ms(const struct worker *w)
{
	return (sys_now_ns() - w->t0) / 1000000;
}

/* --- talking to the gateway ----------------------------------------------------------- */

static void gw_send(struct worker *w, cJSON *m)
{
	if (wire_send(&w->gw, m) < 0 && !w->gw.eof) {
		fprintf(stderr, "siplab worker %s: lost the gateway while sending\n", w->o->name);
		w->gw.eof = 1;
	}
	cJSON_Delete(m);
}

static void send_phase(struct ep *ep)
{
	cJSON *m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "type", "phase");
	cJSON_AddNumberToObject(m, "id", ep->id);
	cJSON_AddStringToObject(m, "phase", phase_name(ep->phase));
	if (ep->outcome != OUTCOME_NONE)
		cJSON_AddStringToObject(m, "outcome", outcome_name(ep->outcome));
	cJSON_AddNumberToObject(m, "t_ms", (double)rel_ms(ep->w));
	gw_send(ep->w, m);
}

/* --- the trace: what the transport layer logs, sorted by endpoint ------------------- */

static unsigned hash_user(const char *s)
{
	unsigned h = 5381;
	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h % 4096;
}

static struct ep *find_user(struct worker *w, const char *user, size_t n)
{
	char u[64];
	snprintf(u, sizeof(u), "%.*s", (int)n, user);
	for (struct ep *ep = w->hash[hash_user(u)]; ep; ep = ep->hnext)
		if (!strcmp(ep->user, u))
			return ep;
	return NULL;
}

/* --- Call-ID ownership ---------------------------------------------------------------- */

static unsigned hash_call_id(const char *s)
{
	return hash_user(s) % OWNER_BUCKETS;
}

static struct owner *owner_add(struct worker *w, const char *call_id, const char *tag, int uas,
                               struct ep *ep)
{
	struct owner *o = calloc(1, sizeof(*o));
	if (!o || !(o->call_id = strdup(call_id))) {
		free(o);
		return NULL;
	}
	snprintf(o->tag, sizeof(o->tag), "%s", tag);
	o->uas = uas;
	o->ep = ep;
	unsigned h = hash_call_id(call_id);
	o->next = w->owners[h];
	w->owners[h] = o;
	return o;
}

static void owners_free(struct worker *w)
{
	for (int i = 0; i < OWNER_BUCKETS; i++)
		while (w->owners[i]) {
			struct owner *o = w->owners[i];
			w->owners[i] = o->next;
			free(o->call_id);
			free(o);
		}
}

/* A Call-ID of our own for a handle of an endpoint, so its messages are
 * found by Call-ID alone: unique per dispatch, endpoint and use. */
/* The endpoint owns this Call-ID (its own, seeded: see seeded_ids): the
 * tap's messages on it are its trace. */
static const char *ep_call_id(struct ep *ep, const char *buf)
{
	struct worker *w = ep->w;
	if (!owner_add(w, buf, "", 0, ep))
		fprintf(stderr, "siplab worker %s: out of memory for the trace of %s\n", w->o->name,
		        ep->user);
	return buf;
}

/* Whose message is it? The endpoint that owns its Call-ID on the side the
 * message belongs to. The tag this process owns in a message's dialog is the
 * From tag of a request sent or a response received, the To tag otherwise.
 * A request received on a Call-ID (or a side of it) not seen before opens a
 * dialog for the endpoint its To names. */
static struct ep *trace_owner(struct worker *w, const struct sip_tap_msg *m)
{
	if (!m->parsed || !m->call_id[0])
		return NULL;
	int request = m->status == 0;
	int uas = m->sent != request; /* received a request, or sent a response */
	const char *tag = uas ? m->to_tag : m->from_tag;
	struct owner *pending = NULL;
	for (struct owner *o = w->owners[hash_call_id(m->call_id)]; o; o = o->next) {
		if (strcmp(o->call_id, m->call_id))
			continue;
		if (tag[0] && !strcmp(o->tag, tag))
			return o->ep;
		if (!o->tag[0] && o->uas == uas && !pending)
			pending = o;
	}
	if (pending) {
		snprintf(pending->tag, sizeof(pending->tag), "%s", tag);
		return pending->ep;
	}
	if (!request || m->sent)
		return NULL;
	struct ep *ep = find_user(w, m->to_user, strlen(m->to_user));
	if (ep)
		(void)owner_add(w, m->call_id, tag, 1, ep);
	return ep;
}

/* --- the trace: every message of an endpoint, from the tap ------------------------------ */

static void arm(struct ep *ep, enum ep_next next, long ms);

/* A REGISTER refused with an error the stack may quietly retry later (nua
 * honours a 503's Retry-After and reports nothing meanwhile): on the
 * platform that endpoint has failed, so it fails here, with that code. */
static void refused_register(struct ep *ep, const struct sip_tap_msg *m)
{
	if (m->sent || m->status < 300 || m->status == 401 || m->status == 407 || ep->registered ||
	    ep->final || ep->reg_refused[0] || strcmp(m->cseq_method, "REGISTER"))
		return;
	const char *phrase = m->sip->sip_status->st_phrase;
	snprintf(ep->reg_refused, sizeof(ep->reg_refused), "%d %s", m->status,
	         phrase ? phrase : "");
	ep->retry_after = m->sip->sip_retry_after ? (int)m->sip->sip_retry_after->af_delta : 0;
	arm(ep, NEXT_REG_REFUSED, 1);
}

static cJSON *trace_entry(struct worker *w, const struct sip_tap_msg *m)
{
	cJSON *t = cJSON_CreateObject();
	cJSON_AddNumberToObject(t, "t_ms", (double)tap_ms(w, m->t_us));
	cJSON_AddNumberToObject(t, "t_us", (double)m->t_us);
	cJSON_AddStringToObject(t, "dir", m->sent ? "send" : "recv");
	cJSON_AddStringToObject(t, "transport", m->transport);
	cJSON_AddStringToObject(t, "local", m->local);
	cJSON_AddStringToObject(t, "peer", m->peer);
	cJSON_AddStringToObject(t, "call_id", m->call_id);
	cJSON_AddStringToObject(t, "first_line", m->first_line);
	cJSON_AddStringToObject(t, "text", m->text);
	return t;
}

/* Keep the first messages in the trace and the last ones in a ring; the
 * ones between are only counted. */
static void trace_keep(struct ep *ep, cJSON *t)
{
	struct worker *w = ep->w;
	long n = ep->trace_seen++;
	if (n < w->keep_first) {
		cJSON_AddItemToArray(ep->trace, t);
		return;
	}
	if (!w->keep_last) {
		cJSON_Delete(t);
		return;
	}
	int slot = (int)((n - w->keep_first) % w->keep_last);
	cJSON_Delete(ep->trace_tail[slot]);
	ep->trace_tail[slot] = t;
}

/* The kept messages in order, into the trace; returns how many were dropped. */
static long trace_close(struct ep *ep)
{
	struct worker *w = ep->w;
	long tail = ep->trace_seen - w->keep_first;
	if (tail <= 0)
		return 0;
	long kept = tail < w->keep_last ? tail : w->keep_last;
	for (long i = tail - kept; i < tail; i++) {
		int slot = (int)(i % w->keep_last);
		cJSON_AddItemToArray(ep->trace, ep->trace_tail[slot]);
		ep->trace_tail[slot] = NULL;
	}
	return tail - kept;
}

static void trace_free(struct ep *ep)
{
	for (int i = 0; i < TRACE_KEEP_LAST; i++) {
		cJSON_Delete(ep->trace_tail[i]);
		ep->trace_tail[i] = NULL;
	}
	cJSON_Delete(ep->trace);
	ep->trace = NULL;
}

static void on_sip_message(void *ctx, const struct sip_tap_msg *m)
{
	struct worker *w = ctx;
	if (!m->parsed) {
		w->unparsed++; /* whose it is cannot be told: counted, not lost silently */
		return;
	}
	struct ep *ep = trace_owner(w, m);
	if (!ep || !ep->trace) /* none, or its record has gone to the gateway */
		return;
	if (!m->sent && m->status >= 200)
		ep->last_rx_status = m->status;
	refused_register(ep, m);
	cJSON *t = trace_entry(w, m);
	if (t)
		trace_keep(ep, t);
}

/* Anything else the SIP stack logged: an ICMP error, a refused connection. */
static void on_sip_event(void *ctx, const struct sip_tap_event *ev)
{
	struct worker *w = ctx;
	if (!w->events)
		return;
	if (cJSON_GetArraySize(w->events) >= WORKER_MAX_EVENTS) {
		w->events_dropped++;
		return;
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "t_ms", (double)tap_ms(w, ev->t_us));
	cJSON_AddNumberToObject(o, "t_us", (double)ev->t_us);
	cJSON_AddStringToObject(o, "kind", ev->kind);
	cJSON_AddStringToObject(o, "cause", ev->cause);
	cJSON_AddStringToObject(o, "peer", ev->peer);
	cJSON_AddStringToObject(o, "text", ev->text);
	cJSON_AddItemToArray(w->events, o);
}

/* The trace's limits, lowered by a test (SIPLAB_TRACE_KEEP="FIRST,LAST") so
 * a short run can show what a long one does; never raised. */
static void trace_limits(struct worker *w)
{
	int first = TRACE_KEEP_FIRST, last = TRACE_KEEP_LAST;
	const char *env = getenv("SIPLAB_TRACE_KEEP");
	if (env && sscanf(env, "%d,%d", &first, &last) == 2) {
		first = first < 0 ? 0 : first > TRACE_KEEP_FIRST ? TRACE_KEEP_FIRST : first;
		last = last < 0 ? 0 : last > TRACE_KEEP_LAST ? TRACE_KEEP_LAST : last;
	}
	w->keep_first = first;
	w->keep_last = last;
}

/* --- endpoint state ----------------------------------------------------------------- */

static void ep_set_phase(struct ep *ep, enum phase p)
{
	enum phase before = ep->phase;
	ep->phase = phase_advance(ep->phase, p);
	if (ep->phase != before)
		send_phase(ep);
}

static void ep_fail(struct ep *ep, enum outcome o, int code, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static void ep_fail(struct ep *ep, enum outcome o, int code, const char *fmt, ...)
{
	enum outcome before = ep->outcome;
	ep->outcome = outcome_update(ep->outcome, o);
	if (ep->outcome != before || !ep->reason[0]) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(ep->reason, sizeof(ep->reason), fmt, ap);
		va_end(ap);
		ep->code = code; /* 0: no SIP answer decided it */
		if (code) {
			/* A response that never arrived was made up by the stack (ICMP
			 * errors become 503, silence becomes 408). */
			ep->code_local = code != ep->last_rx_status;
		}
	}
}

static void warn(struct ep *ep, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void warn(struct ep *ep, const char *fmt, ...)
{
	char buf[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	cJSON_AddItemToArray(ep->warnings, cJSON_CreateString(buf));
}

/* One metric of one direction past "good": a warning that names its tier
 * and the boundary it crossed. */
static void warn_tier(struct ep *ep, enum q_tier t, const char *what, double v, int prec,
                      const char *unit, const char *good)
{
	if (t >= Q_WARNING)
		warn(ep, "%s %.*f%s (%s; good: %s)", what, prec, v, unit, q_tier_name(t), good);
}

/* The media verdict of a call that ended normally, by the tiers of the
 * vocabulary (media/quality.h): a metric past "good" in either direction is
 * a warning. The received direction is measured here; the sent one is what
 * the far end's RTCP reports said (unknown without them). */
static enum outcome media_outcome(struct ep *ep, const struct stream_metrics *m)
{
	if (!m->rx.packets)
		warn(ep, "no audio received (%llu packets sent)",
		     (unsigned long long)m->tx.packets);
	if (!m->tx.packets)
		warn(ep, "no audio sent");
	warn_tier(ep, q_loss(m->rx.loss_pct), "received packet loss", m->rx.loss_pct, 1, " %",
	          "<= 1 %");
	warn_tier(ep, q_jitter(m->rx.jitter_ms), "received jitter", m->rx.jitter_ms, 1, " ms",
	          "< 20 ms");
	warn_tier(ep, q_rtt(m->rx.rtt_ms), "RTT", m->rx.rtt_ms, 0, " ms", "< 100 ms");
	warn_tier(ep, q_mos(m->rx.mos), "received MOS", m->rx.mos, 2, "", ">= 4.0");
	if (!strcasecmp(m->codec, "opus"))
		warn_tier(ep, q_plc(m->rx.plc_ms_per_s), "received PLC duration",
		          m->rx.plc_ms_per_s, 0, " ms/s", "<= 50 ms/s");
	warn_tier(ep, q_loss(m->tx.loss_pct), "sent-direction packet loss as the peer reports",
	          m->tx.loss_pct, 1, " %", "<= 1 %");
	warn_tier(ep, q_jitter(m->tx.jitter_ms), "sent-direction jitter as the peer reports",
	          m->tx.jitter_ms, 1, " ms", "< 20 ms");
	warn_tier(ep, q_mos(m->tx.mos), "sent-direction MOS as the peer reports", m->tx.mos, 2, "",
	          ">= 4.0");
	if (m->pt_unexpected)
		warn(ep, "%llu RTP packets with payload type %d, not the negotiated %d: not audio",
		     (unsigned long long)m->pt_unexpected, m->pt_seen, m->pt_expected);
	if (m->codec_changes)
		warn(ep, "the codec changed mid-call by a later offer/answer: %s, then %s",
		     m->codec_first, m->codec);
	return cJSON_GetArraySize(ep->warnings) ? OUTCOME_COMPLETED_WITH_WARNINGS : OUTCOME_SUCCESS;
}

/* PLC duration is the vocabulary's metric for Opus only. */
static double plc_shown(const struct stream_dir *d, int opus)
{
	return opus ? d->plc_ms_per_s : -1;
}

static void tiers_json(cJSON *o, const struct stream_dir *d, int opus)
{
	cJSON *t = cJSON_AddObjectToObject(o, "tiers");
	enum q_tier loss = q_loss(d->loss_pct), jit = q_jitter(d->jitter_ms),
	            rtt = q_rtt(d->rtt_ms), mos = q_mos(d->mos), plc = q_plc(plc_shown(d, opus));
	cJSON_AddStringToObject(t, "loss", q_tier_name(loss));
	cJSON_AddStringToObject(t, "jitter", q_tier_name(jit));
	cJSON_AddStringToObject(t, "rtt", q_tier_name(rtt));
	cJSON_AddStringToObject(t, "mos", q_tier_name(mos));
	if (plc != Q_UNKNOWN)
		cJSON_AddStringToObject(t, "plc", q_tier_name(plc));
	/* The direction's quality: its worst measured metric. */
	enum q_tier worst = q_worst(q_worst(loss, jit), q_worst(rtt, mos));
	cJSON_AddStringToObject(o, "quality", q_tier_name(q_worst(worst, plc)));
}

static cJSON *dir_json(const struct stream_dir *d, int opus)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "packets", (double)d->packets);
	cJSON_AddNumberToObject(o, "bytes", (double)d->bytes);
	if (d->loss_pct >= 0)
		cJSON_AddNumberToObject(o, "loss_pct", d->loss_pct);
	else
		cJSON_AddNullToObject(o, "loss_pct");
	if (d->jitter_ms >= 0)
		cJSON_AddNumberToObject(o, "jitter_ms", d->jitter_ms);
	else
		cJSON_AddNullToObject(o, "jitter_ms");
	if (d->rtt_ms >= 0)
		cJSON_AddNumberToObject(o, "rtt_ms", d->rtt_ms);
	else
		cJSON_AddNullToObject(o, "rtt_ms");
	if (d->mos >= 0)
		cJSON_AddNumberToObject(o, "mos", d->mos);
	else
		cJSON_AddNullToObject(o, "mos");
	if (d->burst_mean >= 0)
		cJSON_AddNumberToObject(o, "loss_burst_mean", d->burst_mean);
	if (d->reordered >= 0)
		cJSON_AddNumberToObject(o, "reordered", (double)d->reordered);
	if (d->late >= 0)
		cJSON_AddNumberToObject(o, "late_packets", (double)d->late);
	if (plc_shown(d, opus) >= 0)
		cJSON_AddNumberToObject(o, "plc_ms_per_s", plc_shown(d, opus));
	tiers_json(o, d, opus);
	return o;
}

/* The payload type this end's SDP negotiated, and the packets that came
 * with another (counted apart from "received"); a codec changed mid-call. */
static void payload_json(cJSON *o, const struct stream_metrics *m)
{
	if (m->pt_expected >= 0)
		cJSON_AddNumberToObject(o, "payload_type", m->pt_expected);
	cJSON_AddNumberToObject(o, "unexpected_pt_packets", (double)m->pt_unexpected);
	if (m->pt_seen >= 0)
		cJSON_AddNumberToObject(o, "unexpected_pt", m->pt_seen);
	if (m->codec_changes) {
		cJSON_AddStringToObject(o, "codec_first", m->codec_first);
		cJSON_AddNumberToObject(o, "codec_changes", m->codec_changes);
		cJSON_AddNumberToObject(o, "received_since_codec_change",
		                        (double)m->rx_since_change);
	}
}

static cJSON *media_json(const struct ep *ep, const struct stream_metrics *m)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "codec", m->codec);
	cJSON_AddBoolToObject(o, "srtp", m->srtp);
	char local[96], remote[96];
	snprintf(local, sizeof(local), "%s:%d", ep->st.addr, ep->st.port);
	snprintf(remote, sizeof(remote), "%s:%d", inet_ntoa(ep->st.remote.sin_addr),
	         ntohs(ep->st.remote.sin_port));
	cJSON_AddStringToObject(o, "local", local);
	cJSON_AddStringToObject(o, "remote", remote);
	/* Drawn from the run's seed: the same seed, the same SSRCs. */
	cJSON_AddNumberToObject(o, "ssrc", ep->st.ssrc);
	cJSON_AddNumberToObject(o, "peer_ssrc", ep->st.peer_ssrc);
	int opus = !strcasecmp(m->codec, "opus");
	cJSON_AddItemToObject(o, "sent", dir_json(&m->tx, opus));
	cJSON_AddItemToObject(o, "received", dir_json(&m->rx, opus));
	cJSON_AddNumberToObject(o, "rtcp_sent", (double)m->rtcp_sent);
	cJSON_AddNumberToObject(o, "rtcp_received", (double)m->rtcp_received);
	cJSON_AddNumberToObject(o, "srtp_errors", (double)m->srtp_errors);
	if (m->rx_before_pause >= 0) {
		cJSON_AddNumberToObject(o, "received_before_pause", (double)m->rx_before_pause);
		cJSON_AddNumberToObject(o, "received_since_pause", (double)m->rx_since_pause);
		if (m->tx_after_pause >= 0)
			cJSON_AddNumberToObject(o, "sent_after_pause", (double)m->tx_after_pause);
	}
	payload_json(o, m);
	return o;
}

static void add_ms(cJSON *o, const char *key, long long t, long long t0)
{
	if (t)
		cJSON_AddNumberToObject(o, key, (double)((t - t0) / 1000000));
}

/* Audio packets of one direction of a media record (-1 when absent). */
static double media_packets(const cJSON *media, const char *dir)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(media, dir);
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(d, "packets");
	return cJSON_IsNumber(n) ? n->valuedouble : -1;
}

/* A call that was up and still fell short: no audio, one way, or poor. */
static enum ep_failure media_failure(const cJSON *media)
{
	double rx = media_packets(media, "received"), tx = media_packets(media, "sent");
	if (!media || (rx <= 0 && tx <= 0))
		return EP_FAIL_NO_MEDIA;
	return rx <= 0 ? EP_FAIL_MEDIA_ONE_WAY : EP_FAIL_MEDIA_QUALITY;
}

/* How the endpoint failed, as a code, from the state that decided its
 * outcome (the code and whether it came over the wire), and who decided it.
 * sofia-sip gives a resolver failure no code of its own: it makes up a 503
 * whose phrase is "DNS Error" (the reason quotes it), so that phrase is read
 * here, once, where the stack's answer arrives — never by the diagnosis. */
static enum ep_failure ep_failure_of(const struct ep *ep, const cJSON *media, enum fail_source *src)
{
	int callee = ep->role != SCN_CALLER, local = ep->code && ep->code_local;
	*src = ep->code && !ep->code_local ? FAIL_SOURCE_REMOTE : FAIL_SOURCE_LOCAL;
	switch (ep->outcome) {
	case OUTCOME_REGISTRATION_FAILED:
		if (!ep->code || (local && ep->code == 408))
			return EP_FAIL_REGISTRATION_TIMEOUT;
		if (local)
			return ep->code == 503 && strstr(ep->reason, "DNS Error")
			               ? EP_FAIL_DNS_FAILURE
			               : EP_FAIL_TRANSPORT_ERROR;
		return ep->code == 401 || ep->code == 407 ? EP_FAIL_AUTH_FAILED
		                                          : EP_FAIL_REGISTRATION_REFUSED;
	case OUTCOME_NEGOTIATION_FAILED:
		if (callee && ep->code) {
			*src = FAIL_SOURCE_LOCAL; /* our own 488 went on the wire */
			return EP_FAIL_OFFER_REFUSED;
		}
		return ep->code && !local ? EP_FAIL_OFFER_REJECTED : EP_FAIL_NEGOTIATION_FAILED;
	case OUTCOME_CALL_FAILED:
		if (callee && ep->code == 487) {
			*src = FAIL_SOURCE_REMOTE; /* the caller's CANCEL */
			return EP_FAIL_CALL_CANCELLED;
		}
		return local ? EP_FAIL_TRANSPORT_ERROR : EP_FAIL_CALL_REJECTED;
	case OUTCOME_TIMEOUT:
		return callee && !ep->code ? EP_FAIL_NO_INCOMING_CALL : EP_FAIL_CALL_TIMEOUT;
	case OUTCOME_TEARDOWN_ERROR:
		return ep->code ? EP_FAIL_BYE_REJECTED : EP_FAIL_BYE_TIMEOUT;
	case OUTCOME_OSERROR:
		return EP_FAIL_OS_ERROR;
	case OUTCOME_COMPLETED_WITH_WARNINGS:
		*src = FAIL_SOURCE_LOCAL; /* measured here */
		return media_failure(media);
	default:
		return EP_FAIL_NONE;
	}
}

/* The record's "failure": {kind, sip_code, source}, absent on success. */
static void add_failure(cJSON *r, const struct ep *ep, const cJSON *media)
{
	enum fail_source src;
	enum ep_failure kind = ep_failure_of(ep, media, &src);
	if (kind == EP_FAIL_NONE)
		return;
	cJSON *f = cJSON_AddObjectToObject(r, "failure");
	cJSON_AddStringToObject(f, "kind", ep_failure_name(kind));
	cJSON_AddNumberToObject(f, "sip_code", ep->code);
	cJSON_AddStringToObject(f, "source", fail_source_name(src));
}

/* The endpoint's record, as the report holds it. Takes the trace. */
static cJSON *ep_record(struct ep *ep, cJSON *media)
{
	struct worker *w = ep->w;
	cJSON *r = cJSON_CreateObject();
	cJSON_AddNumberToObject(r, "id", ep->id);
	cJSON_AddStringToObject(r, "group", ep->group);
	cJSON_AddStringToObject(r, "user", ep->user);
	cJSON_AddStringToObject(r, "worker", w->o->name);
	cJSON_AddStringToObject(r, "phase", phase_name(ep->phase));
	cJSON_AddStringToObject(r, "phase_reached", phase_name(ep->phase_reached));
	if (ep->outcome != OUTCOME_NONE)
		cJSON_AddStringToObject(r, "outcome", outcome_name(ep->outcome));
	else
		cJSON_AddNullToObject(r, "outcome");
	if (ep->code) {
		cJSON_AddNumberToObject(r, "sip_code", ep->code);
		cJSON_AddStringToObject(r, "sip_code_source", ep->code_local ? "local" : "wire");
	} else {
		cJSON_AddNullToObject(r, "sip_code");
	}
	if (ep->reason[0])
		cJSON_AddStringToObject(r, "reason", ep->reason);
	add_failure(r, ep, media);
	cJSON *t = cJSON_AddObjectToObject(r, "times_ms");
	add_ms(t, "register", ep->t_register, w->t0);
	add_ms(t, "registered", ep->t_registered, w->t0);
	add_ms(t, "invite", ep->t_invite, w->t0);
	add_ms(t, "ringing", ep->t_ringing, w->t0);
	add_ms(t, "answered", ep->t_answered, w->t0);
	add_ms(t, "bye", ep->t_bye, w->t0);
	if (ep->t_invite && ep->t_ringing && ep->role == SCN_CALLER)
		cJSON_AddNumberToObject(r, "pdd_ms",
		                        (double)((ep->t_ringing - ep->t_invite) / 1000000));
	if (ep->role == SCN_CALLER)
		cJSON_AddStringToObject(r, "target", ep->target);
	if (media)
		cJSON_AddItemToObject(r, "media", media);
	else
		cJSON_AddNullToObject(r, "media");
	cJSON_AddItemToObject(r, "warnings", ep->warnings);
	cJSON_AddNumberToObject(r, "trace_dropped", (double)trace_close(ep));
	cJSON_AddItemToObject(r, "trace", ep->trace);
	ep->warnings = ep->trace = NULL;
	return r;
}

static void stop_stream(struct ep *ep, struct stream_metrics *m)
{
	struct worker *w = ep->w;
	stream_receive(&ep->st, sys_now_ns());
	stream_metrics(&ep->st, m);
	su_root_deregister(w->root, ep->st_reg);
	stream_close(&ep->st);
	ep->has_stream = 0;
	for (int i = 0; i < w->n_active; i++)
		if (w->active[i] == ep) {
			w->active[i] = w->active[--w->n_active];
			break;
		}
}

/* --- the registrar probes (regprobe.c) ------------------------------------------------- */

/* Once this worker's last endpoint is done, and only if some failed to
 * register: probe the registrar of the first of them, as the guide tells a
 * person to, and send the result before that endpoint's own (so the run
 * cannot end without it). It blocks for the probes' budget, when no
 * endpoint of this worker has anything left to do. */
static void maybe_probe(struct worker *w)
{
	const struct ep *failed = NULL;
	if (w->probed || w->stopping || w->n_final < w->n_eps)
		return;
	for (int i = 0; i < w->n_eps && !failed; i++)
		if (w->eps[i].outcome == OUTCOME_REGISTRATION_FAILED)
			failed = &w->eps[i];
	struct rp_target t;
	if (!failed || regprobe_target(failed->registrar, &t))
		return;
	w->probed = 1;
	snprintf(t.bind, sizeof(t.bind), "%s", w->o->bind);
	snprintf(t.resolv, sizeof(t.resolv), "/etc/resolv.conf");
	if (w->tls_dir[0])
		snprintf(t.cafile, sizeof(t.cafile), "%s/cafile.pem", w->tls_dir);
	snprintf(t.from_domain, sizeof(t.from_domain), "%s", failed->domain);
	t.t1_ms = w->t1_ms;
	struct rp_result *r = malloc(sizeof(*r));
	if (!r)
		return;
	regprobe_run(&t, r);
	cJSON *m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "type", "probes");
	cJSON_AddNumberToObject(m, "t_ms", (double)rel_ms(w));
	cJSON_AddItemToObject(m, "probes", regprobe_json(r));
	free(r);
	gw_send(w, m);
}

/* The endpoint is done: close its stream, judge the media, report. */
static void ep_finish(struct ep *ep)
{
	if (ep->final)
		return;
	struct worker *w = ep->w;
	cJSON *media = NULL;
	if (ep->has_stream) {
		struct stream_metrics m;
		int ran = ep->st.running;
		stop_stream(ep, &m);
		if (ran) {
			if (ep->outcome == OUTCOME_NONE || ep->outcome == OUTCOME_SUCCESS)
				ep->outcome = outcome_update(ep->outcome, media_outcome(ep, &m));
			media = media_json(ep, &m);
		}
	}
	if (ep->outcome == OUTCOME_NONE && !media && ep->phase >= PHASE_NEGOTIATING &&
	    !ep->w->stopping) {
		/* Answered, then over before any media could flow. */
		warn(ep, "the call ended before media started");
		ep->outcome = OUTCOME_COMPLETED_WITH_WARNINGS;
	}
	if (ep->timer)
		su_timer_reset(ep->timer);
	ep->final = 1;
	w->n_final++;
	ep->phase_reached = ep->phase;
	ep_set_phase(ep, PHASE_CLOSED);
	maybe_probe(w);
	cJSON *msg = cJSON_CreateObject();
	cJSON_AddStringToObject(msg, "type", "result");
	cJSON_AddItemToObject(msg, "endpoint", ep_record(ep, media));
	gw_send(w, msg);
}

/* --- media -------------------------------------------------------------------------- */

static int on_rtp(struct worker *w, su_wait_t *wt, void *arg)
{
	struct ep *ep = arg;
	(void)w;
	(void)wt;
	if (ep->has_stream)
		stream_receive(&ep->st, sys_now_ns());
	return 0;
}

static void on_media_tick(struct worker *w, su_timer_t *t, void *arg)
{
	long long now = sys_now_ns();
	for (int i = 0; i < w->n_active; i++)
		stream_tick(&w->active[i]->st, now);
}

static int open_stream(struct ep *ep)
{
	struct worker *w = ep->w;
	err_t e;
	if (stream_open(&ep->st, w->o->bind, &e)) {
		ep_fail(ep, OUTCOME_OSERROR, 0, "%s", e.msg);
		return -1;
	}
	stream_seed(&ep->st, rng_derive(ep->seed, "media"));
	su_wait_t wt;
	su_wait_create(&wt, ep->st.fd, SU_WAIT_IN);
	ep->st_reg = su_root_register(w->root, &wt, on_rtp, ep, 0);
	ep->has_stream = 1;
	return 0;
}

static void start_stream(struct ep *ep)
{
	struct worker *w = ep->w;
	err_t e;
	if (stream_start(&ep->st, &w->clips, w->rtcp_ms, ep->pause_at_ms, ep->pause_ms,
	                 sys_now_ns(), &e)) {
		ep_fail(ep, OUTCOME_NEGOTIATION_FAILED, 0, "%s", e.msg);
		return;
	}
	if (w->n_active == w->cap_active) {
		int cap = w->cap_active ? w->cap_active * 2 : 64;
		struct ep **a = realloc(w->active, sizeof(*a) * (size_t)cap);
		if (!a) {
			ep_fail(ep, OUTCOME_OSERROR, 0, "out of memory");
			return;
		}
		w->active = a;
		w->cap_active = cap;
	}
	w->active[w->n_active++] = ep;
}

/* --- SIP ----------------------------------------------------------------------------- */

static void ep_timer(struct worker *w, su_timer_t *t, void *arg);

static void arm(struct ep *ep, enum ep_next next, long ms)
{
	ep->next = next;
	su_timer_set_interval(ep->timer, ep_timer, ep, ms > 0 ? ms : 1);
}

/* The Call-ID and From of a request of ep's (what is "register" or "call"),
 * from its seed: sofia would make the Call-ID from the clock, and the tag
 * from a generator that all endpoints share in the order they ask. */
static void seeded_ids(const struct ep *ep, const char *what, char *call_id, size_t ccap,
                       char *from, size_t fcap)
{
	char label[32];
	snprintf(label, sizeof(label), "%s call-id", what);
	snprintf(call_id, ccap, "%016llx@%s", (unsigned long long)rng_derive(ep->seed, label),
	         ep->w->o->bind);
	snprintf(label, sizeof(label), "%s tag", what);
	snprintf(from, fcap, "<%s>;tag=%012llx", ep->aor,
	         (unsigned long long)(rng_derive(ep->seed, label) >> 16));
}

static void do_register(struct ep *ep)
{
	struct worker *w = ep->w;
	char call_id[96], from[224];
	seeded_ids(ep, "register", call_id, sizeof(call_id), from, sizeof(from));
	ep->t_register = sys_now_ns();
	ep->reg_nh = nua_handle(w->nua, ep, SIPTAG_TO_STR(ep->aor), SIPTAG_FROM_STR(from),
	                        SIPTAG_CALL_ID_STR(ep_call_id(ep, call_id)), TAG_END());
	if (!ep->reg_nh) {
		ep_fail(ep, OUTCOME_OSERROR, 0, "cannot create a SIP handle");
		ep_finish(ep);
		return;
	}
	nua_register(ep->reg_nh, NUTAG_M_USERNAME(ep->user),
	             NUTAG_REGISTRAR(URL_STRING_MAKE(ep->registrar)), SIPTAG_EXPIRES_STR("3600"),
	             TAG_END());
}

static void do_call(struct ep *ep)
{
	struct worker *w = ep->w;
	char sdp[1024];
	if (open_stream(ep) ||
	    stream_offer(&ep->st, ep->codecs, ep->n_codecs, ep->srtp, sdp, sizeof(sdp))) {
		ep_fail(ep, OUTCOME_OSERROR, 0, "cannot set up the media stream");
		ep_finish(ep);
		return;
	}
	char call_id[96], from[224];
	seeded_ids(ep, "call", call_id, sizeof(call_id), from, sizeof(from));
	ep->call_nh = nua_handle(w->nua, ep, SIPTAG_TO_STR(ep->target), SIPTAG_FROM_STR(from),
	                         SIPTAG_CALL_ID_STR(ep_call_id(ep, call_id)),
	                         NUTAG_INITIAL_ROUTE_STR(ep->route), TAG_END());
	ep->t_invite = sys_now_ns();
	ep_set_phase(ep, PHASE_CALLING);
	nua_invite(ep->call_nh, SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp),
	           TAG_END());
}

static void do_hangup(struct ep *ep)
{
	ep->t_bye = sys_now_ns();
	ep_set_phase(ep, PHASE_DISCONNECTING);
	nua_bye(ep->call_nh, TAG_END());
}

static void ep_timer(struct worker *w, su_timer_t *t, void *arg)
{
	struct ep *ep = arg;
	if (ep->final)
		return;
	switch (ep->next) {
	case NEXT_REGISTER:
		do_register(ep);
		break;
	case NEXT_CALL:
		do_call(ep);
		break;
	case NEXT_HANGUP:
		do_hangup(ep);
		break;
	case NEXT_FINISH:
		ep_finish(ep);
		break;
	case NEXT_REG_REFUSED: {
		int code = atoi(ep->reg_refused);
		char ra[64] = "";
		if (ep->retry_after)
			snprintf(ra, sizeof(ra), " (Retry-After: %d)", ep->retry_after);
		ep_fail(ep, OUTCOME_REGISTRATION_FAILED, code, "REGISTER answered %s%s",
		        ep->reg_refused, ra);
		ep_finish(ep);
		break;
	}
	default:
		break;
	}
}

/* A final SIP code on the call, in the platform's words. */
static enum outcome call_outcome(int status)
{
	if (status == 408)
		return OUTCOME_TIMEOUT;
	if (status == 488 || status == 606 || status == 415)
		return OUTCOME_NEGOTIATION_FAILED;
	return OUTCOME_CALL_FAILED;
}

static void on_register(struct ep *ep, int status, const char *phrase)
{
	if (ep->final || status < 200)
		return;
	if ((status == 401 || status == 407) && ep->auth_tries++ == 0) {
		char auth[256];
		const char *realm = ep->domain;
		snprintf(auth, sizeof(auth), "Digest:\"%s\":%s:%s", realm, ep->user, ep->password);
		nua_authenticate(ep->reg_nh, NUTAG_AUTH(auth), TAG_END());
		return;
	}
	if (status >= 200 && status < 300) {
		if (!ep->registered) {
			ep->registered = 1;
			ep->code = status;
			ep->t_registered = sys_now_ns();
			ep_set_phase(ep, PHASE_REGISTERED);
			if (ep->role == SCN_CALLER && !ep->w->stopping)
				arm(ep, NEXT_CALL, ep->call_at_ms - rel_ms(ep->w));
		}
		return;
	}
	/* sofia reports credentials refused by a second challenge as 904; on
	 * the wire it was that challenge (401 or 407). */
	if (status == 904 || ((status == 401 || status == 407) && ep->auth_tries > 1)) {
		int wire = status != 904 ? status : ep->last_rx_status == 407 ? 407 : 401;
		ep_fail(ep, OUTCOME_REGISTRATION_FAILED, wire,
		        "credentials rejected: challenged again (%d) after authenticating", wire);
	} else {
		ep_fail(ep, OUTCOME_REGISTRATION_FAILED, status, "REGISTER answered %d %s", status,
		        phrase);
	}
	ep_finish(ep);
}

static void on_invite_answer(struct ep *ep, int status, const char *phrase, sip_t const *sip)
{
	if (ep->final)
		return;
	if (status >= 180 && status < 200 && !ep->t_ringing) {
		ep->t_ringing = sys_now_ns();
		ep_set_phase(ep, PHASE_RINGING);
		return;
	}
	if (status < 200)
		return;
	if ((status == 401 || status == 407) && ep->auth_tries++ < 2) {
		char auth[256];
		snprintf(auth, sizeof(auth), "Digest:\"%s\":%s:%s", ep->domain, ep->user,
		         ep->password);
		nua_authenticate(ep->call_nh, NUTAG_AUTH(auth), TAG_END());
		return;
	}
	if (status >= 300) {
		int code = status == 904 ? ep->last_rx_status : status;
		ep_fail(ep, call_outcome(code), code, "INVITE answered %d %s", code, phrase);
		ep_finish(ep);
		return;
	}
	ep->t_answered = sys_now_ns();
	ep->code = status;
	ep->code_local = status != ep->last_rx_status;
	ep_set_phase(ep, PHASE_NEGOTIATING);
	/* The whole body, whatever its size: an SDP cut short would lose its
	 * last lines (a=crypto among them) and read as another failure. */
	char *answer = sip && sip->sip_payload
	                       ? strndup(sip->sip_payload->pl_data, sip->sip_payload->pl_len)
	                       : NULL;
	err_t why;
	int rc = stream_take_answer(&ep->st, answer ? answer : "", ep->srtp, &why);
	free(answer);
	if (rc) {
		if (rc == -EPROTO || rc == -ENOENT)
			ep_fail(ep, OUTCOME_NEGOTIATION_FAILED, 0,
			        rc == -EPROTO
			                ? "the answer's security does not match the offer (SRTP %s)"
			                : "the answer has no codec we offered (%s)",
			        rc == -EPROTO ? (ep->srtp ? "required" : "not offered")
			                      : "none common");
		else
			ep_fail(ep, OUTCOME_NEGOTIATION_FAILED, 0,
			        "the answer's SDP is unusable: %s", why.msg);
		do_hangup(ep);
		return;
	}
	start_stream(ep);
	ep_set_phase(ep, PHASE_INCALL);
	ep->in_call = 1;
	arm(ep, NEXT_HANGUP, ep->call_ms);
}

static void incoming(struct worker *w, nua_handle_t *nh, sip_t const *sip)
{
	const char *user = sip && sip->sip_to ? sip->sip_to->a_url->url_user : NULL;
	struct ep *ep = user ? find_user(w, user, strlen(user)) : NULL;
	if (!ep || ep->role == SCN_CALLER || ep->call_nh || ep->final) {
		nua_respond(nh, ep ? 486 : 404, ep ? "Busy Here" : "Not Found", TAG_END());
		return;
	}
	nua_handle_bind(nh, ep);
	ep->call_nh = nh;
	ep->t_invite = ep->t_ringing = sys_now_ns();
	ep_set_phase(ep, PHASE_RINGING);
	nua_respond(nh, SIP_180_RINGING, TAG_END());
	char sdp[1024];
	if (open_stream(ep)) {
		nua_respond(nh, SIP_500_INTERNAL_SERVER_ERROR, TAG_END());
		arm(ep, NEXT_FINISH, 20); /* after the response has gone (and is traced) */
		return;
	}
	/* The whole offer, whatever its size (see on_invite_answer). */
	char *offer = sip->sip_payload
	                      ? strndup(sip->sip_payload->pl_data, sip->sip_payload->pl_len)
	                      : NULL;
	err_t why;
	int rc = stream_answer(&ep->st, offer ? offer : "", ep->codecs, ep->n_codecs, ep->srtp, sdp,
	                       sizeof(sdp), &why);
	free(offer);
	if (rc) {
		nua_respond(nh, SIP_488_NOT_ACCEPTABLE, TAG_END());
		if (rc == -EPROTO || rc == -ENOENT)
			ep_fail(ep, OUTCOME_NEGOTIATION_FAILED, 488,
			        rc == -EPROTO ? "the offer's security does not match ours (SRTP %s)"
			                      : "no codec of the offer is ours (%s)",
			        rc == -EPROTO ? (ep->srtp ? "required" : "refused")
			                      : "answered 488");
		else
			ep_fail(ep, OUTCOME_NEGOTIATION_FAILED, 488,
			        "the offer's SDP is unusable (answered 488): %s", why.msg);
		ep->code_local = 0;
		arm(ep, NEXT_FINISH, 20); /* after the 488 has gone (and is traced) */
		return;
	}
	ep->t_answered = sys_now_ns();
	ep->code = 200;
	ep->code_local = 0;
	ep_set_phase(ep, PHASE_NEGOTIATING);
	nua_respond(nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
	            SIPTAG_PAYLOAD_STR(sdp), TAG_END());
}

/* A later offer in a call that is up (a re-INVITE, here from the far end):
 * answered from the group's codecs, and the stream switches to what was
 * chosen; an offer with nothing of ours is refused with 488 and the call
 * goes on as it was (RFC 3264 section 8). */
static void reinvite(struct ep *ep, nua_handle_t *nh, sip_t const *sip)
{
	char sdp[1024];
	char *offer = sip && sip->sip_payload
	                      ? strndup(sip->sip_payload->pl_data, sip->sip_payload->pl_len)
	                      : NULL;
	err_t why;
	int rc = offer ? stream_reanswer(&ep->st, &ep->w->clips, offer, ep->codecs, ep->n_codecs,
	                                 ep->srtp, sdp, sizeof(sdp), &why)
	               : -ENODATA;
	free(offer);
	if (rc) {
		nua_respond(nh, SIP_488_NOT_ACCEPTABLE, TAG_END());
		warn(ep, "a re-INVITE was refused (488): %s",
		     rc == -ENODATA ? "it had no offer" : why.msg);
		return;
	}
	nua_respond(nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
	            SIPTAG_PAYLOAD_STR(sdp), TAG_END());
}

/* The callee's call is up once the ACK came: media starts. */
static void callee_in_call(struct ep *ep)
{
	if (!ep || ep->final || !ep->has_stream || ep->in_call || ep->role == SCN_CALLER)
		return;
	ep->in_call = 1;
	start_stream(ep);
	ep_set_phase(ep, PHASE_INCALL);
}

static void on_event(nua_event_t event, int status, char const *phrase, nua_t *nua,
                     struct worker *w, nua_handle_t *nh, struct ep *ep, sip_t const *sip,
                     tagi_t tags[])
{
	switch (event) {
	case nua_r_register:
		if (ep && nh == ep->reg_nh)
			on_register(ep, status, phrase);
		break;
	case nua_r_invite:
		if (ep)
			on_invite_answer(ep, status, phrase, sip);
		break;
	case nua_i_invite:
		if (ep && nh == ep->call_nh && ep->in_call && !ep->final && ep->has_stream)
			reinvite(ep, nh, sip);
		else
			incoming(w, nh, sip);
		break;
	case nua_i_ack:
		callee_in_call(ep);
		break;
	case nua_i_bye:
		if (ep && !ep->final) {
			ep->t_bye = sys_now_ns();
			ep_set_phase(ep, PHASE_DISCONNECTING);
			ep_finish(ep);
		}
		break;
	case nua_i_cancel:
		if (ep && !ep->final) {
			ep_fail(ep, OUTCOME_CALL_FAILED, 487, "the caller cancelled the call");
			ep_finish(ep);
		}
		break;
	case nua_r_bye:
		if (ep && !ep->final && status >= 200) {
			if (status >= 300 && status != 481)
				ep_fail(ep, OUTCOME_TEARDOWN_ERROR, status, "BYE answered %d %s",
				        status, phrase);
			ep_finish(ep);
		}
		break;
	case nua_i_state: {
		int state = -1;
		tl_gets(tags, NUTAG_CALLSTATE_REF(state), TAG_END());
		if (state == nua_callstate_terminated && !ep)
			nua_handle_destroy(nh);
		/* The ACK may be reported only as the dialog becoming ready. */
		if (state == nua_callstate_ready && ep && nh == ep->call_nh &&
		    ep->role != SCN_CALLER)
			callee_in_call(ep);
		break;
	}
	case nua_r_unregister:
		if (status >= 200 && w->unreg_pending > 0)
			w->unreg_pending--;
		if (status >= 200 && ep)
			ep->unregistered = 1;
		break;
	case nua_r_shutdown:
		if (status >= 200)
			w->shutdown_done = 1;
		break;
	default:
		break;
	}
}

/* --- a dispatch: the endpoints of one run ---------------------------------------------- */

static long num(const cJSON *o, const char *key, long dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? (long)v->valuedouble : dflt;
}

static void str(const cJSON *o, const char *key, char *dst, size_t cap)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	snprintf(dst, cap, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

static int ep_from_json(struct worker *w, struct ep *ep, const cJSON *o)
{
	char buf[32];
	ep->w = w;
	ep->id = (int)num(o, "id", -1);
	ep->seed = rng_derive_n(w->o->seed, "endpoint", (uint64_t)ep->id);
	str(o, "group", ep->group, sizeof(ep->group));
	str(o, "user", ep->user, sizeof(ep->user));
	str(o, "password", ep->password, sizeof(ep->password));
	str(o, "domain", ep->domain, sizeof(ep->domain));
	str(o, "registrar", ep->registrar, sizeof(ep->registrar));
	str(o, "route", ep->route, sizeof(ep->route));
	str(o, "aor", ep->aor, sizeof(ep->aor));
	str(o, "target", ep->target, sizeof(ep->target));
	str(o, "srtp", buf, sizeof(buf));
	ep->srtp = !strcmp(buf, "sdes") ? KEYING_SDES : KEYING_NONE;
	str(o, "role", buf, sizeof(buf));
	ep->role = !strcmp(buf, "caller") ? SCN_CALLER : SCN_CALLEE;
	const cJSON *c, *codecs = cJSON_GetObjectItemCaseSensitive(o, "codecs");
	cJSON_ArrayForEach (c, codecs) {
		int k = cJSON_IsString(c) ? codec_by_name(c->valuestring) : -1;
		if (k >= 0 && ep->n_codecs < SCN_MAX_CODECS)
			ep->codecs[ep->n_codecs++] = (enum media_codec)k;
	}
	ep->reg_at_ms = num(o, "register_at_ms", 0);
	ep->call_at_ms = num(o, "call_at_ms", 0);
	ep->call_ms = num(o, "call_ms", 1000);
	ep->pause_at_ms = num(o, "pause_at_ms", 0);
	ep->pause_ms = num(o, "pause_ms", 0);
	ep->phase = PHASE_INITIALIZING;
	ep->trace = cJSON_CreateArray();
	ep->warnings = cJSON_CreateArray();
	ep->timer = su_timer_create(su_root_task(w->root), 1000);
	if (ep->id < 0 || !ep->user[0] || !ep->registrar[0] || !ep->n_codecs || !ep->trace ||
	    !ep->warnings || !ep->timer)
		return -EINVAL;
	unsigned h = hash_user(ep->user);
	ep->hnext = w->hash[h];
	w->hash[h] = ep;
	return 0;
}

static int make_nua(struct worker *w, int tls)
{
	char url[96], sips[96];
	snprintf(url, sizeof(url), "sip:%s:*", w->o->bind);
	snprintf(sips, sizeof(sips), "sips:%s:*", w->o->bind);
	w->nua = nua_create(w->root, on_event, w, NUTAG_URL(url), TAG_IF(tls, NUTAG_SIPS_URL(sips)),
	                    TAG_IF(tls, TPTAG_CERTIFICATE(w->tls_dir)),
	                    /* Check the registrar's certificate against the lab's
	                     * CA, as a real worker must (reg.tls_failure). */
	                    TAG_IF(tls, TPTAG_TLS_VERIFY_POLICY(TPTLS_VERIFY_OUT)), TPTAG_LOG(1),
	                    NUTAG_MEDIA_ENABLE(0), NUTAG_AUTOANSWER(0), NUTAG_AUTOACK(1),
	                    NUTAG_OUTBOUND("no-options-keepalive, no-validate"),
	                    SIPTAG_USER_AGENT_STR("siplab-worker"),
	                    TAG_IF(w->t1_ms, NTATAG_SIP_T1(w->t1_ms)),
	                    TAG_IF(w->t1x64_ms, NTATAG_SIP_T1X64(w->t1x64_ms)), TAG_END());
	return w->nua ? 0 : -EADDRNOTAVAIL;
}

static void on_deadline(struct worker *w, su_timer_t *t, void *arg);

static void dispatch(struct worker *w, const cJSON *m)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(m, "endpoints"), *o;
	int n = cJSON_GetArraySize(list), tls = 0;
	if (w->eps || n < 1 || n > w->o->capacity) {
		cJSON *r = cJSON_CreateObject();
		cJSON_AddStringToObject(r, "type", "dispatch_refused");
		cJSON_AddStringToObject(r, "reason",
		                        w->eps ? "busy with another run"
		                               : "endpoint count out of range");
		gw_send(w, r);
		return;
	}
	str(m, "run", w->run, sizeof(w->run));
	str(m, "tls_dir", w->tls_dir, sizeof(w->tls_dir));
	w->t1_ms = num(m, "t1_ms", 0);
	w->t1x64_ms = num(m, "t1x64_ms", 0);
	w->rtcp_ms = num(m, "rtcp_ms", 5000);
	w->deadline_ms = num(m, "deadline_ms", 60000);
	w->t0 = sys_now_ns();
	w->t0_wall_us = sip_tap_now_us();
	/* The run's t0 (wall clock) times every message, on every worker. */
	const cJSON *t0 = cJSON_GetObjectItemCaseSensitive(m, "t0_us");
	sip_tap_set_t0(&w->tap, cJSON_IsNumber(t0) ? (long long)t0->valuedouble : w->t0_wall_us);
	w->eps = calloc((size_t)n, sizeof(*w->eps));
	w->n_eps = w->n_final = 0;
	w->stopping = w->probed = 0;
	memset(w->hash, 0, sizeof(w->hash));
	cJSON_ArrayForEach (o, list) {
		if (!w->eps || ep_from_json(w, &w->eps[w->n_eps], o)) {
			fprintf(stderr, "siplab worker %s: bad endpoint in the dispatch\n",
			        w->o->name);
			w->exit_code = 1;
			w->quit = 1;
			su_root_break(w->root);
			return;
		}
		tls |= !strncmp(w->eps[w->n_eps].aor, "sips:", 5);
		w->n_eps++;
	}
	if (make_nua(w, tls)) {
		for (int i = 0; i < w->n_eps; i++) {
			ep_fail(&w->eps[i], OUTCOME_OSERROR, 0, "the SIP stack did not start on %s",
			        w->o->bind);
			ep_finish(&w->eps[i]);
		}
		return;
	}
	for (int i = 0; i < w->n_eps; i++)
		arm(&w->eps[i], NEXT_REGISTER, w->eps[i].reg_at_ms);
	su_timer_set_interval(w->deadline, on_deadline, NULL, w->deadline_ms);
	fprintf(stderr, "siplab worker %s: run %s, %d endpoints\n", w->o->name, w->run, n);
}

/* The run's time is up, or the user stopped it: hang up calls in progress,
 * and close what never got going, with the outcome the platform gives it. */
static void wind_down(struct worker *w, int stopped)
{
	for (int i = 0; i < w->n_eps; i++) {
		struct ep *ep = &w->eps[i];
		if (ep->final)
			continue;
		if (ep->in_call && ep->phase < PHASE_DISCONNECTING) {
			if (stopped)
				snprintf(ep->reason, sizeof(ep->reason),
				         "hung up early: the run was stopped by the user");
			do_hangup(ep);
			continue;
		}
		if (ep->phase == PHASE_DISCONNECTING)
			continue; /* its BYE is on the way */
		if (stopped)
			snprintf(ep->reason, sizeof(ep->reason), "stopped by the user in phase %s",
			         phase_name(ep->phase));
		else if (!ep->registered)
			ep_fail(ep, OUTCOME_REGISTRATION_FAILED, 0,
			        "no final answer to REGISTER before the run ended");
		else if (ep->role == SCN_CALLER)
			ep_fail(ep, OUTCOME_TIMEOUT, 0, "no final answer to the INVITE in time");
		else
			ep_fail(ep, OUTCOME_TIMEOUT, 0, "waited for a call and no INVITE came");
		if (ep->call_nh && ep->phase >= PHASE_CALLING && ep->role == SCN_CALLER)
			nua_cancel(ep->call_nh, TAG_END());
		ep_finish(ep);
	}
}

/* Calls still hanging up after a grace period are closed as they are. */
static void on_hard_deadline(struct worker *w, su_timer_t *t, void *arg)
{
	for (int i = 0; i < w->n_eps; i++)
		if (!w->eps[i].final) {
			ep_fail(&w->eps[i], OUTCOME_TEARDOWN_ERROR, 0, "BYE was not answered");
			ep_finish(&w->eps[i]);
		}
}

static void on_deadline(struct worker *w, su_timer_t *t, void *arg)
{
	wind_down(w, w->stopping);
	su_timer_set_interval(w->deadline, on_hard_deadline, NULL,
	                      w->t1x64_ms > 0 ? w->t1x64_ms + 500 : 5000);
}

/* Un-register, stop the SIP stack, forget the run; the worker is free. */
static void release(struct worker *w)
{
	w->unreg_pending = 0;
	for (int i = 0; w->nua && i < w->n_eps; i++)
		if (w->eps[i].registered && w->eps[i].reg_nh) {
			nua_unregister(w->eps[i].reg_nh, TAG_END());
			w->unreg_pending++;
		}
	long long end = sys_now_ns() + 1000000000LL;
	while (w->unreg_pending > 0 && sys_now_ns() < end)
		su_root_step(w->root, 20);
	/* A handle whose registration failed, or whose un-REGISTER is still
	 * unanswered (a rate-limited registrar answers 503 and nua waits out
	 * its Retry-After), keeps nua_shutdown waiting: it goes first. */
	for (int i = 0; i < w->n_eps; i++)
		if ((!w->eps[i].registered || !w->eps[i].unregistered) && w->eps[i].reg_nh) {
			nua_handle_destroy(w->eps[i].reg_nh);
			w->eps[i].reg_nh = NULL;
		}
	w->shutdown_done = 0;
	if (w->nua) {
		nua_shutdown(w->nua);
		end = sys_now_ns() + 3000000000LL;
		while (!w->shutdown_done && sys_now_ns() < end)
			su_root_step(w->root, 20);
	}
	if (!w->shutdown_done)
		fprintf(stderr, "siplab worker %s: the SIP stack did not shut down in 3 s\n",
		        w->o->name);
	for (int i = 0; i < w->n_eps; i++) {
		struct ep *ep = &w->eps[i];
		if (ep->has_stream) {
			struct stream_metrics m;
			stop_stream(ep, &m);
		}
		if (ep->reg_nh)
			nua_handle_destroy(ep->reg_nh);
		if (ep->call_nh)
			nua_handle_destroy(ep->call_nh);
		su_timer_destroy(ep->timer);
		trace_free(ep);
		cJSON_Delete(ep->warnings);
	}
	owners_free(w);
	sip_tap_forget_locals(&w->tap); /* the next run's stack binds new ports */
	if (w->nua)
		nua_destroy(w->nua);
	w->nua = NULL;
	su_timer_reset(w->deadline);
	free(w->eps);
	w->eps = NULL;
	w->n_eps = w->n_final = w->n_active = 0;
	memset(w->hash, 0, sizeof(w->hash));
	sip_tap_flush(&w->tap);
	cJSON *m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "type", "released");
	cJSON_AddItemToObject(m, "events", w->events);
	cJSON_AddNumberToObject(m, "events_dropped", (double)w->events_dropped);
	cJSON_AddNumberToObject(m, "sip_unparsed", (double)w->unparsed);
	w->events = cJSON_CreateArray();
	w->events_dropped = w->unparsed = 0;
	gw_send(w, m);
}

/* --- the gateway connection --------------------------------------------------------------- */

/* Resident memory in kB, from /proc/self/statm. */
static long rss_kb(void)
{
	char buf[128];
	long pages = 0, resident = 0;
	if (sys_read_file("/proc/self/statm", buf, sizeof(buf)) > 0)
		sscanf(buf, "%ld %ld", &pages, &resident);
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* What its memory cgroup says, as a containerised worker reads it: the
 * memory charged to it and its limit (null: none). The kernel kills the
 * worker when the usage reaches the limit, so a platform that sees the one
 * climb towards the other knows why a worker it loses was lost. Nothing is
 * added when the worker has no readable memory cgroup. */
static void add_cgroup_memory(cJSON *m)
{
	struct cgmem cg;
	if (cgmem_read("", &cg))
		return;
	cJSON_AddNumberToObject(m, "cgroup_usage_kb", (double)(cg.usage / 1024));
	if (cg.limit < 0)
		cJSON_AddNullToObject(m, "cgroup_limit_kb");
	else
		cJSON_AddNumberToObject(m, "cgroup_limit_kb", (double)(cg.limit / 1024));
}

/* What its CPU cost since the last heartbeat, as a container reads it: its
 * CPU time against the clock (cpu_pct, % of one core), its cgroup's quota
 * (cpu_limit_pct, null: none) and the share of the quota's periods in which
 * the kernel held it back (cpu_throttled_pct). A worker whose use sits at its
 * quota, throttled in most periods, is saturated: it does its work late. */
static void add_cpu_share(struct worker *w, cJSON *m, double cpu_ms)
{
	long long now = sys_now_ns();
	struct cgcpu cg;
	int have = !cgcpu_read("", &cg);
	if (w->hb_ns && now > w->hb_ns)
		cJSON_AddNumberToObject(m, "cpu_pct",
		                        100.0 * (cpu_ms - w->hb_cpu_ms) / ((now - w->hb_ns) / 1e6));
	if (have && cg.limit_pct > 0)
		cJSON_AddNumberToObject(m, "cpu_limit_pct", cg.limit_pct);
	else if (have)
		cJSON_AddNullToObject(m, "cpu_limit_pct");
	if (have && w->hb_ns && cg.periods > w->hb_periods && w->hb_periods >= 0 &&
	    cg.throttled >= w->hb_throttled && w->hb_throttled >= 0)
		cJSON_AddNumberToObject(m, "cpu_throttled_pct",
		                        100.0 * (double)(cg.throttled - w->hb_throttled) /
		                                (double)(cg.periods - w->hb_periods));
	w->hb_cpu_ms = cpu_ms;
	w->hb_ns = now;
	w->hb_periods = have ? cg.periods : -1;
	w->hb_throttled = have ? cg.throttled : -1;
}

/* The heartbeat carries what the worker is doing and what it costs, so the
 * platform can show load and memory over time. */
static void on_heartbeat(struct worker *w, su_timer_t *t, void *arg)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	int registered = 0;
	for (int i = 0; i < w->n_eps; i++)
		registered += w->eps[i].registered;
	cJSON *m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "type", "heartbeat");
	cJSON_AddNumberToObject(m, "endpoints", w->n_eps);
	cJSON_AddNumberToObject(m, "registered", registered);
	cJSON_AddNumberToObject(m, "in_call", w->n_active);
	cJSON_AddNumberToObject(m, "final", w->n_final);
	cJSON_AddNumberToObject(m, "rss_kb", (double)rss_kb());
	add_cgroup_memory(m);
	double cpu_ms = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
	                (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
	cJSON_AddNumberToObject(m, "cpu_ms", cpu_ms);
	add_cpu_share(w, m, cpu_ms);
	gw_send(w, m);
}

static void handle(struct worker *w, const cJSON *m)
{
	char type[32];
	str(m, "type", type, sizeof(type));
	if (!strcmp(type, "welcome")) {
		w->heartbeat_ms = num(m, "heartbeat_ms", 1000);
		w->heartbeat = su_timer_create(su_root_task(w->root), w->heartbeat_ms);
		su_timer_run(w->heartbeat, on_heartbeat, NULL);
		fprintf(stderr, "siplab worker %s: ONLINE (region %s, heartbeat %ld ms)\n",
		        w->o->name, w->o->region, w->heartbeat_ms);
	} else if (!strcmp(type, "refused")) {
		char why[160];
		str(m, "reason", why, sizeof(why));
		fprintf(stderr, "siplab worker %s: the gateway refused us: %s\n", w->o->name, why);
		w->exit_code = 3;
		w->quit = 1;
	} else if (!strcmp(type, "dispatch")) {
		dispatch(w, m);
	} else if (!strcmp(type, "stop")) {
		w->stopping = 1;
		if (w->eps)
			on_deadline(w, NULL, NULL);
	} else if (!strcmp(type, "calls_over")) {
		/* Receivers that never got their INVITE will not get it now. */
		for (int i = 0; i < w->n_eps; i++) {
			struct ep *ep = &w->eps[i];
			if (!ep->final && ep->role != SCN_CALLER && !ep->call_nh &&
			    ep->registered) {
				ep_fail(ep, OUTCOME_TIMEOUT, 0,
				        "waited for a call and no INVITE came (every caller is "
				        "done)");
				ep_finish(ep);
			}
		}
	} else if (!strcmp(type, "release")) {
		w->release_asked = 1;
	} else if (!strcmp(type, "shutdown")) {
		w->quit = 1;
	}
	if (w->quit || w->release_asked)
		su_root_break(w->root);
}

static int on_gateway(struct worker *w, su_wait_t *wt, void *arg)
{
	int rc = wire_fill(&w->gw);
	cJSON *m;
	while ((m = wire_next(&w->gw, NULL))) {
		handle(w, m);
		cJSON_Delete(m);
	}
	if (rc < 0 && !w->quit) {
		fprintf(stderr, "siplab worker %s: the gateway closed the connection\n",
		        w->o->name);
		w->exit_code = 1;
		w->quit = 1;
		su_root_break(w->root);
	}
	return 0;
}

/* One attempt to reach the gateway: resolve its name (or take its address)
 * and connect, giving up after timeout_ms — a firewall that drops the SYNs
 * would otherwise hold connect() for the kernel's two minutes. 0 and the
 * socket in *fd, or -1 with what went wrong in why. */
static int gateway_try(const struct worker *w, int timeout_ms, int *fd, char *why, size_t cap)
{
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *ai = NULL;
	char port[8];
	snprintf(port, sizeof(port), "%d", w->o->port);
	int g = getaddrinfo(w->o->gateway, port, &hints, &ai);
	if (g) {
		snprintf(why, cap, "resolving %s: %s", w->o->gateway, gai_strerror(g));
		return -1;
	}
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), err = 0;
	if (s < 0) {
		err = errno;
	} else if (connect(s, ai->ai_addr, ai->ai_addrlen) < 0) {
		err = errno;
		struct pollfd pf = {.fd = s, .events = POLLOUT};
		socklen_t len = sizeof(err);
		if (err == EINPROGRESS)
			err = poll(&pf, 1, timeout_ms) == 1 &&
			                      !getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len)
			              ? err
			              : ETIMEDOUT;
	}
	freeaddrinfo(ai);
	if (err) {
		snprintf(why, cap, "connecting to %s:%d: %s", w->o->gateway, w->o->port,
		         strerror(err));
		if (s >= 0)
			close(s);
		return -1;
	}
	/* The wire is read and written blocking, as before. */
	fcntl(s, F_SETFL, fcntl(s, F_GETFL) & ~O_NONBLOCK);
	*fd = s;
	return 0;
}

/* The gateway may still be starting, its name may not resolve yet, or the
 * way to it may be blocked: a worker keeps trying, as a deployed one does,
 * saying why on its log now and then, for CONNECT_TRIES attempts about half
 * a second apart (a minute), and ends when SIGTERM comes. */
#define CONNECT_TRIES 120
static int connect_gateway(struct worker *w, err_t *e)
{
	char why[200] = "";
	for (int i = 0; i < CONNECT_TRIES; i++) {
		int fd;
		if (gateway_try(w, 500, &fd, why, sizeof(why)) == 0) {
			wire_init(&w->gw, fd);
			return 0;
		}
		if (i % 10 == 0)
			fprintf(stderr, "siplab worker %s: gateway not reached (try %d): %s\n",
			        w->o->name, i + 1, why);
		usleep(200000);
	}
	return err_set(e, ETIMEDOUT, "gateway %s:%d not reached in %d tries: %s", w->o->gateway,
	               w->o->port, CONNECT_TRIES, why);
}

static int on_signal(struct worker *w, su_wait_t *wt, void *arg)
{
	struct signalfd_siginfo si;
	if (read(wt->fd, &si, sizeof(si)) == sizeof(si)) {
		w->quit = 1;
		su_root_break(w->root);
	}
	return 0;
}

static void hello(struct worker *w)
{
	cJSON *m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "type", "hello");
	cJSON_AddStringToObject(m, "token", w->o->token);
	cJSON_AddStringToObject(m, "worker", w->o->name);
	cJSON_AddStringToObject(m, "region", w->o->region);
	cJSON_AddStringToObject(m, "address", w->o->bind);
	cJSON_AddNumberToObject(m, "capacity", w->o->capacity);
	cJSON_AddNumberToObject(m, "pid", getpid());
	cJSON_AddNumberToObject(m, "rss_kb", (double)rss_kb()); /* before any endpoint */
	gw_send(w, m);
}

int worker_run(const struct worker_opts *o, err_t *e)
{
	static struct worker w;
	memset(&w, 0, sizeof(w));
	w.o = o;
	w.gw.fd = -1;
	int rc = stream_clips_make(&w.clips, e);
	if (rc)
		return rc;
	if ((rc = connect_gateway(&w, e))) {
		stream_clips_free(&w.clips);
		return rc;
	}
	su_init();
	sofia_seed(rng_derive(o->seed, "sofia"));
	trace_limits(&w);
	(void)sip_tap_open(&w.tap, o->name, on_sip_message, on_sip_event, &w);
	w.root = su_root_create(&w);
	su_root_threading(w.root, 0);
	w.events = cJSON_CreateArray();
	su_wait_t wt;
	su_wait_create(&wt, w.gw.fd, SU_WAIT_IN);
	w.gw_reg = su_root_register(w.root, &wt, on_gateway, NULL, 0);
	int sfd = sys_stop_signalfd();
	su_wait_create(&wt, sfd, SU_WAIT_IN);
	su_root_register(w.root, &wt, on_signal, NULL, 0);
	w.media_tick = su_timer_create(su_root_task(w.root), 10);
	su_timer_run(w.media_tick, on_media_tick, NULL);
	w.deadline = su_timer_create(su_root_task(w.root), 1000);
	hello(&w);
	while (!w.quit && !w.gw.eof) {
		su_root_run(w.root);
		if (w.release_asked) {
			w.release_asked = 0;
			release(&w);
		}
	}
	if (w.eps)
		release(&w);
	if (w.heartbeat)
		su_timer_destroy(w.heartbeat);
	su_timer_destroy(w.media_tick);
	su_timer_destroy(w.deadline);
	su_root_deregister(w.root, w.gw_reg);
	su_root_destroy(w.root);
	sip_tap_close(&w.tap);
	su_deinit();
	close(sfd);
	wire_close(&w.gw);
	stream_clips_free(&w.clips);
	cJSON_Delete(w.events);
	free(w.active);
	if (w.exit_code)
		return err_set(e, w.exit_code == 3 ? EACCES : ECONNRESET, "worker %s ended: %s",
		               o->name,
		               w.exit_code == 3 ? "refused by the gateway" : "lost the gateway");
	return 0;
}
