/* media.asymmetric_nat — a NAT that translates the workers' media on the
 * way out and not on the way back. The aimed workers sit behind the NAT
 * router (a port-keeping masquerade, as for media.nat_private_sdp, so SIP
 * is translated both ways and registers), and the router's media rule is a
 * stateless source rewrite: UDP between two RTP ports from the workers'
 * networks is not tracked (notrack) and leaves with the router's outside
 * address, its port kept. With no conntrack entry there is nothing to map
 * what comes back: the far end's RTP to that address and port ends at the
 * router itself (ICMP port unreachable) — one direction translated, the
 * other not. This is how a "static NAT" policy written for the outbound
 * direction only behaves, or a router whose fast path bypasses connection
 * tracking for media.
 *
 * The SDP is not the cause: a scenario gives the far end the public address
 * (an SBC's NAT fix, sbc.rewrite_address), so the far end sends to the right
 * address and port, and the audio is still one-way. That is what tells it
 * from media.nat_private_sdp (private c=), media.symmetric_nat (ports
 * changed) and media.firewall_inbound (no NAT). The remedy is the NAT fixed.
 * RTP ports are the kernel's ephemeral range (see media.rtp_blocked). */
#include <stdio.h>

#include "fault.h"

#define RTP_RANGE "32768-60999"

static int shape(struct lab_edit *le, const struct fault_args *a, err_t *e)
{
	(void)a;
	return le_nat(le, "", e);
}

static int topology(struct lab_edit *le, const struct fault_args *a, err_t *e)
{
	(void)a;
	const char *nat[1];
	char outside[64], nets[SCN_MAX_WORKERS * 24 + 16], rules[2 * sizeof(nets) + 600];
	if (le_hosts(le, "nat", nat, 1) < 1)
		return err_set(e, ENOENT, "media.asymmetric_nat: the lab has no NAT router");
	int rc = le_host_addr(le, nat[0], outside, sizeof(outside), e);
	if (!rc)
		rc = le_host_nets(le, "worker", nets, sizeof(nets), e);
	if (rc)
		return rc;
	(void)snprintf(rules, sizeof(rules), /* sized for every worker's network, twice */
	               "table ip lab_asym {\n"
	               "  chain raw { type filter hook prerouting priority raw; ip saddr %s "
	               "udp sport " RTP_RANGE " udp dport " RTP_RANGE " notrack; }\n"
	               "  chain out { type filter hook postrouting priority srcnat; ip saddr %s "
	               "udp sport " RTP_RANGE " udp dport " RTP_RANGE " ip saddr set %s; }\n}",
	               nets, nets, outside);
	le_note(le, "the NAT router rewrites the source of media from %s to %s statelessly", nets,
	        outside);
	return le_nft(le, nat[0], rules, e);
}

const struct fault fault_media_asymmetric_nat = {
        .code = "media.asymmetric_nat",
        .summary = "a NAT translates the workers' media on the way out, not on the way back",
        .applied = "before the run: the aimed workers behind the NAT router, whose media rule "
                   "is a stateless source rewrite (notrack)",
        .reverted = "the next lab has no NAT router",
        .shape = shape,
        .topology = topology,
        .scopes = FAULT_SCOPE_WORKER,
};
