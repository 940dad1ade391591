/* rules_quality.c — calls that connected and stayed up with audio that
 * arrived, but poorly: packets lost, jitter, a long round trip (the guide's
 * sibling page "Poor Quality Metrics"). The metrics and their tiers are the
 * worker's, per endpoint and direction (media.received / media.sent in the
 * report); a rule names the direction — the callers' received audio went
 * callee to caller, the callees' caller to callee — and, when both ends sent
 * their media to one address that is neither's own, the hop: a media relay.
 * Each rule is one row of the table at the end, in the guide's order. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose.h"

/* The directions of a call, by who sends. */
enum { C2E, E2C };
static const char *const dir_name[] = {"caller to callee", "callee to caller"};

/* A call's worth of media: fewer packets than this say nothing about a rate. */
#define Q_MIN_PACKETS 50

/* What one direction's receivers measured. */
struct qdir {
	int n;                        /* ends that measured it */
	int warn, crit;               /* of those, past "good" and past "warning" */
	double expected;              /* packets expected over them all */
	double lost;                  /* of those, lost */
	double gaps, gap_packets_est; /* holes in the sequence (pooled burst length) */
	double reordered;
	double worst;           /* the worst value */
	const struct dx_ep *ex; /* the endpoint with the worst value */
};

static double numf(const cJSON *o, const char *k, double dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

static const cJSON *media_of(const struct dx_ep *e)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(e->rec, "media");
	return cJSON_IsObject(m) ? m : NULL;
}

/* The metric each rule reads, from one direction's object ("received" or
 * "sent"); -1 when not measured. */
typedef double (*q_metric)(const cJSON *d);

static double m_loss(const cJSON *d)
{
	return numf(d, "loss_pct", -1);
}

static double m_jitter(const cJSON *d)
{
	return numf(d, "jitter_ms", -1);
}

static double m_rtt(const cJSON *d)
{
	return numf(d, "rtt_ms", -1);
}

/* One measurement into its direction's tally; warn_at and crit_at are the
 * vocabulary's boundaries (media/quality.h), strict for loss. */
static void tally(struct qdir *q, const struct dx_ep *e, const cJSON *d, double v, double warn_at,
                  double crit_at, int strict)
{
	if (v < 0)
		return;
	q->n++;
	q->warn += strict ? v > warn_at : v >= warn_at;
	q->crit += v > crit_at;
	if (!q->ex || v > q->worst) {
		q->worst = v;
		q->ex = e;
	}
	double got = numf(d, "packets", 0), loss = numf(d, "loss_pct", 0);
	if (loss >= 0 && loss < 100 && got > 0) {
		double exp = got / (1 - loss / 100);
		q->expected += exp;
		q->lost += exp - got;
	}
	double burst = numf(d, "loss_burst_mean", -1);
	if (burst > 0 && got > 0 && loss > 0) {
		double lost = got / (1 - loss / 100) - got;
		q->gaps += lost / burst;
		q->gap_packets_est += lost;
	}
	q->reordered += numf(d, "reordered", 0) > 0 ? numf(d, "reordered", 0) : 0;
}

/* Both directions of every call with audio: each end's received side, and
 * the sent side as its far end's RTCP reported it when that far end is not
 * in the test. */
static void q_view(const struct dx_evidence *ev, q_metric metric, double warn_at, double crit_at,
                   int strict, struct qdir q[2])
{
	memset(q, 0, 2 * sizeof(*q));
	for (int i = 0; i < ev->n; i++) {
		const struct dx_ep *e = &ev->eps[i];
		const cJSON *m = media_of(e);
		if (!m || e->rx < Q_MIN_PACKETS)
			continue;
		const cJSON *rx = cJSON_GetObjectItemCaseSensitive(m, "received");
		int d = e->caller ? E2C : C2E;
		tally(&q[d], e, rx, metric(rx), warn_at, crit_at, strict);
		if (!dx_far_end(ev, e)) {
			const cJSON *tx = cJSON_GetObjectItemCaseSensitive(m, "sent");
			tally(&q[!d], e, tx, metric(tx), warn_at, crit_at, strict);
		}
	}
}

