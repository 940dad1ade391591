/* test_media.c — G.711 and Opus frames, SDES-SRTP with libsrtp2, and receive
 * statistics (loss across a sequence-number wrap, jitter). */
#include "harness.h"

#include <math.h>
#include <opus.h>
#include <spandsp.h>

#include "../media/media.h"

static void test_g711(void **state)
{
	(void)state;
	/* Known code points of the G.711 tables. */
	assert_int_equal(g711_ulaw(0), 0xff);
	assert_int_equal(g711_ulaw(32767), 0x80);
	assert_int_equal(g711_ulaw(-32768), 0x00);
	assert_int_equal(g711_alaw(0), 0xd5);
	assert_int_equal(g711_alaw(32767), 0xaa);
	assert_int_equal(g711_alaw(-32768), 0x2a);
	struct media_clip c;
	err_t e;
	assert_int_equal(media_clip_make(&c, CODEC_PCMA, 10, &e), 0);
	assert_int_equal(c.pt, 8);
	assert_int_equal(c.ts_per_frame, 160);
	assert_int_equal((int)c.len[3], 160);
	media_clip_free(&c);
}

static void test_opus_clip(void **state)
{
	(void)state;
	struct media_clip c;
	err_t e;
	if (media_clip_make(&c, CODEC_OPUS, 50, &e))
		fail_msg("%s", e.msg);
	assert_int_equal(c.pt, 111);
	assert_int_equal(c.clock, 48000);
	/* The frames decode back to a tone of about the right loudness. */
	int err;
	OpusDecoder *dec = opus_decoder_create(48000, 1, &err);
	assert_non_null(dec);
	double sum = 0;
	long samples = 0;
	for (int f = 0; f < c.n; f++) {
		int16_t pcm[960];
		int n = opus_decode(dec, c.frame[f], (opus_int32)c.len[f], pcm, 960, 0);
		assert_int_equal(n, 960);
		for (int i = 0; f >= 10 && i < n; i++, samples++) /* after the start-up */
			sum += (double)pcm[i] * pcm[i];
	}
	opus_decoder_destroy(dec);
	double rms = sqrt(sum / (double)samples);
	if (rms < 3000 || rms > 8000)
		fail_msg("decoded RMS %.0f, expected about 5657", rms);
	media_clip_free(&c);
}

/* G.722 by spandsp: 160-byte frames that decode back to the tone. */
static void test_g722_clip(void **state)
{
	(void)state;
	struct media_clip c;
	err_t e;
	if (media_clip_make(&c, CODEC_G722, 50, &e))
		fail_msg("%s", e.msg);
	assert_int_equal(c.pt, 9);
	assert_int_equal(c.clock, 8000);
	assert_int_equal(c.ts_per_frame, 160);
	g722_decode_state_t *dec = g722_decode_init(NULL, 64000, 0);
	assert_non_null(dec);
	double sum = 0;
	long samples = 0;
	for (int f = 0; f < c.n; f++) {
		int16_t pcm[320];
		assert_int_equal((int)c.len[f], 160);
		int n = g722_decode(dec, pcm, c.frame[f], (int)c.len[f]);
		assert_int_equal(n, 320);
		for (int i = 0; f >= 5 && i < n; i++, samples++)
			sum += (double)pcm[i] * pcm[i];
	}
	g722_decode_free(dec);
	double rms = sqrt(sum / (double)samples);
	if (rms < 3000 || rms > 8000)
		fail_msg("decoded RMS %.0f, expected about 5657", rms);
	media_clip_free(&c);
}

static void test_srtp(void **state)
{
	(void)state;
	char key[41];
	err_t e;
	assert_int_equal(srtp_key_generate(key), 0);
	assert_int_equal((int)strlen(key), 40);
	struct media_srtp out, in;
	assert_int_equal(media_srtp_init(&out, key, 1, &e), 0);
	assert_int_equal(media_srtp_init(&in, key, 0, &e), 0);
	uint8_t pkt[12 + 160 + 16], copy[sizeof(pkt)], clear[12 + 160];
	memset(clear, 0xd5, sizeof(clear));
	clear[0] = 0x80;
	clear[1] = 8;
	clear[3] = 1;
	clear[11] = 7;
	memcpy(pkt, clear, sizeof(clear));
	int len = (int)sizeof(clear);
	assert_int_equal(media_srtp_protect(&out, pkt, &len), 0);
	assert_int_equal(len, (int)sizeof(clear) + 10);     /* the 80-bit tag */
	assert_memory_not_equal(pkt + 12, clear + 12, 160); /* encrypted */
	memcpy(copy, pkt, sizeof(pkt));
	int copy_len = len;
	assert_int_equal(media_srtp_unprotect(&in, pkt, &len), 0);
	assert_int_equal(len, (int)sizeof(clear));
	assert_memory_equal(pkt, clear, sizeof(clear));
	/* The same packet again is a replay; a flipped bit fails the tag. */
	uint8_t again[sizeof(pkt)];
	memcpy(again, copy, sizeof(copy));
	int again_len = copy_len;
	assert_int_not_equal(media_srtp_unprotect(&in, again, &again_len), 0);
	copy[40] ^= 1;
	copy[3] = 2; /* a new sequence number, so only the tag can refuse it */
	assert_int_not_equal(media_srtp_unprotect(&in, copy, &copy_len), 0);
	/* A wrong key is refused before anything is sent. */
	struct media_srtp bad;
	assert_int_not_equal(media_srtp_init(&bad, "tooshort", 1, &e), 0);
	assert_non_null(strstr(e.msg, "40 base64"));
	media_srtp_free(&out);
	media_srtp_free(&in);
}

