/* call.no_route — the route between two registrars is black-holed: the
 * scenario's second registrar (far_side.peer_domain, host registrar2) serves
 * another domain, the first registrar forwards INVITEs for that domain to it
 * as its peer, and nftables on the core router silently drops everything
 * between the two. Each caller's INVITE reaches its own registrar (100
 * Trying) and never gets a final answer from the far domain: the first
 * registrar's transaction times out and it answers 408; the callees of the
 * other domain, registered there, wait for nothing. Registrations are not
 * touched (each group talks to its own registrar). at_s/until_s switch it
 * mid-run. The remedy is the route restored. */
#include <stdio.h>

#include "fault.h"

static int topology(struct lab_edit *le, const struct fault_args *a, err_t *e)
{
	(void)a;
	const char *router[1], *reg[1];
	char from[64], to[64], rules[512];
	if (le_hosts(le, "router", router, 1) < 1 || le_hosts(le, "registrar", reg, 1) < 1)
		return err_set(e, ENOENT, "call.no_route: the lab has no router or registrar");
	if (le_host_addr(le, LE_PEER_REGISTRAR, to, sizeof(to), NULL))
		return err_set(e, ENOENT,
		               "call.no_route: the scenario has no second registrar to route to "
		               "(far_side.peer_domain)");
	int rc = le_host_addr(le, reg[0], from, sizeof(from), e);
	if (rc)
		return rc;
	/* Both ways, silently: no ICMP, so neither registrar learns the route is
	 * gone; the requests are retransmitted until their transactions end. */
	(void)snprintf(rules, sizeof(rules),
	               "table inet lab_noroute {\n  chain forward { type filter hook forward "
	               "priority filter; ip saddr %s ip daddr %s drop; ip saddr %s ip daddr %s "
	               "drop; }\n}",
	               from, to, to, from);
	le_note(le, "the route between %s (%s) and %s (%s) is black-holed on %s", reg[0], from,
	        LE_PEER_REGISTRAR, to, router[0]);
	return le_nft(le, router[0], rules, e);
}

const struct fault fault_call_no_route = {
        .code = "call.no_route",
        .summary = "INVITEs are not routed between the two registrars (the peer route is "
                   "black-holed)",
        .applied = "before the run (or at at_s): nftables on the core router",
        .reverted = "the next lab has no such rule (or at until_s)",
        .needs = FAULT_NEEDS_SIPLAB_REGISTRAR,
        .topology = topology,
        .timing = FAULT_TIMING_AT | FAULT_TIMING_UNTIL,
};
