/* sbc.c — SDP rewriting and the latching media relay (see sbc.h). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct sbc_relay;
#define SU_ROOT_MAGIC_T void
#define SU_WAKEUP_ARG_T struct sbc_relay
#define SU_TIMER_ARG_T  struct sbc_relay
#include <sofia-sip/su_wait.h>

#include "../lib/rng.h"
#include "../media/codec.h"
#include "../media/sdp.h"
#include "sbc.h"

/* --- SDP ------------------------------------------------------------------------- */

/* Whether the SBC strips payload type pt of m: its name (rtpmap, or the codec
 * table's for a static type) is on the strip list. */
static int stripped(const struct sbc_config *c, const struct sdp_media *m, int pt)
{
	char num[8];
	const char *name = sdp_pt_name(m, pt, num, sizeof(num));
	for (int i = 0; i < c->n_strip; i++)
		if (!strcasecmp(name, c->strip[i]))
			return 1;
	return 0;
}

/* An SBC that re-prioritises: the offer's payload types in reverse order
 * (their rtpmap and fmtp lines stay; only the m= line's order says it). */
static void reverse_pts(struct sdp_media *m)
{
	for (int a = 0, b = m->n_pts - 1; a < b; a++, b--) {
		int t = m->pts[a];
		m->pts[a] = m->pts[b];
		m->pts[b] = t;
	}
}

/* An SBC that renumbers a dynamic payload type: the codec's a=rtpmap and its
 * place on the m= line move to the new number (its a=fmtp, kept as text by
 * the reader, is dropped with the old number). In an offer the codec gets
 * the configured type; in an answer it gets back the codec table's, so each
 * side's SDP reads consistently while the media is never translated. */
static void renumber_pt(const struct sbc_config *c, struct sdp_media *m, int offer)
{
	int codec = codec_by_name(c->renumber_codec);
	if (!c->renumber_codec[0] || codec < 0)
		return;
	int to = offer ? c->renumber_pt : codec_info((enum media_codec)codec)->pt;
	if (sdp_rtpmap(m, to))
		return; /* the number is taken: nothing to do without a clash */
	for (int i = 0; i < m->n_maps; i++) {
		if (strcasecmp(m->maps[i].name, c->renumber_codec))
			continue;
		int from = m->maps[i].pt;
		m->maps[i].pt = to;
		for (int k = 0; k < m->n_pts; k++)
			if (m->pts[k] == from)
				m->pts[k] = to;
		return;
	}
}

char *sbc_rewrite_sdp(const char *sdp_in, size_t len, const struct sbc_config *c, int offer,
                      const char *addr, int port)
{
	struct sdp s;
	if (sdp_read(sdp_in, len, &s, NULL) || !sdp_find_media(&s, "audio")) {
		sdp_free(&s);
		return NULL; /* not ours to rewrite: it goes on as it came */
	}
	/* A new SDP from the parsed one: every line it had, with the stripped
	 * payload types (and their rtpmap and fmtp) gone and the address and
	 * audio port replaced. */
	if (addr && s.conn.family == AF_INET)
		snprintf(s.conn.addr, sizeof(s.conn.addr), "%s", addr);
	for (int i = 0; i < s.n_media; i++) {
		struct sdp_media *m = &s.media[i];
		if (addr && m->conn.family == AF_INET)
			snprintf(m->conn.addr, sizeof(m->conn.addr), "%s", addr);
		if (strcmp(m->type, "audio"))
			continue;
		if (port > 0)
			m->port = port;
		for (int k = m->n_pts - 1; offer && c->n_strip && k >= 0; k--)
			if (stripped(c, m, m->pts[k]))
				sdp_drop_pt(m, m->pts[k]);
		if (offer && c->reorder)
			reverse_pts(m);
		renumber_pt(c, m, offer);
	}
	char *out = sdp_format(&s);
	sdp_free(&s);
	return out;
}

int sbc_sdp_media(const char *sdp, size_t len, char *addr, size_t cap, int *port)
{
	struct sdp s;
	int rc = sdp_read(sdp, len, &s, NULL);
	const struct sdp_media *m = rc ? NULL : sdp_find_media(&s, "audio");
	const struct sdp_conn *conn = m ? sdp_media_conn(&s, m) : NULL;
	rc = conn && conn->family == AF_INET ? 0 : -1; /* the relay is IPv4 */
	if (!rc) {
		snprintf(addr, cap, "%s", conn->addr);
		*port = m->port;
	}
	sdp_free(&s);
	return rc;
}

/* --- the relay ------------------------------------------------------------------- */

/* A packet the relay holds back (delay, jitter) until due. */
struct held {
	long long due_ns;
	int out; /* the side it leaves by */
	size_t len;
	char buf[];
};

struct sbc_relay {
	su_root_t *root;
	int fd[2], reg[2];
	struct sockaddr_in peer[2]; /* where packets for side i go */
	int latched[2];
	unsigned long fwd[2]; /* packets forwarded from side i */
	/* The impairing hop: what it does to side i's packets, the ones it
	 * holds (earliest due first), and what it dropped. */
	struct impair impair[2];
	int impaired[2], drop[2];
	struct held *held[RELAY_MAX_HELD];
	int n_held;
	su_timer_t *timer;
	unsigned long lost[2], full[2];
};

static long long mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void send_out(struct sbc_relay *r, int o, const char *buf, size_t n)
{
	if (r->peer[o].sin_port &&
	    sendto(r->fd[o], buf, n, 0, (struct sockaddr *)&r->peer[o], sizeof(r->peer[o])) > 0)
		r->fwd[!o]++;
}

static void on_timer(void *magic, su_timer_t *t, struct sbc_relay *r);

