/* stream.h — the audio stream of one call, as an endpoint has it: the SDP
 * offer or answer it sends (written and read by sdp.h), RTP from a pre-encoded clip every 20 ms
 * (Opus, PCMU or PCMA), SDES-SRTP when negotiated, RTCP sender and receiver reports multiplexed on
 * the RTP port (RFC 5761), and the metrics of each direction: packets, bytes, loss, RFC 3550
 * jitter, RTT from RTCP, and MOS. */
#ifndef SIPLAB_STREAM_H
#define SIPLAB_STREAM_H

#include <netinet/in.h>
#include <stdint.h>

#include "media.h"
#include "codec.h"

/* One clip per codec, shared by every stream of a process. */
struct stream_clips {
	struct media_clip clip[CODEC_COUNT]; /* by enum media_codec; n == 0 when not made */
};

int stream_clips_make(struct stream_clips *c, err_t *e);
void stream_clips_free(struct stream_clips *c);

/* Metrics of one direction. "peer" values (loss, jitter as the far end
 * measured them) come from its RTCP reports; -1 means not known. */
struct stream_dir {
	uint64_t packets, bytes;
	double loss_pct, jitter_ms, rtt_ms, mos;
	/* Received only (-1 sent): the mean length of a run of missing
	 * sequence numbers (1: isolated losses), and packets that came out of
	 * order. */
	double burst_mean;
	int64_t reordered;
	/* Received only (-1 sent): packets that came too late for the jitter
	 * buffer, and the audio concealed (lost or late) in ms per second of
	 * call — the platform's "PLC duration", which it shows for Opus. The
	 * MOS counts the late ones as lost (emodel.md). */
	int64_t late;
	double plc_ms_per_s;
};

struct stream_metrics {
	char codec[8];
	int srtp;
	struct stream_dir tx, rx;
	uint64_t rtcp_sent, rtcp_received, srtp_errors;
	/* Around a pause in sending (silence suppression): packets received
	 * before it began and since it began, and sent after it ended (-1 when
	 * there was no pause, or it had not ended). */
	int64_t rx_before_pause, rx_since_pause, tx_after_pause;
	/* RTP packets whose payload type is none the receiver negotiated (not
	 * counted as audio above): how many, the type its SDP asked for, and the
	 * last unexpected one seen (-1: none). */
	uint64_t pt_unexpected;
	int pt_expected, pt_seen;
	/* A codec changed mid-call by a later offer/answer (a re-INVITE): the
	 * call's first codec, how many changes, and the audio packets received
	 * since the last one (-1 when none). */
	char codec_first[8];
	int codec_changes;
	int64_t rx_since_change;
};

struct stream {
	int fd, port;
	char addr[64];
	struct sockaddr_in remote;
	int running;
	enum media_codec codec;
	const struct media_clip *clip;
	int pt, clip_pos;
	uint16_t seq;
	uint32_t ts, ssrc, peer_ssrc;
	int srtp, rtcp_mux;
	char key_local[41], key_remote[41];
	struct media_srtp tx_srtp, rx_srtp;
	uint64_t tx_packets, tx_bytes, rtcp_sent, rtcp_received, srtp_errors;
	struct rx_stats rx;
	uint64_t prior_expected, prior_received; /* for RTCP's fraction lost */
	uint32_t last_sr;                        /* middle 32 bits of the peer's last SR */
	long long last_sr_ns;
	double rtt_ms, peer_loss_pct, peer_jitter_ms;
	long long start_ns, next_rtp_ns, next_rtcp_ns, rtcp_interval_ns;
	long long pause_from_ns, pause_until_ns; /* 0: no pause */
	int64_t rx_at_pause, tx_at_resume;
	/* The payload types this end receives audio on: the one its SDP gave
	 * the codec, and the previous one for the moment a re-INVITE changes it
	 * (-1: none; rx_pt -1 accepts any); the rest are counted, not heard. */
	int rx_pt, rx_pt_prev, pt_seen;
	uint64_t pt_unexpected;
	enum media_codec codec_first;
	int codec_changes, sdp_version;
	uint64_t rx_at_change;
};

/* Bind a UDP socket on addr (any port). SSRC, first sequence number and
 * timestamp are fresh random numbers; stream_seed replaces them. */
int stream_open(struct stream *s, const char *addr, err_t *e);
/* After stream_open: SSRC, first sequence number, first timestamp and the
 * SDES key drawn from seed instead, so a run replays with its seed. */
void stream_seed(struct stream *s, uint64_t seed);
void stream_close(struct stream *s);

/* The SDP offer for codecs (in preference order, each at the payload type
 * of the codec table), with an a=crypto line when srtp is SDES. -ENOSPC
 * when it does not fit cap (never cut). */
int stream_offer(struct stream *s, const enum media_codec *codecs, int n, enum media_keying srtp,
                 char *sdp, size_t cap);
/* Answer an offer (a whole SDP body, of any size): the first offered codec
 * we also have, at the offerer's payload type, SRTP if the offer has it and
 * we want it. Errors, each with its sentence in e: -ENODATA, -EBADMSG or
 * -E2BIG when the offer cannot be read (sdp_read), -ENOENT when no codec
 * is common (or no audio), -EAFNOSUPPORT for an IPv6 media address, -EPROTO
 * only when the security does not match (our SDES against plain RTP, the
 * reverse, or no a=crypto of our suite). */
int stream_answer(struct stream *s, const char *offer, const enum media_codec *codecs, int n,
                  enum media_keying srtp, char *sdp, size_t cap, err_t *e);
/* The caller takes the answer: the codec, where to send, the peer's key.
 * Errors as stream_answer's. */
int stream_take_answer(struct stream *s, const char *answer, enum media_keying srtp, err_t *e);

/* Answer a later offer in the same call (a re-INVITE): like stream_answer,
 * and the stream switches at once to the codec chosen (its clip from clips)
 * and to the offer's address; the previous payload type is still heard
 * until the far end switches too. The answer's o= version goes up. */
int stream_reanswer(struct stream *s, const struct stream_clips *clips, const char *offer,
                    const enum media_codec *codecs, int n, enum media_keying srtp, char *sdp,
                    size_t cap, err_t *e);

/* Start sending and measuring; rtcp_interval_ms as the run scales it. A
 * pause (silence suppression): stop sending from pause_at_ms after the start
 * for pause_ms (both 0: none). */
int stream_start(struct stream *s, const struct stream_clips *clips, long rtcp_interval_ms,
                 long pause_at_ms, long pause_ms, long long now_ns, err_t *e);
/* Send what is due at now (RTP every 20 ms, RTCP every interval). */
void stream_tick(struct stream *s, long long now_ns);
/* Read everything waiting on the socket. */
void stream_receive(struct stream *s, long long now_ns);
void stream_metrics(const struct stream *s, struct stream_metrics *m);

#endif
