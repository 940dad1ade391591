/* media.c — codecs, SRTP and receive statistics for endpoints (see media.h). */
#define _GNU_SOURCE
#include "media.h"

#include <errno.h>
#include <math.h>
#include <opus.h>
#include <spandsp.h>
#include <srtp2/srtp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* --- G.711 -------------------------------------------------------------------------- */

uint8_t g711_ulaw(int16_t pcm)
{
	int sign = pcm < 0 ? 0x80 : 0, mag = pcm < 0 ? -pcm : pcm;
	if (mag > 32635)
		mag = 32635;
	mag += 0x84;
	int exp = 7;
	for (int mask = 0x4000; !(mag & mask) && exp > 0; mask >>= 1)
		exp--;
	int mant = (mag >> (exp + 3)) & 0x0f;
	return (uint8_t) ~(sign | exp << 4 | mant);
}

uint8_t g711_alaw(int16_t pcm)
{
	int sign = pcm >= 0 ? 0x80 : 0, mag = pcm < 0 ? -pcm : pcm;
	if (mag > 32767)
		mag = 32767;
	int exp = 7;
	for (int mask = 0x4000; !(mag & mask) && exp > 0; mask >>= 1)
		exp--;
	int mant = exp ? (mag >> (exp + 3)) & 0x0f : (mag >> 4) & 0x0f;
	return (uint8_t)((sign | exp << 4 | mant) ^ 0x55);
}

/* --- clips -------------------------------------------------------------------------- */

static int16_t tone(int i, int rate)
{
	return (int16_t)(8000 * sin(2 * M_PI * 400 * i / (double)rate));
}

static int opus_frames(struct media_clip *c, int frames, err_t *e)
{
	int err;
	OpusEncoder *enc = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &err);
	if (!enc)
		return err_set(e, EIO, "opus encoder: %s", opus_strerror(err));
	int16_t pcm[960];
	for (int f = 0; f < frames; f++) {
		for (int i = 0; i < 960; i++)
			pcm[i] = tone(f * 960 + i, 48000);
		uint8_t buf[400];
		int n = opus_encode(enc, pcm, 960, buf, sizeof(buf));
		if (n < 0 || !(c->frame[f] = malloc((size_t)n))) {
			opus_encoder_destroy(enc);
			return err_set(e, EIO, "opus_encode: %s",
			               n < 0 ? opus_strerror(n) : "no memory");
		}
		memcpy(c->frame[f], buf, (size_t)n);
		c->len[f] = (size_t)n;
	}
	opus_encoder_destroy(enc);
	return 0;
}

/* G.722 at 64 kbit/s with spandsp's encoder: 320 samples at 16 kHz make a
 * 160-byte frame. */
static int g722_frames(struct media_clip *c, int frames, err_t *e)
{
	g722_encode_state_t *enc = g722_encode_init(NULL, 64000, 0);
	if (!enc)
		return err_set(e, ENOMEM, "G.722 encoder");
	int16_t pcm[320];
	for (int f = 0; f < frames; f++) {
		for (int i = 0; i < 320; i++)
			pcm[i] = tone(f * 320 + i, 16000);
		if (!(c->frame[f] = malloc(160))) {
			g722_encode_free(enc);
			return err_set(e, ENOMEM, "out of memory");
		}
		c->len[f] = (size_t)g722_encode(enc, c->frame[f], pcm, 320);
	}
	g722_encode_free(enc);
	return 0;
}

int media_clip_make(struct media_clip *c, enum media_codec codec, int frames, err_t *e)
{
	memset(c, 0, sizeof(*c));
	c->frame = calloc((size_t)frames, sizeof(*c->frame));
	c->len = calloc((size_t)frames, sizeof(*c->len));
	if (!c->frame || !c->len) {
		media_clip_free(c);
		return err_set(e, ENOMEM, "out of memory");
	}
	c->n = frames;
	if (codec == CODEC_OPUS) {
		c->pt = codec_info(codec)->pt;
		c->clock = codec_info(codec)->rate;
		c->ts_per_frame = 960;
		int rc = opus_frames(c, frames, e);
		if (rc)
			media_clip_free(c);
		return rc;
	}
	if (codec == CODEC_G722) {
		c->pt = codec_info(codec)->pt;
		c->clock = codec_info(codec)->rate; /* 8000, though G.722 samples at 16 kHz */
		c->ts_per_frame = 160;
		int rc = g722_frames(c, frames, e);
		if (rc)
			media_clip_free(c);
		return rc;
	}
	c->pt = codec_info(codec)->pt;
	c->clock = codec_info(codec)->rate;
	c->ts_per_frame = 160;
	for (int f = 0; f < frames; f++) {
		if (!(c->frame[f] = malloc(160))) {
			media_clip_free(c);
			return err_set(e, ENOMEM, "out of memory");
		}
		for (int i = 0; i < 160; i++)
			c->frame[f][i] = codec == CODEC_PCMA ? g711_alaw(tone(f * 160 + i, 8000))
			                                     : g711_ulaw(tone(f * 160 + i, 8000));
		c->len[f] = 160;
	}
	return 0;
}

void media_clip_free(struct media_clip *c)
{
	for (int f = 0; c->frame && f < c->n; f++)
		free(c->frame[f]);
	free(c->frame);
	free(c->len);
	memset(c, 0, sizeof(*c));
}

