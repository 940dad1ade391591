/* test_stream.c — one call's audio between two streams on loopback: SDP offer
 * and answer (codec order, SDES, refusals), RTP with SRTP both ways, RTCP
 * reports and what they tell (loss, RTT, MOS), a pause in sending, and SRTP
 * refusing packets under the wrong key. Time is driven by the test (packets
 * are sent for the instant given), so every count is exact. */
#define _GNU_SOURCE
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>

#include "../media/stream.h"

#define MS 1000000LL

static struct stream_clips clips;

static int setup(void **state)
{
	err_t e;
	(void)state;
	return stream_clips_make(&clips, &e);
}

static int teardown(void **state)
{
	(void)state;
	stream_clips_free(&clips);
	return 0;
}

static void open_pair(struct stream *a, struct stream *b)
{
	err_t e;
	assert_int_equal(stream_open(a, "127.0.0.1", &e), 0);
	assert_int_equal(stream_open(b, "127.0.0.1", &e), 0);
}

/* A offers, B answers, A takes the answer. */
static void negotiate(struct stream *a, struct stream *b, enum media_keying srtp)
{
	static const enum media_codec offer[] = {CODEC_OPUS, CODEC_PCMU};
	static const enum media_codec have[] = {CODEC_PCMU, CODEC_OPUS};
	char o[1024], ans[1024];
	err_t e;
	assert_int_equal(stream_offer(a, offer, 2, srtp, o, sizeof(o)), 0);
	assert_int_equal(stream_answer(b, o, have, 2, srtp, ans, sizeof(ans), &e), 0);
	assert_int_equal(stream_take_answer(a, ans, srtp, &e), 0);
}

/* Both streams send for `ms` from t0, 1 ms steps, reading as they go. */
static void run_for(struct stream *a, struct stream *b, long long t0, int ms)
{
	for (long long t = t0; t <= t0 + ms * MS; t += MS) {
		stream_tick(a, t);
		stream_tick(b, t);
		stream_receive(a, t);
		stream_receive(b, t);
	}
}

static void start_both(struct stream *a, struct stream *b, long pause_at, long pause)
{
	err_t e;
	assert_int_equal(stream_start(a, &clips, 200, pause_at, pause, 0, &e), 0);
	assert_int_equal(stream_start(b, &clips, 200, 0, 0, 0, &e), 0);
}

