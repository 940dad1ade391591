/* media.relay_broken — the SBC relays the calls' media, but forwards one
 * direction only: every call through it connects, and one side hears
 * nothing. Mechanism: the registrar's SBC mode with its media relay on (the
 * SDP's c= on both sides becomes the relay's address) and set to drop what
 * one side sends. The remedy is the relay fixed (the fault removed). */
#include "relay_edit.h"

static const char *const broken_directions[] = {"caller_to_callee", "callee_to_caller", NULL};

static int far_side(struct lab_edit *le, const struct fault_args *a, err_t *e)
{
	cJSON *sbc = relay_sbc(le, e);
	if (!sbc)
		return -ENOENT;
	jv_set(sbc, "drop", cJSON_CreateString(a->v[0].text));
	le_note(le, "the SBC's media relay does not forward %s", a->v[0].text);
	return 0;
}

const struct fault fault_media_relay_broken = {
        .code = "media.relay_broken",
        .summary = "the media relay (SBC) forwards one direction only",
        .applied = "before the run: the SBC's media relay on, dropping one side's media",
        .reverted = "the next lab's registrar relays nothing",
        .needs = FAULT_NEEDS_SIPLAB_REGISTRAR,
        .params = {{"direction", FP_ENUM, "caller_to_callee", 0, 0, NULL,
                    "the direction the relay does not forward", broken_directions}},
        .far_side = far_side,
};
