/* media.nat_private_sdp — the workers sit behind a NAT router that keeps
 * source ports where it can (a plain nftables masquerade). Their SDP carries
 * the private address, so the far end's audio never arrives. The confounder
 * of media.symmetric_nat when SIP runs over TCP: there the source port always
 * differs from the Via's, though the NAT keeps ports. The remedy is the SBC's
 * media relay (or STUN). */
#include "fault.h"

static int shape(struct lab_edit *le, const struct fault_args *a, err_t *e)
{
	(void)a;
	return le_nat(le, "", e);
}

const struct fault fault_media_nat_private_sdp = {
        .code = "media.nat_private_sdp",
        .summary = "workers behind a port-keeping NAT advertise their private address in SDP",
        .applied = "before the run: the NAT router's masquerade rule, for the aimed workers (all "
                   "by default)",
        .reverted = "the next lab has no NAT router",
        .shape = shape,
        .scopes = FAULT_SCOPE_WORKER,
};
