/* stream.c — one call's audio: SDP, RTP/SRTP, RTCP and metrics (see stream.h). */
#define _GNU_SOURCE
#include "stream.h"
#include "../lib/rng.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#define FRAME_NS 20000000LL
#define OPUS_PT  111

/* What one side's SDP says about its audio stream. */
struct sdp_info {
	char addr[64];
	int port;
	int secure; /* RTP/SAVP */
	int pts[16], n_pts;
	int opus_pt;
	char key[41];
	int rtcp_mux;
};

static const char *const codec_rtpmap[] = {"PCMU/8000", "PCMA/8000", "G722/8000", "opus/48000/2"};
static const int codec_pt[] = {0, 8, 9, OPUS_PT};

int stream_clips_make(struct stream_clips *c, err_t *e)
{
	memset(c, 0, sizeof(*c));
	/* 50 frames: one second of tone, replayed for as long as a call lasts. */
	static const enum media_codec made[] = {CODEC_PCMU, CODEC_PCMA, CODEC_G722, CODEC_OPUS};
	for (size_t i = 0; i < sizeof(made) / sizeof(*made); i++) {
		int rc = media_clip_make(&c->clip[made[i]], made[i], 50, e);
		if (rc) {
			stream_clips_free(c);
			return rc;
		}
	}
	return 0;
}

void stream_clips_free(struct stream_clips *c)
{
	for (int i = 0; i < 4; i++)
		if (c->clip[i].n)
			media_clip_free(&c->clip[i]);
	memset(c, 0, sizeof(*c));
}

int sdp_line(const char *sdp, const char *prefix, char *out, size_t cap)
{
	size_t n = strlen(prefix);
	for (const char *l = sdp; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (!strncmp(l, prefix, n)) {
			snprintf(out, cap, "%.*s", (int)strcspn(l + n, "\r\n"), l + n);
			return 0;
		}
	}
	return -ENOENT;
}

static int sdp_parse(const char *sdp, struct sdp_info *d)
{
	char line[256], proto[32] = "";
	memset(d, 0, sizeof(*d));
	d->opus_pt = -1;
	if (!sdp || sdp_line(sdp, "m=audio ", line, sizeof(line)))
		return -EPROTO;
	int off = 0;
	if (sscanf(line, "%d %31s %n", &d->port, proto, &off) < 2)
		return -EPROTO;
	d->secure = strstr(proto, "SAVP") != NULL;
	for (char *save = NULL, *f = strtok_r(line + off, " ", &save); f && d->n_pts < 16;
	     f = strtok_r(NULL, " ", &save))
		d->pts[d->n_pts++] = atoi(f);
	if (sdp_line(sdp, "c=IN IP4 ", d->addr, sizeof(d->addr)))
		return -EPROTO;
	/* Opus has a dynamic payload type: find it by name. */
	for (const char *a = strstr(sdp, "a=rtpmap:"); a; a = strstr(a + 1, "a=rtpmap:")) {
		int pt;
		char name[32];
		if (sscanf(a + 9, "%d %31[^/]", &pt, name) == 2 && !strcasecmp(name, "opus"))
			d->opus_pt = pt;
	}
	const char *k = strstr(sdp, "AES_CM_128_HMAC_SHA1_80 inline:");
	if (k)
		snprintf(d->key, sizeof(d->key), "%.40s", k + 31);
	d->rtcp_mux = strstr(sdp, "a=rtcp-mux") != NULL;
	return 0;
}

static int codec_of_pt(const struct sdp_info *d, int pt)
{
	if (pt == 0)
		return CODEC_PCMU;
	if (pt == 8)
		return CODEC_PCMA;
	if (pt == 9)
		return CODEC_G722;
	return pt == d->opus_pt ? CODEC_OPUS : -1;
}

static int have_codec(const enum media_codec *codecs, int n, int c)
{
	for (int i = 0; i < n; i++)
		if ((int)codecs[i] == c)
			return 1;
	return 0;
}

