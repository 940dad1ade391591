/* quality.packet_loss — calls connect and stay up, but packets of their
 * audio are lost on the way: at random (each packet on its own) or in bursts
 * (a Gilbert–Elliott chain: congestion, a flapping link). Mechanism: the
 * SBC's media relay is switched on, so every call's media crosses it, and it
 * drops that share of what it forwards in the direction(s) named, its draws
 * seeded from the run's seed. The remedy is the impairment removed. */
#include "relay_edit.h"

static int far_side(struct lab_edit *le, const struct fault_args *a, err_t *e)
{
	const char *dir = a->v[2].text;
	int rc = relay_impair_set(le, dir, "loss_pct", a->v[0].num, e);
	if (!rc)
		rc = relay_impair_set(le, dir, "burst", a->v[1].num, e);
	if (!rc)
		le_note(le, "the SBC's media relay loses %g %% of the packets it forwards (%s; %s)",
		        a->v[0].num, dir, a->v[1].num > 1 ? "in bursts" : "at random");
	return rc;
}

const struct fault fault_quality_packet_loss = {
        .code = "quality.packet_loss",
        .summary = "the media path loses packets (at random or in bursts)",
        .applied = "before the run: the SBC's media relay on, losing packets as it forwards",
        .reverted = "the next lab's registrar relays nothing",
        .needs = FAULT_NEEDS_SIPLAB_REGISTRAR,
        .params = {{"loss_pct", FP_NUMBER, "5", 0.1, 100, "%", "packets lost in the long run",
                    NULL},
                   {"burst", FP_NUMBER, "1", 1, 1000, "packets",
                    "mean length of a loss burst (Gilbert-Elliott); 1: random loss", NULL},
                   {"direction", FP_ENUM, "both", 0, 0, NULL, "which way the media is lost",
                    relay_directions}},
        .far_side = far_side,
};
