/* test_dx_payload.c — the two rows after negotiation on reports written by
 * hand (milliseconds, no lab): RTP with a payload type the receiver never
 * negotiated (media.payload_mismatch) told apart from audio dropped on the
 * way in (media.firewall_inbound) and from a few stragglers around a codec
 * change; a re-INVITE that changed the codec (media.reinvite_codec_change)
 * recognised as no failure, and as one when the new codec is not the
 * group's or the audio stopped. Also the stream's own counter: packets of
 * another type are counted apart and never heard as audio. */
#define _GNU_SOURCE
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <sys/socket.h>

#include "../diagnose/diagnose.h"
#include "../media/sdp.h"
#include "../media/stream.h"
#include "../registrar/sbc.h"

static const char groups[] = "{\"name\":\"callers\",\"codecs\":[\"PCMU\",\"PCMA\"]},"
                             "{\"name\":\"receivers\",\"codecs\":[\"PCMU\",\"PCMA\"]}";

/* A report of schema 2 with the groups above and these endpoints. */
static cJSON *report(const char *endpoints)
{
	char *json = NULL;
	assert_true(asprintf(&json,
	                     "{\"schema_version\":2,\"test\":{\"groups\":[%s]},\"run\":{\"status\":"
	                     "\"COMPLETED\"},\"workers\":[],\"endpoints\":[%s],\"totals\":{}}",
	                     groups, endpoints) > 0);
	cJSON *r = cJSON_Parse(json);
	free(json);
	assert_non_null(r);
	return r;
}

/* A call that was up: user, its group (callers have a target), its media
 * object's members after "codec" and the packet counts, and its trace. */
static char *call(const char *user, const char *group, double rx, double tx, const char *media,
                  const char *trace)
{
	char *s = NULL;
	int caller = !strcmp(group, "callers");
	assert_true(asprintf(&s,
	                     "{\"user\":\"%s\",\"group\":\"%s\",\"worker\":\"worker1\","
	                     "\"outcome\":\"COMPLETED_WITH_WARNINGS\",\"sip_code\":200,"
	                     "\"sip_code_source\":\"wire\",\"times_ms\":{\"register\":0,"
	                     "\"registered\":10}%s,\"media\":{\"received\":{\"packets\":%.0f},"
	                     "\"sent\":{\"packets\":%.0f}%s},\"trace\":%s}",
	                     user, group, caller ? ",\"target\":\"receivers\"" : "", rx, tx, media,
	                     *trace ? trace : "[]") > 0);
	return s;
}

/* Four calls, both ends each, with the same media members (a caller's and a
 * callee's), as one JSON list. */
static cJSON *four_calls(double rx, double tx, const char *caller_media, const char *callee_media,
                         const char *trace)
{
	char *list = NULL, *parts[8], user[16];
	size_t len = 1;
	for (int i = 0; i < 8; i++) {
		int caller = i < 4;
		snprintf(user, sizeof(user), "%s%04d", caller ? "c" : "r", i % 4 + 1);
		parts[i] = call(user, caller ? "callers" : "receivers", rx, tx,
		                caller ? caller_media : callee_media, caller ? trace : "");
		len += strlen(parts[i]) + 1;
	}
	list = calloc(len, 1);
	for (int i = 0; i < 8; i++) {
		if (i)
			strcat(list, ",");
		strcat(list, parts[i]);
		free(parts[i]);
	}
	cJSON *r = report(list);
	free(list);
	return r;
}

/* The top code is want, banned is not among the findings, and the
 * diagnosis says evidence. */
static void expect(cJSON *rep, const char *want, const char *banned, const char *evidence)
{
	cJSON *d = diagnose(rep);
	char *text = cJSON_PrintUnformatted(d);
	if (strcmp(diagnose_top(d), want))
		fail_msg("diagnosis %s, expected %s: %s", diagnose_top(d), want, text);
	if (banned && strstr(text, banned))
		fail_msg("%s is among the findings: %s", banned, text);
	if (evidence && !strstr(text, evidence))
		fail_msg("no \"%s\" in %s", evidence, text);
	free(text);
	cJSON_Delete(d);
	cJSON_Delete(rep);
}

