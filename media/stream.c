/* stream.c — one call's audio: SDP, RTP/SRTP, RTCP and metrics (see stream.h). */
#define _GNU_SOURCE
#include "stream.h"
#include "../lib/rng.h"

#include "sdp.h"

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

/* The one SRTP suite this endpoint keys with SDES. */
#define SUITE "AES_CM_128_HMAC_SHA1_80"

int stream_clips_make(struct stream_clips *c, err_t *e)
{
	memset(c, 0, sizeof(*c));
	/* 50 frames: one second of tone, replayed for as long as a call lasts. */
	for (int i = 0; i < CODEC_COUNT; i++) {
		int rc = media_clip_make(&c->clip[i], (enum media_codec)i, 50, e);
		if (rc) {
			stream_clips_free(c);
			return rc;
		}
	}
	return 0;
}

void stream_clips_free(struct stream_clips *c)
{
	for (int i = 0; i < CODEC_COUNT; i++)
		if (c->clip[i].n)
			media_clip_free(&c->clip[i]);
	memset(c, 0, sizeof(*c));
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
	s->rx_pt = s->rx_pt_prev = s->pt_seen = -1;
	s->sdp_version = 1;
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

/* Our SDP: one audio section with the codecs at the payload types given,
 * our key when secure, RTCP multiplexed on the RTP port. */
static int write_sdp(struct stream *s, const enum media_codec *codecs, const int *pts, int n,
                     int secure, char *out, size_t cap)
{
	char origin[128];
	snprintf(origin, sizeof(origin), "siplab %u %d IN IP4 %s", s->ssrc, s->sdp_version,
	         s->addr);
	struct sdp d;
	int rc = sdp_init(&d, origin, "siplab", s->addr, NULL);
	struct sdp_media *m =
	        rc ? NULL : sdp_add_media(&d, "audio", s->port, secure ? "RTP/SAVP" : "RTP/AVP");
	rc = m ? 0 : -ENOMEM;
	for (int i = 0; !rc && i < n; i++)
		rc = sdp_add_codec(m, codecs[i], pts[i]);
	if (!rc && secure)
		rc = sdp_add_crypto(m, 1, SUITE, s->key_local);
	if (!rc)
		rc = sdp_add_line(&d, 0, "a=ptime:20");
	char *text = NULL;
	if (!rc) {
		m->rtcp_mux = 1;
		m->dir = SDP_SENDRECV;
		text = sdp_format(&d);
		rc = !text ? -ENOMEM : strlen(text) < cap ? 0 : -ENOSPC;
	}
	if (!rc)
		memcpy(out, text, strlen(text) + 1);
	free(text);
	sdp_free(&d);
	return rc;
}

int stream_offer(struct stream *s, const enum media_codec *codecs, int n, enum media_keying srtp,
                 char *sdp, size_t cap)
{
	int pts[CODEC_COUNT];
	if (n > CODEC_COUNT)
		return -E2BIG;
	for (int i = 0; i < n; i++)
		pts[i] = codec_info(codecs[i])->pt;
	s->srtp = srtp == KEYING_SDES;
	if (s->srtp && !s->key_local[0] && srtp_key_generate(s->key_local))
		return -EIO;
	return write_sdp(s, codecs, pts, n, s->srtp, sdp, cap);
}

/* The far side's audio from its SDP: where to send, and whether its security
 * is ours. -EBADMSG/-ENODATA/-E2BIG when the SDP cannot be read, -ENOENT when
 * it has no audio, -EAFNOSUPPORT for an address we cannot reach, -EPROTO
 * when the security does not match; e says which. */
static int read_remote(struct stream *s, const char *text, enum media_keying srtp, struct sdp *d,
                       const struct sdp_media **audio, err_t *e)
{
	int rc = sdp_read(text, text ? strlen(text) : 0, d, e);
	if (rc)
		return rc;
	const struct sdp_media *m = sdp_find_media(d, "audio");
	const struct sdp_conn *c = m ? sdp_media_conn(d, m) : NULL;
	if (!m)
		return err_set(e, ENOENT, "the SDP has no m=audio section");
	if (!c)
		return err_set(e, EBADMSG, "bad c= line: the audio has no c= line at any level");
	if (c->family != AF_INET)
		return err_set(e, EAFNOSUPPORT,
		               "the audio is at IPv6 address %s; this endpoint's media is IPv4",
		               c->addr);
	int want = srtp == KEYING_SDES;
	if (want != m->secure)
		return err_set(e, EPROTO, "the SDP's profile is %s, and SRTP is %s here", m->proto,
		               want ? "required" : "not used");
	const struct sdp_crypto *k = want ? sdp_crypto_find(m, SUITE) : NULL;
	if (want && !k)
		return err_set(e, EPROTO, "none of the %d a=crypto lines is %s", m->n_crypto,
		               SUITE);
	if (k && strlen(k->key) != 40)
		return err_set(e, EPROTO, "the %s key has %zu characters, not 40", SUITE,
		               strlen(k->key));
	s->remote.sin_family = AF_INET;
	s->remote.sin_port = htons((uint16_t)m->port);
	inet_pton(AF_INET, c->addr, &s->remote.sin_addr);
	s->rtcp_mux = m->rtcp_mux;
	snprintf(s->key_remote, sizeof(s->key_remote), "%s", k ? k->key : "");
	*audio = m;
	return 0;
}

/* The first offered codec we also have, and its payload type in the offer;
 * -ENOENT (e says so) when none. */
static int choose_offered(const struct sdp_media *m, const enum media_codec *codecs, int n,
                          int *codec, int *pt, err_t *e)
{
	for (int i = 0; i < m->n_pts; i++) {
		int c = sdp_codec(m, m->pts[i]);
		if (c >= 0 && have_codec(codecs, n, c)) {
			*codec = c;
			*pt = m->pts[i]; /* the offerer's payload type, dynamic ones too */
			return 0;
		}
	}
	return err_set(e, ENOENT, "no codec of the offer is ours");
}

int stream_answer(struct stream *s, const char *offer, const enum media_codec *codecs, int n,
                  enum media_keying srtp, char *sdp, size_t cap, err_t *e)
{
	struct sdp d;
	const struct sdp_media *m = NULL;
	int rc = read_remote(s, offer, srtp, &d, &m, e);
	int chosen = -1;
	if (!rc)
		rc = choose_offered(m, codecs, n, &chosen, &s->pt, e);
	sdp_free(&d);
	if (rc)
		return rc;
	s->codec = s->codec_first = (enum media_codec)chosen;
	/* Our answer gives the codec the offerer's type: we hear it on that. */
	s->rx_pt = s->pt;
	s->srtp = srtp == KEYING_SDES;
	if (s->srtp && !s->key_local[0] && srtp_key_generate(s->key_local))
		return err_set(e, EIO, "cannot make an SRTP key");
	enum media_codec one = s->codec;
	rc = write_sdp(s, &one, &s->pt, 1, s->srtp, sdp, cap);
	return rc ? err_set(e, -rc, "cannot write the answer") : 0;
}

int stream_take_answer(struct stream *s, const char *answer, enum media_keying srtp, err_t *e)
{
	struct sdp d;
	const struct sdp_media *m = NULL;
	int rc = read_remote(s, answer, srtp, &d, &m, e);
	int chosen = -1;
	for (int i = 0; !rc && i < m->n_pts && chosen < 0; i++) {
		chosen = sdp_codec(m, m->pts[i]);
		s->pt = m->pts[i];
	}
	if (!rc && (chosen < 0 || m->port == 0))
		rc = err_set(e, ENOENT, "the answer has %s",
		             chosen < 0 ? "no codec we know" : "its audio refused (port 0)");
	sdp_free(&d);
	if (!rc) {
		s->codec = s->codec_first = (enum media_codec)chosen;
		/* Our offer gave each codec the table's type: we hear it on that,
		 * whatever type the answer (or something on the way) wrote. */
		s->rx_pt = codec_info(s->codec)->pt;
	}
	return rc;
}

int stream_reanswer(struct stream *s, const struct stream_clips *clips, const char *offer,
                    const enum media_codec *codecs, int n, enum media_keying srtp, char *sdp,
                    size_t cap, err_t *e)
{
	struct sdp d;
	const struct sdp_media *m = NULL;
	struct sockaddr_in was = s->remote;
	int was_mux = s->rtcp_mux;
	char was_key[sizeof(s->key_remote)];
	memcpy(was_key, s->key_remote, sizeof(was_key));
	int rc = read_remote(s, offer, srtp, &d, &m, e);
	int chosen = -1, pt = -1;
	if (!rc)
		rc = choose_offered(m, codecs, n, &chosen, &pt, e);
	sdp_free(&d);
	if (!rc && !clips->clip[chosen].n)
		rc = err_set(e, ENOTSUP, "no frames for %s", codec_name((enum media_codec)chosen));
	if (rc) { /* a refused offer changes nothing (RFC 3264 section 8) */
		s->remote = was;
		s->rtcp_mux = was_mux;
		memcpy(s->key_remote, was_key, sizeof(was_key));
		return rc;
	}
	/* A re-offer may carry a new SDES key: what arrives is keyed with it. */
	if (s->srtp && s->running && strcmp(was_key, s->key_remote)) {
		media_srtp_free(&s->rx_srtp);
		rc = media_srtp_init(&s->rx_srtp, s->key_remote, 0, e);
		if (rc)
			return rc;
	}
	if (chosen != (int)s->codec || pt != s->pt) {
		s->codec_changes++;
		s->rx_at_change = s->rx.packets;
	}
	s->rx_pt_prev = s->rx_pt;
	s->codec = (enum media_codec)chosen;
	s->pt = s->rx_pt = pt;
	s->clip = &clips->clip[chosen];
	s->clip_pos = 0;
	s->sdp_version++;
	enum media_codec one = s->codec;
	rc = write_sdp(s, &one, &s->pt, 1, s->srtp, sdp, cap);
	return rc ? err_set(e, -rc, "cannot write the answer") : 0;
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
		int pt = buf[1] & 0x7f;
		if (s->rx_pt >= 0 && pt != s->rx_pt && pt != s->rx_pt_prev) {
			/* Not a type we negotiated: a receiver cannot decode it. */
			s->pt_unexpected++;
			s->pt_seen = pt;
			continue;
		}
		s->peer_ssrc = get32(buf + 8);
		int clock = s->clip ? s->clip->clock : 8000;
		uint32_t arrival =
		        (uint32_t)((unsigned long long)now * (unsigned)clock / 1000000000ULL);
		s->rx.clock = clock;
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
	/* Late packets are concealed like lost ones: the MOS counts both. */
	double concealed = rx_stats_concealed_pct(&s->rx);
	m->rx.mos = s->rx.packets && ci
	                    ? emodel_mos_metrics(ci, concealed, m->rx.jitter_ms, rtt, NULL)
	                    : -1;
	m->rx.late = (int64_t)s->rx.late;
	m->rx.plc_ms_per_s = s->rx.packets ? 10 * concealed : -1; /* % of 1000 ms */
	m->rx.burst_mean =
	        s->rx.loss_gaps ? (double)s->rx.gap_packets / (double)s->rx.loss_gaps : 0;
	m->rx.reordered = (int64_t)s->rx.reordered;
	m->tx.burst_mean = -1;
	m->tx.reordered = -1;
	m->tx.late = -1;
	m->tx.plc_ms_per_s = -1;
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
	m->pt_unexpected = s->pt_unexpected;
	m->pt_expected = s->rx_pt;
	m->pt_seen = s->pt_seen;
	snprintf(m->codec_first, sizeof(m->codec_first), "%s", codec_name(s->codec_first));
	m->codec_changes = s->codec_changes;
	m->rx_since_change =
	        s->codec_changes ? (int64_t)(s->rx.packets - s->rx_at_change) : (int64_t)-1;
}