/* "10.10.2.2:40219" -> "10.10.2.2". */
static void host_of(const char *hostport, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s", hostport ? hostport : "");
	char *c = strrchr(buf, ':');
	if (c)
		*c = 0;
}

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : "";
}

/* The hop, when the report shows one: every call with audio sent its media
 * to one address that is no endpoint's own — both ends of a call talk to
 * it, so it is a relay between them (an SBC's, the SDP's c= rewritten to
 * it). Writes the address and returns 1 then. */
int dx_media_relay(const struct dx_evidence *ev, char *relay, size_t cap)
{
	int pairs = 0;
	relay[0] = 0;
	for (int i = 0; i < ev->n; i++) {
		const cJSON *m = media_of(&ev->eps[i]);
		if (!m)
			continue;
		char r[64];
		host_of(str(m, "remote"), r, sizeof(r));
		if (!r[0] || (relay[0] && strcmp(relay, r)))
			return 0;
		snprintf(relay, cap, "%s", r);
		/* Only both ends of one call in the test show a relay: a far
		 * end outside it (a callee pool) may well live at one address. */
		pairs += dx_far_end(ev, &ev->eps[i]) && media_of(dx_far_end(ev, &ev->eps[i]));
	}
	for (int i = 0; pairs && i < ev->n; i++) {
		const cJSON *m = media_of(&ev->eps[i]);
		char l[64];
		host_of(m ? str(m, "local") : "", l, sizeof(l));
		if (!strcmp(l, relay))
			return 0;
	}
	return pairs >= 2;
}

/* The direction(s) past "good", and the scope line naming them. */
static int affected(const struct qdir q[2], int *which)
{
	int a = q[C2E].n && dx_share(q[C2E].warn, q[C2E].n) >= 0.3;
	int b = q[E2C].n && dx_share(q[E2C].warn, q[E2C].n) >= 0.3;
	*which = a && b ? -1 : a ? C2E : E2C;
	return a || b;
}

static void say_direction(struct dx_finding *f, const struct qdir q[2], int which,
                          const char *metric, const char *unit, const char *tiers)
{
	if (which < 0)
		dx_say(f,
		       "scope: both directions of the calls (%s past good: %d of %d ends "
		       "receiving caller to callee, %d of %d callee to caller)",
		       metric, q[C2E].warn, q[C2E].n, q[E2C].warn, q[E2C].n);
	else
		dx_say(f,
		       "scope: one direction, %s: %d of %d ends receiving it have %s past good; "
		       "the other direction: %d of %d",
		       dir_name[which], q[which].warn, q[which].n, metric, q[!which].warn,
		       q[!which].n);
	for (int d = 0; d < 2; d++)
		if (q[d].ex && (which < 0 || which == d)) {
			char at[64];
			dx_say_at(f, dx_at_field(q[d].ex, "media", at, sizeof(at)),
			          "%s: worst %s %.1f %s (%s), %d ends critical, %d warning (the "
			          "vocabulary: %s)",
			          dir_name[d], q[d].ex->user, q[d].worst, unit, metric, q[d].crit,
			          q[d].warn - q[d].crit, tiers);
		}
}

static void say_hop(const struct dx_evidence *ev, struct dx_finding *f)
{
	char relay[64];
	if (dx_media_relay(ev, relay, sizeof(relay)))
		dx_say(f,
		       "the hop: both ends of every call sent their audio to %s, neither end's own "
		       "address — a media relay between them (the SDP's c= named it); the "
		       "impairment is on the path through it",
		       relay);
}

static int score_of(const struct qdir q[2], int which)
{
	const struct qdir *d =
	        which < 0 ? (q[0].warn * q[1].n >= q[1].warn * q[0].n ? &q[0] : &q[1]) : &q[which];
	return dx_share(d->warn, d->n) >= 0.6 ? 80 : 65;
}

