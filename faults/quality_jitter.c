/* quality.jitter — calls connect and stay up, but their packets arrive with
 * a varying delay (queueing on a congested hop), out of order at times.
 * Mechanism: the SBC's media relay is switched on and holds each packet it
 * forwards for a random extra 0 to 3 × jitter_ms (so RFC 3550's estimate at
 * the receiver comes to about jitter_ms) in the direction(s) named, seeded
 * from the run's seed. The remedy is the impairment removed. */
#include "relay_edit.h"

static int far_side(struct lab_edit *le, const struct fault_args *a, err_t *e)
{
	int rc = relay_impair_set(le, a->v[1].text, "jitter_ms", a->v[0].num, e);
	if (!rc)
		le_note(le, "the SBC's media relay adds %g ms of jitter to what it forwards (%s)",
		        a->v[0].num, a->v[1].text);
	return rc;
}

const struct fault fault_quality_jitter = {
        .code = "quality.jitter",
        .summary = "the media path adds jitter (a varying delay that reorders packets)",
        .applied = "before the run: the SBC's media relay on, holding packets a random time",
        .reverted = "the next lab's registrar relays nothing",
        .needs = FAULT_NEEDS_SIPLAB_REGISTRAR,
        .params = {{"jitter_ms", FP_NUMBER, "30", 1, 1000, "ms",
                    "the interarrival jitter added (RFC 3550's estimate)", NULL},
                   {"direction", FP_ENUM, "both", 0, 0, NULL, "which way the media is delayed",
                    relay_directions}},
        .far_side = far_side,
};