static void test_offer_answer(void **state)
{
	(void)state;
	struct stream a, b;
	open_pair(&a, &b);
	static const enum media_codec offer[] = {CODEC_OPUS, CODEC_PCMU};
	static const enum media_codec have[] = {CODEC_PCMU, CODEC_OPUS};
	char o[1024], ans[1024];
	err_t e;
	assert_int_equal(stream_offer(&a, offer, 2, KEYING_SDES, o, sizeof(o)), 0);
	assert_non_null(strstr(o, "RTP/SAVP 111 0\r\n"));
	assert_non_null(strstr(o, "a=rtpmap:111 opus/48000/2"));
	assert_non_null(strstr(o, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"));
	assert_non_null(strstr(o, "a=rtcp-mux"));
	/* The answerer keeps the offerer's preference and answers one codec. */
	assert_int_equal(stream_answer(&b, o, have, 2, KEYING_SDES, ans, sizeof(ans), &e), 0);
	char expect[64];
	snprintf(expect, sizeof(expect), "\r\nm=audio %d RTP/SAVP 111\r\n", b.port);
	assert_non_null(strstr(ans, expect));
	assert_int_equal(stream_take_answer(&a, ans, KEYING_SDES, &e), 0);
	assert_int_equal(a.codec, CODEC_OPUS);
	assert_int_equal(ntohs(a.remote.sin_port), b.port);
	assert_string_equal(a.key_remote, b.key_local);
	assert_string_equal(b.key_remote, a.key_local);
	assert_int_equal(a.rtcp_mux, 1);
	stream_close(&a);
	stream_close(&b);
}

static void test_refusals(void **state)
{
	(void)state;
	struct stream a, b;
	open_pair(&a, &b);
	static const enum media_codec pcma[] = {CODEC_PCMA}, pcmu[] = {CODEC_PCMU};
	char o[1024], ans[1024];
	err_t e;
	/* No codec in common. */
	assert_int_equal(stream_offer(&a, pcma, 1, KEYING_NONE, o, sizeof(o)), 0);
	assert_int_equal(stream_answer(&b, o, pcmu, 1, KEYING_NONE, ans, sizeof(ans), &e), -ENOENT);
	/* Plain RTP offered to an endpoint that requires SDES, and the reverse. */
	assert_int_equal(stream_answer(&b, o, pcma, 1, KEYING_SDES, ans, sizeof(ans), &e), -EPROTO);
	assert_int_equal(stream_offer(&a, pcma, 1, KEYING_SDES, o, sizeof(o)), 0);
	assert_int_equal(stream_answer(&b, o, pcma, 1, KEYING_NONE, ans, sizeof(ans), &e), -EPROTO);
	/* An answer without a port or a known codec. */
	assert_int_equal(stream_take_answer(&a,
	                                    "v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 0 RTP/SAVP 0\r\n"
	                                    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"
	                                    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n",
	                                    KEYING_SDES, &e),
	                 -ENOENT);
	/* An answer that is not SDP is said so: not taken for an SRTP mismatch. */
	assert_int_equal(stream_take_answer(&a, "garbage", KEYING_NONE, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "not SDP"));
	stream_close(&a);
	stream_close(&b);
}

/* One second of SRTP Opus each way: 50 packets, no loss, RTCP both ways. */
static void test_media_both_ways(void **state)
{
	(void)state;
	struct stream a, b;
	open_pair(&a, &b);
	negotiate(&a, &b, KEYING_SDES);
	start_both(&a, &b, 0, 0);
	run_for(&a, &b, 0, 999);
	struct stream_metrics ma, mb;
	stream_metrics(&a, &ma);
	stream_metrics(&b, &mb);
	assert_string_equal(ma.codec, "opus");
	assert_true(ma.srtp);
	assert_int_equal(ma.tx.packets, 50);
	assert_int_equal(mb.rx.packets, 50);
	assert_int_equal(ma.rx.packets, 50);
	assert_int_equal(ma.srtp_errors + mb.srtp_errors, 0);
	assert_true(ma.rx.loss_pct == 0 && ma.rx.jitter_ms == 0);
	/* Reports every 200 ms from 100 ms: 5 each way, each with a block. */
	assert_int_equal(ma.rtcp_sent, 5);
	assert_int_equal(mb.rtcp_received, 5);
	assert_true(ma.rx.rtt_ms >= 0 && ma.rx.rtt_ms < 1);
	assert_true(ma.tx.loss_pct == 0);
	/* Opus at no loss and no delay: R = 93.2 - Idd(Ta = 40 ms) -> MOS 4.41. */
	assert_true(ma.rx.mos > 4.40 && ma.rx.mos < 4.42);
	assert_true(ma.tx.mos > 4.40 && ma.tx.mos < 4.42);
	stream_close(&a);
	stream_close(&b);
}

/* A stops sending (silence suppression) from 300 ms for 400 ms: B hears 15
 * packets before and 15 after; 20 frames were never sent. A, meanwhile,
 * hears B all along. */
static void test_pause(void **state)
{
	(void)state;
	struct stream a, b;
	open_pair(&a, &b);
	negotiate(&a, &b, KEYING_NONE);
	start_both(&a, &b, 300, 400);
	run_for(&a, &b, 0, 999);
	struct stream_metrics ma, mb;
	stream_metrics(&a, &ma);
	stream_metrics(&b, &mb);
	assert_int_equal(ma.tx.packets, 30);
	assert_int_equal(mb.rx.packets, 30);
	assert_int_equal(mb.rx_before_pause, -1); /* B did not pause */
	/* The RTP timestamps jumped; sequence numbers did not: no loss seen. */
	assert_true(mb.rx.loss_pct == 0);
	assert_int_equal(ma.rx_before_pause, 15);
	assert_int_equal(ma.rx_since_pause, 35); /* B went on sending */
	assert_int_equal(ma.tx_after_pause, 15);
	stream_close(&a);
	stream_close(&b);
}

/* G.722 (payload type 9) and plain RTP: 50 packets each way. */
static void test_g722_call(void **state)
{
	(void)state;
	struct stream a, b;
	open_pair(&a, &b);
	static const enum media_codec g722[] = {CODEC_G722};
	char o[1024], ans[1024];
	err_t e;
	assert_int_equal(stream_offer(&a, g722, 1, KEYING_NONE, o, sizeof(o)), 0);
	assert_non_null(strstr(o, "RTP/AVP 9\r\n"));
	assert_int_equal(stream_answer(&b, o, g722, 1, KEYING_NONE, ans, sizeof(ans), &e), 0);
	assert_int_equal(stream_take_answer(&a, ans, KEYING_NONE, &e), 0);
	assert_int_equal(stream_start(&a, &clips, 200, 0, 0, 0, &e), 0);
	assert_int_equal(stream_start(&b, &clips, 200, 0, 0, 0, &e), 0);
	run_for(&a, &b, 0, 999);
	struct stream_metrics mb;
	stream_metrics(&b, &mb);
	assert_string_equal(mb.codec, "G722");
	assert_int_equal(mb.rx.packets, 50);
	assert_int_equal(mb.rx.bytes, 50 * (12 + 160));
	assert_true(mb.rx.mos >= 4.0);
	stream_close(&a);
	stream_close(&b);
}

/* Under the wrong key nothing is accepted: every packet fails its tag. */
static void test_srtp_wrong_key(void **state)
{
	(void)state;
	struct stream a, b;
	open_pair(&a, &b);
	negotiate(&a, &b, KEYING_SDES);
	b.key_remote[5] = b.key_remote[5] == 'A' ? 'B' : 'A';
	start_both(&a, &b, 0, 0);
	run_for(&a, &b, 0, 199);
	struct stream_metrics mb;
	stream_metrics(&b, &mb);
	assert_int_equal(mb.rx.packets, 0);
	assert_true(mb.srtp_errors >= 10);
	assert_true(mb.rx.mos < 0); /* no MOS without audio */
	stream_close(&a);
	stream_close(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_offer_answer),    cmocka_unit_test(test_refusals),
	        cmocka_unit_test(test_media_both_ways), cmocka_unit_test(test_pause),
	        cmocka_unit_test(test_srtp_wrong_key),  cmocka_unit_test(test_g722_call),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
