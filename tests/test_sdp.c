/* test_sdp.c — the one SDP reader and writer (media/sdp.c) and the codec
 * table: what a body says (IPv4 and IPv6 c=, RTP/AVP against RTP/SAVP,
 * rtpmap, crypto, rtcp-mux, direction), each refusal with its own error, a
 * body far over 2 kB read whole, and what the writer writes back. */
#define _GNU_SOURCE
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>

#include "../media/sdp.h"
#include "../media/stream.h"

#define KEY40 "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"

static const char offer[] = "v=0\r\n"
                            "o=alice 2890844526 2890844526 IN IP4 10.0.0.1\r\n"
                            "s=call\r\n"
                            "c=IN IP4 10.0.0.1\r\n"
                            "t=0 0\r\n"
                            "a=sendonly\r\n"
                            "m=audio 49170 RTP/SAVP 96 0 101\r\n"
                            "a=rtpmap:96 opus/48000/2\r\n"
                            "a=fmtp:96 useinbandfec=1\r\n"
                            "a=rtpmap:101 telephone-event/8000\r\n"
                            "a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:" KEY40 "|2^20|1:4\r\n"
                            "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:" KEY40 "\r\n"
                            "a=rtcp-mux\r\n"
                            "a=recvonly\r\n";

static void test_parse_offer(void **state)
{
	(void)state;
	struct sdp s;
	err_t e;
	assert_int_equal(sdp_read(offer, strlen(offer), &s, &e), 0);
	assert_int_equal(s.conn.family, AF_INET);
	assert_string_equal(s.conn.addr, "10.0.0.1");
	assert_int_equal(s.dir, SDP_SENDONLY);
	assert_int_equal(s.n_media, 1);
	const struct sdp_media *m = sdp_find_media(&s, "audio");
	assert_non_null(m);
	assert_null(sdp_find_media(&s, "video"));
	assert_int_equal(m->port, 49170);
	assert_string_equal(m->proto, "RTP/SAVP");
	assert_true(m->rtp);
	assert_true(m->secure);
	assert_int_equal(m->n_pts, 3);
	assert_int_equal(m->pts[0], 96);
	assert_int_equal(m->pts[2], 101);
	/* No media-level c=: the session's applies. */
	assert_int_equal(m->conn.family, 0);
	assert_string_equal(sdp_media_conn(&s, m)->addr, "10.0.0.1");
	/* rtpmap: name, rate, channels (1 when not written). */
	const struct sdp_rtpmap *opus = sdp_rtpmap(m, 96), *te = sdp_rtpmap(m, 101);
	assert_string_equal(opus->name, "opus");
	assert_int_equal(opus->rate, 48000);
	assert_int_equal(opus->channels, 2);
	assert_string_equal(te->name, "telephone-event");
	assert_int_equal(te->channels, 1);
	assert_null(sdp_rtpmap(m, 0));
	/* Codecs of the table: opus at a dynamic type, PCMU static; the
	 * telephone events are no codec of ours. */
	assert_int_equal(sdp_codec(m, 96), CODEC_OPUS);
	assert_int_equal(sdp_codec(m, 0), CODEC_PCMU);
	assert_int_equal(sdp_codec(m, 101), -1);
	char buf[8];
	assert_string_equal(sdp_pt_name(m, 0, buf, sizeof(buf)), "PCMU");
	assert_string_equal(sdp_pt_name(m, 101, buf, sizeof(buf)), "telephone-event");
	assert_string_equal(sdp_pt_name(m, 77, buf, sizeof(buf)), "77");
	/* crypto: tag, suite, the key without its lifetime and MKI. */
	assert_int_equal(m->n_crypto, 2);
	assert_int_equal(m->crypto[0].tag, 1);
	assert_string_equal(m->crypto[0].key, KEY40);
	const struct sdp_crypto *k = sdp_crypto_find(m, "AES_CM_128_HMAC_SHA1_80");
	assert_non_null(k);
	assert_int_equal(k->tag, 2);
	assert_true(m->rtcp_mux);
	assert_int_equal(m->dir, SDP_RECVONLY);
	sdp_free(&s);
}