int stream_open(struct stream *s, const char *addr, err_t *e)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->addr, sizeof(s->addr), "%s", addr);
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return err_set(e, EINVAL, "media address \"%s\" is not IPv4", addr);
	s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(s->fd, (struct sockaddr *)&sa, &sl) < 0) {
		int rc = err_set(e, errno, "RTP socket on %s: %s", addr, strerror(errno));
		if (s->fd >= 0)
			close(s->fd);
		s->fd = -1;
		return rc;
	}
	s->port = ntohs(sa.sin_port);
	/* Fresh from the kernel until stream_seed says otherwise (libc's random()
	 * is never seeded: every process would draw the same SSRCs). */
	uint32_t r[3];
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		stream_seed(s, (uint64_t)sys_now_ns() ^ (uint64_t)s->port << 48);
	else
		s->ssrc = r[0], s->seq = (uint16_t)r[1], s->ts = r[2];
	s->rtt_ms = s->peer_loss_pct = s->peer_jitter_ms = -1;
	s->rx_at_pause = s->tx_at_resume = -1;
	return 0;
}

void stream_seed(struct stream *s, uint64_t seed)
{
	struct rng r;
	uint8_t key[30];
	rng_init(&r, seed);
	s->ssrc = rng_u32(&r);
	s->seq = (uint16_t)rng_u32(&r);
	s->ts = rng_u32(&r);
	/* SDES sends the key in the SDP anyway; one derived from a seed is also
	 * known to whoever knows the seed, which is fine for a lab only. */
	rng_bytes(&r, key, sizeof(key));
	if (base64_encode(key, sizeof(key), s->key_local, sizeof(s->key_local)) != 40)
		s->key_local[0] = '\0'; /* the offer or answer then draws one */
}

void stream_close(struct stream *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	media_srtp_free(&s->tx_srtp);
	media_srtp_free(&s->rx_srtp);
	s->running = 0;
}

static int write_sdp(struct stream *s, const enum media_codec *codecs, int n, int secure, char *sdp,
                     size_t cap)
{
	char fmts[64] = "", maps[256] = "";
	size_t nf = 0, nm = 0;
	for (int i = 0; i < n; i++) {
		nf += (size_t)snprintf(fmts + nf, sizeof(fmts) - nf, " %d", codec_pt[codecs[i]]);
		nm += (size_t)snprintf(maps + nm, sizeof(maps) - nm, "a=rtpmap:%d %s\r\n",
		                       codec_pt[codecs[i]], codec_rtpmap[codecs[i]]);
	}
	char crypto[96] = "";
	if (secure)
		snprintf(crypto, sizeof(crypto), "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%s\r\n",
		         s->key_local);
	int k = snprintf(sdp, cap,
	                 "v=0\r\no=siplab %u 1 IN IP4 %s\r\ns=siplab\r\nc=IN IP4 %s\r\n"
	                 "t=0 0\r\nm=audio %d RTP/%s%s\r\n%sa=ptime:20\r\na=rtcp-mux\r\n"
	                 "%sa=sendrecv\r\n",
	                 s->ssrc, s->addr, s->addr, s->port, secure ? "SAVP" : "AVP", fmts, maps,
	                 crypto);
	return k > 0 && (size_t)k < cap ? 0 : -ENOSPC;
}

int stream_offer(struct stream *s, const enum media_codec *codecs, int n, enum media_keying srtp,
                 char *sdp, size_t cap)
{
	s->srtp = srtp == KEYING_SDES;
	if (s->srtp && !s->key_local[0] && srtp_key_generate(s->key_local))
		return -EIO;
	return write_sdp(s, codecs, n, s->srtp, sdp, cap);
}

static void set_remote(struct stream *s, const struct sdp_info *d)
{
	s->remote.sin_family = AF_INET;
	s->remote.sin_port = htons((uint16_t)d->port);
	inet_pton(AF_INET, d->addr, &s->remote.sin_addr);
	s->rtcp_mux = d->rtcp_mux;
	snprintf(s->key_remote, sizeof(s->key_remote), "%s", d->key);
}