static void rtp(uint8_t *p, uint16_t seq, uint32_t ts)
{
	memset(p, 0, 12);
	p[0] = 0x80;
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	p[4] = (uint8_t)(ts >> 24);
	p[5] = (uint8_t)(ts >> 16);
	p[6] = (uint8_t)(ts >> 8);
	p[7] = (uint8_t)ts;
}

static void test_rx_stats(void **state)
{
	(void)state;
	struct rx_stats s = {0};
	uint8_t p[172];
	/* 200 packets starting at 65500 (so the sequence wraps), every 20th
	 * missing: 10 of 200 lost = 5 %, arrivals on time: no jitter. */
	for (uint32_t i = 0; i < 200; i++) {
		if (i % 20 == 7)
			continue;
		rtp(p, (uint16_t)(65500 + i), i * 160);
		rx_stats_update(&s, p, sizeof(p), 9000 + i * 160);
	}
	assert_int_equal((int)rx_stats_expected(&s), 200);
	assert_int_equal((int)s.packets, 190);
	if (fabs(rx_stats_loss_pct(&s) - 5.0) > 1e-9)
		fail_msg("loss %.3f %%", rx_stats_loss_pct(&s));
	if (jitter_ms(&s.jitter, 8000) != 0)
		fail_msg("jitter %.3f ms", jitter_ms(&s.jitter, 8000));
	/* Not RTP: ignored. */
	uint8_t junk[20] = {0};
	rx_stats_update(&s, junk, sizeof(junk), 0);
	assert_int_equal((int)s.packets, 190);
}

/* The jitter buffer: steady arrivals and a spread it holds lose nothing;
 * a receiver that reads only every 200 ms (a CPU-starved process) gets
 * most of its audio later than the buffer allows, and the MOS counts those
 * packets as lost. */
static void test_jitter_buffer(void **state)
{
	(void)state;
	uint8_t p[172];
	struct rx_stats steady = {0}, starved = {0}, spread = {0};
	uint32_t lcg = 1;
	for (uint32_t i = 0; i < 1000; i++) {
		rtp(p, (uint16_t)i, i * 160);
		rx_stats_update(&steady, p, sizeof(p), 500 + i * 160);
		/* Read at the end of each 200 ms period: up to 200 ms late. */
		uint32_t sent_ms = i * 20, read_ms = (sent_ms / 200 + 1) * 200;
		rx_stats_update(&starved, p, sizeof(p), read_ms * 8);
		/* 0 to 30 ms of extra delay: well inside 60 ms. */
		lcg = lcg * 1103515245u + 12345u;
		rx_stats_update(&spread, p, sizeof(p), i * 160 + (lcg >> 16) % 240);
	}
	assert_int_equal((int)steady.late, 0);
	assert_int_equal((int)spread.late, 0);
	assert_true(fabs(rx_stats_concealed_pct(&steady)) < 1e-9);
	/* Delays 20 to 200 ms in steps of 20, the least 20: |D| is 20 ms nine
	 * times and 180 once, J about 36 ms, a 108 ms buffer; the delays of 140
	 * ms and more, four in ten, are late. */
	if (starved.late < 350 || starved.late > 450)
		fail_msg("late %llu of 1000", (unsigned long long)starved.late);
	double concealed = rx_stats_concealed_pct(&starved);
	const struct codec_impairment *g711 = emodel_codec("PCMU");
	double mos = emodel_mos_metrics(g711, concealed, jitter_ms(&starved.jitter, 8000), 0, NULL);
	if (mos > 3.5)
		fail_msg("a starved receiver's MOS %.2f (concealed %.1f %%)", mos, concealed);
	assert_true(emodel_jbuf_depth_ms(0) == 60 && emodel_jbuf_depth_ms(30) == 90);
	/* The path changes mid-call (200 ms more, for good): the buffer misses
	 * JBUF_RESYNC packets, then re-syncs and misses none. */
	struct rx_stats moved = {0};
	for (uint32_t i = 0; i < 1000; i++) {
		rtp(p, (uint16_t)i, i * 160);
		rx_stats_update(&moved, p, sizeof(p), 500 + i * 160 + (i >= 500 ? 1600 : 0));
	}
	assert_int_equal((int)moved.late, JBUF_RESYNC);
}

static void test_base64(void **state)
{
	(void)state;
	char out[64];
	uint8_t back[64];
	assert_int_equal(base64_encode((const uint8_t *)"foobar", 6, out, sizeof(out)), 8);
	assert_string_equal(out, "Zm9vYmFy");
	assert_int_equal(base64_encode((const uint8_t *)"fo", 2, out, sizeof(out)), 4);
	assert_string_equal(out, "Zm8=");
	assert_int_equal(base64_decode("Zm8=", back, sizeof(back)), 2);
	assert_memory_equal(back, "fo", 2);
	assert_int_equal(base64_decode("Zm$=", back, sizeof(back)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_g711),      cmocka_unit_test(test_opus_clip),
	        cmocka_unit_test(test_g722_clip), cmocka_unit_test(test_srtp),
	        cmocka_unit_test(test_rx_stats),  cmocka_unit_test(test_jitter_buffer),
	        cmocka_unit_test(test_base64),
	};
	return cmocka_run_group_tests_name("media", tests, NULL, NULL);
}