/* Packets arrived with another type than negotiated, none heard: the
 * payload type, not a firewall (nothing was lost on the way). */
static void test_payload_mismatch(void **state)
{
	(void)state;
	expect(four_calls(0, 50,
	                  ",\"codec\":\"opus\",\"payload_type\":111,"
	                  "\"unexpected_pt_packets\":50,\"unexpected_pt\":96",
	                  ",\"codec\":\"opus\",\"payload_type\":96,"
	                  "\"unexpected_pt_packets\":50,\"unexpected_pt\":111",
	                  ""),
	       "media.payload_mismatch", "media.firewall_inbound",
	       "c0001 negotiated opus at payload type 111 and received 50 packets with payload "
	       "type 96");
}

/* The same one-way calls with nothing arriving at all: dropped on the way
 * in, not a payload type. */
static void test_nothing_arrived_is_not_payload(void **state)
{
	(void)state;
	const char *m = ",\"codec\":\"opus\",\"payload_type\":111,\"unexpected_pt_packets\":0";
	expect(four_calls(0, 50, m, m, ""), "media.firewall_inbound", "media.payload_mismatch",
	       NULL);
}

/* Two stragglers of the old type around a codec change: not a mismatch. */
static void test_stragglers_are_not_payload(void **state)
{
	(void)state;
	const char *m = ",\"codec\":\"PCMA\",\"payload_type\":8,\"unexpected_pt_packets\":2,"
	                "\"unexpected_pt\":0,\"codec_first\":\"PCMU\",\"codec_changes\":1,"
	                "\"received_since_codec_change\":40";
	expect(four_calls(48, 50, m, m, ""), "media.reinvite_codec_change",
	       "media.payload_mismatch", NULL);
}

/* A re-INVITE as the caller received it, offering PCMA only. */
static char *reinvite_trace(void)
{
	static const char sdp[] = "v=0\r\no=- 1 2 IN IP4 10.10.3.2\r\ns=-\r\n"
	                          "c=IN IP4 10.10.3.2\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8\r\n"
	                          "a=rtpmap:8 PCMA/8000\r\n";
	char *msg = NULL, *json = NULL;
	assert_true(asprintf(&msg,
	                     "INVITE sip:c0001@10.20.1.2:5060 SIP/2.0\r\n"
	                     "Via: SIP/2.0/UDP 10.10.2.2;branch=z9hG4bK-1\r\n"
	                     "From: <sip:pool0001@lab>;tag=a1\r\nTo: <sip:c0001@lab>;tag=b2\r\n"
	                     "Call-ID: call-1\r\nCSeq: 2 INVITE\r\n"
	                     "Content-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s",
	                     strlen(sdp), sdp) > 0);
	cJSON *t = cJSON_CreateArray(), *m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "dir", "recv");
	cJSON_AddStringToObject(m, "first_line", "INVITE sip:c0001@10.20.1.2:5060 SIP/2.0");
	cJSON_AddStringToObject(m, "text", msg);
	cJSON_AddItemToArray(t, m);
	json = cJSON_PrintUnformatted(t);
	cJSON_Delete(t);
	free(msg);
	return json;
}

/* PCMU, then PCMA by a re-INVITE, in the group's list, audio going on: the
 * change is recognised and called no failure. */
static void test_reinvite_recognised(void **state)
{
	(void)state;
	char *trace = reinvite_trace();
	const char *m = ",\"codec\":\"PCMA\",\"payload_type\":8,\"unexpected_pt_packets\":0,"
	                "\"codec_first\":\"PCMU\",\"codec_changes\":1,"
	                "\"received_since_codec_change\":40";
	expect(four_calls(80, 80, m, ",\"codec\":\"PCMU\"", trace), "media.reinvite_codec_change",
	       "media.payload_mismatch", "re-INVITE in its call offering [PCMA]");
	free(trace);
	expect(four_calls(80, 80, m, ",\"codec\":\"PCMU\"", ""), "media.reinvite_codec_change",
	       NULL, "is not itself a failure");
}