int stream_answer(struct stream *s, const char *offer, const enum media_codec *codecs, int n,
                  enum media_keying srtp, char *sdp, size_t cap)
{
	struct sdp_info d;
	int rc = sdp_parse(offer, &d);
	if (rc)
		return rc;
	if ((srtp == KEYING_SDES) != (d.secure && d.key[0]))
		return -EPROTO;
	int chosen = -1;
	for (int i = 0; i < d.n_pts && chosen < 0; i++) {
		int c = codec_of_pt(&d, d.pts[i]);
		if (c >= 0 && have_codec(codecs, n, c))
			chosen = c;
	}
	if (chosen < 0)
		return -ENOENT;
	s->codec = (enum media_codec)chosen;
	s->pt = chosen == CODEC_OPUS ? d.opus_pt : codec_pt[chosen];
	set_remote(s, &d);
	s->srtp = srtp == KEYING_SDES;
	if (s->srtp && !s->key_local[0] && srtp_key_generate(s->key_local))
		return -EIO;
	enum media_codec one = s->codec;
	rc = write_sdp(s, &one, 1, s->srtp, sdp, cap);
	if (!rc && s->codec == CODEC_OPUS && s->pt != OPUS_PT) {
		/* Answer with the offerer's payload type for Opus. */
		char *m = strstr(sdp, " 111\r\n"), *a = strstr(sdp, "rtpmap:111 ");
		char num[8];
		snprintf(num, sizeof(num), "%3d", s->pt);
		if (m && a && s->pt < 1000) {
			memcpy(m + 1, num, 3);
			memcpy(a + 7, num, 3);
		}
	}
	return rc;
}

int stream_take_answer(struct stream *s, const char *answer, enum media_keying srtp)
{
	struct sdp_info d;
	int rc = sdp_parse(answer, &d);
	if (rc)
		return rc;
	if ((srtp == KEYING_SDES) != (d.secure && d.key[0]))
		return -EPROTO;
	int chosen = -1;
	for (int i = 0; i < d.n_pts && chosen < 0; i++)
		chosen = codec_of_pt(&d, d.pts[i]);
	if (chosen < 0 || d.port == 0)
		return -ENOENT;
	s->codec = (enum media_codec)chosen;
	s->pt = chosen == CODEC_OPUS ? d.opus_pt : codec_pt[chosen];
	set_remote(s, &d);
	return 0;
}

