/* callees.c — the callee pool (see callees.h). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

struct pool;
struct call;
#define SU_ROOT_MAGIC_T struct pool
#define NUA_MAGIC_T     struct pool
#define NUA_HMAGIC_T    struct call
#define SU_WAKEUP_ARG_T struct call
#define SU_TIMER_ARG_T  struct call

#include <sofia-sip/nua.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/soa_tag.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/tport_tag.h>

#include "../lib/limits.h"
#include "../lib/ready.h"
#include "../lib/rng.h"
#include "../sip/sofia_seed.h"
#include "../media/media.h"
#include "../media/sdp.h"
#include "callees.h"

/* One handle: a registered member, or an incoming call to one. */
struct call {
	struct pool *p;
	nua_handle_t *nh;
	int member; /* index of the account, -1 for a call handle before routing */
	int registered;
	int in_call;
	int fd;        /* RTP socket */
	int reg_index; /* su_root registration of fd */
	struct sockaddr_in remote;
	int pt;
	uint64_t seed; /* the pool's seed and the call's Call-ID: its own numbers */
	uint16_t seq;
	uint32_t ts, ssrc;
	unsigned long sent, received;
	long long last_rx_ns;
	su_timer_t *ring;
	char *local_sdp, *remote_sdp; /* kept: nua reports each once, when it changes */
	su_timer_t *reinvite;         /* the configured re-INVITE, once the call is up */
	int reinvited;                /* 1: sent, its answer awaited; 2: answered */
};

struct pool {
	const struct callees_config *c;
	su_root_t *root;
	nua_t *nua;
	struct call *members;
	int n_registered;
	struct call *calls[CALLEE_MAX_CALLS];
	uint64_t seed; /* --seed, or fresh */
	su_timer_t *tick;
	uint8_t frame_pcmu[160], frame_pcma[160];
	unsigned long calls_answered, calls_refused;
};

/* --- configuration ---------------------------------------------------------------- */

static const char *const behaviours[] = {"answer", "busy", "reject", "noanswer", NULL};

/* The codecs of the table the pool can play: it has G.711 frames only. */
static int pool_can_play(int codec)
{
	return codec == CODEC_PCMU || codec == CODEC_PCMA;
}

/* The pool's codec of the first n characters of name, or -1. */
static int pool_codec(const char *name, size_t n)
{
	int c = codec_by_name_n(name, n);
	return pool_can_play(c) ? c : -1;
}

/* A codec list ("PCMU,PCMA") of names of the codec table the pool plays. */
static int pool_codecs_valid(const char *list)
{
	if (!*list)
		return 0;
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");
		if (pool_codec(p, n) < 0)
			return 0;
		p += n + (p[n] == ',');
	}
	return 1;
}

/* Whether codec c is on the pool's list. */
static int pool_has(const struct pool *pl, int c)
{
	for (const char *p = pl->c->codecs; *p;) {
		size_t n = strcspn(p, ",");
		if (pool_codec(p, n) == c)
			return 1;
		p += n + (p[n] == ',');
	}
	return 0;
}