/* IPv6 at session and media level; the media's own c= wins. */
static void test_ipv6(void **state)
{
	(void)state;
	static const char body[] = "v=0\r\no=- 1 1 IN IP6 2001:db8::1\r\ns=-\r\n"
	                           "c=IN IP6 2001:db8::1\r\nt=0 0\r\n"
	                           "m=audio 5004 RTP/AVP 8\r\n"
	                           "m=audio 5006 RTP/AVP 0\r\nc=IN IP6 fe80::2\r\n"
	                           "m=video 5008 RTP/AVP 31\r\nc=IN IP4 192.0.2.7/127\r\n";
	struct sdp s;
	err_t e;
	assert_int_equal(sdp_read(body, strlen(body), &s, &e), 0);
	assert_int_equal(s.n_media, 3);
	assert_int_equal(s.conn.family, AF_INET6);
	assert_string_equal(s.conn.addr, "2001:db8::1");
	assert_string_equal(sdp_media_conn(&s, &s.media[0])->addr, "2001:db8::1");
	assert_int_equal(s.media[1].conn.family, AF_INET6);
	assert_string_equal(sdp_media_conn(&s, &s.media[1])->addr, "fe80::2");
	/* A multicast TTL after the address is not part of it. */
	assert_int_equal(s.media[2].conn.family, AF_INET);
	assert_string_equal(s.media[2].conn.addr, "192.0.2.7");
	sdp_free(&s);
	/* An endpoint whose media is IPv4 says it cannot reach an IPv6 address,
	 * rather than anything about codecs or SRTP. */
	struct stream st;
	static const enum media_codec pcma[] = {CODEC_PCMA};
	char ans[1024];
	assert_int_equal(stream_open(&st, "127.0.0.1", &e), 0);
	assert_int_equal(stream_answer(&st, body, pcma, 1, KEYING_NONE, ans, sizeof(ans), &e),
	                 -EAFNOSUPPORT);
	assert_non_null(strstr(e.msg, "IPv6"));
	stream_close(&st);
}

static void test_profiles(void **state)
{
	(void)state;
	static const char *const protos[] = {"RTP/AVP", "RTP/SAVP", "RTP/AVPF", "RTP/SAVPF",
	                                     "UDP/TLS/RTP/SAVPF"};
	static const int secure[] = {0, 1, 0, 1, 1};
	for (size_t i = 0; i < sizeof(protos) / sizeof(*protos); i++) {
		char body[256];
		snprintf(body, sizeof(body), "v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 4000 %s 0\r\n",
		         protos[i]);
		struct sdp s;
		err_t e;
		assert_int_equal(sdp_read(body, strlen(body), &s, &e), 0);
		assert_int_equal(s.media[0].secure, secure[i]);
		assert_true(s.media[0].rtp);
		sdp_free(&s);
	}
	/* Not RTP: the formats are words, kept as written. */
	static const char dc[] = "v=0\r\nc=IN IP4 1.2.3.4\r\n"
	                         "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n";
	struct sdp s;
	err_t e;
	assert_int_equal(sdp_read(dc, strlen(dc), &s, &e), 0);
	assert_false(s.media[0].rtp);
	assert_int_equal(s.media[0].n_pts, 0);
	assert_int_equal((int)s.media[0].fmt_text.n, (int)strlen("webrtc-datachannel"));
	sdp_free(&s);
	/* An m= line left with no format (an SBC stripped them all) reads as
	 * audio with no codec, not as a broken body. */
	static const char none[] = "v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP\r\n";
	assert_int_equal(sdp_read(none, strlen(none), &s, &e), 0);
	assert_int_equal(s.media[0].n_pts, 0);
	sdp_free(&s);
}

