/* media.symmetric_nat — workers behind a NAT router that maps every
 * destination to a new random port (nftables masquerade random,fully-random).
 * Their SDP carries the private address and nothing learnt from STUN holds for
 * the media peer: calls connect, audio is one-way or absent. The remedy is the
 * SBC's latching media relay (far_side.sbc.relay). */
#include "fault.h"

static int shape(struct lab_edit *le, const struct fault_args *a, err_t *e)
{
	(void)a;
	return le_nat(le, "random,fully-random", e);
}

const struct fault fault_media_symmetric_nat = {
        .code = "media.symmetric_nat",
        .summary = "workers behind a symmetric NAT (a new random port per destination)",
        .applied = "before the run: the NAT router's masquerade rule, for the aimed workers (all "
                   "by default)",
        .reverted = "the next lab has no NAT router",
        .shape = shape,
        .scopes = FAULT_SCOPE_WORKER,
};