int stream_start(struct stream *s, const struct stream_clips *clips, long rtcp_interval_ms,
                 long pause_at_ms, long pause_ms, long long now, err_t *e)
{
	s->clip = &clips->clip[s->codec];
	if (!s->clip->n)
		return err_set(e, ENOTSUP, "no frames for %s", codec_name(s->codec));
	if (s->srtp) {
		int rc = media_srtp_init(&s->tx_srtp, s->key_local, 1, e);
		if (!rc)
			rc = media_srtp_init(&s->rx_srtp, s->key_remote, 0, e);
		if (rc)
			return rc;
	}
	s->start_ns = s->next_rtp_ns = now;
	s->rtcp_interval_ns = (rtcp_interval_ms > 100 ? rtcp_interval_ms : 100) * 1000000LL;
	s->next_rtcp_ns = now + s->rtcp_interval_ns / 2;
	if (pause_ms > 0) {
		s->pause_from_ns = now + pause_at_ms * 1000000LL;
		s->pause_until_ns = s->pause_from_ns + pause_ms * 1000000LL;
	}
	s->running = 1;
	return 0;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The middle 32 bits of an NTP-format timestamp of t (RFC 3550 LSR). Only
 * this endpoint's own clock is ever compared with it, so monotonic time is
 * enough. */
static uint32_t ntp_mid(long long t)
{
	uint64_t sec = (uint64_t)(t / 1000000000LL);
	uint64_t frac = ((uint64_t)(t % 1000000000LL) << 32) / 1000000000ULL;
	return (uint32_t)((sec & 0xffff) << 16 | frac >> 16);
}

static void send_packet(struct stream *s, uint8_t *pkt, int len, int rtcp)
{
	if (s->srtp) {
		int rc = rtcp ? media_srtp_protect_rtcp(&s->tx_srtp, pkt, &len)
		              : media_srtp_protect(&s->tx_srtp, pkt, &len);
		if (rc) {
			s->srtp_errors++;
			return;
		}
	}
	(void)sendto(s->fd, pkt, (size_t)len, 0, (struct sockaddr *)&s->remote, sizeof(s->remote));
}

static void send_frame(struct stream *s)
{
	uint8_t pkt[12 + 512 + 16];
	const struct media_clip *c = s->clip;
	size_t len = c->len[s->clip_pos];
	if (len > 512)
		len = 512;
	pkt[0] = 0x80;
	pkt[1] = (uint8_t)s->pt;
	pkt[2] = (uint8_t)(s->seq >> 8);
	pkt[3] = (uint8_t)s->seq;
	put32(pkt + 4, s->ts);
	put32(pkt + 8, s->ssrc);
	memcpy(pkt + 12, c->frame[s->clip_pos], len);
	s->clip_pos = (s->clip_pos + 1) % c->n;
	s->seq++;
	s->tx_packets++;
	s->tx_bytes += 12 + len;
	send_packet(s, pkt, (int)(12 + len), 0);
}

/* A sender report with one reception report block once anything arrived. */
static void send_rtcp(struct stream *s, long long now)
{
	uint8_t pkt[28 + 24 + 16];
	int blocks = s->rx.started ? 1 : 0, len = 28 + 24 * blocks;
	pkt[0] = (uint8_t)(0x80 | blocks);
	pkt[1] = 200;
	pkt[2] = 0;
	pkt[3] = (uint8_t)(len / 4 - 1);
	put32(pkt + 4, s->ssrc);
	put32(pkt + 8, (uint32_t)(now / 1000000000LL));
	put32(pkt + 12, (uint32_t)(((uint64_t)(now % 1000000000LL) << 32) / 1000000000ULL));
	put32(pkt + 16, s->ts);
	put32(pkt + 20, (uint32_t)s->tx_packets);
	put32(pkt + 24, (uint32_t)s->tx_bytes);
	if (blocks) {
		uint64_t expected = rx_stats_expected(&s->rx);
		int64_t exp_int = (int64_t)(expected - s->prior_expected);
		int64_t lost_int = exp_int - (int64_t)(s->rx.packets - s->prior_received);
		s->prior_expected = expected;
		s->prior_received = s->rx.packets;
		uint32_t fraction =
		        exp_int > 0 && lost_int > 0 ? (uint32_t)(lost_int * 256 / exp_int) : 0;
		int64_t cum = (int64_t)expected - (int64_t)s->rx.packets;
		cum = cum < 0 ? 0 : cum > 0x7fffff ? 0x7fffff : cum;
		uint32_t dlsr = s->last_sr_ns
		                        ? (uint32_t)((now - s->last_sr_ns) * 65536 / 1000000000LL)
		                        : 0;
		uint8_t *b = pkt + 28;
		put32(b, s->peer_ssrc);
		put32(b + 4, (fraction > 255 ? 255 : fraction) << 24 | (uint32_t)cum);
		put32(b + 8, s->rx.cycles + s->rx.max_seq);
		put32(b + 12, (uint32_t)s->rx.jitter.j);
		put32(b + 16, s->last_sr);
		put32(b + 20, dlsr);
	}
	s->rtcp_sent++;
	send_packet(s, pkt, len, 1);
}

static int paused(const struct stream *s, long long now)
{
	return s->pause_from_ns && now >= s->pause_from_ns && now < s->pause_until_ns;
}

void stream_tick(struct stream *s, long long now)
{
	if (!s->running)
		return;
	if (s->pause_from_ns && s->rx_at_pause < 0 && now >= s->pause_from_ns)
		s->rx_at_pause = (int64_t)s->rx.packets;
	if (s->pause_from_ns && s->tx_at_resume < 0 && now >= s->pause_until_ns)
		s->tx_at_resume = (int64_t)s->tx_packets;
	/* Far behind (a stalled loop): skip ahead rather than send a burst. */
	if (now - s->next_rtp_ns > 10 * FRAME_NS)
		s->next_rtp_ns = now;
	while (s->next_rtp_ns <= now) {
		if (!paused(s, s->next_rtp_ns))
			send_frame(s);
		s->ts += (uint32_t)s->clip->ts_per_frame;
		s->next_rtp_ns += FRAME_NS;
	}
	/* RTCP pauses with the audio: a silent endpoint sends nothing at all,
	 * which is what lets a firewall's conntrack entry expire. */
	if (s->rtcp_mux && now >= s->next_rtcp_ns) {
		if (!paused(s, now))
			send_rtcp(s, now);
		s->next_rtcp_ns = now + s->rtcp_interval_ns;
	}
}

static void take_report_block(struct stream *s, const uint8_t *b, long long now)
{
	if (get32(b) != s->ssrc)
		return;
	uint32_t cum = get32(b + 4) & 0xffffff, ehsn = get32(b + 8);
	uint32_t expected = ehsn - (uint32_t)(uint16_t)(s->seq - (uint16_t)s->tx_packets) + 1;
	s->peer_loss_pct = expected ? 100.0 * cum / expected : 0;
	if (s->peer_loss_pct > 100)
		s->peer_loss_pct = 100;
	s->peer_jitter_ms = 1000.0 * get32(b + 12) / (s->clip ? s->clip->clock : 8000);
	uint32_t lsr = get32(b + 16), dlsr = get32(b + 20);
	if (lsr) {
		int32_t rtt = (int32_t)(ntp_mid(now) - lsr - dlsr);
		if (rtt >= 0)
			s->rtt_ms = 1000.0 * rtt / 65536.0;
	}
}

static void take_rtcp(struct stream *s, const uint8_t *p, int len, long long now)
{
	s->rtcp_received++;
	while (len >= 8) {
		int words = (p[2] << 8 | p[3]) + 1, n = words * 4, rc = p[0] & 0x1f, off = -1;
		if (n > len)
			break;
		if (p[1] == 200 && n >= 28) {
			s->last_sr = get32(p + 10);
			s->last_sr_ns = now;
			off = 28;
		} else if (p[1] == 201) {
			off = 8;
		}
		for (int i = 0; off >= 0 && i < rc && off + 24 * (i + 1) <= n; i++)
			take_report_block(s, p + off + 24 * i, now);
		p += n;
		len -= n;
	}
}

void stream_receive(struct stream *s, long long now)
{
	uint8_t buf[1600];
	for (;;) {
		ssize_t got = recv(s->fd, buf, sizeof(buf), 0);
		if (got < 0)
			return;
		int len = (int)got;
		if (len < 12 || (buf[0] & 0xc0) != 0x80 || !s->running)
			continue;
		int rtcp = buf[1] >= 200 && buf[1] <= 204;
		if (s->srtp) {
			int rc = rtcp ? media_srtp_unprotect_rtcp(&s->rx_srtp, buf, &len)
			              : media_srtp_unprotect(&s->rx_srtp, buf, &len);
			if (rc) {
				s->srtp_errors++;
				continue;
			}
		}
		if (rtcp) {
			take_rtcp(s, buf, len, now);
			continue;
		}
		s->peer_ssrc = get32(buf + 8);
		int clock = s->clip ? s->clip->clock : 8000;
		uint32_t arrival =
		        (uint32_t)((unsigned long long)now * (unsigned)clock / 1000000000ULL);
		rx_stats_update(&s->rx, buf, (size_t)len, arrival);
	}
}

void stream_metrics(const struct stream *s, struct stream_metrics *m)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->codec, sizeof(m->codec), "%s", codec_name(s->codec));
	m->srtp = s->srtp;
	const struct codec_impairment *ci = emodel_codec(m->codec);
	int clock = s->clip ? s->clip->clock : 8000;
	double rtt = s->rtt_ms >= 0 ? s->rtt_ms : 0;
	m->rx.packets = s->rx.packets;
	m->rx.bytes = s->rx.bytes;
	m->rx.loss_pct = rx_stats_loss_pct(&s->rx);
	m->rx.jitter_ms = jitter_ms(&s->rx.jitter, clock);
	m->rx.rtt_ms = s->rtt_ms;
	m->rx.mos = s->rx.packets && ci
	                    ? emodel_mos_metrics(ci, m->rx.loss_pct, m->rx.jitter_ms, rtt, NULL)
	                    : -1;
	m->tx.packets = s->tx_packets;
	m->tx.bytes = s->tx_bytes;
	m->tx.loss_pct = s->peer_loss_pct;
	m->tx.jitter_ms = s->peer_jitter_ms;
	m->tx.rtt_ms = s->rtt_ms;
	m->tx.mos = s->peer_loss_pct >= 0 && ci
	                    ? emodel_mos_metrics(ci, s->peer_loss_pct, s->peer_jitter_ms, rtt, NULL)
	                    : -1;
	m->rtcp_sent = s->rtcp_sent;
	m->rtcp_received = s->rtcp_received;
	m->srtp_errors = s->srtp_errors;
	m->rx_before_pause = s->rx_at_pause;
	m->rx_since_pause = s->rx_at_pause >= 0 ? (int64_t)s->rx.packets - s->rx_at_pause : -1;
	m->tx_after_pause = s->tx_at_resume >= 0 ? (int64_t)s->tx_packets - s->tx_at_resume : -1;
}
