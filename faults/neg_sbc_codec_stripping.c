/* neg.sbc_codec_stripping — an SBC on the call path removes codecs from the
 * offer, so no codec both ends have is left. Mechanism: the registrar's SBC
 * mode rewrites the SDP of INVITEs it forwards. The remedy is offering a codec
 * the SBC keeps. */
#include "../media/codec.h"
#include "../lib/jsonv.h"
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
	cJSON *strip = cJSON_CreateArray();
	for (int i = 0; i < a->v[0].n_items; i++)
		cJSON_AddItemToArray(strip, cJSON_CreateString(a->v[0].items[i]));
	jv_set(sbc, "strip", strip);
	return 0;
}

const struct fault fault_neg_sbc_codec_stripping = {
        .code = "neg.sbc_codec_stripping",
        .summary = "an SBC on the call path strips codecs from the offer",
        .applied = "before the run: the registrar's SBC SDP rewriting",
        .reverted = "the next lab's registrar strips nothing",
        .needs = FAULT_NEEDS_SIPLAB_REGISTRAR,
        .params = {{"strip", FP_LIST, "opus,PCMU", 1, SBC_MAX_STRIP, NULL, "codecs removed",
                    codec_names}},
        .far_side = far_side,
};
