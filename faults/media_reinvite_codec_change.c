/* media.reinvite_codec_change — the far end changes the codec mid-call with
 * a re-INVITE: a later offer/answer in the same dialog. Not a failure in
 * itself when the new codec is one the test's group has and the audio goes
 * on; the guide lists it among the causes of a codec mismatch after
 * negotiation, so the diagnosis must recognise it. Mechanism: the callee
 * pool sends, some time after each answered call is up, a re-INVITE offering
 * one other codec; the worker answers it and both ends switch. The remedy,
 * "recognise it", is the run without the re-INVITE (the fault removed): it
 * stands for a far end configured not to re-offer, and proves the call
 * itself was healthy. */
#include <errno.h>

#include "../lib/jsonv.h"
#include "fault.h"

static const char *const pool_codecs[] = {"PCMU", "PCMA", NULL};

static int far_side(struct lab_edit *le, const struct fault_args *a, err_t *e)
{
	cJSON *pool = le_config(le, "callees", e);
	if (!pool)
		return -ENOENT;
	long ms = le_ms(le, a->v[1].num);
	jv_set(pool, "reinvite_codec", cJSON_CreateString(a->v[0].text));
	jv_set(pool, "reinvite_ms", cJSON_CreateNumber(ms > 0 ? (double)ms : 1));
	le_note(le, "the callee pool re-INVITEs every answered call after %.0f s, offering %s only",
	        a->v[1].num, a->v[0].text);
	return 0;
}

const struct fault fault_media_reinvite_codec_change = {
        .code = "media.reinvite_codec_change",
        .summary = "the far end changes the codec mid-call with a re-INVITE",
        .applied = "before the run: the callee pool's configuration (each call re-INVITEd "
                   "after_s after it is up)",
        .reverted = "the next lab's callee pool sends no re-INVITE",
        .params = {{"codec", FP_ENUM, "PCMA", 0, 0, NULL,
                    "the one codec the re-INVITE offers (the callee pool plays G.711)",
                    pool_codecs},
                   {"after_s", FP_DURATION, "10", 1, 3600, "s",
                    "how long after the call is up the re-INVITE goes", NULL}},
        .far_side = far_side,
};
