/* media.payload_mismatch — the RTP of a call carries another payload type
 * than the one its SDP negotiated, so the receiver gets packets it cannot
 * decode. Mechanism: the registrar's SBC mode renumbers a dynamic payload
 * type in the SDP it forwards (opus's 111 becomes 96 in offers, and 96 goes
 * back to 111 in answers) while the media, which does not pass through it,
 * keeps the number each sender was told: each end receives a type its own
 * SDP never gave the codec. The remedy is the renumbering removed (the
 * sender, or the SBC translating the RTP it renumbers, fixed). */
#include <errno.h>

#include "../lib/jsonv.h"
#include "../media/codec.h"
#include "fault.h"

static int far_side(struct lab_edit *le, const struct fault_args *a, err_t *e)
{
	cJSON *reg = le_config(le, "registrar", e);
	if (!reg)
		return -ENOENT;
	cJSON *sbc = cJSON_GetObjectItemCaseSensitive(reg, "sbc");
	if (!sbc) {
		sbc = cJSON_AddObjectToObject(reg, "sbc");
		cJSON_AddFalseToObject(sbc, "relay");
	}
	jv_set(sbc, "renumber_codec", cJSON_CreateString(a->v[0].text));
	jv_set(sbc, "renumber_pt", cJSON_CreateNumber(a->v[1].num));
	le_note(le,
	        "the SBC renumbers %s to payload type %.0f in offers (and back in answers); "
	        "the RTP keeps its type",
	        a->v[0].text, a->v[1].num);
	return 0;
}

const struct fault fault_media_payload_mismatch = {
        .code = "media.payload_mismatch",
        .summary = "an SBC renumbers a dynamic payload type in the SDP, the RTP keeps the old "
                   "one",
        .applied = "before the run: the registrar's SBC SDP rewriting",
        .reverted = "the next lab's registrar renumbers nothing",
        .needs = FAULT_NEEDS_SIPLAB_REGISTRAR,
        .params = {{"codec", FP_ENUM, "opus", 0, 0, NULL, "the codec renumbered", codec_names},
                   {"pt", FP_INT, "96", 96, 127, NULL, "the dynamic payload type it gets in offers",
                    NULL}},
        .far_side = far_side,
};