const struct field callees_config_fields[] = {
        F_STRING(struct callees_config, registrar, "registrar", FF_REQUIRED, NULL,
                 "the registrar's URI, e.g. sip:10.10.2.2:5060"),
        F_STRING(struct callees_config, domain, "domain", 0, "lab", "a domain"),
        F_STRING(struct callees_config, bind, "bind", FF_REQUIRED, NULL,
                 "this host's IPv4 address"),
        F_INT(struct callees_config, sip_port, "sip_port", 1, 65535, 0, "5080",
              "the pool's SIP port"),
        F_STRING(struct callees_config, prefix, "prefix", FF_REQUIRED, NULL,
                 "the account name prefix (accounts are PREFIX0001 ...)"),
        F_INT(struct callees_config, first, "first", 0, 999999, 0, "1",
              "the number of the first account"),
        F_INT(struct callees_config, count, "count", 1, 10000, 0, "1", "how many callees"),
        F_INT(struct callees_config, offline, "offline", 0, 10000, 0, "0",
              "how many of the last members never register: the registrar knows them "
              "and has no binding (480 to a call)"),
        F_STRING(struct callees_config, password, "password", FF_REQUIRED, NULL,
                 "the accounts' password"),
        F_STRING(struct callees_config, codecs, "codecs", 0, "PCMU,PCMA",
                 "codec names separated by commas: PCMU, PCMA", .valid = pool_codecs_valid),
        F_INT(struct callees_config, ring_ms, "ring_ms", 0, 600000, 0, NULL,
              "how long a call rings first, ms"),
        F_CHOICE(struct callees_config, behaviour, "behaviour", behaviours, 0, "answer",
                 "what a call gets: answered, 486 busy, 488 rejected, or no answer"),
        F_INT(struct callees_config, expires, "expires", 10, 86400, 0, "600",
              "the registrations' lifetime, seconds"),
        F_INT(struct callees_config, t1_ms, "t1_ms", 1, 60000, FF_DERIVED, "the stack's (500)",
              "SIP timer T1, ms, for time-compressed runs"),
        F_INT(struct callees_config, t1x64_ms, "t1x64_ms", 1, 3840000, FF_DERIVED, "64 times T1",
              "SIP's transaction timeout, ms"),
        F_STRING(struct callees_config, tls_dir, "tls_dir", 0, NULL,
                 "a directory with agent.pem and cafile.pem: register over TLS"),
        F_STRING(struct callees_config, reinvite_codec, "reinvite_codec", 0, NULL,
                 "a codec (PCMU, PCMA) that a re-INVITE offers alone, reinvite_ms after "
                 "each answered call is up: the codec changes mid-call",
                 .valid = pool_codecs_valid),
        F_INT(struct callees_config, reinvite_ms, "reinvite_ms", 1, 3600000, 0, "1000",
              "when the re-INVITE of reinvite_codec goes, ms after the call is up"),
        F_END,
};

int callees_config_load(const char *path, struct callees_config *c, err_t *e)
{
	struct jv j = {path, e, c};
	memset(c, 0, sizeof(*c));
	int rc = fields_load(&j, callees_config_fields, c);
	if (!rc && c->offline > c->count)
		rc = err_set(e, EINVAL, "%s: offline: %d members offline, but the pool has %d",
		             path, c->offline, c->count);
	return rc;
}

/* The members meant to register: all but the offline ones. */
static int members_online(const struct callees_config *c)
{
	return c->count - c->offline;
}

/* The readiness line: every member meant to register has. */
static void say_ready(const struct pool *p)
{
	char what[160], off[48] = "";
	if (p->c->offline)
		snprintf(off, sizeof(off), ", %d offline", p->c->offline);
	snprintf(what, sizeof(what), "%d accounts registered (%s%04d ...)%s", p->n_registered,
	         p->c->prefix, p->c->first, off);
	fprintf(stderr, "siplab callees: %s\n", what);
	ready_notify(what);
}

/* 20 ms of a 400 Hz tone at 8 kHz: a frame whose samples line up, so it
 * can be sent again and again. */
static void make_frames(struct pool *p)
{
	for (int i = 0; i < 160; i++) {
		int16_t s = (int16_t)(8000 * sin(2 * M_PI * 400 * i / 8000.0));
		p->frame_pcmu[i] = g711_ulaw(s);
		p->frame_pcma[i] = g711_alaw(s);
	}
}

/* --- media -------------------------------------------------------------------------- */

static void send_rtp(struct call *c, const uint8_t *payload, size_t len)
{
	uint8_t pkt[12 + 512];
	if (len > 512)
		len = 512;
	pkt[0] = 0x80;
	pkt[1] = (uint8_t)c->pt;
	pkt[2] = (uint8_t)(c->seq >> 8);
	pkt[3] = (uint8_t)c->seq;
	for (int i = 0; i < 4; i++) {
		pkt[4 + i] = (uint8_t)(c->ts >> (24 - 8 * i));
		pkt[8 + i] = (uint8_t)(c->ssrc >> (24 - 8 * i));
	}
	memcpy(pkt + 12, payload, len);
	if (sendto(c->fd, pkt, 12 + len, 0, (struct sockaddr *)&c->remote, sizeof(c->remote)) > 0)
		c->sent++;
	c->seq++;
	c->ts += 160;
}