/* Each way a body is refused has its own error, code and sentence. */
static void test_errors(void **state)
{
	(void)state;
	static const struct {
		const char *body;
		enum sdp_err err;
		int code;
		const char *says;
	} cases[] = {
	        {"", SDP_ERR_NO_BODY, -ENODATA, "no SDP body"},
	        {"\r\n  \r\n", SDP_ERR_NO_BODY, -ENODATA, "no SDP body"},
	        {"garbage", SDP_ERR_NOT_SDP, -EBADMSG, "not SDP"},
	        {"v=1\r\n", SDP_ERR_NOT_SDP, -EBADMSG, "starts with v=0"},
	        {"v=0\r\nSIP/2.0 200 OK\r\nx=y\r\n", SDP_ERR_NOT_SDP, -EBADMSG,
	         "line 2 \"SIP/2.0 200 OK\": not"},
	        {"v=0\r\nc=IN IP4 registrar.lab\r\n", SDP_ERR_BAD_C, -EBADMSG, "not a numeric"},
	        {"v=0\r\nc=IN IP4 ::1\r\n", SDP_ERR_BAD_C, -EBADMSG, "IPv4"},
	        {"v=0\r\nc=IN IP6 10.0.0.1\r\n", SDP_ERR_BAD_C, -EBADMSG, "IPv6"},
	        {"v=0\r\nc=IN IPX 1.2.3.4\r\n", SDP_ERR_BAD_C, -EBADMSG, "bad c= line"},
	        {"v=0\r\nc=IN\r\n", SDP_ERR_BAD_C, -EBADMSG, "bad c= line"},
	        {"v=0\r\nm=audio\r\n", SDP_ERR_BAD_M, -EBADMSG, "bad m= line"},
	        {"v=0\r\nm=audio 70000 RTP/AVP 0\r\n", SDP_ERR_BAD_M, -EBADMSG, "bad m= line"},
	        {"v=0\r\nm=audio 4000 RTP/AVP 0 128\r\n", SDP_ERR_BAD_M, -EBADMSG, "0-127"},
	        {"v=0\r\nm=audio 4000 RTP/AVP 0 x\r\n", SDP_ERR_BAD_M, -EBADMSG, "\"x\""},
	        {"v=0\r\nm=audio 4000 RTP/AVP 8 8\r\n", SDP_ERR_BAD_M, -EBADMSG, "twice"},
	        {"v=0\r\na=rtpmap:0 PCMU/8000\r\n", SDP_ERR_BAD_RTPMAP, -EBADMSG, "before any m="},
	        {"v=0\r\nm=audio 1 RTP/AVP 96\r\na=rtpmap:96 opus\r\n", SDP_ERR_BAD_RTPMAP,
	         -EBADMSG, "bad a=rtpmap line"},
	        {"v=0\r\nm=audio 1 RTP/AVP 96\r\na=rtpmap:96 opus/x\r\n", SDP_ERR_BAD_RTPMAP,
	         -EBADMSG, "NAME/RATE"},
	        {"v=0\r\nm=audio 1 RTP/AVP 96\r\na=rtpmap:300 opus/48000\r\n", SDP_ERR_BAD_RTPMAP,
	         -EBADMSG, "bad a=rtpmap line"},
	        {"v=0\r\nm=audio 1 RTP/AVP 96\r\na=rtpmap:96 a/8000\r\na=rtpmap:96 b/8000\r\n",
	         SDP_ERR_BAD_RTPMAP, -EBADMSG, "second rtpmap"},
	        {"v=0\r\nm=audio 1 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80\r\n",
	         SDP_ERR_BAD_CRYPTO, -EBADMSG, "bad a=crypto line"},
	        {"v=0\r\nm=audio 1 RTP/SAVP 0\r\na=crypto:one AES_CM_128_HMAC_SHA1_80 "
	         "inline:" KEY40 "\r\n",
	         SDP_ERR_BAD_CRYPTO, -EBADMSG, "TAG SUITE"},
	        {"v=0\r\nm=audio 1 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:\r\n",
	         SDP_ERR_BAD_CRYPTO, -EBADMSG, "empty key"},
	        {"v=0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY40 "\r\n",
	         SDP_ERR_BAD_CRYPTO, -EBADMSG, "before any m="},
	        {"v=0\r\nm=audio 1 RTP/AVP 96\r\n"
	         "a=rtpmap:96 an-encoding-name-longer-than-the-limit/8000\r\n",
	         SDP_ERR_LIMIT, -E2BIG, "SDP_MAX_NAME"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct sdp s;
		err_t e = {""};
		int rc = sdp_read(cases[i].body, strlen(cases[i].body), &s, &e);
		if (rc != cases[i].code || s.err != cases[i].err || !strstr(e.msg, cases[i].says))
			fail_msg("case %zu (%s): rc %d, err %s, \"%s\"", i, cases[i].body, rc,
			         sdp_err_name(s.err), e.msg);
		assert_int_equal(s.n_media, 0); /* freed on the way out */
		sdp_free(&s);
	}
	/* NULL is no body too. */
	struct sdp s;
	err_t e;
	assert_int_equal(sdp_read(NULL, 0, &s, &e), -ENODATA);
	assert_int_equal(s.err, SDP_ERR_NO_BODY);
}

/* More a=crypto lines than SDP_MAX_CRYPTO: refused, naming the limit. */
static void test_crypto_limit(void **state)
{
	(void)state;
	char body[8192];
	size_t n = (size_t)snprintf(body, sizeof(body), "v=0\r\nm=audio 1 RTP/SAVP 0\r\n");
	for (int i = 1; i <= SDP_MAX_CRYPTO + 1; i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n,
		                      "a=crypto:%d AES_CM_128_HMAC_SHA1_80 inline:" KEY40 "\r\n",
		                      i);
	struct sdp s;
	err_t e;
	assert_int_equal(sdp_read(body, n, &s, &e), -E2BIG);
	assert_int_equal(s.err, SDP_ERR_LIMIT);
	assert_non_null(strstr(e.msg, "SDP_MAX_CRYPTO"));
}

/* An offer over 2 kB: many codecs with their rtpmap and fmtp lines, a long
 * attribute list, and the a=crypto lines at the very end. Read whole, it is
 * answered with SRTP; cut at 2 kB (as before), its key would be lost and the
 * call refused as an SRTP mismatch. */
static size_t big_offer(char *body, size_t cap, int port)
{
	size_t n = (size_t)snprintf(body, cap,
	                            "v=0\r\no=big 1 1 IN IP4 127.0.0.1\r\ns=big\r\n"
	                            "c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %d RTP/SAVP",
	                            port);
	for (int pt = 96; pt < 126; pt++)
		n += (size_t)snprintf(body + n, cap - n, " %d", pt);
	n += (size_t)snprintf(body + n, cap - n, " 0\r\n");
	for (int pt = 96; pt < 125; pt++)
		n += (size_t)snprintf(body + n, cap - n,
		                      "a=rtpmap:%d X-CODEC-%d/16000\r\na=fmtp:%d mode=%d;"
		                      "some-long-parameter=some-long-value\r\n",
		                      pt, pt, pt, pt);
	n += (size_t)snprintf(body + n, cap - n, "a=rtpmap:125 telephone-event/8000\r\n");
	for (int i = 0; i < 20; i++)
		n += (size_t)snprintf(body + n, cap - n, "a=x-vendor-attribute-%d:value\r\n", i);
	n += (size_t)snprintf(body + n, cap - n,
	                      "a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:" KEY40 KEY40 "\r\n"
	                      "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:" KEY40 "\r\n"
	                      "a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:" KEY40 "\r\n"
	                      "a=rtcp-mux\r\na=sendrecv\r\n");
	return n;
}

static void test_big_sdp(void **state)
{
	(void)state;
	char body[16384];
	size_t n = big_offer(body, sizeof(body), 4000);
	/* Our suite's key sits well past the first 2 kB. */
	assert_true(strstr(body, "a=crypto:3") - body > 2048 + 512);
	struct sdp s;
	err_t e;
	assert_int_equal(sdp_read(body, n, &s, &e), 0);
	const struct sdp_media *m = &s.media[0];
	assert_int_equal(m->n_pts, 31);
	assert_int_equal(m->n_maps, 30);
	assert_int_equal(m->n_crypto, 3);
	assert_string_equal(sdp_crypto_find(m, "AES_CM_128_HMAC_SHA1_80")->key, KEY40);
	assert_true(m->rtcp_mux);
	assert_int_equal(m->dir, SDP_SENDRECV);
	sdp_free(&s);
	/* The answerer finds PCMU (the last one) and the key at the end. */
	struct stream st;
	static const enum media_codec pcmu[] = {CODEC_PCMU};
	char ans[1024];
	assert_int_equal(stream_open(&st, "127.0.0.1", &e), 0);
	int rc = stream_answer(&st, body, pcmu, 1, KEYING_SDES, ans, sizeof(ans), &e);
	if (rc)
		fail_msg("a %zu-byte offer was refused: %s", n, e.msg);
	assert_string_equal(st.key_remote, KEY40);
	assert_int_equal(st.codec, CODEC_PCMU);
	assert_non_null(strstr(ans, "RTP/SAVP 0\r\n"));
	stream_close(&st);
}

/* The writer: a new SDP in the order RFC 4566 wants, and a parsed one
 * written back with a payload type dropped (its rtpmap and fmtp with it). */
static void test_write(void **state)
{
	(void)state;
	struct sdp s;
	err_t e;
	assert_int_equal(sdp_init(&s, "me 1 1 IN IP4 10.1.1.1", "x", "10.1.1.1", &e), 0);
	struct sdp_media *m = sdp_add_media(&s, "audio", 7000, "RTP/SAVP");
	assert_non_null(m);
	assert_int_equal(sdp_add_codec(m, CODEC_OPUS, 96), 0);
	assert_int_equal(sdp_add_codec(m, CODEC_PCMA, 8), 0);
	assert_int_equal(sdp_add_codec(m, CODEC_PCMA, 8), -EINVAL);
	assert_int_equal(sdp_add_crypto(m, 1, "AES_CM_128_HMAC_SHA1_80", KEY40), 0);
	assert_int_equal(sdp_add_line(&s, 0, "a=ptime:20"), 0);
	m->rtcp_mux = 1;
	m->dir = SDP_SENDRECV;
	char *text = sdp_format(&s);
	assert_string_equal(text, "v=0\r\no=me 1 1 IN IP4 10.1.1.1\r\ns=x\r\nc=IN IP4 10.1.1.1\r\n"
	                          "t=0 0\r\nm=audio 7000 RTP/SAVP 96 8\r\n"
	                          "a=rtpmap:96 opus/48000/2\r\na=rtpmap:8 PCMA/8000\r\n"
	                          "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY40 "\r\n"
	                          "a=ptime:20\r\na=rtcp-mux\r\na=sendrecv\r\n");
	sdp_free(&s);
	free(text);

	assert_int_equal(sdp_read(offer, strlen(offer), &s, &e), 0);
	sdp_drop_pt(&s.media[0], 96);
	snprintf(s.conn.addr, sizeof(s.conn.addr), "192.0.2.1");
	s.media[0].port = 6000;
	text = sdp_format(&s);
	assert_non_null(strstr(text, "c=IN IP4 192.0.2.1\r\nt=0 0\r\na=sendonly\r\n"));
	assert_non_null(strstr(text, "m=audio 6000 RTP/SAVP 0 101\r\n"));
	assert_null(strstr(text, "opus"));
	assert_null(strstr(text, "fmtp:96"));
	assert_non_null(strstr(text, "a=rtpmap:101 telephone-event/8000\r\n"));
	assert_non_null(strstr(text, "a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:" KEY40 "\r\n"));
	assert_non_null(strstr(text, "a=rtcp-mux\r\na=recvonly\r\n"));
	sdp_free(&s);
	/* What was written reads back the same. */
	struct sdp again;
	assert_int_equal(sdp_read(text, strlen(text), &again, &e), 0);
	assert_int_equal(again.media[0].n_pts, 2);
	assert_int_equal(again.media[0].n_crypto, 2);
	assert_int_equal(again.dir, SDP_SENDONLY);
	sdp_free(&again);
	free(text);
}

/* The codec table is the one source of names, types and rates. */
static void test_codec_table(void **state)
{
	(void)state;
	for (int i = 0; i < CODEC_COUNT; i++) {
		const struct codec_info *c = codec_info((enum media_codec)i);
		assert_int_equal(c->id, i);
		assert_string_equal(codec_names[i], c->name);
		assert_int_equal(codec_by_name(c->name), i);
		assert_true(c->rate > 0 && c->channels > 0);
		assert_int_equal(codec_by_static_pt(c->pt), c->static_pt ? i : -1);
	}
	assert_null(codec_names[CODEC_COUNT]);
	assert_int_equal(codec_by_name("OPUS"), CODEC_OPUS);
	assert_int_equal(codec_by_name("G729"), -1);
	assert_true(codec_list_valid("opus,PCMU"));
	assert_true(codec_list_valid("g722"));
	assert_false(codec_list_valid("opus,G729"));
	assert_false(codec_list_valid("opus,,PCMU"));
	/* A name at a rate other than the table's is another codec. */
	static const char body[] = "v=0\r\nm=audio 1 RTP/AVP 96 97\r\na=rtpmap:96 opus/48000/2\r\n"
	                           "a=rtpmap:97 PCMU/16000\r\n";
	struct sdp s;
	err_t e;
	assert_int_equal(sdp_read(body, strlen(body), &s, &e), 0);
	assert_int_equal(sdp_codec(&s.media[0], 96), CODEC_OPUS);
	assert_int_equal(sdp_codec(&s.media[0], 97), -1);
	sdp_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_parse_offer),  cmocka_unit_test(test_ipv6),
	        cmocka_unit_test(test_profiles),     cmocka_unit_test(test_errors),
	        cmocka_unit_test(test_crypto_limit), cmocka_unit_test(test_big_sdp),
	        cmocka_unit_test(test_write),        cmocka_unit_test(test_codec_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
