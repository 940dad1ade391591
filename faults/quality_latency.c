/* quality.latency — calls connect and stay up, but the media path is long:
 * every packet is delayed the same time one way, so RTCP's round trip is
 * high and the E-model's delay impairment lowers MOS past 177 ms one way.
 * Mechanism: the SBC's media relay is switched on and holds every packet it
 * forwards for delay_ms in the direction(s) named. The remedy is the delay
 * removed. */
#include "relay_edit.h"

static int far_side(struct lab_edit *le, const struct fault_args *a, err_t *e)
{
	int rc = relay_impair_set(le, a->v[1].text, "delay_ms", a->v[0].num, e);
	if (!rc)
		le_note(le, "the SBC's media relay delays what it forwards by %g ms (%s)",
		        a->v[0].num, a->v[1].text);
	return rc;
}

const struct fault fault_quality_latency = {
        .code = "quality.latency",
        .summary = "the media path is long: a one-way delay on every packet",
        .applied = "before the run: the SBC's media relay on, holding every packet",
        .reverted = "the next lab's registrar relays nothing",
        .needs = FAULT_NEEDS_SIPLAB_REGISTRAR,
        .params = {{"delay_ms", FP_NUMBER, "150", 1, 5000, "ms",
                    "one-way delay added to every packet", NULL},
                   {"direction", FP_ENUM, "both", 0, 0, NULL, "which way the media is delayed",
                    relay_directions}},
        .far_side = far_side,
};