/* Echo what arrives (with our own header), so the caller hears itself. */
static int on_rtp(struct pool *p, su_wait_t *w, struct call *c)
{
	uint8_t buf[1500];
	(void)p;
	(void)w;
	ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
	if (n > 12 && (buf[0] & 0xc0) == 0x80) {
		c->received++;
		c->last_rx_ns = sys_now_ns();
		if (c->in_call)
			send_rtp(c, buf + 12, (size_t)n - 12);
	}
	return 0;
}

/* Every 20 ms: calls that hear nothing send the tone, so media flows both
 * ways even from a caller that waits to hear something first. */
static void on_tick(struct pool *p, su_timer_t *t, struct call *arg)
{
	(void)t;
	(void)arg;
	long long now = sys_now_ns();
	for (int i = 0; i < CALLEE_MAX_CALLS; i++) {
		struct call *c = p->calls[i];
		if (c && c->in_call && now - c->last_rx_ns > 40000000LL)
			send_rtp(c, c->pt == 8 ? p->frame_pcma : p->frame_pcmu, 160);
	}
}

static int open_rtp(struct pool *p, struct call *c, int *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	inet_pton(AF_INET, p->c->bind, &sa.sin_addr);
	c->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0 || bind(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(c->fd, (struct sockaddr *)&sa, &sl) < 0)
		return -errno;
	*port = ntohs(sa.sin_port);
	su_wait_t w;
	su_wait_create(&w, c->fd, SU_WAIT_IN);
	c->reg_index = su_root_register(p->root, &w, on_rtp, c, 0);
	struct rng r;
	rng_init(&r, c->seed);
	c->ssrc = rng_u32(&r);
	c->seq = (uint16_t)rng_u32(&r);
	return 0;
}

/* The answer (local SDP) names the codec; the offer (remote) where to send. */
static void start_media(struct call *c, const char *local, const char *remote)
{
	struct sdp l, r;
	int rc_l = sdp_read(local, local ? strlen(local) : 0, &l, NULL);
	int rc_r = sdp_read(remote, remote ? strlen(remote) : 0, &r, NULL);
	const struct sdp_media *lm = rc_l ? NULL : sdp_find_media(&l, "audio");
	const struct sdp_media *rm = rc_r ? NULL : sdp_find_media(&r, "audio");
	const struct sdp_conn *conn = rm ? sdp_media_conn(&r, rm) : NULL;
	if (lm && conn && conn->family == AF_INET) { /* the pool's media is IPv4 */
		c->remote.sin_family = AF_INET;
		c->remote.sin_port = htons((uint16_t)rm->port);
		inet_pton(AF_INET, conn->addr, &c->remote.sin_addr);
		c->pt = lm->n_pts ? lm->pts[0] : 0;
		c->in_call = rm->port > 0;
	}
	sdp_free(&l);
	sdp_free(&r);
}

static void close_call(struct pool *p, struct call *c)
{
	if (c->fd >= 0) {
		su_root_deregister(p->root, c->reg_index);
		close(c->fd);
		fprintf(stderr, "siplab callees: call ended: rtp sent %lu, received %lu\n", c->sent,
		        c->received);
	}
	if (c->ring)
		su_timer_destroy(c->ring);
	if (c->reinvite)
		su_timer_destroy(c->reinvite);
	for (int i = 0; i < CALLEE_MAX_CALLS; i++)
		if (p->calls[i] == c)
			p->calls[i] = NULL;
	nua_handle_bind(c->nh, NULL);
	nua_handle_destroy(c->nh);
	free(c->local_sdp);
	free(c->remote_sdp);
	free(c);
}

/* --- calls -------------------------------------------------------------------------- */

/* The first offered codec we have, as the offerer prefers: its codec and
 * the payload type the offer gave it; -1 when none (or no readable offer). */
static int choose_codec(const struct pool *p, const char *offer, int *pt)
{
	struct sdp s;
	int chosen = -1;
	if (!sdp_read(offer, offer ? strlen(offer) : 0, &s, NULL)) {
		const struct sdp_media *m = sdp_find_media(&s, "audio");
		for (int i = 0; m && i < m->n_pts && chosen < 0; i++) {
			int c = sdp_codec(m, m->pts[i]);
			if (c >= 0 && pool_has(p, c)) {
				chosen = c;
				*pt = m->pts[i];
			}
		}
	}
	sdp_free(&s);
	return chosen;
}