/* The timer, set for the earliest held packet (sofia's timers have
 * millisecond resolution: a packet leaves within a millisecond of due). */
static void arm(struct sbc_relay *r, long long now)
{
	if (!r->n_held || !r->timer)
		return;
	long long wait = r->held[0]->due_ns - now;
	su_duration_t ms = wait <= 0 ? 0 : (su_duration_t)((wait + 999999) / 1000000);
	su_timer_set_interval(r->timer, on_timer, r, ms);
}

static void on_timer(void *magic, su_timer_t *t, struct sbc_relay *r)
{
	(void)magic;
	(void)t;
	long long now = mono_ns();
	int k = 0;
	/* Due within half a millisecond counts as due: the timer is no finer. */
	while (k < r->n_held && r->held[k]->due_ns <= now + 500000) {
		send_out(r, r->held[k]->out, r->held[k]->buf, r->held[k]->len);
		free(r->held[k]);
		k++;
	}
	memmove(r->held, r->held + k, sizeof(r->held[0]) * (size_t)(r->n_held - k));
	r->n_held -= k;
	arm(r, now);
}

/* Hold a packet until due, in order of due time: a later packet with less
 * jitter overtakes it, as on a real path. */
static void hold(struct sbc_relay *r, int o, const char *buf, size_t n, long long due)
{
	struct held *h;
	if (r->n_held == RELAY_MAX_HELD || !(h = malloc(sizeof(*h) + n))) {
		r->full[!o]++;
		return;
	}
	h->due_ns = due;
	h->out = o;
	h->len = n;
	memcpy(h->buf, buf, n);
	int at = r->n_held;
	while (at > 0 && r->held[at - 1]->due_ns > due)
		at--;
	memmove(r->held + at + 1, r->held + at, sizeof(r->held[0]) * (size_t)(r->n_held - at));
	r->held[at] = h;
	r->n_held++;
	if (at == 0)
		arm(r, mono_ns());
}

/* A packet on side i goes out of the other side's port to the other peer;
 * the first packet from side i also tells where side i really is. */
static int on_packet(void *magic, su_wait_t *w, struct sbc_relay *r)
{
	(void)magic;
	int i = w->fd == r->fd[0] ? 0 : 1, o = !i;
	char buf[2048];
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	ssize_t n = recvfrom(r->fd[i], buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
	if (n <= 0)
		return 0;
	if (!r->latched[i]) {
		r->peer[i] = from;
		r->latched[i] = 1;
	}
	if (r->drop[i])
		return 0; /* a broken relay: this leg is never forwarded */
	double delay_ms = 0;
	if (r->impaired[i] && impair_packet(&r->impair[i], &delay_ms)) {
		r->lost[i]++;
		return 0;
	}
	if (delay_ms > 0)
		hold(r, o, buf, (size_t)n, mono_ns() + (long long)(delay_ms * 1e6));
	else
		send_out(r, o, buf, (size_t)n);
	return 0;
}

struct sbc_relay *sbc_relay_create(struct su_root_s *root, const char *addr)
{
	struct sbc_relay *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->root = root;
	r->fd[0] = r->fd[1] = -1;
	r->reg[0] = r->reg[1] = -1;
	for (int i = 0; i < 2; i++) {
		struct sockaddr_in sa = {.sin_family = AF_INET};
		inet_pton(AF_INET, addr, &sa.sin_addr);
		r->fd[i] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		su_wait_t w;
		if (r->fd[i] < 0 || bind(r->fd[i], (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
		    su_wait_create(&w, r->fd[i], SU_WAIT_IN) < 0 ||
		    (r->reg[i] = su_root_register(root, &w, on_packet, r, 0)) < 0) {
			sbc_relay_destroy(r);
			return NULL;
		}
	}
	return r;
}

int sbc_relay_port(const struct sbc_relay *r, int side)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	if (getsockname(r->fd[side], (struct sockaddr *)&sa, &sl) < 0)
		return -1;
	return ntohs(sa.sin_port);
}

void sbc_relay_set_peer(struct sbc_relay *r, int side, const char *addr, int port)
{
	if (r->latched[side])
		return; /* what the packets said beats what the SDP said */
	r->peer[side].sin_family = AF_INET;
	r->peer[side].sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, addr, &r->peer[side].sin_addr);
}

void sbc_relay_stats(const struct sbc_relay *r, unsigned long fwd[2], int latched[2])
{
	for (int i = 0; i < 2; i++) {
		fwd[i] = r->fwd[i];
		latched[i] = r->latched[i];
	}
}

void sbc_relay_impair(struct sbc_relay *r, const struct sbc_config *c, uint64_t seed)
{
	for (int i = 0; i < 2; i++) {
		r->impaired[i] = impair_active(&c->impair[i]);
		impair_init(&r->impair[i], &c->impair[i],
		            rng_derive_n(seed, "impair", (uint64_t)i));
		r->drop[i] = c->relay_drop == i + 1;
	}
	if ((r->impaired[0] || r->impaired[1]) && !r->timer)
		r->timer = su_timer_create(su_root_task(r->root), 0);
}

void sbc_relay_impaired(const struct sbc_relay *r, unsigned long lost[2], unsigned long full[2])
{
	for (int i = 0; i < 2; i++) {
		lost[i] = r->lost[i];
		full[i] = r->full[i];
	}
}

void sbc_relay_destroy(struct sbc_relay *r)
{
	if (r) {
		if (r->timer)
			su_timer_destroy(r->timer);
		for (int k = 0; k < r->n_held; k++)
			free(r->held[k]);
	}
	for (int i = 0; r && i < 2; i++)
		if (r->fd[i] >= 0) {
			if (r->reg[i] >= 0)
				su_root_deregister(r->root, r->reg[i]);
			close(r->fd[i]);
		}
	free(r);
}