static int r_packet_loss(const struct dx_evidence *ev, struct dx_finding *f)
{
	struct qdir q[2];
	int which;
	q_view(ev, m_loss, 1, 5, 1, q);
	if (!affected(q, &which))
		return 0;
	say_direction(f, q, which, "packet loss", "%", "good <= 1 %, critical > 5 %");
	for (int d = 0; d < 2; d++) {
		if ((which >= 0 && which != d) || q[d].expected <= 0)
			continue;
		double burst = q[d].gaps > 0 ? q[d].gap_packets_est / q[d].gaps : 0;
		dx_say(f, "%s: %.0f of %.0f packets lost (%.1f %%)%s", dir_name[d], q[d].lost,
		       q[d].expected, 100 * q[d].lost / q[d].expected,
		       burst <= 0     ? ""
		       : burst >= 1.6 ? "; bursty: the receivers' sequence gaps are runs of "
		                        "packets (congestion, a flapping link)"
		                      : "; random: the receivers' sequence gaps are single "
		                        "packets");
		if (burst > 0)
			dx_say(f, "%s: mean loss burst %.1f packets (%s)", dir_name[d], burst,
			       burst >= 1.6 ? "bursty" : "random");
	}
	say_hop(ev, f);
	return score_of(q, which);
}

static int r_jitter(const struct dx_evidence *ev, struct dx_finding *f)
{
	struct qdir q[2];
	int which;
	q_view(ev, m_jitter, 20, 40, 0, q);
	if (!affected(q, &which))
		return 0;
	say_direction(f, q, which, "jitter", "ms", "good < 20 ms, critical > 40 ms");
	for (int d = 0; d < 2; d++)
		if ((which < 0 || which == d) && q[d].reordered > 0)
			dx_say(f,
			       "%s: %.0f packets arrived out of order — their delay varies by more "
			       "than the 20 ms between them",
			       dir_name[d], q[d].reordered);
	say_hop(ev, f);
	return score_of(q, which);
}

static int r_latency(const struct dx_evidence *ev, struct dx_finding *f)
{
	struct qdir q[2];
	int which;
	q_view(ev, m_rtt, 100, 200, 0, q);
	if (!affected(q, &which))
		return 0;
	/* RTT is one number for both directions: which way holds the delay
	 * cannot be told from RTCP. */
	const struct qdir *d = q[C2E].n >= q[E2C].n ? &q[C2E] : &q[E2C];
	char at[64];
	dx_say(f,
	       "scope: %d of %d ends measured a round trip past good (the vocabulary: good < 100 "
	       "ms, critical > 200 ms)",
	       q[C2E].warn + q[E2C].warn, q[C2E].n + q[E2C].n);
	dx_say_at(f, dx_at_field(d->ex, "media", at, sizeof(at)),
	          "worst: %s, RTT %.0f ms from RTCP (%d ends critical); the round trip does not "
	          "say which direction holds the delay",
	          d->ex->user, d->worst, q[C2E].crit + q[E2C].crit);
	say_hop(ev, f);
	/* One round trip per end, whichever way it is read: the share is over
	 * every end, not the worse direction's. */
	(void)which;
	return dx_share(q[C2E].warn + q[E2C].warn, q[C2E].n + q[E2C].n) >= 0.6 ? 80 : 65;
}

const struct dx_rule dx_rules_quality[] = {
        {"quality.packet_loss", "Poor Quality Metrics > Packet loss",
         "Remove the loss on the media path: find the hop that drops (here the relay/SBC, or a "
         "congested link) and fix or bypass it; bursts point at congestion or a flapping link.",
         r_packet_loss},
        {"quality.jitter", "Poor Quality Metrics > High jitter",
         "Remove the delay variation on the media path (queueing on a congested hop, the "
         "relay); prioritise RTP (DSCP EF) where the path is shared.",
         r_jitter},
        {"quality.latency", "Poor Quality Metrics > High RTT",
         "Shorten the media path: a relay or region nearer the endpoints, no detour through a "
         "distant hop.",
         r_latency},
        {NULL},
};