/* The pool's answer: one audio stream, the chosen codec (with no offer, the
 * pool's first), plain RTP. */
static char *answer_sdp(const struct pool *p, int port, int codec, int pt)
{
	char origin[96];
	snprintf(origin, sizeof(origin), "- 1 1 IN IP4 %s", p->c->bind);
	struct sdp s;
	char *text = NULL;
	if (!sdp_init(&s, origin, "-", p->c->bind, NULL)) {
		struct sdp_media *m = sdp_add_media(&s, "audio", port, "RTP/AVP");
		if (m && !sdp_add_codec(m, (enum media_codec)codec, pt))
			text = sdp_format(&s);
	}
	sdp_free(&s);
	return text;
}

static void answer(struct pool *p, struct call *c)
{
	int port = 0, pt = -1, codec = choose_codec(p, c->remote_sdp, &pt);
	if (codec < 0) {
		codec = pool_codec(p->c->codecs, strcspn(p->c->codecs, ","));
		pt = codec_info((enum media_codec)codec)->pt;
	}
	if (open_rtp(p, c, &port) < 0) {
		nua_respond(c->nh, SIP_500_INTERNAL_SERVER_ERROR, TAG_END());
		return;
	}
	char *sdp = answer_sdp(p, port, codec, pt);
	if (!sdp) {
		nua_respond(c->nh, SIP_500_INTERNAL_SERVER_ERROR, TAG_END());
		return;
	}
	nua_respond(c->nh, SIP_200_OK, SOATAG_USER_SDP_STR(sdp), SOATAG_ADDRESS(p->c->bind),
	            TAG_END());
	free(sdp); /* nua copied the tags */
	p->calls_answered++;
}

/* The configured re-INVITE: a new offer with one codec on the call's own
 * RTP port; nua's soa makes it the next version of our SDP. */
static void on_reinvite(struct pool *p, su_timer_t *t, struct call *c)
{
	(void)t;
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int codec = pool_codec(p->c->reinvite_codec, strlen(p->c->reinvite_codec));
	if (!c->in_call || codec < 0 || getsockname(c->fd, (struct sockaddr *)&sa, &sl) < 0)
		return;
	char *sdp =
	        answer_sdp(p, ntohs(sa.sin_port), codec, codec_info((enum media_codec)codec)->pt);
	if (!sdp)
		return;
	c->reinvited = 1;
	fprintf(stderr, "siplab callees: re-INVITE offering %s\n", p->c->reinvite_codec);
	nua_invite(c->nh, SOATAG_USER_SDP_STR(sdp), SOATAG_ADDRESS(p->c->bind), TAG_END());
	free(sdp); /* nua copied the tags */
}

/* Once the call is up: arm the configured re-INVITE, if any. */
static void arm_reinvite(struct pool *p, struct call *c)
{
	if (!p->c->reinvite_codec[0] || c->reinvite || !c->in_call)
		return;
	c->reinvite = su_timer_create(su_root_task(p->root), p->c->reinvite_ms);
	if (c->reinvite)
		su_timer_set(c->reinvite, on_reinvite, c);
}

static void on_ring_done(struct pool *p, su_timer_t *t, struct call *c)
{
	(void)t;
	answer(p, c);
}

