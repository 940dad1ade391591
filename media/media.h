/* media.h — what endpoints send and measure: G.711 and Opus frames (a clip
 * encoded once and replayed, so a call costs little CPU), SDES-SRTP with
 * libsrtp2 (AES_CM_128_HMAC_SHA1_80), and per-direction receive statistics
 * (packets, bytes, loss from sequence numbers, RFC 3550 jitter). */
#ifndef SIPLAB_MEDIA_H
#define SIPLAB_MEDIA_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/sys.h"
#include "emodel.h"
#include "codec.h"

/* G.711 from 16-bit linear PCM. */
uint8_t g711_ulaw(int16_t pcm);
uint8_t g711_alaw(int16_t pcm);

/* A clip of 20 ms frames of a tone, encoded with one codec. */
struct media_clip {
	uint8_t **frame;
	size_t *len;
	int n;
	int pt;    /* RTP payload type, from the codec table */
	int clock; /* RTP clock rate */
	int ts_per_frame;
};

int media_clip_make(struct media_clip *c, enum media_codec codec, int frames, err_t *e);
void media_clip_free(struct media_clip *c);

/* SDES: a 30-byte master key and salt as the base64 text of a=crypto's
 * inline: parameter (40 characters). */
int srtp_key_generate(char b64[41]);

struct media_srtp {
	void *session; /* srtp_t */
};

/* One direction of SRTP: outbound protects, inbound unprotects. */
int media_srtp_init(struct media_srtp *s, const char *b64_key, int outbound, err_t *e);
/* In place; buf needs room for the 10-byte auth tag after *len bytes. */
int media_srtp_protect(struct media_srtp *s, uint8_t *buf, int *len);
int media_srtp_unprotect(struct media_srtp *s, uint8_t *buf, int *len);
/* SRTCP: in place; buf needs room for 14 more bytes (index and tag). */
int media_srtp_protect_rtcp(struct media_srtp *s, uint8_t *buf, int *len);
int media_srtp_unprotect_rtcp(struct media_srtp *s, uint8_t *buf, int *len);
void media_srtp_free(struct media_srtp *s);

/* Receive statistics of one direction. */
struct rx_stats {
	uint64_t packets, bytes;
	uint32_t base_seq, max_seq, cycles; /* RFC 3550 A.1 extended sequence numbers */
	int started;
	/* Holes in the sequence (a run of missing numbers each) and the numbers
	 * they held, for the mean burst of loss; packets older than the highest
	 * seen (reordered on the path). */
	uint64_t loss_gaps, gap_packets, reordered;
	struct jitter jitter;
	/* The jitter buffer (emodel_jbuf_depth_ms): packets that arrived more
	 * than its depth after the quickest one (the least transit seen) came
	 * too late to play; they are concealed like lost ones. clock: the RTP
	 * clock rate (0: 8000). */
	uint64_t late;
	int64_t min_transit;
	int clock;
	int late_run; /* late packets in a row: the buffer re-syncs after JBUF_RESYNC */
};

/* A receiver's buffer that finds half a second of packets in a row late
 * takes the path as having changed (a relay or NAT inserted mid-call) and
 * re-syncs to it, as adaptive buffers do; stalls that come and go (a
 * throttled process) never make such a run. */
#define JBUF_RESYNC 25

/* Account one RTP packet received at `arrival` (in RTP clock units). */
void rx_stats_update(struct rx_stats *s, const uint8_t *pkt, size_t len, uint32_t arrival);
/* Packets expected from the sequence numbers, and lost (never negative). */
uint64_t rx_stats_expected(const struct rx_stats *s);
double rx_stats_loss_pct(const struct rx_stats *s);
/* Lost and late together: the share of the audio the receiver concealed. */
double rx_stats_concealed_pct(const struct rx_stats *s);

/* Base64 (RFC 4648) for SDES keys; return the output length or -1. */
int base64_encode(const uint8_t *in, size_t len, char *out, size_t cap);
int base64_decode(const char *in, uint8_t *out, size_t cap);

#endif