/* --- base64 -------------------------------------------------------------------------- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int base64_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0) |
		             (i + 2 < len ? in[i + 2] : 0);
		if (n + 5 > cap)
			return -1;
		out[n++] = b64[v >> 18 & 63];
		out[n++] = b64[v >> 12 & 63];
		out[n++] = i + 1 < len ? b64[v >> 6 & 63] : '=';
		out[n++] = i + 2 < len ? b64[v & 63] : '=';
	}
	out[n] = '\0';
	return (int)n;
}

int base64_decode(const char *in, uint8_t *out, size_t cap)
{
	size_t n = 0;
	uint32_t v = 0;
	int bits = 0;
	for (; *in && *in != '='; in++) {
		const char *p = strchr(b64, *in);
		if (!p)
			return -1;
		v = v << 6 | (uint32_t)(p - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n >= cap)
				return -1;
			out[n++] = (uint8_t)(v >> bits);
		}
	}
	return (int)n;
}

/* --- SRTP ---------------------------------------------------------------------------- */

int srtp_key_generate(char out[41])
{
	uint8_t key[30];
	if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key))
		return -EIO;
	return base64_encode(key, sizeof(key), out, 41) == 40 ? 0 : -EINVAL;
}

int media_srtp_init(struct media_srtp *s, const char *b64_key, int outbound, err_t *e)
{
	static int initialised;
	uint8_t key[30];
	s->session = NULL;
	if (!initialised && srtp_init() != srtp_err_status_ok)
		return err_set(e, EIO, "libsrtp2 did not initialise");
	initialised = 1;
	if (base64_decode(b64_key, key, sizeof(key)) != 30)
		return err_set(e, EINVAL, "SRTP key: expected 40 base64 characters (30 bytes)");
	srtp_policy_t policy;
	memset(&policy, 0, sizeof(policy));
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
	policy.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
	policy.key = key;
	policy.window_size = 128;
	srtp_t session;
	if (srtp_create(&session, &policy) != srtp_err_status_ok)
		return err_set(e, EIO, "cannot create an SRTP session");
	s->session = session;
	return 0;
}

int media_srtp_protect(struct media_srtp *s, uint8_t *buf, int *len)
{
	return srtp_protect((srtp_t)s->session, buf, len) == srtp_err_status_ok ? 0 : -EIO;
}

int media_srtp_unprotect(struct media_srtp *s, uint8_t *buf, int *len)
{
	return srtp_unprotect((srtp_t)s->session, buf, len) == srtp_err_status_ok ? 0 : -EBADMSG;
}

int media_srtp_protect_rtcp(struct media_srtp *s, uint8_t *buf, int *len)
{
	return srtp_protect_rtcp((srtp_t)s->session, buf, len) == srtp_err_status_ok ? 0 : -EIO;
}

int media_srtp_unprotect_rtcp(struct media_srtp *s, uint8_t *buf, int *len)
{
	return srtp_unprotect_rtcp((srtp_t)s->session, buf, len) == srtp_err_status_ok ? 0
	                                                                               : -EBADMSG;
}

void media_srtp_free(struct media_srtp *s)
{
	if (s->session)
		srtp_dealloc((srtp_t)s->session);
	s->session = NULL;
}

/* --- receive statistics --------------------------------------------------------------- */

/* Against the jitter buffer as it stood when the packet came (the estimate
 * before this packet): late if its transit exceeds the least one by more
 * than the buffer's depth. */
static void rx_stats_playout(struct rx_stats *s, uint32_t arrival, uint32_t ts)
{
	int clock = s->clock > 0 ? s->clock : 8000;
	int64_t transit = (int32_t)(arrival - ts);
	if (s->packets == 1 || transit < s->min_transit)
		s->min_transit = transit;
	double depth = emodel_jbuf_depth_ms(jitter_ms(&s->jitter, clock)) * clock / 1000;
	int late = (double)(transit - s->min_transit) > depth;
	s->late += late;
	s->late_run = late ? s->late_run + 1 : 0;
	if (s->late_run >= JBUF_RESYNC) {
		s->min_transit = transit;
		s->late_run = 0;
	}
}

void rx_stats_update(struct rx_stats *s, const uint8_t *pkt, size_t len, uint32_t arrival)
{
	if (len < 12 || (pkt[0] & 0xc0) != 0x80)
		return;
	uint16_t seq = (uint16_t)(pkt[2] << 8 | pkt[3]);
	uint32_t ts =
	        (uint32_t)pkt[4] << 24 | (uint32_t)pkt[5] << 16 | (uint32_t)pkt[6] << 8 | pkt[7];
	if (!s->started) {
		s->base_seq = s->max_seq = seq;
		s->started = 1;
	} else {
		uint16_t delta = (uint16_t)(seq - (uint16_t)s->max_seq);
		if (delta < 0x8000) { /* forward (with wrap): a new highest */
			if (seq < (uint16_t)s->max_seq)
				s->cycles += 0x10000;
			s->max_seq = seq;
			if (delta > 1) {
				s->loss_gaps++;
				s->gap_packets += delta - 1u;
			}
		} else {
			s->reordered++;
		}
	}
	s->packets++;
	s->bytes += len;
	rx_stats_playout(s, arrival, ts);
	jitter_update(&s->jitter, arrival, ts);
}

uint64_t rx_stats_expected(const struct rx_stats *s)
{
	return s->started ? (uint64_t)s->cycles + s->max_seq - s->base_seq + 1 : 0;
}

double rx_stats_loss_pct(const struct rx_stats *s)
{
	uint64_t exp = rx_stats_expected(s);
	if (!exp || s->packets >= exp)
		return 0;
	return 100.0 * (double)(exp - s->packets) / (double)exp;
}

double rx_stats_concealed_pct(const struct rx_stats *s)
{
	uint64_t exp = rx_stats_expected(s);
	double pct = exp ? rx_stats_loss_pct(s) + 100.0 * (double)s->late / (double)exp : 0;
	return pct > 100 ? 100 : pct;
}