static void incoming(struct pool *p, nua_handle_t *nh, sip_t const *sip, tagi_t tags[])
{
	struct call *c = calloc(1, sizeof(*c));
	if (!c) {
		nua_respond(nh, SIP_500_INTERNAL_SERVER_ERROR, TAG_END());
		return;
	}
	c->p = p;
	c->nh = nh;
	c->fd = -1;
	c->member = -1;
	/* By the caller's Call-ID, not by arrival order: the worker derives
	 * that from the run's seed, so a replay answers with the same SSRCs. */
	c->seed = rng_derive(p->seed, sip && sip->sip_call_id ? sip->sip_call_id->i_id : "");
	int slot = -1;
	for (int i = 0; i < CALLEE_MAX_CALLS && slot < 0; i++)
		slot = p->calls[i] ? -1 : i;
	if (slot < 0) {
		/* Full: a busy callee is what a caller sees, and it is counted. */
		p->calls_refused++;
		free(c);
		nua_respond(nh, SIP_486_BUSY_HERE, TAG_END());
		return;
	}
	nua_handle_bind(nh, c);
	p->calls[slot] = c;
	(void)tags;
	/* The whole offer, whatever its size; the answer follows its codec order. */
	if (sip && sip->sip_payload && sip->sip_payload->pl_len)
		c->remote_sdp = strndup(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
	int pt;
	if (p->c->behaviour == CALLEE_ANSWER && c->remote_sdp &&
	    choose_codec(p, c->remote_sdp, &pt) < 0) {
		/* No common codec: say so, rather than answer with the stream off. */
		p->calls_refused++;
		nua_respond(nh, SIP_488_NOT_ACCEPTABLE, TAG_END());
		return;
	}
	switch (p->c->behaviour) {
	case CALLEE_BUSY:
		p->calls_refused++;
		nua_respond(nh, SIP_486_BUSY_HERE, TAG_END());
		return;
	case CALLEE_REJECT:
		p->calls_refused++;
		nua_respond(nh, SIP_488_NOT_ACCEPTABLE, TAG_END());
		return;
	case CALLEE_NOANSWER:
		nua_respond(nh, SIP_180_RINGING, TAG_END());
		return;
	default:
		break;
	}
	if (p->c->ring_ms <= 0) {
		answer(p, c);
		return;
	}
	nua_respond(nh, SIP_180_RINGING, TAG_END());
	c->ring = su_timer_create(su_root_task(p->root), p->c->ring_ms);
	su_timer_set(c->ring, on_ring_done, c);
}

static void on_event(nua_event_t event, int status, char const *phrase, nua_t *nua, struct pool *p,
                     nua_handle_t *nh, struct call *c, sip_t const *sip, tagi_t tags[])
{
	(void)nua;
	(void)phrase;
	switch (event) {
	case nua_r_register:
		if ((status == 401 || status == 407) && c) {
			char auth[256];
			snprintf(auth, sizeof(auth), "Digest:\"%s\":%s%04d:%s", p->c->domain,
			         p->c->prefix, p->c->first + c->member, p->c->password);
			nua_authenticate(nh, NUTAG_AUTH(auth), TAG_END());
		} else if (status == 200 && c && !c->registered) {
			c->registered = 1;
			if (++p->n_registered == members_online(p->c))
				say_ready(p);
		} else if (status >= 300 && status != 401 && status != 407) {
			fprintf(stderr, "siplab callees: REGISTER failed: %d %s\n", status, phrase);
		}
		break;
	case nua_i_invite:
		incoming(p, nh, sip, tags);
		break;
	case nua_i_state: {
		int state = -1;
		const char *local = NULL, *remote = NULL;
		tl_gets(tags, NUTAG_CALLSTATE_REF(state), SOATAG_LOCAL_SDP_STR_REF(local),
		        SOATAG_REMOTE_SDP_STR_REF(remote), TAG_END());
		if (c && local) {
			free(c->local_sdp);
			c->local_sdp = strdup(local);
		}
		if (c && remote) {
			free(c->remote_sdp);
			c->remote_sdp = strdup(remote);
		}
		if (c && state == nua_callstate_ready && !c->in_call) {
			start_media(c, c->local_sdp, c->remote_sdp);
			arm_reinvite(p, c);
		} else if (c && state == nua_callstate_ready && c->reinvited == 1 && remote) {
			/* The answer to our re-INVITE: its codec from now on. */
			start_media(c, c->local_sdp, c->remote_sdp);
			c->reinvited = 2;
		}
		if (c && state == nua_callstate_terminated)
			close_call(p, c);
		break;
	}
	default:
		break;
	}
}

/* --- start and stop ------------------------------------------------------------- */

static int on_signal(struct pool *p, su_wait_t *w, struct call *arg)
{
	struct signalfd_siginfo si;
	(void)arg;
	if (read(w->fd, &si, sizeof(si)) == sizeof(si))
		su_root_break(p->root);
	return 0;
}

/* Register every member but the offline ones (the last members): those stay
 * accounts without a binding, as phones that are switched off. */
static void register_all(struct pool *p)
{
	if (!members_online(p->c))
		say_ready(p); /* nothing to wait for */
	for (int i = 0; i < members_online(p->c); i++) {
		char user[64], aor[160];
		struct call *m = &p->members[i];
		snprintf(user, sizeof(user), "%s%04d", p->c->prefix, p->c->first + i);
		/* Over TLS the AOR is sips:, or nua would advertise a UDP contact. */
		snprintf(aor, sizeof(aor), "%s:%s@%s", p->c->tls_dir[0] ? "sips" : "sip", user,
		         p->c->domain);
		m->p = p;
		m->member = i;
		m->fd = -1;
		m->nh = nua_handle(p->nua, m, SIPTAG_TO_STR(aor), SIPTAG_FROM_STR(aor), TAG_END());
		nua_register(m->nh, NUTAG_M_USERNAME(user),
		             NUTAG_REGISTRAR(URL_STRING_MAKE(p->c->registrar)),
		             SIPTAG_EXPIRES_STR("600"), TAG_END());
	}
}

int callees_run(const struct callees_config *cfg, err_t *e)
{
	static struct pool p;
	memset(&p, 0, sizeof(p));
	p.c = cfg;
	p.seed = cfg->seeded ? cfg->seed : rng_fresh_seed();
	make_frames(&p);
	su_init();
	sofia_seed(rng_derive(p.seed, "sofia"));
	su_log_set_level(NULL, 0);
	p.root = su_root_create(&p);
	su_root_threading(p.root, 0);
	char url[128];
	snprintf(url, sizeof(url), "sip:%s:%d", cfg->bind, cfg->sip_port);
	char sips[128];
	snprintf(sips, sizeof(sips), "sips:%s:*", cfg->bind);
	int tls = cfg->tls_dir[0] != '\0';
	p.nua = nua_create(p.root, on_event, &p, NUTAG_URL(url), TAG_IF(tls, NUTAG_SIPS_URL(sips)),
	                   TAG_IF(tls, TPTAG_CERTIFICATE(cfg->tls_dir)),
	                   NUTAG_PROXY(URL_STRING_MAKE(cfg->registrar)), NUTAG_AUTOANSWER(0),
	                   NUTAG_AUTOACK(1), SOATAG_ADDRESS(cfg->bind),
	                   TAG_IF(cfg->t1_ms, NTATAG_SIP_T1(cfg->t1_ms)),
	                   TAG_IF(cfg->t1x64_ms, NTATAG_SIP_T1X64(cfg->t1x64_ms)), TAG_END());
	p.members = calloc((size_t)cfg->count, sizeof(*p.members));
	if (!p.nua || !p.members) {
		if (p.nua)
			nua_destroy(p.nua);
		su_root_destroy(p.root);
		su_deinit();
		free(p.members);
		return err_set(e, EADDRINUSE, "cannot start SIP on %s", url);
	}
	int sfd = sys_stop_signalfd();
	su_wait_t w;
	su_wait_create(&w, sfd, SU_WAIT_IN);
	su_root_register(p.root, &w, on_signal, NULL, 0);
	p.tick = su_timer_create(su_root_task(p.root), 20);
	su_timer_run(p.tick, on_tick, NULL);
	register_all(&p);
	fprintf(stderr, "siplab callees: %d accounts on %s, behaviour %d, ring %d ms\n", cfg->count,
	        url, (int)cfg->behaviour, cfg->ring_ms);
	su_root_run(p.root);
	fprintf(stderr, "siplab callees: %lu calls answered, %lu refused\n", p.calls_answered,
	        p.calls_refused);
	/* Un-register, then let nua finish its transactions. */
	for (int i = 0; i < cfg->count; i++)
		if (p.members[i].registered)
			nua_unregister(p.members[i].nh, TAG_END());
	su_root_step(p.root, 200);
	nua_shutdown(p.nua);
	for (int i = 0; i < 50; i++)
		su_root_step(p.root, 20);
	for (int i = 0; i < CALLEE_MAX_CALLS; i++)
		if (p.calls[i])
			close_call(&p, p.calls[i]);
	for (int i = 0; i < cfg->count; i++)
		if (p.members[i].nh)
			nua_handle_destroy(p.members[i].nh);
	su_timer_destroy(p.tick);
	nua_destroy(p.nua);
	su_root_destroy(p.root);
	su_deinit();
	close(sfd);
	free(p.members);
	return 0;
}