/* The same change to a codec the group does not have, or with the audio
 * stopped after it: a failure. */
static void test_reinvite_failure(void **state)
{
	(void)state;
	expect(four_calls(80, 80,
	                  ",\"codec\":\"G722\",\"codec_first\":\"PCMU\",\"codec_changes\":1,"
	                  "\"received_since_codec_change\":40",
	                  ",\"codec\":\"PCMU\"", ""),
	       "media.reinvite_codec_change", NULL, "on 4 calls the new codec is not in");
	expect(four_calls(40, 80,
	                  ",\"codec\":\"PCMA\",\"codec_first\":\"PCMU\",\"codec_changes\":1,"
	                  "\"received_since_codec_change\":0",
	                  ",\"codec\":\"PCMU\"", ""),
	       "media.reinvite_codec_change", NULL, "on 4 the audio stopped");
}

/* The stream itself: RTP of the negotiated type is audio; RTP of another is
 * counted apart (the type seen too) and never reaches the audio counters. */
static void test_stream_counts_unexpected(void **state)
{
	(void)state;
	struct stream rx, tx;
	struct stream_clips clips;
	err_t e;
	char offer[1024], answer[1024];
	assert_int_equal(stream_clips_make(&clips, &e), 0);
	assert_int_equal(stream_open(&rx, "127.0.0.1", &e), 0);
	assert_int_equal(stream_open(&tx, "127.0.0.1", &e), 0);
	enum media_codec c = CODEC_PCMU;
	assert_int_equal(stream_offer(&rx, &c, 1, KEYING_NONE, offer, sizeof(offer)), 0);
	assert_int_equal(stream_answer(&tx, offer, &c, 1, KEYING_NONE, answer, sizeof(answer), &e),
	                 0);
	assert_int_equal(stream_take_answer(&rx, answer, KEYING_NONE, &e), 0);
	long long now = sys_now_ns();
	assert_int_equal(stream_start(&rx, &clips, 5000, 0, 0, now, &e), 0);
	assert_int_equal(stream_start(&tx, &clips, 5000, 0, 0, now, &e), 0);
	stream_tick(&tx, now); /* one frame of PCMU, type 0 */
	tx.pt = 8;             /* a sender that ignores the SDP */
	stream_tick(&tx, now + 20000000LL);
	stream_tick(&tx, now + 40000000LL);
	usleep(20000);
	stream_receive(&rx, now + 60000000LL);
	struct stream_metrics m;
	stream_metrics(&rx, &m);
	assert_int_equal(m.rx.packets, 1);
	assert_int_equal(m.pt_unexpected, 2);
	assert_int_equal(m.pt_expected, 0);
	assert_int_equal(m.pt_seen, 8);
	stream_close(&rx);
	stream_close(&tx);
	stream_clips_free(&clips);
}

/* The SBC's renumbering: opus gets 96 in an offer (rtpmap and m= line), and
 * back its own 111 in an answer; PCMU is left alone. */
static void test_sbc_renumbers(void **state)
{
	(void)state;
	struct sbc_config c = {.enabled = 1, .renumber_codec = "opus", .renumber_pt = 96};
	static const char in[] = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\n"
	                         "t=0 0\r\nm=audio 4000 RTP/AVP 111 0\r\n"
	                         "a=rtpmap:111 opus/48000/2\r\na=rtpmap:0 PCMU/8000\r\n";
	char *offer = sbc_rewrite_sdp(in, strlen(in), &c, 1, NULL, 0);
	assert_non_null(offer);
	assert_non_null(strstr(offer, "m=audio 4000 RTP/AVP 96 0"));
	assert_non_null(strstr(offer, "a=rtpmap:96 opus/48000/2"));
	assert_null(strstr(offer, "111"));
	char *answer = sbc_rewrite_sdp(offer, strlen(offer), &c, 0, NULL, 0);
	assert_non_null(answer);
	assert_non_null(strstr(answer, "m=audio 4000 RTP/AVP 111 0"));
	free(offer);
	free(answer);
	c.renumber_codec[0] = '\0'; /* off: the SDP goes on as it came */
	offer = sbc_rewrite_sdp(in, strlen(in), &c, 1, NULL, 0);
	assert_non_null(strstr(offer, "RTP/AVP 111 0"));
	free(offer);
}

/* A re-offer answered mid-call: the codec and payload type switch, the
 * change is counted, and the old type is still heard until the far end
 * switches; a re-offer with nothing of ours changes nothing. */
static void test_reanswer_switches(void **state)
{
	(void)state;
	struct stream s, far;
	struct stream_clips clips;
	err_t e;
	char offer[1024], answer[1024];
	enum media_codec both[] = {CODEC_PCMU, CODEC_PCMA}, pcma = CODEC_PCMA, g722 = CODEC_G722;
	assert_int_equal(stream_clips_make(&clips, &e), 0);
	assert_int_equal(stream_open(&s, "127.0.0.1", &e), 0);
	assert_int_equal(stream_open(&far, "127.0.0.1", &e), 0);
	assert_int_equal(stream_offer(&s, both, 2, KEYING_NONE, offer, sizeof(offer)), 0);
	assert_int_equal(
	        stream_answer(&far, offer, both, 2, KEYING_NONE, answer, sizeof(answer), &e), 0);
	assert_int_equal(stream_take_answer(&s, answer, KEYING_NONE, &e), 0);
	long long now = sys_now_ns();
	assert_int_equal(stream_start(&s, &clips, 5000, 0, 0, now, &e), 0);
	assert_int_equal(stream_start(&far, &clips, 5000, 0, 0, now, &e), 0);
	/* the far end re-offers G.722 alone: not ours, refused, nothing changes */
	assert_int_equal(stream_offer(&far, &g722, 1, KEYING_NONE, offer, sizeof(offer)), 0);
	assert_int_equal(stream_reanswer(&s, &clips, offer, both, 2, KEYING_NONE, answer,
	                                 sizeof(answer), &e),
	                 -ENOENT);
	assert_int_equal(s.codec, CODEC_PCMU);
	/* then PCMA alone: taken */
	assert_int_equal(stream_offer(&far, &pcma, 1, KEYING_NONE, offer, sizeof(offer)), 0);
	assert_int_equal(stream_reanswer(&s, &clips, offer, both, 2, KEYING_NONE, answer,
	                                 sizeof(answer), &e),
	                 0);
	assert_non_null(strstr(answer, "RTP/AVP 8"));
	assert_non_null(strstr(answer, " 2 IN IP4")); /* the o= version went up */
	stream_tick(&far, now);                       /* still PCMU (type 0): heard */
	far.pt = 8;
	stream_tick(&far, now + 20000000LL); /* PCMA: heard */
	far.pt = 9;
	stream_tick(&far, now + 40000000LL); /* neither: counted apart */
	usleep(20000);
	stream_receive(&s, now + 60000000LL);
	struct stream_metrics m;
	stream_metrics(&s, &m);
	assert_string_equal(m.codec, "PCMA");
	assert_string_equal(m.codec_first, "PCMU");
	assert_int_equal(m.codec_changes, 1);
	assert_int_equal(m.rx.packets, 2);
	assert_int_equal(m.pt_unexpected, 1);
	assert_int_equal(m.rx_since_change, 2);
	stream_close(&s);
	stream_close(&far);
	stream_clips_free(&clips);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_payload_mismatch),
	        cmocka_unit_test(test_nothing_arrived_is_not_payload),
	        cmocka_unit_test(test_stragglers_are_not_payload),
	        cmocka_unit_test(test_reinvite_recognised),
	        cmocka_unit_test(test_reinvite_failure),
	        cmocka_unit_test(test_stream_counts_unexpected),
	        cmocka_unit_test(test_sbc_renumbers),
	        cmocka_unit_test(test_reanswer_switches),
	};
	return cmocka_run_group_tests_name("payload type and re-INVITE", tests, NULL, NULL);
}
